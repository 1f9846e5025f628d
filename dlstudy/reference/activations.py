"""Activation functions and their derivatives (notes: "Activation Functions").

Each function takes a number or an array ``x`` (any shape) and returns the value elementwise, with the
steps a student writes down and the usual wrong-method answers. The plain NumPy primitives
(:func:`sigma`, :func:`act`, :func:`act_prime`) are reused by the MLE, UAT and backprop chapters.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlstudy.errors import DlstudyError, did_you_mean
from dlstudy.output import format_array, format_number
from dlstudy.reference.registry import Mistake, Solution, Step, as_array, as_vector, reference

#: Activations known to :func:`act` / :func:`act_prime` (used by backprop and its templates).
ACTIVATIONS = ("sigmoid", "tanh", "relu", "linear")

_X_HELP = {"x": "a number or an array (any shape), e.g. 0.5 or [-1, 0, 2]"}


# ----------------------------------------------------------------------------------------------
# primitives (plain NumPy, float64)


def sigma(x: np.ndarray | float) -> np.ndarray:
    r"""Numerically stable logistic sigmoid :math:`\sigma(x) = 1/(1+e^{-x})`, elementwise."""
    x = np.asarray(x, dtype=np.float64)
    # σ(x) = 1/(1+e^{-x}) for x ≥ 0 and e^{x}/(1+e^{x}) for x < 0 (never exponentiates a large positive)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def act(z: np.ndarray, name: str) -> np.ndarray:
    """Activation ``name`` (one of :data:`ACTIVATIONS`) applied elementwise to ``z``."""
    if name == "sigmoid":
        return sigma(z)
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "linear":
        return np.asarray(z, dtype=np.float64).copy()
    raise DlstudyError(_unknown_activation(name))


def act_prime(z: np.ndarray, name: str) -> np.ndarray:
    """Derivative f'(z) of activation ``name``; ReLU'(0) = 0 (torch's convention)."""
    if name == "sigmoid":
        s = sigma(z)
        return s * (1.0 - s)
    if name == "tanh":
        return 1.0 - np.tanh(z) ** 2
    if name == "relu":
        return (np.asarray(z) > 0).astype(np.float64)
    if name == "linear":
        return np.ones_like(np.asarray(z, dtype=np.float64))
    raise DlstudyError(_unknown_activation(name))


def check_activation(name: str, label: str = "activation") -> str:
    """``name`` lower-cased if it is a known activation, else the domain error."""
    key = name.strip().lower()
    if key not in ACTIVATIONS:
        raise DlstudyError(f"{label}: {_unknown_activation(name)}")
    return key


def _unknown_activation(name: str) -> str:
    return f"unknown activation '{name}'{did_you_mean(name, ACTIVATIONS)}; use one of {', '.join(ACTIVATIONS)}"


def out(arr: np.ndarray) -> Any:
    """A 0-d array as a Python float, anything else unchanged (results stay JSON-able)."""
    arr = np.asarray(arr, dtype=np.float64)
    return float(arr) if arr.ndim == 0 else arr


# ----------------------------------------------------------------------------------------------
# sigmoid


@reference(
    "sigmoid",
    section="activations",
    summary="σ(x) = 1/(1+e^-x) elementwise",
    params_help=_X_HELP,
)
def sigmoid(x: np.ndarray) -> Solution:
    r"""Logistic sigmoid.

    .. math:: \sigma(x) = \frac{1}{1 + e^{-x}} = \frac{e^{x}}{e^{x} + 1}

    Parameters
    ----------
    x : float or ndarray, any shape

    Returns
    -------
    Solution whose result has the shape of ``x`` (a float for a number).
    Mistake named: ``sign-flipped`` (1/(1+e^{x}) = 1 - σ(x)).
    """
    x = as_array(x, "x")
    s = sigma(x)
    with np.errstate(over="ignore"):
        e = np.exp(-x)  # may be inf for x < -709: σ is still computed stably
    steps = [
        Step("e^{-x}", out(e), f"x = {format_array(x)}"),
        Step("1 + e^{-x}", out(1.0 + e)),
        Step("σ(x) = 1/(1 + e^{-x})", out(s)),
    ]
    mistakes = [
        Mistake(
            "sign-flipped", "you computed 1/(1+e^{+x}) = 1 - σ(x): the exponent is -x", out(1.0 - s)
        )
    ]
    return Solution(out(s), steps, mistakes)


@reference(
    "sigmoid-derivative",
    section="activations",
    summary="σ'(x) = σ(x)(1 - σ(x))",
    params_help=_X_HELP,
)
def sigmoid_derivative(x: np.ndarray) -> Solution:
    r"""Derivative of the sigmoid.

    .. math:: \sigma'(x) = \sigma(x)\,(1 - \sigma(x))

    Parameters
    ----------
    x : float or ndarray, any shape (the pre-activation, not σ(x))

    Returns
    -------
    Solution with σ'(x), shape of ``x``. Mistakes: ``sigma-prime-at-sigma`` (σ'(σ(x)): the formula
    applied to the activation instead of the input), ``missing-one-minus`` (σ(x) alone).
    """
    x = as_array(x, "x")
    s = sigma(x)
    d = s * (1.0 - s)
    ss = sigma(s)
    steps = [
        Step("σ(x)", out(s)),
        Step("1 − σ(x)", out(1.0 - s)),
        Step(
            "σ'(x) = σ(x)(1 − σ(x))",
            out(d),
            f"{format_array(s, 6)}·{format_array(1.0 - s, 6)} = {format_array(d, 6)}",
        ),
    ]
    mistakes = [
        Mistake(
            "sigma-prime-at-sigma",
            "you evaluated σ' at σ(x): σ'(x) = σ(x)(1 - σ(x)) uses σ(x) itself, not σ(σ(x))",
            out(ss * (1.0 - ss)),
        ),
        Mistake(
            "missing-one-minus", "σ'(x) = σ(x)(1 - σ(x)): the factor (1 - σ(x)) is missing", out(s)
        ),
    ]
    return Solution(out(d), steps, mistakes)


# ----------------------------------------------------------------------------------------------
# tanh


@reference(
    "tanh",
    section="activations",
    summary="tanh(x) = (e^x - e^-x)/(e^x + e^-x) elementwise",
    params_help=_X_HELP,
)
def tanh(x: np.ndarray) -> Solution:
    r"""Hyperbolic tangent.

    .. math:: \tanh(x) = \frac{e^{x} - e^{-x}}{e^{x} + e^{-x}} = 2\sigma(2x) - 1

    Parameters
    ----------
    x : float or ndarray, any shape

    Returns
    -------
    Solution with tanh(x), shape of ``x``. Mistake: ``used-sigmoid`` (σ(x) instead of tanh(x)).
    """
    x = as_array(x, "x")
    t = np.tanh(x)
    with np.errstate(over="ignore"):
        ep, em = np.exp(x), np.exp(-x)
    steps = [
        Step("e^{x}", out(ep)),
        Step("e^{-x}", out(em)),
        Step("tanh(x) = (e^x - e^-x)/(e^x + e^-x)", out(t)),
    ]
    mistakes = [Mistake("used-sigmoid", "that is σ(x); tanh(x) = 2σ(2x) - 1", out(sigma(x)))]
    return Solution(out(t), steps, mistakes)


@reference(
    "tanh-derivative",
    section="activations",
    summary="tanh'(x) = 1 - tanh²(x)",
    params_help=_X_HELP,
)
def tanh_derivative(x: np.ndarray) -> Solution:
    r"""Derivative of tanh.

    .. math:: \tanh'(x) = 1 - \tanh^2(x)

    Parameters
    ----------
    x : float or ndarray, any shape

    Returns
    -------
    Solution with tanh'(x), shape of ``x``. Mistakes: ``one-minus-tanh`` (1 - tanh x, the square
    dropped), ``tanh-prime-at-tanh`` (1 - tanh²(tanh x)).
    """
    x = as_array(x, "x")
    t = np.tanh(x)
    d = 1.0 - t**2
    tt = np.tanh(t)
    steps = [
        Step("tanh(x)", out(t)),
        Step("tanh²(x)", out(t**2)),
        Step(
            "tanh'(x) = 1 − tanh²(x)", out(d), f"1 − {format_array(t**2, 6)} = {format_array(d, 6)}"
        ),
    ]
    mistakes = [
        Mistake(
            "one-minus-tanh", "tanh' = 1 - tanh², not 1 - tanh: the square is missing", out(1.0 - t)
        ),
        Mistake(
            "tanh-prime-at-tanh",
            "you evaluated tanh' at tanh(x): use 1 - tanh²(x) with tanh(x) itself",
            out(1.0 - tt**2),
        ),
    ]
    return Solution(out(d), steps, mistakes)


# ----------------------------------------------------------------------------------------------
# ReLU


@reference(
    "relu",
    section="activations",
    summary="ReLU g(z) = max{0, z} elementwise",
    params_help=_X_HELP,
)
def relu(x: np.ndarray) -> Solution:
    r"""Rectified linear unit.

    .. math:: g(z) = \max\{0, z\}

    Parameters
    ----------
    x : float or ndarray, any shape

    Returns
    -------
    Solution with max(0, x), shape of ``x``. Mistake: ``abs`` (|x| instead of max(0, x)).
    """
    x = as_array(x, "x")
    r = np.maximum(x, 0.0)
    steps = [Step("g(z) = max{0, z}", out(r), f"max{{0, {format_array(x)}}}")]
    mistakes = [Mistake("abs", "ReLU sets negative inputs to 0; |x| keeps them", out(np.abs(x)))]
    return Solution(out(r), steps, mistakes)


@reference(
    "relu-derivative",
    section="activations",
    summary="ReLU'(x) = 1 if x > 0 else 0 (value at 0 is a convention, 0 by default)",
    params_help={
        **_X_HELP,
        "at_zero": "the value used for g'(0) (0 as in torch; 1 and 0.5 are also seen)",
    },
)
def relu_derivative(x: np.ndarray, at_zero: float = 0.0) -> Solution:
    r"""Derivative of ReLU.

    .. math:: g'(x) = \begin{cases} 1 & x > 0 \\ \text{at\_zero} & x = 0 \\ 0 & x < 0 \end{cases}

    g is not differentiable at 0; ``at_zero`` picks the subgradient (torch uses 0).

    Parameters
    ----------
    x : float or ndarray, any shape
    at_zero : float, in [0, 1]

    Returns
    -------
    Solution with g'(x), shape of ``x``. Mistake: ``relu-value`` (max(0, x) instead of its slope).
    """
    x = as_array(x, "x")
    if not 0.0 <= at_zero <= 1.0:
        raise DlstudyError(
            f"at_zero: expected a subgradient in [0, 1], got {format_number(at_zero)}"
        )
    d = np.where(x > 0, 1.0, np.where(x < 0, 0.0, at_zero))
    zeros = bool(np.any(x == 0))
    steps = [
        Step(
            "g'(z) = 1 where z > 0, 0 where z < 0"
            + (f", {format_number(at_zero)} at z = 0 (the convention)" if zeros else ""),
            out(d),
            f"z = {format_array(x)}",
        )
    ]
    mistakes = [
        Mistake(
            "relu-value",
            "that is ReLU itself; its derivative is 1 for x > 0 and 0 for x < 0",
            out(np.maximum(x, 0.0)),
        )
    ]
    return Solution(out(d), steps, mistakes, convention=f"g'(0) = {format_number(at_zero)}")


# ----------------------------------------------------------------------------------------------
# softmax


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max())
    return e / e.sum()


@reference(
    "softmax",
    section="activations",
    summary="softmax(x)_i = e^{x_i} / Σ_j e^{x_j} (computed stably)",
    params_help={"x": "a vector of scores (logits), e.g. [1, 2, 3]"},
)
def softmax(x: np.ndarray) -> Solution:
    r"""Softmax of a vector, computed stably by subtracting the maximum first.

    .. math:: p_i = \frac{e^{x_i}}{\sum_j e^{x_j}} = \frac{e^{x_i - m}}{\sum_j e^{x_j - m}},
              \quad m = \max_j x_j

    Parameters
    ----------
    x : ndarray, shape (K,) (a number is treated as a vector of length 1)

    Returns
    -------
    Solution with p, shape (K,). Mistakes: ``unnormalised`` (e^{x_i} without dividing by the sum),
    ``normalised-scores`` (x_i / Σ x_j, no exponential).
    """
    x = as_vector(x, "x")
    m = x.max()
    e = np.exp(x - m)
    p = e / e.sum()
    steps = [
        Step("m = max_j x_j (subtracted for stability; it cancels)", float(m)),
        Step("e^{x_i - m}", e),
        Step("Σ_j e^{x_j - m}", float(e.sum())),
        Step("p_i = e^{x_i - m} / Σ_j e^{x_j - m}", p),
    ]
    mistakes: list[Mistake] = []
    with np.errstate(over="ignore"):
        raw = np.exp(x)
    if np.all(np.isfinite(raw)):
        mistakes.append(Mistake("unnormalised", "softmax divides e^{x_i} by Σ_j e^{x_j}", raw))
    total = x.sum()
    if total != 0:
        mistakes.append(
            Mistake(
                "normalised-scores",
                "softmax exponentiates before normalising: e^{x_i}/Σ e^{x_j}",
                x / total,
            )
        )
    return Solution(p, steps, mistakes)


@reference(
    "softmax-jacobian",
    section="activations",
    summary="∂p_i/∂x_j = p_i(δ_ij - p_j), i.e. J = diag(p) - p pᵀ",
    params_help={"x": "a vector of scores (logits), e.g. [1, 2, 3]"},
)
def softmax_jacobian(x: np.ndarray) -> Solution:
    r"""Jacobian of the softmax.

    .. math:: J_{ij} = \frac{\partial p_i}{\partial x_j} = p_i(\delta_{ij} - p_j),
              \qquad J = \operatorname{diag}(p) - p p^T

    Parameters
    ----------
    x : ndarray, shape (K,)

    Returns
    -------
    Solution with J, shape (K, K) (symmetric; every row sums to 0). Mistakes: ``diagonal-only``
    (diag(p(1-p)): the cross terms -p_i p_j dropped), ``plus-outer`` (diag(p) + p pᵀ).
    """
    p = _softmax(as_vector(x, "x"))
    outer = np.outer(p, p)
    jac = np.diag(p) - outer
    steps = [
        Step("p = softmax(x)", p),
        Step("p pᵀ", outer),
        Step("J = diag(p) - p pᵀ", jac, "J_ii = p_i(1 - p_i), J_ij = -p_i p_j"),
    ]
    mistakes = [
        Mistake(
            "diagonal-only",
            "softmax outputs share one normaliser: off the diagonal ∂p_i/∂x_j = -p_i p_j, not 0",
            np.diag(p * (1.0 - p)),
        ),
        Mistake(
            "plus-outer", "J = diag(p) - p pᵀ: the outer product is subtracted", np.diag(p) + outer
        ),
    ]
    return Solution(jac, steps, mistakes)
