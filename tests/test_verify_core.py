"""The checking machinery of the catalogue: proofs, counterexamples, sign facts, status rules.

Oracles: exact rational arithmetic with Python's fractions on independently built polynomials, and
hand-known facts; a counterexample point is re-evaluated outside sympy.
"""

from __future__ import annotations

from fractions import Fraction

import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from dlstudy.symbolic.core import (
    Assertion,
    Check,
    prove_equal,
    status_of,
)
from dlstudy.symbolic.numeric import search

x, y = sp.symbols("x y", real=True)
coef = st.lists(st.integers(-4, 4), min_size=1, max_size=4)


def poly_fraction(cs: list[int], v: Fraction) -> Fraction:
    return sum((Fraction(c) * v**k for k, c in enumerate(cs)), Fraction(0))


def poly_sym(cs: list[int]) -> sp.Expr:
    return sum((c * x**k for k, c in enumerate(cs)), sp.Integer(0))


@settings(max_examples=60, deadline=None)
@given(coef, coef)
def test_product_of_polynomials_is_proven(a, b):
    p, q = poly_sym(a), poly_sym(b)
    assert prove_equal(sp.expand(p * q), p * q).outcome == "proven"


@settings(max_examples=60, deadline=None)
@given(coef, coef)
def test_different_polynomials_refuted_at_a_real_point(a, b):
    n = max(len(a), len(b))
    a2, b2 = a + [0] * (n - len(a)), b + [0] * (n - len(b))
    res = prove_equal(poly_sym(a2), poly_sym(b2))
    if a2 == b2:
        assert res.outcome == "proven"
        return
    assert res.outcome == "refuted"
    found = search(poly_sym(a2), poly_sym(b2))
    assert found is not None and found.exact
    pt, value = found.point, found.difference
    px = pt.get(x, sp.Integer(0))  # constant residual: no coordinates needed
    v = Fraction(int(px.p), int(px.q))
    exact = poly_fraction(a2, v) - poly_fraction(b2, v)  # oracle: exact fractions
    assert exact != 0
    assert abs(float(value) - float(exact)) <= 1e-12 * max(1.0, abs(float(exact)))


def test_known_identities_and_non_identities():
    s = 1 / (1 + sp.exp(-x))
    assert prove_equal(sp.diff(s, x), s * (1 - s)).outcome == "proven"
    assert prove_equal(sp.diff(sp.tanh(x), x), 1 - sp.tanh(x)).outcome == "refuted"
    assert prove_equal(sp.Max(0, x) - sp.Max(0, -x), x).outcome == "proven"
    assert prove_equal(sp.Matrix([x, y]), sp.Matrix([x, y + 1])).outcome == "refuted"
    assert prove_equal(sp.Matrix([x]), sp.Matrix([x, y])).outcome == "refuted"  # shapes


def test_undefined_functions_are_refuted_through_concrete_instances():
    f, g = sp.Function("f"), sp.Function("g")
    lhs = sp.diff(f(g(x)), x)
    assert (
        prove_equal(lhs, sp.diff(g(x), x) * sp.Subs(sp.diff(f(y), y), y, g(x)).doit()).outcome
        == "proven"
    )
    assert prove_equal(lhs, sp.diff(g(x), x)).outcome == "refuted"


def test_no_counterexample_for_a_true_identity_and_complex_points_skipped():
    assert search(sp.sin(x) ** 2 + sp.cos(x) ** 2, 1) is None
    # log of a negative number is complex there: such points are not counterexamples
    assert search(sp.log(x * y), sp.log(x) + sp.log(y)) is None


def test_sign_facts_and_limits_flip_under_control():
    p = sp.Symbol("p", positive=True)
    c = Check()
    c.fact("1/p² > 0", 1 / p**2, "positive", control=-1 / p**2)
    c.limit("sigmoid → 1", 1 / (1 + sp.exp(-x)), x, sp.oo, 1, control=0)
    c.holds("2 > 1", True, control=False, how="exact")
    assert [a.outcome for a in c.assertions] == ["proven"] * 3
    k = Check(control=True)
    k.fact("1/p² > 0", 1 / p**2, "positive", control=-1 / p**2)
    k.limit("sigmoid → 1", 1 / (1 + sp.exp(-x)), x, sp.oo, 1, control=0)
    k.holds("2 > 1", True, control=False, how="exact")
    assert [a.outcome for a in k.assertions] == ["refuted"] * 3


def test_status_rules():
    A = lambda *o: [Assertion("a", v) for v in o]  # noqa: E731
    assert status_of(A("proven", "proven"), want_refuted=False) == "proven"
    assert status_of(A("proven", "evidence"), want_refuted=False) == "evidence"
    assert status_of(A("proven", "refuted"), want_refuted=False) == "refuted"
    assert status_of(A("proven", "undetermined"), want_refuted=False) == "undetermined"
    # a notes statement counts as refuted only if every part of it is refuted
    assert status_of(A("refuted", "refuted"), want_refuted=True) == "refuted"
    assert status_of(A("refuted", "proven"), want_refuted=True) == "proven"
    assert status_of([], want_refuted=False) == "error"
    assert status_of(A("error", "proven"), want_refuted=False) == "error"


def test_sampling_is_labelled_evidence_never_proven():
    """A check by sampling reports ``evidence`` when the sides agree (even for a true identity),
    and its control (a perturbed right-hand side) is refuted at a sampled point."""
    c = Check()
    assert c.evidence("sin² + cos²", sp.sin(x) ** 2 + sp.cos(x) ** 2, 1, control=2) == "evidence"
    assert status_of(c.assertions, want_refuted=False) == "evidence"
    ctl = Check(control=True)
    assert ctl.evidence("sin² + cos²", sp.sin(x) ** 2 + sp.cos(x) ** 2, 1, control=2) == "refuted"
