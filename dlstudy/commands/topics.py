"""``dlstudy topics``: the map of the notes: claims verified, questions, mastery."""

from __future__ import annotations

from pathlib import Path

import typer

from dlstudy.app import app


@app.command()
def topics(
    json_: bool = typer.Option(False, "--json", help="One JSON object on stdout."),
    bank: list[Path] = typer.Option(
        None, "--bank", help="Extra folder (or file) of question templates."
    ),
) -> None:
    """The map of the notes: per section the claims verified, the questions and your mastery.

    Example:  dlstudy topics
    """
    from dlstudy.ui.reports import run_topics

    run_topics(as_json=json_, bank_dirs=bank)
