"""The equivalence engine (dlstudy.symbolic.equivalence) behind `verify --claim` and `derive`.

Oracles: exact rational arithmetic (fractions), mpmath at 200 digits computed here, and facts known
by hand (cosh² - sinh² = 1). What is asserted: a counterexample is reported only when it is certain
(its values re-checked here independently), limits are CPU time (a hostile claim ends undetermined,
whatever the load), assumptions and integer Sum bounds change what is provable.
"""

from __future__ import annotations

import resource
from fractions import Fraction

import mpmath
import pytest
import sympy as sp

from dlstudy.errors import DlstudyError
from dlstudy.symbolic import numeric, sandbox
from dlstudy.symbolic.equivalence import (
    EQUIVALENT,
    NOT_EQUIVALENT,
    UNDETERMINED,
    check_claim,
    check_pair,
    decide,
    parse_assumptions,
)

x = sp.Symbol("x", real=True)


# -- no false counterexample --------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "cosh(100*x)**2 - sinh(100*x)**2 == 1",
        "cosh(50*x)**2 - sinh(50*x)**2 == 1",
        "exp(300)*(sin(x)**2 + cos(x)**2) == exp(300)",
    ],
)
def test_the_issues_true_identities_are_not_refuted(text):
    v = check_claim(text, cpu_seconds=20)
    assert v.status == EQUIVALENT, v.detail


def test_cancellation_far_below_the_magnitudes_is_not_a_counterexample():
    # at x = -3 both squares are about e^600; a 50-digit subtraction used to report -2.8e+101
    d = sp.cosh(-300) ** 2 - sp.sinh(-300) ** 2 - 1
    assert numeric.confirmed_difference(d, 0) is None
    assert numeric.search(sp.cosh(100 * x) ** 2 - sp.sinh(100 * x) ** 2, 1) is None


def test_a_tiny_but_certain_difference_is_confirmed_against_mpmath():
    lhs = sp.exp(300) * (sp.sin(x) ** 2 + sp.cos(x) ** 2)
    found = numeric.search(lhs, sp.exp(300) + 1)
    assert found is not None and set(found.point) == {x}
    v = found.point[x]
    mpmath.mp.dps = 200
    t = mpmath.mpf(int(v.p)) / int(v.q)
    want = mpmath.exp(300) * (mpmath.sin(t) ** 2 + mpmath.cos(t) ** 2) - mpmath.exp(300) - 1
    assert abs(float(found.difference) - float(want)) < 1e-20


def test_exact_counterexample_values_match_fractions():
    v = check_claim("(x + 1)**2 == x**2 + 1")
    assert v.status == NOT_EQUIVALENT
    ce = v.counterexample
    assert ce["exact"] is True
    t = Fraction(ce["values"]["x"])
    assert Fraction(ce["lhs"]) == (t + 1) ** 2 and Fraction(ce["rhs"]) == t**2 + 1
    assert Fraction(ce["difference"]) == 2 * t


def test_complex_points_are_outside_the_real_domain():
    # true for x, y > 0; at negative points one side is complex: no counterexample there
    v = check_claim("log(x*y) == log(x) + log(y)")
    assert v.status == UNDETERMINED
    assert v.agreeing_points > 0 and "evidence" in v.detail


# -- assumptions and integers --------------------------------------------------------------------
def test_assumptions_make_identities_provable():
    assert check_claim("log(x**2) == 2*log(x)").status == UNDETERMINED
    pos = parse_assumptions(["x > 0"])
    assert check_claim("log(x**2) == 2*log(x)", assume=pos).status == EQUIVALENT
    assert check_claim("sqrt(s**2) == s", assume=parse_assumptions(["s >= 0"])).status == EQUIVALENT
    v = check_claim("sqrt(s**2) == s", assume=parse_assumptions(["s < 0"]))
    assert v.status == NOT_EQUIVALENT
    assert Fraction(v.counterexample["values"]["s"]) < 0  # the point respects the assumption


def test_gaussian_nll_with_sigma_positive():
    text = (
        "-log(exp(-(y - f)**2/(2*s**2))/(s*sqrt(2*pi))) == (y - f)**2/(2*s**2) + log(s) "
        "+ log(2*pi)/2"
    )
    assert check_claim(text, assume=parse_assumptions(["s > 0"])).status == EQUIVALENT


def test_sum_bounds_are_integers():
    v = check_claim("Sum(1/(k*(k + 1)), k, 1, n) == 1 - 1/(n + 1)")
    assert v.status == EQUIVALENT
    v = check_claim("Sum(k, k, 1, n) == n**2/2")
    assert v.status == NOT_EQUIVALENT
    n = int(v.counterexample["values"]["n"])  # an integer point, never n = 1/3
    assert Fraction(v.counterexample["lhs"]) == sum(range(1, n + 1))


def test_products_binomials_factorials():
    assert check_claim("Product(k, k, 1, n) == factorial(n)").status == EQUIVALENT
    assert check_claim("binomial(n, 2) == n*(n - 1)/2").status == EQUIVALENT
    assert check_claim("factorial(n + 1) == (n + 1)*factorial(n)").status == EQUIVALENT
    v = check_claim("binomial(n, 2) == n**2/2", assume=parse_assumptions(["n integer"]))
    assert v.status == NOT_EQUIVALENT
    n = int(v.counterexample["values"]["n"])
    assert Fraction(v.counterexample["lhs"]) == Fraction(n * (n - 1), 2)


@pytest.mark.parametrize(
    ("texts", "want"),
    [
        (["s > 0"], {"s": {"positive"}}),
        (["0 < s"], {"s": {"positive"}}),
        (["x >= 0", "y ≥ 0"], {"x": {"nonnegative"}, "y": {"nonnegative"}}),
        (["a, b != 0"], {"a": {"nonzero"}, "b": {"nonzero"}}),
        (["n integer", "n >= 0"], {"n": {"integer", "nonnegative"}}),
        (["k is a positive integer"], {"k": {"positive", "integer"}}),
        (["t real"], {"t": {"real"}}),
        (["σ > 0"], {"σ": {"positive"}}),
    ],
)
def test_assumption_forms(texts, want):
    assert parse_assumptions(texts) == want


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("s > 1", "cannot read"),
        ("s", "cannot read"),
        ("s wobbly", "unknown property 'wobbly'"),
        ("__class__ > 0", "'__'"),
        ("s" * 300 + " > 0", "too long"),
    ],
)
def test_bad_assumptions_are_exit_2(text, message):
    with pytest.raises(DlstudyError) as info:
        parse_assumptions([text])
    assert message in str(info.value)


def test_contradictory_assumptions_are_refused():
    with pytest.raises(DlstudyError, match="contradictory"):
        parse_assumptions(["s > 0", "s < 0"])


# -- the public API -------------------------------------------------------------------------------
def test_check_pair_with_text_and_with_sympy_objects():
    v = check_pair("diff(sigmoid(z), z)", "sigmoid(z)*(1 - sigmoid(z))")
    assert v.status == EQUIVALENT and v.steps
    v = check_pair("Sum(k, k, 1, n)", "n*(n + 1)/2")  # n: integer on both sides
    assert v.status == EQUIVALENT
    z = sp.Symbol("z", real=True)
    v = check_pair(sp.diff(sp.tanh(z), z), 1 - sp.tanh(z))
    assert v.status == NOT_EQUIVALENT and set(v.counterexample) >= {"values", "lhs", "rhs"}
    assert v.to_json()["status"] == NOT_EQUIVALENT


def test_parse_errors_in_the_child_are_reported_as_input_errors():
    with pytest.raises(DlstudyError) as info:
        check_pair("x +", "x")
    assert "^" in info.value.detail
    with pytest.raises(DlstudyError, match="LHS == RHS"):
        check_claim("x + 1")


def test_decide_runs_in_process_for_callers_already_limited():
    assert decide(sp.sin(x) ** 2, 1 - sp.cos(x) ** 2).status == EQUIVALENT
    assert decide(sp.Matrix([x, 1]), sp.Matrix([x, 2])).status == NOT_EQUIVALENT
    assert decide(sp.Matrix([x]), sp.Matrix([x, 1])).how == "shapes"


def test_unused_assumptions_are_named():
    v = check_claim("x == x", assume=parse_assumptions(["y > 0"]))
    assert v.unused_assumptions == ["y"]


# -- limits count CPU seconds ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "Abs(sin(exp(exp(20)))) == 0",
        "x**sin(exp(exp(20))) == 1",
        "relu(sin(exp(exp(20)))) == 0",
        "sign(cos(exp(exp(20)))) == 1",
        "x**exp(exp(exp(exp(10)))) == 1",
    ],
)
def test_hostile_numbers_end_within_the_cpu_limit(text):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    v = check_claim(text, cpu_seconds=1)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert v.status in (UNDETERMINED, EQUIVALENT, NOT_EQUIVALENT)
    spent = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    assert spent < 5  # CPU seconds of the child: the 1 s budget plus the kernel's grace


def test_cpu_limit_reported_as_undetermined():
    def spin() -> int:
        n = 0
        while True:
            n += 1

    out = sandbox.run_limited(spin, 0.2)
    assert out.status == sandbox.CPU_LIMIT


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), 1e308, 1e9, -1, 0, 600.5])
def test_seconds_are_validated(bad):
    with pytest.raises(DlstudyError, match="at most 600"):
        sandbox.check_seconds(bad)
    assert sandbox.check_seconds(600) == 600
