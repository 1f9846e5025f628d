"""The progress store: one SQLite file (``progress.sqlite3`` in :func:`~dlstudy.study.paths.data_home`).

Durability and safety:

* WAL journal, ``synchronous=FULL``, a busy timeout: two sessions at once wait for each other, never
  corrupt or lose a write;
* every graded answer is one ``BEGIN IMMEDIATE … COMMIT`` transaction (the attempt row, the template's
  FSRS card and the review log together), committed before the feedback is shown: a crash, Ctrl-C or
  ``kill -9`` loses at most the question in progress;
* the schema is versioned with ``PRAGMA user_version`` and upgraded by :data:`MIGRATIONS`, after a
  backup copy of the old file;
* a damaged file, or one written by a newer dlstudy, is copied to a backup and reported with a clear
  :class:`~dlstudy.errors.DlstudyError` (exit 2): never silently replaced;
* a read-only location or a full disk gives a clear message naming the file.
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dlstudy.errors import DlstudyError
from dlstudy.study import schedule
from dlstudy.study.paths import store_path

#: Schema version 1: the first release (attempts and cards).
_V1 = """
CREATE TABLE attempts (
    id INTEGER PRIMARY KEY,
    template TEXT NOT NULL,
    seed INTEGER NOT NULL,
    answer TEXT,
    correct INTEGER,
    misconception TEXT,
    hints_used INTEGER NOT NULL DEFAULT 0,
    seconds REAL,
    ts TEXT NOT NULL
);
CREATE TABLE cards (
    template TEXT PRIMARY KEY,
    card TEXT NOT NULL,
    due TEXT NOT NULL
);
"""

#: Schema version 2: sessions, modes, partial scores, skips and solutions, the FSRS review log and the
#: day a template was introduced (for the new-cards-per-day limit).
_V2 = """
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    mode TEXT NOT NULL,
    seed INTEGER,
    planned INTEGER,
    started TEXT NOT NULL,
    ended TEXT
);
ALTER TABLE attempts ADD COLUMN section TEXT;
ALTER TABLE attempts ADD COLUMN mode TEXT NOT NULL DEFAULT 'quiz';
ALTER TABLE attempts ADD COLUMN score REAL;
ALTER TABLE attempts ADD COLUMN read_as TEXT;
ALTER TABLE attempts ADD COLUMN solution_shown INTEGER NOT NULL DEFAULT 0;
ALTER TABLE attempts ADD COLUMN skipped INTEGER NOT NULL DEFAULT 0;
ALTER TABLE attempts ADD COLUMN session_id INTEGER REFERENCES sessions(id);
UPDATE attempts SET score = correct WHERE score IS NULL AND correct IS NOT NULL;
CREATE INDEX attempts_ts ON attempts(ts);
CREATE INDEX attempts_template ON attempts(template);
ALTER TABLE cards ADD COLUMN introduced TEXT;
UPDATE cards SET introduced = (SELECT MIN(ts) FROM attempts a WHERE a.template = cards.template);
CREATE TABLE review_log (
    id INTEGER PRIMARY KEY,
    template TEXT NOT NULL,
    rating INTEGER NOT NULL,
    ts TEXT NOT NULL,
    duration_ms INTEGER,
    attempt_id INTEGER REFERENCES attempts(id)
);
"""

#: ``MIGRATIONS[k]`` takes the schema from version k to k + 1.
MIGRATIONS: tuple[str, ...] = (_V1, _V2)
SCHEMA_VERSION = len(MIGRATIONS)

#: Columns of an attempt, in export order.
ATTEMPT_COLUMNS: tuple[str, ...] = (
    "id",
    "ts",
    "session_id",
    "mode",
    "template",
    "section",
    "seed",
    "answer",
    "read_as",
    "correct",
    "score",
    "misconception",
    "hints_used",
    "solution_shown",
    "skipped",
    "seconds",
)


def _retry_while_locked(action: Callable[[], object], seconds: float) -> None:
    """Run ``action``, retrying for up to ``seconds`` while SQLite says the file is locked."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            action()
            return
        except sqlite3.OperationalError as exc:
            text = str(exc).lower()
            if ("locked" not in text and "busy" not in text) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


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
    hints_used: int = 0
    solution_shown: bool = False
    skipped: bool = False
    seconds: float = 0.0
    difficulty: int = 1
    session_id: int | None = None


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="seconds")


def _backup_name(path: Path, reason: str) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    candidate = path.with_name(f"{path.name}.{reason}-{stamp}.bak")
    n = 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.name}.{reason}-{stamp}-{n}.bak")
    return candidate


def _describe(exc: sqlite3.Error, path: Path) -> DlstudyError:
    """A clear message for the storage failures a student can fix."""
    text = str(exc).lower()
    if "readonly" in text or "read-only" in text:
        return DlstudyError(
            f"cannot write the progress store {path}: it is read-only",
            "Make the folder writable, or set DLSTUDY_HOME to a writable folder.",
        )
    if "disk is full" in text or "database or disk is full" in text:
        return DlstudyError(
            f"cannot write the progress store {path}: the disk is full",
            "Free some space; answers given so far are saved.",
        )
    if "unable to open" in text:
        return DlstudyError(
            f"cannot open the progress store {path}",
            "Check that the folder exists and is writable, or set DLSTUDY_HOME.",
        )
    if "locked" in text or "busy" in text:
        return DlstudyError(
            f"the progress store {path} is busy (another dlstudy is writing); try again",
        )
    return DlstudyError(f"the progress store {path} failed: {exc}")


class Store:
    """The open progress store. Use as a context manager or call :meth:`close`."""

    def __init__(self, path: Path | str | None = None, *, timeout: float = 15.0) -> None:
        self.path = Path(path) if path is not None else store_path()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DlstudyError(
                f"cannot create the data folder {self.path.parent}: {exc.strerror or exc}",
                "Set DLSTUDY_HOME to a writable folder.",
            ) from None
        existed = self.path.exists() and self.path.stat().st_size > 0
        self.timeout = timeout
        try:  # ``timeout`` is SQLite's busy timeout: a second dlstudy waits, then reports "busy"
            self.conn = sqlite3.connect(self.path, timeout=timeout, isolation_level=None)
        except sqlite3.Error as exc:
            raise _describe(exc, self.path) from None
        try:
            self._open(existed)
        except BaseException:
            self.conn.close()
            raise

    # -- opening ---------------------------------------------------------------------------------

    def _open(self, existed: bool) -> None:
        try:
            version = self._user_version()
            if existed:
                check = self.conn.execute("PRAGMA quick_check").fetchone()[0]
                if check != "ok":
                    raise sqlite3.DatabaseError(f"integrity check failed: {check}")
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError) and "malformed" not in str(exc):
                raise _describe(exc, self.path) from None
            self._refuse("damaged", f"it is damaged ({exc})")
        if version > SCHEMA_VERSION:
            self._refuse(
                "newer",
                f"it was written by a newer dlstudy (schema {version}; this one reads up to "
                f"{SCHEMA_VERSION}); upgrade dlstudy",
            )
        try:
            # switching to WAL takes an exclusive lock and SQLite does not wait for it (no busy
            # handler): when a second dlstudy opens a new store at the same moment, retry
            _retry_while_locked(
                lambda: self.conn.execute("PRAGMA journal_mode = WAL"), self.timeout
            )
            self.conn.execute("PRAGMA synchronous = FULL")
            self.conn.execute("PRAGMA foreign_keys = ON")
            if version < SCHEMA_VERSION:
                self._migrate(version, backup=existed and version > 0)
        except sqlite3.DatabaseError as exc:
            raise _describe(exc, self.path) from None

    def _user_version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def _refuse(self, reason: str, why: str) -> None:
        """Copy the file aside (never delete it) and stop with a clear message."""
        self.conn.close()
        backup = _backup_name(self.path, reason)
        try:
            shutil.copy2(self.path, backup)
            for suffix in ("-wal", "-shm"):
                side = self.path.with_name(self.path.name + suffix)
                if side.exists():
                    shutil.copy2(side, backup.with_name(backup.name + suffix))
            saved = f"A backup copy is at {backup}."
        except OSError as exc:
            saved = f"Could not make a backup copy ({exc.strerror or exc}); the file is untouched."
        raise DlstudyError(
            f"cannot use the progress store {self.path}: {why}",
            f"{saved}\nNothing was changed. To start a new store, move {self.path.name} away "
            "(or set DLSTUDY_HOME to another folder).",
        )

    def _migrate(self, version: int, backup: bool) -> None:
        if backup:
            target = _backup_name(self.path, f"v{version}")
            with contextlib.closing(sqlite3.connect(target)) as dest:
                self.conn.backup(dest)
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
            self.conn.execute("ROLLBACK")
            raise

    # -- transactions ----------------------------------------------------------------------------

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One immediate transaction; storage failures become a clear DlstudyError."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise _describe(exc, self.path) from None
        try:
            yield self.conn
            self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            with contextlib.suppress(sqlite3.Error):
                self.conn.execute("ROLLBACK")
            raise _describe(exc, self.path) from None
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                self.conn.execute("ROLLBACK")
            raise

    def _read(self, sql: str, args: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        try:
            cur = self.conn.execute(sql, args)
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
        except sqlite3.Error as exc:
            raise _describe(exc, self.path) from None

    # -- sessions and attempts -------------------------------------------------------------------

    def start_session(self, mode: str, seed: int | None, planned: int) -> int:
        with self._write() as conn:
            cur = conn.execute(
                "INSERT INTO sessions (mode, seed, planned, started) VALUES (?, ?, ?, ?)",
                (mode, seed, planned, _iso(schedule.now_utc())),
            )
            return int(cur.lastrowid)

    def end_session(self, session_id: int) -> None:
        with self._write() as conn:
            conn.execute(
                "UPDATE sessions SET ended = ? WHERE id = ?", (_iso(schedule.now_utc()), session_id)
            )

    def record(self, rec: AttemptRecord, when: datetime | None = None) -> int:
        """Store one attempt and, unless it was skipped, review the template's FSRS card, in one
        transaction. Returns the attempt id."""
        when = when or schedule.now_utc()
        correct = None if rec.skipped else bool(rec.correct)
        score = None if rec.skipped else (rec.score if rec.score is not None else float(correct))
        with self._write() as conn:
            cur = conn.execute(
                "INSERT INTO attempts (ts, session_id, mode, template, section, seed, answer, "
                "read_as, correct, score, misconception, hints_used, solution_shown, skipped, "
                "seconds) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    _iso(when),
                    rec.session_id,
                    rec.mode,
                    rec.template,
                    rec.section,
                    int(rec.seed),
                    rec.answer,
                    rec.read_as,
                    None if correct is None else int(correct),
                    score,
                    rec.misconception,
                    int(rec.hints_used),
                    int(rec.solution_shown),
                    int(rec.skipped),
                    round(float(rec.seconds), 3),
                ),
            )
            attempt_id = int(cur.lastrowid)
            if not rec.skipped:
                rating = schedule.rating_for(
                    bool(correct), rec.hints_used, rec.solution_shown, rec.seconds, rec.difficulty
                )
                self._review_card(conn, rec.template, rating, when, rec.seconds, attempt_id)
            return attempt_id

    def _review_card(
        self,
        conn: sqlite3.Connection,
        template: str,
        rating: schedule.Rating,
        when: datetime,
        seconds: float,
        attempt_id: int,
    ) -> None:
        row = conn.execute("SELECT card FROM cards WHERE template = ?", (template,)).fetchone()
        if row is None:
            card = schedule.new_card(card_id=attempt_id)
        else:
            card = schedule.card_from_json(row[0])
        card = schedule.review(card, rating, when, seconds)
        conn.execute(
            "INSERT INTO cards (template, card, due, introduced) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(template) DO UPDATE SET card = excluded.card, due = excluded.due",
            (template, schedule.card_to_json(card), _iso(card.due), _iso(when)),
        )
        conn.execute(
            "INSERT INTO review_log (template, rating, ts, duration_ms, attempt_id) "
            "VALUES (?, ?, ?, ?, ?)",
            (template, int(rating), _iso(when), max(0, round(seconds * 1000)), attempt_id),
        )

    # -- queries ---------------------------------------------------------------------------------

    def attempts(self) -> list[dict[str, Any]]:
        """Every attempt, oldest first, as dicts with :data:`ATTEMPT_COLUMNS`."""
        cols = ", ".join(ATTEMPT_COLUMNS)
        return self._read(f"SELECT {cols} FROM attempts ORDER BY id")

    def cards(self) -> dict[str, schedule.Card]:
        """The FSRS card of every template seen, by template id."""
        rows = self._read("SELECT template, card FROM cards")
        return {r["template"]: schedule.card_from_json(r["card"]) for r in rows}

    def card_rows(self) -> list[dict[str, Any]]:
        return self._read("SELECT template, card, due, introduced FROM cards ORDER BY template")

    def due(self, when: datetime | None = None) -> list[tuple[str, datetime]]:
        """Templates whose card is due at ``when``, most overdue first."""
        when = when or schedule.now_utc()
        rows = self._read(
            "SELECT template, due FROM cards WHERE due <= ? ORDER BY due, template", (_iso(when),)
        )
        return [(r["template"], datetime.fromisoformat(r["due"])) for r in rows]

    def next_due(self) -> datetime | None:
        rows = self._read("SELECT MIN(due) AS due FROM cards")
        return datetime.fromisoformat(rows[0]["due"]) if rows and rows[0]["due"] else None

    def introduced_today(self, when: datetime | None = None) -> int:
        """How many templates had their first review on the local calendar day of ``when``."""
        when = when or schedule.now_utc()
        today = when.astimezone().date()
        rows = self._read("SELECT introduced FROM cards WHERE introduced IS NOT NULL")
        return sum(
            1 for r in rows if datetime.fromisoformat(r["introduced"]).astimezone().date() == today
        )

    def review_log(self) -> list[dict[str, Any]]:
        return self._read("SELECT template, rating, ts, duration_ms, attempt_id FROM review_log")

    def integrity(self) -> str:
        return str(self._read("PRAGMA integrity_check")[0]["integrity_check"])

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
