"""Which questions a session asks.

* quiz / exam: ``n`` templates drawn at random (seeded) from the selection, each with its own question
  seed; with ``n`` larger than the selection, templates repeat with new seeds. ``quiz --mistakes`` draws
  from the templates where named mistakes were made, the most frequent first.
* review: the templates whose FSRS card is due (most overdue first), then new templates, ``limit`` in
  all. New templates follow the exam plan when an exam date is set (its quota for today, weakest
  sections first, see :mod:`dlstudy.study.plan`), else the order of the notes, at most ``new_per_day``
  a day.
* cram (``review --cram``): the ``limit`` templates of lowest mastery (never practised ones count 0).

A draw is a template and a seed; the question is built only when it is shown (:class:`Draw`), so a long
session starts at once. The session seed fixes everything: the same seed and bank give the same
questions.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from dlstudy.errors import DlstudyError
from dlstudy.sections import check_section

#: Question seeds are drawn from 1..QUESTION_SEEDS (short enough to type back into ``dlstudy check``).
QUESTION_SEEDS = 9999
#: The most questions one quiz, exam or review asks (``--n``, ``--limit``, ``--new``).
MAX_QUESTIONS = 500
#: Session seeds are whole numbers from 0 to MAX_SEED (stored as SQLite integers).
MAX_SEED = 10**18
#: New templates a day in a review without an exam plan.
DEFAULT_NEW_PER_DAY = 5


@dataclass(frozen=True)
class Draw:
    """A template and a question seed: the question, built when first needed."""

    template: Any
    seed: int

    @property
    def ref(self) -> str:
        return f"{self.template.id}:{self.seed}"

    def instantiate(self) -> Any:
        return self.template.instantiate(self.seed)


def new_session_seed() -> int:
    """A fresh random session seed (shown to the student so the session can be replayed)."""
    return random.SystemRandom().randrange(1, 1_000_000)


def check_count(option: str, n: int, *, minimum: int = 1, maximum: int = MAX_QUESTIONS) -> int:
    """An ``--n``/``--limit``/``--new`` value within its documented range."""
    if n < minimum:
        low = "at least 1" if minimum == 1 else f"{minimum} or more"
        raise DlstudyError(f"{option} must be {low}, not {_shown(n)}")
    if n > maximum:
        raise DlstudyError(f"{option} must be at most {maximum}, not {_shown(n)}")
    return n


def _shown(n: int) -> str:
    """``n`` as typed, or its length when it would fill the screen."""
    text = str(n)
    return text if len(text) <= 24 else f"a number of {len(text.lstrip('-')):,} digits"


def check_seed(seed: int | None) -> int | None:
    if seed is not None and not 0 <= seed <= MAX_SEED:
        raise DlstudyError(f"--seed must be a whole number from 0 to 10^18, not {_shown(seed)}")
    return seed


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


def _selection(bank: Any, sections: Sequence[str] | None, difficulty: int | None) -> list[Any]:
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
    return templates


def draws_from(templates: Sequence[Any], n: int, seed: int) -> list[Draw]:
    """``n`` draws cycling through ``templates`` in seeded random orders."""
    check_count("--n", n)
    rng = random.Random(seed)
    chosen: list[Any] = []
    while len(chosen) < n:
        batch = list(templates)
        rng.shuffle(batch)
        chosen.extend(batch[: n - len(chosen)])
    return [Draw(t, rng.randint(1, QUESTION_SEEDS)) for t in chosen]


def draw(
    bank: Any,
    *,
    n: int,
    seed: int,
    sections: Sequence[str] | None = None,
    difficulty: int | None = None,
) -> list[Draw]:
    """``n`` draws for a quiz or an exam, reproducible from ``seed``."""
    check_count("--n", n)
    return draws_from(_selection(bank, sections, difficulty), n, seed)


def choose(
    bank: Any,
    *,
    n: int,
    seed: int,
    sections: Sequence[str] | None = None,
    difficulty: int | None = None,
) -> list[Any]:
    """The questions of :func:`draw`, built."""
    return [
        d.instantiate()
        for d in draw(bank, n=n, seed=seed, sections=sections, difficulty=difficulty)
    ]


def mistake_templates(
    bank: Any, mistakes: Sequence[Any], sections: Sequence[str] | None = None
) -> list[Any]:
    """The bank's templates where the named ``mistakes`` (:class:`~dlstudy.study.stats.MistakeStats`,
    most frequent first) were made, in that order, each once."""
    available = {t.id: t for t in bank.select(sections=sections, difficulty=None)}
    out: list[Any] = []
    for m in mistakes:
        for tid, _ in m.templates:
            if tid in available and available[tid] not in out:
                out.append(available[tid])
    return out


def mistake_draws(templates: Sequence[Any], n: int, seed: int) -> list[Draw]:
    """``n`` draws from the mistake templates: each in turn, most frequent mistake first."""
    check_count("--n", n)
    rng = random.Random(seed)
    return [Draw(templates[k % len(templates)], rng.randint(1, QUESTION_SEEDS)) for k in range(n)]


def variant(d: Any, seed: int) -> Draw:
    """Another variant of the same template (a question seed other than the one of ``d``)."""
    rng = random.Random(seed)
    while True:
        s = rng.randint(1, QUESTION_SEEDS)
        if s != d.seed:
            return Draw(d.template, s)


@dataclass
class ReviewPlan:
    due: list[Any] = field(default_factory=list)  # templates
    new: list[Any] = field(default_factory=list)
    new_allowed: int = 0
    quota: int = 0  # new templates for today in all (the plan's, or --new)
    introduced_today: int = 0
    unseen: int = 0  # templates of the selection never introduced
    next_due: tuple[str, datetime] | None = None
    planned: bool = False  # the quota comes from the exam plan

    @property
    def templates(self) -> list[Any]:
        return self.due + self.new


def plan_review(
    bank: Any,
    store: Any,
    *,
    limit: int,
    new_per_day: int | None,
    sections: Sequence[str] | None = None,
    when: datetime | None = None,
    exam_plan: Any = None,
) -> ReviewPlan:
    """The templates to review now (see the module docstring). ``exam_plan``
    (a :class:`~dlstudy.study.plan.StudyPlan`) sets today's new templates unless ``new_per_day`` is
    given."""
    check_count("--limit", limit)
    if new_per_day is not None:
        check_count("--new", new_per_day, minimum=0)
    available = {t.id: t for t in bank.select(sections=sections, difficulty=None)}
    due = [available[tid] for tid, _ in store.due(when) if tid in available][:limit]
    seen = set(store.cards())
    today = store.introduced_today(when)
    fresh = [t for tid, t in available.items() if tid not in seen]  # the bank's order: the notes
    planned = exam_plan is not None and new_per_day is None
    if planned:
        quota = exam_plan.today_new
        rank = {tid: k for k, tid in enumerate(exam_plan.order)}
        fresh.sort(key=lambda t: rank.get(t.id, len(rank)))
    else:
        quota = DEFAULT_NEW_PER_DAY if new_per_day is None else new_per_day
    allowed = max(0, quota - today)
    new = fresh[: max(0, min(allowed, limit - len(due)))]
    return ReviewPlan(
        due=due,
        new=new,
        new_allowed=allowed,
        quota=quota,
        introduced_today=today,
        unseen=len(fresh),
        next_due=store.next_due(),
        planned=planned,
    )


def review_draws(templates: Sequence[Any], seed: int) -> list[Draw]:
    rng = random.Random(seed)
    return [Draw(t, rng.randint(1, QUESTION_SEEDS)) for t in templates]


def review_questions(plan: ReviewPlan, seed: int) -> list[Any]:
    return [d.instantiate() for d in review_draws(plan.templates, seed)]


def cram_templates(
    bank: Any,
    template_mastery: Mapping[str, float],
    *,
    limit: int,
    sections: Sequence[str] | None = None,
) -> list[Any]:
    """The ``limit`` templates of lowest mastery (never practised: 0), ties in the notes' order."""
    check_count("--limit", limit)
    available = list(bank.select(sections=sections, difficulty=None))
    order = {t.id: k for k, t in enumerate(available)}
    ranked = sorted(available, key=lambda t: (template_mastery.get(t.id, 0.0), order[t.id]))
    return ranked[:limit]
