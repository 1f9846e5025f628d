"""rich views of the progress figures: ``dlstudy stats``, ``dlstudy topics`` and ``dlstudy plan``.

Mastery is printed with what it is ("mastery: predicted chance of a right answer on <date>") and rounded
down, so a chance below 1 never shows as 100 %.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from rich.table import Table
from rich.text import Text

from dlstudy.ui import render
from dlstudy.ui.plot import bar_chart
from dlstudy.ui.render import clock, percent
from dlstudy.ui.session_report import plural

if TYPE_CHECKING:
    from rich.console import Console

    from dlstudy.study.plan import StudyPlan
    from dlstudy.study.stats import Stats

#: Dated history lines shown under the chart.
HISTORY_LINES = 8


def chance(x: float | None) -> str:
    """A predicted chance as a percentage, rounded down (0.996 is "99%", never "100%")."""
    if x is None:
        return "–"
    return f"{math.floor(100 * x + 1e-9):.0f}%"


def day_text(when: datetime | date) -> str:
    d = when.astimezone().date() if isinstance(when, datetime) else when
    return d.isoformat()


def mastery_note(at: datetime) -> str:
    return (
        f"mastery: predicted chance of a right answer on {day_text(at)} (FSRS recall then × "
        "your accuracy; templates never practised count 0)"
    )


def _date(ts: str | None) -> str:
    if not ts:
        return "–"
    return datetime.fromisoformat(ts).astimezone().strftime("%Y-%m-%d")


def stats_view(console: Console, stats: Stats, titles: Mapping[str, str]) -> None:
    if not stats.attempts and not stats.skipped:
        console.print(Text("No attempts yet: start with dlstudy quiz.", style="dim"))
        return
    table = Table(title="Progress by section", box=render._box(console), title_justify="left")
    table.add_column("Section")
    table.add_column("Attempts", justify="right")
    table.add_column("Accuracy", justify="right")
    table.add_column("Mastery", justify="right")
    table.add_column("Last seen")
    for s in stats.sections:
        table.add_row(
            s.section, str(s.attempts), percent(s.accuracy), chance(s.mastery), _date(s.last_seen)
        )
    table.add_section()
    table.add_row("Total", str(stats.attempts), percent(stats.accuracy), "", "", style="bold")
    console.print(table)
    console.print(Text(mastery_note(stats.horizon) + ".", style="dim"))
    done = f"{plural(stats.attempts, 'attempt')}"
    if stats.solutions:
        done += f" ({plural(stats.solutions, 'solution')} shown)"
    if stats.skipped:
        done += f", {stats.skipped} skipped"
    sessions = sum(1 for h in stats.history if h.session is not None)
    console.print(
        Text(
            f"{done}; {stats.cards} templates seen, {stats.due_now} due for review now "
            f"(dlstudy review); {clock(stats.seconds)} spent in {plural(sessions, 'session')}."
        )
    )
    if stats.weakest:
        console.print(Text("Weakest: " + ", ".join(stats.weakest), style="bold"))
    _mistakes(console, stats, titles)
    if stats.leeches:
        console.print()
        console.print(Text("Leeches (missed 6 times or more; their worked example comes first):"))
        for tid, n in stats.leeches:
            console.print(Text(f"  {titles.get(tid, tid)} ({tid}) ×{n}"))
    if stats.damaged:
        console.print(
            Text(
                f"{plural(stats.damaged, 'damaged row')} of the store skipped: "
                "dlstudy stats --check lists them.",
                style="yellow",
            )
        )
    _history(console, stats)


def _mistakes(console: Console, stats: Stats, titles: Mapping[str, str]) -> None:
    """The named mistakes, most frequent first, each with the templates where it happens."""
    if not stats.mistakes:
        return
    console.print()
    console.print(Text("Your named mistakes (dlstudy quiz --mistakes practises them):"))
    for m in stats.mistakes[:8]:
        line = Text(f"  ×{m.count} ", style="bold")
        line.append(m.description)
        console.print(line)
        where = ", ".join(f"{titles.get(t, t)} ({t}) ×{n}" for t, n in m.templates[:4])
        console.print(Text(f"      in {where}", style="dim"))
    if len(stats.mistakes) > 8:
        console.print(
            Text(f"  ... and {len(stats.mistakes) - 8} more (stats --json).", style="dim")
        )


def _history(console: Console, stats: Stats) -> None:
    if not stats.history:
        return
    recent = stats.history[-30:]
    console.print()
    console.print(Text("Score by session (a session's summary and exam report figures):"))
    lines = bar_chart(
        [h.fraction for h in recent],
        unicode=render.unicode_ok(console),
        first=recent[0].date[:10],
        last=recent[-1].date[:10],
    )
    for line in lines:
        console.print(Text(line))
    for h in stats.history[-HISTORY_LINES:]:
        text = f"{h.correct} of {h.questions} right"
        if h.solutions:
            text += f", {h.solutions} shown"
        if h.skipped:
            text += f", {h.skipped} {'blank' if h.mode == 'exam' else 'skipped'}"
        console.print(
            Text(f"  {h.date}  {h.mode:<6} {text}; score {percent(h.fraction)}; {clock(h.seconds)}")
        )


def topics_view(
    console: Console, rows: Sequence[dict[str, Any]], claims_known: bool, at: datetime
) -> None:
    table = Table(title="Topics of the notes", box=render._box(console), title_justify="left")
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
            chance(row.get("mastery")),
        )
    console.print(table)
    notes = ["Qs: question templates.", mastery_note(at) + "."]
    if not claims_known:
        notes.append("Claims: the derivation catalogue is not available.")
    else:
        notes.append("Claims: derivations of the notes checked by dlstudy verify.")
    for n in notes:
        console.print(Text(n, style="dim"))


def plan_view(console: Console, plan: StudyPlan, titles: Mapping[str, str]) -> None:
    days_left = (plan.exam_date - plan.today).days
    console.print(
        Text(
            f"Exam on {plan.exam_date:%a} {plan.exam_date.isoformat()} "
            f"(in {plural(days_left, 'day')}); at most {plan.per_day} new templates a day.",
            style="bold",
        )
    )
    if not plan.days:
        console.print(
            Text("The exam is today: dlstudy review --cram practises the weakest templates.")
        )
        return
    table = Table(box=render._box(console))
    table.add_column("Day")
    table.add_column("New", justify="right")
    table.add_column("Reviews", justify="right")
    table.add_column("")
    for k, day in enumerate(plan.days):
        note = ""
        if day.date == plan.today:
            note = "today" + (f" ({plan.introduced_today} done)" if plan.introduced_today else "")
        if k == len(plan.days) - 1:
            note = (note + "; " if note else "") + "last day: review only"
        table.add_row(f"{day.date:%a} {day.date.isoformat()}", str(day.new), str(day.reviews), note)
    console.print(table)
    console.print(
        Text("Reviews: what FSRS will ask that day if every review is answered right.", style="dim")
    )
    order = plan.weakest[:6]
    if order:
        console.print(Text("New templates from the weakest sections first: " + ", ".join(order)))
    if plan.unplaced:
        console.print(
            Text(
                f"{plural(len(plan.unplaced), 'template')} will not be studied before the exam: "
                "raise --per-day, or practise the weakest with dlstudy review --cram.",
                style="yellow",
            )
        )
    today = plan.days[0] if plan.days[0].date == plan.today else None
    if today is not None and today.templates:
        left = today.templates[plan.introduced_today :]
        if left:
            shown = ", ".join(titles.get(t, t) for t in left[:3])
            more = f" and {len(left) - 3} more" if len(left) > 3 else ""
            console.print(Text(f"Today: dlstudy review introduces {shown}{more}."))
