"""FSRS scheduling through the ``fsrs`` package API, and the review plan."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fsrs import Card, Rating, Scheduler, State

from dlstudy.errors import DlstudyError
from dlstudy.study import schedule, select
from dlstudy.study.store import AttemptRecord, Store
from tests.study_fakes import FakeBank, FakeTemplate

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("correct", "hints", "solution", "seconds", "difficulty", "expected"),
    [
        (False, 0, False, 5, 1, Rating.Again),  # wrong
        (False, 2, False, 500, 3, Rating.Again),
        (True, 0, True, 5, 1, Rating.Again),  # solution shown counts as not known
        (True, 1, False, 5, 1, Rating.Hard),  # right after a hint
        (True, 2, False, 300, 2, Rating.Hard),
        (True, 0, False, 121, 1, Rating.Good),  # slow but right: still right
        (True, 0, False, 19, 1, Rating.Easy),  # fast on a difficulty-1 template
        (True, 0, False, 5, 2, Rating.Good),  # fast on a harder one: Good
        (True, 0, False, 5, 3, Rating.Good),
        (True, 0, False, 20, 1, Rating.Good),  # 20 s is not under 20 s
        (True, 0, False, 5, None, Rating.Good),  # an exam answer (no difficulty): at most Good
        (True, 1, False, 5, None, Rating.Hard),
    ],
)
def test_rating_table(correct, hints, solution, seconds, difficulty, expected):
    assert schedule.rating_for(correct, hints, solution, seconds, difficulty) is expected


def _replay(ratings: list[tuple[int, str]]) -> Card:
    """The oracle: the package's own scheduler fed the logged ratings, without dlstudy."""
    sched = Scheduler(desired_retention=0.9, enable_fuzzing=False)
    card = Card(card_id=1, due=datetime.fromisoformat(ratings[0][1]))
    for rating, ts in ratings:
        card, _ = sched.review_card(
            card, Rating(rating), review_datetime=datetime.fromisoformat(ts)
        )
    return card


def test_stored_card_equals_the_package_replaying_the_log(tmp_path):
    outcomes = [
        (True, 0, 30.0),
        (False, 0, 50.0),
        (True, 1, 20.0),
        (True, 0, 10.0),
        (True, 0, 60.0),
    ]
    with Store(tmp_path / "p.sqlite3") as store:
        for day, (ok, hints, secs) in enumerate(outcomes):
            store.record(
                AttemptRecord(
                    template="t",
                    section="mdp",
                    seed=day,
                    correct=ok,
                    hints_used=hints,
                    seconds=secs,
                ),
                when=T0 + timedelta(days=3 * day),
            )
        card = store.cards()["t"]
        log = [(r["rating"], r["ts"]) for r in store.review_log()]
    assert [r for r, _ in log] == [Rating.Good, Rating.Again, Rating.Hard, Rating.Easy, Rating.Good]
    expected = _replay(log)
    assert card.state == expected.state
    assert card.due == expected.due
    assert card.stability == pytest.approx(expected.stability)
    assert card.difficulty == pytest.approx(expected.difficulty)


def test_scheduling_behaviour(tmp_path):
    with Store(tmp_path / "p.sqlite3") as store:
        store.record(AttemptRecord(template="wrong", section="mdp", seed=1, correct=False), when=T0)
        for k in range(4):
            store.record(
                AttemptRecord(template="easy", section="mdp", seed=k, correct=True, seconds=5),
                when=T0 + timedelta(days=k * 10),
            )
        cards = store.cards()
    # a wrong answer: due again within minutes (a learning step)
    assert cards["wrong"].due - T0 <= timedelta(minutes=10)
    # four fast right answers: in review with an interval of weeks
    easy = cards["easy"]
    assert easy.state == State.Review
    assert easy.due - easy.last_review > timedelta(days=14)
    # retrievability from the package: 1 at the review, then decreasing
    r = [schedule.retrievability(easy, easy.last_review + timedelta(days=d)) for d in (0, 5, 50)]
    assert r[0] == pytest.approx(1.0)
    assert r[0] > r[1] > r[2] > 0


def _bank() -> FakeBank:
    return FakeBank(
        [
            FakeTemplate("z.rl", "mdp"),
            FakeTemplate("a.act2", "activations", difficulty=2),
            FakeTemplate("a.act1", "activations", difficulty=1),
            FakeTemplate("p.perc", "perceptron"),
            FakeTemplate("c.conv", "convolution"),
        ]
    )


def test_review_plan_due_first_then_new_in_syllabus_order(tmp_path):
    bank = _bank()
    now = T0 + timedelta(days=30)
    with Store(tmp_path / "p.sqlite3") as store:
        # c.conv reviewed a month ago (wrong → due long ago), z.rl reviewed just now (not due)
        store.record(
            AttemptRecord(template="c.conv", section="convolution", seed=1, correct=False), when=T0
        )
        store.record(
            AttemptRecord(template="z.rl", section="mdp", seed=1, correct=True, seconds=5), when=now
        )
        plan = select.plan_review(bank, store, limit=10, new_per_day=2, when=now)
        assert [t.id for t in plan.due] == ["c.conv"]
        # z.rl was introduced today: one of the two new slots is used
        assert plan.new_allowed == 1
        assert [t.id for t in plan.new] == ["p.perc"]
        plan = select.plan_review(bank, store, limit=10, new_per_day=5, when=now)
        assert [t.id for t in plan.new] == ["p.perc", "a.act1", "a.act2"]
        plan = select.plan_review(bank, store, limit=2, new_per_day=5, when=now)
        assert [t.id for t in plan.templates] == ["c.conv", "p.perc"]
        plan = select.plan_review(bank, store, limit=5, new_per_day=5, sections=["mdp"], when=now)
        assert plan.templates == []
        assert plan.next_due is not None


def test_review_plan_rejects_bad_limits(tmp_path):
    with Store(tmp_path / "p.sqlite3") as store:
        with pytest.raises(DlstudyError, match="--limit"):
            select.plan_review(_bank(), store, limit=0, new_per_day=1)
        with pytest.raises(DlstudyError, match="--new"):
            select.plan_review(_bank(), store, limit=3, new_per_day=-1)
