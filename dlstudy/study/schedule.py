"""FSRS scheduling through the ``fsrs`` package: one card per question template.

The package does the scheduling (``fsrs.Scheduler.review_card``); this module only decides the rating
of an attempt and converts cards to and from the JSON kept in the store.

Rating of an attempt (:func:`rating_for`), from what happened:

* wrong, or the solution shown → ``Again`` (asking for the solution counts as not known);
* skipped questions are not rated (the card stays as it was);
* right after one or more hints → ``Hard``;
* right without hints on a difficulty-1 template in under ``FAST_SECONDS`` → ``Easy``;
* otherwise right → ``Good`` (a slow right answer is still a right answer).

An exam answer is rated at the hand-in with no difficulty (``difficulty=None``): at most ``Good``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fsrs import Card, Rating, Scheduler

#: Seconds under which a right answer without hints on a difficulty-1 template is rated Easy.
FAST_SECONDS = 20.0

_scheduler: Scheduler | None = None


def scheduler() -> Scheduler:
    """The FSRS scheduler (default parameters, 90 % desired retention, no fuzzing: reproducible)."""
    global _scheduler
    if _scheduler is None:
        _scheduler = Scheduler(desired_retention=0.9, enable_fuzzing=False)
    return _scheduler


def now_utc() -> datetime:
    return datetime.now(UTC)


def rating_for(
    correct: bool,
    hints_used: int,
    solution_shown: bool,
    seconds: float,
    difficulty: int | None = 1,
) -> Rating:
    """The FSRS rating of one attempt (see the module docstring)."""
    if solution_shown or not correct:
        return Rating.Again
    if hints_used > 0:
        return Rating.Hard
    if difficulty == 1 and seconds < FAST_SECONDS:
        return Rating.Easy
    return Rating.Good


def new_card(card_id: int) -> Card:
    """A fresh card, due now. ``card_id`` is given (the package's default sleeps 1 ms)."""
    return Card(card_id=card_id, due=now_utc())


def card_from_json(text: str) -> Card:
    return Card.from_json(text)


def card_to_json(card: Card) -> str:
    return card.to_json()


def review(card: Card, rating: Rating, when: datetime, seconds: float | None = None) -> Card:
    """The card after one review at ``when`` (UTC), scheduled by the package."""
    duration = None if seconds is None else max(0, round(seconds * 1000))
    updated, _log = scheduler().review_card(
        card, rating, review_datetime=when, review_duration=duration
    )
    return updated


def retrievability(card: Card, when: datetime | None = None) -> float:
    """The probability of recall now, as the package computes it (0 for a card never reviewed)."""
    return float(scheduler().get_card_retrievability(card, when or now_utc()))
