"""``dlstudy review``: spaced repetition of the templates due (FSRS)."""

from __future__ import annotations

from pathlib import Path

import typer

from dlstudy.app import app


@app.command()
def review(
    limit: int = typer.Option(20, "--limit", "-l", help="At most this many questions (1-500)."),
    new: int = typer.Option(
        None,
        "--new",
        help="New templates a day (default: the exam plan's share when an exam date is set, "
        "else 5).",
    ),
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
    cram: bool = typer.Option(
        False,
        "--cram",
        help="Practise the weakest templates now without changing their review schedule.",
    ),
) -> None:
    """Spaced review (FSRS) of the question templates due, and new ones (the exam plan's share).

    One FSRS card per template, rated from what happened: wrong or solution shown: Again; right after hints: Hard; right: Good; a fast right answer on a difficulty-1 template: Easy. Each answer says when its template comes back.

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
        cram=cram,
    )
