"""Autoregressive models against brute-force enumeration and torch autograd."""

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from dlstudy.errors import DlstudyError
from dlstudy.grading import grade
from dlstudy.reference.autoregressive import pixelcnn_mask_array
from dlstudy.reference.registry import call

T = lambda x: torch.tensor(np.asarray(x), dtype=torch.float64)  # noqa: E731


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 4), st.integers(0, 2**32 - 1))
def test_factorisation_equals_the_joint(n, seed):
    rng = np.random.default_rng(seed)
    joint = rng.random(2**n) + 0.01
    joint /= joint.sum()
    for idx, x in enumerate(itertools.product([0, 1], repeat=n)):
        ll = call("ar-log-likelihood", {"joint": joint.tolist(), "x": list(x)}).result
        assert ll == pytest.approx(np.log(joint[idx]), abs=1e-12)


def _nade_torch(W, V, b, c, x):
    """NADE written directly from its definition: h_d = σ(c + W[:, :d] x[:d])."""
    W, V, b, c, x = map(T, (W, V, b, c, x))
    out = []
    for d in range(x.numel()):
        h = torch.sigmoid(c + W[:, :d] @ x[:d])
        out.append(torch.sigmoid(b[d] + V[d] @ h))
    return torch.stack(out)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 4), st.integers(1, 3), st.integers(0, 2**32 - 1))
def test_nade_conditionals_and_normalisation(D, H, seed):
    rng = np.random.default_rng(seed)
    W, V = rng.normal(size=(H, D)), rng.normal(size=(D, H))
    b, c = rng.normal(size=D), rng.normal(size=H)
    total = 0.0
    for x in itertools.product([0, 1], repeat=D):
        res = call(
            "nade",
            {"W": W.tolist(), "V": V.tolist(), "b": b.tolist(), "c": c.tolist(), "x": list(x)},
        ).result
        np.testing.assert_allclose(
            res["conditionals"], _nade_torch(W, V, b, c, x).numpy(), atol=1e-12
        )
        total += np.exp(res["log_likelihood"])
    assert total == pytest.approx(1.0, abs=1e-9)  # a normalised distribution over all 2^D vectors


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 5), st.integers(0, 2**32 - 1))
def test_made_dependencies_are_the_autograd_jacobian_support(D, seed):
    rng = np.random.default_rng(seed)
    order = rng.permutation(D) + 1
    hidden = [rng.integers(1, D, size=int(rng.integers(2, 6))).tolist() for _ in range(2)]
    res = call("made-masks", {"input_degrees": order.tolist(), "hidden_degrees": hidden}).result
    masks = [T(m) for m in res["masks"]]
    weights = [T(rng.uniform(0.5, 1.5, size=m.shape)) for m in masks]

    def net(x):
        h = x
        for i, (w, m) in enumerate(zip(weights, masks, strict=True)):
            h = (w * m) @ h
            if i < len(masks) - 1:
                h = torch.sigmoid(h)
        return h

    jac = torch.autograd.functional.jacobian(net, T(rng.normal(size=D)))
    support = (jac.abs() > 0).numpy().astype(int)
    np.testing.assert_array_equal(support, res["dependencies"])
    # strictly autoregressive: output i depends only on inputs earlier in the ordering
    assert np.all(support[order[:, None] <= order[None, :]] == 0)


def test_made_ge_into_output_is_named():
    sol = call("made-masks", {"input_degrees": [1, 2, 3], "hidden_degrees": [[1, 2, 2]]})
    # by hand: hidden mask [m_k >= j] for m = (1, 2, 2); the right output mask is [d > m_k], the
    # wrong one [d >= m_k], which lets output 2 see x_2 (through the hidden units of degree 2)
    hidden = [[1, 0, 0], [1, 1, 0], [1, 1, 0]]
    assert np.asarray(sol.result["masks"][0]).tolist() == hidden
    assert np.asarray(sol.result["masks"][1]).tolist() == [[0, 0, 0], [1, 0, 0], [1, 1, 1]]
    assert np.asarray(sol.result["dependencies"]).tolist() == [[0, 0, 0], [1, 0, 0], [1, 1, 0]]
    wrong = {
        "masks": [hidden, [[1, 0, 0], [1, 1, 1], [1, 1, 1]]],
        "dependencies": [[1, 0, 0], [1, 1, 0], [1, 1, 0]],
    }
    assert grade(sol, wrong).mistake.name == "ge-into-output"


@pytest.mark.parametrize("n_layers", [1, 2, 3, 4])
def test_pixelcnn_dependency_map_is_the_gradient_support(n_layers):
    size, k = 7, 3
    res = call("pixelcnn-receptive", {"size": size, "n_layers": n_layers, "k": k}).result
    x = torch.rand(1, 1, size, size, dtype=torch.float64, requires_grad=True)
    h = x
    for layer in range(n_layers):
        mask = T(pixelcnn_mask_array(k, "A" if layer == 0 else "B"))
        h = F.conv2d(h, torch.ones(1, 1, k, k, dtype=torch.float64) * mask, padding=k // 2)
    h[0, 0, size // 2, size // 2].backward()
    support = (x.grad[0, 0].abs() > 0).numpy().astype(int)
    np.testing.assert_array_equal(support, res["dependency"])
    if n_layers >= 2:
        assert np.asarray(res["blind_spot"]).sum() > 0  # the blind spot exists


def test_pixelcnn_rgb_mask_groups():
    m = call("pixelcnn-mask", {"k": 3, "mask_type": "A", "c_in": 3, "c_out": 3, "rgb": True}).result
    centre = np.asarray(m)[:, :, 1, 1]
    np.testing.assert_array_equal(
        centre, [[0, 0, 0], [1, 0, 0], [1, 1, 0]]
    )  # G sees R; B sees R, G
    m = call("pixelcnn-mask", {"k": 3, "mask_type": "B", "c_in": 3, "c_out": 3, "rgb": True}).result
    np.testing.assert_array_equal(np.asarray(m)[:, :, 1, 1], [[1, 0, 0], [1, 1, 0], [1, 1, 1]])


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 4), st.lists(st.integers(1, 8), min_size=1, max_size=5))
def test_wavenet_receptive_field_by_autograd(k, dilations):
    rf = call("wavenet-receptive-field", {"k": k, "dilations": dilations}).result
    T_len = rf + 10
    x = torch.rand(1, 1, T_len, dtype=torch.float64, requires_grad=True)
    h = x
    for d in dilations:
        h = F.conv1d(
            F.pad(h, ((k - 1) * d, 0)), torch.ones(1, 1, k, dtype=torch.float64), dilation=d
        )
    h[0, 0, -1].backward()
    nz = np.flatnonzero(x.grad[0, 0].numpy())
    assert nz[-1] == T_len - 1  # causal: the output sees its own time step, never a later one
    assert nz[-1] - nz[0] + 1 == rf  # the span of the inputs it sees (dilation can leave holes)


def test_wavenet_doubling_schedule():
    assert call("wavenet-receptive-field", {"k": 2, "dilations": [1, 2, 4, 8, 16]}).result == 32
    sol = call("wavenet-receptive-field", {"k": 2, "dilations": [1, 2, 4]})
    assert grade(sol, 7).mistake.name == "missing-plus-one"


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.floats(-5, 5), min_size=1, max_size=12),
    st.lists(st.floats(-2, 2), min_size=1, max_size=4),
    st.integers(1, 3),
)
def test_causal_conv_matches_torch_conv1d(x, w, d):
    got = call("causal-conv1d", {"x": x, "w": w, "dilation": d}).result
    pad = (len(w) - 1) * d
    ref = F.conv1d(F.pad(T(x)[None, None], (pad, 0)), T(w)[None, None], dilation=d)[0, 0]
    np.testing.assert_allclose(got, ref.numpy(), atol=1e-9)


@pytest.mark.parametrize(
    ("name", "args", "fragment"),
    [
        ("ar-log-likelihood", {"joint": [0.5, 0.5], "x": [0, 1]}, "expected 2"),
        ("ar-log-likelihood", {"joint": [0.5, 0.5], "x": [2]}, "0s and 1s"),
        ("made-masks", {"input_degrees": [1, 1], "hidden_degrees": [[1]]}, "permutation"),
        ("made-masks", {"input_degrees": [1, 2], "hidden_degrees": [[2]]}, "1..1"),
        ("pixelcnn-mask", {"k": 4}, "odd"),
        ("pixelcnn-mask", {"mask_type": "C"}, "A or B"),
        ("wavenet-receptive-field", {"dilations": [1, 0]}, "positive integers"),
        (
            "nade",
            {"W": [[1, 2]], "V": [[1, 2]], "b": [0, 0], "c": [0], "x": [1, 0]},
            "V: expected shape",
        ),
    ],
)
def test_bad_input(name, args, fragment):
    with pytest.raises(DlstudyError, match=fragment):
        call(name, args)


def test_causal_conv_long_input_matches_torch_and_is_bounded():
    from dlstudy.reference.autoregressive import MAX_CAUSAL_TERMS
    from dlstudy.reference.registry import MAX_ENTRY_STEPS

    x = np.random.default_rng(1).normal(size=500)
    sol = call("causal-conv1d", {"x": x.tolist(), "w": [0.5, -1.0, 2.0], "dilation": 4})
    ref = F.conv1d(
        F.pad(T(x.tolist())[None, None], (8, 0)), T([0.5, -1.0, 2.0])[None, None], dilation=4
    )
    np.testing.assert_allclose(sol.result, ref[0, 0].numpy(), atol=1e-9)
    assert len(sol.steps) == 1 + MAX_ENTRY_STEPS + 1  # the padding, the first outputs, the rest
    with pytest.raises(DlstudyError, match="at most 1,000,000 products"):
        call("causal-conv1d", {"x": [1.0] * 1000, "w": [1.0] * (MAX_CAUSAL_TERMS // 1000 + 1)})
    with pytest.raises(DlstudyError, match="padding"):
        call("causal-conv1d", {"x": [1.0], "w": [1.0, 1.0], "dilation": MAX_CAUSAL_TERMS + 1})
