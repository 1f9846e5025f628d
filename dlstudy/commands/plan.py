"""``dlstudy plan``: a study plan to the exam date."""

from __future__ import annotations

from pathlib import Path

import typer

from dlstudy.app import app


def plan(
    exam_date: str = typer.Option(
        None, "--exam-date", help="The exam date, YYYY-MM-DD (remembered; today or later)."
    ),
    per_day: int = typer.Option(
        None, "--per-day", help="At most this many new templates a day (remembered; default 10)."
    ),
    clear: bool = typer.Option(False, "--clear", help="Forget the exam date."),
    json_: bool = typer.Option(False, "--json", help="One JSON object on stdout."),
    bank: list[Path] = typer.Option(
        None, "--bank", help="Extra folder (or file) of question templates."
    ),
) -> None:
    """Plan the days to the exam: every template not studied yet gets a day, weakest sections first.

    The last day before the exam is left for review; dlstudy review follows the plan (today's new templates), dlstudy review --cram practises the weakest templates. Mastery in stats and topics is then predicted for the exam date. --json prints {"exam_date": ..., "days": [{"date": ..., "new": N, "reviews": N}, ...]}.

    Example:  dlstudy plan --exam-date {date}
    """
    from dlstudy.ui.reports import run_plan

    run_plan(exam_date=exam_date, per_day=per_day, clear=clear, as_json=json_, bank_dirs=bank)


def _example_date() -> str:
    """A date two months from today: the help's example must run whenever it is read."""
    import datetime as dt

    return (dt.date.today() + dt.timedelta(days=60)).isoformat()


plan.__doc__ = (plan.__doc__ or "").replace("{date}", _example_date())
app.command()(plan)
