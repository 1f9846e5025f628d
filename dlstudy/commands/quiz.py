"""``dlstudy quiz``: practise one question at a time with feedback."""

from __future__ import annotations

from pathlib import Path

import typer

from dlstudy.app import app


@app.command()
def quiz(
    section: list[str] = typer.Option(
        None, "--section", help="Only this section (repeat, or comma-separate); see dlstudy topics."
    ),
    n: int = typer.Option(10, "--n", "-n", help="Number of questions (at most 500)."),
    difficulty: int = typer.Option(None, "--difficulty", "-d", help="Only difficulty 1, 2 or 3."),
    seed: int = typer.Option(
        None, "--seed", help="Session seed (0 to 10^18): the same seed repeats the session."
    ),
    bank: list[Path] = typer.Option(
        None, "--bank", help="Extra folder (or file) of question templates."
    ),
    solutions: bool = typer.Option(
        False, "--solutions", help="Show the worked solution after every wrong answer."
    ),
    mistakes: bool = typer.Option(
        False,
        "--mistakes",
        help="Practise the templates where you made named mistakes (see dlstudy stats).",
    ),
) -> None:
    """Quiz yourself: randomized questions with feedback, hints (?) and worked solutions (s).

    Every answer is saved at once; q, Ctrl-D or the end of piped input stop with progress kept. In a terminal, after a wrong answer: n asks another variant of the same question.

    Example:  dlstudy quiz --section convolution --n 5
    """
    from dlstudy.ui.sessions import run_quiz

    run_quiz(
        sections=section,
        n=n,
        difficulty=difficulty,
        seed=seed,
        bank_dirs=bank,
        show_solutions=solutions,
        mistakes=mistakes,
    )
