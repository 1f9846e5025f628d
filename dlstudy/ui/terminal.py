"""Reading the answer line.

* stdin a terminal: ``input()`` with the stdlib ``readline`` (line editing, and a history of answers kept
  in the data folder);
* stdin not a terminal: one line per answer or command, read in bounded chunks (a line longer than
  :data:`MAX_LINE_BYTES` is refused with :class:`LineTooLong` and skipped; one with no end in sight
  stops the input), echoed after the prompt so a transcript reads well; end of input is ``None``.

Control characters in a line are replaced by U+FFFD: they never reach the terminal (the echo, or the
"read as" of the grader) and such a line is asked again as unreadable.

A time limit (exams) interrupts the wait with ``SIGALRM``: at the deadline :class:`TimeExpired` carries
the text typed so far (the answer being typed is submitted); ``alerts`` interrupt it earlier to print a
warning, after which the prompt is drawn again (with the time left now) and the typed text kept.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import TextIO

#: The longest input line read (bytes); longer ones are refused.
MAX_LINE_BYTES = 16_384
#: How much of an over-long line is skipped looking for its end before the input is given up on.
MAX_SKIP_BYTES = 1 << 20
_CHUNK = 65_536
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")


class TimeExpired(Exception):
    """The time limit passed while waiting for an answer; ``partial`` is what was typed."""

    def __init__(self, partial: str = "") -> None:
        super().__init__("time expired")
        self.partial = partial


class LineTooLong(Exception):
    """An input line longer than :data:`MAX_LINE_BYTES`; ``stop`` when its end was not found."""

    def __init__(self, stop: bool) -> None:
        super().__init__("input line too long")
        self.stop = stop


class _Timer(Exception):
    def __init__(self, partial: str) -> None:
        super().__init__("timer")
        self.partial = partial


def clean(text: str) -> str:
    """``text`` with control characters replaced by U+FFFD (a tab becomes a space)."""
    return _CONTROL.sub("\ufffd", text.replace("\t", " "))


@contextlib.contextmanager
def _alarm(seconds: float | None, partial: Callable[[], str]) -> Iterator[None]:
    if seconds is None or not hasattr(signal, "setitimer"):
        yield
        return
    if seconds <= 0:
        raise _Timer(partial())

    def on_alarm(signum: int, frame: FrameType | None) -> None:
        raise _Timer(partial())

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
        self._buf = b""
        self._fd = _fileno(self.stdin) if not interactive else None
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

    def read(
        self,
        prompt: str | Callable[[], str],
        timeout: float | None = None,
        alerts: Sequence[tuple[float, Callable[[], None]]] = (),
    ) -> str | None:
        """The next line without its newline, or ``None`` at end of input.

        ``prompt`` may be a callable (drawn again after an alert); ``timeout`` in seconds raises
        :class:`TimeExpired`; each ``(seconds, action)`` of ``alerts`` runs ``action`` after that many
        seconds (if before the timeout) and then asks again, the typed text kept.
        """
        start = time.monotonic()
        pending = sorted((s, a) for s, a in alerts if timeout is None or s < timeout)
        typed = ""
        while True:
            text = prompt() if callable(prompt) else prompt
            now = time.monotonic() - start
            wake = timeout
            if pending:
                wake = pending[0][0] if wake is None else min(wake, pending[0][0])
            try:
                with _alarm(None if wake is None else max(0.0, wake - now), self._typed):
                    return self._read_once(text, typed)
            except _Timer as fired:
                typed = fired.partial
                if pending and (timeout is None or pending[0][0] < timeout):
                    _, action = pending.pop(0)
                    self.stdout.write("\n")  # the warning goes under the prompt, not after it
                    self.stdout.flush()
                    action()
                    continue
                raise TimeExpired(clean(typed)) from None

    def _typed(self) -> str:
        """What has been typed of the current line (at the moment a timer fires)."""
        if self.interactive:
            if self._readline is None:
                return ""
            return str(self._readline.get_line_buffer())
        return self._buf.decode("utf-8", errors="replace")

    def _read_once(self, prompt: str, typed: str) -> str | None:
        if self.interactive:
            return self._read_terminal(prompt, typed)
        self.stdout.write(prompt)
        self.stdout.flush()
        try:
            raw = self._read_fd() if self._fd is not None else self._read_stream()
        except LineTooLong:
            self.stdout.write("\n")
            self.stdout.flush()
            raise
        if raw is None:
            self.stdout.write("\n")
            self.stdout.flush()
            return None
        line = clean(raw.rstrip("\r"))
        self.stdout.write(line + "\n")
        self.stdout.flush()
        return line

    def _read_terminal(self, prompt: str, typed: str) -> str | None:
        rl = self._readline
        if rl is not None and typed:

            def refill() -> None:
                rl.insert_text(typed)
                rl.redisplay()

            rl.set_pre_input_hook(refill)
        try:
            line = input(prompt)
        except EOFError:
            self.stdout.write("\n")
            self.stdout.flush()
            return None
        finally:
            if rl is not None and typed:
                rl.set_pre_input_hook(None)
        self._remember(line)
        return clean(line)

    def _read_fd(self) -> str | None:
        """One line from the file descriptor, never holding more than MAX_LINE_BYTES + a chunk."""
        assert self._fd is not None
        while True:
            end = self._buf.find(b"\n")
            if end >= 0:
                raw, self._buf = self._buf[:end], self._buf[end + 1 :]
                if len(raw) > MAX_LINE_BYTES:
                    raise LineTooLong(stop=False)
                return raw.decode("utf-8", errors="replace")
            if len(self._buf) > MAX_LINE_BYTES:
                self._skip_line()
            chunk = os.read(self._fd, _CHUNK)
            if not chunk:
                raw, self._buf = self._buf, b""
                return raw.decode("utf-8", errors="replace") if raw else None
            self._buf += chunk

    def _skip_line(self) -> None:
        """Drop an over-long line up to its end (then refuse it), or give up on the input."""
        skipped = len(self._buf)
        self._buf = b""
        assert self._fd is not None
        while skipped <= MAX_SKIP_BYTES:
            chunk = os.read(self._fd, _CHUNK)
            if not chunk:
                raise LineTooLong(stop=True)
            end = chunk.find(b"\n")
            if end >= 0:
                self._buf = chunk[end + 1 :]
                raise LineTooLong(stop=False)
            skipped += len(chunk)
        raise LineTooLong(stop=True)

    def _read_stream(self) -> str | None:
        """One line from a text stream without a file descriptor (tests), bounded the same way."""
        raw = self.stdin.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return None
        if raw.endswith("\n"):
            return raw[:-1]
        if len(raw) <= MAX_LINE_BYTES:
            return raw
        skipped = len(raw)
        while skipped <= MAX_SKIP_BYTES:
            more = self.stdin.readline(_CHUNK)
            if not more:
                raise LineTooLong(stop=True)
            if more.endswith("\n"):
                raise LineTooLong(stop=False)
            skipped += len(more)
        raise LineTooLong(stop=True)

    def pause(self, prompt: str) -> str | None:
        """In a terminal: wait for Enter (the line typed, ``None`` at end of input); piped: ``""`` at
        once, reading nothing."""
        if not self.interactive:
            return ""
        return self.read(prompt)

    def _remember(self, line: str) -> None:
        if self._readline is None or self.history is None or not line.strip():
            return
        with contextlib.suppress(OSError):
            self.history.parent.mkdir(parents=True, exist_ok=True)
            if not self.history.exists():
                self.history.touch()
            self._readline.append_history_file(1, self.history)


def _fileno(stream: TextIO) -> int | None:
    try:
        return stream.fileno()
    except (AttributeError, ValueError, OSError):
        return None


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
