"""The safe claim parser: what it builds (compared with sympy objects built directly) and what it
refuses (hostile text raises only DlstudyError, quickly)."""

from __future__ import annotations

import time

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from dlstudy.errors import DlstudyError
from dlstudy.symbolic.parser import parse_claim, parse_expression

x, y, a, b, k, n = sp.symbols("x y a b k n", real=True)
ki, ni = sp.symbols("k n", integer=True)  # a Sum's index and bounds are integers


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("1 + 2*3", sp.Integer(7)),
        ("2^3^2", sp.Integer(512)),  # right-associative
        ("-x**2", -(x**2)),
        ("(x + y)/2", (x + y) / 2),
        ("0.1", sp.Rational(1, 10)),  # decimals are exact
        ("1e3", sp.Integer(1000)),
        ("sigmoid(x)", 1 / (1 + sp.exp(-x))),
        ("relu(x)", sp.Max(0, x)),
        ("ln(x) - log(x, 2)", sp.log(x) - sp.log(x, 2)),
        ("e^x + pi", sp.exp(x) + sp.pi),
        ("diff(tanh(x), x)", sp.Derivative(sp.tanh(x), x)),
        ("diff(x^3, x, 2)", sp.Derivative(x**3, (x, 2))),
        ("integrate(exp(-x), x, 0, oo)", sp.Integral(sp.exp(-x), (x, 0, sp.oo))),
        ("Sum(k, k, 1, n)", sp.Sum(ki, (ki, 1, ni))),
        ("Product(k, k, 1, n) + n", sp.Product(ki, (ki, 1, ni)) + ni),
        ("binomial(n, 2) + factorial(x)", sp.binomial(n, 2) + sp.factorial(x)),
        ("limit(sin(x)/x, x, 0)", sp.Limit(sp.sin(x) / x, x, 0)),
        ("Abs(x) + Max(a, b) - Min(a, b)", sp.Abs(x) + sp.Max(a, b) - sp.Min(a, b)),
        ("σ(x) + η", 1 / (1 + sp.exp(-x)) + sp.Symbol("η", real=True)),
    ],
)
def test_parses_to_the_sympy_expression(text, want):
    got = parse_expression(text)
    assert got == want
    assert all(s.is_real for s in got.free_symbols)


def test_softmax_of_a_list_and_claims():
    got = parse_expression("softmax([a, b])")
    Z = sp.exp(a) + sp.exp(b)
    assert got == sp.Matrix([sp.exp(a) / Z, sp.exp(b) / Z])
    lhs, rhs = parse_claim("diff(tanh(x), x) == 1 - tanh(x)")
    assert lhs == sp.Derivative(sp.tanh(x), x) and rhs == 1 - sp.tanh(x)
    assert parse_claim("x = x") == (x, x)


def test_custom_symbols_are_used():
    p = sp.Symbol("p", positive=True)
    assert parse_expression("log(p)", symbols={"p": p}).args[0] is p


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("__import__('os')", "'__'"),
        ("x.__class__", "attribute"),
        ("x.real", "attribute"),
        ("os.system('ls')", "attribute"),
        ("eval(x)", "unknown function 'eval'"),
        ("lambda: 1", "unexpected character ':'"),
        ("9**9**9**9", "exponent too large"),
        ("2**(10**5)", "exponent too large"),
        ("x**1001", "exponent too large"),
        ("1e999", "too large"),
        ("9" * 100, "too large"),
        ("(" * 200 + "x" + ")" * 200, "nested too deeply"),
        ("-" * 500 + "x", "nested too deeply"),
        ("x +", "expected a number"),
        ("sin(x", "expected ')'"),
        ("1/0", "division by zero"),
        ("tanh", "is a function"),
        ("diff(x, 2)", "variable must be a name"),
        ("diff(x, x, 99)", "order"),
        ("factorial(1001)", "limited to 1000"),
        ("binomial(5000, 2)", "limited to 1000"),
        ("factorial(200)", "number too large"),
        ("sigmoid(x, y)", "takes 1 argument"),
        ("[x, [y]]", "nested lists"),
        ("softmax(x)", "softmax expects a list"),
        ("x" * 3000, "too long"),
        ("x == 1", "found an equation"),
        ("", "empty"),
    ],
)
def test_rejects_hostile_or_invalid_text(text, message):
    with pytest.raises(DlstudyError) as info:
        parse_expression(text)
    assert message in str(info.value) + info.value.detail


def test_claim_errors_say_what_was_expected():
    with pytest.raises(DlstudyError, match="expected an identity 'LHS == RHS'"):
        parse_claim("x + 1")
    with pytest.raises(DlstudyError, match="one '=='"):
        parse_claim("x == y == 1")
    with pytest.raises(DlstudyError, match="list"):
        parse_claim("[x, y] == x")
    with pytest.raises(DlstudyError) as info:
        parse_claim("x + $ == 1")
    assert "^" in info.value.detail  # caret under the offending column


ALPHABET = st.sampled_from(
    [*list("xy19e.+-*/^()[],=_ "), "**", "==", "exp", "log", "diff", "Sum", "__", "9**9"]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(ALPHABET, max_size=40).map("".join))
def test_arbitrary_token_soup_only_raises_dlstudy_error_quickly(text):
    t0 = time.process_time()  # CPU time: load on a shared machine does not count
    try:
        parse_claim(text)
    except DlstudyError:
        pass
    assert time.process_time() - t0 < 2.0


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=80))
def test_arbitrary_text_only_raises_dlstudy_error_quickly(text):
    t0 = time.process_time()
    try:
        parse_expression(text)
    except DlstudyError:
        pass
    assert time.process_time() - t0 < 2.0
