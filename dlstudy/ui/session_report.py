"""The end of a session: a quiz/review summary, an exam's overview before the hand-in and its report.

They count what the store holds (one row per question that ended): questions, right, wrong, solutions
shown, skipped or left blank; score = sum of scores / questions; time = the session's real duration.
``dlstudy stats`` prints the same figures for the same session (:mod:`dlstudy.study.stats`).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text

from dlstudy.output import format_number
from dlstudy.ui import render
from dlstudy.ui.render import clock, percent

if TYPE_CHECKING:
    from rich.console import Console

    from dlstudy.study.session import Item, Session


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {many or word + 's'}"


def figures(asked: int, right: int, solutions: int, skipped: int, *, blank: str = "skipped") -> str:
    """ "8 questions: 4 right, 3 wrong (1 solution shown), 1 skipped" (the store's counts)."""
    wrong = asked - right - skipped
    text = f"{plural(asked, 'question')}: {right} right, {wrong} wrong"
    if solutions:
        text += f" ({plural(solutions, 'solution')} shown)"
    if skipped:
        text += f", {skipped} {blank}"
    return text


def when_text(due: datetime, now: datetime | None = None) -> str:
    """ "in 10 min (14:32)", "in 3 days (Fri 8 Mar)": a due time, relative and local."""
    now = now or datetime.now().astimezone()
    seconds = (due - now).total_seconds()
    local = due.astimezone()
    if seconds <= 60:
        return "now"
    if seconds < 3600:
        return f"in {round(seconds / 60)} min ({local:%H:%M})"
    if seconds < 86400:
        hours = round(seconds / 3600)
        return f"in {plural(hours, 'hour')} ({local:%H:%M})"
    days = round(seconds / 86400)
    return f"in {plural(days, 'day')} ({local:%a} {local.day} {local:%b})"


def summary(console: Console, session: Session, *, seed: int | None = None) -> None:
    """The table by section (questions, right, skipped, score, time) and what to review next."""
    rows = session.summary()
    console.print()
    if not rows:
        console.print(Text("No questions answered.", style="dim"))
        return
    table = Table(title="Session summary", box=render._box(console), title_justify="left")
    table.add_column("Section")
    table.add_column("Qs", justify="right")
    table.add_column("Right", justify="right")
    table.add_column("Skipped", justify="right")
    table.add_column("Score", justify="right")
    table.add_column("Time", justify="right")
    for s in rows:
        table.add_row(
            s.section,
            str(s.asked),
            str(s.correct),
            str(s.skipped),
            percent(s.fraction),
            clock(s.seconds),
        )
    asked = sum(s.asked for s in rows)
    right = sum(s.correct for s in rows)
    skipped = sum(s.skipped for s in rows)
    score = sum(s.score for s in rows)
    table.add_section()
    table.add_row(
        "Total",
        str(asked),
        str(right),
        str(skipped),
        percent(score / asked if asked else None),
        clock(session.elapsed()),
        style="bold",
    )
    console.print(table)
    solutions = sum(s.solutions for s in rows)
    console.print(
        Text(
            f"{figures(asked, right, solutions, skipped)}; score "
            f"{percent(score / asked)}; time {clock(session.elapsed())}."
        )
    )
    review = session.to_review()
    if review:
        console.print(Text("Review next: " + ", ".join(review), style="bold"))
        console.print(Text(f"  dlstudy quiz --section {review[0]}", style="dim"))
    else:
        console.print(Text("All right: well done.", style="bold green"))
    missed = session.missed()
    if missed:
        console.print(Text("Missed (re-check later with dlstudy check ID:SEED --answer ...):"))
        for i in missed:
            console.print(Text(f"  {i.template.title}  {i.ref}", style="dim"))
    if seed is not None:
        console.print(
            Text(f"Session seed {seed} (--seed {seed} repeats these questions).", style="dim")
        )


def overview(console: Console, session: Session) -> None:
    """Exam: every question's state (answered, blank, flagged) before the hand-in."""
    ov = session.overview()
    console.print()
    console.rule(Text("Before you hand in"), style="cyan")
    cells = []
    for k, item in enumerate(session.items, 1):
        mark = "answered" if item.answered else "blank"
        cells.append(f"{k:>2} {mark}{' (flagged)' if item.flagged else ''}")
    grid = Table.grid(padding=(0, 3))
    cols = 3 if len(cells) > 6 else 2
    for _ in range(cols):
        grid.add_column()
    for r in range(0, len(cells), cols):
        grid.add_row(*(cells[r : r + cols] + [""] * (cols - len(cells[r : r + cols]))))
    console.print(grid)
    parts = [f"{len(ov['answered'])} answered", f"{len(ov['blank'])} blank"]
    if ov["flagged"]:
        parts.append("flagged: " + ", ".join(map(str, ov["flagged"])))
    remaining = session.remaining()
    if remaining is not None:
        parts.append(f"{clock(remaining, up=True)} left")
    console.print(Text(" · ".join(parts), style="bold"))


def confirm_prompt(session: Session) -> str:
    remaining = session.remaining()
    left = f"[{clock(remaining, up=True)} left] " if remaining is not None else ""
    return f"{left}Hand in now? y: hand in · n: back · goto N > "


def _result(console: Console, item: Item) -> str:
    if item.grade is not None:
        mark = render._mark(console, item.correct)
        return mark.rstrip(".")
    if item.skipped:
        return "skipped"
    return "blank"


def exam_report(console: Console, session: Session, *, seed: int | None = None) -> None:
    """The graded report of an exam (titles with ID:SEED), then the solutions of the questions
    missed."""
    console.print()
    table = Table(title="Exam report", box=render._box(console), title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("Question", ratio=3)
    table.add_column("Your answer", ratio=2, overflow="fold")
    table.add_column("Result", no_wrap=True)
    score = 0.0
    for k, item in enumerate(session.items, 1):
        score += item.score
        question = Text(item.template.title)
        question.append(f"\n{item.ref}", style="dim")
        flag = (" ⚑" if render.unicode_ok(console) else " (flag)") if item.flagged else ""
        result = _result(console, item) + flag
        table.add_row(str(k), question, Text(item.answer or ""), result)
    console.print(table)
    n = len(session.items)
    right = sum(int(i.correct) for i in session.items)
    not_answered = sum(int(not i.answered) for i in session.items)
    reason = {
        "time": " (time ran out)",
        "quit": " (handed in early)",
        "interrupted": " (handed in with Ctrl-C)",
        "terminated": " (the session was stopped)",
        "eof": " (end of input)",
    }.get(session.ended_by or "", "")
    console.print(
        Text(
            f"Score: {format_number(round(score, 2))}/{n} = {percent(score / n if n else None)}"
            f"  ·  time {clock(session.elapsed())}{reason}",
            style="bold",
        )
    )
    console.print(Text(figures(n, right, 0, not_answered, blank="blank") + "."))
    pending = session.workings_to_check()
    if pending:
        console.print(
            Text(f"Checking your working line by line ({plural(pending, 'answer')})…", style="dim")
        )
    session.check_workings()
    for k, item in enumerate(session.items, 1):
        if item.correct:
            continue
        console.print()
        console.rule(Text(f"Question {k}: {item.template.title} ({item.ref})"), style="red")
        console.print(Text(item.question.prompt.strip("\n")))
        if item.grade is not None:
            console.print(Text(f"Your answer: {item.answer}"))
            render._mistake(console, item.grade)
            grade_note = getattr(item.grade, "note", None)
            if grade_note:
                console.print(Text(render.sentence(grade_note) + "."))
            if item.working is not None:
                wrong = item.working.first_wrong is not None
                render.notice(console, item.working.message, "yellow" if wrong else "dim")
        render.solution(console, item.question)
    if seed is not None:
        console.print(Text(f"Session seed {seed} (--seed {seed} repeats this exam).", style="dim"))
