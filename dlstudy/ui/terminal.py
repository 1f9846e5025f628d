"""Reading the answer line.

* stdin a terminal: ``input()`` with the stdlib ``readline`` (line editing, and a history of answers kept
  in the data folder);
* stdin not a terminal: one line per answer or command, echoed after the prompt so a transcript reads
  well; end of input is reported as ``None``.

A time limit (exams) interrupts the wait with ``SIGALRM`` and raises :class:`TimeExpired`.
"""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import TextIO


class TimeExpired(Exception):
    """The time limit passed while waiting for an answer."""


@contextlib.contextmanager
def _deadline(seconds: float | None) -> Iterator[None]:
    if seconds is None or not hasattr(signal, "setitimer"):
        yield
        return
    if seconds <= 0:
        raise TimeExpired

    def on_alarm(signum: int, frame: FrameType | None) -> None:
        raise TimeExpired

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class LineReader:
    """Reads one answer line at a time from ``stdin``."""

    def __init__(
        self,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        *,
        interactive: bool | None = None,
        history: Path | None = None,
    ) -> None:
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        if interactive is None:
            interactive = _isatty(self.stdin) and _isatty(self.stdout)
        self.interactive = interactive
        self.history = history
        self._readline = None
        if self.interactive:
            self._setup_readline()

    def _setup_readline(self) -> None:
        try:
            import readline
        except ImportError:  # pragma: no cover - platforms without readline
            return
        self._readline = readline
        readline.set_history_length(1000)
        if self.history is not None and self.history.exists():
            with contextlib.suppress(OSError):
                readline.read_history_file(self.history)

    def read(self, prompt: str, timeout: float | None = None) -> str | None:
        """The next line without its newline, or ``None`` at end of input."""
        with _deadline(timeout):
            if self.interactive:
                try:
                    line = input(prompt)
                except EOFError:
                    self.stdout.write("\n")
                    self.stdout.flush()
                    return None
                self._remember(line)
                return line
            self.stdout.write(prompt)
            self.stdout.flush()
            raw = self.stdin.readline()
        if not raw:
            self.stdout.write("\n")
            self.stdout.flush()
            return None
        line = raw.rstrip("\r\n")
        self.stdout.write(line + "\n")
        self.stdout.flush()
        return line

    def _remember(self, line: str) -> None:
        if self._readline is None or self.history is None or not line.strip():
            return
        with contextlib.suppress(OSError):
            self.history.parent.mkdir(parents=True, exist_ok=True)
            if not self.history.exists():
                self.history.touch()
            self._readline.append_history_file(1, self.history)


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
