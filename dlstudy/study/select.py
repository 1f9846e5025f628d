"""Which questions a session asks.

* quiz / exam: ``n`` templates drawn at random (seeded) from the selection, each instantiated with its
  own seed; with ``n`` larger than the selection, templates repeat with new seeds.
* review: the templates whose FSRS card is due (most overdue first), then new templates in the order
  of the notes, at most ``new_per_day`` a day, ``limit`` in all.

The session seed fixes everything: the same seed and bank give the same questions.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from dlstudy.errors import DlstudyError
from dlstudy.sections import check_section

#: Question seeds are drawn from 1..QUESTION_SEEDS (short enough to type back into ``dlstudy check``).
QUESTION_SEEDS = 9999


def new_session_seed() -> int:
    """A fresh random session seed (shown to the student so the session can be replayed)."""
    return random.SystemRandom().randrange(1, 1_000_000)


def check_sections(sections: Iterable[str] | None) -> list[str] | None:
    """Validate ``--section`` values (each may be a comma-separated list)."""
    if not sections:
        return None
    out: list[str] = []
    for value in sections:
        for part in value.split(","):
            if part.strip():
                out.append(check_section(part.strip()))
    return out or None


def check_difficulty(difficulty: int | None) -> int | None:
    if difficulty is not None and difficulty not in (1, 2, 3):
        raise DlstudyError(f"--difficulty must be 1, 2 or 3, not {difficulty}")
    return difficulty


def choose(
    bank: Any,
    *,
    n: int,
    seed: int,
    sections: Sequence[str] | None = None,
    difficulty: int | None = None,
) -> list[Any]:
    """``n`` questions for a quiz or an exam, reproducible from ``seed``."""
    if n < 1:
        raise DlstudyError(f"--n must be at least 1, not {n}")
    if not bank.templates:
        problems = list(getattr(bank, "problems", []) or [])
        raise DlstudyError(
            "the question bank has no templates"
            + (f" ({len(problems)} malformed; see dlstudy bank lint)" if problems else ""),
            "Add template files with --bank DIR (see question_bank/FORMAT.md).",
        )
    templates = sorted(bank.select(sections=sections, difficulty=difficulty), key=lambda t: t.id)
    if not templates:
        wanted = []
        if sections:
            wanted.append(f"section {', '.join(sections)}")
        if difficulty is not None:
            wanted.append(f"difficulty {difficulty}")
        raise DlstudyError(
            f"no questions match {' and '.join(wanted) or 'the selection'}",
            "See `dlstudy topics` for the sections that have questions.",
        )
    rng = random.Random(seed)
    chosen: list[Any] = []
    while len(chosen) < n:
        batch = list(templates)
        rng.shuffle(batch)
        chosen.extend(batch[: n - len(chosen)])
    return [t.instantiate(rng.randint(1, QUESTION_SEEDS)) for t in chosen]


@dataclass
class ReviewPlan:
    due: list[Any] = field(default_factory=list)  # templates
    new: list[Any] = field(default_factory=list)
    new_allowed: int = 0
    next_due: datetime | None = None

    @property
    def templates(self) -> list[Any]:
        return self.due + self.new


def plan_review(
    bank: Any,
    store: Any,
    *,
    limit: int,
    new_per_day: int,
    sections: Sequence[str] | None = None,
    when: datetime | None = None,
) -> ReviewPlan:
    """The templates to review now (see the module docstring)."""
    if limit < 1:
        raise DlstudyError(f"--limit must be at least 1, not {limit}")
    if new_per_day < 0:
        raise DlstudyError(f"--new must be 0 or more, not {new_per_day}")
    available = {t.id: t for t in bank.select(sections=sections, difficulty=None)}
    due = [available[tid] for tid, _ in store.due(when) if tid in available][:limit]
    seen = set(store.cards())
    allowed = max(0, new_per_day - store.introduced_today(when))
    fresh = [t for tid, t in available.items() if tid not in seen]  # the bank's order: the notes
    new = fresh[: max(0, min(allowed, limit - len(due)))]
    upcoming = store.next_due()
    return ReviewPlan(due=due, new=new, new_allowed=allowed, next_due=upcoming)


def review_questions(plan: ReviewPlan, seed: int) -> list[Any]:
    rng = random.Random(seed)
    return [t.instantiate(rng.randint(1, QUESTION_SEEDS)) for t in plan.templates]
