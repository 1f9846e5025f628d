"""Finding and reading question-bank files safely: regular files only, at most
:data:`MAX_FILE_BYTES` each (:func:`dlstudy.files.read_limited`), and a bounded walk of ``--bank``
folders.

A ``--bank`` folder is whatever the user points at, ``/`` included, whose walk meets ``/proc``,
where entries vanish while they are listed: a walk looks at :data:`MAX_WALK_ENTRIES` entries at most
and skips those it cannot read or that vanish.
"""

from __future__ import annotations

import os
from pathlib import Path

from dlstudy.errors import DlstudyError
from dlstudy.files import UnreadableFile, read_limited

__all__ = ["MAX_FILE_BYTES", "UnreadableFile", "read_bank_file", "toml_files"]

#: The largest template file read (a chapter's file is about 20 kB).
MAX_FILE_BYTES = 2_000_000
#: Files and folders looked at under one ``--bank`` folder, and its deepest folder level.
MAX_WALK_ENTRIES = 20_000
MAX_WALK_DEPTH = 16


def read_bank_file(path: Path) -> bytes:
    """The bytes of a template file (:class:`UnreadableFile` when it is not a regular file of at
    most :data:`MAX_FILE_BYTES`)."""
    return read_limited(path, MAX_FILE_BYTES)


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
            except OSError:  # a link loop: a template file named so is reported when read
                is_dir = False
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
