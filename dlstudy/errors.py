"""The one domain error of dlstudy.

Every parser and reference function raises :class:`DlstudyError` for bad input; the CLI turns it into a
one-line message on stderr and exit code 2 (``DLSTUDY_DEBUG=1`` shows the traceback instead).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class DlstudyError(Exception):
    """Bad input: a message that says where and what was expected.

    ``detail`` is optional extra text printed under the message (e.g. the offending line with a caret).
    """

    exit_code = 2

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail

    def __str__(self) -> str:
        return self.message


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return ``" (did you mean 'x'?)"`` for a case-insensitive match or else the closest choice,
    or ``""``."""
    names = [str(c) for c in choices]
    same = [c for c in names if c.lower() == str(word).lower()]
    close = same or difflib.get_close_matches(str(word), names, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def caret(text: str, pos: int) -> str:
    """The line of ``text`` that holds ``pos``, with a caret under that column."""
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    line = text[start : end if end != -1 else len(text)]
    return f"  {line}\n  {' ' * (pos - start)}^"
