"""Pooling references against torch max_pool2d (return_indices) / avg_pool2d and autograd (inputs
without ties)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from dlstudy.errors import DlstudyError
from dlstudy.grading import grade
from dlstudy.reference.registry import call


@st.composite
def cases(draw):
    k = draw(st.integers(1, 3))
    s = draw(st.integers(1, 3))
    p = draw(st.integers(0, k // 2))
    c = draw(st.integers(1, 2))
    h = draw(st.integers(max(1, k - 2 * p), 7))
    w = draw(st.integers(max(1, k - 2 * p), 7))
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    x = rng.permutation(c * h * w).reshape(c, h, w).astype(float) - 5.0  # distinct: no ties
    return x, k, s, p


def _torch_pool(op, x, k, s, p):
    xt = torch.tensor(x[None], dtype=torch.float64, requires_grad=True)
    if op == "max":
        y, idx = F.max_pool2d(xt, k, s, p, return_indices=True)
    else:
        y, idx = F.avg_pool2d(xt, k, s, p), None
    dy = torch.tensor(np.random.default_rng(1).integers(-3, 4, tuple(y.shape)), dtype=torch.float64)
    y.backward(dy)
    return y.detach().numpy()[0], idx, dy.numpy()[0], xt.grad.numpy()[0]


@settings(max_examples=80, deadline=None)
@given(cases(), st.sampled_from(["max", "avg"]), st.booleans())
def test_forward_and_backward_match_torch(case, op, as_matrix):
    x, k, s, p = case
    y, _idx, dy, dx = _torch_pool(op, x, k, s, p)
    if as_matrix:
        x, y, dy, dx = x[0], y[0], dy[0], dx[0]
    args = {"input": x, "k": k, "stride": s, "padding": p}
    fwd = call(f"{op}pool2d", args)
    np.testing.assert_allclose(fwd.result, y, atol=1e-12)
    bwd = call(f"{op}pool2d-backward", {**args, "delta": dy})
    np.testing.assert_allclose(bwd.result, dx, atol=1e-12)


def test_max_steps_name_the_argmax_of_torch():
    x = np.array([[1.0, 3, 2, 0], [4, 2, 1, 5], [0, 1, 3, 2], [2, 6, 1, 7]])
    sol = call("maxpool2d", {"input": x, "k": 2})
    _, idx = F.max_pool2d(torch.tensor(x)[None, None], 2, return_indices=True)
    for (i, j), flat in np.ndenumerate(idx[0, 0].numpy()):
        step = next(s for s in sol.steps if s.label == f"y[{i},{j}]")
        assert step.detail.endswith(f"at x[{flat // 4},{flat % 4}]")
    assert (
        next(s for s in sol.steps if s.label == "y[0,0]").detail == "max(1, 3, 4, 2) = 4 at x[1,0]"
    )


def test_default_stride_is_k():
    x = np.arange(36.0).reshape(6, 6)
    np.testing.assert_allclose(
        call("avgpool2d", {"input": x, "k": 3}).result,
        F.avg_pool2d(torch.tensor(x)[None, None], 3)[0, 0].numpy(),
    )


def test_max_backward_mistakes():
    x = np.array([[1.0, 3, 2, 0], [4, 2, 1, 5], [0, 1, 3, 2], [2, 6, 1, 7]])
    delta = np.array([[1.0, 2], [3, 4]])
    sol = call("maxpool2d-backward", {"input": x, "delta": delta, "k": 2})
    mistakes = {m.name: m.value for m in sol.mistakes}
    # independent: every window entry gets δ (spread) or δ/4 (average routing)
    copied = np.kron(delta, np.ones((2, 2)))
    np.testing.assert_allclose(mistakes["gradient-spread"], copied)
    np.testing.assert_allclose(mistakes["average-routing"], copied / 4)
    assert grade(sol, copied.tolist()).mistake.name == "gradient-spread"
    assert grade(sol, np.asarray(sol.result).tolist()).correct


def test_avg_backward_mistakes_and_overlap():
    x = np.array([[1.0, 3, 2], [4, 2, 1], [0, 1, 3]])
    delta = np.array([[4.0, 8], [12, 16]])
    sol = call("avgpool2d-backward", {"input": x, "delta": delta, "k": 2, "stride": 1})
    # by hand: the centre lies in all four windows: (4 + 8 + 12 + 16)/4 = 10
    assert sol.result[1, 1] == 10
    mistakes = {m.name: m.value for m in sol.mistakes}
    assert mistakes["missing-1/k²"][1, 1] == 40
    assert mistakes["overwrite-not-accumulate"][1, 1] == 4  # the last window wins
    verdict = grade(sol, np.asarray(mistakes["missing-1/k²"]).tolist())
    assert verdict.mistake.name == "missing-1/k²"


def test_avg_forward_missing_division_named():
    x = np.arange(16.0).reshape(4, 4)
    sol = call("avgpool2d", {"input": x, "k": 2})
    summed = F.avg_pool2d(torch.tensor(x)[None, None], 2)[0, 0].numpy() * 4
    assert grade(sol, summed.tolist()).mistake.name == "missing-1/k²"


@pytest.mark.parametrize(
    ("name", "args", "fragment"),
    [
        ("maxpool2d", {"k": 0}, "k"),
        ("maxpool2d", {"k": 2, "stride": 0}, "stride"),
        ("maxpool2d", {"k": 2, "padding": 2}, "at most k/2"),
        ("maxpool2d", {"k": 5}, "larger than the padded input"),
        ("avgpool2d", {"input": [1, 2, 3]}, "matrix"),
        ("maxpool2d-backward", {"k": 2, "delta": [[1, 2, 3]]}, "expected shape 2×2"),
        ("avgpool2d-backward", {"k": 2, "delta": 1}, "expected shape 2×2"),
    ],
)
def test_bad_input(name, args, fragment):
    base = {"input": np.arange(16.0).reshape(4, 4).tolist()}
    with pytest.raises(DlstudyError, match=fragment):
        call(name, {**base, **args})
