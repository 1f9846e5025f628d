"""``dlstudy exam``: a timed mock exam, graded at the end."""

from __future__ import annotations

from pathlib import Path

import typer

from dlstudy.app import app


@app.command()
def exam(
    minutes: float = typer.Option(30.0, "--minutes", "-m", help="Time limit in minutes."),
    n: int = typer.Option(10, "--n", "-n", help="Number of questions."),
    section: list[str] = typer.Option(
        None, "--section", help="Only this section (repeat, or comma-separate)."
    ),
    difficulty: int = typer.Option(None, "--difficulty", "-d", help="Only difficulty 1, 2 or 3."),
    seed: int = typer.Option(None, "--seed", help="Session seed: the same seed repeats the exam."),
    bank: list[Path] = typer.Option(
        None, "--bank", help="Extra folder (or file) of question templates."
    ),
    seconds: float = typer.Option(None, "--seconds", hidden=True, help="Time limit in seconds."),
) -> None:
    """A timed mock exam, graded at the end with the solutions of the questions missed.

    No feedback until the end (or until time runs out); the remaining time is shown with every question.

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
