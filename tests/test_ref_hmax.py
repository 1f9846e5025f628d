"""HMAX S-cells against the isotropic Gaussian density (scipy) and C-cells against torch pooling."""

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
from dlstudy.reference import registry
from dlstudy.reference.hmax import hmax_c_cell, hmax_s_cell, hmax_s_map


def gaussian_oracle(w: np.ndarray, x: np.ndarray, sigma: float) -> float:
    """exp(-‖w - x‖²/2σ²) = N(x; w, σ²I) · (2πσ²)^{n/2}."""
    n = w.size
    pdf = stats.multivariate_normal.pdf(x.ravel(), mean=w.ravel(), cov=sigma**2 * np.eye(n))
    return float(pdf * (2 * math.pi * sigma**2) ** (n / 2))


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 5), st.floats(0.3, 3.0), st.integers(0, 2**32 - 1))
def test_s_cell_matches_gaussian_density(n, sigma, seed):
    rng = np.random.default_rng(seed)
    w, x = rng.normal(size=n), rng.normal(size=n)
    assert hmax_s_cell(w, x, sigma).result == pytest.approx(gaussian_oracle(w, x, sigma), rel=1e-9)


def test_s_cell_closed_forms_and_mistakes():
    assert hmax_s_cell([1, 2], [1, 2], 0.5).result == 1.0  # the prototype itself
    # distance² = 1 + 1 = 2 = 2σ² with σ = 1 → e^{-1}
    sol = registry.call("hmax-s-cell", {"w": [1, 2], "x": [0, 3], "sigma": 1})
    assert sol.result == pytest.approx(math.exp(-1))
    assert grade(sol, math.exp(-2)).mistake.name == "missing-half"
    sol = hmax_s_cell([[1, 0], [0, 1]], [[0, 0], [0, 0]], 3.0)  # patches: d² = 2, 2σ² = 18
    assert sol.result == pytest.approx(math.exp(-1 / 9))
    assert grade(sol, math.exp(-2 / 9)).mistake.name == "missing-half"
    assert grade(sol, math.exp(-2 / 6)).mistake.name == "sigma-not-squared"
    assert grade(sol, math.exp(-math.sqrt(2) / 18)).mistake.name == "distance-not-squared"


def test_s_map_matches_per_patch_loop():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 4, size=(5, 6)).astype(float)
    w = rng.integers(0, 4, size=(2, 3)).astype(float)
    got = hmax_s_map(w, image, 1.5).result
    assert got.shape == (4, 4)
    for i in range(4):
        for j in range(4):
            assert got[i, j] == pytest.approx(gaussian_oracle(w, image[i : i + 2, j : j + 3], 1.5))


@settings(max_examples=60, deadline=None)
@given(
    st.integers(2, 7),
    st.integers(2, 7),
    st.integers(1, 3),
    st.integers(0, 2),
    st.integers(0, 10**6),
)
def test_c_cell_matches_torch_pooling(h, w, k, stride, seed):
    if k > min(h, w):
        return
    rng = np.random.default_rng(seed)
    s = rng.random(size=(h, w))
    st_ = stride or k
    sol = hmax_c_cell(s, k, stride)
    t = torch.tensor(s)[None, None]
    np.testing.assert_allclose(sol.result, F.max_pool2d(t, k, st_)[0, 0].numpy())
    avg = next(m for m in sol.mistakes if m.name == "average").value
    np.testing.assert_allclose(avg, F.avg_pool2d(t, k, st_)[0, 0].numpy(), rtol=1e-12)
    total = next(m for m in sol.mistakes if m.name == "sum").value
    summed = F.avg_pool2d(t, k, st_, divisor_override=1)[0, 0].numpy()  # sum pooling
    np.testing.assert_allclose(total, summed, rtol=1e-12)
    v = rng.random(size=h + w)
    sol1 = hmax_c_cell(v, k, stride)
    np.testing.assert_allclose(sol1.result, F.max_pool1d(torch.tensor(v)[None], k, st_)[0].numpy())
    avg1 = next(m for m in sol1.mistakes if m.name == "average").value
    np.testing.assert_allclose(avg1, F.avg_pool1d(torch.tensor(v)[None], k, st_)[0].numpy())


def test_c_cell_over_the_whole_pool():
    sol = registry.call("hmax-c-cell", {"s": [0.2, 0.9, 0.4]})
    assert sol.result == 0.9
    assert grade(sol, 0.5).mistake.name == "average"


def test_bad_input():
    with pytest.raises(DlstudyError, match="x: expected the shape of w"):
        hmax_s_cell([1, 2], [1, 2, 3])
    with pytest.raises(DlstudyError, match="sigma"):
        hmax_s_cell([1, 2], [1, 2], 0)
    with pytest.raises(DlstudyError, match="image"):
        hmax_s_map([[1, 2, 3]], [[1, 2]])
    with pytest.raises(DlstudyError, match="k: pool"):
        hmax_c_cell([[1, 2], [3, 4]], 3)
    with pytest.raises(DlstudyError, match="k, stride"):
        hmax_c_cell([1, 2], -1)
    with pytest.raises(DlstudyError, match="s: expected a vector or a map"):
        hmax_c_cell(np.zeros((2, 2, 2)))
