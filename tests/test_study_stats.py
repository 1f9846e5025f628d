"""Progress statistics: counts by hand, mastery against the ``fsrs`` package, the session history, named
mistakes and leeches, the terminal plot, and the rendering of summaries and reports."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import pytest
from fsrs import Scheduler
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from dlstudy.study import mastery
from dlstudy.study.session import Session
from dlstudy.study.stats import (
    LEECH_FAILURES,
    compute,
    failures,
    leeches,
    mistakes,
    session_history,
)
from dlstudy.study.store import AttemptRecord, Store
from dlstudy.ui import session_report
from dlstudy.ui.plot import bar_chart
from dlstudy.ui.progress_views import chance
from tests.study_fakes import FakeBank

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
ORACLE = Scheduler(desired_retention=0.9, enable_fuzzing=False)


def row(template, section, correct, day, skipped=False, session=1, seconds=10.0, **kw):
    return {
        "template": template,
        "section": section,
        "correct": None if skipped else int(correct),
        "score": None if skipped else float(correct),
        "skipped": int(skipped),
        "solution_shown": 0,
        "ts": (T0 + timedelta(days=day)).isoformat(),
        "seconds": seconds,
        "session_id": session,
        **kw,
    }


ROWS = [
    row("a", "perceptron", True, 0),
    row("a", "perceptron", False, 0),
    row("b", "perceptron", True, 1),
    row("c", "mdp", False, 1),
    row("c", "mdp", False, 2),
    row("c", "mdp", False, 2, skipped=True),
    row("old", None, True, 2, session=None),  # schema-1 row without a section: found in the bank
]


def test_compute_counts_by_hand():
    bank_sections = {"a": "perceptron", "b": "perceptron", "c": "mdp", "d": "mdp", "old": "td"}
    st_ = compute(ROWS, {}, bank_sections=bank_sections, when=T0 + timedelta(days=3))
    assert (st_.attempts, st_.correct, st_.skipped, st_.solutions) == (6, 3, 1, 0)
    by = {s.section: s for s in st_.sections}
    assert [s.section for s in st_.sections] == ["perceptron", "mdp", "td"]  # order of the notes
    assert (by["perceptron"].attempts, by["perceptron"].correct) == (3, 2)
    assert by["perceptron"].accuracy == pytest.approx(2 / 3)
    assert (by["mdp"].attempts, by["mdp"].correct, by["mdp"].skipped) == (2, 0, 1)
    assert by["mdp"].last_seen == (T0 + timedelta(days=2)).isoformat()
    assert by["mdp"].templates == 2 and by["perceptron"].templates == 2
    assert by["td"].attempts == 1
    # no card at all: nothing is predicted right, every practised section is weak
    assert all(s.mastery == 0 for s in st_.sections)
    assert st_.weakest == ["mdp", "perceptron", "td"]  # mastery ties: lowest accuracy first
    js = st_.to_json()
    assert js["attempts"] == 6 and isinstance(js["sections"], list)
    assert {"mastery", "accuracy", "retrievability"} <= set(js["sections"][0])


def test_solution_shown_is_an_attempt_and_not_right():
    rows = [row("a", "mdp", True, 0, solution_shown=1), row("a", "mdp", True, 0)]
    st_ = compute(rows, {}, bank_sections={"a": "mdp"})
    assert (st_.attempts, st_.correct, st_.solutions) == (2, 1, 1)


def _record(store, template, section, correct, when, **kw):
    store.record(
        AttemptRecord(
            template=template, section=section, seed=1, correct=correct, seconds=30, **kw
        ),
        when=when,
    )


def _laplace(k, n):
    return (k + 1) / (n + 2)


def test_mastery_is_fsrs_recall_at_the_horizon_times_the_shrunk_accuracy(tmp_path):
    """The oracle for R is the fsrs package itself; the accuracy factor is computed by hand."""
    with Store(tmp_path / "p.sqlite3") as store:
        _record(store, "a", "perceptron", True, T0)
        _record(store, "a", "perceptron", False, T0 + timedelta(days=1))
        _record(store, "a", "perceptron", True, T0 + timedelta(days=2))
        _record(store, "b", "perceptron", True, T0 + timedelta(days=2))
        cards, attempts = store.cards(), store.attempts()
    now = T0 + timedelta(days=3)
    at = mastery.horizon(None, now)
    assert at == now + timedelta(days=7)
    st_ = compute(
        attempts,
        cards,
        bank_sections={"a": "perceptron", "b": "perceptron", "c": "perceptron"},
        when=now,
        at=at,
    )
    a_s = _laplace(3, 4)  # 3 right of 4 answers in the section
    p_a = ORACLE.get_card_retrievability(cards["a"], at) * (2 + a_s) / (3 + 1)
    p_b = ORACLE.get_card_retrievability(cards["b"], at) * (1 + a_s) / (1 + 1)
    assert st_.template_mastery["a"] == pytest.approx(p_a)
    assert st_.template_mastery["b"] == pytest.approx(p_b)
    assert st_.template_mastery["c"] == 0
    (p,) = st_.sections
    assert p.mastery == pytest.approx((p_a + p_b + 0) / 3)  # the unseen template counts 0
    assert p.retrievability == pytest.approx(
        (
            ORACLE.get_card_retrievability(cards["a"], now)
            + ORACLE.get_card_retrievability(cards["b"], now)
        )
        / 2
    )


def test_four_wrong_answers_in_a_section_give_a_low_mastery(tmp_path):
    """The issue's scenario: after four wrong answers `stats` showed recall 100 %."""
    bank = {"fake.add1": "perceptron", "fake.add2": "perceptron"}
    with Store(tmp_path / "p.sqlite3") as store:
        before = compute(store.attempts(), store.cards(), bank_sections=bank, when=T0)
        for k in range(4):
            _record(
                store,
                "fake.add1" if k % 2 else "fake.add2",
                "perceptron",
                False,
                T0 + timedelta(minutes=k),
            )
        cards, attempts = store.cards(), store.attempts()
    assert before.sections == []  # nothing practised: no row, topics shows 0
    for now in (T0 + timedelta(minutes=5), T0 + timedelta(days=1)):
        for at in (now + timedelta(seconds=1), mastery.horizon(None, now)):
            st_ = compute(attempts, cards, bank_sections=bank, when=now, at=at)
            (p,) = st_.sections
            assert (
                ORACLE.get_card_retrievability(cards["fake.add1"], now + timedelta(seconds=1))
                > 0.99
            )
            assert p.mastery <= 0.2
            # by hand: a_s = 1/6, a_t = (0 + a_s) / (2 + 1) = 1/18; p = R · 1/18
            r = ORACLE.get_card_retrievability(cards["fake.add1"], at)
            assert st_.template_mastery["fake.add1"] == pytest.approx(r / 18)


def test_one_wrong_attempt_in_backprop(tmp_path):
    """The issue's scenario: after its only attempt, a wrong one, backprop rose from 0 % to 25 %."""
    bank = {f"bp.{k}": "backprop" for k in range(4)}
    with Store(tmp_path / "p.sqlite3") as store:
        _record(store, "bp.0", "backprop", False, T0)
        cards, attempts = store.cards(), store.attempts()
    at = mastery.horizon(None, T0)
    st_ = compute(attempts, cards, bank_sections=bank, when=T0, at=at)
    (bp,) = st_.sections
    r = ORACLE.get_card_retrievability(cards["bp.0"], at)
    assert st_.template_mastery["bp.0"] == pytest.approx(r * (_laplace(0, 1) / 2))
    assert bp.mastery == pytest.approx(r / 6 / 4)
    assert bp.mastery <= 0.2


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 2), min_size=1, max_size=8),
    st.integers(0, 60 * 24 * 40),
)
def test_only_wrong_answers_never_predict_more_than_one_in_six(templates, minutes):
    """k_s = 0 gives a_s ≤ 1/3 and a_t ≤ a_s / 2: p ≤ 1/6 at every horizon, for any pattern."""
    with Store(":memory:") as store:
        for k, t in enumerate(templates):
            _record(store, f"t{t}", "mdp", False, T0 + timedelta(hours=k))
        cards, attempts = store.cards(), store.attempts()
    now = T0 + timedelta(hours=len(templates))
    at = now + timedelta(minutes=minutes)
    st_ = compute(
        attempts, cards, bank_sections={"t0": "mdp", "t1": "mdp", "t2": "mdp"}, at=at, when=now
    )
    assert max(st_.template_mastery.values()) <= 1 / 6 + 1e-12
    assert st_.sections[0].mastery <= 1 / 6 + 1e-12


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 200), st.integers(0, 60 * 24 * 30), st.floats(1, 500))
def test_a_single_review_is_never_full_mastery(other_right, minutes, seconds):
    """However well the rest of the section went, one right answer is not 100 % at any horizon,
    including the moment right after it (where FSRS's retrievability is 1)."""
    with Store(":memory:") as store:
        for _ in range(other_right):
            store.conn.execute(
                "INSERT INTO attempts (ts, template, section, seed, correct, score) "
                "VALUES (?, 'other', 'mdp', 1, 1, 1.0)",
                (T0.isoformat(),),
            )
        store.record(
            AttemptRecord(template="t", section="mdp", seed=1, correct=True, seconds=seconds),
            when=T0,
        )
        cards, attempts = store.cards(), store.attempts()
    at = T0 + timedelta(minutes=minutes)
    st_ = compute(attempts, cards, bank_sections={"t": "mdp", "other": "mdp"}, at=at, when=T0)
    assert st_.template_mastery["t"] < 1
    assert chance(st_.template_mastery["t"]) != "100%"


def test_horizon_is_the_exam_date_at_noon_when_ahead():
    now = datetime(2024, 3, 1, 9, 0).astimezone()
    at = mastery.horizon(date(2024, 3, 20), now)
    assert at.astimezone().date() == date(2024, 3, 20) and at.astimezone().hour == 12
    assert mastery.horizon(date(2024, 2, 1), now) == now + timedelta(days=7)  # passed: 7 days


def test_session_history_counts_what_the_sessions_stored():
    sessions = [
        {
            "id": 1,
            "mode": "quiz",
            "started": T0.isoformat(),
            "ended": None,
            "ended_by": "done",
            "seconds": 256.0,
        },
        {
            "id": 2,
            "mode": "exam",
            "started": (T0 + timedelta(days=1)).isoformat(),
            "ended": None,
            "ended_by": "time",
            "seconds": None,
        },
    ]
    rows = [row("a", "mdp", k % 2 == 0, 0, session=1) for k in range(7)]
    rows.append(row("a", "mdp", False, 0, session=1, skipped=True))
    rows += [
        row("b", "mdp", True, 1, session=2),
        row("b", "mdp", False, 1, session=2, skipped=True),
    ]
    rows[-1]["ts"] = (T0 + timedelta(days=1, minutes=3)).isoformat()
    rows[-2]["ts"] = (T0 + timedelta(days=1, minutes=1)).isoformat()
    rows.append(row("old", "mdp", True, 5, session=None, seconds=12.5))
    h = session_history(rows, sessions)
    assert [(x.session, x.mode, x.questions, x.attempts, x.correct, x.skipped) for x in h] == [
        (1, "quiz", 8, 7, 4, 1),
        (2, "exam", 2, 1, 1, 1),
        (None, "quiz", 1, 1, 1, 0),
    ]
    assert h[0].fraction == pytest.approx(4 / 8)  # the summary's score: the skip counts
    assert h[0].seconds == 256.0  # the session's real time, not the sum of answer times
    assert h[1].seconds == 180.0  # no duration stored: start to its last answer
    assert h[2].seconds == 12.5
    assert h[0].date.startswith(T0.astimezone().strftime("%Y-%m-%d"))
    st_ = compute(rows, {}, sessions=sessions)
    assert st_.seconds == pytest.approx(256 + 180 + 12.5)


def test_named_mistakes_and_leeches_by_hand():
    rows = [
        row(
            "conv",
            "convolution",
            False,
            0,
            misconception="corr",
            mistake_text="correlation instead of convolution",
        ),
        row(
            "conv",
            "convolution",
            False,
            1,
            misconception="corr",
            mistake_text="correlation instead of convolution",
        ),
        row(
            "tconv",
            "transposed-conv",
            False,
            1,
            misconception="corr",
            mistake_text="correlation instead of convolution",
        ),
        row("pool", "pooling", False, 2, misconception="avg-pool"),
    ]
    ms = mistakes(rows)
    assert [(m.name, m.count, m.templates) for m in ms] == [
        ("corr", 3, [("conv", 2), ("tconv", 1)]),
        ("avg-pool", 1, [("pool", 1)]),
    ]
    assert ms[0].description == "correlation instead of convolution"
    assert ms[1].description == "avg pool"  # stored without a description: the name, readable
    fails = [row("x", "mdp", False, k) for k in range(LEECH_FAILURES)] + [row("y", "mdp", False, 0)]
    fails.append(row("x", "mdp", True, 9, solution_shown=1))  # the solution shown: a failure too
    fails.append(row("x", "mdp", False, 9, skipped=True))  # a skip is not
    assert failures(fails) == {"x": LEECH_FAILURES + 1, "y": 1}
    assert leeches(fails) == [("x", LEECH_FAILURES + 1)]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=30), st.integers(2, 8))
def test_bar_chart_column_heights(values, height):
    """A value v fills v·height of the column's bands from the bottom: to the nearest band in ASCII
    ('#', a '.' for a band under half full), to the nearest eighth of a band in block characters;
    a column with nothing to fill shows the zero mark on the axis (a 0 % session is not a gap)."""
    for unicode in (False, True):
        lines = bar_chart(values, height=height, unicode=unicode)
        grid = [line[6:] for line in lines[:height]]
        assert all(len(line) <= 6 + 2 * len(values) for line in lines[:height])
        zero = "·" if unicode else "_"
        for k, v in enumerate(values):
            column = [g[2 * k] if 2 * k < len(g) else " " for g in grid][::-1]  # bottom up
            if column[0] == zero:
                assert column[1:] == [" "] * (height - 1)
                assert v * height < (1 / 16 if unicode else 0.5) + 1e-9 or v == 0
                continue
            if unicode:
                eighths = [" ▁▂▃▄▅▆▇█".index(ch) for ch in column]
                assert abs(sum(eighths) / 8 - v * height) <= 1 / 16 + 1e-9
                partial = [e for e in eighths if 0 < e < 8]
                assert eighths == sorted(eighths, reverse=True) and len(partial) <= 1
            else:
                full = column.count("#")
                assert abs(full - v * height) <= 0.5 + 1e-9
                top = column[full:]
                assert top in ([" "] * len(top), ["."] + [" "] * (len(top) - 1))


def test_bar_chart_draws_zero_and_leaves_none_blank():
    lines = bar_chart([0.0, None, 1.0], height=2, unicode=False)
    assert lines[0] == "100% |    #"
    assert lines[1] == "  0% |_   #"


def _console(width=80):
    buf = io.StringIO()
    return Console(
        file=buf, width=width, no_color=True, force_terminal=False, legacy_windows=False
    ), buf


def test_summary_and_exam_report_render_at_80_columns():
    qs = [t.instantiate(5) for t in FakeBank().templates.values()]
    s = Session(qs)
    for q in qs[:3]:
        s.handle(str(q.answer_text))
    s.handle("s")
    s.handle("skip")
    c, buf = _console()
    session_report.summary(c, s, seed=9)
    out = buf.getvalue()
    assert "Session summary" in out and "Review next" in out and "--seed 9" in out
    assert "5 questions: 3 right, 1 wrong (1 solution shown), 1 skipped; score 60%" in out
    assert max(len(line) for line in out.splitlines()) <= 80
    e = Session(qs, mode="exam")
    e.handle(str(qs[0].answer_text))
    e.handle("0")
    e.hand_in("quit")
    c, buf = _console()
    session_report.exam_report(c, e)
    out = buf.getvalue()
    assert "Exam report" in out and "blank" in out and "Worked solution" in out
    assert "1/6" in out and "handed in early" in out
    assert "6 questions: 1 right, 1 wrong, 4 blank" in out
    for q in qs:  # titles with ID:SEED
        assert q.template.title in out and q.ref in out
    assert max(len(line) for line in out.splitlines()) <= 80


def test_topics_counts_claims_like_the_imported_catalogue():
    import importlib
    import pkgutil

    from dlstudy.ui.reports import claims_by_section

    counts = claims_by_section()
    try:
        import dlstudy.symbolic as symbolic
        from dlstudy.symbolic import core
    except ImportError:
        assert counts is None
        return
    names = [
        m.name for m in pkgutil.iter_modules(symbolic.__path__) if m.name.startswith("claims_")
    ]
    if not names:
        pytest.skip("no claims in the catalogue yet")
    for name in names:
        importlib.import_module(f"dlstudy.symbolic.{name}")
    expected: dict[str, int] = {}
    for c in core.CATALOGUE.values():
        if not c.is_notes_version:
            expected[c.section] = expected.get(c.section, 0) + 1
    assert counts == expected


def test_topics_stats_plan_and_review_import_neither_sympy_nor_torch(tmp_path):
    import subprocess
    import sys

    from tests.conftest import subprocess_env

    code = (
        "import sys\nfrom dlstudy.cli import main\n"
        "for args in (['topics', '--json'], ['stats', '--json'], ['plan', '--json'],\n"
        "             ['review', '--limit', '1']):\n"
        "    try:\n        main(args)\n    except SystemExit:\n        pass\n"
        "print('HEAVY', 'sympy' in sys.modules, 'torch' in sys.modules, file=sys.stderr)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        env=subprocess_env(DLSTUDY_HOME=str(tmp_path)),
    )
    assert "HEAVY False False" in proc.stderr, proc.stderr
