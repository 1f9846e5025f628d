"""Convolution / correlation references against torch.nn.functional.conv2d (a correlation),
scipy.signal.correlate2d / convolve2d, numpy.correlate / convolve and the loop-based twins."""

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
from dlstudy.reference import conv_core as cv
from dlstudy.reference import conv_naive as loops
from dlstudy.reference.registry import call as _call
from dlstudy.values import parse_value

torch.set_default_dtype(torch.float64)


def call(name: str, args: dict):
    """Call a registered function; string values are parsed as on the command line."""
    return _call(name, {k: parse_value(v) if isinstance(v, str) else v for k, v in args.items()})


def _torch_conv(x, w, b=None, stride=1, padding=0, dilation=1):
    out = F.conv2d(
        torch.from_numpy(x),
        torch.from_numpy(np.ascontiguousarray(w)),
        None if b is None else torch.from_numpy(b),
        stride=stride,
        padding=padding,
        dilation=dilation,
    )
    return out.numpy()


@st.composite
def conv_cases(draw):
    """Random batched shapes, strides, symmetric padding and dilation with a non-empty output."""
    n, c, o = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    dh, dw = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    ph, pw = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    h = draw(st.integers(max(1, dh * (kh - 1) + 1 - 2 * ph), 7))
    w = draw(st.integers(max(1, dw * (kw - 1) + 1 - 2 * pw), 7))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, h, w))
    k = rng.standard_normal((o, c, kh, kw))
    b = rng.standard_normal(o)
    return x, k, b, (sh, sw), (ph, pw), (dh, dw)


@settings(max_examples=80, deadline=None)
@given(conv_cases())
def test_forward_matches_torch_and_the_loop_version(case):
    x, k, b, s, p, d = case
    pads = ((p[0], p[0]), (p[1], p[1]))
    expected = _torch_conv(x, k, b, s, p, d)
    fast = cv.conv2d_forward(x, k, b, s, pads, d)
    naive = loops.conv2d_naive(x, k, b, s, pads, d)
    np.testing.assert_allclose(
        fast, expected, rtol=1e-10, atol=1e-10, err_msg="vectorised vs torch"
    )
    np.testing.assert_allclose(naive, expected, rtol=1e-10, atol=1e-10, err_msg="naive vs torch")


@settings(max_examples=60, deadline=None)
@given(conv_cases())
def test_backward_matches_torch_autograd_and_the_loop_version(case):
    x, k, b, s, p, d = case
    pads = ((p[0], p[0]), (p[1], p[1]))
    xt = torch.from_numpy(x).requires_grad_()
    kt = torch.from_numpy(k).requires_grad_()
    bt = torch.from_numpy(b).requires_grad_()
    y = F.conv2d(xt, kt, bt, stride=s, padding=p, dilation=d)
    dy = np.random.default_rng(0).standard_normal(tuple(y.shape))
    y.backward(torch.from_numpy(dy))
    for label, (dx, dw, db) in {
        "vectorised": cv.conv2d_backward(x, k, dy, s, pads, d),
        "naive": loops.conv2d_backward_naive(x, k, dy, s, pads, d),
    }.items():
        np.testing.assert_allclose(dx, xt.grad.numpy(), atol=1e-10, err_msg=f"{label} dx")
        np.testing.assert_allclose(dw, kt.grad.numpy(), atol=1e-10, err_msg=f"{label} dw")
        np.testing.assert_allclose(db, bt.grad.numpy(), atol=1e-10, err_msg=f"{label} db")


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 6),
    st.integers(1, 6),
    st.integers(1, 3),
    st.integers(1, 3),
    st.sampled_from(["valid", "full", "same"]),
    st.sampled_from(["correlation", "convolution"]),
    st.integers(0, 2**31 - 1),
)
def test_registered_conv2d_matches_scipy_modes(h, w, kh, kw, padding, mode, seed):
    rng = np.random.default_rng(seed)
    if padding == "same":  # scipy centres 'same' differently from torch for even kernels
        kh, kw = 2 * (kh // 2) + 1, 2 * (kw // 2) + 1
    if padding == "valid" and (kh > h or kw > w):
        return
    x = rng.integers(-3, 4, (h, w)).astype(float)
    k = rng.integers(-2, 3, (kh, kw)).astype(float)
    sol = call(
        "conv2d", {"input": x.tolist(), "kernel": k.tolist(), "padding": padding, "mode": mode}
    )
    oracle = signal.correlate2d if mode == "correlation" else signal.convolve2d
    np.testing.assert_allclose(sol.result, oracle(x, k, mode=padding), atol=1e-12)


@pytest.mark.parametrize("shape", [(2, 2), (2, 3), (4, 1), (3, 3)])
def test_same_padding_with_even_kernels_matches_torch(shape):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((6, 5))
    k = rng.standard_normal(shape)
    sol = call("conv2d", {"input": x, "kernel": k, "padding": "same", "dilation": 1})
    expected = F.conv2d(
        torch.from_numpy(x)[None, None], torch.from_numpy(k)[None, None], padding="same"
    )[0, 0].numpy()
    np.testing.assert_allclose(sol.result, expected, atol=1e-12)
    assert sol.result.shape == x.shape


@settings(max_examples=40, deadline=None)
@given(
    st.integers(1, 3),
    st.integers(1, 3),
    st.integers(1, 3),
    st.integers(0, 2),
    st.integers(1, 2),
    st.integers(0, 2**31 - 1),
)
def test_registered_conv2d_channels_stride_padding_dilation_vs_torch(c, o, s, p, d, seed):
    rng = np.random.default_rng(seed)
    x = rng.integers(-3, 4, (c, 6, 7)).astype(float)
    k = rng.integers(-2, 3, (o, c, 2, 3)).astype(float)
    sol = call(
        "conv2d", {"input": x, "kernel": k, "stride": s, "padding": p, "dilation": d, "bias": 0.5}
    )
    expected = _torch_conv(x[None], k, np.full(o, 0.5), s, p, d)[0]
    np.testing.assert_allclose(sol.result, expected, atol=1e-12)
    # C×kh×kw kernel: one output map summed over the channels
    sol1 = call("conv2d", {"input": x, "kernel": k[0], "stride": s, "padding": p, "dilation": d})
    np.testing.assert_allclose(sol1.result, _torch_conv(x[None], k[:1], None, s, p, d)[0, 0])


@pytest.mark.parametrize("mode", ["valid", "full", "same"])
def test_one_d_matches_numpy(mode):
    x = np.array([1.0, -2.0, 3.0, 0.5, 4.0, -1.0])
    k = np.array([2.0, -1.0, 0.5])
    corr = call("conv2d", {"input": x, "kernel": k, "padding": mode}).result
    conv = call("conv2d", {"input": x, "kernel": k, "padding": mode, "mode": "convolution"}).result
    np.testing.assert_allclose(corr, np.correlate(x, k, mode=mode))
    np.testing.assert_allclose(conv, np.convolve(x, k, mode=mode))


def test_steps_write_out_the_products_of_each_entry():
    sol = call("conv2d", {"input": "1 2 3; 4 5 6; 7 8 9", "kernel": "1 0; 0 -1"})
    entries = {s.label: s for s in sol.steps}
    # by hand: y[0,0] = 1·1 + 0·2 + 0·4 + (-1)·5 = -4
    assert entries["y[0,0]"].detail == "1·1 + 0·2 + 0·4 + (-1)·5 = -4"
    assert entries["y[0,0]"].value == -4
    assert entries["output size"].value == [2, 2]
    np.testing.assert_array_equal(sol.result, [[-4, -4], [-4, -4]])


def test_convolution_steps_show_the_rotated_kernel():
    sol = call("conv2d", {"input": "1 2 3; 4 5 6; 7 8 9", "kernel": "1 2; 3 4", "mode": "conv"})
    rotated = next(s for s in sol.steps if "180" in s.label)
    np.testing.assert_array_equal(rotated.value, [[4, 3], [2, 1]])
    np.testing.assert_array_equal(
        sol.result, signal.convolve2d([[1, 2, 3], [4, 5, 6], [7, 8, 9]], [[1, 2], [3, 4]], "valid")
    )


def test_mistakes_are_the_wrong_methods_and_are_named_by_the_grader():
    x = np.arange(16.0).reshape(4, 4) % 5 - 2
    k = np.array([[1.0, 2.0, 0.0], [0.0, -1.0, 1.0], [3.0, 0.0, 0.0]])
    sol = call("conv2d", {"input": x, "kernel": k, "padding": 1, "mode": "convolution"})
    mistakes = {m.name: m for m in sol.mistakes}
    np.testing.assert_allclose(
        mistakes["correlation-not-convolution"].value, signal.correlate2d(x, k, "same")
    )
    np.testing.assert_allclose(mistakes["padding-ignored"].value, signal.convolve2d(x, k, "valid"))
    verdict = grade(sol, signal.correlate2d(x, k, "same").tolist())
    assert not verdict.correct
    assert "convolution flips the kernel" in verdict.message
    # a wrong shape that a wrong method produces is named, not rejected
    verdict = grade(sol, signal.convolve2d(x, k, "valid").tolist())
    assert verdict.mistake.name == "padding-ignored"
    assert grade(sol, signal.convolve2d(x, k, "same").tolist()).correct


def test_dilation_and_stride_ignored_are_named():
    rng = np.random.default_rng(3)
    x = rng.integers(-2, 3, (7, 7)).astype(float)
    k = rng.integers(-2, 3, (3, 3)).astype(float)
    sol = call("conv2d", {"input": x, "kernel": k, "dilation": 2, "stride": 2})
    names = {m.name: m.value for m in sol.mistakes}
    np.testing.assert_allclose(
        names["dilation-ignored"], _torch_conv(x[None, None], k[None, None], None, 2, 0, 1)[0, 0]
    )
    np.testing.assert_allclose(
        names["stride-ignored"], _torch_conv(x[None, None], k[None, None], None, 1, 0, 2)[0, 0]
    )
    assert grade(sol, names["dilation-ignored"].tolist()).mistake.name == "dilation-ignored"


def test_symmetric_kernel_has_no_flip_mistake():
    sol = call("conv2d", {"input": np.ones((4, 4)), "kernel": "1 2 1; 0 5 0; 1 2 1"})
    assert "convolution-not-correlation" not in {m.name for m in sol.mistakes}


@pytest.mark.parametrize(
    ("kernel", "n", "padding", "shape"),
    [([1, 2, 3], 5, "full", [7, 5]), ([1, 2, 3], 5, "valid", [3, 5]), ([1, -1], 4, "same", [4, 4])],
)
def test_conv_matrix_1d_shape_and_product(kernel, n, padding, shape):
    sol = call(
        "conv-matrix",
        {"kernel": kernel, "input_size": n, "padding": padding, "mode": "convolution"},
    )
    assert sol.result["shape"] == shape  # notes: 1-D full is (m+n-1)×n
    x = np.random.default_rng(0).standard_normal(n)
    expected = np.convolve(x, kernel, mode="full")
    if padding == "valid":
        expected = np.convolve(x, kernel, mode="valid")
    if padding == "same":  # torch 'same': pad total k-1, the extra one on the right
        expected = np.correlate(np.pad(x, (0, 1)), np.asarray(kernel, float)[::-1], "valid")
    np.testing.assert_allclose(sol.result["matrix"] @ x, expected, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(
    st.integers(1, 5),
    st.integers(1, 5),
    st.integers(1, 3),
    st.integers(1, 3),
    st.sampled_from(["valid", "full"]),
    st.sampled_from(["correlation", "convolution"]),
    st.integers(0, 2**31 - 1),
)
def test_conv_matrix_2d_times_vec_x_is_the_scipy_result(h, w, kh, kw, padding, mode, seed):
    if padding == "valid" and (kh > h or kw > w):
        return
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((h, w))
    k = rng.standard_normal((kh, kw))
    sol = call("conv-matrix", {"kernel": k, "input_size": [h, w], "padding": padding, "mode": mode})
    oracle = signal.correlate2d if mode == "correlation" else signal.convolve2d
    y = oracle(x, k, mode=padding)
    assert sol.result["shape"] == [y.size, x.size]
    np.testing.assert_allclose(sol.result["matrix"] @ x.ravel(), y.ravel(), atol=1e-12)


def test_conv_matrix_with_stride_and_dilation_vs_torch():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((7, 6))
    k = rng.standard_normal((2, 3))
    sol = call(
        "conv-matrix", {"kernel": k, "input_size": [7, 6], "stride": 2, "padding": 1, "dilation": 2}
    )
    y = _torch_conv(x[None, None], k[None, None], None, 2, 1, 2)[0, 0]
    np.testing.assert_allclose(sol.result["matrix"] @ x.ravel(), y.ravel(), atol=1e-12)
    transposed = next(m for m in sol.mistakes if m.name == "shape-transposed")
    assert transposed.value["shape"] == sol.result["shape"][::-1]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        ({"input": "1 2; 3 4", "kernel": "1 0; 0 1", "stride": 0}, "stride"),
        ({"input": "1 2; 3 4", "kernel": "1 0; 0 1", "dilation": -1}, "dilation"),
        ({"input": "1 2; 3 4", "kernel": "1 0 1; 0 1 0; 1 1 1"}, "larger than the padded input"),
        ({"input": "1 2; 3 4", "kernel": "1 0; 0 1", "mode": "convolve"}, "did you mean"),
        ({"input": "1 2; 3 4", "kernel": "1 0; 0 1", "padding": "sam"}, "did you mean 'same'"),
        ({"input": "1 2; 3 4", "kernel": "1 0; 0 1", "padding": -1}, "padding"),
        ({"input": "1 2; 3 4", "kernel": "1 0; 0 1", "padding": 1.5}, "integer"),
        ({"input": [[[1, 2], [3, 4]]] * 2, "kernel": [[[1]]] * 3}, "channel"),
        ({"input": [[1, 2], [3]], "kernel": "1"}, "ragged"),
        ({"input": "1 2; 3 4", "kernel": [[[[1]]]] * 2 + [[[[1, 2]]]]}, "kernel"),
        ({"input": "1 2; 3 4", "kernel": "1 0; 0 1", "padding": 10**6}, "too large"),
        ({"input": [1, 2, 3], "kernel": "1 0; 0 1"}, "vector kernel"),
    ],
)
def test_bad_input_is_the_domain_error(args, fragment):
    with pytest.raises(DlstudyError, match=fragment):
        call("conv2d", args)


def test_conv_matrix_bad_input():
    with pytest.raises(DlstudyError, match="input_size"):
        call("conv-matrix", {"kernel": [1, 2], "input_size": 0})
    with pytest.raises(DlstudyError, match="at most"):
        call("conv-matrix", {"kernel": "1 2; 3 4", "input_size": [100, 100]})
