"""conv2d-backward against torch autograd through F.conv2d, and its written-out steps against
scipy.signal (the full correlation of δ with rot180(W))."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import signal

from dlstudy.errors import DlstudyError
from dlstudy.grading import grade
from dlstudy.reference.registry import call


def _autograd(x, w, dy, stride=1, padding=0, dilation=1):
    """(dx, dW, db) of sum(dy * conv2d(x, w) + b) by torch autograd; x (N,C,H,W), w (O,C,kh,kw)."""
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    wt = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    bt = torch.zeros(w.shape[0], dtype=torch.float64, requires_grad=True)
    y = F.conv2d(xt, wt, bt, stride=stride, padding=padding, dilation=dilation)
    assert tuple(y.shape) == dy.shape
    y.backward(torch.tensor(dy, dtype=torch.float64))
    return xt.grad.numpy(), wt.grad.numpy(), bt.grad.numpy()


@st.composite
def cases(draw):
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    s = draw(st.integers(1, 3))
    p = draw(st.integers(0, 2))
    d = draw(st.integers(1, 2))
    h = draw(st.integers(max(1, d * (k[0] - 1) + 1 - 2 * p), 6))
    w = draw(st.integers(max(1, d * (k[1] - 1) + 1 - 2 * p), 6))
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    x = rng.integers(-3, 4, (h, w)).astype(float)
    kern = rng.integers(-2, 3, k).astype(float)
    ho = (h + 2 * p - d * (k[0] - 1) - 1) // s + 1
    wo = (w + 2 * p - d * (k[1] - 1) - 1) // s + 1
    delta = rng.integers(-3, 4, (ho, wo)).astype(float)
    return x, kern, delta, s, p, d


@settings(max_examples=80, deadline=None)
@given(cases())
def test_single_channel_matches_autograd(case):
    x, k, delta, s, p, d = case
    sol = call(
        "conv2d-backward",
        {"input": x, "kernel": k, "delta": delta, "stride": s, "padding": p, "dilation": d},
    )
    dx, dw, db = _autograd(x[None, None], k[None, None], delta[None, None], s, p, d)
    np.testing.assert_allclose(sol.result["delta_prev"], dx[0, 0], atol=1e-12)
    np.testing.assert_allclose(sol.result["dW"], dw[0, 0], atol=1e-12)
    assert sol.result["db"] == pytest.approx(db[0])
    # every written-out entry is the autograd value too
    steps = {st_.label: st_.value for st_ in sol.steps}
    for (i, j), v in np.ndenumerate(dx[0, 0]):
        assert steps[f"δ^(l−1)[{i},{j}]"] == pytest.approx(v)
    for (m, n), v in np.ndenumerate(dw[0, 0]):
        assert steps[f"∂C/∂W[{m},{n}]"] == pytest.approx(v)


@settings(max_examples=60, deadline=None)
@given(cases())
def test_the_shown_full_correlation_gives_delta_prev(case):
    """The steps' padded δ (zeros between entries for the stride) and rot180(W), correlated by
    scipy and cropped by the padding, are δ^{l-1}."""
    x, k, delta, s, p, d = case
    sol = call(
        "conv2d-backward",
        {"input": x, "kernel": k, "delta": delta, "stride": s, "padding": p, "dilation": d},
    )
    steps = {st_.label: st_.value for st_ in sol.steps}
    padded = steps["δ^l zero-padded for the full correlation"]
    rot = steps["rot180(W)"]
    full = signal.correlate2d(padded, rot, mode="valid")
    np.testing.assert_allclose(
        full[p : p + x.shape[0], p : p + x.shape[1]], sol.result["delta_prev"]
    )
    if s == 1 and d == 1:  # the notes' formula: full convolution of δ with W
        np.testing.assert_allclose(
            signal.convolve2d(delta, k, "full")[p : p + x.shape[0], p : p + x.shape[1]],
            sol.result["delta_prev"],
        )


@pytest.mark.parametrize("kernel_ndim", [3, 4])
def test_channels_match_autograd(kernel_ndim):
    rng = np.random.default_rng(7)
    c, o = 3, 2
    x = rng.standard_normal((c, 5, 6))
    w = rng.standard_normal((o, c, 3, 2))
    if kernel_ndim == 3:
        w = w[:1]
    delta = rng.standard_normal((w.shape[0], 3, 4))
    sol = call(
        "conv2d-backward",
        {
            "input": x,
            "kernel": w if kernel_ndim == 4 else w[0],
            "delta": delta if kernel_ndim == 4 else delta[0],
            "stride": 2,
            "padding": 1,
        },
    )
    dx, dw, db = _autograd(x[None], w, delta[None], 2, 1)
    np.testing.assert_allclose(sol.result["delta_prev"], dx[0], atol=1e-12)
    if kernel_ndim == 4:
        np.testing.assert_allclose(sol.result["dW"], dw, atol=1e-12)
        np.testing.assert_allclose(sol.result["db"], db, atol=1e-12)
    else:
        np.testing.assert_allclose(sol.result["dW"], dw[0], atol=1e-12)
        assert sol.result["db"] == pytest.approx(db[0])


def test_hand_example_steps_and_mistakes():
    z = np.array([[1.0, 2, 3], [4, 5, 6], [7, 8, 9]])
    w = np.array([[1.0, 0], [2, -1]])
    delta = np.array([[1.0, 2], [3, 4]])
    sol = call("conv2d-backward", {"input": z, "kernel": w, "delta": delta})
    steps = {s.label: s for s in sol.steps}
    # by hand: δ^{l-1}[1,1] = δ[0,0]·W[1,1] + δ[0,1]·W[1,0] + δ[1,0]·W[0,1] + δ[1,1]·W[0,0]
    assert steps["δ^(l−1)[1,1]"].detail == "1·(-1) + 2·2 + 3·0 + 4·1 = 7"
    assert steps["∂C/∂W[0,0]"].detail == "1·1 + 2·2 + 3·4 + 4·5 = 37"
    assert steps["∂C/∂b"].value == 10
    mistakes = {m.name: m.value for m in sol.mistakes}
    np.testing.assert_allclose(
        mistakes["valid-instead-of-full"]["delta_prev"], signal.convolve2d(delta, w, "valid")
    )
    np.testing.assert_allclose(
        mistakes["no-flip"]["delta_prev"], signal.correlate2d(delta, w, "full")
    )
    np.testing.assert_allclose(mistakes["dW-flipped"]["dW"], signal.convolve2d(z, delta, "valid"))
    np.testing.assert_allclose(
        mistakes["W-instead-of-delta"]["dW"], signal.correlate2d(z, w, "valid")
    )
    right = {k: np.asarray(v).tolist() for k, v in sol.result.items()}
    assert grade(sol, right).correct
    for name in ("no-flip", "valid-instead-of-full", "W-instead-of-delta"):
        given_ = {k: np.asarray(v).tolist() for k, v in mistakes[name].items()}
        assert grade(sol, given_).mistake.name == name


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        ({"delta": [[1, 2], [3, 4]]}, "expected shape 3×3"),
        ({"delta": [[1, 2, 3]]}, "expected shape 3×3"),
        ({"delta": [[1, 2, 3]] * 3, "stride": 0}, "stride"),
        ({"delta": [[1, 2, 3]] * 3, "padding": "ful"}, "did you mean 'full'"),
    ],
)
def test_bad_input(args, fragment):
    base = {"input": np.ones((5, 5)).tolist(), "kernel": [[1, 0, 1]] * 3}
    with pytest.raises(DlstudyError, match=fragment):
        call("conv2d-backward", {**base, **args})
