"""What the ``quiz``, ``exam`` and ``review`` commands do, as plain functions.

Every option is checked before the bank is read or the store opened (exit 2 with a message): ``--n``,
``--limit`` and ``--new`` at most :data:`~dlstudy.study.select.MAX_QUESTIONS`, ``--seed`` from 0 to
10^18, ``--minutes`` a finite number above 0 and at most :data:`MAX_MINUTES`.
"""

from __future__ import annotations

import math
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

#: The longest exam (minutes).
MAX_MINUTES = 24 * 60


def load_bank(extra_dirs: Sequence[Path] | None = None) -> Any:
    """The built-in question bank plus ``--bank`` folders (the bank checks them). Tests replace this
    function to run the commands on a fake bank."""
    from dlstudy.bank import load_bank as _load

    return _load(extra_dirs=list(extra_dirs or []))


def check_seconds(seconds: float) -> float:
    """An exam's time limit: finite, above 0, at most :data:`MAX_MINUTES` minutes."""
    if not math.isfinite(seconds) or seconds <= 0 or seconds > MAX_MINUTES * 60:
        shown = f"{seconds / 60:g}" if math.isfinite(seconds) else str(seconds)
        raise DlstudyError(
            f"--minutes must be more than 0 and at most {MAX_MINUTES} (24 hours), not {shown}"
        )
    return seconds


def _run(
    draws: list[Any],
    mode: str,
    *,
    store: Store,
    seed: int,
    time_limit: float | None = None,
    show_solutions: bool = False,
) -> Session:
    runner = Runner(
        Session(draws, mode=mode, time_limit=time_limit),
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


def _checked(
    sections: Sequence[str] | None, n: int, difficulty: int | None, seed: int | None
) -> tuple[list[str] | None, int | None, int]:
    wanted = select.check_sections(sections)
    difficulty = select.check_difficulty(difficulty)
    select.check_count("--n", n)
    select.check_seed(seed)
    return wanted, difficulty, select.new_session_seed() if seed is None else seed


def run_quiz(
    *,
    sections: Sequence[str] | None,
    n: int,
    difficulty: int | None,
    seed: int | None,
    bank_dirs: Sequence[Path] | None,
    show_solutions: bool,
    mistakes: bool = False,
) -> Session | None:
    wanted, difficulty, seed = _checked(sections, n, difficulty, seed)
    bank = load_bank(bank_dirs)
    if not mistakes:
        draws = select.draw(bank, n=n, seed=seed, sections=wanted, difficulty=difficulty)
    with Store() as store:
        if mistakes:
            from dlstudy.study.stats import mistakes as named

            templates = select.mistake_templates(bank, named(store.attempts()), wanted)
            if not templates:
                console().print(
                    render.Text(
                        "No named mistakes recorded yet"
                        + (" in these sections" if wanted else "")
                        + ": nothing to practise. (dlstudy stats lists them as they happen.)"
                    )
                )
                return None
            draws = select.mistake_draws(templates, n, seed)
            _intro(
                f"Quiz on your mistakes: {_count(len(draws))} from {len(templates)} templates "
                f"(seed {seed}). Type help for the commands."
            )
        else:
            _intro(f"Quiz: {_count(len(draws))} (seed {seed}). Type help for the commands.")
        return _run(draws, "quiz", store=store, seed=seed, show_solutions=show_solutions)


def run_exam(
    *,
    sections: Sequence[str] | None,
    n: int,
    difficulty: int | None,
    seconds: float,
    seed: int | None,
    bank_dirs: Sequence[Path] | None,
) -> Session:
    check_seconds(seconds)
    wanted, difficulty, seed = _checked(sections, n, difficulty, seed)
    draws = select.draw(
        load_bank(bank_dirs), n=n, seed=seed, sections=wanted, difficulty=difficulty
    )
    with Store() as store:
        _intro(
            f"Exam: {_count(len(draws))} in {render.clock(seconds)} (seed {seed}). No feedback "
            "until the end; b/goto N go back, flag marks, q shows the overview before handing in."
        )
        return _run(draws, "exam", store=store, seed=seed, time_limit=seconds)


def run_review(
    *,
    sections: Sequence[str] | None,
    limit: int,
    new_per_day: int | None,
    seed: int | None,
    bank_dirs: Sequence[Path] | None,
    show_solutions: bool,
    cram: bool = False,
) -> Session | None:
    wanted = select.check_sections(sections)
    select.check_count("--limit", limit)
    if new_per_day is not None:
        select.check_count("--new", new_per_day, minimum=0)
    select.check_seed(seed)
    if seed is None:
        seed = select.new_session_seed()
    bank = load_bank(bank_dirs)
    with Store() as store:
        if cram:
            return _cram(bank, store, limit=limit, sections=wanted, seed=seed, show=show_solutions)
        from dlstudy.study.plan import plan_from_store

        exam_plan = plan_from_store(bank, store) if new_per_day is None else None
        plan = select.plan_review(
            bank,
            store,
            limit=limit,
            new_per_day=new_per_day,
            sections=wanted,
            exam_plan=exam_plan,
        )
        if not plan.templates:
            console().print(render.Text(_nothing_due(plan, exam_plan)))
            return None
        source = " (today's share of the exam plan)" if plan.planned and plan.new else ""
        _intro(
            f"Review: {len(plan.due)} due, {len(plan.new)} new{source} (seed {seed}). "
            "Type help for the commands."
        )
        draws = select.review_draws(plan.templates, seed)
        return _run(draws, "review", store=store, seed=seed, show_solutions=show_solutions)


def _nothing_due(plan: select.ReviewPlan, exam_plan: Any) -> str:
    from dlstudy.ui.session_report import when_text

    lines = ["Nothing to review now."]
    if plan.next_due is not None:
        template, due = plan.next_due
        lines.append(f"Next review due {when_text(due)}: {template}.")
    else:
        lines.append("No template has been studied yet.")
    if plan.unseen == 0:
        lines.append("Every template of the selection has been introduced.")
    elif exam_plan is not None and plan.planned and exam_plan.today_new == 0:
        lines.append(
            f"The exam plan has no new template today (exam on {exam_plan.exam_date}; "
            "see dlstudy plan). dlstudy review --cram practises the weakest templates."
        )
    elif plan.quota == 0:
        lines.append(f"--new 0: no new templates today ({plan.unseen} not studied yet).")
    elif plan.new_allowed == 0:
        source = "the exam plan's" if plan.planned else f"{plan.quota}"
        lines.append(
            f"Today's new templates are done ({source} a day; {plan.unseen} not studied yet). "
            "--new N raises the limit."
        )
    return "\n".join(lines)


def _cram(
    bank: Any, store: Store, *, limit: int, sections: list[str] | None, seed: int, show: bool
) -> Session:
    from dlstudy.study import stats as stats_mod
    from dlstudy.study.mastery import horizon
    from dlstudy.study.plan import stored_exam_date

    section_of = {tid: t.section for tid, t in bank.templates.items()}
    at = horizon(stored_exam_date(store))
    result = stats_mod.compute(store.attempts(), store.cards(), bank_sections=section_of, at=at)
    templates = select.cram_templates(bank, result.template_mastery, limit=limit, sections=sections)
    _intro(
        f"Cram: the {_count(len(templates))} of lowest mastery (seed {seed}); answers are counted, "
        "the review schedule (FSRS) is left as it is."
    )
    return _run(
        select.review_draws(templates, seed), "cram", store=store, seed=seed, show_solutions=show
    )
