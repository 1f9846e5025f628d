"""Backpropagation through a fully connected net with given weights (notes: "Backpropagation").

Notation: layers l = 1..L, W^l of shape (n_l, n_{l-1}), b^l of shape (n_l,), a^0 = x,

    z^l = W^l a^{l-1} + b^l,   a^l = f_l(z^l),

δ^l = ∂C/∂z^l:  δ^L = ∂C/∂a^L ⊙ f_L'(z^L),  δ^l = (W^{l+1})ᵀ δ^{l+1} ⊙ f_l'(z^l),
∂C/∂W^l = δ^l (a^{l-1})ᵀ,  ∂C/∂b^l = δ^l.  One sample at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from dlstudy.errors import DlstudyError
from dlstudy.output import format_array, format_number
from dlstudy.reference.activations import act, act_prime, check_activation
from dlstudy.reference.mle import bce_terms
from dlstudy.reference.registry import (
    Mistake,
    Solution,
    Step,
    as_array,
    as_vector,
    reference,
    require_ndim,
)

LOSSES = ("squared", "bce")

_HELP = {
    "x": "input vector a^0, length n_0",
    "y": "target vector, length n_L",
    "weights": "list of W^l, one per layer, shape (n_l, n_{l-1}); a vector is a one-unit layer",
    "biases": "list of b^l, one per layer, length n_l (default zeros)",
    "activation": "hidden activation: sigmoid, tanh, relu or linear",
    "output_activation": "output activation (default: the same as activation)",
    "loss": "squared (C = ½‖a^L - y‖²) or bce (cross-entropy, sigmoid output)",
}


@dataclass
class Net:
    """Validated weights, biases and activation names of an L-layer net."""

    W: list[np.ndarray]
    b: list[np.ndarray]
    f: list[str]

    @property
    def L(self) -> int:
        return len(self.W)


def _layers(value: Any, label: str) -> list[Any]:
    if isinstance(value, np.ndarray):
        return list(value) if value.ndim == 3 else [value]
    if not isinstance(value, (list, tuple)) or not value:
        raise DlstudyError(f"{label}: expected a list with one entry per layer")
    return list(value)


def make_net(weights: Any, biases: Any, n_in: int, activation: str, output_activation: str) -> Net:
    """Check shapes layer by layer and build a :class:`Net`."""
    Ws = [
        require_ndim(as_array(W, f"weights[{i}]"), 2, f"weights[{i}]")
        for i, W in enumerate(_layers(weights, "weights"))
    ]
    if biases is None:
        bs = [np.zeros(W.shape[0]) for W in Ws]
    else:
        raw = _layers(biases, "biases")
        if len(raw) != len(Ws):
            raise DlstudyError(
                f"biases: expected {len(Ws)} bias vectors (one per layer), got {len(raw)}"
            )
        bs = [np.atleast_1d(as_array(b, f"biases[{i}]")) for i, b in enumerate(raw)]
    width = n_in
    for i, (W, b) in enumerate(zip(Ws, bs, strict=True)):
        if W.shape[1] != width:
            what = "the input x" if i == 0 else f"layer {i} (weights[{i - 1}] has {width} rows)"
            raise DlstudyError(
                f"weights[{i}]: expected {width} columns to match {what}, got shape {W.shape}",
                "weights is a list of matrices, one per layer: a single 2×2 layer is "
                "[[[1, 2], [3, 4]]], two layers [[[1, 2], [3, 4]], [[5, 6]]]",
            )
        if b.shape != (W.shape[0],):
            raise DlstudyError(
                f"biases[{i}]: expected {W.shape[0]} entries (rows of weights[{i}]), got shape {b.shape}"
            )
        width = W.shape[0]
    hidden = check_activation(activation, "activation")
    last = check_activation(output_activation or activation, "output_activation")
    return Net(Ws, bs, [hidden] * (len(Ws) - 1) + [last])


def forward(
    x: np.ndarray, net: Net, use_bias: bool = True, hidden_act: bool = True
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """z^1..z^L and a^0..a^L (``use_bias``/``hidden_act`` False give wrong-method passes)."""
    zs: list[np.ndarray] = []
    acts = [x]
    for i in range(net.L):
        # z^l = W^l a^{l-1} + b^l
        z = net.W[i] @ acts[-1] + (net.b[i] if use_bias else 0.0)
        f = net.f[i] if (hidden_act or i == net.L - 1) else "linear"
        zs.append(z)
        # a^l = f(z^l)
        acts.append(act(z, f))
    return zs, acts


def _sigmoid_output(net: Net, loss: str) -> None:
    if loss == "bce" and net.f[-1] != "sigmoid":
        raise DlstudyError(
            f"loss: bce needs a sigmoid output (outputs in (0, 1)); output_activation is {net.f[-1]}"
        )


def loss_and_grad(
    zL: np.ndarray, aL: np.ndarray, y: np.ndarray, loss: str
) -> tuple[float, np.ndarray]:
    """C and ∂C/∂a^L."""
    if loss == "squared":
        # C = ½ Σ (a - y)²
        return float(0.5 * np.sum((aL - y) ** 2)), aL - y
    # C = -Σ [y log a + (1-y) log(1-a)]; ∂C/∂a = (a - y)/(a(1 - a))
    with np.errstate(divide="ignore", invalid="ignore"):
        grad = (aL - y) / (aL * (1.0 - aL))
    return float(np.sum(bce_terms(zL, y))), grad


def backward(
    zs: list[np.ndarray],
    acts: list[np.ndarray],
    y: np.ndarray,
    net: Net,
    loss: str,
    method: str = "right",
) -> dict[str, Any]:
    """δ^l, ∂W^l, ∂b^l for every layer (keys ``delta1``, ``dW1``, ``db1``, ...) and the loss.

    ``method`` names a wrong method: ``missing-f-prime`` (no ⊙ f'(z)), ``wrong-transpose``
    (W instead of Wᵀ; square layers only), ``dW-with-z`` (∂W = δ zᵀ instead of δ aᵀ),
    ``squared-without-half`` (C = ‖a - y‖²).
    """
    L = net.L
    C, dC_da = loss_and_grad(zs[-1], acts[-1], y, loss)
    f_prime = [act_prime(z, f) for z, f in zip(zs, net.f, strict=True)]
    if method == "missing-f-prime":
        f_prime = [np.ones_like(z) for z in zs]
    deltas: list[np.ndarray] = [np.empty(0)] * L
    if loss == "bce" and method != "missing-f-prime":
        # sigmoid output and cross-entropy: ∂C/∂a ⊙ σ'(z) = a - y
        deltas[L - 1] = acts[-1] - y
    elif method == "squared-without-half":
        deltas[L - 1] = 2.0 * dC_da * f_prime[-1]
        C = 2.0 * C
    else:
        # δ^L = ∂C/∂a^L ⊙ f'(z^L)
        deltas[L - 1] = dC_da * f_prime[-1]
    for i in range(L - 2, -1, -1):
        W_next = net.W[i + 1]
        # δ^l = (W^{l+1})ᵀ δ^{l+1} ⊙ f'(z^l)
        back = W_next @ deltas[i + 1] if method == "wrong-transpose" else W_next.T @ deltas[i + 1]
        deltas[i] = back * f_prime[i]
    out: dict[str, Any] = {"loss": C}
    for i in range(L):
        inputs = (acts[0] if i == 0 else zs[i - 1]) if method == "dW-with-z" else acts[i]
        # + 0.0 turns -0.0 (from 0 · negative) into 0.0 so answers print as 0
        out[f"delta{i + 1}"] = deltas[i] + 0.0
        # ∂C/∂W^l = δ^l (a^{l-1})ᵀ,  ∂C/∂b^l = δ^l
        out[f"dW{i + 1}"] = np.outer(deltas[i], inputs) + 0.0
        out[f"db{i + 1}"] = deltas[i] + 0.0
    return out


#: How the notes write each activation in a formula.
_F_NAME = {"relu": "ReLU", "sigmoid": "σ", "tanh": "tanh", "linear": "linear"}


def _forward_steps(zs: list[np.ndarray], acts: list[np.ndarray], net: Net) -> list[Step]:
    steps = [Step("a^0 = x", acts[0])]
    for i in range(net.L):
        n = i + 1
        steps.append(
            Step(
                f"z^{n} = W^{n} a^{n - 1} + b^{n}",
                zs[i],
                f"{format_array(net.W[i])}·{format_array(acts[i])} + {format_array(net.b[i])} = "
                f"{format_array(zs[i], 6)}",
            )
        )
        f = net.f[i]
        label = f"a^{n} = z^{n} (linear)" if f == "linear" else f"a^{n} = {_F_NAME[f]}(z^{n})"
        steps.append(Step(label, acts[i + 1]))
    return steps


def _gradient_parts(layer: int) -> tuple[str, ...]:
    """The result keys that need δ^layer: every δ, ∂W and ∂b of this layer and the ones below."""
    return tuple(f"{key}{j}" for j in range(1, layer + 1) for key in ("delta", "dW", "db"))


@reference(
    "mlp-forward",
    section="backprop",
    summary="forward pass z^l = W^l a^{l-1} + b^l, a^l = f(z^l) of a net with given weights",
    params_help=_HELP,
)
def mlp_forward(
    x: np.ndarray,
    weights: list,
    biases: list | None = None,
    activation: str = "sigmoid",
    output_activation: str = "",
) -> Solution:
    r"""Forward pass of a fully connected net.

    .. math:: z^l = W^l a^{l-1} + b^l, \qquad a^l = f_l(z^l), \qquad a^0 = x

    Parameters
    ----------
    x : ndarray, shape (n_0,)
    weights : list of L ndarrays, W^l of shape (n_l, n_{l-1})
    biases : list of L ndarrays, b^l of shape (n_l,), default zeros
    activation : str, hidden layers (sigmoid | tanh | relu | linear)
    output_activation : str, last layer (default: ``activation``)

    Returns
    -------
    Solution with a^L, shape (n_L,); checkpoints a^1..a^L. Mistakes: ``missing-bias``,
    ``no-hidden-activation`` (hidden layers left linear).
    """
    x = as_vector(x, "x")
    net = make_net(weights, biases, x.shape[0], activation, output_activation)
    zs, acts = forward(x, net)
    checkpoints = [(f"a^{i}", acts[i]) for i in range(1, net.L + 1)]
    mistakes = [
        Mistake(
            "missing-bias",
            "z^l = W^l a^{l-1} + b^l: the bias is missing",
            forward(x, net, use_bias=False)[1][-1],
        ),
    ]
    if net.L > 1 and net.f[0] != "linear":
        mistakes.append(
            Mistake(
                "no-hidden-activation",
                f"the hidden layers apply {net.f[0]}: a^l = f(z^l), not z^l",
                forward(x, net, hidden_act=False)[1][-1],
            )
        )
    return Solution(
        acts[-1], _forward_steps(zs, acts, net), mistakes, checkpoints, _convention(net)
    )


def _convention(net: Net, loss: str = "") -> str:
    parts = [f"activations {', '.join(net.f)} (layers 1..{net.L})", "ReLU'(0) = 0"]
    if loss == "squared":
        parts.append("C = ½ Σ (a^L - y)²")
    elif loss == "bce":
        parts.append("C = -Σ [y log a^L + (1-y) log(1-a^L)] (sum, nats)")
    return "; ".join(parts)


@reference(
    "mlp-backward",
    section="backprop",
    summary="backprop of a net with given weights: every δ^l = (W^{l+1})ᵀδ^{l+1} ⊙ f'(z^l), ∂W^l, ∂b^l",
    params_help=_HELP,
)
def mlp_backward(
    x: np.ndarray,
    y: np.ndarray,
    weights: list,
    biases: list | None = None,
    activation: str = "sigmoid",
    output_activation: str = "",
    loss: str = "squared",
) -> Solution:
    r"""Backward pass of a fully connected net for one sample.

    .. math::
        \delta^L = \frac{\partial C}{\partial a^L} \odot f_L'(z^L), \qquad
        \delta^l = (W^{l+1})^T \delta^{l+1} \odot f_l'(z^l),

        \frac{\partial C}{\partial W^l} = \delta^l (a^{l-1})^T, \qquad
        \frac{\partial C}{\partial b^l} = \delta^l

    with :math:`C = \tfrac12\|a^L - y\|^2` (``squared``, ∂C/∂a = a - y) or the cross-entropy
    (``bce`` with a sigmoid output, δ^L = a^L - y).

    Parameters
    ----------
    x : ndarray, shape (n_0,)
    y : ndarray, shape (n_L,)
    weights : list of L ndarrays, W^l of shape (n_l, n_{l-1})
    biases : list of L ndarrays, b^l of shape (n_l,), default zeros
    activation, output_activation : str (sigmoid | tanh | relu | linear)
    loss : "squared" or "bce"

    Returns
    -------
    Solution with ``{"loss", "delta1".."deltaL", "dW1".."dWL", "db1".."dbL"}`` (δ^l and ∂b^l of
    shape (n_l,), ∂W^l of shape (n_l, n_{l-1})); checkpoints δ^L, ..., δ^1 in the order they are
    computed. Mistakes: ``missing-f-prime``, ``wrong-transpose`` (when the layers are square),
    ``dW-with-z``, ``squared-without-half``.
    """
    x = as_vector(x, "x")
    key = loss.strip().lower()
    if key not in LOSSES:
        raise DlstudyError(f"loss: expected squared or bce, got '{loss}'")
    net = make_net(weights, biases, x.shape[0], activation, output_activation)
    _sigmoid_output(net, key)
    y = as_vector(y, "y")
    if y.shape[0] != net.W[-1].shape[0]:
        raise DlstudyError(
            f"y: expected {net.W[-1].shape[0]} targets (one per output unit), got {y.shape[0]}"
        )
    if key == "bce" and np.any((y < 0) | (y > 1)):
        raise DlstudyError("y: bce targets must lie in [0, 1]")
    zs, acts = forward(x, net)
    result = backward(zs, acts, y, net, key)
    L = net.L
    steps = _forward_steps(zs, acts, net)
    loss_text = (
        f"C = ½‖a^{L} − y‖²"
        if key == "squared"
        else f"C = −Σ [y log a^{L} + (1 − y) log(1 − a^{L})]"
    )
    steps.append(Step(loss_text, result["loss"], part="loss"))
    if key == "bce":
        steps.append(
            Step(
                f"δ^{L} = a^{L} − y (cross-entropy with a sigmoid output: σ' cancels)",
                result[f"delta{L}"],
                part=_gradient_parts(L),
            )
        )
    elif net.f[-1] == "linear":
        steps.append(
            Step(
                f"δ^{L} = a^{L} − y (linear output)",
                result[f"delta{L}"],
                f"{format_array(acts[-1])} − {format_array(y)} = {format_array(result[f'delta{L}'], 6)}",
                part=_gradient_parts(L),
            )
        )
    else:
        f = _F_NAME[net.f[-1]]
        steps.append(
            Step(
                f"δ^{L} = (a^{L} − y) ⊙ {f}'(z^{L})",
                result[f"delta{L}"],
                f"{format_array(acts[-1] - y)} ⊙ {format_array(act_prime(zs[-1], net.f[-1]))} = "
                f"{format_array(result[f'delta{L}'], 6)}",
                part=_gradient_parts(L),
            )
        )
    for i in range(L - 1, 0, -1):
        f = _F_NAME[net.f[i - 1]]
        steps.append(
            Step(
                f"δ^{i} = (W^{i + 1})ᵀ δ^{i + 1} ⊙ {f}'(z^{i})",
                result[f"delta{i}"],
                f"{format_array(net.W[i].T @ result[f'delta{i + 1}'])} ⊙ "
                f"{format_array(act_prime(zs[i - 1], net.f[i - 1]))} = "
                f"{format_array(result[f'delta{i}'], 6)}",
                part=_gradient_parts(i),
            )
        )
    for i in range(1, L + 1):
        steps.append(
            Step(
                f"∂C/∂W^{i} = δ^{i} (a^{i - 1})ᵀ",
                result[f"dW{i}"],
                f"{format_array(result[f'delta{i}'])} ⊗ {format_array(acts[i - 1])}",
                part=f"dW{i}",
            )
        )
        steps.append(Step(f"∂C/∂b^{i} = δ^{i}", result[f"db{i}"], part=f"db{i}"))
    checkpoints = [(f"δ^{i}", result[f"delta{i}"]) for i in range(L, 0, -1)]
    mistakes = [
        Mistake(
            "missing-f-prime",
            "each δ^l = (W^{l+1})ᵀδ^{l+1} ⊙ f'(z^l): the factor f'(z^l) is missing",
            backward(zs, acts, y, net, key, "missing-f-prime"),
        ),
        Mistake(
            "dW-with-z",
            "∂C/∂W^l = δ^l (a^{l-1})ᵀ uses the activations a^{l-1}, not the pre-activations z^{l-1}",
            backward(zs, acts, y, net, key, "dW-with-z"),
        ),
    ]
    if all(W.shape[0] == W.shape[1] for W in net.W[1:]) and L > 1:
        mistakes.append(
            Mistake(
                "wrong-transpose",
                "δ^l = (W^{l+1})ᵀ δ^{l+1}: the error flows back through the transpose of W",
                backward(zs, acts, y, net, key, "wrong-transpose"),
            )
        )
    if key == "squared":
        mistakes.append(
            Mistake(
                "squared-without-half",
                f"with C = ½‖a - y‖², ∂C/∂a = a - y; you used C = ‖a - y‖² (gradient 2(a - y)), "
                f"which doubles every δ (C = {format_number(result['loss'], 4)} here)",
                backward(zs, acts, y, net, key, "squared-without-half"),
            )
        )
    return Solution(result, steps, mistakes, checkpoints, _convention(net, key))
