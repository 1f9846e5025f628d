"""The terminal loop of a session: show the question, read a line, let the session react, save what
finished (before any feedback is shown), render the event. End of input ends the session gracefully;
Ctrl-C ends it with the summary, then exits 130.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dlstudy.study.session import (
    QUIT_WORDS,
    SOLUTION_WORDS,
    Answered,
    HelpShown,
    Hint,
    Invalid,
    Item,
    Quit,
    Refused,
    Session,
    Skipped,
    SolutionShown,
    TimeUp,
)
from dlstudy.study.store import AttemptRecord
from dlstudy.ui import render
from dlstudy.ui.terminal import LineReader, TimeExpired

if TYPE_CHECKING:
    from rich.console import Console

    from dlstudy.study.store import Store


def record_of(item: Item, mode: str, session_id: int | None) -> AttemptRecord:
    """What the store keeps of a finished question."""
    q = item.question
    grade = item.grade
    return AttemptRecord(
        template=q.template.id,
        section=q.template.section,
        seed=int(q.seed),
        mode=mode,
        answer=item.answer,
        read_as=grade.read_as if grade is not None else None,
        correct=item.correct,
        score=item.score,
        misconception=grade.mistake if grade is not None else None,
        hints_used=item.hints_shown,
        solution_shown=item.solution_shown,
        skipped=item.skipped,
        seconds=item.seconds,
        difficulty=q.template.difficulty,
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
    ) -> None:
        self.session = session
        self.store = store
        self.console = console
        self.reader = reader
        self.seed = seed
        self.show_solutions = show_solutions
        self.session_id: int | None = None

    def run(self) -> Session:
        s = self.session
        self.session_id = self.store.start_session(s.mode, self.seed, len(s.items))
        interrupted = False
        try:
            self._loop()
        except KeyboardInterrupt:
            s.end("quit")
            interrupted = True
            self.console.print()
        finally:
            s.end("done")
            try:
                self.store.end_session(self.session_id)
            finally:
                self._report()
        if interrupted:
            raise KeyboardInterrupt
        return s

    def _loop(self) -> None:
        s = self.session
        shown: Item | None = None
        while not s.finished:
            item = s.present()
            if item is None:
                break
            if item is not shown:
                render.question(self.console, s, item)
                shown = item
            try:
                line = self.reader.read(render.prompt_text(s), timeout=s.remaining())
            except TimeExpired:
                line = ""
                event: Any = s.expire()
            else:
                if line is None:
                    s.end("eof")
                    break
                event = s.handle(line)
            if isinstance(event, Answered | SolutionShown | Skipped):
                self.store.record(record_of(event.item, s.mode, self.session_id))
            if not self._show(event):
                break

    def _show(self, event: Any) -> bool:
        """Render one event; False ends the loop."""
        c = self.console
        if isinstance(event, Answered):
            if not self.session.feedback:
                render.exam_ack(c, event.item)
                return True
            render.feedback(c, event.item)
            if event.item.grade.correct:
                return True
            if self.show_solutions:
                render.solution(c, event.item.question)
                return True
            return self._pause(event.item)
        if isinstance(event, SolutionShown):
            render.notice(c, "Solution shown: counted as not known.", "yellow")
            render.solution(c, event.item.question)
            return True
        if isinstance(event, Skipped):
            render.notice(c, "Skipped.", "dim")
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
        if isinstance(event, Quit):
            return False
        return True

    def _pause(self, item: Item) -> bool:
        """After a wrong answer at a terminal: Enter for the next question, s for the solution."""
        if not self.reader.interactive:
            return True
        while True:
            line = self.reader.read(render.after_answer_prompt())
            if line is None:
                self.session.end("eof")
                return False
            word = line.strip().lower()
            if word in SOLUTION_WORDS:
                render.solution(self.console, item.question)
                continue
            if word in QUIT_WORDS:
                self.session.end("quit")
                return False
            return True

    def _report(self) -> None:
        if self.session.mode == "exam":
            render.exam_report(self.console, self.session, seed=self.seed)
        else:
            render.summary(self.console, self.session, seed=self.seed)
