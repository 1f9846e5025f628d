"""Grade a typed answer by the kind of question.

* number: within ``|given - expected| <= max(atol, rtol·|expected|)`` (the template's tolerance);
* integer: exactly;
* vector / matrix: entry by entry, naming the wrong entries (rows and columns counted from 1);
* expression: equivalence, refuted by a counterexample at random points and confirmed by sympy
  (``simplify(a - b) == 0``) within a time limit, else by agreement at every random point;
* choice / bool / words: exactly.

A wrong answer equal to a misconception's answer names the mistake. The numeric comparison and the
mistake matching are :func:`dlstudy.grading.grade`'s.
"""

from __future__ import annotations

import math
import random
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from dlstudy import grading
from dlstudy.answers.expr import AnswerError, Node, evaluate, symbols_in
from dlstudy.answers.reading import (
    read_bool,
    read_choice,
    read_expression,
    read_numeric,
    read_scalar_first,
    read_words,
    shape_text,
    to_plain,
)
from dlstudy.errors import DlstudyError

KINDS = ("number", "integer", "vector", "matrix", "expression", "choice", "bool")
SYMPY_SECONDS = 2.0
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

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "correct": self.correct,
            "read_as": self.read_as,
            "message": self.message,
            "score": self.score,
        }
        if self.mistake is not None:
            out["mistake"] = {"name": self.mistake, "feedback": self.mistake_feedback}
        if self.wrong_entries:
            out["wrong_entries"] = self.wrong_entries
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
    registry ``Mistake`` objects (their ``value`` already picked) or :class:`ExprMistake`."""

    kind: str
    answer: Any
    mistakes: list[Any] = field(default_factory=list)
    checkpoints: list[tuple[str, Any]] = field(default_factory=list)
    rtol: float = grading.DEFAULT_RTOL
    atol: float = grading.DEFAULT_ATOL
    symbols: tuple[str, ...] = ()
    options: list[str] = field(default_factory=list)
    expression: Node | None = None
    partial: bool = False


def grade_answer(expected: Expected, text: str, *, symbolic: bool = True) -> Grade:
    """Read ``text`` as ``expected.kind`` asks and grade it. Raises :class:`AnswerError` for
    input that cannot be read or does not have the expected shape (never counted as wrong).

    ``symbolic=False`` skips the sympy confirmation of equivalent expressions (random points only)."""
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
    if len(given) != len(want):
        raise AnswerError(f"expected {len(want)} words, read {len(given)}: {reading.shown}")
    wrong = [
        {"entry": f"entry {i + 1}", "expected": w, "given": g}
        for i, (w, g) in enumerate(zip(want, given, strict=True))
        if w.casefold() != g.casefold()
    ]
    if not wrong:
        return Grade(True, reading.read_as, "correct", score=1.0)
    where = ", ".join(e["entry"] for e in wrong)
    score = 1 - len(wrong) / len(want) if expected.partial else 0.0
    return Grade(False, reading.read_as, f"wrong: {where}", wrong_entries=wrong, score=score)


def _grade_numeric(expected: Expected, text: str) -> Grade:
    want = expected.answer
    reading = read_numeric(text) if isinstance(want, list) else read_scalar_first(text)
    given = to_plain(reading.value)
    stages = bool(expected.checkpoints) and isinstance(given, list) and not isinstance(want, list)
    if stages and len(given) != len(expected.checkpoints):
        labels = ", ".join(label for label, _ in expected.checkpoints)
        raise AnswerError(
            f"expected one number, or one value per stage ({len(expected.checkpoints)}: {labels}); "
            f"read {reading.shown}"
        )
    rtol, atol = (0.0, 0.0) if expected.kind == "integer" else (expected.rtol, expected.atol)
    solution = SimpleNamespace(
        result=want,
        checkpoints=list(expected.checkpoints),
        mistakes=[m for m in expected.mistakes if not isinstance(m, ExprMistake)],
    )
    try:
        # a wrong shape is unreadable input, unless it is exactly a wrong method's answer (valid
        # instead of full correlation): grading names that mistake
        verdict = grading.grade(solution, given, rtol, atol, strict_shape=not stages)
    except AnswerError:
        raise
    except DlstudyError as exc:
        if not stages:
            _check_shape(want, given, reading.shown, expected.kind)  # says which shape it expected
        raise AnswerError(f"{exc.message}; read {reading.shown}") from None
    if verdict.correct:
        return Grade(True, reading.read_as, "correct", score=1.0)
    mistake = verdict.mistake
    wrong = [_humane(e) for e in verdict.wrong_entries]
    if mistake is not None:
        message = f"wrong: {mistake.message}"
        if verdict.first_wrong_step:
            message = f"wrong: your working first goes wrong at {verdict.first_wrong_step}: {mistake.message}"
        return Grade(False, reading.read_as, message, mistake.name, mistake.message, wrong, 0.0)
    if verdict.first_wrong_step:
        message = f"wrong: your working first goes wrong at {verdict.first_wrong_step}"
    elif isinstance(want, list):
        n_total = _count(want)
        where = ", ".join(e["where"] for e in wrong[:8]) + (", …" if len(wrong) > 8 else "")
        message = f"wrong: {len(wrong)} of {n_total} entries differ ({where})"
    else:
        message = "wrong"
    score = 0.0
    if expected.partial and isinstance(want, list) and not verdict.first_wrong_step:
        score = 1.0 - len(wrong) / _count(want)
    return Grade(False, reading.read_as, message, None, None, wrong, score)


def _check_shape(want: Any, given: Any, shown: str, kind: str) -> None:
    same_kind = isinstance(want, list) == isinstance(given, list)
    if same_kind and grading.shape_of(want) == grading.shape_of(given):
        return
    if not isinstance(want, list) and isinstance(given, list) and len(given) == 1:
        return
    expected_text = "one number" if not isinstance(want, list) else shape_text(want)
    if kind == "integer" and not isinstance(want, list):
        expected_text = "one integer"
    raise AnswerError(f"expected {expected_text}, read {shape_text(given)}: {shown}")


def _count(x: Any) -> int:
    if isinstance(x, list):
        return sum(_count(v) for v in x)
    return 1


def _humane(entry: dict[str, Any]) -> dict[str, Any]:
    """Add ``where``: "row 2, column 1" / "entry 3" (counted from 1) to a grading entry."""
    path = str(entry.get("entry", ""))
    indices = [int(i) + 1 for i in _indices(path)]
    if len(indices) == 2 and "." not in path:
        where = f"row {indices[0]}, column {indices[1]}"
    elif len(indices) == 1 and "." not in path:
        where = f"entry {indices[0]}"
    else:
        where = path
    return {**entry, "where": where}


def _indices(path: str) -> list[str]:
    import re

    return re.findall(r"\[(\d+)\]", path)


# -- expressions ---------------------------------------------------------------------------------


def _points(symbols: list[str], n: int) -> Iterator[dict[str, float]]:
    rng = random.Random(20240611)
    for k in range(n):
        if k % 2 == 0:
            yield {s: rng.uniform(0.2, 2.0) for s in symbols}
        else:
            yield {s: rng.uniform(-2.0, 2.0) for s in symbols}


def _value(node: Node, env: dict[str, float]) -> float | None:
    try:
        v = float(evaluate(node, env))  # type: ignore[arg-type]
    except (AnswerError, OverflowError, ValueError, ZeroDivisionError):
        return None
    return v if math.isfinite(v) else None


def numerically_equal(a: Node, b: Node, symbols: list[str], n: int = N_POINTS) -> bool | None:
    """``False`` on a counterexample, ``True`` if equal at every usable point, ``None`` if fewer
    than 4 points were usable (both sides defined)."""
    usable = 0
    for env in _points(symbols, n):
        va, vb = _value(a, env), _value(b, env)
        if va is None or vb is None:
            continue
        usable += 1
        if abs(va - vb) > 1e-9 * max(1.0, abs(va), abs(vb)):
            return False
    return True if usable >= 4 else None


@contextmanager
def _time_limit(seconds: float) -> Iterator[bool]:
    """Yield whether a limit is in force (SIGALRM in the main thread only)."""
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if usable and signal.getitimer(signal.ITIMER_REAL)[0] > 0:
        usable = False  # someone else's timer (an exam clock) is running: leave it alone
    if not usable:
        yield False
        return

    def _raise(signum: int, frame: Any) -> None:
        raise TimeoutError

    previous = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield True
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def symbolically_equal(
    a: Node, b: Node, symbols: list[str], seconds: float = SYMPY_SECONDS
) -> bool | None:
    """``True`` when sympy simplifies ``a - b`` to 0 within ``seconds``; ``None`` when it cannot
    tell (timeout, no time limit available, or a non-zero residue it cannot decide)."""
    with _time_limit(seconds) as limited:
        if not limited:
            return None
        try:
            import sympy as sp

            from dlstudy.answers.expr import to_sympy

            table = {s: sp.Symbol(s, real=True) for s in symbols}
            residue = sp.simplify(to_sympy(a, table) - to_sympy(b, table))
            return True if residue == 0 else None
        except TimeoutError:
            return None
        except Exception:  # sympy failing on an odd input is not the student's problem
            return None


def _grade_expression(expected: Expected, text: str, symbolic: bool = True) -> Grade:
    reading = read_expression(text, expected.symbols)
    assert expected.expression is not None
    symbols = sorted(set(expected.symbols) | symbols_in(expected.expression))
    same = numerically_equal(expected.expression, reading.value, symbols)
    if same is None:
        raise AnswerError(
            f"cannot compare {reading.shown}: it is undefined at the test points; simplify it and retry"
        )
    if same:
        proof = symbolic and symbolically_equal(expected.expression, reading.value, symbols)
        how = "symbolically" if proof else f"at {N_POINTS} random points"
        return Grade(True, reading.read_as, f"correct (equivalent {how})", score=1.0)
    for m in expected.mistakes:
        if isinstance(m, ExprMistake) and numerically_equal(m.node, reading.value, symbols):
            return Grade(False, reading.read_as, f"wrong: {m.message}", m.name, m.message, [], 0.0)
    return Grade(
        False, reading.read_as, "wrong: not equivalent to the expected expression", score=0.0
    )
