"""Compare a student's answer with a reference :class:`~dlstudy.reference.registry.Solution`.

One comparison for ``dlstudy solve --answer``, ``dlstudy check`` and the quiz:

* numbers are equal within ``|given - expected| <= max(atol, rtol·|expected|)`` (default 1e-3 each),
  or by a ``compare(expected, given)`` function (the bank's precision contract,
  :mod:`dlstudy.answers.precision`);
* arrays entry by entry (shapes must agree; the wrong entries are listed);
* objects key by key;
* a list of per-stage values is compared with the solution's checkpoints and the first stage that
  diverges is named;
* a wrong answer that equals a wrong-method answer names the mistake.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from dlstudy.errors import DlstudyError

DEFAULT_RTOL = 1e-3
DEFAULT_ATOL = 1e-3

#: ``compare(expected, given) -> bool`` for two numbers (replaces ``rtol``/``atol`` when given).
Compare = Callable[[float, float], bool]


@dataclass
class Verdict:
    correct: bool
    message: str
    wrong_entries: list[dict[str, Any]] = field(default_factory=list)
    mistake: Any = None  # a registry.Mistake
    first_wrong_step: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"correct": self.correct, "message": self.message}
        if self.wrong_entries:
            out["wrong_entries"] = self.wrong_entries
        if self.mistake is not None:
            out["mistake"] = {"name": self.mistake.name, "message": self.mistake.message}
        if self.first_wrong_step is not None:
            out["first_wrong_step"] = self.first_wrong_step
        return out


def close(
    expected: float, given: float, rtol: float = DEFAULT_RTOL, atol: float = DEFAULT_ATOL
) -> bool:
    """``|given - expected| <= max(atol, rtol·|expected|)``; infinities must match exactly."""
    e, g = float(expected), float(given)
    if math.isinf(e) or math.isinf(g):
        return e == g
    if math.isnan(e) or math.isnan(g):
        return False
    return abs(g - e) <= max(atol, rtol * abs(e))


def _plain(x: Any) -> Any:
    """numpy → lists/floats; tuples → lists; Fractions → floats."""
    if hasattr(x, "tolist"):
        x = x.tolist()
    if isinstance(x, tuple):
        x = list(x)
    if isinstance(x, list):
        return [_plain(v) for v in x]
    if isinstance(x, dict):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, Fraction):
        return float(x)
    return x


def diff(
    expected: Any,
    given: Any,
    rtol: float,
    atol: float,
    path: str = "",
    strict: bool = False,
    *,
    compare: Compare | None = None,
) -> list[dict[str, Any]]:
    """Entries of ``given`` that differ from ``expected``; raises on incompatible structure.

    Leniently, a number stands for a one-entry list and a one-entry list for a number (so a column
    ``[[1], [2]]`` reads as the vector ``[1, 2]``); ``strict`` allows only a one-entry list for the
    whole answer, so every other shape difference is an error. ``compare`` replaces
    ``rtol``/``atol``."""
    e, g = _plain(expected), _plain(given)
    if isinstance(e, dict):
        if not isinstance(g, dict):
            raise DlstudyError(f"expected an object with keys {', '.join(e)}{_at(path)}")
        missing = [k for k in e if k not in g]
        extra = [k for k in g if k not in e]
        if missing or extra:
            raise DlstudyError(
                f"keys differ{_at(path)}: missing {missing or 'none'}, unexpected {extra or 'none'}"
            )
        out: list[dict[str, Any]] = []
        for k in e:
            key_path = f"{path}.{k}" if path else str(k)
            out += diff(e[k], g[k], rtol, atol, key_path, strict, compare=compare)
        return out
    if isinstance(e, list):
        if isinstance(g, (int, float)) and len(e) == 1 and not strict:
            g = [g]
        if not isinstance(g, list):
            raise DlstudyError(
                f"expected a list of {len(e)} entries{_at(path)}, got a single value"
            )
        if len(g) != len(e):
            raise DlstudyError(
                f"expected {len(e)} entries{_at(path)} (shape {shape_of(e)}), got {len(g)}"
            )
        out = []
        for i, (ee, gg) in enumerate(zip(e, g, strict=True)):
            out += diff(ee, gg, rtol, atol, f"{path}[{i}]", strict, compare=compare)
        return out
    if isinstance(e, bool) or isinstance(e, str):
        same = str(e).lower() == str(g).lower()
        return [] if same else [{"entry": path or "answer", "expected": e, "given": g}]
    if isinstance(g, list) and len(g) == 1 and not (strict and path):
        g = g[0]
    if isinstance(g, bool) or not isinstance(g, (int, float)):
        raise DlstudyError(f"expected a number{_at(path)}, got {g!r}")
    if compare(e, g) if compare is not None else close(e, g, rtol, atol):
        return []
    return [{"entry": path or "answer", "expected": e, "given": g}]


def shape_of(x: Any) -> tuple[int, ...]:
    shape: list[int] = []
    while isinstance(x, list):
        shape.append(len(x))
        x = x[0] if x else None
    return tuple(shape)


def _at(path: str) -> str:
    return f" at {path}" if path else ""


def matches(
    expected: Any, given: Any, rtol: float, atol: float, *, compare: Compare | None = None
) -> bool:
    try:
        return not diff(expected, given, rtol, atol, compare=compare)
    except DlstudyError:
        return False


def grade(
    solution: Any,
    given: Any,
    rtol: float = DEFAULT_RTOL,
    atol: float = DEFAULT_ATOL,
    strict_shape: bool = False,
    *,
    compare: Compare | None = None,
) -> Verdict:
    """Grade ``given`` (a parsed value) against ``solution`` (a registry Solution).

    Raises :class:`DlstudyError` when ``given`` cannot be compared at all (wrong shape or kind):
    that is invalid input, not a wrong answer, unless a wrong method gives exactly that answer.
    ``strict_shape``: see :func:`diff`; ``compare`` replaces ``rtol``/``atol``.
    """
    checkpoints = solution.checkpoints
    if checkpoints and _looks_like_stages(given, checkpoints, solution.result):
        return _grade_stages(solution, given, rtol, atol, compare)
    try:
        wrong = diff(solution.result, given, rtol, atol, strict=strict_shape, compare=compare)
    except DlstudyError:
        # A wrong shape is invalid input, unless a wrong method produces exactly that shape
        # (a valid instead of a full correlation, padding ignored): then name the mistake.
        for mistake in solution.mistakes:
            if matches(mistake.value, given, rtol, atol, compare=compare):
                return Verdict(False, f"wrong: {mistake.message}", [], mistake)
        raise
    if not wrong:
        return Verdict(True, "correct")
    for mistake in solution.mistakes:
        if matches(mistake.value, given, rtol, atol, compare=compare) and not matches(
            mistake.value, solution.result, rtol, atol, compare=compare
        ):
            return Verdict(False, f"wrong: {mistake.message}", wrong, mistake)
    n_total = len(_leaves(_plain(solution.result)))
    if n_total > 1:
        return Verdict(False, f"wrong: {len(wrong)} of {n_total} entries differ", wrong)
    return Verdict(False, "wrong", wrong)


def _leaves(x: Any) -> list[Any]:
    if isinstance(x, list):
        return [leaf for v in x for leaf in _leaves(v)]
    if isinstance(x, dict):
        return [leaf for v in x.values() for leaf in _leaves(v)]
    return [x]


def _looks_like_stages(given: Any, checkpoints: list[tuple[str, Any]], result: Any) -> bool:
    g = _plain(given)
    if not isinstance(g, list) or len(g) != len(checkpoints) or len(checkpoints) < 2:
        return False
    if _compatible(result, g):
        return False
    return all(_compatible(value, gi) for (_, value), gi in zip(checkpoints, g, strict=True))


def _compatible(expected: Any, given: Any) -> bool:
    try:
        diff(expected, given, 1.0, math.inf)
        return True
    except DlstudyError:
        return False


def _grade_stages(
    solution: Any, given: list[Any], rtol: float, atol: float, compare: Compare | None = None
) -> Verdict:
    for (label, value), g in zip(solution.checkpoints, _plain(given), strict=True):
        wrong = diff(value, g, rtol, atol, compare=compare)
        if wrong:
            for mistake in solution.mistakes:
                if matches(mistake.value, _plain(given)[-1], rtol, atol, compare=compare):
                    return Verdict(
                        False,
                        f"your working first goes wrong at {label}: {mistake.message}",
                        wrong,
                        mistake,
                        label,
                    )
            return Verdict(False, f"your working first goes wrong at {label}", wrong, None, label)
    return Verdict(True, "correct (every stage)")
