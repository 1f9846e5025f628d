"""A student's working for an expression question: several lines, the last one the answer.

In the quiz (and review, exam) an expression question accepts its answer as a derivation: one
expression per line, in the answer notation (implicit products ``2x(1 − x)``, ``σ(x)``, ``ln``; a
leading ``=`` or ``f'(x) =`` is dropped), an empty line ending it. The last line is graded as a
one-line answer is; every line is then checked by the derivation checker
(:func:`dlstudy.symbolic.derivation.check_derivation`) against the question's answer put first: each
line of a right working equals the answer, so the first line that does not equal the line before is
the first wrong line (line 1 when it already differs from the answer).

Lines are read by the answer parser (never evaluated) and written out in the claim language for the
checker, which parses and decides each step in a CPU-limited child.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from dlstudy.answers.expr_syntax import Node
from dlstudy.answers.reading import AnswerError, read_expression

#: CPU seconds per step of the working.
STEP_SECONDS = 3.0
#: The most lines a working may have.
MAX_LINES = 30

_CALLS = {
    "log": "log({})",
    "log2": "log({}, 2)",
    "log10": "log({}, 10)",
    "exp": "exp({})",
    "sqrt": "sqrt({})",
    "sigma": "sigmoid({})",
    "tanh": "tanh({})",
    "relu": "relu({})",
    "abs": "Abs({})",
    "sin": "sin({})",
    "cos": "cos({})",
}


class Unsupported(Exception):
    """A line the derivation checker cannot read (``floor``, ``ceil``): the working is not checked."""


def split_lines(text: str) -> list[str]:
    """The non-blank lines of a multi-line answer, a leading ``=`` (a continuation) dropped."""
    out = []
    for line in text.split("\n"):
        t = line.strip()
        if t.startswith("="):
            t = t.lstrip("=").strip()
        if t:
            out.append(t)
    return out


def claim_text(node: Node, names: dict[str, str]) -> str:
    """``node`` (the answer parser's tree) in the claim language, fully parenthesized; ``names``
    maps each symbol to the name used there."""
    op = node.op
    if op == "num":
        v = Fraction(node.value)
        return f"({v.numerator}/{v.denominator})" if v.denominator != 1 else f"({v.numerator})"
    if op == "const":
        return "E" if node.value == "e" else "pi"
    if op == "sym":
        return names[node.value]
    if op == "neg":
        return f"(-{claim_text(node.args[0], names)})"
    if op == "call":
        if node.value not in _CALLS:
            raise Unsupported(node.value)
        return _CALLS[node.value].format(claim_text(node.args[0], names))
    a, b = (claim_text(x, names) for x in node.args)
    return f"({a} {'**' if op == '^' else op} {b})"


def safe_names(symbols: tuple[str, ...]) -> dict[str, str]:
    """A claim-language name for each symbol: itself, unless the claim language reads it as a
    function or a constant (``e``, ``sigma``) or cannot read it; then ``v1_``, ``v2_``, ..."""
    import re

    from dlstudy.symbolic.parser import KNOWN

    ok = re.compile(r"[A-Za-z\u0370-\u03ff][A-Za-z0-9_\u0370-\u03ff]*\Z")
    out = {}
    for k, s in enumerate(symbols, start=1):
        out[s] = s if ok.match(s) and s not in KNOWN and "__" not in s else f"v{k}_"
    return out


@dataclass
class Working:
    """The verdict on a working: ``lines`` as typed, ``first_wrong`` (1-based among them) or
    ``None``, ``message`` the feedback in words."""

    lines: list[str]
    first_wrong: int | None
    message: str
    undetermined: list[int]


def read_lines(lines: list[str], symbols: tuple[str, ...]) -> list[Node]:
    """Every line read as an expression answer; an unreadable one raises :class:`AnswerError` that
    names it (the whole answer is asked again, nothing counted)."""
    if len(lines) > MAX_LINES:
        raise AnswerError(f"too many lines of working ({len(lines)}; at most {MAX_LINES})")
    nodes = []
    for k, line in enumerate(lines, start=1):
        try:
            nodes.append(read_expression(line, symbols).value)
        except AnswerError as exc:
            raise AnswerError(f"line {k} of your working: {exc.message}", exc.detail) from None
    return nodes


def check_working(
    answer: Node,
    nodes: list[Node],
    lines: list[str],
    symbols: tuple[str, ...],
    domain: dict[str, tuple[float, float]] | None = None,
) -> Working | None:
    """Check each line against the one before, the question's ``answer`` first. ``domain``: the
    question's ranges of its symbols (``s`` in [0.2, 3] lets a step use s > 0, as its worked
    derivation does). ``None`` when a line uses a function the checker does not read."""
    from dlstudy.answers.expr import symbols_in
    from dlstudy.symbolic.derivation import (
        NOT_EQUIVALENT,
        UNDETERMINED,
        as_written,
        check_derivation,
    )

    used = sorted(set(symbols) | symbols_in(answer) | {s for n in nodes for s in symbols_in(n)})
    names = safe_names(tuple(used))
    try:
        texts = [claim_text(n, names) for n in [answer, *nodes]]
    except Unsupported:
        return None
    from dlstudy.bank.derivation import assumptions

    ranges = {names.get(k, k): v for k, v in (domain or {}).items() if k in used}
    d = check_derivation(texts, assume=assumptions(ranges), cpu_seconds=STEP_SECONDS, label=_label)
    undetermined = [s.line - 1 for s in d.steps[1:] if s.status == UNDETERMINED]
    k = d.first_wrong
    if k is None:
        if undetermined:
            which = ", ".join(str(n) for n in undetermined)
            message = (
                f"Your working: line(s) {which} could not be checked (neither proven nor refuted)."
            )
        else:
            message = "Your working: every line is equal to the answer (proven step by step)."
        return Working(lines, None, message, undetermined)
    step = d.steps[k - 1]
    n = step.line - 1
    what = "is not equal to the answer" if n == 1 else f"does not follow from line {n - 1}"
    message = f"Your working: line {n} ({lines[n - 1]}) {what}"
    ce = step.counterexample
    if ce is not None and step.status == NOT_EQUIVALENT:
        values = ", ".join(f"{_shown(k, names)} = {v}" for k, v in ce["values"].items())
        before = "the answer" if n == 1 else f"line {n - 1}"
        message += (
            f": at {values or 'any value'}, {before} = {ce['lhs']} but line {n} = {ce['rhs']}"
        )
    message += "."
    if step.slip:
        message += f" Likely slip: {as_written(step.slip, ''.join(lines))}."
    return Working(lines, n, message, undetermined)


def _label(number: int) -> str:
    """Step numbers of the checker (the answer is its line 1) as the student's line numbers."""
    return "the answer" if number == 1 else f"line {number - 1}"


def _shown(name: str, names: dict[str, str]) -> str:
    back = {v: k for k, v in names.items()}
    return back.get(name, name)


def working_for(question: Any, lines: list[str]) -> Working | None:
    """:func:`check_working` for a bank question (``None`` if it is not an expression question)."""
    e = getattr(question, "expected", None)
    if e is None or getattr(e, "expression", None) is None:
        return None
    symbols = tuple(e.symbols)
    domain = getattr(e, "domain", None)
    return check_working(e.expression, read_lines(lines, symbols), lines, symbols, domain)
