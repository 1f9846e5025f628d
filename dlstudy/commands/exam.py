"""``dlstudy exam``: a timed mock exam, graded at the end."""

from __future__ import annotations

from pathlib import Path

import typer

from dlstudy.app import app


@app.command()
def exam(
    minutes: float = typer.Option(
        30.0, "--minutes", "-m", help="Time limit in minutes (more than 0, at most 1440)."
    ),
    n: int = typer.Option(10, "--n", "-n", help="Number of questions (at most 500)."),
    section: list[str] = typer.Option(
        None, "--section", help="Only this section (repeat, or comma-separate)."
    ),
    difficulty: int = typer.Option(None, "--difficulty", "-d", help="Only difficulty 1, 2 or 3."),
    seed: int = typer.Option(
        None, "--seed", help="Session seed (0 to 10^18): the same seed repeats the exam."
    ),
    bank: list[Path] = typer.Option(
        None, "--bank", help="Extra folder (or file) of question templates."
    ),
    seconds: float = typer.Option(None, "--seconds", hidden=True, help="Time limit in seconds."),
) -> None:
    """A timed mock exam, graded at the end with the solutions of the questions missed.

    No feedback until the end. The time left is shown at every prompt, with a warning at 5 and at 1 minute left; the answer being typed when the time runs out is submitted. b (back) and goto N revisit a question (a new answer replaces the old), flag marks one; after the last question, on q and on Ctrl-C an overview asks before handing in (a second Ctrl-C hands in).

    Example:  dlstudy exam --minutes 20 --n 8
    """
    from dlstudy.ui.sessions import run_exam

    run_exam(
        sections=section,
        n=n,
        difficulty=difficulty,
        seconds=seconds if seconds is not None else minutes * 60.0,
        seed=seed,
        bank_dirs=bank,
    )
