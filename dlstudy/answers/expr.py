"""Evaluation, display and conversion of parsed answers (the :class:`Node` trees of
:mod:`dlstudy.answers.expr_syntax`, which holds the tokenizer and the parser).

Nothing is ever evaluated by Python: :func:`evaluate` walks the tree, exactly with
:class:`fractions.Fraction` where possible, with floats after a function such as ``log``. Exact
arithmetic is bounded (``MAX_EXPONENT_BITS``; beyond it a power or a fraction falls back to a float),
so that ``9^9^9^9`` fails fast with :class:`AnswerError`. :func:`to_text` shows a tree in readable
unicode, :func:`fold_constants` combines its exact numbers for display, and :func:`to_sympy`
converts it for expression answers (sympy is imported there only).
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

from dlstudy.answers.expr_syntax import CONSTANTS, FUNCTIONS, AnswerError, Node

MAX_EXPONENT_BITS = 20_000

Number = Fraction | float


# -- evaluation ----------------------------------------------------------------------------------


def _as_float(x: Number) -> float:
    try:
        value = float(x)
    except OverflowError:
        raise AnswerError("number too large") from None
    if not math.isfinite(value):
        raise AnswerError("number too large")
    return value


def _power(base: Number, exponent: Number) -> Number:
    if isinstance(exponent, Fraction) and exponent.denominator == 1 and isinstance(base, Fraction):
        k = exponent.numerator
        bits = max(abs(base.numerator).bit_length(), base.denominator.bit_length())
        if bits * abs(k) <= MAX_EXPONENT_BITS:
            if base == 0 and k < 0:
                raise AnswerError("division by zero (0 to a negative power)")
            return base**k
    b, x = _as_float(base), _as_float(exponent)
    if b < 0 and x != int(x):
        raise AnswerError("a negative number to a fractional power is not a real number")
    if b == 0 and x < 0:
        raise AnswerError("division by zero (0 to a negative power)")
    try:
        return _finite(math.pow(b, x))
    except OverflowError:
        raise AnswerError("number too large") from None


def _finite(x: float) -> float:
    if not math.isfinite(x):
        raise AnswerError("number too large")
    return x


def _call(name: str, x: Number) -> Number:
    if name in ("log", "log2", "log10"):
        if x <= 0:
            raise AnswerError(f"{name} of a non-positive number ({_fmt(x)}) is undefined")
        if x == 1:
            return Fraction(0)
        if isinstance(x, Fraction):  # exact logs of large integers without overflow
            value = math.log(x.numerator) - math.log(x.denominator)
        else:
            value = math.log(x)
        if name == "log2":
            value /= math.log(2)
            if round(value) == value or abs(value - round(value)) < 1e-12:
                return Fraction(round(value)) if _exact_pow(x, 2, round(value)) else value
        if name == "log10":
            value /= math.log(10)
            if abs(value - round(value)) < 1e-12 and _exact_pow(x, 10, round(value)):
                return Fraction(round(value))
        return value
    if name == "exp":
        if x == 0:
            return Fraction(1)
        try:
            return _finite(math.exp(_as_float(x)))
        except OverflowError:
            raise AnswerError("number too large") from None
    if name == "sqrt":
        if x < 0:
            raise AnswerError(f"square root of a negative number ({_fmt(x)})")
        if isinstance(x, Fraction):
            n, d = math.isqrt(x.numerator), math.isqrt(x.denominator)
            if n * n == x.numerator and d * d == x.denominator:
                return Fraction(n, d)
        return math.sqrt(_as_float(x))
    if name == "sigma":
        v = _as_float(x)
        if x == 0:
            return Fraction(1, 2)
        return 1.0 / (1.0 + math.exp(-v)) if v > -700 else 0.0
    if name == "tanh":
        return Fraction(0) if x == 0 else math.tanh(_as_float(x))
    if name == "relu":
        return x if x > 0 else Fraction(0)
    if name == "abs":
        return abs(x)
    if name == "floor":
        return Fraction(math.floor(x))
    if name == "ceil":
        return Fraction(math.ceil(x))
    if name == "sin":
        return Fraction(0) if x == 0 else math.sin(_as_float(x))
    if name == "cos":
        return Fraction(1) if x == 0 else math.cos(_as_float(x))
    raise AnswerError(f"unknown function '{name}'")


def _exact_pow(x: Number, base: int, k: int) -> bool:
    return isinstance(x, Fraction) and abs(k) <= 4000 and x == Fraction(base) ** k


def evaluate(node: Node, env: dict[str, Number] | None = None) -> Number:
    """The value of ``node``: a Fraction when exact, else a float. ``env`` gives symbol values."""
    try:
        return _evaluate(node, env)
    except OverflowError:  # e.g. a huge exact fraction times a float
        raise AnswerError("a number in this answer is too large") from None


def _evaluate(node: Node, env: dict[str, Number] | None) -> Number:
    op = node.op
    if op == "num":
        return node.value
    if op == "const":
        return CONSTANTS[node.value]
    if op == "sym":
        if env is None or node.value not in env:
            raise AnswerError(f"'{node.value}' is a variable: a number is expected here")
        return env[node.value]
    if op == "neg":
        return -_evaluate(node.args[0], env)
    if op == "call":
        return _call(node.value, _evaluate(node.args[0], env))
    a = _evaluate(node.args[0], env)
    b = _evaluate(node.args[1], env)
    if op == "+":
        return _mix(a + b)
    if op == "-":
        return _mix(a - b)
    if op == "*":
        return _mix(a * b)
    if op == "/":
        if b == 0:
            raise AnswerError("division by zero")
        return _mix(a / b)
    if op == "^":
        return _power(a, b)
    raise AnswerError(f"unknown operation '{op}'")


def _mix(x: Number) -> Number:
    if isinstance(x, float):
        return _finite(x)
    if max(x.numerator.bit_length(), x.denominator.bit_length()) > MAX_EXPONENT_BITS:
        return _as_float(x)
    return x


def symbols_in(node: Node) -> set[str]:
    if node.op == "sym":
        return {node.value}
    out: set[str] = set()
    for arg in node.args:
        out |= symbols_in(arg)
    return out


def has_float(node: Node) -> bool:
    """Whether evaluating ``node`` goes through a function or constant (so the value is rounded)."""
    if node.op in ("call", "const"):
        return True
    return any(has_float(a) for a in node.args)


# -- display -------------------------------------------------------------------------------------

_PREC = {"+": 1, "-": 1, "*": 2, "/": 2, "neg": 3, "^": 4}


def to_text(node: Node) -> str:
    """Readable unicode: ``−log(4)``, ``√3/2``, ``2·x``, ``e^(−1)``."""
    op = node.op
    if op == "num":
        return node.text if node.text and len(node.text) <= 24 else _fmt(node.value)
    if op == "const":
        return "π" if node.value == "pi" else node.value
    if op == "sym":
        return node.value
    if op == "call":
        shown = FUNCTIONS.get(node.value, node.value)
        inner = to_text(node.args[0])
        if shown == "sqrt":
            arg = node.args[0]
            return f"√{inner}" if arg.op in ("num", "sym", "const") else f"√({inner})"
        return f"{shown}({inner})"
    if op == "neg":
        return "−" + _wrap(node.args[0], 3, right=True)
    a, b = node.args
    p = _PREC[op]
    if op == "^":
        return f"{_wrap(a, p + 1)}^{_wrap(b, p, right=True, always_simple=True)}"
    symbol = {"+": " + ", "-": " − ", "*": "·", "/": "/"}[op]
    return f"{_wrap(a, p)}{symbol}{_wrap(b, p, right=op in '-/')}"


def _wrap(node: Node, prec: int, right: bool = False, always_simple: bool = False) -> str:
    text = to_text(node)
    inner = _PREC.get(node.op, 5)
    if node.op == "num" and (node.value < 0 or "/" in text or "e" in text.lower()):
        inner = 2
    if always_simple and node.op not in ("num", "sym", "const", "call"):
        return f"({text})"
    if inner < prec or (right and inner == prec and node.op not in ("^",)):
        return f"({text})"
    return text


def _fmt(x: Number) -> str:
    if isinstance(x, Fraction):
        if x.denominator == 1:
            s = str(x.numerator) if x.numerator.bit_length() < 4000 else "a huge integer"
            if (len(s) > 20 and s[0].isdigit()) or (s[:1] == "-" and len(s) > 21):
                sign, digits = ("−", s[1:]) if s[0] == "-" else ("", s)
                s = f"{sign}{digits[0]}.{digits[1:6]}e{len(digits) - 1}"
            return s.replace("-", "−")
        if len(str(x)) <= 24:
            return str(x).replace("-", "−")
        try:
            x = float(x)
        except OverflowError:
            return "a huge fraction"
    return f"{x:.6g}".replace("-", "−")


def format_value(x: Number) -> str:
    """A number as shown in ``read as``: exact fractions as ``−7/4``, floats to 4 significant digits."""
    if isinstance(x, Fraction):
        return _fmt(x)
    return f"{x:.4g}".replace("-", "−")


# -- conversion to sympy (only for expression answers) -----------------------------------------


def to_sympy(node: Node, symbols: dict[str, Any]) -> Any:
    """The sympy expression of ``node`` (sympy is imported here only)."""
    import sympy as sp

    op = node.op
    if op == "num":
        return sp.Rational(node.value.numerator, node.value.denominator)
    if op == "const":
        return sp.E if node.value == "e" else sp.pi
    if op == "sym":
        return symbols[node.value]
    if op == "neg":
        return -to_sympy(node.args[0], symbols)
    if op == "call":
        x = to_sympy(node.args[0], symbols)
        table = {
            "log": sp.log,
            "log2": lambda t: sp.log(t, 2),
            "log10": lambda t: sp.log(t, 10),
            "exp": sp.exp,
            "sqrt": sp.sqrt,
            "sigma": lambda t: 1 / (1 + sp.exp(-t)),
            "tanh": sp.tanh,
            "relu": lambda t: sp.Max(0, t),
            "abs": sp.Abs,
            "floor": sp.floor,
            "ceil": sp.ceiling,
            "sin": sp.sin,
            "cos": sp.cos,
        }
        return table[node.value](x)
    a = to_sympy(node.args[0], symbols)
    b = to_sympy(node.args[1], symbols)
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "/":
        return a / b
    return a**b


# -- constant folding for display -------------------------------------------------------------------


def _num(value: Fraction) -> Node:
    return Node("num", value, (), "")


def _exact(node: Node) -> Fraction | None:
    return node.value if node.op == "num" and isinstance(node.value, Fraction) else None


def _terms(node: Node, sign: int, out: list[tuple[int, Node]]) -> None:
    if node.op == "+":
        _terms(node.args[0], sign, out)
        _terms(node.args[1], sign, out)
    elif node.op == "-":
        _terms(node.args[0], sign, out)
        _terms(node.args[1], -sign, out)
    elif node.op == "neg":
        _terms(node.args[0], -sign, out)
    else:
        out.append((sign, node))


def _factors(node: Node, out: list[Node]) -> None:
    if node.op == "*":
        _factors(node.args[0], out)
        _factors(node.args[1], out)
    else:
        out.append(node)


def fold_constants(node: Node) -> Node:
    """Combine the exact numbers of sums and products (``n + 2·1 − 7 + 1`` → ``n − 4``), for
    showing an answer; the value is unchanged and functions are kept (σ stays σ)."""
    if node.op in ("num", "sym", "const"):
        return node
    args = tuple(fold_constants(a) for a in node.args)
    node = Node(node.op, node.value, args, node.text)
    if node.op in ("+", "-", "neg"):
        terms: list[tuple[int, Node]] = []
        _terms(node, 1, terms)
        constant = Fraction(0)
        rest: list[tuple[int, Node]] = []
        for sign, term in terms:
            value = _exact(term)
            if value is not None:
                constant += sign * value
            else:
                rest.append((sign, term))
        if not rest:
            return _num(constant)
        out: Node | None = None
        if constant > 0 and rest[0][0] < 0:  # 1 − σ(x), not −σ(x) + 1
            out, constant = _num(constant), Fraction(0)
        for sign, term in rest:
            if out is None:
                out = term if sign > 0 else Node("neg", None, (term,))
            else:
                out = Node("+" if sign > 0 else "-", None, (out, term))
        assert out is not None
        if constant > 0:
            out = Node("+", None, (out, _num(constant)))
        elif constant < 0:
            out = Node("-", None, (out, _num(-constant)))
        return out
    if node.op == "*":
        factors: list[Node] = []
        _factors(node, factors)
        coefficient = Fraction(1)
        others = []
        for f in factors:
            value = _exact(f)
            if value is not None:
                coefficient *= value
            else:
                others.append(f)
        if coefficient == 0 or not others:
            return _num(coefficient)
        product = others[0]
        for f in others[1:]:
            product = Node("*", None, (product, f))
        if coefficient == 1:
            return product
        if coefficient == -1:
            return Node("neg", None, (product,))
        if coefficient < 0:
            return Node("neg", None, (Node("*", None, (_num(-coefficient), product)),))
        return Node("*", None, (_num(coefficient), product))
    if node.op in ("/", "^") and all(_exact(a) is not None for a in args):
        try:
            value = evaluate(node)
        except AnswerError:
            return node
        if isinstance(value, Fraction) and len(str(value)) <= 24:
            return _num(value)
    return node
