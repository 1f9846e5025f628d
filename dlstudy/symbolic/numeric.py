"""Numbers that can be trusted: a counterexample is reported only when its difference is *certain*.

A candidate point has exact rational (or integer) coordinates. At that point both sides are constant
sympy expressions, and the difference ``L - R`` counts as a counterexample only if

* it is an exact non-zero rational (sympy evaluated it exactly), or
* ``evalf(strict=True)`` gives it with :data:`DIGITS` correct significant digits, again with
  :data:`CONFIRM_DIGITS`, the two agree, and the value is real and non-zero. ``strict`` makes sympy
  raise ``PrecisionExhausted`` instead of returning digits it could not guarantee, and sympy's adaptive
  evaluation raises the working precision as far as the magnitudes require (up to :data:`MAX_DIGITS`):
  ``cosh(300)**2 - sinh(300)**2 - 1`` cannot be told from 0 (no counterexample), while
  ``exp(300)*(sin(1/3)**2 + cos(1/3)**2) - exp(300) - 1`` is certainly -1.

Both sides must be real at the point (a point where a side is complex or undefined is outside the
real domain of the claim and is skipped). Undefined functions ``f(x)`` are first replaced by fixed
generic polynomials: a difference for *those* functions refutes an identity claimed for all functions.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import sympy as sp
from sympy.core.function import AppliedUndef

DIGITS = 30
CONFIRM_DIGITS = 60
MAX_DIGITS = 400  # working precision evalf may climb to (decimal digits)
AGREE = sp.Float(
    "1e-12"
)  # rough values this close (relatively): confirm at a precision scaled to them

_VALUES = [
    sp.Rational(1, 3),
    sp.Rational(-1, 2),
    sp.Rational(2, 5),
    sp.Integer(2),
    sp.Rational(-3, 7),
    sp.Rational(5, 4),
    sp.Rational(1, 7),
    sp.Integer(-3),
    sp.Rational(3, 11),
    sp.Rational(7, 5),
    sp.Rational(-2, 3),
    sp.Rational(1, 2),
    sp.Integer(3),
    sp.Rational(-5, 4),
    sp.Rational(4, 9),
    sp.Rational(13, 2),
    sp.Rational(-17, 3),
    sp.Integer(11),
]
_POSITIVE = [v for v in _VALUES if v > 0]
_INTS = [sp.Integer(v) for v in (2, 1, 3, 0, 5, -1, 4, -2, 7, -3, 6)]
_UNTRUSTED = (sp.Integral, sp.Limit, sp.Derivative, sp.Sum, sp.Product, sp.Subs)


@dataclass
class Counterexample:
    """A point where the two sides are real and certainly differ (values as sympy numbers)."""

    point: dict[sp.Symbol, sp.Expr]
    lhs: sp.Expr
    rhs: sp.Expr
    difference: sp.Expr
    exact: bool  # the difference is an exact rational

    def describe(self) -> str:
        where = ", ".join(f"{s}={fmt(v)}" for s, v in self.point.items()) or "constant"
        return (
            f"counterexample at {where}: left = {fmt(self.lhs)}, right = {fmt(self.rhs)}, "
            f"left - right = {fmt(self.difference)}"
            + (" (exact)" if self.exact else f" (certain to {DIGITS} digits)")
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "values": {str(s): fmt(v) for s, v in self.point.items()},
            "lhs": fmt(self.lhs),
            "rhs": fmt(self.rhs),
            "difference": fmt(self.difference),
            "exact": self.exact,
        }


def fmt(v: Any) -> str:
    """A number as a student reads it: exact rationals as fractions, others to 15 digits."""
    try:
        if v.is_Rational:
            return sp.sstr(v)
        if v.is_Float:
            return sp.sstr(sp.Float(v, 15))
        return sp.sstr(v)
    except (TypeError, ValueError, AttributeError):
        return str(v)


def certain_value(e: Any, digits: int = DIGITS, max_digits: int = MAX_DIGITS) -> sp.Expr | None:
    """The value of the constant expression ``e`` with ``digits`` guaranteed digits (a sympy Float,
    possibly complex), the exact rational itself, or ``None`` when sympy cannot guarantee them."""
    e = sp.sympify(e)
    if e.is_Rational:
        return e
    if e.has(*_UNTRUSTED) or e.free_symbols:
        return None
    try:
        v = e.evalf(digits, strict=True, maxn=max(max_digits, digits))
    except Exception:  # PrecisionExhausted, overflow, undefined: not a certain number
        return None
    if not v.is_number or v.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
        return None
    return v


def _is_real_value(e: sp.Expr) -> bool:
    """``e`` (a constant) is a real number: by sympy's assumptions, or an evaluation with no
    imaginary part. Undecided counts as not real (the point is skipped: the safe direction)."""
    if e.is_extended_real is True:
        return e.is_finite is not False
    v = certain_value(e, 15)
    if v is None:
        return False
    return v.is_Rational or sp.im(v) == 0


def confirmed_difference(
    lhs: sp.Expr, rhs: sp.Expr, max_digits: int = MAX_DIGITS
) -> tuple[sp.Expr, bool] | None:
    """``(L - R, exact)`` when both constant sides are real and certainly differ, else ``None``.

    ``max_digits`` bounds the working precision (a difference smaller than about
    10^-max_digits relative to the terms cannot be told from 0 and gives ``None``)."""
    d = sp.sympify(lhs - rhs)
    if d.has(*_UNTRUSTED):
        return None
    if d.is_Rational:
        if d == 0:
            return None
        exact = True
        value: sp.Expr = d
    else:
        v1 = certain_value(d, DIGITS, max_digits)
        if v1 is None or v1 == 0 or sp.im(v1) != 0:
            return None
        v2 = certain_value(d, CONFIRM_DIGITS, max_digits)
        if v2 is None or v2 == 0 or sp.im(v2) != 0:
            return None
        if abs(v1 - v2) > abs(v2) * sp.Float(10) ** (5 - DIGITS):
            return None
        exact, value = False, sp.Float(v2, DIGITS)
    if not (_is_real_value(lhs) and _is_real_value(rhs)):
        return None
    return value, exact


def concretize(expr: Any) -> Any:
    """Replace undefined functions f(a, b, ...) by a fixed generic polynomial, so a difference that is
    non-zero for *some* functions can be evaluated. A non-zero value shows the identity fails."""
    applied = expr.atoms(AppliedUndef)
    if not applied:
        return expr
    arity = {a.func: len(a.args) for a in applied}

    def generic(fn: Any, n: int) -> sp.Lambda:
        args = sp.symbols(f"_a1:{n + 1}")
        seed = sum(ord(ch) for ch in fn.__name__) % 5 + 1
        body = sp.Integer(seed) + sum(
            ((i + seed) * a + sp.Rational(i, seed + 1) * a**2 + a**3 / (i + 2))
            for i, a in enumerate(args, start=1)
        )
        return sp.Lambda(args, body)

    return expr.subs({fn: generic(fn, n) for fn, n in arity.items()}).doit()


def candidates(s: sp.Symbol) -> list[sp.Expr]:
    """Exact values a symbol may take, respecting its assumptions (integer, sign, nonzero)."""
    pool = _INTS if s.is_integer else _VALUES
    out = []
    for v in pool:
        if (
            (s.is_positive and not v > 0)
            or (s.is_nonnegative and not v >= 0)
            or (s.is_negative and not v < 0)
            or (s.is_nonpositive and not v <= 0)
            or (s.is_nonzero and v == 0)
        ):
            continue
        out.append(v)
    if s.is_negative and not s.is_integer:
        out = [-v for v in _POSITIVE]
    return out


def points(syms: Sequence[sp.Symbol], trials: int) -> Iterator[dict[sp.Symbol, sp.Expr]]:
    """A fixed (deterministic) sequence of points: the same claim is tried at the same points."""
    if not syms:
        yield {}
        return
    pools = [candidates(s) or [sp.Integer(1)] for s in syms]
    for t in range(trials):
        rng = random.Random(7919 * t + len(syms))  # seeded: decorrelated symbols, same every run
        yield {s: pools[i][rng.randrange(len(pools[i]))] for i, s in enumerate(syms)}


def _at(e: sp.Expr, pt: dict[sp.Symbol, sp.Expr]) -> sp.Expr:
    v = e.subs(pt) if pt else e
    if v.has(*_UNTRUSTED):
        v = v.doit()
    return v


def _plain_symbols(*exprs: sp.Expr) -> list[sp.Symbol]:
    """Free symbols to give values first: not indexed entries ``p[i]`` nor their base names (a sum
    over ``p[i]`` is expanded once its bounds are numbers, then its entries get values)."""
    labels = {a.base.label for e in exprs for a in e.atoms(sp.Indexed)}
    syms = {s for e in exprs for s in e.free_symbols}
    return sorted(
        (s for s in syms if isinstance(s, sp.Symbol) and s not in labels), key=lambda s: s.name
    )


def _second_stage(
    L: sp.Expr, R: sp.Expr, pt: dict[Any, sp.Expr], t: int
) -> tuple[sp.Expr, sp.Expr, dict[Any, sp.Expr]]:
    """Values for the entries ``p[1], p[2], ...`` that expanding a sum brought in (deterministic)."""
    rest = sorted((L.atoms(sp.Indexed) | R.atoms(sp.Indexed)), key=str)
    if not rest:
        return L, R, pt
    more = {}
    rng = random.Random(104729 * t + len(rest))
    for s in rest:
        pool = candidates(s) or [sp.Integer(1)]
        more[s] = pool[rng.randrange(len(pool))]
    return _at(L, more), _at(R, more), {**pt, **more}


def _rough(e: sp.Expr) -> sp.Expr | None:
    """A quick 20-digit value (not guaranteed), or ``None`` if it is not a finite number."""
    try:
        v = e.evalf(20)
    except Exception:  # undefined here
        return None
    if not v.is_number or v.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
        return None
    return v


def scan(lhs: Any, rhs: Any, trials: int = 40) -> tuple[Counterexample | None, int]:
    """Try the points of a fixed sequence: the first certain counterexample (or ``None``) and the
    number of points where both sides were real and agreed to about 12 digits (evidence only).

    Quick 20-digit values come first. When they differ, the point is confirmed (strict evaluation,
    see the module docstring); when they agree to about 12 digits, the difference is sought with a
    working precision scaled to the sides' magnitude (their digits before the point + 80), so a true
    identity does not pay for 400 digits at every point while ``e^300·1`` vs ``e^300 + 1`` is still
    told apart."""
    lhs, rhs = sp.sympify(lhs), sp.sympify(rhs)
    try:
        lhs, rhs = concretize(lhs), concretize(rhs)
    except Exception:  # functions that cannot be made concrete: no counterexample from here
        return None, 0
    syms = _plain_symbols(lhs, rhs)
    agree = 0
    for t, pt in enumerate(points(syms, trials)):
        try:
            L, R = _at(lhs, pt), _at(rhs, pt)
            L, R, pt = _second_stage(L, R, pt, t)
            fl, fr = _rough(L), _rough(R)
            if fl is None or fr is None:
                continue
            scale = max(abs(fl), abs(fr))
            if abs(fl - fr) <= AGREE * scale or (scale == 0 and fl == fr):
                digits = int(sp.log(scale + 1, 10).evalf(5)) + CONFIRM_DIGITS + 20
                found = confirmed_difference(L, R, max_digits=min(digits, MAX_DIGITS))
                if found is None:
                    agree += sp.im(fl) == 0 and sp.im(fr) == 0
                    continue
            else:
                found = confirmed_difference(L, R)
        except Exception:  # undefined at this point (division by zero, ...): try the next one
            continue
        if found is not None:
            value, exact = found
            return Counterexample(pt, _shown(L), _shown(R), value, exact), agree
    return None, int(agree)


def sign_counterexample(
    expr: Any, holds: Any, trials: int = 40
) -> tuple[dict[Any, sp.Expr], sp.Expr] | None:
    """A point where the value of ``expr`` is certainly real and ``holds(value)`` is false: ``(point,
    value)``, or ``None``. A zero counts only when exact (a certain value is never 0 otherwise)."""
    try:
        e = concretize(sp.sympify(expr))
    except Exception:  # cannot be made concrete: no counterexample
        return None
    for t, pt in enumerate(points(_plain_symbols(e), trials)):
        try:
            at, _, full = _second_stage(_at(e, pt), sp.Integer(0), pt, t)
            v = certain_value(at)
            if v is None or sp.im(v) != 0 or (v == 0 and not at.is_Rational):
                continue
            if not holds(v):
                return full, v
        except Exception:  # undefined at this point
            continue
    return None


def search(lhs: Any, rhs: Any, trials: int = 40) -> Counterexample | None:
    """The first point (of a fixed sequence) where both sides are real and certainly differ."""
    return scan(lhs, rhs, trials)[0]


def _shown(e: sp.Expr) -> sp.Expr:
    """A side's value for display: exact if rational, else a certain or best-effort float."""
    if e.is_Rational:
        return e
    v = certain_value(e, 15)
    if v is not None:
        return v
    try:
        return e.evalf(15)
    except Exception:
        return e
