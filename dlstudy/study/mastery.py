"""Mastery: the predicted chance of answering a template right on a horizon date.

For a template t practised n_t times (answers graded, or given up with the solution shown, which counts
as wrong; skips do not count), k_t of them right, in a section with k_s right of n_s::

    a_s = (k_s + 1) / (n_s + 2)                 Laplace's rule of succession over the section
    a_t = (k_t + C·a_s) / (n_t + C),  C = 1      the template's accuracy, shrunk toward its section's
    R_t = FSRS retrievability of t's card at the horizon h (the ``fsrs`` package's
          ``Scheduler.get_card_retrievability``): the chance the method is still remembered on h
    p_t = R_t · a_t                              mastery of t: remembered, and worked out right

A template never practised has p_t = 0 (nothing predicts that it would be answered right), and so has
one whose answers have no card yet (exam answers before the hand-in). The mastery of a section is the
mean of p_t over the section's templates in the bank: the chance of a right answer to a question drawn
from the section on h.

The horizon h is noon (local time) of the exam date when one is set and still ahead, else 7 days from
now.

Two consequences the tests hold it to: after only wrong answers in a section, k_s = 0 so a_s ≤ 1/3 and
a_t ≤ a_s/(1 + C) ≤ 1/6, hence p_t ≤ 1/6; after a single review a_t = (k_t + a_s)/2 < 1 and R_t < 1 at
any horizon after the review, so p_t < 1 (FSRS's own retrievability is 1 right after any review, right
or wrong, and is never shown alone as knowledge).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from dlstudy.study import schedule

#: Prior weight of the section's accuracy in a template's accuracy (in answers).
PRIOR_WEIGHT = 1.0
#: Days ahead of the horizon when no exam date is set.
DEFAULT_HORIZON_DAYS = 7


def horizon(exam_date: date | None, now: datetime | None = None) -> datetime:
    """Noon (local time) of ``exam_date`` when it is still ahead, else ``now`` + 7 days (aware)."""
    now = now or schedule.now_utc()
    if exam_date is not None:
        local = now.astimezone().tzinfo
        at = datetime.combine(exam_date, time(12, 0), tzinfo=local)
        if at > now:
            return at
    return now + timedelta(days=DEFAULT_HORIZON_DAYS)


@dataclass
class Tally:
    """Right answers of all answered attempts."""

    right: int = 0
    answered: int = 0

    def add(self, correct: bool) -> None:
        self.answered += 1
        self.right += int(correct)

    @property
    def laplace(self) -> float:
        return (self.right + 1) / (self.answered + 2)


def tallies(
    attempts: list[Mapping[str, Any]], section_of: Mapping[str, str]
) -> tuple[dict[str, Tally], dict[str, Tally]]:
    """(per template, per section) right/answered counts; skips are not answers."""
    per_t: dict[str, Tally] = {}
    per_s: dict[str, Tally] = {}
    for row in attempts:
        if row.get("skipped"):
            continue
        ok = bool(row.get("correct")) and not row.get("solution_shown")
        template = row["template"]
        section = section_of.get(template) or row.get("section") or "unknown"
        per_t.setdefault(template, Tally()).add(ok)
        per_s.setdefault(section, Tally()).add(ok)
    return per_t, per_s


def accuracy_estimate(t: Tally, s: Tally) -> float:
    """a_t of the module docstring."""
    return (t.right + PRIOR_WEIGHT * s.laplace) / (t.answered + PRIOR_WEIGHT)


def template_mastery(
    card: schedule.Card | None, t: Tally | None, s: Tally | None, at: datetime
) -> float:
    """p_t of the module docstring."""
    if card is None or t is None or t.answered == 0:
        return 0.0
    return schedule.retrievability(card, at) * accuracy_estimate(t, s or Tally())


def masteries(
    attempts: list[Mapping[str, Any]],
    cards: Mapping[str, schedule.Card],
    section_of: Mapping[str, str],
    at: datetime,
) -> dict[str, float]:
    """p_t for every template of ``section_of`` and every template practised."""
    per_t, per_s = tallies(attempts, section_of)
    out = {}
    for template in set(section_of) | set(per_t):
        section = section_of.get(template, "unknown")
        out[template] = template_mastery(
            cards.get(template), per_t.get(template), per_s.get(section), at
        )
    return out
