"""LSTM and GRU cells against torch.nn.LSTMCell / GRUCell with copied weights, and autograd."""

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


def _cell(seed: int, gates: int, n_in: int, n_h: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "x": rng.normal(0, 1, n_in),
        "h": rng.normal(0, 0.5, n_h),
        "c": rng.normal(0, 1, n_h),
        "w_ih": rng.normal(0, 0.8, (gates * n_h, n_in)),
        "w_hh": rng.normal(0, 0.8, (gates * n_h, n_h)),
        "b_ih": rng.normal(0, 0.3, gates * n_h),
        "b_hh": rng.normal(0, 0.3, gates * n_h),
    }


def _copy(module: torch.nn.Module, a: dict[str, np.ndarray]) -> torch.nn.Module:
    with torch.no_grad():
        module.weight_ih.copy_(torch.tensor(a["w_ih"]))
        module.weight_hh.copy_(torch.tensor(a["w_hh"]))
        module.bias_ih.copy_(torch.tensor(a["b_ih"]))
        module.bias_hh.copy_(torch.tensor(a["b_hh"]))
    return module


def _lists(a: dict[str, np.ndarray], *keys: str) -> dict[str, list]:
    return {k: a[k].tolist() for k in keys}


LSTM_KEYS = ("x", "h", "c", "w_ih", "w_hh", "b_ih", "b_hh")
GRU_KEYS = ("x", "h", "w_ih", "w_hh", "b_ih", "b_hh")


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 10**6), st.integers(1, 4), st.integers(1, 4))
def test_lstm_cell_matches_torch(seed, n_in, n_h):
    a = _cell(seed, 4, n_in, n_h)
    cell = _copy(torch.nn.LSTMCell(n_in, n_h, dtype=F64), a)
    h, c = cell(
        torch.tensor(a["x"])[None], (torch.tensor(a["h"])[None], torch.tensor(a["c"])[None])
    )
    sol = call("lstm-cell", _lists(a, *LSTM_KEYS))
    np.testing.assert_allclose(sol.result["h"], h[0].detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(sol.result["c"], c[0].detach().numpy(), rtol=1e-12, atol=1e-14)


def test_lstm_cell_additive_path_is_diag_f():
    a = _cell(5, 4, 3, 2)
    cell = _copy(torch.nn.LSTMCell(3, 2, dtype=F64), a)
    x, h = torch.tensor(a["x"])[None], torch.tensor(a["h"])[None]
    J = torch.autograd.functional.jacobian(
        lambda c: cell(x, (h, c[None]))[1][0], torch.tensor(a["c"])
    ).numpy()
    sol = call("lstm-cell", _lists(a, *LSTM_KEYS))
    f = next(s.value for s in sol.steps if s.label.startswith("forget gate"))
    np.testing.assert_allclose(J, np.diag(f), atol=1e-14)
    path = next(s.value for s in sol.steps if s.label.startswith("additive path"))
    np.testing.assert_allclose(path, f)


def test_lstm_cell_by_hand_and_mistakes():
    # H = 1, I = 1, all weights 1 on x, none on h, h = 0, c = 0.5, x = 1:
    # i = f = o = σ(1), g = tanh(1), c' = σ(1)·0.5 + σ(1)·tanh(1), h' = σ(1)·tanh(c')
    s = 1 / (1 + np.exp(-1.0))
    c_new = s * 0.5 + s * np.tanh(1.0)
    sol = call(
        "lstm-cell",
        {"x": 1, "h": 0, "c": 0.5, "w_ih": [[1], [1], [1], [1]], "w_hh": [[0], [0], [0], [0]]},
    )
    assert sol.result["c"][0] == pytest.approx(c_new, rel=1e-14)
    assert sol.result["h"][0] == pytest.approx(s * np.tanh(c_new), rel=1e-14)
    verdict = grade(sol, {"h": [s * c_new], "c": [c_new]})
    assert verdict.mistake.name == "no-tanh-on-cell"


def test_lstm_wrong_gate_order_is_named():
    # distinct gate blocks: reading them as i, f, o, g (char-rnn's order) swaps g and o
    a = _cell(9, 4, 2, 2)
    sol = call("lstm-cell", _lists(a, *LSTM_KEYS))
    perm = np.r_[0:2, 2:4, 6:8, 4:6]  # torch rows i f g o ← a student's i f o g
    b = dict(
        a, w_ih=a["w_ih"][perm], w_hh=a["w_hh"][perm], b_ih=a["b_ih"][perm], b_hh=a["b_hh"][perm]
    )
    cell = _copy(torch.nn.LSTMCell(2, 2, dtype=F64), b)
    h, c = cell(
        torch.tensor(a["x"])[None], (torch.tensor(a["h"])[None], torch.tensor(a["c"])[None])
    )
    verdict = grade(sol, {"h": h[0].tolist(), "c": c[0].tolist()})
    assert not verdict.correct and verdict.mistake.name == "wrong-gate-order"


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 10**6), st.integers(1, 4), st.integers(1, 4))
def test_gru_cell_matches_torch(seed, n_in, n_h):
    a = _cell(seed, 3, n_in, n_h)
    cell = _copy(torch.nn.GRUCell(n_in, n_h, dtype=F64), a)
    h = cell(torch.tensor(a["x"])[None], torch.tensor(a["h"])[None])
    sol = call("gru-cell", _lists(a, *GRU_KEYS))
    np.testing.assert_allclose(sol.result, h[0].detach().numpy(), rtol=1e-12, atol=1e-14)


def test_gru_mistakes_are_named():
    a = _cell(13, 3, 2, 2)
    sol = call("gru-cell", _lists(a, *GRU_KEYS))
    # loop-based naive versions of the two other conventions
    x, h = a["x"], a["h"]
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    W, U, bi, bh = a["w_ih"], a["w_hh"], a["b_ih"], a["b_hh"]
    r = np.array([sig(W[j] @ x + bi[j] + U[j] @ h + bh[j]) for j in range(2)])
    z = np.array([sig(W[2 + j] @ x + bi[2 + j] + U[2 + j] @ h + bh[2 + j]) for j in range(2)])
    n_after = np.array(
        [np.tanh(W[4 + j] @ x + bi[4 + j] + r[j] * (U[4 + j] @ h + bh[4 + j])) for j in range(2)]
    )
    n_before = np.array(
        [np.tanh(W[4 + j] @ x + bi[4 + j] + U[4 + j] @ (r * h) + bh[4 + j]) for j in range(2)]
    )
    np.testing.assert_allclose(sol.result, (1 - z) * n_after + z * h, rtol=1e-12)
    assert grade(sol, (z * n_after + (1 - z) * h).tolist()).mistake.name == "update-gate-swapped"
    assert grade(sol, ((1 - z) * n_before + z * h).tolist()).mistake.name == "reset-before-matrix"


@pytest.mark.parametrize(
    ("name", "values", "fragment"),
    [
        (
            "lstm-cell",
            {
                "x": [1, 2, 3],
                "h": [0, 0],
                "c": [0, 0],
                "w_ih": np.zeros((6, 3)).tolist(),
                "w_hh": np.zeros((8, 2)).tolist(),
            },
            "w_ih: expected shape 4H×I = 8×3 for H = 2 (the length of h) and I = 3",
        ),
        (
            "lstm-cell",
            {
                "x": [1, 2, 3],
                "h": [0, 0],
                "c": [0, 0],
                "w_ih": np.zeros((8, 3)).tolist(),
                "w_hh": np.zeros((8, 3)).tolist(),
            },
            "w_hh: expected shape 4H×H = 8×2",
        ),
        (
            "lstm-cell",
            {
                "x": [1],
                "h": [0, 0],
                "c": [0, 0, 0],
                "w_ih": np.zeros((8, 1)).tolist(),
                "w_hh": np.zeros((8, 2)).tolist(),
            },
            "c: expected 2 entries",
        ),
        (
            "lstm-cell",
            {
                "x": [1],
                "h": [0, 0],
                "c": [0, 0],
                "w_ih": np.zeros((8, 1)).tolist(),
                "w_hh": np.zeros((8, 2)).tolist(),
                "b_ih": [0, 0],
            },
            "b_ih: expected 8 entries",
        ),
        (
            "gru-cell",
            {
                "x": [1],
                "h": [0, 0],
                "w_ih": np.zeros((8, 1)).tolist(),
                "w_hh": np.zeros((6, 2)).tolist(),
            },
            "w_ih: expected shape 3H×I = 6×1",
        ),
        ("lstm-cell", {"x": "abc", "h": [0], "c": [0], "w_ih": 1, "w_hh": 1}, "x:"),
    ],
)
def test_bad_input_is_a_domain_error(name, values, fragment):
    with pytest.raises(DlstudyError) as info:
        call(name, values)
    assert fragment in info.value.message
