"""The progress store: schema, migrations, damaged and newer files, storage failures, concurrency."""

from __future__ import annotations

import multiprocessing as mp
import sqlite3
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dlstudy.errors import DlstudyError
from dlstudy.study.store import SCHEMA_VERSION, AttemptRecord, Store
from tests.conftest import dlstudy_cmd, subprocess_env

# The schema as the first release wrote it (frozen here: the migration must upgrade exactly this).
V1_SCHEMA = """
CREATE TABLE attempts (id INTEGER PRIMARY KEY, template TEXT NOT NULL, seed INTEGER NOT NULL,
    answer TEXT, correct INTEGER, misconception TEXT, hints_used INTEGER NOT NULL DEFAULT 0,
    seconds REAL, ts TEXT NOT NULL);
CREATE TABLE cards (template TEXT PRIMARY KEY, card TEXT NOT NULL, due TEXT NOT NULL);
PRAGMA user_version = 1;
"""


def rec(template: str = "t.a", correct: bool | None = True, **kw) -> AttemptRecord:
    return AttemptRecord(template=template, section="perceptron", seed=7, correct=correct, **kw)


def raw(path: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchall()


def test_fresh_store_schema_and_wal(tmp_path):
    path = tmp_path / "p.sqlite3"
    with Store(path) as store:
        assert store.integrity() == "ok"
    assert raw(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert raw(path, "PRAGMA journal_mode") == [("wal",)]
    tables = {r[0] for r in raw(path, "SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"attempts", "cards", "sessions", "review_log"} <= tables


def test_default_location_is_dlstudy_home(tmp_path, monkeypatch):
    monkeypatch.setenv("DLSTUDY_HOME", str(tmp_path / "home"))
    with Store() as store:
        assert store.path == tmp_path / "home" / "progress.sqlite3"
    assert (tmp_path / "home" / "progress.sqlite3").exists()


def test_record_commits_attempt_card_and_log(tmp_path):
    path = tmp_path / "p.sqlite3"
    with Store(path) as store:
        sid = store.start_session("quiz", 3, 5)
        aid = store.record(
            rec(
                answer="42",
                read_as="read as: 42",
                score=1.0,
                hints_used=1,
                seconds=12.5,
                session_id=sid,
            )
        )
    # read back with a separate plain connection: the row is committed
    rows = raw(
        path,
        "SELECT id, template, seed, answer, correct, hints_used, seconds, session_id FROM attempts",
    )
    assert rows == [(aid, "t.a", 7, "42", 1, 1, 12.5, sid)]
    assert raw(path, "SELECT template, rating FROM review_log") == [("t.a", 2)]  # hint → Hard
    assert len(raw(path, "SELECT * FROM cards")) == 1


def test_skip_is_stored_without_touching_the_card(tmp_path):
    path = tmp_path / "p.sqlite3"
    with Store(path) as store:
        store.record(rec(correct=None, skipped=True))
        assert store.cards() == {}
        (row,) = store.attempts()
    assert row["skipped"] == 1 and row["correct"] is None and row["score"] is None


def test_migration_from_version_1_keeps_every_row_and_backs_up(tmp_path):
    path = tmp_path / "progress.sqlite3"
    conn = sqlite3.connect(path)
    conn.executescript(V1_SCHEMA)
    conn.executemany(
        "INSERT INTO attempts (template, seed, answer, correct, misconception, hints_used, "
        "seconds, ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            ("t.a", 1, "3", 1, None, 0, 4.0, "2024-05-01T10:00:00+00:00"),
            ("t.a", 2, "5", 0, "swapped", 1, 9.0, "2024-05-02T10:00:00+00:00"),
            ("t.b", 3, "x", 0, None, 0, 1.0, "2024-05-03T10:00:00+00:00"),
        ],
    )
    conn.execute(
        "INSERT INTO cards VALUES ('t.a', ?, '2024-05-05T00:00:00+00:00')",
        (
            '{"card_id": 1, "state": 1, "step": 0, "stability": null, "difficulty": null, '
            '"due": "2024-05-05T00:00:00+00:00", "last_review": null}',
        ),
    )
    conn.commit()
    conn.close()

    with Store(path) as store:
        rows = store.attempts()
        cards = store.cards()
        assert store.integrity() == "ok"
    assert raw(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert [
        (r["template"], r["seed"], r["answer"], r["correct"], r["misconception"]) for r in rows
    ] == [("t.a", 1, "3", 1, None), ("t.a", 2, "5", 0, "swapped"), ("t.b", 3, "x", 0, None)]
    assert [r["score"] for r in rows] == [1.0, 0.0, 0.0]  # backfilled from correct
    assert all(r["mode"] == "quiz" and r["skipped"] == 0 for r in rows)
    assert set(cards) == {"t.a"}
    assert raw(path, "SELECT introduced FROM cards") == [("2024-05-01T10:00:00+00:00",)]
    backups = list(tmp_path.glob("progress.sqlite3.v1-*.bak"))
    assert len(backups) == 1
    assert raw(backups[0], "PRAGMA user_version") == [(1,)]
    assert len(raw(backups[0], "SELECT * FROM attempts")) == 3


def test_garbage_file_is_refused_with_backup_and_left_untouched(tmp_path):
    path = tmp_path / "progress.sqlite3"
    junk = b"this is not a database at all\n" * 200
    path.write_bytes(junk)
    with pytest.raises(DlstudyError, match="damaged") as info:
        Store(path)
    assert "backup copy" in info.value.detail
    assert path.read_bytes() == junk
    (backup,) = tmp_path.glob("progress.sqlite3.damaged-*.bak")
    assert backup.read_bytes() == junk


def test_damaged_pages_are_refused(tmp_path):
    path = tmp_path / "progress.sqlite3"
    with Store(path) as store:
        for k in range(300):
            store.record(rec(template=f"t.{k}", answer="x" * 200))
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(path.read_bytes())
    page = 4096
    for offset in range(2 * page, min(len(data), 12 * page), 7):
        data[offset] = 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(DlstudyError, match="damaged"):
        Store(path)
    assert list(tmp_path.glob("progress.sqlite3.damaged-*.bak"))


def test_newer_schema_is_refused_with_backup(tmp_path):
    path = tmp_path / "progress.sqlite3"
    with Store(path):
        pass
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    with pytest.raises(DlstudyError, match="newer dlstudy"):
        Store(path)
    (backup,) = tmp_path.glob("progress.sqlite3.newer-*.bak")
    assert raw(backup, "PRAGMA user_version") == [(SCHEMA_VERSION + 5,)]
    assert raw(path, "PRAGMA user_version") == [(SCHEMA_VERSION + 5,)]  # not downgraded


def test_read_only_store_gives_a_clear_message(tmp_path):
    with Store(tmp_path / "p.sqlite3") as store:
        store.conn.execute("PRAGMA query_only = 1")
        with pytest.raises(DlstudyError, match="read-only"):
            store.record(rec())


def test_full_disk_gives_a_clear_message_and_keeps_earlier_answers(tmp_path):
    with Store(tmp_path / "p.sqlite3") as store:
        store.record(rec(template="t.first"))
        pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
        store.conn.execute(f"PRAGMA max_page_count = {pages}")
        with pytest.raises(DlstudyError, match="disk is full"):
            for k in range(500):
                store.record(rec(template=f"t.{k}", answer="y" * 500))
        assert store.attempts()[0]["template"] == "t.first"
        assert store.integrity() == "ok"


def test_unwritable_data_folder(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(DlstudyError, match="cannot create the data folder"):
        Store(blocker / "sub" / "p.sqlite3")


def test_a_busy_store_waits_for_its_timeout_then_says_busy(tmp_path):
    path = tmp_path / "p.sqlite3"
    with Store(path):
        pass
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another dlstudy in the middle of saving an answer
    try:
        with Store(path, timeout=0.3) as store:
            start = time.monotonic()
            with pytest.raises(DlstudyError, match="busy"):
                store.record(rec())
            waited = time.monotonic() - start
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert 0.25 <= waited < 5  # its own timeout, not a fixed 15 s


def _writer(path: str, name: str, n: int) -> None:
    with Store(path) as store:
        sid = store.start_session("quiz", None, n)
        for k in range(n):
            store.record(
                AttemptRecord(
                    template=f"{name}.{k % 3}",
                    section="mdp",
                    seed=k,
                    correct=bool(k % 2),
                    session_id=sid,
                )
            )


def _in_parallel(target, *arg_tuples: tuple) -> None:
    """Run ``target`` once per argument tuple, each in its own (spawned) process, all at once."""
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=target, args=args) for args in arg_tuples]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0


def test_two_concurrent_writers_lose_nothing(tmp_path):
    path = tmp_path / "p.sqlite3"
    with Store(path):
        pass
    _in_parallel(_writer, (str(path), "a", 40), (str(path), "b", 40))
    with Store(path) as store:
        rows = store.attempts()
        assert len(rows) == 80
        assert len(store.review_log()) == 80
        assert set(store.cards()) == {"a.0", "a.1", "a.2", "b.0", "b.1", "b.2"}
        assert store.integrity() == "ok"
    # both writers share the cards of the same template without lost updates
    per_template = raw(path, "SELECT template, COUNT(*) FROM review_log GROUP BY template")
    assert sorted(per_template) == sorted(
        [(f"{n}.{r}", len([k for k in range(40) if k % 3 == r])) for n in "ab" for r in range(3)]
    )


def _shared_writer(path: str, n: int) -> None:
    with Store(path) as store:
        for k in range(n):
            store.record(
                AttemptRecord(template="shared", section="mdp", seed=k, correct=True),
                when=datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=k),
            )


def test_concurrent_reviews_of_one_card_are_serialised(tmp_path):
    path = tmp_path / "p.sqlite3"
    _in_parallel(_shared_writer, (str(path), 25), (str(path), 25))
    with Store(path) as store:
        assert len(store.attempts()) == 50
        assert len(store.review_log()) == 50
        assert set(store.cards()) == {"shared"}


def test_cli_reports_a_damaged_store_with_exit_2(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "progress.sqlite3").write_bytes(b"garbage" * 1000)
    proc = subprocess.run(
        [*dlstudy_cmd(), "stats"],
        capture_output=True,
        text=True,
        timeout=60,
        env=subprocess_env(DLSTUDY_HOME=str(home)),
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("dlstudy: error: cannot use the progress store")
    assert "backup copy" in proc.stderr
    assert "Traceback" not in proc.stderr


def _open_store(path, barrier, results):
    from dlstudy.study.store import Store

    barrier.wait()
    try:
        Store(path).conn.close()
        results.put("ok")
    except DlstudyError as exc:
        results.put(exc.message)


def test_sessions_opening_a_new_store_at_the_same_moment_all_succeed(tmp_path):
    """Switching a new file to WAL takes a lock SQLite does not wait for: opening must retry."""
    ctx = mp.get_context("fork")
    failures = []
    for i in range(20):
        path = tmp_path / f"race{i}.sqlite3"
        barrier, results = ctx.Barrier(3), ctx.Queue()
        procs = [ctx.Process(target=_open_store, args=(path, barrier, results)) for _ in range(3)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(timeout=60)
        failures += [r for r in (results.get(timeout=10) for _ in procs) if r != "ok"]
    assert failures == []
