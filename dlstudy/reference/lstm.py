"""LSTM and GRU cells (notes: "LSTM"), in torch's layout, and their parameter counts.

LSTM (``torch.nn.LSTMCell``): the stacked weights ``w_ih`` (4H×I) and ``w_hh`` (4H×H) hold the gates
in the order i, f, g, o:

    i = σ(·), f = σ(·), g = tanh(·), o = σ(·)
    c' = f ⊙ c + i ⊙ g          (the additive cell path: ∂c'/∂c = diag(f))
    h' = o ⊙ tanh(c')

GRU (``torch.nn.GRUCell``): ``w_ih`` (3H×I), ``w_hh`` (3H×H), gates in the order r, z, n:

    r = σ(W_ir x + b_ir + W_hr h + b_hr),  z = σ(W_iz x + b_iz + W_hz h + b_hz)
    n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)),  h' = (1 - z) ⊙ n + z ⊙ h
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlstudy.errors import DlstudyError
from dlstudy.reference.recurrent_params import COUNT_HELP, param_count_solution
from dlstudy.reference.registry import (
    ASIDE,
    Mistake,
    Solution,
    Step,
    as_array,
    reference,
)
from dlstudy.reference.rnn import sized_vector

LSTM_GATES = ("i", "f", "g", "o")
GRU_GATES = ("r", "z", "n")


def sigmoid(a: np.ndarray) -> np.ndarray:
    """σ(a) = 1/(1 + e^{-a}), computed without overflow."""
    return np.exp(-np.logaddexp(0.0, -a))


def cell_args(
    x: Any, h: Any, w_ih: Any, w_hh: Any, b_ih: Any, b_hh: Any, n_gates: int, cell: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Validated x (I), h (H), W_ih (G·H×I), W_hh (G·H×H), b_ih, b_hh (G·H) of a gated cell."""
    xv = sized_vector(x, "x")
    hv = sized_vector(h, "h")
    n_in, n_h = xv.size, hv.size
    rows = n_gates * n_h
    origin = f"for H = {n_h} (the length of h) and I = {n_in} (the length of x)"
    weights = []
    for label, value, cols, cols_name in (("w_ih", w_ih, n_in, "I"), ("w_hh", w_hh, n_h, "H")):
        arr = as_array(value, label)
        if arr.ndim == 1 and cols == 1:
            arr = arr[:, None]
        if arr.shape != (rows, cols):
            raise DlstudyError(
                f"{label}: expected shape {n_gates}H×{cols_name} = {rows}×{cols} {origin}, "
                f"got {'×'.join(map(str, arr.shape)) or 'a number'} ({cell} stacks {n_gates} gates "
                f"{', '.join(LSTM_GATES if n_gates == 4 else GRU_GATES)} row-wise)"
            )
        weights.append(arr)
    biases = [
        sized_vector(b, label, rows, default=0.0) for label, b in (("b_ih", b_ih), ("b_hh", b_hh))
    ]
    return xv, hv, weights[0], weights[1], biases[0], biases[1]


def _split(v: np.ndarray, n: int) -> list[np.ndarray]:
    return list(np.split(v, n))


def _block(b: np.ndarray, index: int, blocks: int) -> np.ndarray:
    """Gate ``index`` of a bias vector stacked in ``blocks`` equal blocks."""
    size = b.size // blocks
    return b[index * size : (index + 1) * size]


def _bias_terms(
    bi: np.ndarray, bh: np.ndarray, gate: str = "", index: int = -1, blocks: int = 4
) -> str:
    """`` + b_ih + b_hh`` with only the biases that are non-zero (none: no bias in the formula)."""
    if index >= 0:
        bi, bh = _block(bi, index, blocks), _block(bh, index, blocks)
    names = (f"b_i{gate}", f"b_h{gate}") if gate else ("b_ih", "b_hh")
    return "".join(f" + {n}" for n, b in zip(names, (bi, bh), strict=True) if np.any(b))


def lstm_step(
    x: np.ndarray,
    h: np.ndarray,
    c: np.ndarray,
    W_ih: np.ndarray,
    W_hh: np.ndarray,
    b_ih: np.ndarray,
    b_hh: np.ndarray,
    order: tuple[str, ...] = LSTM_GATES,
) -> dict[str, np.ndarray]:
    """One LSTM step; ``order`` names the gates of the four row blocks (torch: i, f, g, o)."""
    a = W_ih @ x + b_ih + W_hh @ h + b_hh
    blocks = dict(zip(order, _split(a, 4), strict=True))
    i, f, o = sigmoid(blocks["i"]), sigmoid(blocks["f"]), sigmoid(blocks["o"])
    g = np.tanh(blocks["g"])
    # c' = f ⊙ c + i ⊙ g
    c_new = f * c + i * g
    # h' = o ⊙ tanh(c')
    h_new = o * np.tanh(c_new)
    return {"a": a, "i": i, "f": f, "g": g, "o": o, "c": c_new, "h": h_new}


@reference(
    "lstm-cell",
    section="lstm",
    summary="one LSTM step (torch layout, gates i, f, g, o): c' = f⊙c + i⊙g, h' = o⊙tanh(c')",
    params_help={
        "x": "input x (I)",
        "h": "previous hidden state h (H)",
        "c": "previous cell state c (H)",
        "w_ih": "input weights, 4H×I, row blocks i, f, g, o",
        "w_hh": "recurrent weights, 4H×H, row blocks i, f, g, o",
        "b_ih": "input bias (4H), default 0",
        "b_hh": "recurrent bias (4H), default 0",
    },
)
def lstm_cell(
    x: np.ndarray,
    h: np.ndarray,
    c: np.ndarray,
    w_ih: np.ndarray,
    w_hh: np.ndarray,
    b_ih: np.ndarray | None = None,
    b_hh: np.ndarray | None = None,
) -> Solution:
    r"""One step of an LSTM cell in torch's layout.

    .. math::
        [a_i; a_f; a_g; a_o] = W_{ih} x + b_{ih} + W_{hh} h + b_{hh}

    .. math::
        c' = \sigma(a_f)\odot c + \sigma(a_i)\odot\tanh(a_g),\qquad h' = \sigma(a_o)\odot\tanh(c')

    Parameters
    ----------
    x : ndarray of shape (I,)
    h, c : ndarray of shape (H,)
    w_ih : ndarray of shape (4H, I)
    w_hh : ndarray of shape (4H, H)
    b_ih, b_hh : ndarray of shape (4H,), optional
        Zero by default.

    Returns
    -------
    Solution
        ``result``: ``{"h": h' (H,), "c": c' (H,)}``.
    """
    xv, hv, W_ih, W_hh, bi, bh = cell_args(x, h, w_ih, w_hh, b_ih, b_hh, 4, "the LSTM")
    cv = sized_vector(c, "c", hv.size)
    s = lstm_step(xv, hv, cv, W_ih, W_hh, bi, bh)
    steps = [
        Step(
            f"pre-activations a = W_ih x + W_hh h{_bias_terms(bi, bh)} (blocks i, f, g, o)",
            s["a"],
        ),
        Step("input gate i = σ(a_i)", s["i"]),
        Step("forget gate f = σ(a_f)", s["f"]),
        Step("candidate g = tanh(a_g)", s["g"]),
        Step("output gate o = σ(a_o)", s["o"], part="h"),
        Step("c' = f ⊙ c + i ⊙ g", s["c"]),
        Step("tanh(c')", np.tanh(s["c"]), part="h"),
        Step("h' = o ⊙ tanh(c')", s["h"], part="h"),
        Step(
            "additive path ∂c'/∂c = diag(f)",
            s["f"],
            "no W and no tanh' on the cell path",
            part=ASIDE,
        ),
    ]
    result = {"h": s["h"], "c": s["c"]}
    mistakes = [
        Mistake(
            "no-tanh-on-cell",
            "h' = o ⊙ tanh(c'): you left out the tanh of the cell state",
            {"h": s["o"] * s["c"], "c": s["c"]},
        )
    ]
    for order, source in (
        (("i", "f", "o", "g"), "i, f, o, g"),
        (("f", "i", "g", "o"), "f, i, g, o"),
    ):
        w = lstm_step(xv, hv, cv, W_ih, W_hh, bi, bh, order)
        mistakes.append(
            Mistake(
                "wrong-gate-order",
                f"you read the gate blocks in the order {source}: torch stacks them i, f, g, o",
                {"h": w["h"], "c": w["c"]},
            )
        )
    c_no_forget = cv + s["i"] * s["g"]
    mistakes.append(
        Mistake(
            "no-forget-gate",
            "c' = f ⊙ c + i ⊙ g: the old cell state is scaled by the forget gate",
            {"h": s["o"] * np.tanh(c_no_forget), "c": c_no_forget},
        )
    )
    return Solution(
        result,
        steps,
        mistakes,
        convention="torch layout: W_ih, W_hh stack the gates i, f, g, o row-wise; biases b_ih + b_hh",
    )


def gru_step(
    x: np.ndarray,
    h: np.ndarray,
    W_ih: np.ndarray,
    W_hh: np.ndarray,
    b_ih: np.ndarray,
    b_hh: np.ndarray,
    *,
    reset_after: bool = True,
    z_keeps_old: bool = True,
) -> dict[str, np.ndarray]:
    """One GRU step in torch's layout (``reset_after=False``: r applied to h before W_hn, as in
    Cho et al.; ``z_keeps_old=False``: h' = z ⊙ n + (1 - z) ⊙ h)."""
    xr, xz, xn = _split(W_ih @ x + b_ih, 3)
    hr, hz, hn = _split(W_hh @ h + b_hh, 3)
    r = sigmoid(xr + hr)
    z = sigmoid(xz + hz)
    if reset_after:
        # n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
        n = np.tanh(xn + r * hn)
    else:
        n_h = h.size
        n = np.tanh(xn + W_hh[2 * n_h :] @ (r * h) + b_hh[2 * n_h :])
    # h' = (1 - z) ⊙ n + z ⊙ h
    h_new = (1.0 - z) * n + z * h if z_keeps_old else z * n + (1.0 - z) * h
    return {"r": r, "z": z, "n": n, "h": h_new}


@reference(
    "gru-cell",
    section="lstm",
    summary="one GRU step (torch layout, gates r, z, n): h' = (1-z)⊙n + z⊙h",
    params_help={
        "x": "input x (I)",
        "h": "previous hidden state h (H)",
        "w_ih": "input weights, 3H×I, row blocks r, z, n",
        "w_hh": "recurrent weights, 3H×H, row blocks r, z, n",
        "b_ih": "input bias (3H), default 0",
        "b_hh": "recurrent bias (3H), default 0",
    },
)
def gru_cell(
    x: np.ndarray,
    h: np.ndarray,
    w_ih: np.ndarray,
    w_hh: np.ndarray,
    b_ih: np.ndarray | None = None,
    b_hh: np.ndarray | None = None,
) -> Solution:
    r"""One step of a GRU cell in torch's layout.

    .. math::
        r = \sigma(W_{ir}x + b_{ir} + W_{hr}h + b_{hr}),\quad
        z = \sigma(W_{iz}x + b_{iz} + W_{hz}h + b_{hz})

    .. math::
        n = \tanh(W_{in}x + b_{in} + r\odot(W_{hn}h + b_{hn})),\quad h' = (1 - z)\odot n + z\odot h

    Parameters
    ----------
    x : ndarray of shape (I,)
    h : ndarray of shape (H,)
    w_ih : ndarray of shape (3H, I)
    w_hh : ndarray of shape (3H, H)
    b_ih, b_hh : ndarray of shape (3H,), optional

    Returns
    -------
    Solution
        ``result``: the new hidden state h' (H,).
    """
    xv, hv, W_ih, W_hh, bi, bh = cell_args(x, h, w_ih, w_hh, b_ih, b_hh, 3, "the GRU")
    s = gru_step(xv, hv, W_ih, W_hh, bi, bh)
    steps = [
        Step(f"reset gate r = σ(W_ir x + W_hr h{_bias_terms(bi, bh, 'r', 0, 3)})", s["r"]),
        Step(f"update gate z = σ(W_iz x + W_hz h{_bias_terms(bi, bh, 'z', 1, 3)})", s["z"]),
        Step(
            "candidate n = tanh(W_in x"
            + (" + b_in" if np.any(_block(bi, 2, 3)) else "")
            + " + r ⊙ (W_hn h"
            + (" + b_hn" if np.any(_block(bh, 2, 3)) else "")
            + "))",
            s["n"],
        ),
        Step("h' = (1 − z) ⊙ n + z ⊙ h", s["h"]),
    ]
    mistakes = [
        Mistake(
            "update-gate-swapped",
            "in torch's GRU z keeps the old state: h' = (1 - z) ⊙ n + z ⊙ h",
            gru_step(xv, hv, W_ih, W_hh, bi, bh, z_keeps_old=False)["h"],
        ),
        Mistake(
            "reset-before-matrix",
            "torch applies r after the matrix: r ⊙ (W_hn h + b_hn), not W_hn (r ⊙ h) + b_hn",
            gru_step(xv, hv, W_ih, W_hh, bi, bh, reset_after=False)["h"],
        ),
    ]
    return Solution(
        s["h"],
        steps,
        mistakes,
        convention="torch layout: W_ih, W_hh stack the gates r, z, n row-wise; biases b_ih + b_hh",
    )


@reference(
    "lstm-params",
    section="lstm",
    summary="parameters of nn.LSTM: 4(H·I + H·H + 2H) per layer and direction",
    params_help=COUNT_HELP,
)
def lstm_params(
    input_size: int,
    hidden_size: int,
    num_layers: int = 1,
    bidirectional: bool = False,
    biases: int = 2,
) -> Solution:
    """Parameter count of an LSTM, as ``torch.nn.LSTM`` counts it.

    .. math:: N = 4(H I + H^2 + 2H) \\quad\\text{(one layer, one direction, torch's two biases)}

    Parameters
    ----------
    input_size, hidden_size : int
        I and H.
    num_layers : int
        Stacked layers; layers after the first take H·directions inputs.
    bidirectional : bool
    biases : {2, 1, 0}
        Bias vectors per gate (torch two, textbook one).

    Returns
    -------
    Solution
        ``result``: the number of parameters.
    """
    return param_count_solution(
        "LSTM", 4, input_size, hidden_size, num_layers, bidirectional, biases
    )


@reference(
    "gru-params",
    section="lstm",
    summary="parameters of nn.GRU: 3(H·I + H·H + 2H) per layer and direction",
    params_help=COUNT_HELP,
)
def gru_params(
    input_size: int,
    hidden_size: int,
    num_layers: int = 1,
    bidirectional: bool = False,
    biases: int = 2,
) -> Solution:
    """Parameter count of a GRU, as ``torch.nn.GRU`` counts it.

    .. math:: N = 3(H I + H^2 + 2H) \\quad\\text{(one layer, one direction, torch's two biases)}

    Parameters
    ----------
    input_size, hidden_size : int
        I and H.
    num_layers : int
    bidirectional : bool
    biases : {2, 1, 0}

    Returns
    -------
    Solution
        ``result``: the number of parameters.
    """
    return param_count_solution(
        "GRU", 3, input_size, hidden_size, num_layers, bidirectional, biases
    )
