"""Parse the values a user types on the command line (``dlstudy solve NAME key=value``).

A value is, in this order of recognition:

* ``@path``: a JSON or TOML file (by extension), or a text file holding one of the forms below;
* a JSON literal: ``[[1,2],[3,4]]``, ``{"s0": 1}``, ``true``;
* a number: ``3``, ``-0.5``, ``1e-3``, or a fraction ``7/4`` (kept exact as :class:`fractions.Fraction`);
* a MATLAB-style matrix or vector: ``"1 2; 3 4"``, ``"1, 2, 3"``, ``"1/2 1/4; 0 1"``;
* a word: ``uniform``, ``convolution``, ``true``/``false``.

Values are parsed, never evaluated. Non-finite numbers are rejected.
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from fractions import Fraction
from pathlib import Path
from typing import Any

from dlstudy.errors import DlstudyError

Number = int | float | Fraction

_INT = re.compile(r"[+-]?\d+\Z")
_FLOAT = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\Z")
_FRACTION = re.compile(r"([+-]?\d+)\s*/\s*([+-]?\d+)\Z")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*\Z")
_MAX_CHARS = 100_000  # one value typed inline (the OS caps one argument at 128 KiB anyway)
_MAX_FILE_BYTES = 10_000_000
_MAX_DIGITS = 4300  # Python's limit for int(str)

EXPECTED = (
    "expected a number (3, -0.5, 1e-3), a fraction (7/4), a JSON literal ([[1,2],[3,4]]), "
    'a matrix ("1 2; 3 4"), a word, or @file.json / @file.toml'
)


def parse_number(text: str) -> Number | None:
    """An int, float or exact fraction, or ``None`` if ``text`` is not one."""
    t = text.strip()
    if _INT.match(t):
        if len(t) > _MAX_DIGITS:
            return None
        return int(t)
    if _FLOAT.match(t):
        value = float(t)
        return value if math.isfinite(value) else None
    m = _FRACTION.match(t)
    if m:
        if max(len(m.group(1)), len(m.group(2))) > _MAX_DIGITS:
            return None
        den = int(m.group(2))
        if den == 0:
            raise DlstudyError(f"division by zero in '{t}'")
        return Fraction(int(m.group(1)), den)
    return None


def _reject_constant(name: str) -> Any:
    raise DlstudyError(f"non-finite number {name} is not allowed")


def parse_json(text: str) -> Any:
    """JSON with a located error message; NaN and Infinity are rejected."""
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise DlstudyError(
            f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    except RecursionError:
        raise DlstudyError("JSON nested too deeply") from None


def parse_matrix(text: str) -> list[Any] | None:
    """``"1 2; 3 4"`` → ``[[1, 2], [3, 4]]``; ``"1 2 3"`` → ``[1, 2, 3]``; ``None`` if not a matrix.

    Rows are separated by ``;`` or newlines, entries by spaces or commas. Ragged rows are an error.
    """
    t = text.strip().strip("[]").strip()
    if not t:
        return None
    rows_text = [r for r in re.split(r"[;\n]", t)]
    rows: list[list[Number]] = []
    for i, row_text in enumerate(rows_text):
        tokens = [tok for tok in re.split(r"[,\s]+", row_text.strip()) if tok]
        if not tokens:
            if i == len(rows_text) - 1 and rows:  # trailing ';'
                continue
            raise DlstudyError(f"empty row {i + 1} in matrix '{text}'")
        row = []
        for tok in tokens:
            value = parse_number(tok)
            if value is None:
                return None
            row.append(value)
        rows.append(row)
    if len(rows) == 1 and ";" not in t and "\n" not in t:
        return rows[0] if len(rows[0]) > 1 else None
    widths = {len(r) for r in rows}
    if len(widths) > 1:
        lengths = ", ".join(str(len(r)) for r in rows)
        raise DlstudyError(f"ragged matrix: rows have {lengths} entries; every row needs the same")
    return rows


def read_file_text(path_text: str) -> str:
    """The UTF-8 text of the file at ``path_text`` (bounded in size), or the domain error."""
    path = Path(path_text).expanduser()
    try:
        found = path.is_file()
    except (OSError, ValueError):  # a name too long for the file system, ...
        found = False
    if not found:
        raise DlstudyError(f"file not found: {_short(path_text)}")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DlstudyError(f"cannot read {path_text}: {exc.strerror}") from None
    if len(raw) > _MAX_FILE_BYTES:
        raise DlstudyError(f"{path_text} is too large ({len(raw)} bytes)")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise DlstudyError(f"{path_text} is not UTF-8 text") from None


def read_file_value(path_text: str) -> Any:
    """The value stored in ``@path``: JSON, TOML, or text in one of the inline forms."""
    text = read_file_text(path_text)
    path = Path(path_text)
    suffix = path.suffix.lower()
    if suffix == ".json":
        try:
            return parse_json(text)
        except DlstudyError as exc:
            raise DlstudyError(f"{path_text}: {exc.message}") from None
    if suffix == ".toml":
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise DlstudyError(f"{path_text}: invalid TOML: {exc}") from None
        except RecursionError:
            raise DlstudyError(f"{path_text}: TOML nested too deeply") from None
    return parse_value(text, allow_file=False)


def parse_value(text: str, *, allow_file: bool = True) -> Any:
    """Parse one value typed by a user (see the module docstring). Raises :class:`DlstudyError`."""
    if len(text) > _MAX_CHARS:
        raise DlstudyError(
            f"value too long ({len(text)} characters; at most {_MAX_CHARS}): "
            "put large arrays in a file and pass @file.json"
        )
    if "\x00" in text:
        raise DlstudyError("value contains a NUL byte")
    t = text.strip()
    if not t:
        raise DlstudyError(f"empty value: {EXPECTED}")
    if t.startswith("@") and allow_file:
        return read_file_value(t[1:])
    number = parse_number(t)
    if number is not None:
        return number
    if t[0] in "[{" or t in ("true", "false", "null"):
        if t[0] == "[" and not t.startswith("[["):
            matrix = _try_bracketed_matrix(t)
            if matrix is not None:
                return matrix
        value = parse_json(t)
        if value is None:
            raise DlstudyError(f"null is not a value: {EXPECTED}")
        return value
    matrix = parse_matrix(t)
    if matrix is not None:
        return matrix
    if _WORD.match(t):
        return t
    raise DlstudyError(f"could not read '{_short(t)}': {EXPECTED}")


def _try_bracketed_matrix(t: str) -> list[Any] | None:
    """``[1 2; 3 4]`` or ``[1/2, 1/4]`` (MATLAB brackets or fractions inside), else ``None``."""
    inner = t[1:-1] if t.endswith("]") else None
    if inner is None or "[" in inner or "{" in inner:
        return None
    try:
        json.loads(t)
        return None  # plain JSON: let the JSON parser keep its exact types
    except json.JSONDecodeError:
        pass
    return parse_matrix(inner) or ([v] if (v := parse_number(inner)) is not None else None)


def parse_assignment(arg: str) -> tuple[str, Any]:
    """``key=value`` → ``(key, parsed value)``."""
    if "=" not in arg:
        raise DlstudyError(f"expected key=value, got '{_short(arg)}'")
    key, _, value = arg.partition("=")
    key = key.strip()
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_\-]*", key):
        raise DlstudyError(f"invalid parameter name '{_short(key)}' in '{_short(arg)}'")
    try:
        return key.replace("-", "_"), parse_value(value)
    except DlstudyError as exc:
        raise DlstudyError(f"{key}: {exc.message}", exc.detail) from None


def _short(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"
