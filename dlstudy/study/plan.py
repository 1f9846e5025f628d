"""A study plan to the exam date (``dlstudy plan --exam-date YYYY-MM-DD``).

The days are today up to the day before the exam. Every template never studied is placed on one of
them, ``per_day`` at most a day, front-loaded (day k of the d left takes min(per_day, ⌈remaining / (d −
k)⌉)), the templates of the weakest sections first (lowest mastery at the exam, see
:mod:`dlstudy.study.mastery`; ties in the order of the notes) and, within a section, in the bank's order.
The last day before the exam takes no new template: it is left for review. Templates that do not fit
are listed (raise ``--per-day``, or cram them with ``review --cram``). Templates introduced today count
toward today's quota, so the plan stays the same through the day.

``reviews`` on a day are the reviews FSRS will ask then if every review is answered right: each card
due that day (overdue cards count today), and each new template's first reviews after the day it is
introduced, projected with the ``fsrs`` scheduler itself (reviews rated Good at noon of the day due, or
at the due time when later). Reviews on the day a template is introduced are part of learning it and are
not counted.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from dlstudy.errors import DlstudyError
from dlstudy.sections import SECTION_IDS
from dlstudy.study import mastery as mastery_mod
from dlstudy.study import schedule
from dlstudy.study.select import MAX_QUESTIONS, check_count

#: Default most new templates a day.
DEFAULT_PER_DAY = 10
#: The furthest exam date a plan is made for.
MAX_DAYS_AHEAD = 3 * 366
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")


def parse_exam_date(text: str, today: date) -> date:
    """``YYYY-MM-DD``, today or later (within three years)."""
    text = text.strip()
    if not _DATE.match(text):
        raise DlstudyError(
            f"--exam-date: expected a date like 2025-06-30 (YYYY-MM-DD), not '{text}'"
        )
    try:
        day = date.fromisoformat(text)
    except ValueError as exc:
        raise DlstudyError(f"--exam-date {text}: {exc}") from None
    if day < today:
        raise DlstudyError(f"--exam-date {text} is in the past (today is {today.isoformat()})")
    if (day - today).days > MAX_DAYS_AHEAD:
        raise DlstudyError(f"--exam-date {text} is more than three years ahead")
    return day


def check_per_day(n: int) -> int:
    return check_count("--per-day", n, maximum=MAX_QUESTIONS)


@dataclass
class PlanDay:
    date: date
    new: int = 0
    reviews: int = 0
    templates: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"date": self.date.isoformat(), "new": self.new, "reviews": self.reviews}


@dataclass
class StudyPlan:
    exam_date: date
    per_day: int
    today: date
    days: list[PlanDay]
    order: list[str]  # every unseen template (and today's new ones) in the plan's order
    unplaced: list[str] = field(default_factory=list)
    introduced_today: int = 0
    weakest: list[str] = field(default_factory=list)  # sections, weakest first

    @property
    def today_new(self) -> int:
        """Today's quota of new templates (those introduced today included)."""
        if self.days and self.days[0].date == self.today:
            return self.days[0].new
        return 0

    def to_json(self) -> dict[str, Any]:
        return {
            "exam_date": self.exam_date.isoformat(),
            "per_day": self.per_day,
            "days": [d.to_json() for d in self.days],
            "unplaced": self.unplaced,
            "introduced_today": self.introduced_today,
        }


def _local(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=datetime.now().astimezone().tzinfo)


def _day_of(when: datetime) -> date:
    return when.astimezone().date()


def project(
    card: schedule.Card, start: datetime, days: Sequence[date], exam: date, skip_day: date | None
) -> list[date]:
    """The days of ``days`` on which FSRS asks ``card`` again before ``exam``, every review answered
    right (rated Good at noon of the day due, or at its due time when later), from ``start`` on;
    reviews on ``skip_day`` are not counted."""
    first = days[0] if days else exam
    out: list[date] = []
    now = start
    for _ in range(400):  # intervals grow; a card is asked at most a few dozen times before an exam
        day = max(_day_of(card.due), first)
        if day >= exam:
            break
        if day != skip_day and (not out or out[-1] != day):
            out.append(day)
        when = max(card.due, _local(day, time(12, 0)), now)
        card = schedule.review(card, schedule.Rating.Good, when)
        now = when
    return out


def make_plan(
    templates: Sequence[Any],
    cards: Mapping[str, schedule.Card],
    attempts: Sequence[Mapping[str, Any]],
    *,
    exam_date: date,
    per_day: int,
    now: datetime | None = None,
    introduced_today: set[str] | None = None,
) -> StudyPlan:
    """The plan (see the module docstring). ``templates`` in the bank's order."""
    now = now or schedule.now_utc()
    today = _day_of(now)
    introduced_today = set(introduced_today or ())
    days = [today + timedelta(days=k) for k in range((exam_date - today).days)]
    section_of = {t.id: t.section for t in templates}
    at = mastery_mod.horizon(exam_date, now)
    p = mastery_mod.masteries(list(attempts), cards, section_of, at)
    members: dict[str, list[str]] = {}
    for t in templates:
        members.setdefault(t.section, []).append(t.id)
    section_mastery = {s: sum(p[t] for t in ids) / len(ids) for s, ids in members.items()}
    order_of = {
        s: (SECTION_IDS.index(s) if s in SECTION_IDS else len(SECTION_IDS)) for s in members
    }
    weakest = sorted(members, key=lambda s: (section_mastery[s], order_of[s], s))
    rank = {s: k for k, s in enumerate(weakest)}
    position = {t.id: k for k, t in enumerate(templates)}
    to_place = [t.id for t in templates if t.id not in cards or t.id in introduced_today]
    to_place.sort(key=lambda tid: (rank[section_of[tid]], position[tid]))
    # today's new templates already studied stay on today
    to_place.sort(key=lambda tid: tid not in introduced_today)

    plan_days = [PlanDay(d) for d in days]
    study = plan_days[:-1]  # the last day before the exam is left for review
    counts = _spread(len(to_place), len(study), per_day, first_at_least=len(introduced_today))
    k = 0
    for day, count in zip(study, counts, strict=True):
        day.templates = to_place[k : k + count]
        day.new = len(day.templates)
        k += count
    unplaced = to_place[k:]

    for tid, card in cards.items():
        if tid in section_of:  # a template introduced today: its reviews today are learning it
            skip = today if tid in introduced_today else None
            for d in project(card, now, days, exam_date, skip):
                plan_days[(d - today).days].reviews += 1
    for day in study:
        for tid in day.templates:
            if tid in introduced_today:
                continue
            start = max(now, _local(day.date, time(12, 0)))
            card = schedule.Card(card_id=1, due=start)
            for d in project(card, start, days, exam_date, day.date):
                plan_days[(d - today).days].reviews += 1
    return StudyPlan(
        exam_date=exam_date,
        per_day=per_day,
        today=today,
        days=plan_days,
        order=to_place,
        unplaced=unplaced,
        introduced_today=len(introduced_today),
        weakest=weakest,
    )


def _spread(total: int, days: int, per_day: int, first_at_least: int = 0) -> list[int]:
    """``total`` over ``days`` days, at most ``per_day`` a day, front-loaded: day k of the d left takes
    min(per_day, ⌈remaining / (d − k)⌉); the first day at least ``first_at_least`` (already done)."""
    out = []
    remaining = total
    for k in range(days):
        take = min(per_day, math.ceil(remaining / (days - k))) if remaining > 0 else 0
        if k == 0:
            take = min(remaining, max(take, first_at_least))
        out.append(take)
        remaining -= take
    return out


#: Keys of the store's settings table.
EXAM_DATE_KEY = "exam_date"
PER_DAY_KEY = "plan_per_day"


def stored_exam_date(store: Any) -> date | None:
    """The exam date remembered in the store (None when unset or unreadable)."""
    text = store.setting(EXAM_DATE_KEY)
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def stored_per_day(store: Any) -> int:
    text = store.setting(PER_DAY_KEY)
    try:
        n = int(text) if text else DEFAULT_PER_DAY
    except ValueError:
        return DEFAULT_PER_DAY
    return n if 1 <= n <= MAX_QUESTIONS else DEFAULT_PER_DAY


def plan_from_store(bank: Any, store: Any, now: datetime | None = None) -> StudyPlan | None:
    """The plan for the exam date remembered in the store (None: no date, or the exam has passed)."""
    now = now or schedule.now_utc()
    exam = stored_exam_date(store)
    if exam is None or exam < _day_of(now):
        return None
    return make_plan(
        list(bank.select(sections=None, difficulty=None)),
        store.cards(),
        store.attempts(),
        exam_date=exam,
        per_day=stored_per_day(store),
        now=now,
        introduced_today=store.introduced_on(now),
    )
