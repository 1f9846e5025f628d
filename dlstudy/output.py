"""Where output goes: results to stdout (rich for people, one JSON object for ``--json``), messages to
stderr. rich is imported lazily so that commands which print nothing pay nothing for it.
``NO_COLOR`` and non-terminal output are handled by rich itself.
"""

from __future__ import annotations

import json
import math
import os
import sys
from fractions import Fraction
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

_consoles: dict[str, Console] = {}


def _make_console(stderr: bool) -> Console:
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            # the reader went away (``dlstudy solve --list | head``): stop quietly with exit 0,
            # as the CLI does for print_json; rich's default exits 1
            self.quiet = True
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise SystemExit(0)

    return _Console(stderr=stderr, highlight=False)


def console() -> Console:
    """The stdout console (rich tables for people)."""
    if "out" not in _consoles:
        _consoles["out"] = _make_console(stderr=False)
    return _consoles["out"]


def err_console() -> Console:
    """The stderr console (messages, warnings, progress)."""
    if "err" not in _consoles:
        _consoles["err"] = _make_console(stderr=True)
    return _consoles["err"]


def to_jsonable(obj: Any) -> Any:
    """Plain JSON for numpy arrays and scalars, fractions, tuples and dataclass-like objects.

    Non-finite floats become the strings ``"inf"``, ``"-inf"`` and ``"nan"`` so the output stays valid JSON.
    """
    if isinstance(obj, bool) or obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, int):
        return obj
    if isinstance(obj, float):
        if math.isfinite(obj):
            return obj
        return "nan" if math.isnan(obj) else ("inf" if obj > 0 else "-inf")
    if isinstance(obj, Fraction):
        return to_jsonable(float(obj))
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if hasattr(obj, "tolist"):  # numpy array or scalar
        return to_jsonable(obj.tolist())
    if hasattr(obj, "to_json"):
        return to_jsonable(obj.to_json())
    if hasattr(obj, "__float__"):
        return to_jsonable(float(obj))
    return str(obj)


def print_json(obj: Any) -> None:
    """Print exactly one JSON object on stdout."""
    sys.stdout.write(json.dumps(to_jsonable(obj), ensure_ascii=False) + "\n")
    sys.stdout.flush()


def info(message: str) -> None:
    """A message for the person at the terminal, on stderr."""
    err_console().print(message)


def format_number(x: Any, digits: int = 6) -> str:
    """A number as a student writes it: integers without a decimal point, others to ``digits``
    significant digits."""
    if isinstance(x, bool):
        return str(x).lower()
    if isinstance(x, int):
        return str(x)
    if isinstance(x, Fraction):
        return str(x)
    try:
        f = float(x)
    except (TypeError, ValueError):
        return str(x)
    if math.isfinite(f) and f == round(f) and abs(f) < 1e15:
        return str(round(f))
    return f"{f:.{digits}g}"


def format_array(value: Any, digits: int = 4) -> str:
    """A number, vector or matrix on one line, for the working: ``3``, ``[1, 0.5]``, ``[1, 2; 3, 4]``."""
    v = value.tolist() if hasattr(value, "tolist") else value
    if isinstance(v, (list, tuple)):
        if v and isinstance(v[0], (list, tuple)):
            return "[" + "; ".join(format_array(row, digits)[1:-1] for row in v) + "]"
        return "[" + ", ".join(format_number(x, digits) for x in v) + "]"
    return format_number(v, digits)


def format_factor(x: Any, digits: int = 6) -> str:
    """A number as a factor of a product or the term after a minus sign: a negative one in
    parentheses, ``2·(−1)`` rather than ``2·−1`` (the worked solutions write ``−``)."""
    text = format_number(x, digits)
    return f"({text})" if text.startswith("-") else text
