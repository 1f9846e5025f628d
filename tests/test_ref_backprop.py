"""MLP forward and backward against torch autograd: every z, a, δ^l = ∂C/∂z^l, ∂W^l, ∂b^l and C."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from dlstudy.errors import DlstudyError
from dlstudy.grading import grade
from dlstudy.output import to_jsonable
from dlstudy.reference import registry
from dlstudy.reference.backprop import mlp_backward, mlp_forward

TORCH_ACT = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "linear": lambda z: z,
}


def torch_net(x, y, Ws, bs, hidden, last, loss):
    """The same net written in torch; returns z's (with grads), a's, W and b leaves and C."""
    Wt = [torch.tensor(np.asarray(W, dtype=np.float64), requires_grad=True) for W in Ws]
    bt = [torch.tensor(np.asarray(b, dtype=np.float64), requires_grad=True) for b in bs]
    a = torch.tensor(np.asarray(x, dtype=np.float64))
    zs, acts = [], []
    for i, (W, b) in enumerate(zip(Wt, bt, strict=True)):
        z = W @ a + b
        z.retain_grad()
        f = last if i == len(Wt) - 1 else hidden
        a = TORCH_ACT[f](z)
        zs.append(z)
        acts.append(a)
    yt = torch.tensor(np.asarray(y, dtype=np.float64))
    if loss == "squared":
        C = 0.5 * ((a - yt) ** 2).sum()
    else:
        C = F.binary_cross_entropy_with_logits(zs[-1], yt, reduction="sum")
    C.backward()
    return zs, acts, Wt, bt, C


@st.composite
def nets(draw):
    sizes = draw(st.lists(st.integers(1, 4), min_size=2, max_size=4))
    hidden = draw(st.sampled_from(["sigmoid", "tanh", "relu", "linear"]))
    loss = draw(st.sampled_from(["squared", "bce"]))
    last = (
        "sigmoid" if loss == "bce" else draw(st.sampled_from(["sigmoid", "tanh", "relu", "linear"]))
    )
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    Ws = [rng.normal(size=(sizes[i + 1], sizes[i])) for i in range(len(sizes) - 1)]
    bs = [rng.normal(size=sizes[i + 1]) for i in range(len(sizes) - 1)]
    x = rng.normal(size=sizes[0])
    y = (
        rng.integers(0, 2, size=sizes[-1]).astype(float)
        if loss == "bce"
        else rng.normal(size=sizes[-1])
    )
    return x, y, Ws, bs, hidden, last, loss


@settings(max_examples=150, deadline=None)
@given(nets())
def test_backward_matches_autograd(net):
    x, y, Ws, bs, hidden, last, loss = net
    zs, acts, Wt, bt, C = torch_net(x, y, Ws, bs, hidden, last, loss)
    sol = mlp_backward(x, y, Ws, bs, hidden, last, loss)
    r = sol.result
    assert r["loss"] == pytest.approx(C.item(), rel=1e-10, abs=1e-12)
    for i in range(len(Ws)):
        n = i + 1
        np.testing.assert_allclose(r[f"delta{n}"], zs[i].grad.numpy(), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(r[f"dW{n}"], Wt[i].grad.numpy(), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(r[f"db{n}"], bt[i].grad.numpy(), rtol=1e-9, atol=1e-12)
    # checkpoints: δ^L first, in the order backprop computes them
    assert [label for label, _ in sol.checkpoints] == [f"δ^{n}" for n in range(len(Ws), 0, -1)]
    fwd = mlp_forward(x, Ws, bs, hidden, last)
    np.testing.assert_allclose(fwd.result, acts[-1].detach().numpy(), rtol=1e-12, atol=1e-14)
    for (_, a), at in zip(fwd.checkpoints, acts, strict=True):
        np.testing.assert_allclose(a, at.detach().numpy(), rtol=1e-12, atol=1e-14)


def _two_layer():
    x = np.array([1.0, -1.0])
    y = np.array([0.0, 1.0])
    W1 = np.array([[0.5, -0.5], [1.0, 0.5]])
    W2 = np.array([[1.0, -1.0], [0.5, 2.0]])
    b1, b2 = np.array([0.0, 0.5]), np.array([-0.5, 0.0])
    return x, y, [W1, W2], [b1, b2]


def test_named_mistakes_against_torch_pieces():
    x, y, Ws, bs = _two_layer()
    zs, _, _, _, _ = torch_net(x, y, Ws, bs, "sigmoid", "sigmoid", "squared")
    d2 = zs[1].grad.numpy()
    s1 = torch.sigmoid(zs[0]).detach().numpy()
    sol = mlp_backward(x, y, Ws, bs)
    stages_ok = [d2, zs[0].grad.numpy()]
    assert grade(sol, stages_ok).correct
    # wrong transpose: δ^1 = W² δ² ⊙ σ'(z¹)
    wrong_t = Ws[1] @ d2 * s1 * (1 - s1)
    assert grade(sol, [d2, wrong_t]).first_wrong_step == "δ^1"
    wrong = dict(sol.result, delta1=wrong_t, db1=wrong_t, dW1=np.outer(wrong_t, x))
    assert grade(sol, wrong).mistake.name == "wrong-transpose"
    # missing f': the output δ is (a - y) alone and δ^1 = (W²)ᵀ δ²
    a2 = torch.sigmoid(zs[1]).detach().numpy()
    d2m, d1m = a2 - y, Ws[1].T @ (a2 - y)
    assert grade(sol, [d2m, d1m]).first_wrong_step == "δ^2"
    a1 = torch.sigmoid(zs[0]).detach().numpy()
    wrong = {
        "loss": sol.result["loss"],
        "delta1": d1m,
        "dW1": np.outer(d1m, x),
        "db1": d1m,
        "delta2": d2m,
        "dW2": np.outer(d2m, a1),
        "db2": d2m,
    }
    assert grade(sol, wrong).mistake.name == "missing-f-prime"
    names = {m.name for m in sol.mistakes}
    assert names == {"missing-f-prime", "dW-with-z", "wrong-transpose", "squared-without-half"}


def test_mistake_values_differ_from_the_answer():
    x, y, Ws, bs = _two_layer()
    sol = mlp_backward(x, y, Ws, bs, "tanh", "linear")
    for m in sol.mistakes:
        assert not grade(sol, m.value).correct
        assert grade(sol, m.value).mistake.name == m.name


def test_squared_without_half_and_dw_with_z_against_autograd():
    x, y, Ws, bs = _two_layer()
    mistakes = {m.name: m.value for m in mlp_backward(x, y, Ws, bs).mistakes}
    # C = ‖a² - y‖² without the ½, differentiated by torch
    W1, W2 = (torch.tensor(W, requires_grad=True) for W in Ws)
    z1 = W1 @ torch.tensor(x) + torch.tensor(bs[0])
    z1.retain_grad()
    z2 = W2 @ torch.sigmoid(z1) + torch.tensor(bs[1])
    z2.retain_grad()
    C = ((torch.sigmoid(z2) - torch.tensor(y)) ** 2).sum()
    C.backward()
    no_half = mistakes["squared-without-half"]
    assert no_half["loss"] == pytest.approx(C.item(), rel=1e-12)
    for got, grad in [
        ("delta1", z1.grad),
        ("delta2", z2.grad),
        ("dW1", W1.grad),
        ("dW2", W2.grad),
    ]:
        np.testing.assert_allclose(no_half[got], grad.numpy(), rtol=1e-12, err_msg=got)
    # dW-with-z: the right δ's, but ∂W² = δ² (z¹)ᵀ instead of δ² (a¹)ᵀ (∂W¹ = δ¹ xᵀ: a⁰ = x)
    zs, _, _, _, _ = torch_net(x, y, Ws, bs, "sigmoid", "sigmoid", "squared")
    with_z = mistakes["dW-with-z"]
    np.testing.assert_allclose(
        with_z["dW2"], np.outer(zs[1].grad.numpy(), zs[0].detach().numpy()), rtol=1e-12
    )
    np.testing.assert_allclose(with_z["dW1"], np.outer(zs[0].grad.numpy(), x), rtol=1e-12)


def test_forward_worked_example_and_mistakes():
    # z¹ = [0.5·1 − 0.5·(−1), 1 − 0.5] + [0, 0.5] = [1, 1]; relu → [1, 1]; z² = [0, 2.5] + b² = [−0.5, 2.5]
    x, _, Ws, bs = _two_layer()
    sol = registry.call(
        "mlp-forward",
        {
            "x": x.tolist(),
            "weights": [W.tolist() for W in Ws],
            "biases": [b.tolist() for b in bs],
            "activation": "relu",
            "output_activation": "linear",
        },
    )
    np.testing.assert_allclose(sol.result, [-0.5, 2.5])
    # without biases: z¹ = [1, 0.5] → z² = [0.5, 1.5]
    assert grade(sol, [0.5, 1.5]).mistake.name == "missing-bias"


def test_single_unit_layers_accept_vectors_and_scalars():
    sol = mlp_backward([1.0, 2.0], [1.0], [[0.5, -0.5], [2.0]], [0.0, 0.0], "sigmoid", "linear")
    zs, _, _, _, _ = torch_net(
        [1.0, 2.0],
        [1.0],
        [np.array([[0.5, -0.5]]), np.array([[2.0]])],
        [np.zeros(1), np.zeros(1)],
        "sigmoid",
        "linear",
        "squared",
    )
    np.testing.assert_allclose(sol.result["delta1"], zs[0].grad.numpy())


def test_bad_input():
    x, y, Ws, bs = _two_layer()
    with pytest.raises(DlstudyError, match=r"weights\[1\]: expected 2 columns"):
        mlp_forward(x, [Ws[0], np.ones((2, 3))])
    with pytest.raises(DlstudyError, match=r"weights\[0\]: expected 3 columns to match the input"):
        mlp_forward([1.0, 2.0, 3.0], Ws)
    with pytest.raises(DlstudyError, match=r"biases\[1\]"):
        mlp_forward(x, Ws, [bs[0], [1.0, 2.0, 3.0]])
    with pytest.raises(DlstudyError, match="biases: expected 2"):
        mlp_forward(x, Ws, [bs[0]])
    with pytest.raises(DlstudyError, match="did you mean 'tanh'"):
        mlp_forward(x, Ws, bs, "tahn")
    with pytest.raises(DlstudyError, match="bce needs a sigmoid output"):
        mlp_backward(x, y, Ws, bs, "relu", "linear", "bce")
    with pytest.raises(DlstudyError, match="y: expected 2 targets"):
        mlp_backward(x, [1.0], Ws, bs)
    with pytest.raises(DlstudyError, match="loss"):
        mlp_backward(x, y, Ws, bs, loss="hinge")
    with pytest.raises(DlstudyError, match="weights"):
        registry.call("mlp-forward", {"x": [1, 2], "weights": 3})
    with pytest.raises(DlstudyError, match="ragged"):
        registry.call("mlp-forward", {"x": [1, 2], "weights": [[[1, 2], [3]]]})


def test_results_are_plain_json_and_a_flat_weights_list_gets_a_hint():
    x, y, Ws, bs = _two_layer()
    payload = json.loads(json.dumps(to_jsonable(mlp_backward(x, y, Ws, bs).to_json())))
    assert set(payload["result"]) == {"loss", "delta1", "dW1", "db1", "delta2", "dW2", "db2"}
    with pytest.raises(DlstudyError) as err:
        mlp_forward([1, 2], [[1, 2], [3, 4]])
    assert "one per layer" in err.value.detail
