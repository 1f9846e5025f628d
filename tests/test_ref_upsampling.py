"""Transposed and dilated convolution against torch conv_transpose1d/2d, conv2d(dilation), autograd
(the transposed convolution is the input-gradient of a convolution) and the loop-based twin."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from dlstudy.errors import DlstudyError
from dlstudy.grading import grade
from dlstudy.reference import conv_core as cv
from dlstudy.reference import conv_naive as loops
from dlstudy.reference.registry import call


def _t(a):
    return torch.tensor(np.asarray(a, dtype=float), dtype=torch.float64)


@st.composite
def cases(draw):
    cin, cout = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    d = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    op = (draw(st.integers(0, max(s[0], d[0]) - 1)), draw(st.integers(0, max(s[1], d[1]) - 1)))
    h, w = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    # padding must leave at least one row/column
    full_h = (h - 1) * s[0] + d[0] * (kh - 1) + op[0] + 1
    full_w = (w - 1) * s[1] + d[1] * (kw - 1) + op[1] + 1
    p = (draw(st.integers(0, (full_h - 1) // 2)), draw(st.integers(0, (full_w - 1) // 2)))
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    x = rng.standard_normal((draw(st.integers(1, 2)), cin, h, w))
    k = rng.standard_normal((cin, cout, kh, kw))
    return x, k, s, p, op, d


@settings(max_examples=100, deadline=None)
@given(cases())
def test_engine_matches_torch_and_the_loop_version(case):
    x, k, s, p, op, d = case
    expected = F.conv_transpose2d(
        _t(x), _t(k), stride=s, padding=p, output_padding=op, dilation=d
    ).numpy()
    fast = cv.conv_transpose2d_forward(x, k, s, p, op, d)
    naive = loops.conv_transpose2d_naive(x, k, s, p, op, d)
    np.testing.assert_allclose(fast, expected, atol=1e-10, err_msg="vectorised vs torch")
    np.testing.assert_allclose(naive, expected, atol=1e-10, err_msg="naive vs torch")


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 4),
    st.integers(1, 4),
    st.integers(1, 3),
    st.integers(1, 3),
    st.integers(0, 1),
    st.integers(0, 2**31 - 1),
)
def test_registered_is_the_input_gradient_of_a_convolution(h, w, k, s, p, seed):
    """conv_transpose(y, K) = ∂/∂x ⟨y, conv2d(x, K)⟩ for the x whose conv has y's shape."""
    rng = np.random.default_rng(seed)
    y = rng.integers(-3, 4, (h, w)).astype(float)
    kern = rng.integers(-2, 3, (k, k)).astype(float)
    if min(h, w) - 1 + k - 2 * p < 1 or (min(h, w) - 1) * s + k - 2 * p < 1:
        return
    sol = call("conv-transpose2d", {"input": y, "kernel": kern, "stride": s, "padding": p})
    n_h, n_w = sol.result.shape
    x = torch.zeros(1, 1, n_h, n_w, dtype=torch.float64, requires_grad=True)
    out = F.conv2d(x, _t(kern)[None, None], stride=s, padding=p)
    if tuple(out.shape[2:]) != (h, w):  # floor in the forward size: no exact inverse shape
        return
    (out * _t(y)[None, None]).sum().backward()
    np.testing.assert_allclose(sol.result, x.grad[0, 0].numpy(), atol=1e-12)


def test_layouts_match_torch():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 3, 3))
    k4 = rng.standard_normal((2, 3, 2, 2))
    sol = call("conv-transpose2d", {"input": x, "kernel": k4, "stride": 2, "padding": 1})
    expected = F.conv_transpose2d(_t(x)[None], _t(k4), stride=2, padding=1)[0].numpy()
    np.testing.assert_allclose(sol.result, expected, atol=1e-12)
    sol = call("conv-transpose2d", {"input": x, "kernel": k4[:, 0], "stride": 2})
    expected = F.conv_transpose2d(_t(x)[None], _t(k4[:, :1]), stride=2)[0, 0].numpy()
    np.testing.assert_allclose(sol.result, expected, atol=1e-12)
    v = rng.standard_normal(4)
    kv = rng.standard_normal(3)
    sol = call("conv-transpose2d", {"input": v, "kernel": kv, "stride": 2, "output_padding": 1})
    expected = F.conv_transpose1d(_t(v)[None, None], _t(kv)[None, None], stride=2, output_padding=1)
    np.testing.assert_allclose(sol.result, expected[0, 0].numpy(), atol=1e-12)


def test_hand_example_steps_and_mistakes():
    x = [[1.0, 2.0], [3.0, 4.0]]
    k = [[1.0, 0.0], [1.0, 1.0]]
    sol = call("conv-transpose2d", {"input": x, "kernel": k, "stride": 1, "padding": 0})
    # by hand: y[1,1] = x[0,0]·K[1,1] + x[0,1]·K[1,0] + x[1,0]·K[0,1] + x[1,1]·K[0,0] = 1+2+0+4
    step = next(s for s in sol.steps if s.label == "y[1,1]")
    assert step.detail == "1·1 + 2·1 + 3·0 + 4·1 = 7"
    stamps = [s.value for s in sol.steps if s.label.startswith("x[")]
    assert len(stamps) == 4
    np.testing.assert_allclose(stamps[3], 4 * np.asarray(k))
    mistakes = {m.name: m.value for m in sol.mistakes}
    flipped = F.conv_transpose2d(_t(x)[None, None], _t(k).flip(0, 1)[None, None])[0, 0].numpy()
    np.testing.assert_allclose(mistakes["kernel-flipped"], flipped)
    assert grade(sol, flipped.tolist()).mistake.name == "kernel-flipped"


def test_overlapping_stamps_assigned_instead_of_added_is_named():
    # x = [1, 2], K = [1, 1], stride 1: the stamps [1, 1] at 0 and [2, 2] at 1 overlap at 1.
    # Added: [1, 1 + 2, 2]; assigned (the later stamp wins): [1, 2, 2].
    sol = call("conv-transpose2d", {"input": [1.0, 2.0], "kernel": [1.0, 1.0]})
    expected = F.conv_transpose1d(_t([[[1.0, 2.0]]]), _t([[[1.0, 1.0]]]))[0, 0].numpy()
    np.testing.assert_allclose(sol.result, expected)
    np.testing.assert_allclose(sol.result, [1, 3, 2])
    assert grade(sol, [1, 2, 2]).mistake.name == "overlaps-not-added"


def test_padding_ignored_is_named_with_its_larger_shape():
    x = [[1.0, 2.0], [3.0, 4.0]]
    k = [[1.0, 2.0, 1.0], [0.0, 1.0, 0.0], [1.0, 0.0, 1.0]]
    sol = call("conv-transpose2d", {"input": x, "kernel": k, "stride": 2, "padding": 1})
    uncropped = F.conv_transpose2d(_t(x)[None, None], _t(k)[None, None], stride=2)[0, 0].numpy()
    assert sol.result.shape == (3, 3)
    assert grade(sol, uncropped.tolist()).mistake.name == "padding-ignored"


@settings(max_examples=100, deadline=None)
@given(
    st.integers(1, 8),
    st.integers(1, 5),
    st.integers(1, 4),
    st.integers(0, 3),
    st.integers(0, 3),
    st.integers(1, 3),
)
def test_output_size_matches_torch(n, k, s, p, op, d):
    if op >= max(s, d):
        with pytest.raises(DlstudyError, match="output_padding"):
            call(
                "conv-transpose-output-size",
                {
                    "input_size": n,
                    "kernel_size": k,
                    "stride": s,
                    "padding": p,
                    "output_padding": op,
                    "dilation": d,
                },
            )
        return
    full = (n - 1) * s + d * (k - 1) + op + 1
    if full - 2 * p < 1:
        return
    layer = torch.nn.ConvTranspose1d(1, 1, k, s, p, op, dilation=d, bias=False)
    expected = layer(torch.zeros(1, 1, n)).shape[-1]
    sol = call(
        "conv-transpose-output-size",
        {
            "input_size": n,
            "kernel_size": k,
            "stride": s,
            "padding": p,
            "output_padding": op,
            "dilation": d,
        },
    )
    assert sol.result == expected
    names = {m.name: m.value for m in sol.mistakes}
    if n * s != expected:
        assert names["input-times-stride"] == n * s


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 4),
    st.integers(1, 4),
    st.integers(1, 3),
    st.integers(1, 3),
    st.integers(0, 1),
    st.booleans(),
    st.integers(0, 2**31 - 1),
)
def test_kt_y_is_the_transposed_convolution(h, w, k, s, p, one_d, seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(-3, 4, (w,) if one_d else (h, w)).astype(float)
    kern = rng.integers(-2, 3, (k,) if one_d else (k, k)).astype(float)
    args = {"input": y, "kernel": kern, "stride": s, "padding": p}
    full = (w - 1) * s + k
    if full - 2 * p < 1 or (not one_d and (h - 1) * s + k - 2 * p < 1):
        return
    sol = call("conv-transpose-matrix", args)
    conv_t = F.conv_transpose1d if one_d else F.conv_transpose2d
    shape = (1, 1)
    expected = conv_t(
        _t(y).reshape(shape + y.shape), _t(kern).reshape(shape + kern.shape), stride=s, padding=p
    )
    np.testing.assert_allclose(
        sol.result["output"], expected.numpy().reshape(sol.result["output"].shape), atol=1e-12
    )
    kt = sol.result["matrix"]
    assert sol.result["shape"] == list(kt.shape) == [sol.result["output"].size, y.size]
    # K itself is the convolution that maps back to y's size: K x = conv(x) for a random x
    x = rng.standard_normal(sol.result["output"].shape)
    conv = F.conv1d if one_d else F.conv2d
    fwd = conv(
        _t(x).reshape(shape + x.shape), _t(kern).reshape(shape + kern.shape), stride=s, padding=p
    )
    np.testing.assert_allclose(kt.T @ x.ravel(), fwd.numpy().ravel(), atol=1e-12)


def test_kt_is_not_the_inverse():
    """The notes' 'K^T y = x': K^T y has x's shape, but K x = y is solved by pinv(K) y, not K^T y."""
    sol = call(
        "conv-transpose-matrix",
        {"input": [[1.0, 2.0], [3.0, 4.0]], "kernel": [[1.0, 2.0], [0.0, 1.0]]},
    )
    mistakes = {m.name: m.value for m in sol.mistakes}
    inv = mistakes["transpose-as-inverse"]
    k_mat = sol.result["matrix"].T
    np.testing.assert_allclose(k_mat @ np.asarray(inv["output"]).ravel(), [1, 2, 3, 4], atol=1e-12)
    assert not np.allclose(k_mat @ sol.result["output"].ravel(), [1, 2, 3, 4])


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 3), st.integers(1, 3), st.integers(0, 2), st.integers(0, 2**31 - 1))
def test_dilated_conv_matches_torch(d, s, p, seed):
    rng = np.random.default_rng(seed)
    x = rng.integers(-3, 4, (7, 7)).astype(float)
    k = rng.integers(-2, 3, (3, 3)).astype(float)
    if d * 2 + 1 > 7 + 2 * p:
        return
    sol = call(
        "dilated-conv2d", {"input": x, "kernel": k, "dilation": d, "stride": s, "padding": p}
    )
    expected = F.conv2d(_t(x)[None, None], _t(k)[None, None], stride=s, padding=p, dilation=d)
    np.testing.assert_allclose(sol.result, expected[0, 0].numpy(), atol=1e-12)
    if d > 1:
        dilated = next(st_.value for st_ in sol.steps if st_.label == "dilated kernel")
        assert dilated.shape == (2 * d + 1, 2 * d + 1)
        assert {m.name for m in sol.mistakes} >= {"dilation-ignored"}


@pytest.mark.parametrize(
    ("name", "args", "fragment"),
    [
        ("conv-transpose2d", {"output_padding": 2, "stride": 2}, "output_padding"),
        ("conv-transpose2d", {"stride": 0}, "stride"),
        ("conv-transpose2d", {"padding": 5}, "leaves no"),
        ("conv-transpose2d", {"stride": 10**6}, "too large"),
        ("conv-transpose2d", {"kernel": [[[1, 2]]] * 3}, "kernel"),
        ("conv-transpose-matrix", {"kernel": [1, 2]}, "vector kernel"),
        ("conv-transpose-matrix", {"stride": 1, "dilation": 2, "output_padding": 1}, "stride"),
    ],
)
def test_bad_input(name, args, fragment):
    base = {"input": [[1, 2], [3, 4]], "kernel": [[1, 0], [0, 1]]}
    with pytest.raises(DlstudyError, match=fragment):
        call(name, {**base, **args})


# -- the vectorised wrong method and the per-entry products, against naive loops -----------------


def _overwrite_naive(x4, w4, s, p, d, out):
    """Every stamp assigned in loop order (i, j, m, n): the last writer of an entry wins."""
    _, _, h, wd = x4.shape
    _, cout, kh, kw = w4.shape
    y = np.zeros((1, cout, *out))
    for co in range(cout):
        for i in range(h):
            for j in range(wd):
                for m in range(kh):
                    for n in range(kw):
                        r, c = i * s[0] + m * d[0] - p[0], j * s[1] + n * d[1] - p[1]
                        if 0 <= r < out[0] and 0 <= c < out[1]:
                            y[0, co, r, c] = float(np.sum(x4[0, :, i, j] * w4[:, co, m, n]))
    return y


def _scatter_naive(x4, w4, s, off, d, out):
    terms = {}
    _, cin, h, wd = x4.shape
    _, cout, kh, kw = w4.shape
    for co in range(cout):
        for ci in range(cin):
            for i in range(h):
                for j in range(wd):
                    for m in range(kh):
                        for n in range(kw):
                            r, c = i * s[0] + m * d[0] - off[0], j * s[1] + n * d[1] - off[1]
                            if 0 <= r < out[0] and 0 <= c < out[1]:
                                terms.setdefault((co, r, c), []).append(
                                    (float(x4[0, ci, i, j]), float(w4[ci, co, m, n]))
                                )
    return terms


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_overwrite_and_scatter_terms_match_naive_loops(data) -> None:
    from dlstudy.reference.conv_core import scatter_terms
    from dlstudy.reference.upsampling import _overwrite

    cin, cout, h, wd, kh, kw = (data.draw(st.integers(1, n)) for n in (2, 2, 4, 4, 3, 3))
    s = (data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3)))
    d = (data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2)))
    p = (data.draw(st.integers(0, 1)), data.draw(st.integers(0, 1)))
    out = (
        (h - 1) * s[0] - 2 * p[0] + d[0] * (kh - 1) + 1,
        (wd - 1) * s[1] - 2 * p[1] + d[1] * (kw - 1) + 1,
    )
    if min(out) < 1:
        return
    rng = np.random.default_rng(data.draw(st.integers(0, 10**6)))
    x4 = rng.integers(-3, 4, (1, cin, h, wd)).astype(float)
    w4 = rng.integers(-3, 4, (cin, cout, kh, kw)).astype(float)
    assert np.array_equal(_overwrite(x4, w4, s, p, d, out), _overwrite_naive(x4, w4, s, p, d, out))
    naive = _scatter_naive(x4, w4, s, p, d, out)
    assert scatter_terms(x4, w4, s, p, d, out) == naive
    limit = data.draw(st.integers(0, cout * out[0] * out[1]))
    first = {k for k in list(np.ndindex(cout, *out))[:limit]}
    assert scatter_terms(x4, w4, s, p, d, out, limit) == {
        k: v for k, v in naive.items() if k in first
    }
