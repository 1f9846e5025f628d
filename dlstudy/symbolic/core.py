"""The claim model of the derivation catalogue and the checks a claim may use.

A claim is one short function that receives a :class:`Check` and records derivation steps (sympy
expressions) and *assertions*. Every assertion takes a ``control=``: a perturbed statement (flipped sign,
missing factor, swapped argument). A normal run checks the statement; a control run checks the
perturbation with the very same code, and must reach the opposite outcome, so a check that cannot fail
(or cannot succeed) is caught by the test suite.

Outcomes of an assertion:

* ``proven``: symbolic simplification to zero, exact expansion of a small symbolic instance, an exact
  finite enumeration, a sympy assumption query, or a sympy ``limit``;
* ``refuted``: a counterexample point (exact arguments, values evaluated to 50 digits), a non-zero exact
  residual, or an exact finite computation that contradicts the statement;
* ``evidence``: agreement at sampled points only (never called a proof);
* ``undetermined``: neither within the means of the check.

Entries ``<id>.notes`` hold the statement as the notes write it; they are expected ``refuted``, and
their control is the corrected statement, which the same check must prove.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sympy as sp
from sympy.core.function import AppliedUndef

PROVEN = "proven"
REFUTED = "refuted"
EVIDENCE = "evidence"
UNDETERMINED = "undetermined"
TIMEOUT = "timeout"
ERROR = "error"


@dataclass(frozen=True)
class Claim:
    """One entry of the catalogue."""

    id: str
    section: str
    statement: str  # as the notes write it
    corrected: str  # the corrected statement ("" when the notes are right)
    kind: str  # how it is checked
    verdict: str  # C / G / I as in claims.md
    expected: str  # proven / refuted / evidence
    fn: Callable[[Check], None]
    pair: str = ""  # the other entry of an erratum pair

    @property
    def is_notes_version(self) -> bool:
        return self.id.endswith(".notes")


CATALOGUE: dict[str, Claim] = {}


def claim(
    id: str,
    section: str,
    statement: str,
    *,
    kind: str,
    verdict: str = "C",
    corrected: str = "",
    expected: str = PROVEN,
) -> Callable[[Callable[[Check], None]], Callable[[Check], None]]:
    """Register a claim (the corrected statement when the notes are wrong)."""
    from dlstudy.sections import check_section

    check_section(section)

    def register(fn: Callable[[Check], None]) -> Callable[[Check], None]:
        if id in CATALOGUE:
            raise ValueError(f"duplicate claim id {id!r}")
        pair = f"{id}.notes" if verdict not in ("C", "") and corrected else ""
        CATALOGUE[id] = Claim(id, section, statement, corrected, kind, verdict, expected, fn, pair)
        return fn

    return register


def notes_version(
    base: str, *, kind: str
) -> Callable[[Callable[[Check], None]], Callable[[Check], None]]:
    """Register ``<base>.notes``: the notes' statement as written, expected refuted."""

    def register(fn: Callable[[Check], None]) -> Callable[[Check], None]:
        c = CATALOGUE[base]
        nid = f"{base}.notes"
        CATALOGUE[nid] = Claim(
            nid, c.section, c.statement, c.corrected, kind, c.verdict, REFUTED, fn, base
        )
        return fn

    return register


@dataclass
class Assertion:
    label: str
    outcome: str
    detail: str = ""


@dataclass
class Check:
    """What a claim function writes into: steps shown to the student and assertions checked."""

    control: bool = False
    steps: list[tuple[str, Any]] = field(default_factory=list)
    assertions: list[Assertion] = field(default_factory=list)

    # -- steps ---------------------------------------------------------------------------------
    def step(self, label: str, expr: Any) -> Any:
        """Record an expression sympy produced; returns it for chaining."""
        self.steps.append((label, expr))
        return expr

    def _record(self, label: str, outcome: str, detail: str) -> str:
        tag = " [control]" if self.control else ""
        self.assertions.append(Assertion(label + tag, outcome, detail))
        return outcome

    # -- assertions ----------------------------------------------------------------------------
    def identity(
        self,
        label: str,
        lhs: Any,
        rhs: Any,
        *,
        control: Any,
        control_lhs: Any = None,
    ) -> str:
        """``lhs == rhs`` by simplification of the residual (or a counterexample point)."""
        if self.control:
            rhs = control
            if control_lhs is not None:
                lhs = control_lhs
        self.step(f"{label}: left side", lhs)
        self.step(f"{label}: right side", rhs)
        res = prove_equal(lhs, rhs)
        self.step(f"{label}: residual ({res.how})", res.residual)
        return self._record(label, res.outcome, res.detail)

    def differ(self, label: str, a: Any, b: Any, *, control: Any) -> str:
        """``a != b``: proven by a point where they differ, refuted when ``a - b`` simplifies to 0."""
        if self.control:
            b = control
        res = prove_equal(a, b)
        self.step(f"{label}: a - b ({res.how})", res.residual)
        flipped = {PROVEN: REFUTED, REFUTED: PROVEN}.get(res.outcome, res.outcome)
        detail = "a - b simplifies to 0" if res.outcome == PROVEN else res.detail
        return self._record(label, flipped, detail)

    def fact(self, label: str, expr: Any, prop: str, *, control: Any) -> str:
        """A sign fact (``positive``, ``nonnegative``, ``negative``, ``nonpositive``, ``zero``,
        ``nonzero``) decided by sympy's assumption system (after simplification if needed)."""
        if self.control:
            expr = control
        expr = sp.sympify(expr)
        self.step(f"{label}: is {prop}", expr)
        value = _sign_query(expr, prop)
        if value is None:
            return self._record(label, UNDETERMINED, f"sympy cannot decide whether it is {prop}")
        detail = f"{sp.sstr(expr)} is {'' if value else 'not '}{prop}"
        return self._record(label, PROVEN if value else REFUTED, detail)

    def limit(
        self,
        label: str,
        expr: Any,
        var: sp.Symbol,
        point: Any,
        value: Any,
        *,
        control: Any,
        dir: str = "+",
    ) -> str:
        """``lim_{var -> point} expr == value`` by sympy's ``limit``."""
        if self.control:
            value = control
        got = sp.limit(expr, var, point, dir=dir)
        self.step(
            f"{label}: limit as {var} -> {point}{dir if point not in (sp.oo, -sp.oo) else ''}", got
        )
        if got.has(sp.Limit):
            return self._record(label, UNDETERMINED, "sympy returned an unevaluated limit")
        if value in (sp.oo, -sp.oo, sp.zoo) or got in (sp.oo, -sp.oo, sp.zoo):
            ok = got == value
            return self._record(label, PROVEN if ok else REFUTED, f"limit is {sp.sstr(got)}")
        res = prove_equal(got, value)
        detail = f"limit is {sp.sstr(got)}, claimed {sp.sstr(value)}"
        return self._record(label, res.outcome, detail if res.outcome != PROVEN else "")

    def holds(self, label: str, value: bool, *, control: bool, how: str) -> str:
        """A statement decided by an exact finite computation (enumeration, exact arithmetic)."""
        if self.control:
            value = control
        self.step(f"{label} ({how})", sp.true if value else sp.false)
        return self._record(label, PROVEN if value else REFUTED, how)

    def evidence(self, label: str, lhs: Any, rhs: Any, *, control: Any) -> str:
        """Agreement at sampled points only: status ``evidence``, never ``proven``."""
        if self.control:
            rhs = control
        d = _residual_expr(lhs, rhs)
        point = find_counterexample(d)
        if point is not None:
            return self._record(label, REFUTED, point)
        return self._record(label, EVIDENCE, "sides agree at sampled points (not a proof)")


# -- aggregation -------------------------------------------------------------------------------
def status_of(assertions: Sequence[Assertion], want_refuted: bool) -> str:
    """Claim status from its assertions. A statement that should be refuted must have *every*
    assertion refuted; a statement that should hold is refuted by *any* refuted assertion."""
    outcomes = [a.outcome for a in assertions]
    if not outcomes:
        return ERROR
    if ERROR in outcomes:
        return ERROR
    if want_refuted:
        if all(o == REFUTED for o in outcomes):
            return REFUTED
        if UNDETERMINED in outcomes:
            return UNDETERMINED
        return EVIDENCE if EVIDENCE in outcomes else PROVEN
    if REFUTED in outcomes:
        return REFUTED
    if UNDETERMINED in outcomes:
        return UNDETERMINED
    return EVIDENCE if EVIDENCE in outcomes else PROVEN


# -- proving equality --------------------------------------------------------------------------
@dataclass
class EqualityResult:
    outcome: str
    how: str
    residual: Any
    detail: str = ""
    trail: list[tuple[str, Any]] = field(default_factory=list)


def _as_matrix(x: Any) -> Any:
    if isinstance(x, (list, tuple)):
        return sp.Matrix(x)
    return x


def _residual_expr(lhs: Any, rhs: Any) -> Any:
    lhs, rhs = _as_matrix(lhs), _as_matrix(rhs)
    if isinstance(lhs, sp.MatrixBase) or isinstance(rhs, sp.MatrixBase):
        if not (isinstance(lhs, sp.MatrixBase) and isinstance(rhs, sp.MatrixBase)):
            raise TypeError("cannot compare a matrix with a scalar")
        if lhs.shape != rhs.shape:
            raise ValueError(f"shapes differ: {lhs.shape} vs {rhs.shape}")
        return sp.Matrix(lhs - rhs)
    return sp.sympify(lhs) - sp.sympify(rhs)


def _opaque_expand(e: Any) -> Any:
    """Expand with every function application (outermost first) replaced by an independent symbol.

    Sound for proving zero: a polynomial identity in independent symbols holds for any values."""
    apps = [a for a in e.atoms(sp.Function) if not isinstance(a, (sp.Max, sp.Min))]
    if not apps:
        return sp.expand(e)
    return sp.expand(e.xreplace({a: sp.Dummy("f") for a in apps}))


def _piecewise_zero(e: Any) -> Any:
    """Rewrite Max/Min/Abs/Heaviside as Piecewise and check every branch on the set where it applies
    (univariate conditions are solved exactly; a branch living on finitely many points is evaluated
    there). Returns 0 when every branch vanishes, else the piecewise form."""
    if not e.has(sp.Max, sp.Min, sp.Abs, sp.Heaviside, sp.sign, sp.Piecewise):
        return e
    pw = sp.simplify(sp.piecewise_fold(e.rewrite(sp.Piecewise)))
    if pw == 0 or not isinstance(pw, sp.Piecewise):
        return pw
    earlier: Any = sp.false
    for expr, cond in pw.args:
        live = sp.And(cond, sp.Not(earlier))
        earlier = sp.Or(earlier, cond)
        if sp.simplify(expr) == 0 or live == sp.false:
            continue
        syms = live.free_symbols
        if len(syms) != 1:
            return pw
        (v,) = syms
        region = live.as_set() if v.is_real else None
        if isinstance(region, sp.FiniteSet) and all(
            sp.simplify(expr.subs(v, pt)) == 0 for pt in region
        ):
            continue
        if region is not None and region.is_empty:
            continue
        return pw
    return sp.Integer(0)


_CHEAP = 3  # strategies before the first (quick) counterexample search


def _strategies() -> list[tuple[str, Callable[[Any], Any]]]:
    return [
        ("exact", lambda e: e),
        ("expand with function applications as opaque atoms", _opaque_expand),
        ("cancel", lambda e: sp.cancel(sp.together(e))),
        ("expand", sp.expand),
        ("expand_log", lambda e: sp.expand(sp.expand_log(e))),
        ("simplify", sp.simplify),
        ("piecewise cases", _piecewise_zero),
        ("rewrite(exp) + simplify", lambda e: sp.simplify(sp.expand(e.rewrite(sp.exp)))),
    ]


def simplify_to_zero(
    d: Any, quick_refute: bool = False
) -> tuple[bool, str, Any, list[tuple[str, Any]]]:
    """Try cheap to expensive rewritings of ``d``; return (is_zero, how, last form, trail).

    With ``quick_refute``, after the cheap rewritings a short counterexample search runs; if it finds a
    point the search stops early (how = "counterexample") and the expensive rewritings are skipped."""
    trail: list[tuple[str, Any]] = []
    last = d
    for k, (name, fn) in enumerate(_strategies()):
        if quick_refute and k == _CHEAP and find_counterexample(d, trials=6) is not None:
            return False, "counterexample search (exact point, 50 digits)", last, trail
        try:
            r = fn(d)
        except Exception:  # sympy raises many kinds (PolynomialError, ...): try the next rewriting
            continue
        trail.append((name, r))
        last = r
        if r == 0 or (getattr(r, "is_zero", None) is True and not r.free_symbols):
            return True, name, sp.Integer(0), trail
    return False, "no simplification reached 0", last, trail


def prove_equal(lhs: Any, rhs: Any) -> EqualityResult:
    """Decide ``lhs == rhs``: proven by simplification, refuted by a counterexample point."""
    try:
        d = _residual_expr(lhs, rhs)
    except ValueError as exc:  # shape mismatch: certainly different
        return EqualityResult(REFUTED, "shapes", sp.nan, str(exc))
    if isinstance(d, sp.MatrixBase):
        hows: list[str] = []
        for idx, e in enumerate(d):
            ok, how, last, _ = simplify_to_zero(e, quick_refute=True)
            if not ok:
                r = idx // d.cols, idx % d.cols
                point = find_counterexample(e)
                if point is not None:
                    return EqualityResult(REFUTED, how, last, f"entry {r}: {point}")
                return EqualityResult(
                    UNDETERMINED, how, last, f"entry {r} residual {sp.sstr(last)}"
                )
            hows.append(how)
        how = max(set(hows), key=[n for n, _ in _strategies()].index) if hows else "exact"
        return EqualityResult(PROVEN, f"entrywise {how}", sp.zeros(*d.shape))
    ok, how, last, trail = simplify_to_zero(d, quick_refute=True)
    if ok:
        return EqualityResult(PROVEN, how, sp.Integer(0), "", trail)
    point = find_counterexample(d)
    if point is not None:
        return EqualityResult(REFUTED, how, last, point, trail)
    return EqualityResult(UNDETERMINED, how, last, f"residual {sp.sstr(last)}", trail)


# -- counterexamples ---------------------------------------------------------------------------
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
]
_POSITIVE = [v for v in _VALUES if v > 0]
_INTS = [sp.Integer(v) for v in (2, 1, 3, 0, 5, -1, 4, -2)]


def _candidates(s: sp.Symbol) -> list[sp.Expr]:
    if s.is_integer:
        return [
            v for v in _INTS if (not s.is_positive or v > 0) and (not s.is_nonnegative or v >= 0)
        ]
    if s.is_positive:
        return _POSITIVE
    if s.is_nonnegative:
        return [sp.Integer(0), *_POSITIVE]
    if s.is_negative:
        return [-v for v in _POSITIVE]
    return _VALUES


def _concretize(expr: Any) -> Any:
    """Replace undefined functions f(a, b, ...) by a fixed generic polynomial so a residual that is
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


def _fmt(v: Any) -> str:
    try:
        if v.is_Rational:
            return sp.sstr(v)
        return sp.sstr(sp.Float(v, 15))
    except (TypeError, ValueError, AttributeError):
        return sp.sstr(v)


def counterexample_point(
    d: Any, trials: int = 40
) -> tuple[dict[sp.Symbol, sp.Expr], sp.Float] | None:
    """A point (exact rational coordinates) where ``d`` is a finite real number clearly different from
    0, with that value evaluated to 50 significant digits; ``None`` if the search finds none.

    A value counts only if its magnitude exceeds 1e-30 (1e-10 when ``d`` holds floating-point numbers).
    Undefined functions are first replaced by fixed generic polynomials (see ``_concretize``).
    """
    d = sp.sympify(d)
    try:
        d = _concretize(d)
    except Exception:  # functions that cannot be made concrete: no counterexample from here
        return None
    syms = sorted(d.free_symbols, key=lambda s: s.name)
    if not syms:
        points: Iterable[dict[sp.Symbol, sp.Expr]] = [{}]
    else:
        pools = [_candidates(s) for s in syms]
        points = (
            {s: pools[i][(t * 7 + i * 3 + t // 5) % len(pools[i])] for i, s in enumerate(syms)}
            for t in range(trials)
        )
    floor = sp.Float("1e-10") if d.atoms(sp.Float) else sp.Float("1e-30")
    for pt in itertools.islice(points, trials):
        try:
            v = d.subs(pt).evalf(50) if pt else d.evalf(50)
            if not v.is_number or v.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
                continue
            re, im = v.as_real_imag()
            re, im = sp.Float(re, 50), sp.Float(im, 50)
        except Exception:  # a point where the expression is undefined: try the next one
            continue
        if abs(im) <= sp.Float("1e-30") and abs(re) > floor:
            return pt, re
    return None


def find_counterexample(d: Any, trials: int = 40) -> str | None:
    """:func:`counterexample_point` described in words, or ``None``."""
    found = counterexample_point(d, trials)
    if found is None:
        return None
    pt, value = found
    where = ", ".join(f"{s}={_fmt(val)}" for s, val in pt.items()) or "constant"
    return f"counterexample at {where}: left - right = {_fmt(value)}"


def _sign_query(expr: sp.Expr, prop: str) -> bool | None:
    attr = f"is_{prop}"
    value = getattr(expr, attr)
    if value is None:
        simpler = sp.simplify(expr)
        value = getattr(simpler, attr)
        if value is None and simpler.is_number:
            v = simpler.evalf(50)
            if v.is_real and abs(v) > sp.Float("1e-30"):
                value = getattr(v, attr)
    return value
