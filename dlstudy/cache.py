"""dlstudy's cache folder: results worth keeping between runs, as JSON, never as code.

The folder is ``platformdirs.user_cache_dir("dlstudy")``, or ``$DLSTUDY_CACHE`` when set. Files are
written atomically (a temporary file, then ``os.replace``) into sub-folders only the user can open,
and a folder someone else could write to is not used. Everything here is an optimisation: a file
that cannot be read, written or trusted is simply computed again.

Cached results are keyed by :func:`code_fingerprint`, dlstudy's version and the size and
modification time of every module of the package (as Python keys its ``.pyc`` files): a change to
the code that computed a result invalidates it.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any

from dlstudy.files import UnreadableFile, read_limited

ENV = "DLSTUDY_CACHE"
#: Files kept per sub-folder: past this many, the oldest are removed when one is written.
MAX_FILES = 256
MAX_FILE_BYTES = 64_000_000
#: Bump when the layout of a cached file changes.
FORMAT = 1


def folder(name: str) -> Path:
    """The sub-folder ``name`` of the cache folder (not created here)."""
    root = os.environ.get(ENV)
    if not root:
        import platformdirs

        root = platformdirs.user_cache_dir("dlstudy", appauthor=False)
    return Path(root).expanduser() / name


def private(path: Path) -> bool:
    """Whether ``path`` is a folder of this user that nobody else can write to."""
    try:
        info = path.stat()
    except OSError:
        return False
    if not stat.S_ISDIR(info.st_mode) or info.st_mode & 0o022:
        return False
    return not hasattr(os, "getuid") or info.st_uid == os.getuid()


_code: str | None = None


def code_fingerprint() -> str:
    """A digest of dlstudy's version, the Python version and the size and modification time of
    every ``.py`` and ``.json`` file of the package (the question bank aside: bank files are keyed
    by their contents)."""
    global _code
    if _code is None:
        from dlstudy import __version__

        _code = fingerprint(Path(__file__).resolve().parent, __version__)
    return _code


def fingerprint(root: Path, version: str) -> str:
    """The digest :func:`code_fingerprint` computes for the package folder ``root``."""
    h = hashlib.sha256(f"{FORMAT}|{version}|{sys.version_info[:2]}".encode())
    for where, subfolders, names in os.walk(root):
        subfolders[:] = sorted(d for d in subfolders if d not in ("__pycache__", "question_bank"))
        rel = os.path.relpath(where, root)
        for name in sorted(names):
            if name.endswith((".py", ".json")):
                info = os.stat(os.path.join(where, name))
                h.update(f"{rel}/{name}|{info.st_size}|{info.st_mtime_ns}\n".encode())
    return h.hexdigest()


def read(path: Path, key: str) -> bytes | None:
    """The payload of the cached file ``path`` written under ``key``, or None (missing, unreadable,
    damaged, written under another key, or in a folder others can write to)."""
    try:
        raw = read_limited(path, MAX_FILE_BYTES)
    except UnreadableFile:
        return None
    if not private(path.parent):
        return None
    head, _, body = raw.partition(b"\n")
    try:
        header = json.loads(head)
    except ValueError:
        return None
    expected = {"format": FORMAT, "key": key, "sha256": hashlib.sha256(body).hexdigest()}
    return body if header == expected else None


def write(path: Path, key: str, body: bytes) -> None:
    """Write ``body`` under ``key`` to ``path`` atomically; failing to write is not an error."""
    import tempfile

    header = json.dumps({"format": FORMAT, "key": key, "sha256": hashlib.sha256(body).hexdigest()})
    where = path.parent
    tmp = None
    try:
        where.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not private(where):
            return
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=where)
        with os.fdopen(fd, "wb") as fh:
            fh.write(header.encode() + b"\n" + body)
        os.replace(tmp, path)
        tmp = None
        _prune(where)
    except OSError:
        pass  # a read-only or full disk: computed again next time
    finally:
        if tmp is not None:
            with suppress(OSError):
                os.unlink(tmp)


def _prune(where: Path) -> None:
    """Keep the newest :data:`MAX_FILES` // 2 files once there are more than :data:`MAX_FILES`,
    and remove the temporary files of a process killed while writing."""
    now = time.time()
    files = []
    with os.scandir(where) as listing:
        for item in listing:
            with suppress(OSError):
                mtime = item.stat(follow_symlinks=False).st_mtime
                if item.name.startswith(".tmp-"):
                    if now - mtime > 3600:
                        os.unlink(item.path)
                elif item.name.endswith(".json"):
                    files.append((mtime, item.path))
    if len(files) > MAX_FILES:
        for _, path in sorted(files)[: len(files) - MAX_FILES // 2]:
            with suppress(OSError):
                os.unlink(path)


def remember(name: str, compute: Callable[[], Any]) -> Any:
    """``compute()`` (plain JSON data), cached until dlstudy's code changes."""
    path = folder("results") / f"{name}.json"
    key = code_fingerprint()
    body = read(path, key)
    if body is not None:
        with suppress(ValueError, KeyError, TypeError):
            return json.loads(body)["value"]
    value = compute()
    with suppress(ValueError, TypeError):
        write(path, key, json.dumps({"value": value}, ensure_ascii=False).encode())
    return value
