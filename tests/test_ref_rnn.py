"""RNN forward, BPTT, Jacobians, gradient regime and parameter counts against torch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dlstudy.errors import DlstudyError
from dlstudy.grading import grade
from dlstudy.reference.registry import call

F64 = torch.float64


def _rnn(seed: int, n_h: int, n_in: int, T: int, scale: float = 0.7) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "w_hh": rng.normal(0, scale, (n_h, n_h)),
        "w_xh": rng.normal(0, scale, (n_h, n_in)),
        "xs": rng.normal(0, 1, (T, n_in)),
        "b": rng.normal(0, 0.3, n_h),
        "b_hh": rng.normal(0, 0.3, n_h),
        "h0": rng.normal(0, 0.5, n_h),
    }


def _lists(d: dict[str, np.ndarray]) -> dict[str, list]:
    return {k: v.tolist() for k, v in d.items()}


def _torch_rnn(a: dict[str, np.ndarray]) -> torch.nn.RNN:
    n_h, n_in = a["w_xh"].shape
    rnn = torch.nn.RNN(n_in, n_h, nonlinearity="tanh", dtype=F64)
    with torch.no_grad():
        rnn.weight_hh_l0.copy_(torch.tensor(a["w_hh"]))
        rnn.weight_ih_l0.copy_(torch.tensor(a["w_xh"]))
        rnn.bias_ih_l0.copy_(torch.tensor(a["b"]))
        rnn.bias_hh_l0.copy_(torch.tensor(a["b_hh"]))
    return rnn


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10**6), st.integers(1, 4), st.integers(1, 3), st.integers(1, 5))
def test_forward_matches_torch_rnn_with_two_biases(seed, n_h, n_in, T):
    a = _rnn(seed, n_h, n_in, T)
    out, h_last = _torch_rnn(a)(
        torch.tensor(a["xs"])[:, None, :], torch.tensor(a["h0"])[None, None, :]
    )
    sol = call("rnn-forward", _lists(a))
    np.testing.assert_allclose(sol.result, out[:, 0, :].detach().numpy(), rtol=1e-12, atol=1e-12)
    assert [label for label, _ in sol.checkpoints] == [f"h_{t}" for t in range(1, T + 1)]
    np.testing.assert_allclose(sol.checkpoints[-1][1], h_last[0, 0].detach().numpy(), atol=1e-12)


def test_forward_scalar_rnn_by_hand():
    # h_t = tanh(0.5 h_{t-1} + x_t), h_0 = 0, x = 1, 2, 3
    sol = call("rnn-forward", {"w_hh": 0.5, "w_xh": 1, "xs": [1, 2, 3]})
    h1 = np.tanh(1.0)
    h2 = np.tanh(0.5 * h1 + 2.0)
    h3 = np.tanh(0.5 * h2 + 3.0)
    np.testing.assert_allclose(sol.result[:, 0], [h1, h2, h3], rtol=1e-14)
    linear = [1.0, 2.5, 4.25]
    assert grade(sol, [[v] for v in linear]).mistake.name == "missing-tanh"
    assert grade(sol, [h1, h2, h3]).correct  # a scalar RNN's states may be given as a flat list


def test_forward_single_bias_mistake():
    a = _rnn(3, 2, 2, 3)
    sol = call("rnn-forward", _lists(a))
    # oracle: torch's RNN with bias_hh zeroed, i.e. only the first bias b
    out, _ = _torch_rnn(dict(a, b_hh=np.zeros(2)))(
        torch.tensor(a["xs"])[:, None, :], torch.tensor(a["h0"])[None, None, :]
    )
    wrong = out[:, 0, :].detach().numpy()
    assert not np.allclose(wrong, sol.result)
    assert grade(sol, wrong.tolist()).mistake.name == "single-bias"


def test_forward_wrong_step_is_located():
    sol = call(
        "rnn-forward", {"w_hh": [[0.5, 0], [0.1, 0.3]], "w_xh": [[1], [0.5]], "xs": [1, 2, 3]}
    )
    stages = [h.tolist() for _, h in sol.checkpoints]
    stages[1] = [stages[1][0] + 0.1, stages[1][1]]
    # given as a list of h_t vectors of a 2-D state: same shape as the result, so per-entry wrongs
    verdict = grade(sol, stages)
    assert not verdict.correct
    assert verdict.wrong_entries[0]["entry"].startswith("[1]")


def _torch_loss(params, xs, ys, h0):
    W, U, b, V = params
    h = h0
    loss = 0.0
    for x, y in zip(xs, ys, strict=True):
        h = torch.tanh(W @ h + U @ x + b)
        loss = loss + ((y - V @ h) ** 2).sum()
    return loss


@settings(max_examples=40, deadline=None)
@given(
    st.integers(0, 10**6),
    st.integers(1, 3),
    st.integers(1, 3),
    st.integers(1, 2),
    st.integers(1, 5),
)
def test_bptt_matches_autograd(seed, n_h, n_in, n_out, T):
    a = _rnn(seed, n_h, n_in, T)
    rng = np.random.default_rng(seed + 1)
    w_hy = rng.normal(0, 1, (n_out, n_h))
    ys = rng.normal(0, 1, (T, n_out))
    params = [torch.tensor(a[k], requires_grad=True) for k in ("w_hh", "w_xh", "b")]
    params.append(torch.tensor(w_hy))
    _torch_loss(params, torch.tensor(a["xs"]), torch.tensor(ys), torch.tensor(a["h0"])).backward()
    sol = call(
        "rnn-bptt",
        {
            "w_hh": a["w_hh"].tolist(),
            "w_xh": a["w_xh"].tolist(),
            "w_hy": w_hy.tolist(),
            "xs": a["xs"].tolist(),
            "ys": ys.tolist(),
            "b": a["b"].tolist(),
            "h0": a["h0"].tolist(),
        },
    )
    for key, p in zip(("w_hh", "w_xh", "b"), params, strict=False):
        np.testing.assert_allclose(sol.result[key], p.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_bptt_mistakes_are_named():
    a = _rnn(7, 2, 1, 3)
    w_hy = np.array([[1.0, -0.5]])
    ys = np.array([[0.3], [-0.2], [0.5]])
    args = {
        "w_hh": a["w_hh"].tolist(),
        "w_xh": a["w_xh"].tolist(),
        "w_hy": w_hy.tolist(),
        "xs": a["xs"].tolist(),
        "ys": ys.tolist(),
    }
    sol = call("rnn-bptt", args)
    # oracle for "no BPTT": autograd with h_{t-1} detached (only the direct term k = t)
    W, U, b = (torch.tensor(v, requires_grad=True) for v in (a["w_hh"], a["w_xh"], np.zeros(2)))
    h = torch.zeros(2, dtype=F64)
    loss = 0.0
    for x, y in zip(torch.tensor(a["xs"]), torch.tensor(ys), strict=True):
        h = torch.tanh(W @ h.detach() + U @ x + b)
        loss = loss + ((y - torch.tensor(w_hy) @ h) ** 2).sum()
    loss.backward()
    given_answer = {"w_hh": W.grad.tolist(), "w_xh": U.grad.tolist(), "b": b.grad.tolist()}
    assert grade(sol, given_answer).mistake.name == "no-backprop-through-time"
    half = {k: (np.asarray(v) / 2).tolist() for k, v in sol.result.items()}
    assert grade(sol, half).mistake.name == "missing-factor-2"


def _torch_states(W, U, b, h0, xs, form):
    hs = [h0]
    for x in xs:
        if form == "tanh":
            hs.append(torch.tanh(W @ hs[-1] + U @ x + b))
        else:
            hs.append(W @ torch.tanh(hs[-1]) + U @ x + b)
    return hs


@settings(max_examples=50, deadline=None)
@given(
    st.integers(0, 10**6),
    st.integers(1, 3),
    st.integers(2, 5),
    st.sampled_from(["tanh", "notes"]),
    st.data(),
)
def test_jacobian_matches_autograd(seed, n_h, T, form, data):
    t = data.draw(st.integers(1, T))
    k = data.draw(st.integers(0, t - 1))
    a = _rnn(seed, n_h, 2, T, scale=0.9)
    W, U, b, xs = (torch.tensor(a[key]) for key in ("w_hh", "w_xh", "b", "xs"))
    h0 = torch.tensor(a["h0"])
    hk = _torch_states(W, U, b, h0, xs, form)[k]

    def h_t_from_h_k(h):
        return _torch_states(W, U, b, h, xs[k:t], form)[-1]

    J = torch.autograd.functional.jacobian(h_t_from_h_k, hk).numpy()
    sol = call(
        "rnn-jacobian",
        {
            **{key: a[key].tolist() for key in ("w_hh", "w_xh", "xs", "b", "h0")},
            "t": t,
            "k": k,
            "form": form,
        },
    )
    np.testing.assert_allclose(sol.result["jacobian"], J, rtol=1e-10, atol=1e-12)
    norm = np.linalg.svd(J, compute_uv=False).max()
    assert sol.result["norm"] == pytest.approx(norm, rel=1e-10, abs=1e-14)
    w_norm = np.linalg.svd(a["w_hh"], compute_uv=False).max()
    assert sol.result["bound"] == pytest.approx(w_norm ** (t - k), rel=1e-10)
    assert sol.result["norm"] <= sol.result["bound"] * (1 + 1e-12)  # the notes' bound holds


def test_jacobian_wrong_order_and_missing_tanh_prime():
    a = _rnn(11, 2, 1, 3, scale=1.0)
    args = {**{key: a[key].tolist() for key in ("w_hh", "w_xh", "xs", "b", "h0")}, "t": 3, "k": 0}
    sol = call("rnn-jacobian", args)
    W, U, b, xs = (torch.tensor(a[key]) for key in ("w_hh", "w_xh", "b", "xs"))
    hs = _torch_states(W, U, b, torch.tensor(a["h0"]), xs, "tanh")
    # per-step Jacobians from autograd, multiplied in the wrong order J_1 J_2 J_3
    Js = [
        torch.autograd.functional.jacobian(
            lambda h, i=i: torch.tanh(W @ h + U @ xs[i - 1] + b), hs[i - 1]
        ).numpy()
        for i in (1, 2, 3)
    ]
    wrong = Js[0] @ Js[1] @ Js[2]
    assert not np.allclose(wrong, sol.result["jacobian"])
    given_answer = {
        "jacobian": wrong.tolist(),
        "norm": float(np.linalg.norm(wrong, 2)),
        "bound": sol.result["bound"],
    }
    assert grade(sol, given_answer).mistake.name == "wrong-order"
    w3 = np.linalg.matrix_power(a["w_hh"], 3)
    given_answer = {
        "jacobian": w3.tolist(),
        "norm": float(np.linalg.norm(w3, 2)),
        "bound": sol.result["bound"],
    }
    assert grade(sol, given_answer).mistake.name == "missing-tanh-derivative"


@pytest.mark.parametrize(
    ("w", "activation", "gamma", "regime"),
    [
        (0.5, "tanh", 1.0, "vanishing guaranteed"),
        (1.5, "tanh", 1.0, "exploding possible"),
        (3.0, "sigmoid", 0.25, "vanishing guaranteed"),
        (4.0, "sigmoid", 0.25, "exploding possible"),  # λ = 1/γ exactly: not guaranteed to vanish
        ([[0, 2], [0, 0]], "tanh", 1.0, "exploding possible"),  # claims.md: ‖W‖ = 2 but W² = 0
        ([[0.6, 0], [0, -0.8]], "tanh", 1.0, "vanishing guaranteed"),
    ],
)
def test_gradient_regime(w, activation, gamma, regime):
    sol = call("rnn-gradient-regime", {"w_hh": w, "activation": activation})
    W = np.atleast_2d(np.asarray(w, dtype=float))
    assert sol.result["norm"] == pytest.approx(
        np.sqrt(np.linalg.eigvalsh(W.T @ W).max()), rel=1e-12
    )
    assert sol.result["gamma"] == gamma
    assert sol.result["threshold"] == 1 / gamma
    assert sol.result["bound"] == pytest.approx(sol.result["norm"] * gamma)
    assert sol.result["regime"] == regime


def test_gamma_is_the_sup_of_the_derivative():
    # γ = sup f': checked numerically on a fine grid (tanh' max 1 at 0; σ' max 1/4 at 0)
    x = torch.linspace(-10, 10, 20001, dtype=F64, requires_grad=True)
    (g_tanh,) = torch.autograd.grad(torch.tanh(x).sum(), x)
    (g_sig,) = torch.autograd.grad(torch.sigmoid(x).sum(), x)
    for act, g in (("tanh", g_tanh), ("sigmoid", g_sig)):
        assert call("rnn-gradient-regime", {"w_hh": 1, "activation": act}).result[
            "gamma"
        ] == pytest.approx(float(g.max()), rel=1e-12)


def test_regime_mistake_other_gamma():
    sol = call("rnn-gradient-regime", {"w_hh": 2.0, "activation": "sigmoid"})
    assert sol.result["regime"] == "vanishing guaranteed"
    wrong = dict(sol.result, gamma=1.0, bound=2.0, threshold=1.0, regime="exploding possible")
    assert grade(sol, wrong).mistake.name == "gamma-of-the-other-activation"


@pytest.mark.parametrize(
    ("n_in", "n_h", "layers", "bidirectional"),
    [(10, 20, 1, False), (3, 5, 2, False), (4, 6, 3, True), (1, 1, 1, True)],
)
def test_params_match_torch(n_in, n_h, layers, bidirectional):
    for name, cls in (
        ("rnn-params", torch.nn.RNN),
        ("lstm-params", torch.nn.LSTM),
        ("gru-params", torch.nn.GRU),
    ):
        module = cls(n_in, n_h, num_layers=layers, bidirectional=bidirectional)
        expected = sum(p.numel() for p in module.parameters())
        args = {
            "input_size": n_in,
            "hidden_size": n_h,
            "num_layers": layers,
            "bidirectional": bidirectional,
        }
        assert call(name, args).result == expected
        no_bias = sum(
            p.numel()
            for p in cls(
                n_in, n_h, num_layers=layers, bidirectional=bidirectional, bias=False
            ).parameters()
        )
        assert call(name, {**args, "biases": 0}).result == no_bias


def test_params_mistakes():
    sol = call("lstm-params", {"input_size": 10, "hidden_size": 20})
    assert sol.result == 4 * (20 * 10 + 20 * 20 + 2 * 20)
    assert grade(sol, 20 * 10 + 20 * 20 + 2 * 20).mistake.name == "one-gate"
    assert grade(sol, 4 * (20 * 10 + 20 * 20 + 20)).mistake.name == "one-bias"
    textbook = call("rnn-params", {"input_size": 10, "hidden_size": 20, "biases": 1})
    assert textbook.result == 20 * 10 + 20 * 20 + 20
    assert grade(textbook, 20 * 10 + 20 * 20 + 40).mistake.name == "two-biases"


@pytest.mark.parametrize(
    ("name", "values", "fragment"),
    [
        ("rnn-forward", {"w_hh": [[1, 2, 3]], "w_xh": [[1]], "xs": [1]}, "w_hh: expected a square"),
        (
            "rnn-forward",
            {"w_hh": [[1, 0], [0, 1]], "w_xh": [[1, 2, 3]], "xs": [1]},
            "w_xh: expected shape 2×?",
        ),
        (
            "rnn-forward",
            {"w_hh": [[1, 0], [0, 1]], "w_xh": [[1], [1]], "xs": [[1, 2]]},
            "xs: expected T rows of 1",
        ),
        ("rnn-forward", {"w_hh": 1, "w_xh": 1, "xs": [1], "h0": [1, 2]}, "h0: expected 1 entries"),
        (
            "rnn-jacobian",
            {"w_hh": 1, "w_xh": 1, "xs": [1, 2], "t": 3, "k": 0},
            "t: expected 1 <= t <= T = 2",
        ),
        (
            "rnn-jacobian",
            {"w_hh": 1, "w_xh": 1, "xs": [1, 2], "t": 2, "k": 2},
            "k: expected 0 <= k < t",
        ),
        (
            "rnn-jacobian",
            {"w_hh": 1, "w_xh": 1, "xs": [1, 2], "t": 2, "k": 0, "form": "relu"},
            "form",
        ),
        (
            "rnn-bptt",
            {"w_hh": 1, "w_xh": 1, "w_hy": 1, "xs": [1, 2], "ys": [1]},
            "ys: expected 2 targets",
        ),
        (
            "rnn-gradient-regime",
            {"w_hh": 1, "activation": "relu"},
            "activation: expected tanh or sigmoid",
        ),
        ("rnn-gradient-regime", {"w_hh": [[1, 2]]}, "w_hh: expected a square"),
        (
            "rnn-params",
            {"input_size": 0, "hidden_size": 3},
            "input_size: expected a positive integer",
        ),
        ("lstm-params", {"input_size": 3, "hidden_size": 3, "biases": 3}, "biases"),
    ],
)
def test_bad_input_is_a_domain_error(name, values, fragment):
    with pytest.raises(DlstudyError) as info:
        call(name, values)
    assert fragment in info.value.message


@pytest.mark.filterwarnings("error::RuntimeWarning")
@pytest.mark.parametrize(
    ("name", "values"),
    [
        ("rnn-jacobian", {"w_hh": 1e300, "w_xh": 1, "xs": [1, 2, 3], "t": 3, "k": 0}),
        (
            "rnn-bptt",
            {"w_hh": 1e300, "w_xh": 1e300, "w_hy": 1e300, "xs": [1e300, -1e300], "ys": [1e300, 1]},
        ),
        (
            "lstm-cell",
            {
                "x": [1e300],
                "h": [1e300],
                "c": [1e300],
                "w_ih": [[1e300]] * 4,
                "w_hh": [[-1e300]] * 4,
            },
        ),
        ("gru-cell", {"x": [1e300], "h": [1e300], "w_ih": [[1e300]] * 3, "w_hh": [[-1e300]] * 3}),
        ("gaussian-kl", {"mu1": 1e300, "sigma1": 1e-300, "mu2": 0, "sigma2": 1e-300}),
        ("pca", {"x": [[1e300, 1], [-1e300, 2], [3, 1e-300]], "k": 1}),
        ("vae-kl", {"mu": [1], "logvar": [2000]}),  # σ = exp(1000) overflows
        ("reparameterize", {"mu": [1], "eps": [1e300], "sigma": [1e300]}),
        (
            "pix2pix-loss",
            {"d_real": [0.5], "d_fake": [0.5], "y": [1e300], "g_out": [0], "lambda": 1e300},
        ),
        ("nade", {"W": [[1000]], "V": [[1000]], "b": [0], "c": [0], "x": [0]}),  # log(1 - 1)
        ("causal-conv1d", {"x": [1e300, 1e300], "w": [1e300, 1]}),
    ],
)
def test_overflow_is_a_domain_error_not_nan(name, values):
    with pytest.raises(DlstudyError, match="float64"):
        call(name, values)


def test_huge_layer_counts_are_closed_form():
    n = 2**31 - 1
    result = call("lstm-params", {"input_size": n, "hidden_size": n, "num_layers": n}).result
    first = 4 * (n * n + n * n + 2 * n)
    assert result == first + (n - 1) * first  # I = H: every layer has the same size


def test_forward_long_sequence_writes_out_only_the_first_states():
    """T = 300 > MAX_ENTRY_STEPS: every state still matches torch's nn.RNN; only the first states
    are written out as steps and checkpoints."""
    from dlstudy.reference.registry import MAX_ENTRY_STEPS

    a = _rnn(5, 2, 1, 300, scale=0.5)
    out, _ = _torch_rnn(a)(torch.tensor(a["xs"])[:, None, :], torch.tensor(a["h0"])[None, None, :])
    sol = call("rnn-forward", _lists(a))
    np.testing.assert_allclose(sol.result, out[:, 0, :].detach().numpy(), rtol=1e-12, atol=1e-12)
    assert len(sol.checkpoints) == MAX_ENTRY_STEPS
    assert sol.steps[-1].detail == f"{300 - MAX_ENTRY_STEPS} more states h_t the same way"
