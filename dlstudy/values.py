"""Parse the values a user types on the command line (``dlstudy solve NAME key=value``).

A value is, in this order of recognition:

* ``@path``: a JSON or TOML file (by extension), or a text file holding one of the forms below;
* a JSON literal: ``[[1,2],[3,4]]``, ``{"s0": 1}``, ``["a", "b"]``, ``true``;
* a number, vector or matrix in the answer language of :mod:`dlstudy.answers` (the same one the quiz
  reads): ``3``, ``-0.5``, ``1e-3``, ``7/4`` (kept exact as :class:`fractions.Fraction`), ``log(4)``,
  ``sqrt(3)/2``, ``"1 2; 3 4"``, ``"1/2 1/4"``, ``[1 2; 3 4]``;
* a word: ``uniform``, ``convolution``, ``s0``.

Values are parsed, never evaluated. Non-finite numbers are rejected.
"""

from __future__ import annotations

import json
import re
import tomllib
from fractions import Fraction
from pathlib import Path
from typing import Any

from dlstudy.errors import DlstudyError, long_integer

Number = int | float | Fraction

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*\Z")
_MAX_CHARS = 100_000  # one value typed inline (the OS caps one argument at 128 KiB anyway)
_MAX_FILE_BYTES = 10_000_000

EXPECTED = (
    "expected a number (3, -0.5, 1e-3, log(4)), a fraction (7/4), a JSON literal ([[1,2],[3,4]]), "
    'a matrix ("1 2; 3 4"), a word, or @file.json / @file.toml'
)


def _exact(value: Any) -> Any:
    """Answer-parser numbers as plain values: integral fractions → int, others kept (recursively)."""
    if isinstance(value, list):
        return [_exact(v) for v in value]
    if isinstance(value, Fraction) and value.denominator == 1:
        return int(value)
    return value


def _numeric(text: str) -> tuple[Any, str]:
    """``(value, "")`` for a number, vector or matrix, else ``(None, why it could not be read)``."""
    from dlstudy.answers import AnswerError, read_numeric

    try:
        return _exact(read_numeric(text).value), ""
    except AnswerError as exc:
        return None, exc.message


def parse_number(text: str) -> Number | None:
    """A single number (``3``, ``-0.5``, ``1/3``, ``log(2)``), or ``None`` if ``text`` is not one."""
    value, _ = _numeric(text)
    return None if isinstance(value, list) else value


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
    except ValueError:  # an integer past the 4,300 digits Python converts
        raise DlstudyError(f"invalid JSON at {long_integer(text)}") from None
    except RecursionError:
        raise DlstudyError("JSON nested too deeply") from None


def read_file_text(path_text: str, limit: int = _MAX_FILE_BYTES) -> str:
    """The UTF-8 text of the regular file at ``path_text``, read in chunks up to ``limit`` bytes
    (:func:`dlstudy.files.read_limited`: a folder, a FIFO or a device is refused, not opened), or
    the domain error."""
    from dlstudy.files import UnreadableFile, read_limited

    path = Path(path_text).expanduser()
    try:
        path.stat()
    except FileNotFoundError:
        raise DlstudyError(f"file not found: {_short(path_text)}") from None
    except (OSError, ValueError):  # a name too long for the file system, ...
        pass  # read_limited says why
    try:
        raw = read_limited(path, limit)
    except UnreadableFile as exc:
        raise DlstudyError(f"{_short(path_text)}: {exc.reason}") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise DlstudyError(f"{_short(path_text)} is not UTF-8 text") from None


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
        except ValueError:  # an integer past the 4,300 digits Python converts
            raise DlstudyError(f"{path_text}: invalid TOML at {long_integer(text)}") from None
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
    if t[0] in "[{" or t in ("true", "false", "null"):
        try:
            value = parse_json(t)  # JSON keeps its exact types (ints, strings, objects)
        except DlstudyError as exc:
            if t[0] == "{":
                raise
            value = exc  # not JSON: maybe a matrix in the answer language, [1 2; 3 4]
        if value is None:
            raise DlstudyError(f"null is not a value: {EXPECTED}")
        if not isinstance(value, DlstudyError):
            return value
    value, why = _numeric(t)
    if value is not None:
        return value
    if _WORD.match(t):
        return t
    raise DlstudyError(f"could not read '{_short(t)}' ({why}): {EXPECTED}")


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
