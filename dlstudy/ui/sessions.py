"""What the ``quiz``, ``exam`` and ``review`` commands do, as plain functions."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dlstudy.errors import DlstudyError
from dlstudy.output import console
from dlstudy.study import select
from dlstudy.study.paths import history_path
from dlstudy.study.session import Session
from dlstudy.study.store import Store
from dlstudy.ui import render
from dlstudy.ui.runner import Runner
from dlstudy.ui.terminal import LineReader


def load_bank(extra_dirs: Sequence[Path] | None = None) -> Any:
    """The built-in question bank plus ``--bank`` folders (the bank checks them). Tests replace this
    function to run the commands on a fake bank."""
    from dlstudy.bank import load_bank as _load

    return _load(extra_dirs=list(extra_dirs or []))


def _run(
    questions: list[Any],
    mode: str,
    *,
    store: Store,
    seed: int,
    time_limit: float | None = None,
    show_solutions: bool = False,
) -> Session:
    runner = Runner(
        Session(questions, mode=mode, time_limit=time_limit),
        store=store,
        console=console(),
        reader=LineReader(history=history_path()),
        seed=seed,
        show_solutions=show_solutions,
    )
    return runner.run()


def _count(n: int) -> str:
    return f"{n} question" if n == 1 else f"{n} questions"


def _intro(text: str) -> None:
    console().print(render.Text(text, style="dim"))


def _choose(
    sections: Sequence[str] | None,
    n: int,
    difficulty: int | None,
    seed: int | None,
    bank_dirs: Sequence[Path] | None,
) -> tuple[int, list[Any]]:
    """The session seed (a new one unless given) and the questions of a quiz or an exam."""
    wanted = select.check_sections(sections)
    difficulty = select.check_difficulty(difficulty)
    if seed is None:
        seed = select.new_session_seed()
    bank = load_bank(bank_dirs)
    return seed, select.choose(bank, n=n, seed=seed, sections=wanted, difficulty=difficulty)


def run_quiz(
    *,
    sections: Sequence[str] | None,
    n: int,
    difficulty: int | None,
    seed: int | None,
    bank_dirs: Sequence[Path] | None,
    show_solutions: bool,
) -> Session:
    seed, questions = _choose(sections, n, difficulty, seed, bank_dirs)
    with Store() as store:
        _intro(f"Quiz: {_count(len(questions))} (seed {seed}). Type help for the commands.")
        return _run(questions, "quiz", store=store, seed=seed, show_solutions=show_solutions)


def run_exam(
    *,
    sections: Sequence[str] | None,
    n: int,
    difficulty: int | None,
    seconds: float,
    seed: int | None,
    bank_dirs: Sequence[Path] | None,
) -> Session:
    if not seconds > 0:
        raise DlstudyError("--minutes must be more than 0")
    seed, questions = _choose(sections, n, difficulty, seed, bank_dirs)
    with Store() as store:
        _intro(
            f"Exam: {_count(len(questions))} in {render.clock(seconds)} (seed {seed}). "
            "No feedback until the end; skip leaves a question blank, q hands in."
        )
        return _run(questions, "exam", store=store, seed=seed, time_limit=seconds)


def run_review(
    *,
    sections: Sequence[str] | None,
    limit: int,
    new_per_day: int,
    seed: int | None,
    bank_dirs: Sequence[Path] | None,
    show_solutions: bool,
) -> Session | None:
    wanted = select.check_sections(sections)
    if seed is None:
        seed = select.new_session_seed()
    bank = load_bank(bank_dirs)
    with Store() as store:
        plan = select.plan_review(
            bank, store, limit=limit, new_per_day=new_per_day, sections=wanted
        )
        if not plan.templates:
            msg = "Nothing to review now."
            if plan.next_due is not None:
                when = plan.next_due.astimezone().strftime("%Y-%m-%d %H:%M")
                msg += f"\nNext review due {when}."
            if plan.new_allowed == 0:
                msg += "\nToday's new templates are done (--new raises the daily limit)."
            console().print(render.Text(msg))
            return None
        _intro(
            f"Review: {len(plan.due)} due, {len(plan.new)} new (seed {seed}). "
            "Type help for the commands."
        )
        questions = select.review_questions(plan, seed)
        return _run(questions, "review", store=store, seed=seed, show_solutions=show_solutions)
