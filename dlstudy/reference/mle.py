"""Maximum likelihood: logistic regression (cross-entropy) and the Gaussian NLL behind least squares
(notes: "MLE", "Cross Entropy as MLE").

Notation as in the notes: rows x_i of X (n, d), labels y_i ∈ {0, 1}, weights w (d,),
π_i = σ(wᵀx_i). A bias is folded into X as a column of ones.
"""

from __future__ import annotations

import math

import numpy as np

from dlstudy.errors import DlstudyError
from dlstudy.output import format_array, format_number
from dlstudy.reference.activations import sigma
from dlstudy.reference.registry import Mistake, Solution, Step, as_array, reference, require_ndim

_REDUCTIONS = ("sum", "mean")
_BASES = {"e": 1.0, "2": math.log(2.0)}

_HELP = {
    "X": "data matrix, one sample per row, shape (n, d); fold a bias in as a column of ones",
    "y": "labels in {0, 1} (soft labels in [0, 1] are accepted), length n",
    "w": "weights, length d",
    "reduction": "sum (= -log P(D|w), the default) or mean (the notes' 1/n form, torch's default)",
    "base": "e (nats, the default) or 2 (bits)",
    "eta": "learning rate η",
}


def _data(X: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    X = require_ndim(as_array(X, "X"), 2, "X")
    y = np.atleast_1d(as_array(y, "y"))
    w = np.atleast_1d(as_array(w, "w"))
    if y.ndim != 1 or y.shape[0] != X.shape[0]:
        raise DlstudyError(
            f"y: expected {X.shape[0]} labels (one per row of X), got shape {y.shape}"
        )
    if w.ndim != 1 or w.shape[0] != X.shape[1]:
        raise DlstudyError(
            f"w: expected {X.shape[1]} weights (one per column of X), got shape {w.shape}"
        )
    if np.any((y < 0) | (y > 1)):
        raise DlstudyError("y: labels must lie in [0, 1] (use 0/1, not -1/+1)")
    return X, y, w


def _reduction(reduction: str) -> str:
    key = reduction.strip().lower()
    if key not in _REDUCTIONS:
        raise DlstudyError(f"reduction: expected sum or mean, got '{reduction}'")
    return key


def _base(base: str) -> str:
    key = str(base).strip().lower()
    if key in ("e", "ln", "nats", "nat"):
        return "e"
    if key in ("2", "2.0", "bits", "bit", "log2"):
        return "2"
    raise DlstudyError(f"base: expected e (nats) or 2 (bits), got '{base}'")


def log_sigma(z: np.ndarray) -> np.ndarray:
    r"""Stable :math:`\log\sigma(z) = -\log(1 + e^{-z})`."""
    return -np.logaddexp(0.0, -z)


def bce_terms(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    r"""Per-sample :math:`-[y\log\pi + (1-y)\log(1-\pi)]` with π = σ(z), in nats, computed stably."""
    # log(1 - σ(z)) = log σ(-z)
    return -(y * log_sigma(z) + (1.0 - y) * log_sigma(-z))


@reference(
    "logistic-nll",
    section="mle",
    summary="logistic-regression NLL (cross-entropy) -Σ[y log π + (1-y) log(1-π)], π = σ(Xw)",
    params_help=_HELP,
)
def logistic_nll(
    X: np.ndarray, y: np.ndarray, w: np.ndarray, reduction: str = "sum", base: str = "e"
) -> Solution:
    r"""Negative log-likelihood of logistic regression (binary cross-entropy).

    .. math:: \pi_i = \sigma(w^T x_i), \qquad
              -\log P(D|w) = -\sum_i \big[y_i \log\pi_i + (1-y_i)\log(1-\pi_i)\big]

    With ``reduction="mean"`` the sum is divided by n (the notes' :math:`-\frac1n\sum` form).

    Parameters
    ----------
    X : ndarray, shape (n, d)
    y : ndarray, shape (n,), entries in [0, 1]
    w : ndarray, shape (d,)
    reduction : "sum" or "mean"
    base : "e" (nats) or "2" (bits)

    Returns
    -------
    Solution with the NLL (a float). Mistakes: ``log-base`` (the other logarithm),
    ``mean-vs-sum`` (the other reduction).
    """
    X, y, w = _data(X, y, w)
    red, b = _reduction(reduction), _base(base)
    z = X @ w
    pi = sigma(z)
    terms_nats = bce_terms(z, y)

    def total(red_: str, base_: str) -> float:
        t = float(terms_nats.sum()) / _BASES[base_]
        return t / len(y) if red_ == "mean" else t

    nll = total(red, b)
    unit = "nats" if b == "e" else "bits"
    steps = [
        Step("z = Xw", z),
        Step("π = σ(z)", pi),
        Step(f"-[y log π + (1-y) log(1-π)] per sample ({unit})", terms_nats / _BASES[b]),
        Step(
            f"NLL ({red})",
            nll,
            (
                " + ".join(format_number(v, 6) for v in terms_nats / _BASES[b])
                + f" = {format_number(nll, 6)}"
            )
            if red == "sum"
            else f"({' + '.join(format_number(v, 6) for v in terms_nats / _BASES[b])})/{terms_nats.size}"
            f" = {format_number(nll, 6)}",
        ),
    ]
    other_base = "2" if b == "e" else "e"
    other_red = "mean" if red == "sum" else "sum"
    mistakes = [
        Mistake(
            "log-base",
            f"you used {'log base 2' if other_base == '2' else 'the natural log'}; this NLL is in {unit}",
            total(red, other_base),
        ),
        Mistake(
            "mean-vs-sum",
            f"you took the {other_red}; this NLL is the {red} over the samples",
            total(other_red, b),
        ),
    ]
    convention = (
        f"{red} over samples, natural log (nats)"
        if b == "e"
        else f"{red} over samples, log base 2 (bits)"
    )
    return Solution(nll, steps, mistakes, convention=convention)


def _gradient(
    X: np.ndarray, y: np.ndarray, w: np.ndarray, red: str
) -> tuple[np.ndarray, np.ndarray]:
    pi = sigma(X @ w)
    g = X.T @ (pi - y)
    return pi, (g / len(y) if red == "mean" else g)


@reference(
    "logistic-gradient",
    section="mle",
    summary="gradient of the logistic NLL: ∇_w = Xᵀ(π - y)",
    params_help=_HELP,
)
def logistic_gradient(
    X: np.ndarray, y: np.ndarray, w: np.ndarray, reduction: str = "sum"
) -> Solution:
    r"""Gradient of the logistic-regression NLL with respect to w.

    .. math:: \nabla_w \big(-\log P(D|w)\big) = \sum_i (\pi_i - y_i)\,x_i = X^T(\pi - y)

    (divided by n for ``reduction="mean"``).

    Parameters
    ----------
    X : ndarray, shape (n, d)
    y : ndarray, shape (n,)
    w : ndarray, shape (d,)
    reduction : "sum" or "mean"

    Returns
    -------
    Solution with the gradient, shape (d,). Mistakes: ``sign-flipped`` (Xᵀ(y - π)),
    ``mean-vs-sum``, ``no-sigmoid`` (Xᵀ(Xw - y), the least-squares gradient).
    """
    X, y, w = _data(X, y, w)
    red = _reduction(reduction)
    pi, g = _gradient(X, y, w, red)
    scale = " / n" if red == "mean" else ""
    steps = [
        Step("z = Xw", X @ w),
        Step("π = σ(z)", pi),
        Step("π - y", pi - y),
        Step(f"∇_w = Xᵀ(π - y){scale}", g),
    ]
    other = "mean" if red == "sum" else "sum"
    mistakes = [
        Mistake("sign-flipped", "the gradient of the NLL is Xᵀ(π - y), not Xᵀ(y - π)", -g),
        Mistake(
            "mean-vs-sum",
            f"you took the {other}; this gradient is of the {red}",
            _gradient(X, y, w, other)[1],
        ),
        Mistake(
            "no-sigmoid",
            "π = σ(Xw): you used Xw itself (the least-squares gradient)",
            X.T @ (X @ w - y) / (len(y) if red == "mean" else 1),
        ),
    ]
    return Solution(g, steps, mistakes, convention=f"gradient of the {red} NLL")


@reference(
    "logistic-gd-step",
    section="mle",
    summary="one gradient-descent step w ← w - η Xᵀ(π - y)",
    params_help=_HELP,
)
def logistic_gd_step(
    X: np.ndarray, y: np.ndarray, w: np.ndarray, eta: float = 0.1, reduction: str = "sum"
) -> Solution:
    r"""One gradient-descent step on the logistic-regression NLL.

    .. math:: w \leftarrow w - \eta\, X^T(\pi - y)

    Parameters
    ----------
    X : ndarray, shape (n, d)
    y : ndarray, shape (n,)
    w : ndarray, shape (d,)
    eta : float, learning rate η > 0
    reduction : "sum" or "mean"

    Returns
    -------
    Solution with the new w, shape (d,). Mistakes: ``ascent`` (w + η∇), ``mean-vs-sum``.
    """
    X, y, w = _data(X, y, w)
    red = _reduction(reduction)
    if eta <= 0:
        raise DlstudyError(f"eta: expected a learning rate > 0, got {format_number(eta)}")
    pi, g = _gradient(X, y, w, red)
    w_new = w - eta * g
    other = "mean" if red == "sum" else "sum"
    steps = [
        Step("π = σ(Xw)", pi),
        Step("∇_w = Xᵀ(π - y)" + (" / n" if red == "mean" else ""), g),
        Step("w ← w - η∇_w", w_new, f"{format_array(w)} - {format_number(eta)}·{format_array(g)}"),
    ]
    mistakes = [
        Mistake("ascent", "gradient descent subtracts η∇: you added it", w + eta * g),
        Mistake(
            "mean-vs-sum",
            f"you used the gradient of the {other}; this step uses the {red}",
            w - eta * _gradient(X, y, w, other)[1],
        ),
    ]
    return Solution(w_new, steps, mistakes, convention=f"gradient of the {red} NLL")


@reference(
    "gaussian-nll",
    section="mle",
    summary="Gaussian NLL Σ(y-f)²/2σ² + n/2 log 2πσ²: least squares plus a constant",
    params_help={
        "y": "targets, length n",
        "f": "predictions f(x_i), length n",
        "sigma": "noise standard deviation σ > 0",
    },
)
def gaussian_nll(y: np.ndarray, f: np.ndarray, sigma: float = 1.0) -> Solution:
    r"""Negative log-likelihood of y_i ~ N(f(x_i), σ²): least squares is its MLE.

    .. math:: -\log P(D) = \frac{1}{2\sigma^2}\sum_i (y_i - f_i)^2 + \frac{n}{2}\log(2\pi\sigma^2)

    The second term does not depend on f, so minimising the NLL over f is minimising the sum of
    squares (SSE).

    Parameters
    ----------
    y : ndarray, shape (n,)
    f : ndarray, shape (n,)
    sigma : float > 0

    Returns
    -------
    Solution with the NLL in nats (a float). Mistakes: ``missing-constant`` (SSE/2σ² only),
    ``missing-half`` (SSE/σ² + const), ``sigma-not-squared`` (SSE/2σ + n/2 log 2πσ).
    """
    y = np.atleast_1d(as_array(y, "y"))
    f = np.atleast_1d(as_array(f, "f"))
    if y.ndim != 1 or f.shape != y.shape:
        raise DlstudyError(
            f"f: expected {y.shape[0]} predictions (one per target), got shape {f.shape}"
        )
    if sigma <= 0:
        raise DlstudyError(f"sigma: expected a standard deviation > 0, got {format_number(sigma)}")
    if not 0 < 2.0 * sigma * sigma < math.inf:  # 2σ² must be a (non-zero) float
        raise DlstudyError(f"sigma: {format_number(sigma)} is too extreme (2σ² is not a float > 0)")
    n = len(y)
    r = y - f
    sse = float(r @ r)
    ls = sse / (2 * sigma**2)
    const = n / 2 * math.log(2 * math.pi * sigma**2)
    nll = ls + const
    steps = [
        Step("residuals y - f", r),
        Step("SSE = Σ(y - f)²", sse),
        Step(
            "SSE / 2σ²",
            ls,
            f"{format_number(sse)} / (2·{format_number(sigma)}²) = {format_number(ls, 6)}",
        ),
        Step("n/2 · log(2πσ²) (independent of f)", const),
        Step("NLL = SSE/2σ² + n/2 log 2πσ²", nll),
    ]
    mistakes = [
        Mistake("missing-constant", "the NLL also has the term n/2 · log(2πσ²)", ls),
        Mistake(
            "missing-half",
            "the Gaussian exponent is -(y-f)²/(2σ²): the 1/2 is missing",
            2 * ls + const,
        ),
        Mistake(
            "sigma-not-squared",
            "the variance is σ²: you used σ",
            sse / (2 * sigma) + n / 2 * math.log(2 * math.pi * sigma),
        ),
    ]
    return Solution(nll, steps, mistakes, convention="natural log (nats); sum over samples")
