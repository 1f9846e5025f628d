"""Worked solutions: the steps of a question's reference function that work towards what the
question asks, written in the prompt's notation, and the answer once at the end.

A step tagged with the parts of the result it computes (:attr:`dlstudy.reference.registry.Step.part`)
is shown only for a question that picks that part; remarks (``ASIDE``) are for ``dlstudy solve``
only. Values are shown without floating-point noise and, when the question gives numbers as
fractions, as exact fractions; a template's ``notation`` renames the function's symbols into the
prompt's; a last step whose value is the answer becomes the answer line.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from typing import Any

from dlstudy.bank.render import block, fill, notation, safe

SUB_SUP = "₀₁₂₃₄₅₆₇₈₉⁰¹²³⁴⁵⁶⁷⁸⁹ᵀ⁻"
_MARKS = "\u0302\u0304\u0303'′*"
#: A symbol of a formula: one letter, optionally with digits glued on (x1, s0, r1c2), combining
#: marks (x̂, x̄), primes or a star (D*), super/subscript digits (z¹) or a _subscript or ^(power).
SYMBOL = re.compile(
    r"(?<![\w\u0302\u0304\u0303'′.])"
    rf"([A-Za-zΑ-Ωα-ω](?:\d+(?:[A-Za-z]\d+)*)?[{_MARKS}]*)"
    rf"((?:[{SUB_SUP}]+|_\([^()\s]*\)|_[A-Za-zα-ω0-9]+|\^\([^()\s]*\)|\^[A-Za-z0-9]+)*)"
    r"(?![A-Za-zΑ-Ωα-ω])"
)


def rename(text: str, names: dict[str, str]) -> str:
    """``text`` with the symbols named in ``names`` renamed, sub/superscripts kept: a template
    that calls ``kl(p=Q, q=P)`` shows ``D_KL(Q‖P)`` and ``Q_i log(Q_i/P_i)``. A key with its
    subscript (``W_hh``) renames that symbol only."""
    if not names:
        return text

    def one(m: re.Match[str]) -> str:
        whole = m.group(1) + m.group(2)
        if whole in names:
            return names[whole]
        return names.get(m.group(1), m.group(1)) + m.group(2)

    return SYMBOL.sub(one, text)


# -- worked solutions -------------------------------------------------------------------------------

#: Labels that only say "this is the result": a final step with such a label is the answer itself.
_GENERIC_LABELS = {"output", "result", "answer", "kept", "total"}
_NUMERIC_KINDS = ("number", "integer", "vector", "matrix")
#: A final step merged into the answer line must fit on one line of about this many characters.
_MAX_ANSWER_LINE = 100


def uses_fractions(template_prompt: str, values: dict[str, Any]) -> bool:
    """Does a question give numbers as fractions (a fraction parameter such as ``3/4``, or a
    fraction written around placeholders, ``1/{n}``)? Its worked solution then does too."""
    return _has_fraction(values) or bool(_PLACEHOLDER_FRACTION.search(template_prompt))


_PLACEHOLDER_FRACTION = re.compile(r"(\d+|\{\w+\})/\{\w+\}|\{\w+\}/\d+")


def _has_fraction(x: Any) -> bool:
    if isinstance(x, Fraction):
        return x.denominator != 1
    if isinstance(x, dict):
        return any(_has_fraction(v) for v in x.values())
    if isinstance(x, (list, tuple)):
        return any(_has_fraction(v) for v in x)
    return False


_DECIMAL = re.compile(r"(?<![\w.])(−?)(\d+\.\d{1,6})(?![\w.])")


def fraction_text(text: str) -> str:
    """Short exact decimals of a working line as fractions (``−20·(−0.5)`` → ``−20·(−1/2)``,
    ``0.25·log(0.25/0.875)`` → ``(1/4)·log((1/4)/(7/8))``); rounded decimals are left alone."""

    def one(m: re.Match[str]) -> str:
        f = Fraction(m.group(2))
        if f.denominator > 64:
            return m.group(0)
        frac = f"{m.group(1)}{f.numerator}/{f.denominator}"
        before = text[: m.start()].rstrip()[-1:]
        after = text[m.end() :].lstrip()[:1]
        if before == "(" and after == ")":
            return frac
        # a factor, a divisor or a function's argument needs parentheses: (1/4)·log((1/4)/(7/8))
        operand = before in ("·", "/", "^", "×", "−") or before.isalpha()
        return f"({frac})" if operand or after in ("·", "/", "^", "×", "(") else frac

    return _DECIMAL.sub(one, text)


def clean(x: Any) -> Any:
    """Floating-point noise shown as what it is: an entry below 1e-12 of the largest entry of its
    array (or below 1e-12 on its own) becomes an exact 0."""
    flat = _floats(x)
    if not flat:
        return x
    tiny = 1e-12 * max(1.0, max(abs(v) for v in flat))
    return _map_numbers(x, lambda v: 0 if abs(v) < tiny else v)


def exact(x: Any, max_denominator: int = 200) -> Any:
    """Numbers that are fractions with a small denominator as :class:`~fractions.Fraction`
    (``0.2222…`` → ``2/9``), integers as ``int``; other numbers unchanged."""

    def one(v: float) -> Any:
        if v == round(v):
            return round(v)
        f = Fraction(v).limit_denominator(max_denominator)
        return f if abs(float(f) - v) <= 1e-12 * max(1.0, abs(v)) else v

    return _map_numbers(x, one)


def _floats(x: Any) -> list[float]:
    if isinstance(x, dict):
        return [v for value in x.values() for v in _floats(value)]
    if isinstance(x, (list, tuple)):
        return [v for value in x for v in _floats(value)]
    if isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x):
        return [float(x)]
    return []


def _map_numbers(x: Any, f: Any) -> Any:
    if isinstance(x, dict):
        return {k: _map_numbers(v, f) for k, v in x.items()}
    if isinstance(x, list):
        return [_map_numbers(v, f) for v in x]
    if isinstance(x, float) and math.isfinite(x):
        return f(x)
    return x


def shown_value(value: Any, fractions: bool = False, indent: str = "    ") -> str:
    """A step value or an answer for the worked solution: noise-free, exact fractions when the
    prompt uses them, a grid on its own lines for a matrix."""
    from dlstudy.output import to_jsonable

    v = clean(to_jsonable(value))
    while isinstance(v, list) and len(v) == 1 and isinstance(v[0], (list, int, float)):
        v = v[0]  # a one-unit state [0.46] or a 1×1 Jacobian [[0.2]] is a number
    if fractions:
        v = exact(v)
    return block(v, digits=6, indent=indent)


def pick_head(pick: str) -> str:
    """The result key a template's ``pick`` starts with (``"dW"`` for ``"dW"``, ``"values"`` for
    ``"values.s0"``); empty for a pick into a list or no pick."""
    m = re.match(r"[A-Za-z_]\w*", pick)
    return m.group(0) if m else ""


def relevant_steps(steps: list[Any], pick: str) -> list[Any]:
    """The steps that work towards what a question asks: untagged steps, and the steps tagged with
    the part its ``pick`` starts with (every part when it picks none). Steps tagged ``aside`` (a remark beyond the result, such as
    the greedy policy after value iteration) are for ``dlstudy solve --steps`` only."""
    from dlstudy.reference.registry import ASIDE

    head = pick_head(pick)
    return [
        s for s in steps if not s.parts or (ASIDE not in s.parts and (not head or head in s.parts))
    ]


def _same_value(a: Any, b: Any) -> bool:
    from dlstudy.output import to_jsonable

    a, b = to_jsonable(a), to_jsonable(b)
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    fa, fb = _floats(a), _floats(b)
    if not fa or len(fa) != len(_floats_all(a)) or len(fa) != len(fb):
        return False
    return all(abs(x - y) <= 1e-9 * max(1.0, abs(x), abs(y)) for x, y in zip(fa, fb, strict=True))


def _floats_all(x: Any) -> list[Any]:
    if isinstance(x, dict):
        return [v for value in x.values() for v in _floats_all(value)]
    if isinstance(x, (list, tuple)):
        return [v for value in x for v in _floats_all(value)]
    return [x]


def _step_text(
    label: str, value: Any, detail: str, fractions: bool, names: dict[str, str] | None = None
) -> tuple[str, list[str]]:
    """``label = value`` (or ``label:`` and a grid) and the detail lines under it. A detail that
    ends with the value (``32 + 8 = 40``) is written on the line itself: ``label = 32 + 8 = 40``.
    ``names`` renames symbols into the prompt's notation."""
    label = rename(notation(label), names or {})
    detail = rename(notation(detail.strip("\n")), names or {}) if detail else ""
    if fractions:
        label, detail = fraction_text(label), fraction_text(detail)
    shown = "" if value is None else shown_value(value, fractions)
    rest: list[str] = []
    if not shown:
        head = label
    elif "\n" in shown or shown.startswith(" "):
        head = f"{label}:"
        rest.append(shown)
    elif detail and "\n" not in detail and _ends_with(detail, shown):
        detail = detail.rpartition("=")[0].rstrip() + f" = {shown}"
        head = f"{label} = {detail}" if not detail.startswith(label) else detail
        detail = ""
    else:
        head = f"{label} = {shown}"
    if detail:
        rest.extend("   " + line for line in detail.split("\n"))
    return head, rest


def _ends_with(detail: str, shown: str) -> bool:
    """Does an arithmetic detail end with the value (``32 + 8 = 40``)? A detail with words or
    several parts (``at x = 1: …``) is a remark, not the value's computation."""
    if ":" in detail or ";" in detail:
        return False
    tail = re.sub(r"\s+", "", detail)
    value = re.sub(r"\s+", "", shown)
    if tail.endswith("=" + value):
        return True
    last = tail.rpartition("=")[2].replace("−", "-")
    try:
        return "=" in tail and Fraction(last) == Fraction(value.replace("−", "-"))
    except (ValueError, ZeroDivisionError):
        return False


def solution_text(question: Any) -> str:
    """The worked solution of a question: the steps of the reference function that work towards
    what the question asks (in the notes' notation, exact fractions where the prompt uses them, no
    floating-point noise), the template's explanation, and the answer once, at the end."""
    t = question.template
    sol = question.solution
    fractions = uses_fractions(t.prompt, question.values)
    steps = relevant_steps(sol.steps, t.pick) if sol is not None else []
    final = None
    if steps and t.kind in _NUMERIC_KINDS and steps[-1].value is not None:
        if _same_value(steps[-1].value, question.expected.answer):
            final = steps.pop()
    lines: list[str] = []
    for i, step in enumerate(steps, 1):
        head, rest = _step_text(step.label, step.value, step.detail, fractions, t.notation)
        lines.append(f"{i}. {head}")
        lines.extend(rest)
    if t.derivation:
        from dlstudy.bank.derivation import solution_lines

        lines.extend(solution_lines(question))
    if t.explanation:
        lines.append(fill(t.explanation, question.values))
    lines.extend(_answer_lines(question, final, fractions, len(steps) + 1))
    return safe("\n".join(lines))


def _answer_lines(question: Any, final: Any, fractions: bool, number: int) -> list[str]:
    """The answer line(s). A final step whose value is the answer becomes the answer line
    (``Answer: parameters = 32 + 8 = 40``) when that fits on a line; otherwise the step stays and
    a short ``Answer: value`` follows."""
    if question.kind == "expression":  # x^2 as x² (the answer parser reads both)
        return [f"Answer: {notation(question.answer_text)}"]
    if question.kind not in _NUMERIC_KINDS:
        return [f"Answer: {question.answer_text}"]
    shown = shown_value(question.expected.answer, fractions)
    plain = ["Answer:", shown] if "\n" in shown or shown.startswith(" ") else [f"Answer: {shown}"]
    if final is None:
        return plain
    names = question.template.notation
    label = rename(notation(final.label), names)
    head, rest = _step_text(final.label, question.expected.answer, final.detail, fractions, names)
    notes = [r.strip() for r in rest if not r.startswith("    ")]
    grid_lines = [r for r in rest if r.startswith("    ")]
    if len(notes) == 1:  # a remark goes on the answer line, in parentheses
        head = f"{head[:-1]} ({notes[0]}):" if head.endswith(":") else f"{head} ({notes[0]})"
        notes = []
    if label.strip().lower() in _GENERIC_LABELS:
        head = head[len(label) :].lstrip(" =:")
    if len(head) > _MAX_ANSWER_LINE or notes:
        step = _step_text(final.label, final.value, final.detail, fractions, names)
        return [f"{number}. {step[0]}", *step[1], *plain]
    return [f"Answer: {head}".rstrip(), *grid_lines]
