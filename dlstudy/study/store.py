"""The progress store: one SQLite file (``progress.sqlite3`` in :func:`~dlstudy.study.paths.data_home`).

Durability and safety:

* WAL journal, ``synchronous=FULL``, a busy timeout: two sessions at once wait for each other, never
  corrupt or lose a write;
* every graded answer is one ``BEGIN IMMEDIATE … COMMIT`` transaction (the attempt row and, in a quiz or
  a review, the template's FSRS card and the review log together), committed before the feedback is
  shown: a crash, Ctrl-C or ``kill -9`` loses at most the question in progress;
* exam answers are committed the same way, but their FSRS reviews wait for the hand-in (an exam answer
  may still be changed); a session whose process died is closed on the next start, its exam answers
  reviewed then;
* ``cram`` answers (``review --cram``) are stored and counted, and never change a card;
* the schema is versioned (:mod:`dlstudy.study.schema`) and upgraded after a backup copy of the old file;
* damaged files, files written by a newer dlstudy and other applications' databases are refused with a
  clear message (:mod:`dlstudy.study.storefile`); damaged *rows* are skipped, reported once per run,
  listed and set aside by ``dlstudy stats --check [--repair]``;
* a read-only location can still be read; a full disk is reported as a full disk.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sqlite3
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from dlstudy.errors import DlstudyError
from dlstudy.study import schedule, storefile
from dlstudy.study.paths import store_path
from dlstudy.study.schema import (
    ATTEMPT_COLUMNS,
    KEYS,
    MIGRATIONS,
    SCHEMA_VERSION,
    SESSION_COLUMNS,
    damage_of,
    parse_ts,
    row_json,
)

__all__ = ["ATTEMPT_COLUMNS", "SCHEMA_VERSION", "AttemptRecord", "Damage", "Store"]

#: Modes whose answers review the template's FSRS card at once; ``exam`` reviews at the hand-in and
#: ``cram`` never.
SCHEDULED_MODES = ("quiz", "review")
#: A session that has not ended after this long is taken as abandoned, whatever its process id says.
ABANDONED_AFTER = timedelta(days=2)


@dataclass
class AttemptRecord:
    """One question as it ended: answered (``correct`` set), solution shown, or skipped."""

    template: str
    section: str
    seed: int
    mode: str = "quiz"
    answer: str | None = None
    read_as: str | None = None
    correct: bool | None = None
    score: float | None = None
    misconception: str | None = None
    mistake_text: str | None = None
    hints_used: int = 0
    solution_shown: bool = False
    skipped: bool = False
    seconds: float = 0.0
    difficulty: int = 1
    session_id: int | None = None


@dataclass(frozen=True)
class Damage:
    """A row that cannot be read: its table, its key (id or template), why, and its SQLite rowid."""

    table: str
    key: str
    reason: str
    rowid: int | None = None

    def __str__(self) -> str:
        return f"{self.table} {KEYS[self.table]} {self.key}: {self.reason}"


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="seconds")


def _dicts(conn: sqlite3.Connection, sql: str, args: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    cur = conn.execute(sql, args)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _stderr_warning(message: str) -> None:
    sys.stderr.write(f"dlstudy: warning: {message}\n")
    sys.stderr.flush()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


class Store:
    """The open progress store. Use as a context manager or call :meth:`close`.

    ``read_only=True`` (the commands that only read: ``stats``, ``topics``, ``plan`` without a new date)
    opens a store dlstudy cannot write without writing anything; ``warn`` receives the one-line report
    of the first damaged row met (default: stderr).
    """

    def __init__(
        self,
        path: Path | str | None = None,
        *,
        timeout: float = 15.0,
        read_only: bool = False,
        warn: Callable[[str], None] | None = None,
    ) -> None:
        self.path = Path(path) if path is not None else store_path()
        self.timeout = timeout
        self.read_only = False
        self.damaged: dict[tuple[str, str], Damage] = {}
        self._warn = warn or _stderr_warning
        self._warned = False
        if read_only and not storefile.writable(self.path):
            self._open_read_only()
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DlstudyError(
                f"cannot create the data folder {self.path.parent}: {exc.strerror or exc}",
                "Set DLSTUDY_HOME to a writable folder.",
            ) from None
        if self.path.exists() and not self.path.is_file():
            raise DlstudyError(
                f"cannot use the progress store {self.path}: it is not a regular file",
                "Set DLSTUDY_HOME to another folder.",
            )
        existed = self.path.exists() and self.path.stat().st_size > 0
        try:  # ``timeout`` is SQLite's busy timeout: a second dlstudy waits, then reports "busy"
            self.conn = sqlite3.connect(self.path, timeout=timeout, isolation_level=None)
        except sqlite3.Error as exc:
            raise storefile.describe(exc, self.path) from None
        try:
            self._open(existed)
            self._recover()
        except BaseException:
            self.conn.close()
            raise

    # -- opening ---------------------------------------------------------------------------------

    def _inspect(self, existed: bool) -> int:
        """The schema version; refuses damaged, foreign and newer files before anything is written."""
        try:
            # the version and the tables from one snapshot: a second dlstudy creating the store at
            # this moment commits both at once, never one between the two reads
            self.conn.execute("BEGIN")
            try:
                version = self._user_version()
                tables = storefile.table_names(self.conn) if existed else []
            finally:
                with contextlib.suppress(sqlite3.Error):
                    self.conn.execute("ROLLBACK")
            if existed:
                check = self.conn.execute("PRAGMA quick_check").fetchone()[0]
                if check != "ok":
                    raise sqlite3.DatabaseError(f"integrity check failed: {check}")
                foreign = storefile.foreign_reason(version, tables)
                if foreign:
                    self.conn.close()
                    raise storefile.refuse_foreign(self.path, foreign)
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError) and "malformed" not in str(exc):
                raise storefile.describe(exc, self.path) from None
            self.conn.close()
            raise storefile.refuse_with_backup(
                self.path, "damaged", f"it is damaged ({exc})"
            ) from None
        if version > SCHEMA_VERSION:
            self.conn.close()
            raise storefile.refuse_with_backup(
                self.path,
                "newer",
                f"it was written by a newer dlstudy (schema {version}; this one reads up to "
                f"{SCHEMA_VERSION}); upgrade dlstudy",
            )
        return version

    def _open(self, existed: bool) -> None:
        version = self._inspect(existed)
        try:
            # switching to WAL takes an exclusive lock and SQLite does not wait for it (no busy
            # handler): when a second dlstudy opens a new store at the same moment, retry
            storefile.retry_while_locked(
                lambda: self.conn.execute("PRAGMA journal_mode = WAL"), self.timeout
            )
            self.conn.execute("PRAGMA synchronous = FULL")
            self.conn.execute("PRAGMA foreign_keys = ON")
            if version < SCHEMA_VERSION:
                self._migrate(version, backup=existed and version > 0)
        except sqlite3.DatabaseError as exc:
            raise storefile.describe(exc, self.path) from None

    def _open_read_only(self) -> None:
        self.read_only = True
        if not self.path.is_file():  # nothing stored yet, and nowhere to store it: an empty store
            self.conn = sqlite3.connect(":memory:", isolation_level=None)
            for script in MIGRATIONS:
                self.conn.executescript(script)
            return
        try:
            self.conn = storefile.connect_read_only(self.path, self.timeout)
        except sqlite3.Error as exc:
            raise storefile.describe(exc, self.path) from None
        try:
            version = self._inspect(existed=True)
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                self.conn.close()
            raise
        if version < SCHEMA_VERSION:
            self.conn.close()
            raise DlstudyError(
                f"cannot read the progress store {self.path}: it needs an upgrade (schema {version} "
                f"to {SCHEMA_VERSION}) and its folder is read-only",
                "Make the folder writable for one run (any dlstudy command upgrades it).",
            )

    def _user_version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self, version: int, backup: bool) -> None:
        if backup:
            storefile.migration_backup(self.conn, self.path, version)
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            current = self._user_version()  # another process may have migrated meanwhile
            for step in range(current, SCHEMA_VERSION):
                for statement in MIGRATIONS[step].split(";"):
                    if statement.strip():
                        self.conn.execute(statement)
            self.conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            self.conn.execute("COMMIT")
        except BaseException:
            # a failed COMMIT (full disk) may already have rolled back: the first error is the news
            with contextlib.suppress(sqlite3.Error):
                self.conn.execute("ROLLBACK")
            raise

    # -- transactions ----------------------------------------------------------------------------

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One immediate transaction; storage failures become a clear DlstudyError."""
        if self.read_only:
            raise DlstudyError(
                f"cannot write the progress store {self.path}: its folder is read-only",
                "Make the folder writable, or set DLSTUDY_HOME to a writable folder.",
            )
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise storefile.describe(exc, self.path) from None
        try:
            yield self.conn
            self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            with contextlib.suppress(sqlite3.Error):
                self.conn.execute("ROLLBACK")
            raise storefile.describe(exc, self.path) from None
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                self.conn.execute("ROLLBACK")
            raise

    def _read(self, sql: str, args: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        try:
            return _dicts(self.conn, sql, args)
        except sqlite3.Error as exc:
            raise storefile.describe(exc, self.path) from None

    def _sound(self, table: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The rows that can be read; the others are noted (and reported once)."""
        out = []
        for row in rows:
            problem = damage_of(table, row)
            if problem is None:
                out.append(row)
            else:
                self._note(Damage(table, str(row.get(KEYS[table])), problem))
        return out

    def _note(self, damage: Damage) -> None:
        self.damaged[(damage.table, damage.key)] = damage
        if not self._warned:
            self._warned = True
            self._warn(
                f"skipped a damaged row of the progress store ({damage}); "
                "`dlstudy stats --check` lists every damaged row, `--repair` sets them aside"
            )

    # -- sessions --------------------------------------------------------------------------------

    def start_session(self, mode: str, seed: int | None, planned: int) -> int:
        with self._write() as conn:
            cur = conn.execute(
                "INSERT INTO sessions (mode, seed, planned, started, pid, host) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (mode, seed, planned, _iso(schedule.now_utc()), os.getpid(), socket.gethostname()),
            )
            return int(cur.lastrowid)

    def end_session(
        self, session_id: int, ended_by: str = "done", seconds: float | None = None
    ) -> None:
        """Close a session (its real duration in ``seconds``) and review its exam answers."""
        now = schedule.now_utc()
        with self._write() as conn:
            self._review_pending(conn, session_id)
            conn.execute(
                "UPDATE sessions SET ended = ?, ended_by = ?, seconds = ? WHERE id = ?",
                (_iso(now), ended_by, None if seconds is None else round(seconds, 3), session_id),
            )

    def _recover(self) -> None:
        """Close the sessions whose process has died (kill -9, a crash, a lost terminal): ended at
        their last answer, ``ended_by = 'killed'``, their exam answers reviewed."""
        rows = self._sound(
            "sessions",
            self._read(
                "SELECT id, mode, started, pid, host, seconds, ended FROM sessions "
                "WHERE ended IS NULL"
            ),
        )
        now = schedule.now_utc()
        host = socket.gethostname()
        dead = []
        for r in rows:
            if r["pid"] == os.getpid() and r["host"] == host:
                continue
            old = now - parse_ts(r["started"]) > ABANDONED_AFTER
            gone = r["pid"] is None or (r["host"] == host and not _alive(r["pid"]))
            if old or gone:
                dead.append(r)
        for r in dead:
            last = self._read(
                "SELECT MAX(ts) AS ts FROM attempts WHERE session_id = ?", (r["id"],)
            )[0]["ts"]
            started = parse_ts(r["started"])
            try:
                ended = max(started, parse_ts(last)) if last else started
            except ValueError:
                ended = started
            with self._write() as conn:
                self._review_pending(conn, r["id"])
                conn.execute(
                    "UPDATE sessions SET ended = ?, ended_by = 'killed', seconds = ? "
                    "WHERE id = ? AND ended IS NULL",
                    (_iso(ended), (ended - started).total_seconds(), r["id"]),
                )

    def sessions(self) -> list[dict[str, Any]]:
        cols = ", ".join(SESSION_COLUMNS)
        return self._sound("sessions", self._read(f"SELECT {cols} FROM sessions ORDER BY id"))

    # -- attempts --------------------------------------------------------------------------------

    def record(self, rec: AttemptRecord, when: datetime | None = None) -> int:
        """Store one attempt and, in a quiz or a review (unless skipped), review the template's FSRS
        card, in one transaction. Returns the attempt id."""
        when = when or schedule.now_utc()
        with self._write() as conn:
            cur = conn.execute(
                "INSERT INTO attempts (ts, session_id, mode, template, section, seed, answer, "
                "read_as, correct, score, misconception, mistake_text, hints_used, solution_shown, "
                "skipped, seconds) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    _iso(when),
                    rec.session_id,
                    rec.mode,
                    rec.template,
                    rec.section,
                    int(rec.seed),
                    *self._outcome(rec),
                ),
            )
            attempt_id = int(cur.lastrowid)
            if not rec.skipped and rec.mode in SCHEDULED_MODES:
                rating = schedule.rating_for(
                    bool(rec.correct),
                    rec.hints_used,
                    rec.solution_shown,
                    rec.seconds,
                    rec.difficulty,
                )
                self._review_card(conn, rec.template, rating, when, rec.seconds, attempt_id)
            return attempt_id

    @staticmethod
    def _outcome(rec: AttemptRecord) -> tuple[Any, ...]:
        correct = None if rec.skipped else bool(rec.correct)
        score = None if rec.skipped else (rec.score if rec.score is not None else float(correct))
        return (
            rec.answer,
            rec.read_as,
            None if correct is None else int(correct),
            score,
            rec.misconception,
            rec.mistake_text,
            int(rec.hints_used),
            int(rec.solution_shown),
            int(rec.skipped),
            round(float(rec.seconds), 3),
        )

    def revise(self, attempt_id: int, rec: AttemptRecord, when: datetime | None = None) -> None:
        """Replace the outcome of an exam answer not yet reviewed (the student went back to it)."""
        when = when or schedule.now_utc()
        with self._write() as conn:
            conn.execute(
                "UPDATE attempts SET ts = ?, answer = ?, read_as = ?, correct = ?, score = ?, "
                "misconception = ?, mistake_text = ?, hints_used = ?, solution_shown = ?, "
                "skipped = ?, seconds = ? WHERE id = ? "
                "AND NOT EXISTS (SELECT 1 FROM review_log WHERE attempt_id = ?)",
                (_iso(when), *self._outcome(rec), attempt_id, attempt_id),
            )

    def _review_pending(self, conn: sqlite3.Connection, session_id: int) -> None:
        """Review the cards of a session's exam answers that have not been reviewed yet. An exam
        answer is at most Good: its time is not a recall-speed signal (one may skim and come back)."""
        rows = _dicts(
            conn,
            "SELECT id, template, ts, correct, hints_used, solution_shown, skipped, seconds "
            "FROM attempts a WHERE session_id = ? AND mode = 'exam' AND skipped = 0 "
            "AND NOT EXISTS (SELECT 1 FROM review_log r WHERE r.attempt_id = a.id) ORDER BY id",
            (session_id,),
        )
        for row in rows:
            problem = damage_of("attempts", row)
            if problem:
                self._note(Damage("attempts", str(row["id"]), problem))
                continue
            rating = schedule.rating_for(
                bool(row["correct"]), row["hints_used"], bool(row["solution_shown"]), 0.0, None
            )
            when = parse_ts(row["ts"])
            self._review_card(conn, row["template"], rating, when, row["seconds"] or 0.0, row["id"])

    def _load_card(self, conn: sqlite3.Connection, template: str) -> schedule.Card | None:
        """The template's card; a damaged one is quarantined and rebuilt from the review log."""
        rows = _dicts(
            conn,
            "SELECT template, card, due, introduced FROM cards WHERE template = ?",
            (template,),
        )
        if not rows:
            return None
        problem = damage_of("cards", rows[0])
        if problem is None:
            return schedule.card_from_json(rows[0]["card"])
        self._note(Damage("cards", template, problem))
        conn.execute(
            "INSERT INTO quarantine (source, row_key, data, reason, ts) VALUES (?, ?, ?, ?, ?)",
            ("cards", template, row_json(rows[0]), problem, _iso(schedule.now_utc())),
        )
        conn.execute("DELETE FROM cards WHERE template = ?", (template,))
        return self._rebuild_card(conn, template)

    def _replay(self, conn: sqlite3.Connection, template: str) -> schedule.Card | None:
        """The card rebuilt by the ``fsrs`` package from the template's review log (None: no log)."""
        rows = _dicts(
            conn,
            "SELECT id, template, rating, ts, attempt_id FROM review_log WHERE template = ? "
            "ORDER BY id",
            (template,),
        )
        card = None
        for row in rows:
            if damage_of("review_log", row):
                continue
            when = parse_ts(row["ts"])
            if card is None:
                card = schedule.Card(card_id=row["attempt_id"] or row["id"], due=when)
            card = schedule.review(card, schedule.Rating(row["rating"]), when)
        return card

    def _rebuild_card(self, conn: sqlite3.Connection, template: str) -> schedule.Card | None:
        card = self._replay(conn, template)
        if card is None:
            return None
        first = conn.execute(
            "SELECT MIN(ts) FROM review_log WHERE template = ?", (template,)
        ).fetchone()[0]
        conn.execute(
            "INSERT INTO cards (template, card, due, introduced) VALUES (?, ?, ?, ?)",
            (template, schedule.card_to_json(card), _iso(card.due), first),
        )
        return card

    def _review_card(
        self,
        conn: sqlite3.Connection,
        template: str,
        rating: schedule.Rating,
        when: datetime,
        seconds: float,
        attempt_id: int,
    ) -> None:
        card = self._load_card(conn, template)
        if card is None:
            card = schedule.new_card(card_id=attempt_id)
        card = schedule.review(card, rating, when, seconds)
        conn.execute(
            "INSERT INTO cards (template, card, due, introduced) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(template) DO UPDATE SET card = excluded.card, due = excluded.due, "
            "introduced = COALESCE(cards.introduced, excluded.introduced)",
            (template, schedule.card_to_json(card), _iso(card.due), _iso(when)),
        )
        conn.execute(
            "INSERT INTO review_log (template, rating, ts, duration_ms, attempt_id) "
            "VALUES (?, ?, ?, ?, ?)",
            (template, int(rating), _iso(when), max(0, round(seconds * 1000)), attempt_id),
        )

    # -- queries ---------------------------------------------------------------------------------

    def attempts(self) -> list[dict[str, Any]]:
        """Every readable attempt, oldest first, as dicts with :data:`ATTEMPT_COLUMNS`."""
        cols = ", ".join(ATTEMPT_COLUMNS)
        return self._sound("attempts", self._read(f"SELECT {cols} FROM attempts ORDER BY id"))

    def card_rows(self) -> list[dict[str, Any]]:
        """The readable rows of the cards table, by template."""
        return self._sound(
            "cards",
            self._read("SELECT template, card, due, introduced FROM cards ORDER BY template"),
        )

    def cards(self) -> dict[str, schedule.Card]:
        """The FSRS card of every template seen, by template id."""
        return {r["template"]: schedule.card_from_json(r["card"]) for r in self.card_rows()}

    def due(self, when: datetime | None = None) -> list[tuple[str, datetime]]:
        """Templates whose card is due at ``when``, most overdue first."""
        when = when or schedule.now_utc()
        rows = [(r["template"], parse_ts(r["due"])) for r in self.card_rows()]
        return sorted(((t, d) for t, d in rows if d <= when), key=lambda x: (x[1], x[0]))

    def next_due(self, after: datetime | None = None) -> tuple[str, datetime] | None:
        """The template due soonest (after ``after`` when given) and when."""
        rows = [(parse_ts(r["due"]), r["template"]) for r in self.card_rows()]
        if after is not None:
            rows = [x for x in rows if x[0] > after]
        if not rows:
            return None
        due, template = min(rows)
        return template, due

    def due_of(self, template: str) -> datetime | None:
        for r in self.card_rows():
            if r["template"] == template:
                return parse_ts(r["due"])
        return None

    def introduced_on(self, when: datetime | None = None) -> set[str]:
        """The templates whose first review was on the local calendar day of ``when``."""
        when = when or schedule.now_utc()
        today = when.astimezone().date()
        return {
            r["template"]
            for r in self.card_rows()
            if r["introduced"] and parse_ts(r["introduced"]).astimezone().date() == today
        }

    def introduced_today(self, when: datetime | None = None) -> int:
        return len(self.introduced_on(when))

    def review_log(self) -> list[dict[str, Any]]:
        return self._sound(
            "review_log",
            self._read(
                "SELECT id, template, rating, ts, duration_ms, attempt_id FROM review_log "
                "ORDER BY id"
            ),
        )

    # -- settings --------------------------------------------------------------------------------

    def setting(self, key: str) -> str | None:
        rows = self._read("SELECT value FROM settings WHERE key = ?", (key,))
        return rows[0]["value"] if rows else None

    def set_setting(self, key: str, value: str | None) -> None:
        with self._write() as conn:
            if value is None:
                conn.execute("DELETE FROM settings WHERE key = ?", (key,))
            else:
                conn.execute(
                    "INSERT INTO settings (key, value) VALUES (?, ?) "
                    "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    (key, value),
                )

    # -- damaged rows (listing and setting aside: :mod:`dlstudy.study.repair`) ---------------------

    def check(self) -> list[Damage]:
        from dlstudy.study.repair import check

        return check(self)

    def repair(self) -> list[Damage]:
        from dlstudy.study.repair import repair

        return repair(self)

    def quarantined(self) -> list[dict[str, Any]]:
        return self._read("SELECT source, row_key, data, reason, ts FROM quarantine ORDER BY id")

    def integrity(self) -> str:
        return str(self._read("PRAGMA integrity_check")[0]["integrity_check"])

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
