"""The worked derivation of an expression template, and the domain of its symbols.

``derivation = ["diff(sigma({a}*x), x)", "{a}*exp(-{a}*x)/(1 + exp(-{a}*x))**2", ...]`` lists lines
in the claim language of ``dlstudy verify --claim`` and ``dlstudy derive`` (``**`` or ``^`` for
powers, explicit ``*``, ``diff``, ``Sum``, ``sigma``, ``softplus``, ...), each equal to the one before,
the last one the answer. ``{name}`` inserts a numeric parameter, parenthesized as in ``expression``.
The lines are checked as typed text by the same engine a student's derivation goes through (the
bank's tests run ``check_derivation`` on every template and several seeds), and shown in the
notes' notation (``σ``, ``γ``, ``·``, ``−``, ``x²``, ``∂/∂x``, ``Σ``).

``domain = { s = [0.2, 3] }`` draws the named symbols' random test points from that interval (a
standard deviation, a probability); a low end ≥ 0 also makes the symbol positive (a high end ≤ 0
negative) for the symbolic check of an answer and of the derivation (:func:`assumptions`). Pure text processing: no sympy here except in :func:`problems` (``bank lint``).
"""

from __future__ import annotations

import math
import re
from typing import Any

from dlstudy.bank import render

#: Whole words shown as the notes write them.
_GREEK = {
    "sigma": "σ",
    "gamma": "γ",
    "mu": "μ",
    "alpha": "α",
    "beta": "β",
    "delta": "δ",
    "theta": "θ",
    "eps": "ε",
    "lam": "λ",
    "pi": "π",
}
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SIMPLE_NUMBER = re.compile(r"\((\d+(?:\.\d+)?)\)")


def parse_fields(
    raw: dict[str, Any], kind: Any, names: list[str], symbols: tuple[str, ...], bad: Any
) -> tuple[list[str], dict[str, tuple[float, float]]]:
    """The ``derivation`` and ``domain`` fields of a template table (problems go to ``bad``)."""
    derivation = raw.get("derivation", [])
    domain_raw = raw.get("domain", {})
    if kind != "expression":
        for key in ("derivation", "domain"):
            if key in raw:
                bad(key, f"only expression templates have {key} (this one is {kind})")
        return [], {}
    if not (
        isinstance(derivation, list)
        and all(isinstance(line, str) and line.strip() for line in derivation)
    ):
        bad("derivation", 'expected a list of lines, e.g. ["diff(sigma(x), x)", "..."]')
        derivation = []
    for i, line in enumerate(derivation):
        try:
            found = render.fields(line)
        except ValueError as exc:
            bad(f"derivation[{i}]", str(exc))
            continue
        for name, _ in found:
            if name not in names:
                bad(f"derivation[{i}]", f"placeholder {{{name}}} is not a parameter")
    domain: dict[str, tuple[float, float]] = {}
    if not isinstance(domain_raw, dict):
        bad("domain", "expected a table of intervals, e.g. { s = [0.2, 3] }")
        return derivation, {}
    for name, interval in domain_raw.items():
        if name not in symbols:
            bad(f"domain.{name}", f"'{name}' is not one of the symbols {list(symbols)}")
            continue
        ok = (
            isinstance(interval, list)
            and len(interval) == 2
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in interval)
            and all(math.isfinite(v) for v in interval)
            and interval[0] < interval[1]
        )
        if not ok:
            bad(f"domain.{name}", "expected [low, high] with low < high, e.g. [0.2, 3]")
            continue
        domain[name] = (float(interval[0]), float(interval[1]))
    return derivation, domain


def assumptions(domain: dict[str, tuple[float, float]]) -> list[str]:
    """The ``--assume`` texts a domain implies: ``["s > 0"]`` for ``s = [0.2, 3]``."""
    out = [f"{name} > 0" for name, (low, _high) in domain.items() if low >= 0]
    return out + [f"{name} < 0" for name, (_low, high) in domain.items() if high <= 0]


def claim_lines(lines: list[str], values: dict[str, Any]) -> list[str]:
    """The derivation's lines with the parameters filled in, as ``dlstudy derive`` reads them."""
    return [render.fill_expression(line, values) for line in lines]


def shown(line: str) -> str:
    """One claim-language line in the notes' notation: ``diff(sigma((2)*x), x)`` → ``∂/∂x σ(2·x)``."""
    text = _calls(line.replace("^", "**"))
    text = _SIMPLE_NUMBER.sub(r"\1", text)
    text = _WORD.sub(lambda m: _GREEK.get(m.group(0), m.group(0)), text)
    text = text.replace("**", "^").replace("*", "·")
    text = re.sub(r"\bsqrt\(", "√(", text)
    return render.notation(text)


def _split_args(text: str, start: int) -> tuple[list[str], int] | None:
    """The comma-separated arguments of the call whose ``(`` is at ``start``, and the index after
    its ``)``; ``None`` when the brackets do not close."""
    depth, args, begin = 0, [], start + 1
    for i in range(start, len(text)):
        ch = text[i]
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
            if depth == 0:
                args.append(text[begin:i].strip())
                return args, i + 1
        elif ch == "," and depth == 1:
            args.append(text[begin:i].strip())
            begin = i + 1
    return None


def _calls(text: str) -> str:
    """``diff(f, x)`` → ``∂/∂x [f]``, ``Sum(f, k, a, b)`` → ``Σ_(k=a)^(b) [f]``; nested calls too."""
    out, i = [], 0
    for m in re.finditer(r"\b(diff|Sum)\(", text):
        if m.start() < i:
            continue
        parts = _split_args(text, m.end() - 1)
        if parts is None:
            continue
        args, end = parts
        inner = [_calls(a) for a in args]
        if m.group(1) == "diff" and len(inner) == 2:
            out.append(text[i : m.start()] + f"∂/∂{inner[1]} [{inner[0]}]")
        elif m.group(1) == "Sum" and len(inner) == 4:
            f, k, a, b = inner
            out.append(text[i : m.start()] + f"Σ_({k}={a})^({b}) [{f}]")
        else:
            continue
        i = end
    out.append(text[i:])
    return "".join(out)


def solution_lines(question: Any) -> list[str]:
    """The derivation as the worked solution shows it: the first line, then ``= …`` lines."""
    lines = [shown(t) for t in claim_lines(question.template.derivation, question.values)]
    if not lines:
        return []
    return ["Derivation (each line equals the one before):", f"    {lines[0]}"] + [
        f"  = {line}" for line in lines[1:]
    ]


def problems(question: Any) -> str:
    """``bank lint``: every line of the derivation parses in the claim language and the last one is
    the answer (equal at the random points). Empty when all is well."""
    from dlstudy.answers.expr_syntax import AnswerError, Parser
    from dlstudy.answers.grade import numerically_equal
    from dlstudy.errors import DlstudyError
    from dlstudy.symbolic.parser import parse_expression

    t = question.template
    lines = claim_lines(t.derivation, question.values)
    for i, line in enumerate(lines):
        try:
            parse_expression(line)
        except DlstudyError as exc:
            return f"derivation[{i}]: {line!r} is not in the claim language: {exc.message}"
    try:
        last = Parser(lines[-1], symbols=t.symbols).parse_scalar()
    except AnswerError as exc:
        return f"derivation: the last line {lines[-1]!r} is not an answer: {exc.message}"
    e = question.expected
    if not numerically_equal(last, e.expression, sorted(set(t.symbols)), domain=e.domain):
        return f"derivation: the last line {lines[-1]!r} is not the answer"
    return ""
