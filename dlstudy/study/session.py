"""A study session as a state machine, free of I/O: lines in, events out.

The terminal front end (:mod:`dlstudy.ui.runner`) reads a line, passes it to :meth:`Session.handle`,
saves the finished question and renders the returned event. One object serves the modes:

* ``quiz``, ``review`` and ``cram``: feedback after every answer, hints (``?``) and the solution (``s``)
  on hand; questions in order;
* ``exam``: no hints, no solution, no feedback until the end; a time limit; ``b``/``back`` and
  ``goto N`` move between questions (a new answer replaces the old one), ``flag`` marks a question to
  come back to, ``skip``/``next`` moves on. After the last question, on ``q``, and on Ctrl-C the session
  shows an overview and asks before handing in (:attr:`Session.confirming`).

Questions are the bank's (``Question.grade(text)`` raises ``AnswerError``, a ``DlstudyError``, for input
it cannot read: such input is explained and asked again, never counted) or draws
(:class:`~dlstudy.study.select.Draw`) built when first shown.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from dlstudy.errors import DlstudyError
from dlstudy.study.events import (
    Answered,
    Event,
    Flagged,
    HandedIn,
    HelpShown,
    Hint,
    Invalid,
    Moved,
    Overview,
    Quit,
    Refused,
    Skipped,
    SolutionShown,
    TimeUp,
)

MODES = ("quiz", "exam", "review", "cram")

HELP_QUIZ = """\
Type your answer and press Enter.
  numbers   0.5  1/2  -log(4)  3/2 ln 2  sqrt(3)/2  1e-3  30%  x = -0.8
  counts    42496  42,496  42 496      sizes, shapes  7×7  3x5  (3, 5)
  vectors   [1, 2, 3]  (1, 2, 3)  or  1 2 3
  matrices  [[1, 2], [3, 4]]  or  1 2; 3 4
  choices   b
Grading: give the precision asked (e.g. 3 significant figures). The rounded
value or an exact form (1/3) is right; over one unit off in the last digit is
wrong; too few digits is not counted, just asked again. Indices count from 0.
Commands:
  ?     a hint (counted)          s      the worked solution (not known)
  skip  next question             q      quit (progress is kept)
  help  this list                 =s     the literal answer "s" (=q, =?)
After a wrong answer (in a terminal): Enter next, s the worked solution,
n another variant of the same question."""

HELP_EXAM = """\
Type your answer and press Enter: it is read back, graded at the end.
Commands:
  skip    leave this question blank and go on     flag   mark it to come back to
  b       back one question (back on a choice     goto N go to question N
          question, where b is an answer)         q      overview, then hand in
  help    this list                               =q     the literal answer "q"
A new answer to a question replaces the old one. No hints or solutions in an exam."""

HELP_CONFIRM = """\
  y       hand in now             goto N   go to question N
  n       back to the questions   b        back to the last question"""

_HINT = {"?", "hint"}
SOLUTION_WORDS = {"s", "sol", "solution"}
_SKIP = {"skip", "next"}
QUIT_WORDS = {"q", "quit", "exit"}
_HELP = {"help", "h", "commands"}
_BACK = {"back", "prev", "previous"}
_FLAG = {"flag", "unflag"}
_YES = {"y", "yes", "hand in", "handin", "submit"}
_NO = {"n", "no", ""}
_GOTO = re.compile(r"(?:goto|go|g)\s*#?\s*(\d{1,6})\Z")


@dataclass
class Item:
    """One question of the session and what happened to it. ``source`` is a question or a draw."""

    source: Any
    started: float | None = None
    hints_shown: int = 0
    answer: str | None = None
    grade: Any = None
    solution_shown: bool = False
    skipped: bool = False
    blank: bool = False  # an exam question not answered at the hand-in
    flagged: bool = False
    seconds: float = 0.0
    attempt_id: int | None = None  # the store's row, once saved
    working: Any = None  # an expression answer's working checked line by line (study.working)
    working_lines: list[str] | None = None  # exam: the working as typed, checked at the report
    _question: Any = field(default=None, repr=False)

    @property
    def question(self) -> Any:
        if self._question is None:
            src = self.source
            self._question = src.instantiate() if _is_draw(src) else src
        return self._question

    @property
    def template(self) -> Any:
        return self.source.template

    @property
    def ref(self) -> str:
        return f"{self.source.template.id}:{self.source.seed}"

    @property
    def done(self) -> bool:
        return self.grade is not None or self.solution_shown or self.skipped or self.blank

    @property
    def answered(self) -> bool:
        """Graded or given up on with the solution (both count as attempts)."""
        return self.grade is not None or self.solution_shown

    @property
    def correct(self) -> bool:
        return bool(self.grade is not None and self.grade.correct and not self.solution_shown)

    @property
    def score(self) -> float:
        if self.grade is None or self.solution_shown:
            return 0.0
        return float(self.grade.score)


def _is_draw(source: Any) -> bool:
    return callable(getattr(source, "instantiate", None)) and not hasattr(source, "prompt")


@dataclass
class SectionSummary:
    """Per section: the questions that ended, and what became of them (the store's rows)."""

    section: str
    asked: int = 0
    answered: int = 0
    correct: int = 0
    skipped: int = 0  # skipped, or left blank in an exam
    solutions: int = 0
    score: float = 0.0
    seconds: float = 0.0

    @property
    def fraction(self) -> float:
        return self.score / self.asked if self.asked else 0.0


@dataclass
class Session:
    """The questions of one session and the position in them.

    ``clock`` is injectable (tests); ``time_limit`` in seconds (exam).
    """

    questions: Sequence[Any]
    mode: str = "quiz"
    time_limit: float | None = None
    clock: Callable[[], float] = time.monotonic
    items: list[Item] = field(init=False)
    index: int = field(default=0, init=False)
    started: float = field(init=False)
    ended_by: str | None = field(default=None, init=False)
    confirming: str | None = field(default=None, init=False)  # exam: why the overview is shown
    return_to: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise DlstudyError(f"unknown session mode '{self.mode}'; expected one of {MODES}")
        self.items = [Item(q) for q in self.questions]
        self.started = self.clock()

    # -- position and time -----------------------------------------------------------------------

    @property
    def feedback(self) -> bool:
        """Whether answers are graded aloud as they come (not in an exam)."""
        return self.mode != "exam"

    @property
    def exam(self) -> bool:
        return self.mode == "exam"

    @property
    def finished(self) -> bool:
        if self.ended_by is not None:
            return True
        return not self.exam and self.index >= len(self.items)

    @property
    def current(self) -> Item | None:
        if self.finished or self.confirming or self.index >= len(self.items):
            return None
        return self.items[self.index]

    @property
    def position(self) -> tuple[int, int]:
        """(1-based number of the current question, total)."""
        return min(self.index + 1, len(self.items)), len(self.items)

    def elapsed(self) -> float:
        return self.clock() - self.started

    def remaining(self) -> float | None:
        if self.time_limit is None:
            return None
        return max(0.0, self.time_limit - self.elapsed())

    def time_up(self) -> bool:
        remaining = self.remaining()
        return remaining is not None and remaining <= 0.0

    def present(self) -> Item | None:
        """The current question, its clock started at the first call."""
        item = self.current
        if item is not None and item.started is None:
            item.started = self.clock()
        return item

    # -- input -----------------------------------------------------------------------------------

    def handle(self, line: str) -> Event:
        """React to one input line (an answer or a command)."""
        if self.finished:
            return Quit()
        if self.time_up():
            return self.expire()
        if self.confirming:
            return self._confirm(line)
        item = self.present()
        if item is None:
            return self.ask_hand_in("end")
        text = line.strip()
        word = " ".join(text.lower().split())
        if word in _HELP:
            return HelpShown(HELP_QUIZ if self.feedback else HELP_EXAM)
        if word in QUIT_WORDS:
            if self.exam:
                return self.ask_hand_in("quit")
            self.ended_by = "quit"
            return Quit()
        if self.exam:
            moved = self._navigate(item, word)
            if moved is not None:
                return moved
        if word in _SKIP:
            return self._skip(item)
        if word in _HINT:
            return self._hint(item)
        if word in SOLUTION_WORDS:
            if not self.feedback:
                return Refused("solutions are shown at the end of the exam")
            item.solution_shown = True
            self._finish(item)
            return SolutionShown(item)
        return self._answer(item, text)

    def is_command(self, line: str) -> bool:
        """Whether ``line`` is a command here rather than an answer (it ends a working at once)."""
        word = " ".join(line.strip().lower().split())
        if word in _HELP | QUIT_WORDS | _SKIP | _HINT | SOLUTION_WORDS:
            return True
        item = self.current
        nav = word in _FLAG | _BACK or _GOTO.match(word) is not None
        b_is_back = word == "b" and item is not None and not item.question.options
        return self.exam and (nav or b_is_back)

    def _answer(self, item: Item, text: str) -> Event:
        lines = [text]
        if "\n" in text:  # a working: several lines, the last one the answer
            from dlstudy.study.working import split_lines

            lines = split_lines(text)
            text = lines[-1] if lines else ""
        if text.startswith("="):
            text = text[1:].strip()
        if not text:
            return Invalid("empty answer: type your answer, or help for the commands")
        try:
            grade = item.question.grade(text)
            working = self._working(item, lines) if len(lines) > 1 else None
        except DlstudyError as exc:  # AnswerError: unreadable input is explained, not counted
            return Invalid(exc.message, exc.detail, getattr(exc, "heading", Invalid.heading))
        revised = item.done
        if len(lines) <= 1:
            item.working_lines = None  # a later one-line answer replaces an earlier working
        item.answer = text
        item.grade = grade
        item.working = working
        item.skipped = item.blank = False
        self._finish(item)
        return Answered(item, revised=revised)

    def _working(self, item: Item, lines: list[str]) -> Any:
        """The working checked line by line (feedback modes only; an exam reads its lines, so an
        unreadable one is asked again, and grades the last)."""
        from dlstudy.study import working

        if not self.feedback:
            working.read_lines(lines, tuple(getattr(item.question.expected, "symbols", ())))
            item.working_lines = lines
            return None
        return working.working_for(item.question, lines)

    def _unchecked_working(self, item: Item) -> bool:
        return bool(item.working_lines) and item.grade is not None and not item.correct

    def workings_to_check(self) -> int:
        """Exam: how many wrong answers came with a working that :meth:`check_workings` checks."""
        return sum(self._unchecked_working(item) and item.working is None for item in self.items)

    def check_workings(self) -> None:
        """Exam, after the hand-in: the working of each wrong expression answer checked line by
        line, for the report (each step CPU-limited, as in the quiz)."""
        from dlstudy.study import working

        for item in self.items:
            if self._unchecked_working(item) and item.working is None:
                try:
                    item.working = working.working_for(item.question, item.working_lines)
                except DlstudyError:  # read at answer time; a failure here leaves it unchecked
                    item.working = None

    def _skip(self, item: Item) -> Event:
        if self.exam and item.grade is not None:  # moving on from an answered question
            self._advance()
            return self._moved()
        revised = item.done
        item.skipped = True
        self._finish(item)
        return Skipped(item, revised=revised)

    def _navigate(self, item: Item, word: str) -> Event | None:
        """Exam commands that move or mark; None when ``word`` is not one of them."""
        if word in _FLAG:
            item.flagged = not item.flagged
            return Flagged(item)
        if word in _BACK or (word == "b" and not item.question.options):
            return self.goto(max(0, self.index - 1))
        m = _GOTO.match(word)
        if m:
            return self.goto(int(m.group(1)) - 1)
        return None

    def goto(self, index: int) -> Event:
        """Exam: go to question ``index`` (0-based)."""
        if not 0 <= index < len(self.items):
            return Invalid(f"there is no question {index + 1}: the exam has 1 to {len(self.items)}")
        self._pause_current()
        self.confirming = None
        self.index = index
        return self._moved()

    def _moved(self) -> Event:
        if self.index >= len(self.items):
            return self.ask_hand_in("end")
        return Moved(self.items[self.index])

    def _hint(self, item: Item) -> Event:
        if not self.feedback:
            return Refused("hints are not available in an exam")
        hints = item.question.hints
        if item.hints_shown >= len(hints):
            return Hint(None, item.hints_shown, len(hints))
        item.hints_shown += 1
        return Hint(hints[item.hints_shown - 1], item.hints_shown, len(hints))

    def _pause_current(self) -> None:
        """Exam: add the time spent on the question being left to its total."""
        if self.index < len(self.items):
            item = self.items[self.index]
            if item.started is not None:
                item.seconds += self.clock() - item.started
                item.started = None

    def _finish(self, item: Item) -> None:
        if self.exam:
            self._pause_current()
        else:
            item.seconds = self.clock() - (
                item.started if item.started is not None else self.started
            )
        self._advance()

    def _advance(self) -> None:
        if not self.exam:
            self.index += 1
            return
        self._pause_current()
        self.index += 1
        if self.index >= len(self.items):  # past the last question: the overview, then hand in
            self.ask_hand_in("end")

    # -- the exam's overview and hand-in ---------------------------------------------------------

    def ask_hand_in(self, reason: str) -> Overview:
        """Exam: show the overview and ask before handing in (``end``, ``quit``, ``interrupt``)."""
        self._pause_current()
        if self.confirming is None:
            self.return_to = min(self.index, len(self.items) - 1)
        self.confirming = reason
        return Overview(reason)

    def _confirm(self, line: str) -> Event:
        word = " ".join(line.strip().lower().split())
        if word in _YES:
            return self.hand_in("done" if all(i.answered for i in self.items) else "quit")
        if word in _HELP:
            return HelpShown(HELP_CONFIRM)
        if word in _BACK or word == "b":
            return self.goto(len(self.items) - 1)
        m = _GOTO.match(word)
        if m:
            return self.goto(int(m.group(1)) - 1)
        if word in _NO:
            target = self.return_to
            if self.confirming == "end":
                open_ = [k for k, i in enumerate(self.items) if i.flagged or not i.answered]
                target = open_[0] if open_ else len(self.items) - 1
            return self.goto(target)
        return Invalid("type y to hand in, n to go back to the questions, or goto N")

    def hand_in(self, reason: str) -> HandedIn:
        """Exam: end now; questions not answered are left blank."""
        self._pause_current()
        self.confirming = None
        for item in self.items:
            if not item.done:
                item.blank = True
        self.ended_by = reason
        return HandedIn()

    def overview(self) -> dict[str, list[int]]:
        """Exam: 1-based question numbers answered, skipped or blank, and flagged."""
        out: dict[str, list[int]] = {"answered": [], "blank": [], "flagged": []}
        for k, item in enumerate(self.items, 1):
            out["answered" if item.answered else "blank"].append(k)
            if item.flagged:
                out["flagged"].append(k)
        return out

    def submit_at_deadline(self, text: str) -> Event | None:
        """Exam: the answer being typed when the time ran out, graded if it can be read."""
        item = self.current
        if item is None or not text.strip() or not self.exam:
            return None
        text = text.strip()
        lines = None
        if "\n" in text:  # a working: its last line is the answer
            from dlstudy.study.working import read_lines, split_lines

            lines = split_lines(text)
            text = (lines or [""])[-1]
        if text.startswith("="):
            text = text[1:].strip()
        try:
            grade = item.question.grade(text)
        except DlstudyError as exc:
            return Invalid(exc.message, exc.detail)
        if lines is not None and len(lines) > 1:
            try:
                read_lines(lines, tuple(getattr(item.question.expected, "symbols", ())))
            except DlstudyError:
                lines = None  # the answer counts; an unreadable working is not checked
        revised = item.done
        item.working_lines = lines if lines is not None and len(lines) > 1 else None
        item.answer, item.grade = text, grade
        item.skipped = False
        self._pause_current()
        return Answered(item, revised=revised)

    def expire(self) -> TimeUp:
        """The time limit has passed: the question in progress stays as it was."""
        self.hand_in("time")
        return TimeUp()

    def end(self, reason: str) -> None:
        """End early (``quit``, ``eof``, ``interrupted``) or normally (``done``)."""
        if self.ended_by is None:
            if self.exam:
                self.hand_in(reason)
            else:
                self.ended_by = reason

    # -- more of the same ------------------------------------------------------------------------

    def insert_variant(self, source: Any) -> Item:
        """Ask ``source`` (another variant of a template) next."""
        item = Item(source)
        self.items.insert(self.index, item)
        return item

    # -- results ---------------------------------------------------------------------------------

    def ended_items(self) -> list[Item]:
        """The questions that ended (answered, solution shown, skipped, or blank in an exam)."""
        return [i for i in self.items if i.done]

    def summary(self) -> list[SectionSummary]:
        """Per section (in the order first met): questions ended, right, skipped, score and time."""
        out: dict[str, SectionSummary] = {}
        for item in self.ended_items():
            section = item.template.section
            s = out.setdefault(section, SectionSummary(section))
            s.asked += 1
            s.answered += int(item.answered)
            s.correct += int(item.correct)
            s.skipped += int(item.skipped or item.blank)
            s.solutions += int(item.solution_shown)
            s.score += item.score
            s.seconds += item.seconds
        return list(out.values())

    def to_review(self) -> list[str]:
        """Sections to review next: those below full marks, weakest first."""
        weak = [s for s in self.summary() if s.fraction < 1.0]
        weak.sort(key=lambda s: (s.fraction, -s.asked))
        return [s.section for s in weak]

    def missed(self) -> list[Item]:
        """Questions answered wrongly, given up, skipped or (in an exam) left blank."""
        return [i for i in self.ended_items() if not i.correct]
