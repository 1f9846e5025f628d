"""A study session as a state machine, free of I/O: lines in, events out.

The terminal front end (:mod:`dlstudy.ui.runner`) reads a line, passes it to :meth:`Session.handle`,
saves the finished question and renders the returned event. The same object serves the three modes:

* ``quiz`` and ``review``: feedback after every answer, hints (``?``) and the solution (``s``) on hand;
* ``exam``: no hints, no solution, no feedback until the end; a time limit.

Questions come from the bank (``Question.grade(text)`` raises ``AnswerError``, a ``DlstudyError``, for
input it cannot read: such input is explained and asked again, never counted).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from dlstudy.errors import DlstudyError

MODES = ("quiz", "exam", "review")

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
  help  this list                 =s     the literal answer "s" (=q, =?)"""

HELP_EXAM = """\
Type your answer and press Enter: it is read back, graded at the end.
Commands:
  skip  leave this question blank     q     hand in now and see the report
  help  this list                     =q    the literal answer "q"
No hints or solutions in an exam."""

_HINT = {"?", "hint"}
SOLUTION_WORDS = {"s", "sol", "solution"}
_SKIP = {"skip", "next"}
QUIT_WORDS = {"q", "quit", "exit"}
_HELP = {"help", "h", "commands"}


@dataclass
class Item:
    """One question of the session and what happened to it."""

    question: Any
    started: float | None = None
    hints_shown: int = 0
    answer: str | None = None
    grade: Any = None
    solution_shown: bool = False
    skipped: bool = False
    seconds: float = 0.0

    @property
    def done(self) -> bool:
        return self.grade is not None or self.solution_shown or self.skipped

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


# -- events ---------------------------------------------------------------------------------------


@dataclass
class Answered:
    item: Item


@dataclass
class Invalid:
    message: str
    detail: str = ""
    heading: str = "Could not read that"


@dataclass
class Hint:
    text: str | None  # None: no hint left
    number: int
    total: int


@dataclass
class SolutionShown:
    item: Item


@dataclass
class Skipped:
    item: Item


@dataclass
class Refused:
    message: str


@dataclass
class HelpShown:
    text: str


@dataclass
class Quit:
    pass


@dataclass
class TimeUp:
    pass


Event = Answered | Invalid | Hint | SolutionShown | Skipped | Refused | HelpShown | Quit | TimeUp


@dataclass
class SectionSummary:
    section: str
    asked: int = 0
    answered: int = 0
    correct: int = 0
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
    ended_by: str | None = field(default=None, init=False)  # "done" | "quit" | "time" | "eof"

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
    def finished(self) -> bool:
        return self.ended_by is not None or self.index >= len(self.items)

    @property
    def current(self) -> Item | None:
        return None if self.finished else self.items[self.index]

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
        item = self.present()
        if item is None:
            return Quit()
        if self.time_up():
            return self.expire()
        text = line.strip()
        word = text.lower()
        if word in _HELP:
            return HelpShown(HELP_QUIZ if self.feedback else HELP_EXAM)
        if word in QUIT_WORDS:
            self.ended_by = "quit"
            return Quit()
        if word in _SKIP:
            item.skipped = True
            self._finish(item)
            return Skipped(item)
        if word in _HINT:
            return self._hint(item)
        if word in SOLUTION_WORDS:
            if not self.feedback:
                return Refused("solutions are shown at the end of the exam")
            item.solution_shown = True
            self._finish(item)
            return SolutionShown(item)
        if text.startswith("="):
            text = text[1:].strip()
        if not text:
            return Invalid("empty answer: type your answer, or help for the commands")
        try:
            grade = item.question.grade(text)
        except DlstudyError as exc:  # AnswerError: unreadable input is explained, not counted
            return Invalid(exc.message, exc.detail, getattr(exc, "heading", Invalid.heading))
        item.answer = text
        item.grade = grade
        self._finish(item)
        return Answered(item)

    def _hint(self, item: Item) -> Event:
        if not self.feedback:
            return Refused("hints are not available in an exam")
        hints = item.question.hints
        if item.hints_shown >= len(hints):
            return Hint(None, item.hints_shown, len(hints))
        item.hints_shown += 1
        return Hint(hints[item.hints_shown - 1], item.hints_shown, len(hints))

    def _finish(self, item: Item) -> None:
        item.seconds = self.clock() - (item.started if item.started is not None else self.started)
        self.index += 1

    def expire(self) -> TimeUp:
        """The time limit has passed: the question in progress stays unanswered."""
        self.ended_by = "time"
        return TimeUp()

    def end(self, reason: str) -> None:
        """End early (``quit``, ``eof``) or normally (``done``)."""
        if self.ended_by is None:
            self.ended_by = reason

    # -- results ---------------------------------------------------------------------------------

    def summary(self) -> list[SectionSummary]:
        """Per section (in the order first met): questions finished, right, score and time."""
        out: dict[str, SectionSummary] = {}
        for item in self.items:
            if not item.done and not (self.mode == "exam" and self.ended_by is not None):
                continue
            section = item.question.template.section
            s = out.setdefault(section, SectionSummary(section))
            s.asked += 1
            s.answered += int(item.answered)
            s.correct += int(item.correct)
            s.score += item.score
            s.seconds += item.seconds
        return list(out.values())

    def to_review(self) -> list[str]:
        """Sections to review next: those below full marks, weakest first."""
        weak = [s for s in self.summary() if s.fraction < 1.0]
        weak.sort(key=lambda s: (s.fraction, -s.asked))
        return [s.section for s in weak]

    def missed(self) -> list[Item]:
        """Questions answered wrongly, given up or (in an exam) left blank."""
        return [
            i
            for i in self.items
            if (i.done and not i.correct) or (self.mode == "exam" and not i.done)
        ]
