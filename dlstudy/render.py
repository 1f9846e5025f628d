"""Plain-text rendering of values as a student writes them: numbers without noise, vectors in
brackets, matrices as aligned grids. Pure Python (numpy arrays are converted with ``tolist``)."""

from __future__ import annotations

from typing import Any

from dlstudy.output import format_number


def _plain(value: Any) -> Any:
    return value.tolist() if hasattr(value, "tolist") else value


def is_matrix(value: Any) -> bool:
    v = _plain(value)
    return isinstance(v, list) and bool(v) and all(isinstance(r, list) for r in v)


def grid(matrix: Any, digits: int = 4, indent: str = "") -> str:
    """An aligned grid, one row per line, e.g. ``[[1, -2], [3, 4]]`` → ``" 1  -2\\n 3   4"``."""
    rows = [[format_number(x, digits) for x in row] for row in _plain(matrix)]
    if rows and all(isinstance(r, list) and r and isinstance(r[0], list) for r in _plain(matrix)):
        # 3-D: channels, one grid per channel
        return "\n\n".join(
            f"{indent}[channel {c}]\n" + grid(ch, digits, indent)
            for c, ch in enumerate(_plain(matrix))
        )
    width = max((len(s) for r in rows for s in r), default=1)
    return "\n".join(indent + "  ".join(s.rjust(width) for s in r) for r in rows)


def value_text(value: Any, digits: int = 6) -> str:
    """A value on one line (numbers, vectors, objects) or as a grid (matrices)."""
    v = _plain(value)
    if is_matrix(v):
        return grid(v, digits)
    if isinstance(v, list):
        return "[" + ", ".join(value_text(x, digits) for x in v) + "]"
    if isinstance(v, dict):
        return ", ".join(f"{k}: {value_text(x, digits)}" for k, x in v.items())
    return format_number(v, digits)
