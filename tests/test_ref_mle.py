"""Logistic-regression NLL, gradient and GD step against torch (BCE-with-logits and autograd);
the Gaussian NLL against torch's gaussian_nll_loss and scipy.stats.norm."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from dlstudy.errors import DlstudyError
from dlstudy.grading import grade
from dlstudy.reference import mle, registry


@st.composite
def problems(draw):
    n = draw(st.integers(1, 6))
    d = draw(st.integers(1, 4))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * draw(st.sampled_from([0.5, 2.0, 10.0]))
    y = rng.integers(0, 2, size=n).astype(float)
    w = rng.normal(size=d)
    return X, y, w


def _torch_nll(X, y, w, reduction):
    z = torch.tensor(X) @ torch.tensor(w)
    return F.binary_cross_entropy_with_logits(z, torch.tensor(y), reduction=reduction).item()


@settings(max_examples=100, deadline=None)
@given(problems(), st.sampled_from(["sum", "mean"]))
def test_nll_matches_torch_bce_with_logits(problem, reduction):
    X, y, w = problem
    expected = _torch_nll(X, y, w, reduction)
    assert mle.logistic_nll(X, y, w, reduction).result == pytest.approx(
        expected, rel=1e-10, abs=1e-12
    )
    bits = mle.logistic_nll(X, y, w, reduction, base="2").result
    assert bits == pytest.approx(expected / math.log(2), rel=1e-10, abs=1e-12)


@settings(max_examples=100, deadline=None)
@given(problems(), st.sampled_from(["sum", "mean"]), st.sampled_from([0.1, 0.5, 1.0]))
def test_gradient_and_step_match_autograd(problem, reduction, eta):
    X, y, w = problem
    wt = torch.tensor(w, requires_grad=True)
    F.binary_cross_entropy_with_logits(
        torch.tensor(X) @ wt, torch.tensor(y), reduction=reduction
    ).backward()
    g = wt.grad.numpy()
    np.testing.assert_allclose(
        mle.logistic_gradient(X, y, w, reduction).result, g, rtol=1e-9, atol=1e-12
    )
    np.testing.assert_allclose(
        mle.logistic_gd_step(X, y, w, eta, reduction).result, w - eta * g, rtol=1e-9, atol=1e-12
    )


def test_hand_example_at_w_zero():
    # w = 0: every π = 1/2, NLL = n ln 2, gradient Xᵀ(1/2 - y)
    X = [[1, 2], [3, -1], [0, 1]]
    y = [1, 0, 1]
    sol = registry.call("logistic-nll", {"X": X, "y": y, "w": [0, 0]})
    assert sol.result == pytest.approx(3 * math.log(2))
    assert mle.logistic_nll(X, y, [0, 0], "mean", "2").result == pytest.approx(1.0)
    np.testing.assert_allclose(mle.logistic_gradient(X, y, [0, 0]).result, [1.0, -2.0])
    np.testing.assert_allclose(mle.logistic_gd_step(X, y, [0, 0], eta=0.5).result, [-0.5, 1.0])


def test_mistakes_are_named():
    X, y, w = [[1, 2], [3, -1], [0, 1]], [1, 0, 1], [0, 0]
    sol = mle.logistic_nll(X, y, w)
    assert grade(sol, 3.0).mistake.name == "log-base"  # 3 bits instead of 3 ln 2 nats
    assert grade(sol, math.log(2)).mistake.name == "mean-vs-sum"
    g = mle.logistic_gradient(X, y, w)
    assert grade(g, [-1.0, 2.0]).mistake.name == "sign-flipped"
    assert grade(g, [1 / 3, -2 / 3]).mistake.name == "mean-vs-sum"
    step = mle.logistic_gd_step(X, y, w, eta=0.5)
    assert grade(step, [0.5, -1.0]).mistake.name == "ascent"


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 8), st.floats(0.1, 5.0), st.integers(0, 2**32 - 1))
def test_gaussian_nll_matches_torch_and_scipy(n, sigma, seed):
    rng = np.random.default_rng(seed)
    y, f = rng.normal(size=n), rng.normal(size=n)
    sol = mle.gaussian_nll(y, f, sigma)
    var = torch.full((n,), sigma**2, dtype=torch.float64)
    expected = F.gaussian_nll_loss(
        torch.tensor(f), torch.tensor(y), var, full=True, reduction="sum"
    )
    assert sol.result == pytest.approx(expected.item(), rel=1e-10)
    assert sol.result == pytest.approx(-stats.norm.logpdf(y, loc=f, scale=sigma).sum(), rel=1e-10)


def test_gaussian_nll_is_least_squares_plus_a_constant():
    y = np.array([1.0, 2.0, 6.0])
    # the minimiser over a constant prediction c is the mean, for any σ, exactly as for the SSE
    cs = np.linspace(0, 5, 501)
    for sigma in (0.5, 1.0, 3.0):
        nll = [mle.gaussian_nll(y, np.full(3, c), sigma).result for c in cs]
        assert cs[int(np.argmin(nll))] == pytest.approx(y.mean(), abs=1e-9)
    sol = mle.gaussian_nll([1.0, 2.0, 4.0], [1, 1, 1], 1.0)
    # SSE = 0 + 1 + 9 = 10 → 5 + 3/2 ln 2π
    assert sol.result == pytest.approx(5 + 1.5 * math.log(2 * math.pi))
    assert grade(sol, 5.0).mistake.name == "missing-constant"
    assert grade(sol, 10 + 1.5 * math.log(2 * math.pi)).mistake.name == "missing-half"


def test_bad_input():
    with pytest.raises(DlstudyError, match="y: expected 2 labels"):
        mle.logistic_nll([[1, 2], [3, 4]], [1], [0, 0])
    with pytest.raises(DlstudyError, match="w: expected 2 weights"):
        mle.logistic_nll([[1, 2], [3, 4]], [1, 0], [0, 0, 0])
    with pytest.raises(DlstudyError, match="-1/\\+1"):
        mle.logistic_nll([[1, 2], [3, 4]], [1, -1], [0, 0])
    with pytest.raises(DlstudyError, match="reduction"):
        mle.logistic_nll([[1, 2]], [1], [0, 0], reduction="avg")
    with pytest.raises(DlstudyError, match="base"):
        mle.logistic_nll([[1, 2]], [1], [0, 0], base="10")
    with pytest.raises(DlstudyError, match="sigma"):
        mle.gaussian_nll([1.0], [1.0], 0.0)
    with pytest.raises(DlstudyError, match="eta"):
        mle.logistic_gd_step([[1, 2]], [1], [0, 0], eta=-1)
