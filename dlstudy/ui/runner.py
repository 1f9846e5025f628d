"""The terminal loop of a session: show the question, read a line, let the session react, save what
finished (before any feedback is shown), render the event.

* End of input ends the session gracefully (an exam is handed in). Ctrl-C ends a quiz with its summary,
  then exits 130; in an exam it shows the overview and asks before handing in (a second Ctrl-C hands
  in). SIGTERM and SIGHUP end the session the same way (marked ended, exam handed in), then exit
  128 + the signal.
* In an exam the remaining time is drawn at every prompt, a warning interrupts the wait at 5 and at 1
  minute left (the prompt is drawn again with the text typed so far), and the answer being typed when
  the time runs out is submitted.
* After the worked solution (``s``) a terminal waits for Enter before the next question, and a solution
  longer than the screen is shown a page at a time (:meth:`Runner.show_solution`); piped, nothing waits.
* After a wrong answer a terminal offers ``n``: another variant of the same template, asked next.
* A leech (a template failed :data:`~dlstudy.study.stats.LEECH_FAILURES` times or more) is announced
  and a worked example of another variant is shown before the question.
* In a review, each answer says when its template comes back.

:meth:`Runner.read_answer` is the one place an answer is read: a question that needs several lines
extends it there.
"""

from __future__ import annotations

import contextlib
import random
import signal
from typing import TYPE_CHECKING, Any

from dlstudy.errors import DlstudyError
from dlstudy.study import select
from dlstudy.study.session import (
    QUIT_WORDS,
    SOLUTION_WORDS,
    Answered,
    Flagged,
    HandedIn,
    HelpShown,
    Hint,
    Invalid,
    Item,
    Moved,
    Quit,
    Refused,
    Session,
    Skipped,
    SolutionShown,
    TimeUp,
)
from dlstudy.study.stats import LEECH_FAILURES, failures
from dlstudy.study.store import AttemptRecord
from dlstudy.study.working import MAX_LINES as MAX_WORKING_LINES
from dlstudy.ui import render, session_report
from dlstudy.ui.terminal import MAX_LINE_BYTES, LineReader, LineTooLong, TimeExpired

if TYPE_CHECKING:
    from rich.console import Console

    from dlstudy.study.store import Store

#: Seconds left at which an exam warns (when the exam is longer than that).
WARNINGS = (300.0, 60.0)
#: The prompt of the second and later lines of a working (an expression question).
CONTINUATION_PROMPT = "   ...> "


class Terminated(Exception):
    """SIGTERM or SIGHUP arrived: end the session, then exit 128 + ``signum``."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"signal {signum}")
        self.signum = signum


def mistake_description(grade: Any) -> str | None:
    """The human description of the named mistake a grade carries (None: no named mistake)."""
    if grade is None or not grade.mistake:
        return None
    return grade.mistake_feedback or "a known wrong method"  # never the internal id


def record_of(item: Item, mode: str, session_id: int | None) -> AttemptRecord:
    """What the store keeps of a finished question."""
    grade = item.grade
    return AttemptRecord(
        template=item.template.id,
        section=item.template.section,
        seed=int(item.source.seed),
        mode=mode,
        answer=item.answer,
        read_as=grade.read_as if grade is not None else None,
        correct=item.correct,
        score=item.score,
        misconception=grade.mistake if grade is not None else None,
        mistake_text=mistake_description(grade),
        hints_used=item.hints_shown,
        solution_shown=item.solution_shown,
        skipped=item.skipped or item.blank,
        seconds=item.seconds,
        difficulty=item.template.difficulty,
        session_id=session_id,
    )


class Runner:
    """Drives one :class:`Session` in the terminal and saves every finished question."""

    def __init__(
        self,
        session: Session,
        *,
        store: Store,
        console: Console,
        reader: LineReader,
        seed: int | None = None,
        show_solutions: bool = False,
        working: bool | None = None,
    ) -> None:
        #: whether an expression question reads a working of several lines (in a terminal; piped
        #: input keeps its contract of one line per answer, so answers never shift)
        self.working = reader.interactive if working is None else working
        self.session = session
        self.store = store
        self.console = console
        self.reader = reader
        self.seed = seed
        self.show_solutions = show_solutions
        self.session_id: int | None = None
        self._warned: set[float] = set()
        self._variants = random.Random(seed)
        self._failures: dict[str, int] = {}
        self._leeches_shown: set[str] = set()

    # -- the session -----------------------------------------------------------------------------

    def run(self) -> Session:
        s = self.session
        self.session_id = self.store.start_session(s.mode, self.seed, len(s.items))
        if s.mode != "exam":
            self._failures = failures(self.store.attempts())
        interrupted = False
        terminated: Terminated | None = None
        try:
            with _signals_as_exceptions():
                self._loop()
        except KeyboardInterrupt:
            s.end("interrupted")
            interrupted = True
            self.console.print()
        except Terminated as exc:
            s.end("terminated")
            terminated = exc
        except BaseException:
            s.end("error")
            with contextlib.suppress(DlstudyError):  # the first failure is the news
                self.store.end_session(self.session_id, "error", s.elapsed())
            with contextlib.suppress(Exception):
                self._report()
            raise
        s.end("done")
        try:
            self._save_blanks()
            self.store.end_session(self.session_id, s.ended_by or "done", s.elapsed())
        finally:
            with contextlib.suppress(OSError):  # a lost terminal (SIGHUP) cannot be written
                self._report()
        if interrupted:
            raise KeyboardInterrupt
        if terminated is not None:
            raise SystemExit(128 + terminated.signum)
        return s

    def _loop(self) -> None:
        s = self.session
        shown: Item | None = None
        while not s.finished:
            if s.confirming:
                shown = None
                if not self._confirm():
                    break
                continue
            item = s.present()
            if item is None:
                break
            if item is not shown:
                self._show_question(item)
                shown = item
            try:
                line = self.read_answer(item)
            except TimeExpired as expired:
                self._deadline(expired.partial)
                break
            except LineTooLong as long:
                self._too_long(long)
                if long.stop:
                    s.end("eof")
                    break
                continue
            except KeyboardInterrupt:
                if not s.exam:
                    raise
                self.console.print()
                self._show(s.ask_hand_in("interrupt"))
                continue
            if line is None:
                s.end("eof")
                break
            event = s.handle(line)
            if isinstance(event, Moved):
                shown = None
            self._save(event)
            if not self._show(event):
                break

    def read_answer(self, item: Item) -> str | None:
        """One answer line for ``item``; for an expression question a working of several lines
        (joined by newlines) until an empty line, the end of input, or at once for a command."""
        first = self._read(lambda: render.prompt_text(self.session))
        if (
            first is None
            or not first.strip()
            or not self.working
            or getattr(item.question, "kind", None) != "expression"
            or self.session.is_command(first)
        ):
            return first
        lines = [first]
        while len(lines) <= MAX_WORKING_LINES:  # one more: refused as too many, not left over
            try:
                line = self._read(CONTINUATION_PROMPT)
            except TimeExpired as expired:  # the working so far and the line being typed
                raise TimeExpired("\n".join([*lines, expired.partial])) from None
            except LineTooLong as long:
                self._too_long(long)
                if long.stop:
                    break
                continue
            if line is None or not line.strip():
                break
            lines.append(line)
        return "\n".join(lines)

    def _read(self, prompt: Any) -> str | None:
        """A line, with the exam's deadline and its warnings."""
        s = self.session
        remaining = s.remaining()
        if remaining is None:
            return self.reader.read(prompt)
        alerts = []
        for w in WARNINGS:
            if w in self._warned or s.time_limit is None or s.time_limit <= w:
                continue
            if remaining <= w:  # passed while the screen was drawn: say it now
                self._warn_time(w)
            else:
                alerts.append((remaining - w, lambda w=w: self._warn_time(w)))
        return self.reader.read(prompt, timeout=remaining, alerts=alerts)

    def _warn_time(self, w: float) -> None:
        self._warned.update(x for x in WARNINGS if x >= w)
        minutes = round(w / 60)
        text = "1 minute left" if minutes == 1 else f"{minutes} minutes left"
        render.notice(
            self.console,
            f"{text}: the answer being typed when the time runs out is submitted.",
            "bold yellow",
        )

    def _deadline(self, partial: str) -> None:
        """The time ran out while an answer was being typed: submit it, then end the exam."""
        s = self.session
        self.console.print()
        event = s.submit_at_deadline(partial)
        if isinstance(event, Answered):
            self._save(event)
            render.notice(self.console, f"Submitted what you were typing: {partial.strip()}", "dim")
        elif isinstance(event, Invalid):
            render.notice(
                self.console, f"What you were typing could not be read ({event.message}).", "dim"
            )
        self._show(s.expire())

    def _too_long(self, long: LineTooLong) -> None:
        what = "stopping: the input has no line end in sight" if long.stop else "not read"
        render.notice(
            self.console,
            f"That input line is longer than {MAX_LINE_BYTES:,} bytes: {what} (not counted).",
        )

    def _confirm(self) -> bool:
        """Exam: the overview, then hand in or go back. False ends the loop."""
        s = self.session
        session_report.overview(self.console, s)
        try:
            line = self._read(lambda: session_report.confirm_prompt(s))
        except TimeExpired:
            self._show(s.expire())
            return False
        except LineTooLong as long:
            self._too_long(long)
            if long.stop:
                s.end("eof")
                return False
            return True
        except KeyboardInterrupt:  # the second Ctrl-C hands in
            self.console.print()
            s.hand_in("interrupted")
            raise
        if line is None:
            s.end("eof")
            return False
        event = s.handle(line)
        return self._show(event)

    # -- saving ----------------------------------------------------------------------------------

    def _save(self, event: Any) -> None:
        if not isinstance(event, Answered | SolutionShown | Skipped):
            return
        item = event.item
        if item.answered and not item.correct:
            tid = item.template.id
            self._failures[tid] = self._failures.get(tid, 0) + 1
        rec = record_of(item, self.session.mode, self.session_id)
        if item.attempt_id is None:
            item.attempt_id = self.store.record(rec)
        else:
            self.store.revise(item.attempt_id, rec)

    def _save_blanks(self) -> None:
        """Exam: questions not answered at the hand-in are stored as blank (skipped) rows."""
        for item in self.session.items:
            if item.blank and item.attempt_id is None:
                item.attempt_id = self.store.record(
                    record_of(item, self.session.mode, self.session_id)
                )

    # -- showing ---------------------------------------------------------------------------------

    def _show_question(self, item: Item) -> None:
        s = self.session
        if s.feedback:
            self._leech(item)
        render.question(self.console, s, item)
        if self.working and getattr(item.question, "kind", None) == "expression":
            render.notice(
                self.console,
                "You may write your working over several lines, one expression per line: "
                "an empty line submits, the last line is your answer.",
                "dim",
            )
        if s.exam and item.answer is not None:
            render.notice(self.console, f"Your answer so far: {item.answer}", "dim")
        elif s.exam and item.flagged:
            render.notice(self.console, "Flagged.", "dim")

    def _leech(self, item: Item) -> None:
        tid = item.template.id
        missed = self._failures.get(tid, 0)
        if missed < LEECH_FAILURES or tid in self._leeches_shown:
            return
        self._leeches_shown.add(tid)
        render.notice(
            self.console,
            f"Leech: you have missed \u201c{item.template.title}\u201d {missed} times. "
            "Study a worked example first, then try this variant.",
            "bold magenta",
        )
        example = select.variant(item.source, self._variants.randint(1, 10**9)).instantiate()
        self.show_solution(example, pause="Enter: try the question > ")

    def show_solution(self, question: Any, pause: str | None = "Enter: next question > ") -> None:
        """The worked solution; in a terminal a page at a time, then (``pause``) wait for Enter."""
        if not self.reader.interactive:
            render.solution(self.console, question)
            return
        with self.console.capture() as cap:
            render.solution(self.console, question)
        lines = cap.get().rstrip("\n").split("\n")
        height = max(5, self.console.size.height - 2)
        for start in range(0, len(lines), height):
            self.console.file.write("\n".join(lines[start : start + height]) + "\n")
            self.console.file.flush()
            if start + height < len(lines):
                more = self.reader.read("-- more: Enter · q: skip the rest -- ")
                if more is None or more.strip().lower() in QUIT_WORDS:
                    break
        if pause:
            self.reader.pause(pause)

    def _show(self, event: Any) -> bool:
        """Render one event; False ends the loop."""
        c = self.console
        s = self.session
        if isinstance(event, Answered):
            if not s.feedback:
                render.exam_ack(c, event.item)
                if event.revised:
                    render.notice(c, "(replaces your earlier answer)", "dim")
                return True
            render.feedback(c, event.item)
            if event.item.working is not None:
                wrong = event.item.working.first_wrong is not None
                render.notice(c, event.item.working.message, "yellow" if wrong else "dim")
            self._comes_back(event.item)
            if event.item.grade.correct:
                return True
            if self.show_solutions:
                render.solution(c, event.item.question)
                return True
            return self._after_wrong(event.item)
        if isinstance(event, SolutionShown):
            render.notice(c, "Solution shown: counted as not known.", "yellow")
            self._comes_back(event.item)
            self.show_solution(event.item.question)
            return True
        if isinstance(event, Skipped):
            render.notice(c, "Left blank." if s.exam else "Skipped.", "dim")
            return True
        if isinstance(event, Flagged):
            k = s.items.index(event.item) + 1
            text = (
                f"Question {k} flagged: listed before you hand in."
                if event.item.flagged
                else f"Question {k} unflagged."
            )
            render.notice(c, text, "dim")
            return True
        if isinstance(event, Invalid):
            render.invalid(c, event.message, event.detail, getattr(event, "heading", ""))
            return True
        if isinstance(event, Hint):
            render.hint(c, event.text, event.number, event.total)
            return True
        if isinstance(event, Refused):
            render.notice(c, event.message)
            return True
        if isinstance(event, HelpShown):
            c.print(render.Text(event.text))
            return True
        if isinstance(event, TimeUp):
            c.print()
            render.notice(c, "Time is up.", "bold red")
            return False
        if isinstance(event, HandedIn | Quit):
            return False
        return True  # Moved, Overview: the loop draws the question or the overview next

    def _comes_back(self, item: Item) -> None:
        """Review: when the template's card is due again."""
        if self.session.mode != "review":
            return
        due = self.store.due_of(item.template.id)
        if due is not None:
            render.notice(self.console, f"Comes back {session_report.when_text(due)}.", "dim")

    def _after_wrong(self, item: Item) -> bool:
        """After a wrong answer at a terminal: Enter for the next question, s for the solution, n for
        another variant of the same template."""
        if not self.reader.interactive:
            return True
        while True:
            line = self.reader.read(render.after_answer_prompt())
            if line is None:
                self.session.end("eof")
                return False
            word = line.strip().lower()
            if word in SOLUTION_WORDS:
                self.show_solution(item.question, pause=None)
                continue
            if word in ("n", "new", "variant"):
                self.session.insert_variant(
                    select.variant(item.source, self._variants.randint(1, 10**9))
                )
                return True
            if word in QUIT_WORDS:
                self.session.end("quit")
                return False
            return True

    def _report(self) -> None:
        if self.session.exam:
            session_report.exam_report(self.console, self.session, seed=self.seed)
            return
        session_report.summary(self.console, self.session, seed=self.seed)
        if self.session.mode == "review":
            nxt = self.store.next_due()
            if nxt is not None:
                template, due = nxt
                render.notice(
                    self.console,
                    f"Next review due {session_report.when_text(due)}: {template}.",
                    "bold",
                )


@contextlib.contextmanager
def _signals_as_exceptions() -> Any:
    """SIGTERM and SIGHUP raise :class:`Terminated` while a session runs (main thread only)."""

    def handler(signum: int, frame: Any) -> None:
        raise Terminated(signum)

    previous: dict[int, Any] = {}
    for name in ("SIGTERM", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is None:
            continue
        try:
            previous[sig] = signal.signal(sig, handler)
        except ValueError:  # not the main thread
            pass
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
