"""The progress store's schema, its migrations, and the checks that tell a damaged row from a sound one.

The schema is versioned with ``PRAGMA user_version``; ``MIGRATIONS[k]`` takes it from version k to k + 1.
A row is *damaged* when a value dlstudy has to interpret cannot be read (a timestamp that is not ISO
8601, an FSRS card that is not the package's JSON, a count that is not a number): such a row is skipped
by every reader and reported (see :meth:`dlstudy.study.store.Store.damage`), never silently dropped;
``dlstudy stats --check`` lists them and ``--repair`` moves them to the ``quarantine`` table.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

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

#: Schema version 3: how a session ended and its real duration, the process that runs it (so a session
#: whose process was killed is found and closed), the human description of a named mistake, settings
#: (the exam date) and the quarantine of damaged rows.
_V3 = """
ALTER TABLE sessions ADD COLUMN ended_by TEXT;
ALTER TABLE sessions ADD COLUMN seconds REAL;
ALTER TABLE sessions ADD COLUMN pid INTEGER;
ALTER TABLE sessions ADD COLUMN host TEXT;
UPDATE sessions SET ended_by = 'done' WHERE ended IS NOT NULL;
ALTER TABLE attempts ADD COLUMN mistake_text TEXT;
CREATE INDEX attempts_session ON attempts(session_id);
CREATE INDEX review_log_attempt ON review_log(attempt_id);
CREATE INDEX review_log_template ON review_log(template);
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE quarantine (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    row_key TEXT NOT NULL,
    data TEXT NOT NULL,
    reason TEXT NOT NULL,
    ts TEXT NOT NULL
);
"""

MIGRATIONS: tuple[str, ...] = (_V1, _V2, _V3)
SCHEMA_VERSION = len(MIGRATIONS)

#: The tables every version from 1 on has: a file without them is not a dlstudy store.
CORE_TABLES = ("attempts", "cards")

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
    "mistake_text",
    "hints_used",
    "solution_shown",
    "skipped",
    "seconds",
)

SESSION_COLUMNS: tuple[str, ...] = (
    "id",
    "mode",
    "seed",
    "planned",
    "started",
    "ended",
    "ended_by",
    "seconds",
    "pid",
    "host",
)

# -- what a sound row looks like ------------------------------------------------------------------


def parse_ts(text: str) -> datetime:
    """A stored timestamp as an aware datetime (a naive one is UTC, as every version wrote UTC)."""
    when = datetime.fromisoformat(text)
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


Check = Callable[[Any], str | None]


def _timestamp(value: Any) -> str | None:
    if not isinstance(value, str):
        return f"{_short(value)} is not a timestamp"
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return f"{_short(value)} is not a timestamp"
    return None


def _optional_timestamp(value: Any) -> str | None:
    return None if value is None else _timestamp(value)


def _text(value: Any) -> str | None:
    return None if isinstance(value, str) and value else f"{_short(value)} is not a name"


def _optional_text(value: Any) -> str | None:
    return None if value is None or isinstance(value, str) else f"{_short(value)} is not text"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _integer(value: Any) -> str | None:
    return (
        None
        if isinstance(value, int) and not isinstance(value, bool)
        else f"{_short(value)} is not a whole number"
    )


def _optional_integer(value: Any) -> str | None:
    return None if value is None else _integer(value)


def _flag(value: Any) -> str | None:
    return (
        None
        if value in (0, 1) and not isinstance(value, float)
        else f"{_short(value)} is not 0 or 1"
    )


def _optional_flag(value: Any) -> str | None:
    return None if value is None else _flag(value)


def _optional_number(value: Any) -> str | None:
    if value is None or (isinstance(value, int | float) and not isinstance(value, bool)):
        if isinstance(value, float) and not math.isfinite(value):
            return f"{value} is not a finite number"
        if isinstance(value, int) and abs(value) > 10**15:
            return f"{_short(value)} is out of range"
        return None
    return f"{_short(value)} is not a number"


def _card(value: Any) -> str | None:
    if not isinstance(value, str):
        return f"{_short(value)} is not an FSRS card"
    from fsrs import Card

    try:
        Card.from_json(value)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        short = value if len(value) <= 40 else value[:37] + "..."
        return f"{short!r} is not an FSRS card ({type(exc).__name__})"
    return None


def _rating(value: Any) -> str | None:
    return (
        None
        if value in (1, 2, 3, 4) and isinstance(value, int)
        else f"{_short(value)} is not a rating 1-4"
    )


#: column → check, per table (columns not listed are only shown, never interpreted).
CHECKS: dict[str, dict[str, Check]] = {
    "attempts": {
        "ts": _timestamp,
        "template": _text,
        "mode": _text,
        "section": _optional_text,
        "answer": _optional_text,
        "read_as": _optional_text,
        "misconception": _optional_text,
        "mistake_text": _optional_text,
        "seed": _integer,
        "correct": _optional_flag,
        "score": _optional_number,
        "hints_used": _integer,
        "solution_shown": _flag,
        "skipped": _flag,
        "seconds": _optional_number,
        "session_id": _optional_integer,
    },
    "cards": {
        "template": _text,
        "card": _card,
        "due": _timestamp,
        "introduced": _optional_timestamp,
    },
    "sessions": {
        "mode": _text,
        "ended_by": _optional_text,
        "started": _timestamp,
        "ended": _optional_timestamp,
        "seconds": _optional_number,
        "pid": _optional_integer,
    },
    "review_log": {
        "template": _text,
        "rating": _rating,
        "ts": _timestamp,
        "attempt_id": _optional_integer,
    },
}

#: How a row is named in reports and in the quarantine table.
KEYS = {"attempts": "id", "cards": "template", "sessions": "id", "review_log": "id"}


def damage_of(table: str, row: Mapping[str, Any]) -> str | None:
    """Why ``row`` of ``table`` cannot be read (the first unreadable column), or None when it is sound."""
    for column, check in CHECKS[table].items():
        if column not in row:
            continue
        problem = check(row[column])
        if problem:
            return f"{column}: {problem}"
    return None


def row_json(row: Mapping[str, Any]) -> str:
    """A damaged row as JSON text (kept verbatim in the quarantine table)."""
    return json.dumps(
        {
            k: (v if isinstance(v, str | int | float | type(None)) else repr(v))
            for k, v in row.items()
        },
        ensure_ascii=False,
    )
