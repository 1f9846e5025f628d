"""The progress store's file: opening it safely, refusing what is not ours, backups, and clear messages
for the storage failures a student can fix.

* a file that is not an SQLite database, or fails SQLite's ``quick_check``, is *damaged*: refused with one
  backup copy per damaged state of the file (a second run finds the identical copy and names it);
* an SQLite file without dlstudy's tables (another application's) is *foreign*: refused untouched (no
  backup, no journal switch, no table added);
* a store in a folder dlstudy cannot write is opened read-only for the commands that only read;
* a full disk is reported as such, whatever SQLite's error code (``SQLITE_FULL``, or an I/O error while
  the folder has no space left).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import sqlite3
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from dlstudy.errors import DlstudyError
from dlstudy.study.schema import CORE_TABLES

#: Below this much free space in the store's folder an I/O error is reported as a full disk.
LOW_SPACE_BYTES = 4 * 1024 * 1024

_SQLITE_IOERR = 10
_SQLITE_FULL = 13
_SQLITE_CANTOPEN = 14


def retry_while_locked(action: Callable[[], object], seconds: float) -> None:
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


def free_bytes(folder: Path) -> int | None:
    try:
        st = os.statvfs(folder)
    except (OSError, AttributeError):
        return None
    return st.f_bavail * st.f_frsize


def describe(exc: sqlite3.Error, path: Path) -> DlstudyError:
    """A clear message for a storage failure, naming the file and its true cause."""
    text = str(exc).lower()
    code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
    full = code == _SQLITE_FULL or "disk is full" in text
    if not full and (code in (_SQLITE_IOERR, _SQLITE_CANTOPEN) or "disk i/o" in text):
        space = free_bytes(path.parent)
        full = space is not None and space < LOW_SPACE_BYTES
    if full:
        return DlstudyError(
            f"cannot write the progress store {path}: the disk is full",
            "Free some space; answers given so far are saved.",
        )
    if "readonly" in text or "read-only" in text:
        return DlstudyError(
            f"cannot write the progress store {path}: it is read-only",
            "Make the folder writable, or set DLSTUDY_HOME to a writable folder.",
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
    if "disk i/o" in text:
        return DlstudyError(
            f"cannot write the progress store {path}: the disk reported an I/O error",
            "Check the disk; answers given before this one are saved.",
        )
    return DlstudyError(f"the progress store {path} failed: {exc}")


def writable(path: Path) -> bool:
    """Whether dlstudy may write the store (its folder, and the file when it exists)."""
    folder = path.parent
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        return False
    return not path.exists() or os.access(path, os.W_OK)


def connect_read_only(path: Path, timeout: float) -> sqlite3.Connection:
    """A connection that never writes: ``mode=ro``, or ``immutable`` when SQLite cannot create the
    WAL index in a read-only folder (nobody can write there either)."""
    uri = "file:" + quote(str(path.resolve()))
    last: sqlite3.Error | None = None
    for options in ("mode=ro", "mode=ro&immutable=1"):
        conn = sqlite3.connect(f"{uri}?{options}", uri=True, timeout=timeout, isolation_level=None)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return conn
        except sqlite3.Error as exc:
            conn.close()
            last = exc
    assert last is not None
    raise last


def table_names(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    ).fetchall()
    return sorted(r[0] for r in rows)


def foreign_reason(version: int, tables: list[str]) -> str | None:
    """Why a database is not a dlstudy store (its tables are another application's), or None."""
    if version == 0 and tables:
        shown = ", ".join(tables[:5]) + (", ..." if len(tables) > 5 else "")
        return f"it is another application's database (tables: {shown})"
    if version > 0 and not set(CORE_TABLES) <= set(tables):
        return f"it is not a dlstudy progress store (schema {version} without its tables)"
    return None


def refuse_foreign(path: Path, why: str) -> DlstudyError:
    return DlstudyError(
        f"cannot use the progress store {path}: {why}",
        f"Nothing was changed. Move {path.name} away, or set DLSTUDY_HOME to another folder.",
    )


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    for p in (path, path.with_name(path.name + "-wal")):
        if p.exists():
            with p.open("rb") as fh:
                for chunk in iter(lambda fh=fh: fh.read(1 << 20), b""):
                    h.update(chunk)
        h.update(b"\0")
    return h.hexdigest()


def _backup_name(path: Path, reason: str) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    candidate = path.with_name(f"{path.name}.{reason}-{stamp}.bak")
    n = 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.name}.{reason}-{stamp}-{n}.bak")
    return candidate


def backup_once(path: Path, reason: str) -> tuple[Path, bool]:
    """A backup copy of ``path`` (and its WAL): an existing identical ``{name}.{reason}-*.bak`` is
    reused, so a file refused on every run is copied once. Returns (copy, made now)."""
    digest = _digest(path)
    size = path.stat().st_size
    for old in sorted(path.parent.glob(f"{path.name}.{reason}-*.bak")):
        with contextlib.suppress(OSError):
            if old.stat().st_size == size and _digest(old) == digest:
                return old, False
    backup = _backup_name(path, reason)
    shutil.copy2(path, backup)
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            shutil.copy2(side, backup.with_name(backup.name + suffix))
    return backup, True


def refuse_with_backup(path: Path, reason: str, why: str) -> DlstudyError:
    """Copy the file aside (never delete it) and say so."""
    try:
        backup, made = backup_once(path, reason)
        saved = f"A backup copy is at {backup}" + ("." if made else " (made on an earlier run).")
    except OSError as exc:
        saved = f"Could not make a backup copy ({exc.strerror or exc}); the file is untouched."
    return DlstudyError(
        f"cannot use the progress store {path}: {why}",
        f"{saved}\nNothing was changed. To start a new store, move {path.name} away "
        "(or set DLSTUDY_HOME to another folder).",
    )


def migration_backup(conn: sqlite3.Connection, path: Path, version: int) -> None:
    target = _backup_name(path, f"v{version}")
    with contextlib.closing(sqlite3.connect(target)) as dest:
        conn.backup(dest)
