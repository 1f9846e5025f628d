"""A safe parser for expressions and claims typed by students: ``"diff(tanh(x), x) == 1 - tanh(x)**2"``.

No ``eval``, no ``sympify`` of the raw text: a small tokenizer and a precedence-climbing parser build sympy
objects directly from a whitelist of names. Free names become real symbols. Bounds: input length, nesting
depth, number literal size, rational exponents (so ``9**9**9**9`` is rejected, not computed) and
integer arguments of ``factorial``/``binomial``. Nothing here evaluates a non-rational number (checking
``x**sin(exp(exp(20)))`` would cost as much as computing it): callers parse inside a CPU-limited child
(:mod:`dlstudy.symbolic.equivalence`).

The index of ``Sum(f, k, a, b)`` and ``Product(f, k, a, b)`` and every name in their bounds are
integers (a sum from 1 to n has an integer n), wherever else they appear in the claim.

Grammar (``^`` and ``**`` are the same, right-associative)::

    claim   := expr ("==" | "=") expr
    expr    := term (("+" | "-") term)*
    term    := unary (("*" | "/") unary)*
    unary   := ("+" | "-") unary | power
    power   := atom (("**" | "^") unary)?
    atom    := NUMBER | NAME | NAME "(" args ")" | "(" expr ")" | "[" args "]"
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import sympy as sp

from dlstudy.errors import DlstudyError, caret, did_you_mean

MAX_LENGTH = 2000
MAX_DEPTH = 60
MAX_EXPONENT = 1000  # |numeric exponent|
MAX_DIGITS = 60  # digits in one number literal
MAX_DIFF_ORDER = 20
MAX_FACTORIAL = 1000  # integer arguments of factorial and binomial
_HUGE = 10 ** (4 * MAX_DIGITS)

_TOKEN = re.compile(
    r"\s*(?:(?P<num>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)"
    r"|(?P<name>[A-Za-z_\u0370-\u03ff][A-Za-z0-9_\u0370-\u03ff]*)"
    r"|(?P<op>\*\*|==|[-+*/^(),\[\]=]))"
)


@dataclass(frozen=True)
class Token:
    kind: str  # num, name, op, end
    text: str
    pos: int


def _fail(text: str, pos: int, message: str) -> DlstudyError:
    return DlstudyError(message, caret(text, min(pos, len(text))))


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens; anything outside the grammar is an error with a caret."""
    if len(text) > MAX_LENGTH:
        raise DlstudyError(f"expression too long ({len(text)} characters; at most {MAX_LENGTH})")
    out: list[Token] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            start = pos + (len(text[pos:]) - len(text[pos:].lstrip()))
            ch = text[start]
            if ch == ".":
                raise _fail(
                    text, start, "attribute access ('.') is not allowed; write functions as f(x)"
                )
            raise _fail(text, start, f"unexpected character {ch!r}")
        kind = m.lastgroup or "op"
        tok = m.group(kind)
        start = m.start(kind)
        if kind == "name" and "__" in tok:
            raise _fail(text, start, f"names with '__' are not allowed: {tok!r}")
        if kind == "num":
            mant, _, ex = tok.lower().partition("e")
            if len(mant.replace(".", "")) > MAX_DIGITS or (ex and abs(int(ex)) > MAX_DIGITS):
                raise _fail(text, start, f"number literal too large (at most {MAX_DIGITS} digits)")
        out.append(Token(kind, tok, start))
        pos = m.end()
    out.append(Token("end", "", len(text)))
    return out


# -- the whitelist -----------------------------------------------------------------------------
def _sigmoid(x: sp.Expr) -> sp.Expr:
    return 1 / (1 + sp.exp(-x))


def _softplus(x: sp.Expr) -> sp.Expr:
    return sp.log(1 + sp.exp(x))


def _softmax(v: Any) -> sp.Matrix:
    if not isinstance(v, sp.MatrixBase):
        raise TypeError("softmax expects a list, e.g. softmax([a, b, c])")
    Z = sum(sp.exp(e) for e in v)
    return sp.Matrix([sp.exp(e) / Z for e in v])


def _relu(x: sp.Expr) -> sp.Expr:
    return sp.Max(0, x, evaluate=False)


def _unevaluated(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Build without evaluating: deciding the sign of ``sin(exp(exp(20)))`` inside ``Abs`` would cost
    as much as computing it. ``doit()`` (inside the CPU-limited child) evaluates later."""

    def build(*args: Any) -> Any:
        return fn(*args, evaluate=False)

    return build


# name -> (builder, min args, max args)
FUNCTIONS: dict[str, tuple[Callable[..., Any], int, int]] = {
    "sigmoid": (_sigmoid, 1, 1),
    "sigma": (_sigmoid, 1, 1),
    "σ": (_sigmoid, 1, 1),
    "relu": (_relu, 1, 1),
    "softplus": (_softplus, 1, 1),
    "softmax": (_softmax, 1, 1),
    "tanh": (sp.tanh, 1, 1),
    "sinh": (sp.sinh, 1, 1),
    "cosh": (sp.cosh, 1, 1),
    "sin": (sp.sin, 1, 1),
    "cos": (sp.cos, 1, 1),
    "exp": (sp.exp, 1, 1),
    "log": (sp.log, 1, 2),
    "ln": (sp.log, 1, 1),
    "sqrt": (sp.sqrt, 1, 1),
    "Abs": (_unevaluated(sp.Abs), 1, 1),
    "abs": (_unevaluated(sp.Abs), 1, 1),
    "Max": (_unevaluated(sp.Max), 1, 8),
    "max": (_unevaluated(sp.Max), 1, 8),
    "Min": (_unevaluated(sp.Min), 1, 8),
    "min": (_unevaluated(sp.Min), 1, 8),
    "Heaviside": (_unevaluated(sp.Heaviside), 1, 1),
    "sign": (_unevaluated(sp.sign), 1, 1),
    "diff": (None, 2, 3),  # type: ignore[dict-item]  # handled specially
    "integrate": (None, 2, 4),  # type: ignore[dict-item]
    "factorial": (sp.factorial, 1, 1),
    "binomial": (sp.binomial, 2, 2),
    "Sum": (None, 4, 4),  # type: ignore[dict-item]
    "Product": (None, 4, 4),  # type: ignore[dict-item]
    "limit": (None, 3, 3),  # type: ignore[dict-item]
}
CONSTANTS: dict[str, sp.Expr] = {
    "pi": sp.pi,
    "π": sp.pi,
    "E": sp.E,
    "e": sp.E,
    "oo": sp.oo,
    "inf": sp.oo,
}
KNOWN = sorted(set(FUNCTIONS) | set(CONSTANTS))


class _Parser:
    def __init__(self, text: str, symbols: Mapping[str, sp.Symbol] | None) -> None:
        self.text = text
        self.toks = tokenize(text)
        self.i = 0
        self.depth = 0
        self.symbols: dict[str, sp.Symbol] = dict(symbols or {})
        self.integer_names: set[str] = set()  # Sum/Product indices and the names in their bounds

    # -- token helpers
    @property
    def tok(self) -> Token:
        return self.toks[self.i]

    def take(self) -> Token:
        t = self.toks[self.i]
        self.i += 1
        return t

    def expect(self, op: str) -> Token:
        if self.tok.text != op or self.tok.kind != "op":
            found = repr(self.tok.text) if self.tok.kind != "end" else "the end"
            raise _fail(self.text, self.tok.pos, f"expected {op!r}, found {found}")
        return self.take()

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _fail(
                self.text,
                self.tok.pos,
                f"expression nested too deeply (at most {MAX_DEPTH} levels)",
            )

    # -- grammar
    def expr(self) -> Any:
        self.enter()
        left = self.term()
        while self.tok.kind == "op" and self.tok.text in "+-":
            op = self.take()
            right = self.term()
            left = self.apply(op, lambda a, b, o=op.text: a + b if o == "+" else a - b, left, right)
        self.depth -= 1
        return left

    def term(self) -> Any:
        left = self.unary()
        while self.tok.kind == "op" and self.tok.text in ("*", "/"):
            op = self.take()
            right = self.unary()
            if op.text == "/" and _is_zero_number(right):
                raise _fail(self.text, op.pos, "division by zero")
            left = self.apply(op, lambda a, b, o=op.text: a * b if o == "*" else a / b, left, right)
        return left

    def unary(self) -> Any:
        if self.tok.kind == "op" and self.tok.text in "+-":
            op = self.take()
            self.enter()
            val = self.unary()
            self.depth -= 1
            return -val if op.text == "-" else val
        return self.power()

    def power(self) -> Any:
        base = self.atom()
        if self.tok.kind == "op" and self.tok.text in ("**", "^"):
            op = self.take()
            self.enter()
            exponent = self.unary()
            self.depth -= 1
            self.check_power(op, base, exponent)
            return self.apply(op, lambda a, b: a**b, base, exponent)
        return base

    def check_power(self, op: Token, base: Any, exponent: Any) -> None:
        """Refuse rational exponents above MAX_EXPONENT (sympy would compute ``9**9**9`` at once).
        Other exponents stay symbolic (``2**pi`` is not expanded), so they are not evaluated here."""
        if isinstance(exponent, sp.MatrixBase) or isinstance(base, sp.MatrixBase):
            raise _fail(self.text, op.pos, "powers of lists are not supported")
        if (exponent.is_Rational or exponent.is_Float) and abs(exponent) > MAX_EXPONENT:
            raise _fail(self.text, op.pos, f"exponent too large (|exponent| ≤ {MAX_EXPONENT})")

    def apply(self, op: Token, fn: Callable[[Any, Any], Any], a: Any, b: Any) -> Any:
        try:
            out = fn(a, b)
        except (TypeError, ValueError, sp.ShapeError) as exc:
            raise _fail(self.text, op.pos, f"cannot apply {op.text!r} here: {exc}") from None
        if isinstance(out, sp.Basic) and out.is_Rational and max(abs(out.p), out.q) > _HUGE:
            raise _fail(self.text, op.pos, f"number too large (more than {4 * MAX_DIGITS} digits)")
        return out

    def atom(self) -> Any:
        t = self.tok
        if t.kind == "num":
            self.take()
            return _number(t.text)
        if t.kind == "op" and t.text == "(":
            self.take()
            val = self.expr()
            self.expect(")")
            return val
        if t.kind == "op" and t.text == "[":
            self.take()
            items = self.args("]")
            if not items:
                raise _fail(self.text, t.pos, "empty list")
            if any(isinstance(v, sp.MatrixBase) for v in items):
                raise _fail(self.text, t.pos, "nested lists are not supported")
            return sp.Matrix(items)
        if t.kind == "name":
            self.take()
            if self.tok.kind == "op" and self.tok.text == "(":
                return self.call(t)
            if t.text in FUNCTIONS:
                raise _fail(self.text, t.pos, f"{t.text} is a function: write {t.text}(...)")
            if t.text in CONSTANTS:
                return CONSTANTS[t.text]
            if t.text not in self.symbols:
                self.symbols[t.text] = sp.Symbol(t.text, real=True)
            return self.symbols[t.text]
        found = repr(t.text) if t.kind != "end" else "the end of the input"
        raise _fail(self.text, t.pos, f"expected a number, a name or '(', found {found}")

    def args(self, close: str) -> list[Any]:
        items: list[Any] = []
        if self.tok.kind == "op" and self.tok.text == close:
            self.take()
            return items
        while True:
            items.append(self.expr())
            if self.tok.kind == "op" and self.tok.text == ",":
                self.take()
                continue
            self.expect(close)
            return items

    def call(self, name: Token) -> Any:
        if name.text not in FUNCTIONS:
            raise _fail(
                self.text,
                name.pos,
                f"unknown function '{name.text}'{did_you_mean(name.text, KNOWN)}; "
                f"known: {', '.join(sorted(FUNCTIONS))}",
            )
        self.enter()
        self.take()  # "("
        args = self.args(")")
        self.depth -= 1
        fn, lo, hi = FUNCTIONS[name.text]
        if not lo <= len(args) <= hi:
            want = str(lo) if lo == hi else f"{lo} to {hi}"
            raise _fail(
                self.text, name.pos, f"{name.text} takes {want} argument(s), got {len(args)}"
            )
        try:
            if name.text == "diff":
                return self.diff(name, args)
            if name.text == "integrate":
                return self.integral(name, args)
            if name.text in ("Sum", "Product"):
                var = self.variable(name, args[1])
                self.integer_names.add(var.name)
                for bound in args[2:]:
                    self.integer_names.update(s.name for s in bound.free_symbols)
                build = sp.Sum if name.text == "Sum" else sp.Product
                return build(args[0], (var, args[2], args[3]))
            if name.text in ("factorial", "binomial"):
                for a in args:
                    if a.is_Integer and abs(a) > MAX_FACTORIAL:
                        raise TypeError(f"integer arguments are limited to {MAX_FACTORIAL}")
            if name.text == "limit":
                var = self.variable(name, args[1])
                return sp.Limit(args[0], var, args[2])
            if name.text != "softmax" and any(isinstance(a, sp.MatrixBase) for a in args):
                raise TypeError("expects numbers or expressions, not a list")
            out = fn(*args)
        except (TypeError, ValueError) as exc:
            raise _fail(self.text, name.pos, f"{name.text}: {exc}") from None
        if isinstance(out, sp.Basic) and out.is_Rational and max(abs(out.p), out.q) > _HUGE:
            raise _fail(
                self.text, name.pos, f"number too large (more than {4 * MAX_DIGITS} digits)"
            )
        return out

    def integer_symbols(self, *exprs: Any) -> tuple[Any, ...]:
        """``exprs`` with every Sum/Product index and bound name made an integer symbol (keeping its
        sign assumptions)."""
        if not self.integer_names:
            return exprs
        swap = {}
        for name in self.integer_names:
            old = self.symbols.get(name)
            if old is None or old.is_integer:
                continue
            keep = {k: True for k in _SIGN_FACTS if old.assumptions0.get(k)}
            swap[old] = sp.Symbol(name, real=True, integer=True, **keep)
        return tuple(e.xreplace(swap) if swap else e for e in exprs)

    def variable(self, name: Token, v: Any) -> sp.Symbol:
        if not isinstance(v, sp.Symbol):
            raise _fail(self.text, name.pos, f"{name.text}: the variable must be a name, got {v}")
        return v

    def diff(self, name: Token, args: list[Any]) -> sp.Expr:
        var = self.variable(name, args[1])
        order = 1
        if len(args) == 3:
            n = args[2]
            if not (isinstance(n, sp.Integer) and 1 <= int(n) <= MAX_DIFF_ORDER):
                raise _fail(
                    self.text, name.pos, f"diff: the order must be an integer 1..{MAX_DIFF_ORDER}"
                )
            order = int(n)
        return sp.Derivative(args[0], (var, order))

    def integral(self, name: Token, args: list[Any]) -> sp.Expr:
        var = self.variable(name, args[1])
        if len(args) == 3:
            raise _fail(self.text, name.pos, "integrate takes (f, x) or (f, x, a, b)")
        if len(args) == 4:
            return sp.Integral(args[0], (var, args[2], args[3]))
        return sp.Integral(args[0], var)


_SIGN_FACTS = ("positive", "nonnegative", "negative", "nonpositive", "nonzero")


def _number(text: str) -> sp.Expr:
    if re.fullmatch(r"\d+", text):
        return sp.Integer(int(text))
    return sp.Rational(text)  # decimals are exact: 0.1 is 1/10


def _is_zero_number(v: Any) -> bool:
    return isinstance(v, sp.Basic) and v.is_number and v == 0


def parse_expression(text: str, symbols: Mapping[str, sp.Symbol] | None = None) -> sp.Expr:
    """Parse one expression safely into sympy (free names are real symbols unless given in
    ``symbols``). Raises :class:`DlstudyError` with a caret for anything else."""
    if not isinstance(text, str):
        raise DlstudyError("expected the expression as text")
    p = _Parser(text, symbols)
    if p.tok.kind == "end":
        raise DlstudyError("empty expression")
    try:
        value = p.expr()
    except RecursionError:
        raise DlstudyError("expression nested too deeply") from None
    if p.tok.kind != "end":
        if p.tok.text in ("==", "="):
            raise _fail(text, p.tok.pos, "expected one expression, found an equation")
        raise _fail(text, p.tok.pos, f"unexpected {p.tok.text!r} after a complete expression")
    return p.integer_symbols(value)[0]


def parse_claim(text: str, symbols: Mapping[str, sp.Symbol] | None = None) -> tuple[Any, Any]:
    """Parse ``"LHS == RHS"`` (a single ``=`` is accepted too) into two sympy objects."""
    if not isinstance(text, str):
        raise DlstudyError("expected the claim as text")
    p = _Parser(text, symbols)
    if p.tok.kind == "end":
        raise DlstudyError("empty claim; expected an identity such as 'LHS == RHS'")
    try:
        lhs = p.expr()
        if not (p.tok.kind == "op" and p.tok.text in ("==", "=")):
            found = repr(p.tok.text) if p.tok.kind != "end" else "the end"
            raise _fail(text, p.tok.pos, f"expected an identity 'LHS == RHS', found {found}")
        p.take()
        rhs = p.expr()
    except RecursionError:
        raise DlstudyError("expression nested too deeply") from None
    if p.tok.kind != "end":
        raise _fail(text, p.tok.pos, f"unexpected {p.tok.text!r}: a claim has one '=='")
    if isinstance(lhs, sp.MatrixBase) != isinstance(rhs, sp.MatrixBase):
        raise DlstudyError("one side is a list and the other is not")
    if isinstance(lhs, sp.MatrixBase) and lhs.shape != rhs.shape:
        raise DlstudyError(f"the lists have different lengths ({lhs.rows} vs {rhs.rows})")
    lhs, rhs = p.integer_symbols(lhs, rhs)
    return lhs, rhs
