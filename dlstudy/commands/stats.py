"""``dlstudy stats``: progress by section, weakest sections, accuracy over time."""

from __future__ import annotations

from pathlib import Path

import typer

from dlstudy.app import app


@app.command()
def stats(
    json_: bool = typer.Option(False, "--json", help="One JSON object on stdout."),
    export: Path = typer.Option(
        None, "--export", help="Also write every attempt to FILE (.csv or .json)."
    ),
    bank: list[Path] = typer.Option(
        None, "--bank", help="Extra folder (or file) of question templates."
    ),
    check: bool = typer.Option(
        False, "--check", help="List the damaged rows of the progress store (exit 1 if any)."
    ),
    repair: bool = typer.Option(
        False, "--repair", help="With --check: move damaged rows to a quarantine table."
    ),
) -> None:
    """Your progress: accuracy and mastery per section, your named mistakes, dated session scores.

    Mastery is the predicted chance of a right answer on the exam date (dlstudy plan), or in 7 days: the FSRS recall of each template then, times your accuracy on it shrunk toward the section's (Laplace prior); templates never practised count 0.

    Example:  dlstudy stats --export progress.csv
    """
    from dlstudy.ui.reports import run_stats

    code = run_stats(as_json=json_, export_to=export, bank_dirs=bank, check=check, repair=repair)
    if code:
        raise typer.Exit(code)
