"""Damaged rows of the progress store: list them (``dlstudy stats --check``) and set them aside
(``--repair``).

A damaged row (see :mod:`dlstudy.study.schema`) is skipped by every reader and reported once per run.
Repairing copies the file to a backup, then moves each damaged row, verbatim and with the reason, into
the ``quarantine`` table (nothing is deleted outright), keeps the references of other rows valid, and
rebuilds a damaged FSRS card by replaying the template's review log through the ``fsrs`` package.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dlstudy.study import schedule, storefile
from dlstudy.study.schema import KEYS, SCHEMA_VERSION, damage_of, row_json

if TYPE_CHECKING:
    from dlstudy.study.store import Damage, Store


def check(store: Store) -> list[Damage]:
    """Every damaged row of every table (reads all of them)."""
    from dlstudy.study.store import Damage

    found: list[Damage] = []
    for table in KEYS:
        for row in store._read(f"SELECT rowid AS rowid_, * FROM {table}"):
            rowid = row.pop("rowid_")
            problem = damage_of(table, row)
            if problem:
                found.append(Damage(table, str(row.get(KEYS[table])), problem, rowid))
    return found


def repair(store: Store) -> list[Damage]:
    """Quarantine every damaged row (see the module docstring). Returns the rows moved."""
    found = check(store)
    if not found:
        return []
    storefile.migration_backup(store.conn, store.path, SCHEMA_VERSION)
    now = schedule.now_utc().isoformat(timespec="seconds")
    with store._write() as conn:
        for d in found:
            cur = conn.execute(f"SELECT * FROM {d.table} WHERE rowid = ?", (d.rowid,))
            values = cur.fetchone()
            if values is None:
                continue
            row: dict[str, Any] = dict(zip([c[0] for c in cur.description], values, strict=True))
            conn.execute(
                "INSERT INTO quarantine (source, row_key, data, reason, ts) VALUES (?, ?, ?, ?, ?)",
                (d.table, d.key, row_json(row), d.reason, now),
            )
            if d.table == "attempts":  # keep the references valid (foreign keys are on)
                conn.execute(
                    "UPDATE review_log SET attempt_id = NULL WHERE attempt_id = ?", (row["id"],)
                )
            elif d.table == "sessions":
                conn.execute(
                    "UPDATE attempts SET session_id = NULL WHERE session_id = ?", (row["id"],)
                )
            conn.execute(f"DELETE FROM {d.table} WHERE rowid = ?", (d.rowid,))
            if d.table == "cards" and isinstance(row["template"], str):
                store._rebuild_card(conn, row["template"])
    store.damaged.clear()
    return found
