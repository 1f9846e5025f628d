"""Universal approximation: steps, bumps and staircases against closed forms, torch.sigmoid and a
piece-lookup loop."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dlstudy.errors import DlstudyError
from dlstudy.grading import grade
from dlstudy.reference import registry
from dlstudy.reference.uat import uat_bump, uat_staircase, uat_step, uat_step_weights

nonzero = st.floats(-20, 20).filter(lambda v: abs(v) > 0.1)
reals = st.floats(-10, 10)


def tsig(v) -> np.ndarray:
    return torch.sigmoid(torch.tensor(np.asarray(v, dtype=np.float64))).numpy()


@settings(max_examples=100, deadline=None)
@given(nonzero, reals)
def test_step_location_and_values(w, b):
    sol = uat_step(w, b, [-1.0, 0.0, 2.5])
    s = sol.result["s"]
    assert w * s + b == pytest.approx(0.0, abs=1e-9)  # σ(ws + b) = σ(0) = 1/2
    np.testing.assert_allclose(
        sol.result["values"], tsig(w * np.array([-1.0, 0.0, 2.5]) + b), rtol=1e-12
    )
    default = uat_step(w, b).result["values"]
    assert default[1] == pytest.approx(0.5)
    # the weights of a step at s give back s
    wb = uat_step_weights(s, w).result
    assert wb["b"] == pytest.approx(b, abs=1e-9)


def test_step_worked_example_and_mistake():
    # w = 2, b = -4: s = 2; σ(2·3 - 4) = σ(2)
    sol = registry.call("uat-step", {"w": 2, "b": -4, "x": [3]})
    assert sol.result["s"] == 2.0
    assert sol.result["values"][0] == pytest.approx(1 / (1 + math.exp(-2)))
    wrong = {"s": -2.0, "values": [1 / (1 + math.exp(-10))]}  # s = b/w, σ(2·3 + 4)
    assert grade(sol, wrong).mistake.name == "s-sign"
    assert grade(uat_step_weights(3, 10), {"w": 10, "b": 30}).mistake.name == "s-sign"


def test_steep_sigmoid_tends_to_the_step():
    x = np.array([0.9, 0.99, 1.01, 1.1])
    vals = uat_step(1e4, -1e4, x).result["values"]
    np.testing.assert_allclose(vals, [0, 0, 1, 1], atol=1e-30)


@settings(max_examples=100, deadline=None)
@given(reals, st.floats(0.1, 5), st.floats(-3, 3), st.floats(0.5, 50))
def test_bump_matches_torch_and_centre_closed_form(a, width, h, w):
    b = a + width
    xs = np.linspace(a - 2, b + 2, 9)
    sol = uat_bump(a, b, h, w, xs)
    expected = h * (tsig(w * (xs - a)) - tsig(w * (xs - b)))
    np.testing.assert_allclose(sol.result["value"], expected, rtol=1e-9, atol=1e-12)
    # σ(u) - σ(-u) = tanh(u/2) with u = w(b - a)/2
    centre = uat_bump(a, b, h, w, (a + b) / 2).result["value"]
    assert centre == pytest.approx(h * math.tanh(w * width / 4), rel=1e-9, abs=1e-12)
    assert sol.result["hidden_b"] == pytest.approx([-w * a, -w * b])


def test_bump_is_a_box_for_steep_sigmoids():
    sol = uat_bump(1, 2, 3, 1e3, [0.5, 1.5, 2.5])
    np.testing.assert_allclose(sol.result["value"], [0, 3, 0], atol=1e-12)
    wrong = dict(sol.result, value=[0, -3, 0], v=[-3, 3])
    assert grade(sol, wrong).mistake.name == "v-swapped"


def lookup_staircase(x: float, lo: float, hi: float, n: int, f) -> float:
    """Naive oracle: the value of the last piece whose left edge is ≤ x."""
    delta = (hi - lo) / n
    value = f(lo)
    for k in range(1, n):
        if x >= lo + k * delta:
            value = f(lo + k * delta)
    return value


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(-5, 5), min_size=2, max_size=8), st.integers(1, 7), st.integers(0, 10**6)
)
def test_staircase_matches_piece_lookup(samples, n, seed):
    lo, hi = -1.0, 2.0
    sol = uat_staircase([float(v) for v in samples], lo, hi, n, grid=301)
    nodes = np.linspace(lo, hi, len(samples))

    def f(x):
        return float(np.interp(x, nodes, samples))

    xs = np.linspace(lo, hi, 301)
    err = max(abs(f(x) - lookup_staircase(x, lo, hi, n, f)) for x in xs)
    assert sol.result["max_error"] == pytest.approx(err, abs=1e-12)
    assert sol.result["c0"] == pytest.approx(samples[0])
    assert len(sol.result["s"]) == len(sol.result["v"]) == n - 1


@pytest.mark.parametrize("n", [1, 2, 4, 10])
def test_staircase_closed_form_errors(n):
    # f = x on [0, 1]: worst at x = 1, error Δ = 1/n; f = x²: (2n - 1)/n²
    assert uat_staircase("x", 0, 1, n).result["max_error"] == pytest.approx(1 / n)
    assert uat_staircase("square", 0, 1, n).result["max_error"] == pytest.approx((2 * n - 1) / n**2)


def test_staircase_from_samples_worked_example():
    # samples 0, 1, 4, 9 at x = 0..3 joined linearly; 3 steps: c = 0, 1, 4; v = 1, 3; worst at x = 3: 9 - 4
    sol = registry.call("uat-staircase", {"f": [0, 1, 4, 9], "lo": 0, "hi": 3, "n": 3})
    assert sol.result["c0"] == 0
    np.testing.assert_allclose(sol.result["v"], [1, 3])
    np.testing.assert_allclose(sol.result["s"], [1, 2])
    assert sol.result["max_error"] == pytest.approx(5.0)
    wrong = next(m for m in sol.mistakes if m.name == "heights-not-differences").value
    np.testing.assert_allclose(wrong["v"], [1, 4])


def test_staircase_with_sigmoids_matches_torch():
    w, n = 40.0, 5
    sol = uat_staircase("sin", 0, math.pi, n, w=w, grid=501)
    xs = np.linspace(0, math.pi, 501)
    delta = math.pi / n
    c = np.sin(np.arange(n) * delta)
    g = c[0] + sum((c[k] - c[k - 1]) * tsig(w * (xs - k * delta)) for k in range(1, n))
    assert sol.result["max_error"] == pytest.approx(np.max(np.abs(np.sin(xs) - g)), rel=1e-9)
    assert any(s.label.startswith("hidden biases") for s in sol.steps)


def test_bad_input():
    with pytest.raises(DlstudyError, match="w: the weight must be non-zero"):
        uat_step(0, 1)
    with pytest.raises(DlstudyError, match="b: the right edge"):
        uat_bump(2, 1, 1, 1, 0)
    with pytest.raises(DlstudyError, match="w: expected a steepness > 0"):
        uat_bump(1, 2, 1, 0, 0)
    with pytest.raises(DlstudyError, match="did you mean 'sin'"):
        uat_staircase("sinn")
    with pytest.raises(DlstudyError, match="hi"):
        uat_staircase("x", 1, 0)
    with pytest.raises(DlstudyError, match="n:"):
        uat_staircase("x", 0, 1, 0)
    with pytest.raises(DlstudyError, match="at least 2 samples"):
        uat_staircase([1.0])
    with pytest.raises(DlstudyError, match="overflows"):
        uat_staircase("exp", 0, 1000)


def test_bump_defaults_to_its_centre():
    sol = uat_bump(0, 4, 2, 1)
    assert sol.result["value"] == pytest.approx(2 * math.tanh(1.0))
