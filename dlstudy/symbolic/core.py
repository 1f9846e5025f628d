"""The claim model of the derivation catalogue and the checks a claim may use.

A claim is one short function that receives a :class:`Check` and records derivation steps (sympy
expressions), *premises* and *assertions*.

* Every assertion takes a ``control=``: a perturbed conclusion (flipped sign, missing factor, swapped
  argument). A control run checks the perturbation with the very same code and must reach the opposite
  outcome, so a check that cannot fail (or cannot succeed) is caught by the test suite.
* Every hypothesis the proof uses is declared with :meth:`Check.premise` (``P`` stochastic, ``V`` the
  critic's value, a policy summing to 1, the covariance ``Σ``), which returns the object satisfying it,
  or, in a *premise control* run, an object that breaks it. The proof must then fail (be refuted): a
  proof that survives a broken premise never used it (a tautology), and the tests catch that.

Scope of an entry (what its proof shows, never more):

* ``general``: a symbolic proof for all values in the stated domain;
* ``instance``: an exact proof of a stated special case (``case``: "T = 3", "binary latent");
* ``evidence``: numeric agreement only.

Outcomes of an assertion:

* ``proven``: symbolic simplification to zero, exact expansion of a small symbolic instance, an exact
  finite enumeration, a sympy assumption query, or a sympy ``limit``;
* ``refuted``: a certain counterexample (exact point, difference exact or guaranteed to 30 digits, see
  :mod:`dlstudy.symbolic.numeric`), a non-zero exact residual, or an exact finite computation that
  contradicts the statement;
* ``evidence``: agreement at sampled points only (never called a proof);
* ``undetermined``: neither within the means of the check.

Entries ``<id>.notes`` hold the notes' line (``quote``, verbatim) as written: ``refuted`` (their
control is the corrected statement, which the same check must prove), or ``unclear`` when the line is
garbled: then ``reading`` says how it is read and nothing is refuted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import sympy as sp

from dlstudy.symbolic import numeric
from dlstudy.symbolic.equivalence import EQUIVALENT, decide_entry, strategies

PROVEN = "proven"
REFUTED = "refuted"
EVIDENCE = "evidence"
UNDETERMINED = "undetermined"
UNCLEAR = "unclear"
TIMEOUT = "timeout"
ERROR = "error"

GENERAL = "general"
INSTANCE = "instance"
SCOPES = (GENERAL, INSTANCE, EVIDENCE)


@dataclass(frozen=True)
class Claim:
    """One entry of the catalogue."""

    id: str
    section: str
    statement: str  # what the entry states (the notes' claim, or the corrected one)
    corrected: str  # the corrected statement ("" when the notes are right)
    kind: str  # how it is checked
    verdict: str  # C / G / I as in claims.md
    expected: str  # proven / refuted / evidence / unclear
    fn: Callable[[Check], None] | None
    pair: str = ""  # the other entry of an erratum pair
    scope: str = GENERAL  # general / instance / evidence ("none" for unclear lines)
    case: str = ""  # the special case an instance proves
    quote: str = ""  # the notes' line, verbatim (errata and unclear entries)
    reading: str = ""  # how a garbled line is read (unclear entries)

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
    scope: str,
    case: str = "",
    verdict: str = "C",
    corrected: str = "",
    expected: str = PROVEN,
) -> Callable[[Callable[[Check], None]], Callable[[Check], None]]:
    """Register a claim (the corrected statement when the notes are wrong).

    ``scope`` is ``general``, ``instance`` (then ``case`` names the special case) or ``evidence``."""
    from dlstudy.sections import check_section

    check_section(section)
    if scope not in SCOPES or (scope == INSTANCE) != bool(case):
        raise ValueError(f"{id}: scope {scope!r} (an instance states its case, nothing else does)")

    def register(fn: Callable[[Check], None]) -> Callable[[Check], None]:
        if id in CATALOGUE:
            raise ValueError(f"duplicate claim id {id!r}")
        pair = f"{id}.notes" if verdict not in ("C", "") and corrected else ""
        CATALOGUE[id] = Claim(
            id, section, statement, corrected, kind, verdict, expected, fn, pair, scope, case
        )
        return fn

    return register


def notes_version(
    base: str, *, kind: str, quote: str, scope: str = INSTANCE, case: str = ""
) -> Callable[[Callable[[Check], None]], Callable[[Check], None]]:
    """Register ``<base>.notes``: the notes' line ``quote`` as written, expected refuted.

    A refutation is a counterexample (``scope`` instance, ``case`` says which) or a residual that is
    non-zero for all generic values (``scope`` general)."""

    def register(fn: Callable[[Check], None]) -> Callable[[Check], None]:
        c = CATALOGUE[base]
        nid = f"{base}.notes"
        CATALOGUE[nid] = Claim(
            nid,
            c.section,
            c.statement,
            c.corrected,
            kind,
            c.verdict,
            REFUTED,
            fn,
            base,
            scope,
            case or kind,
            quote,
        )
        return fn

    return register


def unclear_notes(base: str, *, quote: str, reading: str) -> None:
    """Register ``<base>.notes`` for a garbled line: status ``unclear``, the reading stated, nothing
    refuted (the reading itself is what ``base`` checks)."""
    c = CATALOGUE[base]
    nid = f"{base}.notes"
    if nid in CATALOGUE:
        raise ValueError(f"duplicate claim id {nid!r}")
    CATALOGUE[nid] = Claim(
        nid,
        c.section,
        c.statement,
        c.corrected,
        "none: the line is garbled; its reading is stated, not refuted",
        c.verdict,
        UNCLEAR,
        None,
        base,
        "none",
        "",
        quote,
        reading,
    )
    if not c.pair:  # the corrected entry points back at its notes line
        CATALOGUE[base] = replace(c, pair=nid)


@dataclass
class Assertion:
    label: str
    outcome: str
    detail: str = ""


@dataclass
class Check:
    """What a claim function writes into: steps shown to the student and assertions checked."""

    control: bool = False  # check the perturbed conclusions instead
    broken: int | None = None  # index of the premise to break (a premise control)
    steps: list[tuple[str, Any]] = field(default_factory=list)
    assertions: list[Assertion] = field(default_factory=list)
    premises: list[str] = field(default_factory=list)

    # -- steps ---------------------------------------------------------------------------------
    def step(self, label: str, expr: Any) -> Any:
        """Record an expression sympy produced; returns it for chaining."""
        self.steps.append((label, expr))
        return expr

    def premise(self, label: str, holds: Any, broken: Any) -> Any:
        """A hypothesis of the proof: returns ``holds`` (the object satisfying it), or ``broken`` in
        the control run that breaks this premise (the proof must then be refuted)."""
        index = len(self.premises)
        self.premises.append(label)
        if self.broken == index:
            return self.step(f"premise BROKEN: {label}", broken)
        return holds

    def _record(self, label: str, outcome: str, detail: str) -> str:
        tag = " [control]" if self.control else ""
        if self.broken is not None:
            tag = f" [premise {self.broken + 1} broken]"
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
            point = _sign_counterexample(expr, prop)
            if point is not None:
                return self._record(label, REFUTED, point)
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


# -- sums over n outcomes ------------------------------------------------------------------------
def _split_sum(a: sp.Sum) -> sp.Expr:
    """Σ (c·f + g) → c·Σ f + Σ g, constants (free of the index) pulled out of each sum."""
    (var, lo, hi) = a.limits[0]
    out = sp.Integer(0)
    for term in sp.Add.make_args(sp.expand(a.function)):
        coeff, rest = term.as_independent(var, as_Add=False)
        out += coeff * sp.Sum(rest, (var, lo, hi))
    return out


def with_totals(expr: Any, totals: dict[Any, Any]) -> Any:
    """Split every sum into sums of single terms, then use the stated totals (a premise such as
    Σ p = 1, given as ``{Sum(p[i], ...): 1}``)."""
    e = sp.expand(sp.simplify(expr))
    e = e.replace(lambda a: isinstance(a, sp.Sum), _split_sum)
    return sp.simplify(sp.expand(e).subs(totals))


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


def prove_equal(lhs: Any, rhs: Any) -> EqualityResult:
    """Decide ``lhs == rhs`` with the equivalence engine: proven by rewriting to 0, refuted only by a
    certain counterexample (see :mod:`dlstudy.symbolic.numeric`), else undetermined."""
    try:
        d = _residual_expr(lhs, rhs)
    except ValueError as exc:  # shape mismatch: certainly different
        return EqualityResult(REFUTED, "shapes", sp.nan, str(exc))
    if isinstance(d, sp.MatrixBase):
        L, R = _as_matrix(lhs), _as_matrix(rhs)
        hows: list[str] = []
        for idx in range(len(d)):
            r = idx // d.cols, idx % d.cols
            res = decide_entry(L[idx], R[idx])
            if res.status != EQUIVALENT:
                if res.counterexample is not None:
                    detail = f"entry {r}: {res.counterexample.describe()}"
                    return EqualityResult(REFUTED, res.how, res.residual, detail)
                detail = f"entry {r} residual {sp.sstr(res.residual)}"
                return EqualityResult(UNDETERMINED, res.how, res.residual, detail)
            hows.append(res.how)
        names = [n for n, _ in strategies()]
        how = max(set(hows), key=names.index) if hows else "exact"
        return EqualityResult(PROVEN, f"entrywise {how}", sp.zeros(*d.shape))
    res = decide_entry(lhs, rhs)
    if res.status == EQUIVALENT:
        return EqualityResult(PROVEN, res.how, sp.Integer(0), "", res.trail)
    if res.counterexample is not None:
        return EqualityResult(
            REFUTED, res.how, res.residual, res.counterexample.describe(), res.trail
        )
    return EqualityResult(
        UNDETERMINED, res.how, res.residual, f"residual {sp.sstr(res.residual)}", res.trail
    )


def find_counterexample(d: Any, trials: int = 40) -> str | None:
    """A certain counterexample to ``d == 0`` described in words, or ``None``."""
    found = numeric.search(d, 0, trials)
    return found.describe() if found is not None else None


def _sign_query(expr: sp.Expr, prop: str) -> bool | None:
    attr = f"is_{prop}"
    value = getattr(expr, attr)
    if value is None:
        simpler = sp.simplify(expr)
        value = getattr(simpler, attr)
        if value is None and simpler.is_number:
            v = numeric.certain_value(simpler)
            if v is not None and v != 0 and sp.im(v) == 0:
                value = getattr(v, attr)
    return value


_SIGN_TESTS: dict[str, Callable[[Any], bool]] = {
    "positive": lambda v: v > 0,
    "nonnegative": lambda v: v >= 0,
    "negative": lambda v: v < 0,
    "nonpositive": lambda v: v <= 0,
    "zero": lambda v: v == 0,
    "nonzero": lambda v: v != 0,
}


def _sign_counterexample(expr: sp.Expr, prop: str, trials: int = 40) -> str | None:
    """A point where ``expr`` is certainly real and certainly violates ``prop`` (see
    :mod:`dlstudy.symbolic.numeric`), described in words, or ``None``."""
    found = numeric.sign_counterexample(expr, _SIGN_TESTS[prop], trials)
    if found is None:
        return None
    pt, v = found
    where = ", ".join(f"{k}={numeric.fmt(x)}" for k, x in pt.items()) or "constant"
    return f"counterexample at {where}: value {numeric.fmt(v)} is not {prop}"
