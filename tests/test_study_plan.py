"""The study plan to the exam date: hand-computed plans for a small bank, the review that follows it,
and the cram selection.

The fake bank, in the order of the notes: fake.add1, fake.add2 (perceptron), fake.add3, fake.choice
(activations), fake.transpose (convolution), fake.add-rl (mdp).

FSRS intervals used by hand below (the ``fsrs`` package's defaults, 90 % retention, no fuzz; checked in
``test_the_intervals_the_hand_plans_use``): a new card answered right at noon goes through its 10-minute
learning step and is due two days later; answered right then, it is due 11 days later.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from fsrs import Card, Rating, Scheduler

from dlstudy.errors import DlstudyError
from dlstudy.study import plan as plan_mod
from dlstudy.study import select
from dlstudy.study.store import AttemptRecord, Store
from tests.study_fakes import FakeBank

NOW = datetime(2024, 3, 1, 9, 0).astimezone()  # 9:00 local time
ORDER = ["fake.add1", "fake.add2", "fake.add3", "fake.choice", "fake.transpose", "fake.add-rl"]


def _templates():
    return list(FakeBank().select())


def _plan(store: Store, exam: date, per_day: int, now: datetime = NOW) -> plan_mod.StudyPlan:
    return plan_mod.make_plan(
        _templates(),
        store.cards(),
        store.attempts(),
        exam_date=exam,
        per_day=per_day,
        now=now,
        introduced_today=store.introduced_on(now),
    )


def test_the_intervals_the_hand_plans_use():
    sched = Scheduler(desired_retention=0.9, enable_fuzzing=False)
    noon = NOW.replace(hour=12)
    card, _ = sched.review_card(Card(card_id=1, due=noon), Rating.Good, review_datetime=noon)
    assert card.due - noon == timedelta(minutes=10)
    card, _ = sched.review_card(card, Rating.Good, review_datetime=card.due)
    assert card.due - noon == timedelta(days=2, minutes=10)
    card, _ = sched.review_card(card, Rating.Good, review_datetime=card.due)
    assert (card.due - card.last_review).days == 11


def test_fresh_store_plan_by_hand(tmp_path):
    """Exam on 5 March, today 1 March: days 1-4 March, the 4th left for review; 6 templates over 3
    days = 2, 2, 2 in the notes' order (nothing practised: every section at mastery 0). Reviews: the
    templates of 1 March come back on 3 March, those of 2 March on 4 March, those of 3 March on the
    exam day (not counted)."""
    with Store(tmp_path / "p.sqlite3") as store:
        plan = _plan(store, date(2024, 3, 5), per_day=10)
    assert plan.to_json() == {
        "exam_date": "2024-03-05",
        "per_day": 10,
        "days": [
            {"date": "2024-03-01", "new": 2, "reviews": 0},
            {"date": "2024-03-02", "new": 2, "reviews": 0},
            {"date": "2024-03-03", "new": 2, "reviews": 2},
            {"date": "2024-03-04", "new": 0, "reviews": 2},
        ],
        "unplaced": [],
        "introduced_today": 0,
    }
    assert [d.templates for d in plan.days] == [ORDER[0:2], ORDER[2:4], ORDER[4:6], []]
    assert plan.today_new == 2


def test_daily_limit_and_what_does_not_fit(tmp_path):
    """One a day over 3 study days: 3 placed, 3 listed as not fitting; 7 over 3 days front-loads
    (3, 2, 2)."""
    with Store(tmp_path / "p.sqlite3") as store:
        plan = _plan(store, date(2024, 3, 5), per_day=1)
    assert [(d.new, d.reviews) for d in plan.days] == [(1, 0), (1, 0), (1, 1), (0, 1)]
    assert plan.unplaced == ORDER[3:]
    assert plan_mod._spread(7, 3, 10) == [3, 2, 2]
    assert plan_mod._spread(7, 3, 2) == [2, 2, 2]
    assert plan_mod._spread(0, 2, 5) == [0, 0]


def test_exam_tomorrow_and_today():
    """The only day before an exam tomorrow is the last day: review only. An exam today has no day."""
    with Store(":memory:") as store:
        tomorrow = _plan(store, date(2024, 3, 2), per_day=10)
        today = _plan(store, date(2024, 3, 1), per_day=10)
    assert [(d.date, d.new) for d in tomorrow.days] == [(date(2024, 3, 1), 0)]
    assert tomorrow.unplaced == ORDER and tomorrow.today_new == 0
    assert today.days == [] and today.unplaced == ORDER


def _answer(store, template, section, correct, when):
    store.record(
        AttemptRecord(template=template, section=section, seed=1, correct=correct, seconds=30),
        when=when,
    )


def test_weakest_sections_first(tmp_path):
    """Perceptron practised well, activations badly, convolution and mdp never: the unseen
    templates of convolution and mdp (mastery 0) come first, then activations, then perceptron."""
    before = NOW - timedelta(days=2)
    with Store(tmp_path / "p.sqlite3") as store:
        for k in range(3):
            _answer(store, "fake.add1", "perceptron", True, before + timedelta(hours=k))
        _answer(store, "fake.choice", "activations", False, before)
        plan = _plan(store, date(2024, 3, 10), per_day=1)
    assert plan.weakest[:2] == ["convolution", "mdp"]
    assert plan.weakest[2:] == ["activations", "perceptron"]
    assert plan.order == ["fake.transpose", "fake.add-rl", "fake.add3", "fake.add2"]
    assert [d.templates for d in plan.days[:5]] == [[t] for t in plan.order] + [[]]


def test_existing_cards_come_back_on_their_due_day_overdue_ones_today(tmp_path):
    """The oracle for a card's next due day is the fsrs package (its stored due date)."""
    with Store(tmp_path / "p.sqlite3") as store:
        _answer(store, "fake.add1", "perceptron", False, NOW - timedelta(days=3))  # overdue
        _answer(store, "fake.add2", "perceptron", True, NOW - timedelta(hours=1))
        for k in range(3):  # now in review, due in a couple of days
            _answer(store, "fake.add3", "activations", True, NOW - timedelta(days=9 - 3 * k))
        cards = store.cards()
        plan = _plan(store, date(2024, 3, 30), per_day=10)
    due3 = cards["fake.add3"].due.astimezone().date()
    assert NOW.date() < due3 < date(2024, 3, 30)
    assert plan.days[0].reviews >= 1  # the overdue card: today
    first = {}
    for tid in ("fake.add1", "fake.add3"):
        days = plan_mod.project(cards[tid], NOW, [d.date for d in plan.days], plan.exam_date, None)
        first[tid] = days[0]
    assert first == {"fake.add1": NOW.date(), "fake.add3": due3}


def test_templates_introduced_today_keep_todays_quota(tmp_path):
    """Studying today's share does not shrink it: the plan stays the same through the day."""
    with Store(tmp_path / "p.sqlite3") as store:
        morning = _plan(store, date(2024, 3, 5), per_day=10)
        for tid in morning.days[0].templates:
            _answer(store, tid, "perceptron", True, NOW)
        later = _plan(store, date(2024, 3, 5), per_day=10, now=NOW + timedelta(hours=2))
    assert [d.new for d in later.days] == [d.new for d in morning.days] == [2, 2, 2, 0]
    assert later.introduced_today == 2 and later.days[0].templates == morning.days[0].templates


def test_review_follows_the_plan(tmp_path):
    bank = FakeBank()
    with Store(tmp_path / "p.sqlite3") as store:
        store.set_setting(plan_mod.EXAM_DATE_KEY, "2024-03-05")
        exam_plan = plan_mod.plan_from_store(bank, store, NOW)
        assert exam_plan is not None and exam_plan.today_new == 2
        review = select.plan_review(
            bank, store, limit=20, new_per_day=None, exam_plan=exam_plan, when=NOW
        )
        assert review.planned and [t.id for t in review.new] == ORDER[:2]
        # --new given: the plan steps aside
        review = select.plan_review(bank, store, limit=20, new_per_day=4, exam_plan=exam_plan)
        assert not review.planned and len(review.new) == 4
        store.set_setting(plan_mod.EXAM_DATE_KEY, "2024-02-01")  # passed: no plan
        assert plan_mod.plan_from_store(bank, store, NOW) is None


def test_cram_takes_the_lowest_mastery_first():
    bank = FakeBank()
    p = {"fake.add1": 0.9, "fake.add2": 0.1, "fake.add3": 0.5, "fake.choice": 0.05}
    picked = select.cram_templates(bank, p, limit=3)
    # never practised ones count 0 and come first, in the notes' order
    assert [t.id for t in picked] == ["fake.transpose", "fake.add-rl", "fake.choice"]
    picked = select.cram_templates(bank, p, limit=3, sections=["perceptron", "activations"])
    assert [t.id for t in picked] == ["fake.choice", "fake.add2", "fake.add3"]


@pytest.mark.parametrize(
    "text", ["2024-3-05", "2024-02-30", "tomorrow", "20240305", "2024-03-05T10:00", ""]
)
def test_malformed_exam_dates(text):
    with pytest.raises(DlstudyError, match="--exam-date"):
        plan_mod.parse_exam_date(text, date(2024, 3, 1))


def test_past_and_far_exam_dates():
    with pytest.raises(DlstudyError, match="in the past"):
        plan_mod.parse_exam_date("2024-02-29", date(2024, 3, 1))
    with pytest.raises(DlstudyError, match="three years"):
        plan_mod.parse_exam_date("2030-01-01", date(2024, 3, 1))
    assert plan_mod.parse_exam_date("2024-03-01", date(2024, 3, 1)) == date(2024, 3, 1)
