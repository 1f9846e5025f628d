"""Progress statistics, the terminal plot and the rendering of summaries."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from fsrs import Scheduler
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from dlstudy.study.session import Session
from dlstudy.study.stats import compute, history_buckets
from dlstudy.study.store import AttemptRecord, Store
from dlstudy.ui import render
from dlstudy.ui.plot import bar_chart
from tests.study_fakes import FakeBank

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def row(template, section, correct, day, skipped=False, session=1, seconds=10.0):
    return {
        "template": template,
        "section": section,
        "correct": None if skipped else int(correct),
        "skipped": int(skipped),
        "ts": (T0 + timedelta(days=day)).isoformat(),
        "seconds": seconds,
        "session_id": session,
    }


ROWS = [
    row("a", "perceptron", True, 0),
    row("a", "perceptron", False, 0),
    row("b", "perceptron", True, 1),
    row("c", "mdp", False, 1),
    row("c", "mdp", False, 2),
    row("c", "mdp", False, 2, skipped=True),
    row("old", None, True, 2),  # schema-1 row without a section: found through the bank
]


def test_compute_counts_by_hand():
    bank_sections = {"a": "perceptron", "b": "perceptron", "c": "mdp", "d": "mdp", "old": "td"}
    st_ = compute(ROWS, {}, bank_sections=bank_sections, when=T0 + timedelta(days=3))
    assert (st_.attempts, st_.correct, st_.skipped) == (6, 3, 1)
    assert st_.seconds == pytest.approx(70.0)
    by = {s.section: s for s in st_.sections}
    assert [s.section for s in st_.sections] == ["perceptron", "mdp", "td"]  # order of the notes
    assert (by["perceptron"].attempts, by["perceptron"].correct) == (3, 2)
    assert by["perceptron"].accuracy == pytest.approx(2 / 3)
    assert (by["mdp"].attempts, by["mdp"].correct, by["mdp"].skipped) == (2, 0, 1)
    assert by["mdp"].last_seen == (T0 + timedelta(days=2)).isoformat()
    assert by["mdp"].templates == 2 and by["perceptron"].templates == 2
    assert by["td"].attempts == 1
    assert st_.weakest == ["mdp", "perceptron"]
    assert st_.history_unit == "day"
    assert [(b.attempts, b.correct) for b in st_.history] == [(2, 1), (2, 1), (2, 1)]
    js = st_.to_json()
    assert js["attempts"] == 6 and isinstance(js["sections"], list)


def test_mastery_and_retrievability_from_cards(tmp_path):
    with Store(tmp_path / "p.sqlite3") as store:
        store.record(
            AttemptRecord(template="a", section="perceptron", seed=1, correct=True, seconds=5),
            when=T0,
        )
        cards = store.cards()
        attempts = store.attempts()
    when = T0 + timedelta(days=10)
    # the oracle: the fsrs package itself, not dlstudy's wrapper of it
    r = Scheduler(desired_retention=0.9, enable_fuzzing=False).get_card_retrievability(
        cards["a"], when
    )
    st_ = compute(attempts, cards, bank_sections={"a": "perceptron", "b": "perceptron"}, when=when)
    (p,) = st_.sections
    assert 0 < r < 1
    assert p.retrievability == pytest.approx(r)
    assert p.mastery == pytest.approx(r / 2)  # the unseen template counts 0
    assert st_.due_now == int(cards["a"].due <= when)


def test_history_per_session_when_everything_is_on_one_day():
    rows = [row("a", "mdp", k % 2 == 0, 0, session=1 + k // 3) for k in range(6)]
    buckets, unit = history_buckets(rows)
    assert unit == "session"
    assert [(b.label, b.attempts, b.correct) for b in buckets] == [("#1", 3, 2), ("#2", 3, 1)]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=30), st.integers(2, 8))
def test_bar_chart_column_heights(values, height):
    """A value v fills v·height of the column's bands from the bottom: to the nearest band in ASCII
    ('#', a '.' for a band under half full), to the nearest eighth of a band in block characters."""
    for unicode in (False, True):
        lines = bar_chart(values, height=height, unicode=unicode)
        grid = [line[6:] for line in lines[:height]]
        assert all(len(line) <= 6 + 2 * len(values) for line in lines[:height])
        for k, v in enumerate(values):
            column = [g[2 * k] if 2 * k < len(g) else " " for g in grid][::-1]  # bottom up
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


def _console(width=80, encoding="utf-8"):
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
    render.summary(c, s, seed=9)
    out = buf.getvalue()
    assert "Session summary" in out and "Review next" in out and "--seed 9" in out
    assert max(len(line) for line in out.splitlines()) <= 80
    e = Session(qs, mode="exam")
    e.handle(str(qs[0].answer_text))
    e.handle("0")
    e.end("quit")
    c, buf = _console()
    render.exam_report(c, e)
    out = buf.getvalue()
    assert "Exam report" in out and "not answered" in out and "Worked solution" in out
    assert "1/6" in out and "handed in early" in out
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


def test_topics_and_stats_import_neither_sympy_nor_torch(tmp_path):
    import subprocess
    import sys

    from tests.conftest import subprocess_env

    code = (
        "import sys\nfrom dlstudy.cli import main\n"
        "for args in (['topics', '--json'], ['stats', '--json']):\n"
        "    try:\n        main(args)\n    except SystemExit:\n        pass\n"
        "print('HEAVY', 'sympy' in sys.modules, 'torch' in sys.modules, file=sys.stderr)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env=subprocess_env(DLSTUDY_HOME=str(tmp_path)),
    )
    assert "HEAVY False False" in proc.stderr, proc.stderr
