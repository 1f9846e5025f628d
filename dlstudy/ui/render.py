"""rich rendering of questions, feedback, summaries, statistics and the topic map.

Everything prints through a ``rich.console.Console`` given by the caller; text from questions is never
interpreted as rich markup. Works at 80 columns, with ``NO_COLOR`` and on dumb terminals (rich drops
colours and cursor control itself; block characters fall back to ASCII when the encoding lacks them).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich import box
from rich.table import Table
from rich.text import Text

from dlstudy.output import format_number
from dlstudy.ui.plot import bar_chart

if TYPE_CHECKING:
    from rich.console import Console

    from dlstudy.study.session import Item, Session
    from dlstudy.study.stats import Stats


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


def _mark(console: Console, right: bool) -> str:
    if unicode_ok(console):
        return "✓ Right." if right else "✗ Wrong."
    return "[ok] Right." if right else "[x] Wrong."


_PLAIN_VERDICTS = {"right", "wrong", "correct", "incorrect", "not correct"}
_OWN_WORD = re.compile(r"[a-z]{2,}\b(?![′'(])")


def feedback(console: Console, item: Item) -> None:
    """After an answer: how it was read, right or wrong, the correct answer, the named mistake."""
    grade_feedback(console, item.grade, item.question)


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


def grade_feedback(console: Console, grade: Any, question: Any) -> None:
    """The feedback on one graded answer (the quiz's, and ``dlstudy check``'s)."""
    console.print(Text(grade.read_as, style="dim"))
    right = bool(grade.correct)
    line = Text(_mark(console, right), style="bold green" if right else "bold red")
    if not right and 0 < grade.score < 1:
        line.append(f" (partial credit {grade.score:.0%})", style="yellow")
    detail = verdict_detail(grade)
    if detail:
        line.append(" " + detail)
    console.print(line)
    if not right:
        _mistake(console, grade)
        note = getattr(grade, "note", None)
        if note:
            console.print(Text(sentence(note) + "."))
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
    return "Enter: next · s: worked solution · q: quit > "


# -- end of session -------------------------------------------------------------------------------


def summary(console: Console, session: Session, *, seed: int | None = None) -> None:
    """The table by section (score, time) and what to review next."""
    rows = session.summary()
    console.print()
    if not rows:
        console.print(Text("No questions answered.", style="dim"))
        return
    table = Table(title="Session summary", box=_box(console), title_justify="left")
    table.add_column("Section")
    table.add_column("Questions", justify="right")
    table.add_column("Right", justify="right")
    table.add_column("Score", justify="right")
    table.add_column("Time", justify="right")
    for s in rows:
        table.add_row(
            s.section, str(s.asked), str(s.correct), percent(s.fraction), clock(s.seconds)
        )
    asked = sum(s.asked for s in rows)
    score = sum(s.score for s in rows)
    table.add_section()
    table.add_row(
        "Total",
        str(asked),
        str(sum(s.correct for s in rows)),
        percent(score / asked if asked else None),
        clock(session.elapsed()),
        style="bold",
    )
    console.print(table)
    review = session.to_review()
    if review:
        console.print(Text("Review next: " + ", ".join(review), style="bold"))
        console.print(Text(f"  dlstudy quiz --section {review[0]}", style="dim"))
    else:
        console.print(Text("All right: well done.", style="bold green"))
    missed = [i for i in session.missed() if i.done]
    if missed:
        console.print(Text("Missed (re-check later with dlstudy check ID:SEED --answer ...):"))
        for i in missed:
            console.print(Text(f"  {i.question.ref}", style="dim"))
    if seed is not None:
        console.print(
            Text(f"Session seed {seed} (--seed {seed} repeats these questions).", style="dim")
        )


def exam_report(console: Console, session: Session, *, seed: int | None = None) -> None:
    """The graded report of an exam, then the solutions of the questions missed."""
    console.print()
    table = Table(title="Exam report", box=_box(console), title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("Question")
    table.add_column("Your answer")
    table.add_column("Result")
    score = 0.0
    for k, item in enumerate(session.items, 1):
        if item.grade is not None:
            result = _mark(console, item.correct)
            score += item.score
            answer = item.answer or ""
        elif item.skipped:
            result, answer = "skipped", ""
        else:
            result, answer = "not answered", ""
        table.add_row(str(k), item.question.ref, Text(answer), result)
    console.print(table)
    n = len(session.items)
    reason = {"time": " (time ran out)", "quit": " (handed in early)"}.get(
        session.ended_by or "", ""
    )
    console.print(
        Text(
            f"Score: {format_number(round(score, 2))}/{n} = {percent(score / n if n else None)}"
            f"  ·  time {clock(session.elapsed())}{reason}",
            style="bold",
        )
    )
    missed = session.missed()
    for k, item in enumerate(session.items, 1):
        if item not in missed:
            continue
        console.print()
        console.rule(Text(f"Question {k}: {item.question.ref}"), style="red")
        console.print(Text(item.question.prompt.strip("\n")))
        if item.grade is not None:
            console.print(Text(f"Your answer: {item.answer}"))
            _mistake(console, item.grade)
            note = getattr(item.grade, "note", None)
            if note:
                console.print(Text(sentence(note) + "."))
        solution(console, item.question)
    if seed is not None:
        console.print(Text(f"Session seed {seed}.", style="dim"))


# -- stats and topics -----------------------------------------------------------------------------


def _date(ts: str | None) -> str:
    if not ts:
        return "–"
    from datetime import datetime

    return datetime.fromisoformat(ts).astimezone().strftime("%Y-%m-%d")


def stats_view(console: Console, stats: Stats) -> None:
    if not stats.attempts and not stats.skipped:
        console.print(Text("No attempts yet: start with dlstudy quiz.", style="dim"))
        return
    table = Table(title="Progress by section", box=_box(console), title_justify="left")
    table.add_column("Section")
    table.add_column("Attempts", justify="right")
    table.add_column("Accuracy", justify="right")
    table.add_column("Last seen")
    table.add_column("Recall", justify="right")
    for s in stats.sections:
        table.add_row(
            s.section,
            str(s.attempts),
            percent(s.accuracy),
            _date(s.last_seen),
            percent(s.retrievability),
        )
    table.add_section()
    table.add_row("Total", str(stats.attempts), percent(stats.accuracy), "", "", style="bold")
    console.print(table)
    console.print(
        Text(
            f"{stats.cards} templates seen, {stats.due_now} due for review now "
            f"(dlstudy review); {clock(stats.seconds)} spent.",
        )
    )
    if stats.weakest:
        console.print(Text("Weakest: " + ", ".join(stats.weakest), style="bold"))
    if stats.history:
        unit = "day" if stats.history_unit == "day" else "session"
        console.print()
        console.print(Text(f"Accuracy by {unit}:"))
        lines = bar_chart(
            [b.accuracy for b in stats.history],
            unicode=unicode_ok(console),
            first=stats.history[0].label,
            last=stats.history[-1].label,
        )
        for line in lines:
            console.print(Text(line))


def topics_view(console: Console, rows: Sequence[dict[str, Any]], claims_known: bool) -> None:
    table = Table(title="Topics of the notes", box=_box(console), title_justify="left")
    table.add_column("Section")
    table.add_column("Title", overflow="fold")
    table.add_column("Claims", justify="right")
    table.add_column("Qs", justify="right")
    table.add_column("Mastery", justify="right")
    chapter = None
    for row in rows:
        if chapter is not None and row["chapter"] != chapter:
            table.add_section()
        chapter = row["chapter"]
        claims = row.get("claims")
        table.add_row(
            row["section"],
            row["title"],
            "–" if claims is None else str(claims),
            str(row.get("templates") if row.get("templates") is not None else "–"),
            percent(row.get("mastery")),
        )
    console.print(table)
    notes = ["Qs: question templates; Mastery: expected recall over the section's templates today."]
    if not claims_known:
        notes.append("Claims: the derivation catalogue is not available.")
    else:
        notes.append("Claims: derivations of the notes checked by dlstudy verify.")
    for n in notes:
        console.print(Text(n, style="dim"))
