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
) -> None:
    """Your progress by section, the weakest sections and accuracy over time.

    Per section: attempts, accuracy, last seen and FSRS recall (retrievability).

    Example:  dlstudy stats --export progress.csv
    """
    from dlstudy.ui.reports import run_stats

    run_stats(as_json=json_, export_to=export, bank_dirs=bank)
