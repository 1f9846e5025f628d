"""The equivalence engine: is ``left == right`` for every real value of the symbols?

This is the engine behind ``dlstudy verify --claim`` and the one a line-by-line derivation checker
calls for each pair of consecutive lines. The contract, for two expressions L and R in real symbols
x₁…xₙ (each real unless an assumption says positive / nonnegative / nonzero / negative / nonpositive /
integer; indices and bounds of ``Sum``/``Product`` are integers):

* ``equivalent``: a chain of sympy rewritings takes L - R to exactly 0 (the chain is returned). This is
  a symbolic proof, valid for every value of the symbols satisfying the assumptions where both sides
  are defined.
* ``not-equivalent``: a point with exact rational coordinates, inside the assumptions, where both sides
  are real and L - R is certainly non-zero: an exact rational, or evaluated with ``evalf(strict=True)``
  to 30 and again to 60 guaranteed digits (see :mod:`dlstudy.symbolic.numeric`). The point, both
  sides' values and the difference are returned. A difference that cannot be told from 0 at the
  magnitudes involved is never reported.
* ``undetermined``: neither (including a CPU limit reached). The number of sample points where the
  sides agreed is returned as evidence, never as a proof.

Public API (plain data out, so results cross process boundaries):

* :func:`check_pair` ``(lhs, rhs, *, assume=(), cpu_seconds=10)`` → :class:`Verdict`: the sides as
  text (parsed *inside* the limited child, as user input must be) or as sympy objects;
* :func:`check_claim` ``(text, ...)``: the same for one ``"L == R"`` text;
* :func:`decide` ``(lhs, rhs)``: the decision in this process, for callers already inside a limited
  child (the catalogue's workers);
* :func:`parse_assumptions` ``(["s > 0", "n integer"])`` → ``{name: {property, ...}}``.

Everything symbolic (parsing included) runs in a forked child limited in CPU seconds
(:mod:`dlstudy.symbolic.sandbox`), so the same input gets the same verdict on a loaded machine.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import sympy as sp

from dlstudy.errors import DlstudyError, caret
from dlstudy.symbolic import numeric, sandbox
from dlstudy.symbolic.parser import parse_claim, parse_expression

EQUIVALENT = "equivalent"
NOT_EQUIVALENT = "not-equivalent"
UNDETERMINED = "undetermined"

Assumptions = Mapping[str, Iterable[str]]


# -- assumptions -------------------------------------------------------------------------------
PROPERTIES = ("positive", "nonnegative", "nonzero", "negative", "nonpositive", "integer", "real")
_RELATIONS = {
    ">": "positive",
    ">=": "nonnegative",
    "≥": "nonnegative",
    "!=": "nonzero",
    "≠": "nonzero",
    "<": "negative",
    "<=": "nonpositive",
    "≤": "nonpositive",
}
_MIRROR = {">": "<", ">=": "<=", "≥": "≤", "<": ">", "<=": ">=", "≤": "≥", "!=": "!=", "≠": "≠"}
_NAME = r"[A-Za-z_\u0370-\u03ff][A-Za-z0-9_\u0370-\u03ff]*"
_NAMES = rf"{_NAME}(?:\s*,\s*{_NAME})*"
_OP = r">=|<=|!=|≥|≤|≠|>|<"
_FORM_REL = re.compile(rf"^\s*(?P<names>{_NAMES})\s*(?P<op>{_OP})\s*0\s*$")
_FORM_REL_REV = re.compile(rf"^\s*0\s*(?P<op>{_OP})\s*(?P<names>{_NAMES})\s*$")
_FORM_WORDS = re.compile(
    rf"^\s*(?P<names>{_NAMES})\s+(?:is\s+(?:an?\s+)?)?(?P<words>[A-Za-z ]+?)\s*$"
)


def parse_assumptions(texts: Iterable[str]) -> dict[str, set[str]]:
    """``["s > 0", "n integer", "a, b >= 0", "k nonnegative integer"]`` → ``{name: {property}}``.

    Forms: ``NAMES OP 0`` or ``0 OP NAMES`` with OP one of ``> >= != < <=`` (``≥ ≠ ≤`` too), or ``NAMES
    [is] WORD...`` with words among :data:`PROPERTIES`. Raises :class:`DlstudyError` otherwise."""
    out: dict[str, set[str]] = {}
    for text in texts:
        if len(text) > 200:
            raise DlstudyError("--assume: too long (at most 200 characters)")
        props: list[str] = []
        m = _FORM_REL.match(text)
        if m:
            props = [_RELATIONS[m["op"]]]
        elif (m := _FORM_REL_REV.match(text)) is not None:
            props = [_RELATIONS[_MIRROR[m["op"]]]]
        elif (m := _FORM_WORDS.match(text)) is not None:
            words = m["words"].split()
            bad = [w for w in words if w.lower() not in PROPERTIES]
            if bad:
                pos = text.find(bad[0])
                raise DlstudyError(
                    f"--assume: unknown property {bad[0]!r}; use {', '.join(PROPERTIES)} "
                    "or a comparison with 0 such as 's > 0'",
                    caret(text, max(pos, 0)),
                )
            props = [w.lower() for w in words]
        else:
            raise DlstudyError(
                f"--assume: cannot read {text!r}; expected e.g. 's > 0', 'x >= 0', 'n integer', "
                "'a, b positive'"
            )
        for name in re.split(r"\s*,\s*", m["names"].strip()):
            if "__" in name:
                raise DlstudyError(f"--assume: names with '__' are not allowed: {name!r}")
            out.setdefault(name, set()).update(props)
    for name, props in out.items():
        symbol_with(name, props)  # contradictions (positive and negative) are bad input
    return out


def symbol_with(name: str, props: Iterable[str], integer: bool = False) -> sp.Symbol:
    """The real symbol ``name`` with the given properties (and ``integer`` if asked)."""
    flags: dict[str, bool] = {"real": True}
    for p in props:
        flags[p] = True
    if integer:
        flags["integer"] = True
    try:
        return sp.Symbol(name, **flags)
    except Exception as exc:  # sympy's InconsistentAssumptions
        raise DlstudyError(
            f"--assume: contradictory properties for {name!r}: {', '.join(sorted(props))}"
        ) from exc


def symbols_for(assume: Assumptions) -> dict[str, sp.Symbol]:
    return {name: symbol_with(name, props) for name, props in assume.items()}


# -- verdicts ----------------------------------------------------------------------------------
@dataclass
class Verdict:
    """The engine's answer. ``counterexample`` (when ``not-equivalent``) holds ``values`` (symbol →
    exact value), ``lhs``, ``rhs``, ``difference`` and ``exact``; ``steps`` the rewriting chain."""

    status: str
    how: str = ""
    counterexample: dict[str, Any] | None = None
    detail: str = ""  # the counterexample in words, or why undetermined
    steps: list[dict[str, str]] = field(default_factory=list)
    agreeing_points: int = 0
    lhs: str = ""
    rhs: str = ""
    lhs_evaluated: str = ""
    rhs_evaluated: str = ""
    cpu_seconds: float = 0.0
    error: str = ""
    unused_assumptions: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


# -- proving: rewritings that may take the difference to 0 ---------------------------------------
def _opaque_expand(e: Any) -> Any:
    """Expand with every function application (outermost first) replaced by an independent symbol.

    Sound for proving zero: a polynomial identity in independent symbols holds for any values."""
    apps = [a for a in e.atoms(sp.Function) if not isinstance(a, (sp.Max, sp.Min))]
    if not apps:
        return sp.expand(e)
    return sp.expand(e.xreplace({a: sp.Dummy("f") for a in apps}))


def _piecewise_zero(e: Any) -> Any:
    """Rewrite Max/Min/Abs/Heaviside/sign as Piecewise and check every branch on the set where it
    applies (univariate conditions solved exactly; a branch living on finitely many points is
    evaluated there). Returns 0 when every branch vanishes, else the piecewise form."""
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


def _combinatorial(e: Any) -> Any:
    if not e.has(sp.factorial, sp.binomial, sp.gamma, sp.RisingFactorial, sp.FallingFactorial):
        return e
    return sp.simplify(sp.gammasimp(sp.expand_func(e)))


def _peel_sums(e: Any) -> Any:
    """Bring sums of the same term to common bounds by peeling terms off (Karr's convention,
    Σ_{a}^{b} f = f(a) + Σ_{a+1}^{b} f for every integer a, b), then expand: Σ_{k+1}^{n} - Σ_{k+2}^{n}
    becomes the single term f(k + 1). Only shifts by a constant up to 20 are peeled."""
    sums = [s for s in e.atoms(sp.Sum) if len(s.limits) == 1]
    if len(sums) < 2:
        return e
    swap: dict[Any, Any] = {}
    for s in sums:
        (v, lo, hi), f = s.limits[0], s.function
        for ref in sums:
            (v2, lo2, hi2), f2 = ref.limits[0], ref.function
            if ref is s or f2.xreplace({v2: v}) != f:
                continue
            dlo, dhi = sp.simplify(lo2 - lo), sp.simplify(hi - hi2)
            if not (dlo.is_Integer and dhi.is_Integer and 0 <= dlo <= 20 and 0 <= dhi <= 20):
                continue
            if dlo == 0 and dhi == 0:
                continue
            head = sum((f.xreplace({v: lo + j}) for j in range(int(dlo))), sp.Integer(0))
            tail = sum((f.xreplace({v: hi2 + j}) for j in range(1, int(dhi) + 1)), sp.Integer(0))
            swap[s] = head + sp.Sum(f2.xreplace({v2: v}), (v, lo2, hi2)) + tail
            break
    return sp.expand(e.xreplace(swap)) if swap else e


CHEAP = 3  # rewritings tried before the first (quick) counterexample search


def strategies() -> list[tuple[str, Callable[[Any], Any]]]:
    """The rewritings, cheap to expensive, each named as the proof shows it."""
    return [
        ("exact", lambda e: e),
        ("expand with function applications as opaque atoms", _opaque_expand),
        ("cancel", lambda e: sp.cancel(sp.together(e))),
        ("expand", sp.expand),
        ("expand_log", lambda e: sp.expand(sp.expand_log(e))),
        ("expand_func + gammasimp (factorials, binomials)", _combinatorial),
        ("peel sums to common bounds", _peel_sums),
        ("simplify", sp.simplify),
        ("piecewise cases", _piecewise_zero),
        ("rewrite(exp) + simplify", lambda e: sp.simplify(sp.expand(e.rewrite(sp.exp)))),
    ]


def simplify_to_zero(d: Any) -> tuple[bool, str, Any, list[tuple[str, Any]]]:
    """Try the rewritings on ``d``: ``(is_zero, how, last form, trail)``."""
    trail: list[tuple[str, Any]] = []
    last = d
    for name, fn in strategies():
        try:
            r = fn(d)
        except (Exception, RecursionError):  # sympy raises many kinds: try the next rewriting
            continue
        trail.append((name, r))
        last = r
        if r == 0 or (getattr(r, "is_zero", None) is True and not r.free_symbols):
            return True, name, sp.Integer(0), trail
    return False, "no rewriting reached 0", last, trail


@dataclass
class EntryResult:
    status: str
    how: str
    residual: Any
    counterexample: numeric.Counterexample | None = None
    trail: list[tuple[str, Any]] = field(default_factory=list)
    agreeing_points: int = 0


def decide_entry(lhs: Any, rhs: Any, trials: int = 40) -> EntryResult:
    """Decide one scalar ``lhs == rhs`` in this process (no limit: call inside a limited child).

    The cheap rewritings run first, then a short search for a certain counterexample (so a wrong
    claim is not first put through ``simplify``), then the expensive rewritings, then the full
    search."""
    d = sp.sympify(lhs) - sp.sympify(rhs)
    trail: list[tuple[str, Any]] = []
    last: Any = d
    for k, (name, fn) in enumerate(strategies()):
        if k == CHEAP:
            found = numeric.search(lhs, rhs, trials=6)
            if found is not None:
                return EntryResult(NOT_EQUIVALENT, "counterexample", last, found, trail)
        try:
            r = fn(d)
        except (Exception, RecursionError):  # sympy raises many kinds: try the next rewriting
            continue
        trail.append((name, r))
        last = r
        if r == 0 or (getattr(r, "is_zero", None) is True and not r.free_symbols):
            return EntryResult(EQUIVALENT, name, sp.Integer(0), None, trail)
    found, agree = numeric.scan(lhs, rhs, trials)
    if found is not None:
        return EntryResult(NOT_EQUIVALENT, "counterexample", last, found, trail)
    return EntryResult(UNDETERMINED, "no rewriting reached 0", last, None, trail, agree)


def _evaluate(expr: Any) -> Any:
    """Carry out the derivatives, integrals, sums, products and limits written in the expression."""
    return expr.doit() if hasattr(expr, "doit") else expr


def _text(e: Any) -> str:
    """``sstr`` that survives numbers too long for Python's int-to-text limit."""
    try:
        return sp.sstr(e)
    except ValueError:
        return "(a number too long to print)"


def _pretty(e: Any) -> str:
    try:
        return sp.pretty(e, use_unicode=True)
    except ValueError:
        return "(a number too long to print)"


def decide(lhs: Any, rhs: Any, *, trials: int = 40) -> Verdict:
    """Decide ``lhs == rhs`` (sympy objects; lists/matrices entrywise) in this process.

    Meant for code already running inside a limited child; everyone else calls :func:`check_pair`."""
    L, Rv = _evaluate(lhs), _evaluate(rhs)
    out = Verdict(
        UNDETERMINED,
        lhs=_text(lhs),
        rhs=_text(rhs),
        lhs_evaluated=_text(L),
        rhs_evaluated=_text(Rv),
    )
    if isinstance(L, sp.MatrixBase) != isinstance(Rv, sp.MatrixBase) or (
        isinstance(L, sp.MatrixBase) and L.shape != Rv.shape
    ):
        out.status, out.how = NOT_EQUIVALENT, "shapes"
        out.detail = "the two sides have different shapes"
        return out
    entries = list(zip(L, Rv, strict=True)) if isinstance(L, sp.MatrixBase) else [(L, Rv)]
    status = EQUIVALENT
    for k, (a, b) in enumerate(entries):
        res = decide_entry(a, b, trials)
        label = f"entry {k}: " if len(entries) > 1 else ""
        d = sp.sympify(a) - sp.sympify(b)
        out.steps.append({"label": f"{label}left - right", "expr": _text(d), "pretty": _pretty(d)})
        shown = res.how
        if res.status != EQUIVALENT:
            shown = f"{res.trail[-1][0]} (not 0)" if res.trail else "the difference (not 0)"
        out.steps.append(
            {
                "label": f"{label}{shown}",
                "expr": _text(res.residual),
                "pretty": _pretty(res.residual),
            }
        )
        out.how = res.how
        if res.status == NOT_EQUIVALENT:
            assert res.counterexample is not None
            out.counterexample = res.counterexample.to_json()
            out.detail = (label + res.counterexample.describe()).strip()
            out.status = NOT_EQUIVALENT
            return out
        if res.status == UNDETERMINED:
            status = UNDETERMINED
            out.agreeing_points += res.agreeing_points
    out.status = status
    if status == UNDETERMINED:
        out.detail = "no rewriting reached 0 and no certain counterexample was found" + (
            f"; the sides agree at {out.agreeing_points} sample point(s) (evidence, not a proof)"
            if out.agreeing_points
            else ""
        )
    return out


# -- the limited entry points --------------------------------------------------------------------
def _parse_side(side: Any, symbols: dict[str, sp.Symbol]) -> Any:
    return parse_expression(side, symbols) if isinstance(side, str) else side


def unify_symbols(*exprs: Any) -> tuple[Any, ...]:
    """Give a name one symbol across separately parsed expressions: where a name is an integer in
    one (a Sum's bound) and merely real in another, the integer symbol is used everywhere."""
    by_name: dict[str, sp.Symbol] = {}
    for e in exprs:
        for s in getattr(e, "free_symbols", set()):
            best = by_name.get(s.name)
            if best is None or (s.is_integer and not best.is_integer):
                by_name[s.name] = s
    out = []
    for e in exprs:
        swap = {
            s: by_name[s.name] for s in getattr(e, "free_symbols", set()) if by_name[s.name] != s
        }
        out.append(e.xreplace(swap) if swap else e)
    return tuple(out)


def _names(*exprs: Any) -> set[str]:
    return {s.name for e in exprs for s in getattr(e, "free_symbols", set())}


def _with_unused(v: Verdict, assume: Assumptions, *exprs: Any) -> Verdict:
    used = _names(*exprs)
    v.unused_assumptions = sorted(n for n in assume if n not in used)
    return v


_WARM_UP = (
    "diff(sigmoid(x), x) == sigmoid(x)*(1 - sigmoid(x))",
    "relu(x) + relu(-x) == Abs(x)",
    "integrate(exp(-x), x, 0, oo) == 1",
    "limit(sin(x)/x, x, 0) == 1",
    "Sum(k, k, 1, n) == n**2/2",
    "tanh(x) == 2*sigmoid(2*x) - 1",
)
_warm = False
_checks = 0


def warm_up() -> None:
    """Decide a few fixed claims in this process, once: sympy imports modules and fills caches lazily,
    and a forked child would pay that (about 0.2 CPU s) on every check. The children inherit the warm
    state, so their budget goes to the claim itself. Only these fixed texts run outside a limit.
    Done from the second check of a process on (a single ``--claim`` would pay it for nothing)."""
    global _warm
    if not _warm:
        _warm = True
        for text in _WARM_UP:
            decide(*parse_claim(text))


def _run(job: Callable[[], Verdict], cpu_seconds: float) -> Verdict:
    global _checks
    cpu_seconds = sandbox.check_seconds(cpu_seconds)
    _checks += 1
    if _checks > 1:
        warm_up()
    outcome = sandbox.run_limited(job, cpu_seconds)
    if outcome.status == sandbox.OK:
        verdict: Verdict = outcome.value
        verdict.cpu_seconds = round(outcome.cpu_seconds, 3)
        return verdict
    why = outcome.error
    if outcome.status == sandbox.FAILED:
        why = f"sympy could not process the expressions ({why})"
    return Verdict(
        UNDETERMINED,
        how=outcome.status,
        detail=why,
        error=outcome.error,
        cpu_seconds=round(outcome.cpu_seconds or cpu_seconds, 3),
    )


def check_pair(
    lhs: Any, rhs: Any, *, assume: Assumptions | None = None, cpu_seconds: float = 10.0
) -> Verdict:
    """Decide ``lhs == rhs`` in a child limited to ``cpu_seconds`` CPU seconds.

    ``lhs``/``rhs``: text in the claim language (parsed inside the child; a parse error raises
    :class:`DlstudyError` here) or sympy objects. ``assume``: ``{name: {property}}`` as returned by
    :func:`parse_assumptions`. Returns a :class:`Verdict`; a CPU limit gives ``undetermined``."""
    assume = dict(assume or {})
    symbols_for(assume)  # contradictions are reported before any work

    def job() -> Verdict:
        syms = symbols_for(assume)
        a, b = unify_symbols(_parse_side(lhs, syms), _parse_side(rhs, syms))
        return _with_unused(decide(a, b), assume, a, b)

    return _run(job, cpu_seconds)


def check_claim(
    text: str, *, assume: Assumptions | None = None, cpu_seconds: float = 10.0
) -> Verdict:
    """:func:`check_pair` for one ``"L == R"`` text (parsed inside the limited child)."""
    assume = dict(assume or {})
    symbols_for(assume)

    def job() -> Verdict:
        lhs, rhs = parse_claim(text, symbols_for(assume))
        return _with_unused(decide(lhs, rhs), assume, lhs, rhs)

    return _run(job, cpu_seconds)
