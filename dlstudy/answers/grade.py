"""Grade a typed answer by the kind of question.

* number, vector, matrix: each entry at the question's precision (:mod:`dlstudy.answers.precision`:
  the correctly rounded value is right, more than one unit off in the last asked digit is wrong, a
  correctly rounded value with fewer digits than asked is not counted but asked again), naming the
  wrong entries by their indices counted from 0, as the notes and the worked solutions do;
* integer: exactly;
* a well-formed answer of another length or shape is wrong (counted), the mistake named when a
  wrong method gives it, and the size of the answer said after grading (:attr:`Grade.note`);
* expression: equivalence, refuted by a counterexample at random points, proved by the equivalence
  engine of ``verify --claim`` within a CPU-time limit (:mod:`dlstudy.answers.symbolic`), else
  accepted on agreement at every random point, and the feedback says which of the two it was;
* choice / bool / words: exactly.

A wrong answer equal to a misconception's answer names the mistake. The numeric comparison and the
mistake matching are :func:`dlstudy.grading.grade`'s.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from dlstudy import grading
from dlstudy.answers.expr import evaluate, symbols_in
from dlstudy.answers.expr_syntax import AnswerError, AskAgain, Node
from dlstudy.answers.precision import Precision, default_precision, too_few_digits, within
from dlstudy.answers.reading import (
    read_bool,
    read_choice,
    read_expression,
    read_numeric_answer,
    read_words,
    shape_text,
    to_plain,
)
from dlstudy.errors import DlstudyError

KINDS = ("number", "integer", "vector", "matrix", "expression", "choice", "bool")
SYMBOLIC_SECONDS = 2.0  # CPU seconds for the symbolic check of one expression answer
N_POINTS = 12


@dataclass
class Grade:
    """The verdict on one answer (see the module docstring)."""

    correct: bool
    read_as: str
    message: str
    mistake: str | None = None
    mistake_feedback: str | None = None
    wrong_entries: list[dict[str, Any]] = field(default_factory=list)
    score: float = 0.0
    note: str | None = None  # said after grading: "the answer has 2 entries (yours has 4)"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "correct": self.correct,
            "read_as": self.read_as,
            "message": self.message,
            "score": self.score,
        }
        if self.mistake is not None:
            out["mistake"] = {
                "name": self.mistake,
                "description": self.mistake_feedback,
                "feedback": self.mistake_feedback,
            }
        if self.wrong_entries:
            out["wrong_entries"] = self.wrong_entries
        if self.note:
            out["note"] = self.note
        return out


@dataclass
class ExprMistake:
    """A wrong-method answer of an expression question, given as an expression."""

    name: str
    message: str
    node: Node


@dataclass
class Expected:
    """What a question expects. ``answer`` is plain JSON (number, nested lists, bool, list of words),
    the option index for choices, or ``None`` for expressions (see ``expression``). ``mistakes`` are
    registry ``Mistake`` objects (their ``value`` already picked) or :class:`ExprMistake`.

    ``precision``: the contract of a numeric answer (``None``: the bank default for ``kind``).
    ``size``: the answer is the side of a square (``7×7``, ``(7, 7)`` read as 7). ``rtol``/``atol``:
    a plain tolerance instead of a precision (only when given and ``precision`` is ``None``).
    ``domain``: symbol → (low, high) of an expression answer: its random points are drawn there, and
    a low end ≥ 0 makes the symbol positive for the symbolic check (a standard deviation σ > 0), a
    high end ≤ 0 negative."""

    kind: str
    answer: Any
    mistakes: list[Any] = field(default_factory=list)
    checkpoints: list[tuple[str, Any]] = field(default_factory=list)
    rtol: float | None = None
    atol: float | None = None
    symbols: tuple[str, ...] = ()
    options: list[str] = field(default_factory=list)
    expression: Node | None = None
    partial: bool = False
    precision: Precision | None = None
    size: bool = False
    domain: dict[str, tuple[float, float]] = field(default_factory=dict)

    def contract(self) -> Precision:
        """The precision the answer is graded at."""
        return self.precision or default_precision(self.kind)

    def compare(self) -> grading.Compare:
        """``compare(expected, given)`` for one number of this question."""
        if self.precision is None and (self.rtol is not None or self.atol is not None):
            rtol = grading.DEFAULT_RTOL if self.rtol is None else self.rtol
            atol = grading.DEFAULT_ATOL if self.atol is None else self.atol
            return lambda e, g: grading.close(e, g, rtol, atol)
        precision = self.contract()
        return lambda e, g: within(precision, e, g)


def grade_answer(expected: Expected, text: str, *, symbolic: bool = True) -> Grade:
    """Read ``text`` as ``expected.kind`` asks and grade it. Raises :class:`AnswerError` for
    input that cannot be read or does not have the expected shape (never counted as wrong).

    ``symbolic=False`` skips the symbolic check of equivalent expressions (random points only)."""
    kind = expected.kind
    if kind in ("number", "integer", "vector", "matrix"):
        if _has_words(expected.answer):
            return _grade_words(expected, text)
        return _grade_numeric(expected, text)
    if kind == "choice":
        reading = read_choice(text, expected.options)
        ok = reading.value == expected.answer
        return _simple(ok, reading.read_as, expected)
    if kind == "bool":
        reading = read_bool(text)
        ok = reading.value == bool(expected.answer)
        return _simple(ok, reading.read_as, expected)
    if kind == "expression":
        return _grade_expression(expected, text, symbolic)
    raise DlstudyError(f"unknown answer kind '{kind}'; kinds: {', '.join(KINDS)}")


def _simple(ok: bool, read_as: str, expected: Expected) -> Grade:
    return Grade(ok, read_as, "correct" if ok else "wrong", score=1.0 if ok else 0.0)


def _has_words(x: Any) -> bool:
    if isinstance(x, list):
        return any(_has_words(v) for v in x)
    return isinstance(x, str)


def _grade_words(expected: Expected, text: str) -> Grade:
    reading = read_words(text)
    want = [
        str(w)
        for w in (expected.answer if isinstance(expected.answer, list) else [expected.answer])
    ]
    given = reading.value
    if len(given) != len(want):  # well formed, another length: wrong
        note = f"the answer has {_entries(len(want))}; yours has {len(given)}"
        return Grade(False, reading.read_as, "wrong", note=note)
    wrong = [
        {"entry": f"[{i}]", "where": f"[{i}]", "expected": w, "given": g}
        for i, (w, g) in enumerate(zip(want, given, strict=True))
        if w.casefold() != g.casefold()
    ]
    if not wrong:
        return Grade(True, reading.read_as, "correct", score=1.0)
    score = 1 - len(wrong) / len(want) if expected.partial else 0.0
    message = f"wrong: {_differ(wrong, len(want))}"
    return Grade(False, reading.read_as, message, wrong_entries=wrong, score=score)


def _grade_numeric(expected: Expected, text: str) -> Grade:
    want = expected.answer
    scalar = not isinstance(want, list)
    checkpoints = list(expected.checkpoints)
    reading = read_numeric_answer(
        text,
        grading.shape_of(want),
        integer=expected.kind == "integer",
        size=expected.size,
        stages=len(checkpoints),
    )
    given = to_plain(reading.value)
    digits = reading.digits
    staged = _stages(want, given, checkpoints)
    if staged is not None:
        given, digits = staged, _split_like(digits, staged)
    compare = expected.compare()
    solution = SimpleNamespace(
        result=want,
        checkpoints=checkpoints,
        mistakes=[m for m in expected.mistakes if not isinstance(m, ExprMistake)],
    )
    note = None
    try:
        verdict = grading.grade(solution, given, strict_shape=staged is None, compare=compare)
    except AnswerError:
        raise
    except DlstudyError:  # well formed, another shape, and no wrong method gives it: wrong
        verdict = grading.Verdict(False, "wrong")
    if not verdict.correct and verdict.first_wrong_step is None and not _same_shape(want, given):
        note = _shape_note(want, given, checkpoints, expected.size)
    if verdict.correct:
        return Grade(True, reading.read_as, "correct", score=1.0)
    if note is None:
        _ask_for_digits(expected, verdict, digits, reading.read_as)
    mistake = verdict.mistake
    wrong = [_humane(e) for e in verdict.wrong_entries] if note is None else []
    if mistake is not None:
        message = f"wrong: {mistake.message}"
        if verdict.first_wrong_step:
            message = f"wrong: your working first goes wrong at {verdict.first_wrong_step}: {mistake.message}"
        return Grade(
            False, reading.read_as, message, mistake.name, mistake.message, wrong, 0.0, note
        )
    if verdict.first_wrong_step:
        message = f"wrong: your working first goes wrong at {verdict.first_wrong_step}"
    elif not scalar and wrong:
        message = f"wrong: {_differ(wrong, _count(want))}"
    else:
        message = "wrong"
    score = 0.0
    if expected.partial and not scalar and wrong and not verdict.first_wrong_step:
        score = 1.0 - len(wrong) / _count(want)
    return Grade(False, reading.read_as, message, None, None, wrong, score, note)


def _stages(want: Any, given: Any, checkpoints: list[tuple[str, Any]]) -> list[Any] | None:
    """``given`` as one value per stage, when it is that (``7 11 19``, or ``[δ², δ¹]`` for a vector
    answer whose stages are vectors: nested or flat), else ``None``."""
    if len(checkpoints) < 2 or not isinstance(given, list):
        return None
    values = [v for _, v in checkpoints]
    if not isinstance(want, list):
        return given if len(given) == len(values) else None
    if not all(isinstance(v, list) and not any(isinstance(x, list) for x in v) for v in values):
        return None
    if len(given) == len(values) and all(
        isinstance(g, list) and len(g) == len(v) for g, v in zip(given, values, strict=True)
    ):
        return given
    sizes = [len(v) for v in values]
    flat = not any(isinstance(g, list) for g in given)
    if flat and len(given) == sum(sizes) and len(given) != len(want):
        out, start = [], 0
        for n in sizes:
            out.append(given[start : start + n])
            start += n
        return out
    return None


def _split_like(digits: Any, staged: list[Any]) -> Any:
    """The digits of a flat answer split like ``staged``."""
    if not isinstance(digits, list) or any(isinstance(d, list) for d in digits):
        return digits
    if not any(isinstance(s, list) for s in staged):
        return digits
    out, start = [], 0
    for s in staged:
        n = len(s) if isinstance(s, list) else 1
        out.append(digits[start : start + n])
        start += n
    return out


def _same_shape(want: Any, given: Any) -> bool:
    if grading.shape_of(want) == grading.shape_of(given):
        return True
    # a one-entry answer stands for a number (and a number for a one-entry vector)
    return _count(want) == 1 and _count(given) == 1 and not _nested(given)


def _nested(x: Any) -> bool:
    return isinstance(x, list) and any(isinstance(v, list) for v in x)


def _number_text(x: Any) -> str:
    return str(int(x)) if isinstance(x, (int, float)) and float(x).is_integer() else str(x)


def _entries(n: int) -> str:
    return f"{n} entr{'y' if n == 1 else 'ies'}"


def _shape_note(want: Any, given: Any, checkpoints: list[tuple[str, Any]], size: bool) -> str:
    """After grading a well-formed answer of another shape: the size of the answer."""
    yours = "one number" if not isinstance(given, list) else shape_text(given)
    if size and isinstance(given, list) and not _nested(given):
        yours = "×".join(_number_text(g) for g in given)
    if not isinstance(want, list):
        what = "one number (the side length)" if size else "one number"
        if checkpoints:
            labels = ", ".join(label for label, _ in checkpoints)
            what += f", or one value per stage ({len(checkpoints)}: {labels})"
        return f"the answer is {what}; yours is {yours}"
    if len(grading.shape_of(want)) == 1:
        return f"the answer has {_entries(len(want))}; yours is {yours}"
    return f"the answer is {shape_text(want)}; yours is {yours}"


def _ask_for_digits(expected: Expected, verdict: Any, digits: Any, read_as: str) -> None:
    """Raise :class:`AnswerError` when every wrong entry is right as far as it goes but written with
    fewer digits than the precision asks (``0.33`` for 1/3 at 3 significant figures)."""
    if expected.precision is None and (expected.rtol is not None or expected.atol is not None):
        return
    entries = verdict.wrong_entries
    if not entries:
        return
    precision = expected.contract()
    if verdict.first_wrong_step is not None:
        labels = [label for label, _ in expected.checkpoints]
        if verdict.first_wrong_step not in labels or not isinstance(digits, list):
            return
        digits = digits[labels.index(verdict.first_wrong_step)]
    short = []
    for entry in entries:
        w = _digits_at(digits, str(entry.get("entry", "")))
        if not too_few_digits(precision, entry["expected"], w):
            return
        short.append(entry)
    ask = precision.ask()
    if len(short) == 1 and not _indices(str(short[0].get("entry", ""))):
        w = _digits_at(digits, str(short[0].get("entry", "")))
        raise AskAgain(f"{_have(precision, w)}: {ask}", read_as)
    where = ", ".join(_where(str(e.get("entry", ""))) for e in short[:8])
    many = "entries" if len(short) > 1 else "entry"
    raise AskAgain(
        f"{many} {where} (counted from 0) {'have' if len(short) > 1 else 'has'} too few digits: {ask}",
        read_as,
    )


def _have(precision: Precision, w: Any) -> str:
    """``0.33 has 2 significant figures``."""
    shown = _plain_number(w)
    if precision.kind == "sig":
        return f"{shown} has {w.sig} significant figure{'s' if w.sig != 1 else ''}"
    if precision.kind == "dp":
        n = max(w.dp, 0)
        return f"{shown} has {n} decimal place{'s' if n != 1 else ''}"
    return f"{shown} is a rounded decimal"


def _plain_number(w: Any) -> str:
    from dlstudy.answers.expr import _fmt

    if w.dp > 0 and w.dp <= 30:
        from decimal import Decimal

        text = f"{Decimal(w.value.numerator) / Decimal(w.value.denominator):.{w.dp}f}"
        return text.replace("-", "−")
    return _fmt(w.value)


def _digits_at(digits: Any, path: str) -> Any:
    for index in _indices(path):
        if not isinstance(digits, list):
            return None
        i = int(index)
        if i >= len(digits):
            return None
        digits = digits[i]
    if isinstance(digits, list) and len(digits) == 1:  # [0.33] for one number
        digits = digits[0]
    return None if isinstance(digits, list) else digits


def _count(x: Any) -> int:
    if isinstance(x, list):
        return sum(_count(v) for v in x)
    return 1


def _where(path: str) -> str:
    """A grading path as the solutions write indices: ``[1][2]`` → ``[1, 2]`` (counted from 0)."""
    indices = _indices(path)
    if indices and "." not in path:
        return "[" + ", ".join(indices) + "]"
    return path


def _humane(entry: dict[str, Any]) -> dict[str, Any]:
    """Add ``where``: ``[2]`` / ``[1, 0]`` (row, column; counted from 0) to a grading entry."""
    return {**entry, "where": _where(str(entry.get("entry", "")))}


def _differ(wrong: list[dict[str, Any]], total: int) -> str:
    """``2 of 9 entries differ: [0, 1], [2, 2] (counted from 0)``."""
    where = ", ".join(e["where"] for e in wrong[:8]) + (", …" if len(wrong) > 8 else "")
    matrix = any(e["where"].count(",") == 1 for e in wrong)
    base = "row, column; counted from 0" if matrix else "counted from 0"
    verb = "differs" if len(wrong) == 1 else "differ"
    return f"{len(wrong)} of {total} entries {verb}: {where} ({base})"


def _indices(path: str) -> list[str]:
    import re

    return re.findall(r"\[(\d+)\]", path)


# -- expressions ---------------------------------------------------------------------------------


def _points(
    symbols: list[str], n: int, domain: Mapping[str, tuple[float, float]] | None = None
) -> Iterator[dict[str, float]]:
    rng = random.Random(20240611)
    domain = domain or {}
    for k in range(n):
        low, high = (0.2, 2.0) if k % 2 == 0 else (-2.0, 2.0)
        yield {s: rng.uniform(*domain.get(s, (low, high))) for s in symbols}


def _value(node: Node, env: dict[str, float]) -> float | None:
    try:
        v = float(evaluate(node, env))  # type: ignore[arg-type]
    except (AnswerError, OverflowError, ValueError, ZeroDivisionError):
        return None
    return v if math.isfinite(v) else None


def defined_points(
    node: Node,
    symbols: list[str],
    n: int = N_POINTS,
    domain: Mapping[str, tuple[float, float]] | None = None,
) -> int:
    """At how many of the ``n`` test points ``node`` has a finite value."""
    return sum(_value(node, env) is not None for env in _points(symbols, n, domain))


def numerically_equal(
    a: Node,
    b: Node,
    symbols: list[str],
    n: int = N_POINTS,
    domain: Mapping[str, tuple[float, float]] | None = None,
) -> bool | None:
    """``False`` on a counterexample, ``True`` if equal at every usable point, ``None`` if fewer
    than 4 points were usable (both sides defined). ``domain`` bounds some symbols' points."""
    usable = 0
    for env in _points(symbols, n, domain):
        va, vb = _value(a, env), _value(b, env)
        if va is None or vb is None:
            continue
        usable += 1
        if abs(va - vb) > 1e-9 * max(1.0, abs(va), abs(vb)):
            return False
    return True if usable >= 4 else None


def _grade_expression(expected: Expected, text: str, symbolic: bool = True) -> Grade:
    from dlstudy.answers.symbolic import engine_check

    reading = read_expression(text, expected.symbols)
    assert expected.expression is not None
    symbols = sorted(set(expected.symbols) | symbols_in(expected.expression))
    domain = expected.domain
    same = numerically_equal(expected.expression, reading.value, symbols, domain=domain)
    if same is None and defined_points(expected.expression, symbols, domain=domain) < 4:
        # the template's fault, not the student's: never ask them to "simplify and retry"
        raise DlstudyError(
            "this question is broken: its answer expression is undefined at the test points "
            "(a template error; `dlstudy bank lint` reports it)"
        )
    if same is None:
        raise AnswerError(
            f"cannot compare {reading.shown}: it is undefined at the test points; simplify it and retry"
        )
    if same:
        if not symbolic:
            how = f"equivalent at {N_POINTS} random points; not checked symbolically"
            return Grade(True, reading.read_as, f"correct ({how})", score=1.0)
        check = engine_check(
            expected.expression,
            reading.value,
            symbols,
            positive=[s for s, (low, _high) in domain.items() if low >= 0],
            negative=[s for s, (_low, high) in domain.items() if high <= 0],
            cpu_seconds=SYMBOLIC_SECONDS,
        )
        if check.status == "equivalent":
            return Grade(
                True, reading.read_as, "correct (equivalent: proved symbolically)", score=1.0
            )
        if check.status == "not-equivalent":
            # equal at the random points, yet the engine found a certain counterexample elsewhere
            return Grade(
                False,
                reading.read_as,
                f"wrong: not equivalent to the expected expression (at {check.where} the answer "
                f"is {check.expected_value}, yours is {check.given_value})",
                score=0.0,
            )
        how = (
            f"equivalent at {N_POINTS} random points: checked numerically, not proved "
            f"symbolically within {SYMBOLIC_SECONDS:g} CPU seconds"
        )
        return Grade(True, reading.read_as, f"correct ({how})", score=1.0)
    for m in expected.mistakes:
        if isinstance(m, ExprMistake) and numerically_equal(
            m.node, reading.value, symbols, domain=domain
        ):
            return Grade(False, reading.read_as, f"wrong: {m.message}", m.name, m.message, [], 0.0)
    where = _difference(expected.expression, reading.value, symbols, domain)
    return Grade(
        False,
        reading.read_as,
        "wrong: not equivalent to the expected expression" + where,
        score=0.0,
    )


def _difference(
    expected: Node, given: Node, symbols: list[str], domain: Mapping[str, tuple[float, float]]
) -> str:
    """Where the two differ, in words: `` (at x = 0.412: the answer is 0.241, yours is 0.759)``, at
    the first test point where both are defined and differ (3 significant figures)."""
    for env in _points(symbols, N_POINTS, domain):
        va, vb = _value(expected, env), _value(given, env)
        if va is None or vb is None or abs(va - vb) <= 1e-9 * max(1.0, abs(va), abs(vb)):
            continue
        at = ", ".join(f"{k} = {env[k]:.3g}" for k in symbols if k in env)
        return f" (at {at}: the answer is {va:.3g}, yours is {vb:.3g})"
    return ""
