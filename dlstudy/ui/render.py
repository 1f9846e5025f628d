"""rich rendering of questions, feedback and worked solutions (the end of a session:
:mod:`dlstudy.ui.session_report`; statistics, topics and the plan: :mod:`dlstudy.ui.progress_views`).

Everything prints through a ``rich.console.Console`` given by the caller; text from questions is never
interpreted as rich markup. Works at 80 columns, with ``NO_COLOR`` and on dumb terminals (rich drops
colours and cursor control itself; block characters fall back to ASCII when the encoding lacks them).
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any

from rich import box
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from rich.console import Console

    from dlstudy.study.session import Item, Session


def unicode_ok(console: Console) -> bool:
    return (console.encoding or "").lower().replace("-", "").startswith("utf")


def clock(seconds: float | None, *, up: bool = False) -> str:
    """``mm:ss`` (or ``h:mm:ss``), rounded down (up for time remaining)."""
    if seconds is None:
        return "--:--"
    total = max(0, math.ceil(seconds) if up else math.floor(seconds))
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


def percent(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.0f}%"


def _box(console: Console) -> box.Box:
    return box.SQUARE if unicode_ok(console) else box.ASCII


def answer_renderable(question: Any) -> Text:
    """The correct answer as the bank writes it (matrices as its aligned grid, on their own lines)."""
    return Text(question.answer_text.strip("\n"))


# -- questions ------------------------------------------------------------------------------------


def question(console: Console, session: Session, item: Item) -> None:
    from dlstudy.bank.render import safe

    q = item.question
    k, n = session.position
    template = q.template
    parts = [f"Question {k}/{n}", template.section, f"difficulty {template.difficulty}"]
    remaining = session.remaining()
    if remaining is not None:
        parts.append(f"{clock(remaining, up=True)} left")
    else:
        parts.append(f"{clock(session.elapsed())} elapsed")
    console.print()
    console.rule(Text(" · ".join(parts)), style="cyan")
    head = Text()
    head.append(safe(template.title), style="bold")
    head.append("   ")
    head.append(q.ref, style="dim")
    console.print(head)
    prompt = q.prompt.strip("\n")
    options = q.options
    if options and f"a) {options[0]}" not in prompt:
        letters = "abcdefghijklmnopqrstuvwxyz"
        prompt += "\n" + "\n".join(f"{x}) {o}" for x, o in zip(letters, options, strict=False))
    _prompt(console, prompt)


_OPTION = re.compile(r"\s*([a-z])\)\s+(.*)\Z")


def _prompt(console: Console, prompt: str) -> None:
    """The prompt as text; choice lines ``a) ...`` as a grid so a long option wraps under itself."""
    text: list[str] = []
    options: list[tuple[str, str]] = []

    def flush() -> None:
        if text:
            console.print(Text("\n".join(text)))
            text.clear()
        if options:
            grid = Table.grid(padding=(0, 1))
            grid.add_column(no_wrap=True)
            grid.add_column()
            for letter, option in options:
                grid.add_row(f"  {letter})", option)
            console.print(grid)
            options.clear()

    for line in prompt.split("\n"):
        m = _OPTION.match(line)
        if m:
            if text:
                flush()
            options.append((m.group(1), m.group(2)))
        else:
            if options:
                flush()
            text.append(line)
    flush()


def prompt_text(session: Session) -> str:
    """The plain-text prompt of the answer line (no colour: readline must measure it)."""
    remaining = session.remaining()
    if remaining is not None:
        return f"[{clock(remaining, up=True)} left] answer> "
    return "answer> "


def invalid(console: Console, message: str, detail: str = "", heading: str = "") -> None:
    """Input that is asked again: unreadable (``Could not read that``) or read but not gradable as
    given (``Not counted``: too few digits)."""
    console.print(Text(f"{heading or 'Could not read that'}: {message}", style="yellow"))
    if detail:
        console.print(Text(detail))
    console.print(Text("Not counted; try again (help lists the commands).", style="dim"))


def notice(console: Console, message: str, style: str = "yellow") -> None:
    console.print(Text(message, style=style))


def hint(console: Console, text: str | None, number: int, total: int) -> None:
    if text is None:
        msg = "No hints for this question." if total == 0 else "No more hints."
        console.print(Text(msg, style="yellow"))
        return
    console.print(Text(f"Hint {number}/{total}: {text}", style="magenta"))


def _mark(console: Console, right: bool, note: str = "") -> str:
    """The verdict: "✓ Right." or, with a ``note``, "✓ Right, with 2 hints."."""
    word = ("Right" if right else "Wrong") + (f", {note}" if note else "")
    if unicode_ok(console):
        return f"✓ {word}." if right else f"✗ {word}."
    return f"[ok] {word}." if right else f"[x] {word}."


_PLAIN_VERDICTS = {"right", "wrong", "correct", "incorrect", "not correct"}
_OWN_WORD = re.compile(r"[a-z]{2,}\b(?![′'(])")


def feedback(console: Console, item: Item) -> None:
    """After an answer: how it was read, right or wrong (and with how many hints), the correct
    answer, the named mistake."""
    hints = item.hints_shown
    note = "" if not hints else ("with 1 hint" if hints == 1 else f"with {hints} hints")
    grade_feedback(console, item.grade, item.question, note=note)


def sentence(text: str) -> str:
    """``text`` with a capital first letter when it starts with a plain word (``your working …``);
    never a symbol: ``s′ is terminal``, ``δ = …``, ``x`` and ``tanh'`` keep their case."""
    return text[0].upper() + text[1:] if _OWN_WORD.match(text) else text


def verdict_detail(grade: Any) -> str:
    """What the verdict line adds to ✓/✗: the grader's message without the verdict word and
    without the named mistake (shown on its own line)."""
    message = str(grade.message or "")
    for verdict in ("wrong: ", "correct: "):  # the mark already says it
        if message.lower().startswith(verdict):
            message = message[len(verdict) :]
    description = mistake_description(grade)
    if description and message.endswith(description):
        message = message[: -len(description)].rstrip(": ")
    if not message or message.strip(" .!").lower() in _PLAIN_VERDICTS:
        return ""
    return sentence(message)


def mistake_description(grade: Any) -> str:
    """The named mistake in words (its description, never its internal id)."""
    if not getattr(grade, "mistake", None):
        return ""
    return str(getattr(grade, "mistake_feedback", "") or "a known wrong method")


def grade_feedback(console: Console, grade: Any, question: Any, *, note: str = "") -> None:
    """The feedback on one graded answer (the quiz's, and ``dlstudy check``'s)."""
    console.print(Text(grade.read_as, style="dim"))
    right = bool(grade.correct)
    line = Text(_mark(console, right, note), style="bold green" if right else "bold red")
    if not right and 0 < grade.score < 1:
        line.append(f" (partial credit {grade.score:.0%})", style="yellow")
    detail = verdict_detail(grade)
    if detail:
        line.append(" " + detail)
    console.print(line)
    if not right:
        _mistake(console, grade)
        grade_note = getattr(grade, "note", None)
        if grade_note:
            console.print(Text(sentence(grade_note) + "."))
        console.print(Text("Correct answer:", style="bold"))
        console.print(answer_renderable(question))


def _mistake(console: Console, grade: Any) -> None:
    """The named wrong method, when the answer matched one, by its description."""
    description = mistake_description(grade)
    if description:
        text = Text("Recognised mistake: ", style="bold yellow")
        text.append(description)
        console.print(text)


def exam_ack(console: Console, item: Item) -> None:
    console.print(Text(f"{item.grade.read_as}  (recorded)", style="dim"))


def solution(console: Console, q: Any) -> None:
    """The worked solution; it ends with the answer, so the answer is not printed again."""
    console.print(Text("Worked solution:", style="bold"))
    console.print(Text(q.solution_text().rstrip("\n")))


def after_answer_prompt() -> str:
    return "Enter: next · s: worked solution · n: another variant · q: quit > "
