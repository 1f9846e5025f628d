"""The progress store: schema, migrations, damaged and newer files, storage failures, concurrency."""

from __future__ import annotations

import contextlib
import json
import multiprocessing as mp
import os
import shutil
import sqlite3
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fsrs import Card, Rating, Scheduler
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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


# -- issue 16/20: damaged rows, foreign files, backups, read-only, sessions, exam reviews -----------


def _digest(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def _damaged_store(path: Path) -> None:
    with Store(path) as store:
        for k in range(3):
            store.record(rec(template="t.a", correct=bool(k % 2)))
        store.record(rec(template="t.b"))
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE cards SET card = '{not json' WHERE template = 't.a'")
        conn.execute("UPDATE attempts SET ts = 'garbage' WHERE id = 4")


def test_damaged_rows_are_skipped_and_reported_once(tmp_path):
    path = tmp_path / "p.sqlite3"
    _damaged_store(path)
    warnings: list[str] = []
    with Store(path, warn=warnings.append) as store:
        attempts = store.attempts()
        cards = store.cards()
        store.attempts()
        store.cards()
        damaged = sorted(str(d) for d in store.damaged.values())
    assert [r["id"] for r in attempts] == [1, 2, 3]  # row 4 ('garbage') skipped
    assert set(cards) == {"t.b"}  # the card of t.a is not JSON
    assert len(warnings) == 1 and "dlstudy stats --check" in warnings[0]
    assert damaged == [
        "attempts id 4: ts: 'garbage' is not a timestamp",
        "cards template t.a: card: '{not json' is not an FSRS card (JSONDecodeError)",
    ]


def test_an_answer_to_a_template_with_a_damaged_card_is_stored(tmp_path):
    """The damaged card is kept in quarantine and rebuilt from the review log by the fsrs package."""
    path = tmp_path / "p.sqlite3"
    _damaged_store(path)
    with Store(path, warn=lambda m: None) as store:
        store.record(rec(template="t.a", correct=True, seconds=30))
        card = store.cards()["t.a"]
        log = [(r["rating"], r["ts"]) for r in store.review_log() if r["template"] == "t.a"]
        quarantined = store.quarantined()
    assert len(log) == 4
    oracle = Scheduler(desired_retention=0.9, enable_fuzzing=False)
    expected = Card(card_id=1, due=datetime.fromisoformat(log[0][1]))
    for rating, ts in log:
        expected, _ = oracle.review_card(
            expected, Rating(rating), review_datetime=datetime.fromisoformat(ts)
        )
    assert card.stability == pytest.approx(expected.stability)
    assert abs(card.due - expected.due) < timedelta(seconds=1)  # the log keeps whole seconds
    assert [(q["source"], q["row_key"]) for q in quarantined] == [("cards", "t.a")]
    assert '"{not json"' in quarantined[0]["data"]


def test_check_lists_and_repair_quarantines(tmp_path):
    path = tmp_path / "p.sqlite3"
    _damaged_store(path)
    with Store(path, warn=lambda m: None) as store:
        found = store.check()
        assert {(d.table, d.key) for d in found} == {("attempts", "4"), ("cards", "t.a")}
        moved = store.repair()
        assert moved == found
        assert store.check() == []
        assert [r["id"] for r in store.attempts()] == [1, 2, 3]
        assert set(store.cards()) == {"t.a", "t.b"}  # t.a rebuilt from its log
        assert {q["source"] for q in store.quarantined()} == {"attempts", "cards"}
        assert store.integrity() == "ok"
    assert list(tmp_path.glob("p.sqlite3.v3-*.bak"))  # a backup before repairing


def test_a_foreign_sqlite_file_is_refused_untouched(tmp_path):
    path = tmp_path / "progress.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        conn.execute("INSERT INTO notes (body) VALUES ('my shopping list')")
    before = _digest(path)
    with pytest.raises(DlstudyError, match="another application's database") as info:
        Store(path)
    assert "Nothing was changed" in info.value.detail
    assert _digest(path) == before
    assert raw(path, "SELECT name FROM sqlite_master WHERE type = 'table'") == [("notes",)]
    assert raw(path, "PRAGMA journal_mode") == [("delete",)]  # not switched to WAL
    assert sorted(p.name for p in tmp_path.iterdir()) == ["progress.sqlite3"]  # no backup either


def test_a_damaged_file_is_backed_up_once_not_on_every_run(tmp_path):
    path = tmp_path / "progress.sqlite3"
    path.write_bytes(b"not a database " * 300)
    messages = []
    for _ in range(3):
        with pytest.raises(DlstudyError) as info:
            Store(path)
        messages.append(info.value.detail)
    assert len(list(tmp_path.glob("progress.sqlite3.damaged-*.bak"))) == 1
    assert "made on an earlier run" in messages[1] and "made on an earlier run" in messages[2]
    path.write_bytes(b"damaged differently " * 300)  # another damaged state: another copy
    with pytest.raises(DlstudyError):
        Store(path)
    assert len(list(tmp_path.glob("progress.sqlite3.damaged-*.bak"))) == 2


def test_migration_failure_reports_the_first_error_not_the_rollback(tmp_path, monkeypatch):
    """A COMMIT that fails (a full disk) ends the transaction: the ROLLBACK after it must not hide
    the real cause behind "cannot rollback - no transaction is active"."""
    import dlstudy.study.store as store_mod

    path = tmp_path / "p.sqlite3"
    failing = (*store_mod.MIGRATIONS[:-1], store_mod.MIGRATIONS[-1] + ";COMMIT;SELECT * FROM gone")
    monkeypatch.setattr(store_mod, "MIGRATIONS", failing)
    with pytest.raises(DlstudyError) as info:
        Store(path)
    assert "no such table: gone" in info.value.message
    assert "rollback" not in info.value.message


def test_an_io_error_on_a_full_disk_is_reported_as_a_full_disk(tmp_path, monkeypatch):
    from dlstudy.study import storefile

    err = sqlite3.OperationalError("disk I/O error")
    err.sqlite_errorcode = 10 | (3 << 8)  # SQLITE_IOERR_WRITE
    monkeypatch.setattr(storefile, "free_bytes", lambda folder: 8192)
    message = storefile.describe(err, tmp_path / "p.sqlite3")
    assert "the disk is full" in message.message and "saved" in message.detail
    monkeypatch.setattr(storefile, "free_bytes", lambda folder: 10**12)
    message = storefile.describe(err, tmp_path / "p.sqlite3")
    assert "I/O error" in message.message and "disk is full" not in message.message


def test_settings_are_remembered(tmp_path):
    path = tmp_path / "p.sqlite3"
    with Store(path) as store:
        assert store.setting("exam_date") is None
        store.set_setting("exam_date", "2030-01-02")
    with Store(path) as store:
        assert store.setting("exam_date") == "2030-01-02"
        store.set_setting("exam_date", None)
        assert store.setting("exam_date") is None


def test_exam_answers_are_stored_at_once_and_reviewed_at_the_hand_in(tmp_path):
    path = tmp_path / "p.sqlite3"
    with Store(path) as store:
        sid = store.start_session("exam", 1, 2)
        a = store.record(rec(template="t.a", correct=False, mode="exam", session_id=sid))
        store.record(rec(template="t.b", correct=None, skipped=True, mode="exam", session_id=sid))
        assert store.cards() == {} and store.review_log() == []  # the answer may still change
        store.revise(a, rec(template="t.a", correct=True, answer="42", mode="exam", session_id=sid))
        store.end_session(sid, "done", 93.5)
        assert [(r["template"], r["rating"]) for r in store.review_log()] == [("t.a", 3)]  # Good
        store.revise(a, rec(template="t.a", correct=False, mode="exam", session_id=sid))
    assert raw(path, "SELECT correct, answer FROM attempts WHERE id = 1") == [(1, "42")]  # reviewed
    assert raw(path, "SELECT ended_by, seconds FROM sessions") == [("done", 93.5)]


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_sessions_of_dead_processes_are_closed_on_the_next_start(tmp_path):
    import socket

    path = tmp_path / "p.sqlite3"
    start = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
    with Store(path) as store:
        sid = store.start_session("exam", 1, 3)
        store.record(
            rec(template="t.a", correct=True, mode="exam", session_id=sid),
            when=start + timedelta(minutes=4),
        )
        live = store.start_session("quiz", 2, 3)  # this process: alive
    with sqlite3.connect(path) as conn:
        conn.execute(
            "UPDATE sessions SET pid = ?, started = ? WHERE id = ?",
            (_dead_pid(), start.isoformat(), sid),
        )
        conn.execute(
            "INSERT INTO sessions (mode, started, pid, host) VALUES ('quiz', ?, NULL, ?)",
            (start.isoformat(), socket.gethostname()),
        )
    with Store(path) as store:
        rows = {r["id"]: r for r in store.sessions()}
        log = store.review_log()
    assert rows[sid]["ended_by"] == "killed"
    assert rows[sid]["ended"] == (start + timedelta(minutes=4)).isoformat()  # its last answer
    assert rows[sid]["seconds"] == 240.0
    assert rows[3]["ended_by"] == "killed"  # written by a dlstudy before process ids were kept
    assert rows[live]["ended"] is None  # still running (this process)
    assert [r["template"] for r in log] == ["t.a"]  # the killed exam's answer reviewed


def _without_root_powers() -> list[str]:
    """A command prefix under which permission bits apply (root ignores them otherwise)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: a read-only folder cannot be simulated")
    return [setpriv, "--bounding-set", "-dac_override,-dac_read_search"]


def test_a_read_only_folder_still_allows_reading(tmp_path):
    """Reading needs no write: stats, topics and plan work in a folder dlstudy cannot write, and
    leave it as it was; a command that writes says why it cannot."""
    import tempfile

    home = Path(tempfile.mkdtemp(prefix="dlstudy-ro-", dir="/tmp"))
    try:
        with Store(home / "progress.sqlite3") as store:
            store.record(rec(template="t.a"))
            store.record(rec(template="t.b", correct=False))
        assert sorted(p.name for p in home.iterdir()) == ["progress.sqlite3"]
        home.chmod(0o555)
        (home / "progress.sqlite3").chmod(0o444)
        prefix = _without_root_powers()
        env = subprocess_env(DLSTUDY_HOME=str(home))

        def run(*args: str) -> subprocess.CompletedProcess:
            return subprocess.run(
                [*prefix, *dlstudy_cmd(), *args],
                capture_output=True,
                text=True,
                timeout=120,
                env=env,
                stdin=subprocess.DEVNULL,
            )

        proc = run("stats", "--json")
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["attempts"] == 2
        for args in (["topics", "--json"], ["plan"], ["stats", "--check"], ["stats"]):
            proc = run(*args)
            assert proc.returncode == 0, (args, proc.stderr)
        soon = (datetime.now() + timedelta(days=30)).date().isoformat()
        proc = run("plan", "--exam-date", soon)
        assert proc.returncode == 2 and "read-only" in proc.stderr, proc.stderr
        assert sorted(p.name for p in home.iterdir()) == ["progress.sqlite3"]
    finally:
        home.chmod(0o755)
        shutil.rmtree(home)


_FULL_DISK_SCRIPT = r"""
set -e
mount -t tmpfs -o size=1m tmpfs "$MNT"
export DLSTUDY_HOME="$MNT/home"
for free in 4 12 24 40 64 100; do
  rm -rf "$MNT"/*
  mkdir -p "$DLSTUDY_HOME"
  "$PY" "$DRIVER" quiz --n 1 --seed 1 < /dev/null > /dev/null 2>&1
  avail=$(df -k --output=avail "$MNT" | tail -1)
  dd if=/dev/zero of="$MNT/fill" bs=1k count=$((avail - free)) 2> /dev/null || true
  set +e
  "$PY" "$DRIVER" quiz --n 200 --seed 5 < "$ANSWERS" > "$OUT/out-$free" 2> "$OUT/err-$free"
  echo $? > "$OUT/rc-$free"
  set -e
  rm -f "$MNT/fill"
  "$PY" -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT COUNT(*) FROM attempts').fetchone()[0])" "$DLSTUDY_HOME/progress.sqlite3" > "$OUT/rows-$free"
done
"""


def test_a_full_disk_is_reported_as_such_and_keeps_every_answer_shown(tmp_path):
    """On a real full file system (a 1 MiB tmpfs in a private mount namespace; needs root): whatever
    the free space left, the message names the true cause and every answer graded aloud is stored."""
    import sys

    unshare = shutil.which("unshare")
    if os.geteuid() != 0 or unshare is None:
        pytest.skip("needs root and unshare to mount a small file system")
    from dlstudy.study import select
    from tests.study_fakes import FakeBank

    answers = tmp_path / "answers.txt"
    qs = select.choose(FakeBank(), n=200, seed=5)
    answers.write_text("".join(q.answer_text + "\n" for q in qs))
    mnt, out = tmp_path / "mnt", tmp_path / "out"
    mnt.mkdir()
    out.mkdir()
    script = tmp_path / "full.sh"
    script.write_text(_FULL_DISK_SCRIPT)
    env = subprocess_env(
        MNT=str(mnt),
        OUT=str(out),
        PY=sys.executable,
        DRIVER=str(Path(__file__).with_name("study_fakes.py")),
        ANSWERS=str(answers),
        TERM="dumb",
    )
    proc = subprocess.run(
        [unshare, "-m", "--propagation", "private", "sh", str(script)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    if proc.returncode != 0 and "mount" in proc.stderr:
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.strip()[:200]}")
    assert proc.returncode == 0, proc.stderr
    for free in (4, 12, 24, 40, 64, 100):
        rc = int((out / f"rc-{free}").read_text())
        err = (out / f"err-{free}").read_text()
        shown = (out / f"out-{free}").read_text().count("Right.")
        stored = int((out / f"rows-{free}").read_text())
        assert rc == 2, (free, err)
        assert err.startswith("dlstudy: error: cannot write the progress store"), (free, err)
        assert "the disk is full" in err and "answers given so far are saved" in err, (free, err)
        assert "rollback" not in err and "I/O" not in err, (free, err)
        assert stored >= shown, (free, stored, shown)  # nothing graded aloud was lost


_ANY_VALUE = st.one_of(
    st.none(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.binary(max_size=20),
    st.sampled_from(["garbage", "{not json", "2024-13-45T99:99:99", "[]", "{}", "null", ""]),
)
_COLUMNS = {
    "attempts": [
        "ts",
        "template",
        "seed",
        "correct",
        "score",
        "hints_used",
        "solution_shown",
        "skipped",
        "seconds",
        "session_id",
        "section",
        "mode",
    ],
    "cards": ["card", "due", "introduced"],
    "sessions": ["started", "ended", "seconds", "pid", "mode", "ended_by"],
    "review_log": ["rating", "ts", "template"],
}


@pytest.mark.fuzz
@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(sorted(_COLUMNS)),
            st.integers(0, 11),
            st.integers(1, 3),
            _ANY_VALUE,
        ),
        min_size=1,
        max_size=6,
    )
)
def test_any_damaged_row_is_skipped_never_a_crash(tmp_path, damage):
    """Whatever a row holds, every reader skips or reads it, an answer is still stored, and
    check/repair leave a store without damaged rows."""
    import tempfile

    from dlstudy.study import stats as stats_mod

    path = Path(tempfile.mkdtemp(dir=tmp_path)) / "p.sqlite3"  # examples share tmp_path
    with Store(path) as store:
        sid = store.start_session("quiz", 1, 3)
        for k in range(3):
            store.record(rec(template=f"t.{k}", correct=bool(k % 2), session_id=sid))
        store.end_session(sid, "done", 12.0)
        for table, col, rowid, value in damage:
            column = _COLUMNS[table][col % len(_COLUMNS[table])]
            with contextlib.suppress(sqlite3.IntegrityError):
                store.conn.execute(
                    f"UPDATE {table} SET {column} = ? WHERE rowid = ?", (value, rowid)
                )
    with Store(path, warn=lambda m: None) as store:
        result = stats_mod.compute(
            store.attempts(), store.cards(), sessions=store.sessions(), bank_sections={"t.0": "mdp"}
        )
        assert result.attempts <= 3
        import io

        from rich.console import Console

        from dlstudy.ui.progress_views import stats_view

        stats_view(Console(file=io.StringIO(), width=80), result, {})
        result.to_json()
        store.due()
        store.next_due()
        store.introduced_today()
        store.record(rec(template="t.1", correct=True))
        store.repair()
        assert store.check() == []
        assert store.integrity() == "ok"


@pytest.mark.parametrize(
    ("table", "column", "value"),
    [
        ("sessions", "seconds", float("inf")),
        ("attempts", "seconds", float("-inf")),
        ("attempts", "score", "high"),  # (SQLite stores NaN as NULL)
        ("sessions", "mode", b"\x00\x1b[2J"),
        ("attempts", "mistake_text", b"bytes"),
        ("attempts", "seed", "twelve"),
    ],
)
def test_values_that_cannot_be_shown_make_a_row_damaged(tmp_path, table, column, value):
    import io

    from rich.console import Console

    from dlstudy.study import stats as stats_mod
    from dlstudy.ui.progress_views import stats_view

    path = tmp_path / "p.sqlite3"
    with Store(path) as store:
        sid = store.start_session("quiz", 1, 1)
        store.record(rec(session_id=sid))
        store.end_session(sid, "done", 5.0)
        store.conn.execute(f"UPDATE {table} SET {column} = ?", (value,))
    with Store(path, warn=lambda m: None) as store:
        result = stats_mod.compute(store.attempts(), store.cards(), sessions=store.sessions())
        assert [d.table for d in store.damaged.values()] == [table]
    buf = io.StringIO()
    stats_view(Console(file=buf, width=80), result, {})
    assert "\x1b" not in buf.getvalue()


def _open_new_store(path: str, start, results) -> None:
    start.wait()
    try:
        with Store(Path(path)):
            results.put("ok")
    except Exception as exc:  # the verdict goes back to the test
        results.put(f"{type(exc).__name__}: {exc}")


def test_many_processes_creating_one_new_store_all_open_it(tmp_path: Path) -> None:
    """A store being created while others open it is never taken for another application's
    database (its version and tables were read in two steps, with the creation between them)."""
    ctx = mp.get_context("fork")
    for round_ in range(5):
        path = tmp_path / f"round{round_}" / "progress.sqlite3"
        path.parent.mkdir()
        start, results = ctx.Event(), ctx.Queue()
        procs = [
            ctx.Process(target=_open_new_store, args=(str(path), start, results)) for _ in range(6)
        ]
        for p in procs:
            p.start()
        start.set()
        verdicts = [results.get(timeout=120) for _ in procs]
        for p in procs:
            p.join(60)
        assert verdicts == ["ok"] * len(procs), verdicts
