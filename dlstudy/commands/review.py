"""``dlstudy review``: spaced repetition of the templates due (FSRS)."""

from __future__ import annotations

from pathlib import Path

import typer

from dlstudy.app import app


@app.command()
def review(
    limit: int = typer.Option(20, "--limit", "-l", help="At most this many questions."),
    new: int = typer.Option(5, "--new", help="New templates introduced per day."),
    section: list[str] = typer.Option(
        None, "--section", help="Only this section (repeat, or comma-separate)."
    ),
    seed: int = typer.Option(None, "--seed", help="Session seed for the question parameters."),
    bank: list[Path] = typer.Option(
        None, "--bank", help="Extra folder (or file) of question templates."
    ),
    solutions: bool = typer.Option(
        False, "--solutions", help="Show the worked solution after every wrong answer."
    ),
) -> None:
    """Spaced review (FSRS) of the question templates due, and a few new ones a day.

    One FSRS card per template; the rating comes from correctness, hints, solutions and time.

    Example:  dlstudy review --limit 10
    """
    from dlstudy.ui.sessions import run_review

    run_review(
        sections=section,
        limit=limit,
        new_per_day=new,
        seed=seed,
        bank_dirs=bank,
        show_solutions=solutions,
    )
