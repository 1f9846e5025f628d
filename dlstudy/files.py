"""Reading a file a user names, safely: regular files only, read in bounded chunks.

A path may name a FIFO (opening it for reading waits for a writer forever), a link to
``/dev/zero`` (endless) or a 200 MB file. So a file is checked before it is opened and again on the
open descriptor (no race with a rename), opened non-blocking, and read in chunks until the limit:
the size the file system reports is never trusted (it is 0 for devices and FIFOs), and a file over
the limit costs at most the limit to refuse.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

_CHUNK = 1 << 16


class UnreadableFile(Exception):
    """A file that is not read: ``reason`` says why ("not a regular file (a FIFO)", ...)."""

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


def read_limited(path: str | Path, limit: int) -> bytes:
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
