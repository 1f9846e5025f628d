"""Vanilla RNN (notes: "RNN"): forward pass, BPTT, the Jacobian product ∂h_t/∂h_k and its bound,
the vanishing/exploding classification, and parameter counts of torch's recurrent layers.

Model (the notes' first form; torch's ``nn.RNN`` with ``nonlinearity="tanh"``):

    h_t = tanh(W_hh h_{t-1} + W_xh x_t + b),   ŷ_t = W_hy h_t,   L = Σ_t ‖y_t - ŷ_t‖²

``W_xh`` is the notes' ``W_hx`` (it maps x to h: shape H×I). torch adds two bias vectors
(``b_ih + b_hh``); here ``b`` is one vector and ``b_hh`` an optional second one.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlstudy.errors import DlstudyError
from dlstudy.output import format_array, format_number
from dlstudy.reference.registry import (
    MAX_ENTRY_STEPS,
    Mistake,
    Solution,
    Step,
    as_array,
    reference,
    steps_left,
)

GAMMA = {"tanh": 1.0, "sigmoid": 0.25}


def _text(v: np.ndarray) -> str:
    """A state as a student writes it: a number for one unit, else ``[a, b]``."""
    return format_number(float(v[0]), 6) if v.size == 1 else format_array(v, 6)


# ------------------------------------------------------------------------------------- arguments


def as_matrix(value: Any, label: str, shape: tuple[int | None, int | None]) -> np.ndarray:
    """A 2-D float array of ``shape`` (``None`` = any); a number is a 1×1 matrix and a vector a
    column when one column is expected, else a row."""
    arr = as_array(value, label)
    if arr.ndim == 0:
        arr = arr.reshape(1, 1)
    elif arr.ndim == 1:
        arr = arr[:, None] if shape[1] == 1 else arr[None, :]
    if arr.ndim != 2:
        raise DlstudyError(f"{label}: expected a matrix, got shape {arr.shape}")
    for axis, want in enumerate(shape):
        if want is not None and arr.shape[axis] != want:
            expected = "×".join("?" if s is None else str(s) for s in shape)
            got = "×".join(map(str, arr.shape))
            raise DlstudyError(f"{label}: expected shape {expected}, got {got}")
    return arr


def sized_vector(
    value: Any, label: str, n: int | None = None, default: float | None = None
) -> np.ndarray:
    """A 1-D float array of length ``n``; ``None`` gives ``default`` repeated, a number broadcasts."""
    if value is None:
        if default is None or n is None:
            raise DlstudyError(f"{label}: a value is required")
        return np.full(n, float(default))
    arr = as_array(value, label)
    if arr.ndim == 0:
        return np.full(n or 1, float(arr))
    if arr.ndim == 2 and 1 in arr.shape:
        arr = arr.reshape(-1)
    if arr.ndim != 1:
        raise DlstudyError(f"{label}: expected a vector, got shape {arr.shape}")
    if n is not None and arr.size != n:
        raise DlstudyError(f"{label}: expected {n} entries, got {arr.size}")
    return arr


def as_sequence(value: Any, label: str, n_in: int) -> np.ndarray:
    """The inputs x_1..x_T as a T×I matrix: rows are time steps; with I = 1 a vector is T scalars."""
    arr = as_array(value, label)
    if arr.ndim == 0:
        arr = arr.reshape(1, 1)
    elif arr.ndim == 1:
        arr = arr[:, None] if n_in == 1 else arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != n_in:
        raise DlstudyError(
            f"{label}: expected T rows of {n_in} input value(s) (one row per time step), "
            f"got shape {arr.shape}"
        )
    return arr


def rnn_args(
    w_hh: Any, w_xh: Any, xs: Any, b: Any, h0: Any, b_hh: Any = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Validated (W_hh H×H, W_xh H×I, xs T×I, b, h0, b_hh) of a tanh RNN."""
    W = as_matrix(w_hh, "w_hh", (None, None))
    n_h = W.shape[0]
    if W.shape != (n_h, n_h):
        raise DlstudyError(f"w_hh: expected a square H×H matrix, got shape {W.shape}")
    w_xh_arr = as_array(w_xh, "w_xh")
    if w_xh_arr.ndim == 1 and n_h > 1:
        w_xh_arr = w_xh_arr[:, None]  # one input: a column
    U = as_matrix(w_xh_arr, "w_xh", (n_h, None))
    X = as_sequence(xs, "xs", U.shape[1])
    return (
        W,
        U,
        X,
        sized_vector(b, "b", n_h, default=0.0),
        sized_vector(h0, "h0", n_h, default=0.0),
        sized_vector(b_hh, "b_hh", n_h, default=0.0),
    )


def rnn_states(
    W: np.ndarray, U: np.ndarray, X: np.ndarray, b: np.ndarray, h0: np.ndarray
) -> np.ndarray:
    """h_0..h_T (shape (T+1)×H) of h_t = tanh(W h_{t-1} + U x_t + b)."""
    hs = [h0]
    for x in X:
        hs.append(np.tanh(W @ hs[-1] + U @ x + b))
    return np.array(hs)


# --------------------------------------------------------------------------------------- forward


_RNN_HELP = {
    "w_hh": "recurrent weights W_hh, H×H",
    "w_xh": "input weights W_xh (the notes' W_hx), H×I",
    "xs": "inputs x_1..x_T, one row per time step (T×I; with I = 1 a list of T numbers)",
    "b": "bias b (H), default 0",
    "h0": "initial state h_0 (H), default 0",
    "b_hh": "torch's second bias b_hh (H), added to b; default 0",
}


@reference(
    "rnn-forward",
    section="rnn",
    summary="h_t = tanh(W_hh h_{t-1} + W_xh x_t + b) for t = 1..T",
    params_help=_RNN_HELP,
)
def rnn_forward(
    w_hh: np.ndarray,
    w_xh: np.ndarray,
    xs: np.ndarray,
    b: np.ndarray | None = None,
    h0: np.ndarray | None = None,
    b_hh: np.ndarray | None = None,
) -> Solution:
    r"""Forward pass of a tanh RNN over a sequence.

    .. math:: h_t = \tanh(W_{hh} h_{t-1} + W_{xh} x_t + b + b_{hh})

    Parameters
    ----------
    w_hh : ndarray of shape (H, H)
    w_xh : ndarray of shape (H, I)
    xs : ndarray of shape (T, I)
        Inputs, one row per time step.
    b, b_hh : ndarray of shape (H,), optional
        Biases (torch's ``bias_ih`` and ``bias_hh``); zero by default.
    h0 : ndarray of shape (H,), optional
        Initial state; zero by default.

    Returns
    -------
    Solution
        ``result``: the T×H matrix whose row t is h_t (t = 1..T); checkpoints h_1, ..., h_T.
    """
    W, U, X, bv, h_init, b2 = rnn_args(w_hh, w_xh, xs, b, h0, b_hh)
    bias = bv + b2
    hs = rnn_states(W, U, X, bias, h_init)
    steps = []
    for t in range(1, min(len(hs), MAX_ENTRY_STEPS + 1)):
        a = W @ hs[t - 1] + U @ X[t - 1] + bias
        with_b = " + b" if np.any(bias) else ""
        steps.append(
            Step(
                f"h_{t} = tanh(W_hh h_{t - 1} + W_xh x_{t}{with_b})",
                hs[t],
                f"tanh({_text(a)}) = {_text(hs[t])}",
            )
        )
    if len(hs) - 1 > MAX_ENTRY_STEPS:
        steps.append(steps_left(len(hs) - 1, "states h_t"))
    linear = [h_init]
    for x in X:
        linear.append(W @ linear[-1] + U @ x + bias)
    mistakes = [
        Mistake(
            "missing-tanh",
            "you left out the tanh: h_t = tanh(W_hh h_{t-1} + W_xh x_t + b)",
            np.array(linear[1:]),
        )
    ]
    if np.any(b2 != 0):
        mistakes.append(
            Mistake(
                "single-bias",
                "you used only one bias: torch's RNN adds both b_ih and b_hh",
                rnn_states(W, U, X, bv, h_init)[1:],
            )
        )
    return Solution(
        hs[1:],
        steps,
        mistakes,
        checkpoints=[(f"h_{t}", hs[t]) for t in range(1, min(len(hs), MAX_ENTRY_STEPS + 1))],
        convention="rows are time steps; torch's two biases are summed (b + b_hh)",
    )


# ------------------------------------------------------------------------------------------ BPTT


def bptt_gradients(
    W: np.ndarray,
    U: np.ndarray,
    V: np.ndarray,
    X: np.ndarray,
    Y: np.ndarray,
    b: np.ndarray,
    h0: np.ndarray,
    *,
    tanh_prime: bool = True,
    through_time: bool = True,
) -> dict[str, Any]:
    """Gradients of L = Σ_t ‖y_t - V h_t‖² for h_t = tanh(W h_{t-1} + U x_t + b).

    ``tanh_prime=False`` and ``through_time=False`` give the wrong-method answers (missing tanh';
    no recurrent term W_hhᵀ δ_{t+1}).
    """
    hs = rnn_states(W, U, X, b, h0)
    T = len(X)
    dW, dU, db = np.zeros_like(W), np.zeros_like(U), np.zeros_like(b)
    deltas = [np.zeros_like(b)] * (T + 2)
    loss = 0.0
    for t in range(T, 0, -1):
        r = Y[t - 1] - V @ hs[t]
        loss += float(r @ r)
        # ∂L/∂h_t = -2 V^T (y_t - ŷ_t) + W^T δ_{t+1}
        dh = -2.0 * V.T @ r + (W.T @ deltas[t + 1] if through_time else 0.0)
        # δ_t = ∂L/∂a_t = ∂L/∂h_t ⊙ (1 - h_t²)
        deltas[t] = dh * (1.0 - hs[t] ** 2) if tanh_prime else dh
        dW += np.outer(deltas[t], hs[t - 1])
        dU += np.outer(deltas[t], X[t - 1])
        db += deltas[t]
    return {"w_hh": dW, "w_xh": dU, "b": db, "loss": loss, "deltas": deltas[1 : T + 1], "hs": hs}


@reference(
    "rnn-bptt",
    section="rnn",
    summary="BPTT: ∂L/∂W_hh, ∂L/∂W_xh, ∂L/∂b for L = Σ_t ‖y_t - W_hy h_t‖²",
    params_help={
        **_RNN_HELP,
        "w_hy": "output weights W_hy, O×H",
        "ys": "targets y_1..y_T, one row per time step (T×O)",
    },
)
def rnn_bptt(
    w_hh: np.ndarray,
    w_xh: np.ndarray,
    w_hy: np.ndarray,
    xs: np.ndarray,
    ys: np.ndarray,
    b: np.ndarray | None = None,
    h0: np.ndarray | None = None,
) -> Solution:
    r"""Backpropagation through time for a tanh RNN with a squared loss.

    .. math::
        L = \sum_t \|y_t - W_{hy} h_t\|^2,\quad
        \delta_t = \big(-2W_{hy}^T(y_t - \hat y_t) + W_{hh}^T\delta_{t+1}\big)\odot(1 - h_t^2)

    .. math::
        \frac{\partial L}{\partial W_{hh}} = \sum_t \delta_t h_{t-1}^T,\quad
        \frac{\partial L}{\partial W_{xh}} = \sum_t \delta_t x_t^T,\quad
        \frac{\partial L}{\partial b} = \sum_t \delta_t

    This is the notes' ∂L/∂W = Σ_t ∂L_t/∂y_t ∂y_t/∂h_t Σ_k ∂h_t/∂h_k ∂⁺h_k/∂W, with the inner sums
    over k collected backwards in δ.

    Parameters
    ----------
    w_hh : ndarray of shape (H, H)
    w_xh : ndarray of shape (H, I)
    w_hy : ndarray of shape (O, H)
    xs : ndarray of shape (T, I)
    ys : ndarray of shape (T, O)
    b, h0 : ndarray of shape (H,), optional
        Bias and initial state (zero by default).

    Returns
    -------
    Solution
        ``result``: ``{"w_hh": (H, H), "w_xh": (H, I), "b": (H,)}``.
    """
    W, U, X, bv, h_init, _ = rnn_args(w_hh, w_xh, xs, b, h0)
    n_h = W.shape[0]
    w_hy_arr = as_array(w_hy, "w_hy")
    if w_hy_arr.ndim == 1 and n_h > 1:
        w_hy_arr = w_hy_arr[None, :]  # one output: a row
    V = as_matrix(w_hy_arr, "w_hy", (None, n_h))
    Y = as_sequence(ys, "ys", V.shape[0])
    if len(Y) != len(X):
        raise DlstudyError(f"ys: expected {len(X)} targets (one per input in xs), got {len(Y)}")
    g = bptt_gradients(W, U, V, X, Y, bv, h_init)
    result = {"w_hh": g["w_hh"], "w_xh": g["w_xh"], "b": g["b"]}
    steps = [Step(f"h_{t}", g["hs"][t]) for t in range(1, len(X) + 1)]
    steps.append(Step("loss L = Σ_t ‖y_t - W_hy h_t‖²", g["loss"]))
    steps += [
        Step(
            f"δ_{t} = (-2 W_hyᵀ(y_{t} - ŷ_{t}) + W_hhᵀ δ_{t + 1}) ⊙ (1 - h_{t}²)",
            g["deltas"][t - 1],
        )
        for t in range(len(X), 0, -1)
    ]
    steps += [
        Step("∂L/∂W_hh = Σ_t δ_t h_{t-1}ᵀ", g["w_hh"]),
        Step("∂L/∂W_xh = Σ_t δ_t x_tᵀ", g["w_xh"]),
        Step("∂L/∂b = Σ_t δ_t", g["b"]),
    ]
    mistakes = []
    for name, message, kwargs in (
        (
            "missing-tanh-derivative",
            "you left out tanh'(a_t) = 1 - h_t² when going through the tanh",
            {"tanh_prime": False},
        ),
        (
            "no-backprop-through-time",
            "you kept only the direct terms k = t: the gradient also flows back through h_{t+1} "
            "(the W_hhᵀ δ_{t+1} term, the sum over k in the notes)",
            {"through_time": False},
        ),
    ):
        w = bptt_gradients(W, U, V, X, Y, bv, h_init, **kwargs)
        mistakes.append(Mistake(name, message, {"w_hh": w["w_hh"], "w_xh": w["w_xh"], "b": w["b"]}))
    mistakes.append(
        Mistake(
            "missing-factor-2",
            "∂‖y - ŷ‖²/∂ŷ = -2(y - ŷ): you dropped the 2",
            {k: v / 2.0 for k, v in result.items()},
        )
    )
    return Solution(
        result,
        steps,
        mistakes,
        convention="L is the sum (not the mean) of squared errors over time steps and outputs",
    )


# ------------------------------------------------------------------------------------ Jacobians


def _spectral_norm(M: np.ndarray) -> float:
    return float(np.linalg.norm(M, 2))


@reference(
    "rnn-jacobian",
    section="rnn",
    summary="∂h_t/∂h_k = Π_{i=k+1..t} ∂h_i/∂h_{i-1}, its 2-norm and the bound (‖W_hh‖·γ)^{t-k}",
    params_help={
        **_RNN_HELP,
        "t": "the later time step t (1..T)",
        "k": "the earlier time step k (0..t-1)",
        "form": "tanh: h_t = tanh(W_hh h_{t-1} + W_xh x_t + b); "
        "notes: h_t = W_hh tanh(h_{t-1}) + W_xh x_t + b",
    },
)
def rnn_jacobian(
    w_hh: np.ndarray,
    w_xh: np.ndarray,
    xs: np.ndarray,
    t: int,
    k: int,
    b: np.ndarray | None = None,
    h0: np.ndarray | None = None,
    form: str = "tanh",
) -> Solution:
    r"""The Jacobian ∂h_t/∂h_k of an RNN, its spectral norm and the norm bound of the notes.

    ``form = "tanh"``: h_i = tanh(W h_{i-1} + U x_i + b), so ∂h_i/∂h_{i-1} = diag(1 - h_i²) W.
    ``form = "notes"``: the notes' simplification h_i = W tanh(h_{i-1}) + U x_i + b, so
    ∂h_i/∂h_{i-1} = W diag(1 - tanh²(h_{i-1})) (the notes write W_hhᵀ diag f'(h_{i-1}) in the
    transposed, denominator layout).

    .. math::
        \frac{\partial h_t}{\partial h_k} = J_t J_{t-1}\cdots J_{k+1},\qquad
        \Big\|\frac{\partial h_t}{\partial h_k}\Big\|_2 \le (\|W_{hh}\|_2\,\gamma)^{t-k},\ \gamma = 1

    Parameters
    ----------
    w_hh : ndarray of shape (H, H)
    w_xh : ndarray of shape (H, I)
    xs : ndarray of shape (T, I)
    t, k : int
        0 <= k < t <= T.
    b, h0 : ndarray of shape (H,), optional
    form : {"tanh", "notes"}

    Returns
    -------
    Solution
        ``result``: ``{"jacobian": (H, H), "norm": ‖∂h_t/∂h_k‖_2, "bound": (‖W_hh‖_2·γ)^{t-k}}``.
    """
    W, U, X, bv, h_init, _ = rnn_args(w_hh, w_xh, xs, b, h0)
    n_steps = len(X)
    if not 1 <= t <= n_steps:
        raise DlstudyError(f"t: expected 1 <= t <= T = {n_steps}, got {t}")
    if not 0 <= k < t:
        raise DlstudyError(f"k: expected 0 <= k < t = {t}, got {k}")
    if form not in ("tanh", "notes"):
        raise DlstudyError(f"form: expected tanh or notes, got '{form}'")
    hs = [h_init]
    for x in X:
        if form == "tanh":
            hs.append(np.tanh(W @ hs[-1] + U @ x + bv))
        else:
            hs.append(W @ np.tanh(hs[-1]) + U @ x + bv)
    n_h = W.shape[0]
    factors = {}
    for i in range(k + 1, t + 1):
        if form == "tanh":
            factors[i] = np.diag(1.0 - hs[i] ** 2) @ W
        else:
            factors[i] = W @ np.diag(1.0 - np.tanh(hs[i - 1]) ** 2)
    J = np.eye(n_h)
    wrong = np.eye(n_h)
    for i in range(k + 1, t + 1):
        J = factors[i] @ J  # J_t ... J_{k+1}: later factors on the left
        wrong = wrong @ factors[i]
    # rounding noise where the product is exactly 0 (relative to the size of the factors)
    scale = max(np.abs(J).max(), float(np.prod([np.abs(m).max() for m in factors.values()])))
    J[np.abs(J) <= 1e-12 * scale] = 0.0
    norm_w = _spectral_norm(W)
    bound = norm_w ** (t - k)

    def rule(i: int) -> str:
        if form == "tanh":
            return f"diag(1 - h_{i}²) W_hh"
        return f"W_hh diag(1 - tanh²(h_{i - 1}))"

    chain = ("jacobian", "norm")
    steps = [Step(f"h_{i}", hs[i], part=chain) for i in range(1, t + 1)]
    steps += [
        Step(f"J_{i} = ∂h_{i}/∂h_{i - 1} = {rule(i)}", factors[i], part=chain) for i in factors
    ]
    product = " ".join(f"J_{i}" for i in range(t, k, -1))
    steps += [
        Step(f"∂h_{t}/∂h_{k} = {product}", J, part=chain),
        Step(f"‖∂h_{t}/∂h_{k}‖_2 (largest singular value)", _spectral_norm(J), part="norm"),
        Step("‖W_hh‖_2 (largest singular value)", norm_w, part="bound"),
        Step("γ = sup |tanh'|", 1.0, part="bound"),
        Step(
            f"bound (‖W_hh‖_2·γ)^(t − k) = {format_number(norm_w, 6)}^{t - k}",
            bound,
            part="bound",
        ),
    ]
    result = {"jacobian": J, "norm": _spectral_norm(J), "bound": bound}
    power = np.linalg.matrix_power(W, t - k)
    mistakes = [
        Mistake(
            "wrong-order",
            "you multiplied the Jacobians in the wrong order: ∂h_t/∂h_k = J_t J_{t-1} ⋯ J_{k+1} "
            "(the chain rule puts the latest step on the left)",
            {"jacobian": wrong, "norm": _spectral_norm(wrong), "bound": bound},
        ),
        Mistake(
            "missing-tanh-derivative",
            "you left out the diag(tanh') factors: each step contributes diag(f') as well as W_hh",
            {"jacobian": power, "norm": _spectral_norm(power), "bound": bound},
        ),
    ]
    convention = "numerator layout (row i of the Jacobian is ∂h_t[i]/∂h_k); 2-norms (spectral)"
    return Solution(result, steps, mistakes, convention=convention)


@reference(
    "rnn-gradient-regime",
    section="rnn",
    summary="‖W_hh‖_2 < 1/γ ⇒ vanishing guaranteed; otherwise exploding possible (γ = 1 tanh, 1/4 sigmoid)",
    params_help={
        "w_hh": "recurrent weight matrix W_hh (a number for a scalar RNN)",
        "activation": "tanh (γ = 1) or sigmoid (γ = 1/4)",
    },
)
def rnn_gradient_regime(w_hh: np.ndarray, activation: str = "tanh") -> Solution:
    r"""Classify an RNN's gradient regime from the notes' sufficient condition.

    .. math::
        \Big\|\frac{\partial h_i}{\partial h_{i-1}}\Big\| \le \|W_{hh}\|\,\gamma,\qquad
        \lambda = \|W_{hh}\|_2 < \tfrac{1}{\gamma} \Rightarrow \text{vanishing}

    γ = sup |f'|: 1 for tanh, 1/4 for sigmoid. λ < 1/γ guarantees vanishing gradients; λ >= 1/γ only
    makes exploding *possible* (it is necessary, not sufficient).

    Parameters
    ----------
    w_hh : ndarray of shape (H, H)
    activation : {"tanh", "sigmoid"}

    Returns
    -------
    Solution
        ``result``: ``{"norm": λ, "gamma": γ, "bound": λγ, "threshold": 1/γ, "regime":
        "vanishing guaranteed" | "exploding possible"}``.
    """
    W = as_matrix(w_hh, "w_hh", (None, None))
    if W.shape[0] != W.shape[1]:
        raise DlstudyError(f"w_hh: expected a square matrix, got shape {W.shape}")
    act = activation.strip().lower()
    if act not in GAMMA:
        raise DlstudyError(f"activation: expected tanh or sigmoid, got '{activation}'")

    def classify(norm: float, gamma: float) -> dict[str, Any]:
        regime = "vanishing guaranteed" if norm * gamma < 1 else "exploding possible"
        return {
            "norm": norm,
            "gamma": gamma,
            "bound": norm * gamma,
            "threshold": 1.0 / gamma,
            "regime": regime,
        }

    gamma = GAMMA[act]
    norm = _spectral_norm(W)
    result = classify(norm, gamma)
    steps = [
        Step("λ = ‖W_hh‖_2 (largest singular value)", norm),
        Step(
            f"γ = sup |{act}'|",
            gamma,
            "tanh' = 1 − tanh² ≤ 1" if act == "tanh" else "σ' = σ(1 − σ) ≤ 1/4",
        ),
        Step("threshold 1/γ", 1.0 / gamma, part=("threshold", "regime")),
        Step(
            "λ·γ = ‖W_hh‖_2·γ",
            norm * gamma,
            f"{format_number(norm, 6)}·{format_number(gamma)} = {format_number(norm * gamma, 6)}",
        ),
        Step(
            "regime",
            result["regime"],
            "λγ < 1 ⇒ ‖∂h_t/∂h_k‖ ≤ (λγ)^(t−k) → 0"
            if norm * gamma < 1
            else "λγ ≥ 1: the bound does not shrink, so exploding is possible (not certain)",
            part="regime",
        ),
    ]
    candidates = [
        (
            "gamma-of-the-other-activation",
            f"γ for {act} is {format_number(gamma)}: the bound uses sup |f'| of the actual activation",
            classify(norm, 0.25 if act == "tanh" else 1.0),
        ),
        (
            "frobenius-norm",
            "you used the Frobenius norm: the bound uses the spectral norm ‖W‖_2",
            classify(float(np.linalg.norm(W, "fro")), gamma),
        ),
        (
            "spectral-radius",
            "you used the largest |eigenvalue|: the bound uses the norm ‖W‖_2 (largest singular value)",
            classify(float(np.max(np.abs(np.linalg.eigvals(W)))), gamma),
        ),
    ]
    mistakes = [Mistake(name, message, value) for name, message, value in candidates]
    convention = (
        "λ = ‖W_hh‖_2 (spectral norm); λ >= 1/γ is classified 'exploding possible' "
        "(a necessary condition, not a guarantee)"
    )
    return Solution(result, steps, mistakes, convention=convention)
