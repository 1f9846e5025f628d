"""Reading question-bank files safely: regular files only, read in bounded chunks, and a bounded
walk of ``--bank`` folders.

A ``--bank`` folder is whatever the user points at: it may hold a FIFO named ``x.toml`` (opening it
for reading waits for a writer forever), a link to ``/dev/zero`` (endless), a 200 MB file, or be
``/`` itself (whose walk meets ``/proc``, where entries vanish while they are listed). So a file is
checked before it is opened and again on the open descriptor (no race with a rename), opened
non-blocking, and read in chunks until :data:`MAX_FILE_BYTES`: the size the file system reports is
never trusted (it is 0 for devices and FIFOs). A walk looks at :data:`MAX_WALK_ENTRIES` entries at
most and skips those it cannot read or that vanish.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from dlstudy.errors import DlstudyError

#: The largest template file read (a chapter's file is about 20 kB).
MAX_FILE_BYTES = 2_000_000
#: Files and folders looked at under one ``--bank`` folder, and its deepest folder level.
MAX_WALK_ENTRIES = 20_000
MAX_WALK_DEPTH = 16
_CHUNK = 1 << 16


class UnreadableFile(Exception):
    """A bank file that is not read: ``reason`` says why ("not a regular file (a FIFO)", ...)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "not a file"


def read_limited(path: str | Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of the regular file ``path`` (links followed), at most ``limit`` of them.

    Raises :class:`UnreadableFile` for anything else: a FIFO, a device, a folder, a file larger
    than ``limit`` (found while reading, after at most ``limit`` + 1 bytes), or an OS error."""
    try:
        mode = os.stat(path).st_mode
        if not stat.S_ISREG(mode):  # do not even open a FIFO or a device
            raise UnreadableFile(f"not a regular file ({_kind(mode)})")
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
        fd = os.open(path, flags)
    except OSError as exc:
        raise UnreadableFile(f"cannot read: {exc.strerror or exc}") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):  # replaced between the check and the open
            raise UnreadableFile(f"not a regular file ({_kind(mode)})")
        chunks: list[bytes] = []
        size = 0
        while True:
            chunk = os.read(fd, min(_CHUNK, limit + 1 - size))
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                raise UnreadableFile(f"file too large (more than {limit:,} bytes)")
    except OSError as exc:
        raise UnreadableFile(f"cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def toml_files(root: Path, label: str = "--bank") -> list[Path]:
    """The ``*.toml`` entries under the folder ``root``, sorted (special files included: reading
    them reports them). Folders that cannot be read or vanish are skipped; linked folders are
    followed once. More than :data:`MAX_WALK_ENTRIES` entries or :data:`MAX_WALK_DEPTH` levels is
    the domain error: ``root`` is not a folder of templates."""
    found: list[Path] = []
    seen = 0
    visited: set[tuple[int, int]] = set()
    pending = [(root, 0)]
    while pending:
        folder, depth = pending.pop()
        try:
            info = folder.stat()
            if (info.st_dev, info.st_ino) in visited:
                continue
            visited.add((info.st_dev, info.st_ino))
            with os.scandir(folder) as entries:
                listed = list(entries)
        except OSError:
            continue  # unreadable, or gone since it was listed (/proc)
        for entry in listed:
            seen += 1
            if seen > MAX_WALK_ENTRIES:
                raise DlstudyError(
                    f"{label} {root}: more than {MAX_WALK_ENTRIES:,} files and folders under it; "
                    "give the folder that holds your template files"
                )
            try:
                is_dir = entry.is_dir()
            except OSError:
                continue
            if is_dir:
                if depth + 1 > MAX_WALK_DEPTH:
                    raise DlstudyError(
                        f"{label} {root}: folders nested more than {MAX_WALK_DEPTH} levels deep; "
                        "give the folder that holds your template files"
                    )
                pending.append((Path(entry.path), depth + 1))
            elif entry.name.endswith(".toml"):
                found.append(Path(entry.path))
    return sorted(found)
