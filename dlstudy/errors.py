"""The one domain error of dlstudy.

Every parser and reference function raises :class:`DlstudyError` for bad input; the CLI turns it into a
one-line message on stderr and exit code 2 (``DLSTUDY_DEBUG=1`` shows the traceback before it).
"""

from __future__ import annotations

import difflib
import re
import sys
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


#: Characters of a long line shown around the caret (a 5,000-digit number is cut with "…").
_CARET_WIDTH = 100


def caret(text: str, pos: int) -> str:
    """The line of ``text`` that holds ``pos``, with a caret under that column; a long line is cut
    to :data:`_CARET_WIDTH` characters around the caret."""
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    end = end if end != -1 else len(text)
    lo = max(start, min(pos - _CARET_WIDTH // 2, end - _CARET_WIDTH))
    hi = min(end, lo + _CARET_WIDTH)
    line = ("…" if lo > start else "") + text[lo:hi] + ("…" if hi < end else "")
    return f"  {line}\n  {' ' * (pos - lo + (lo > start))}^"


def long_integer(text: str) -> str:
    """Where ``text`` holds an integer too long for Python to convert (past
    ``sys.get_int_max_str_digits()``, 4,300 digits): ``"line 2, column 5: an integer of 5,001
    digits (at most 4,300)"``. For the ``ValueError`` that ``json`` and ``tomllib`` raise then."""
    limit = sys.get_int_max_str_digits() or 4300
    m = re.search(rf"\d{{{limit + 1},}}", text)
    if m is None:
        return f"an integer of more than {limit:,} digits"
    line = text.count("\n", 0, m.start()) + 1
    col = m.start() - (text.rfind("\n", 0, m.start()) + 1) + 1
    return f"line {line}, column {col}: an integer of {len(m.group()):,} digits (at most {limit:,})"
