"""HMAX: S-cells (Gaussian template matching) and C-cells (max pooling) (notes: "HMAX Model").

An S-cell with prototype w responds to an input patch x with

    y = exp(-1/(2σ²) Σ_j (w_j - x_j)²),

which is 1 when x = w and decays with the squared distance; a C-cell takes the max of the S responses
over a pool of positions (and scales), which makes it tolerant to small shifts.
"""

from __future__ import annotations

import numpy as np

from dlstudy.errors import DlstudyError
from dlstudy.output import format_array, format_number
from dlstudy.reference.activations import out
from dlstudy.reference.pooling import pool2d_forward
from dlstudy.reference.registry import Mistake, Solution, Step, as_array, reference, require_ndim


def s_response(d2: np.ndarray, sigma: float) -> np.ndarray:
    r""":math:`\exp(-d^2 / 2\sigma^2)` for squared distances d²."""
    return np.exp(-d2 / (2.0 * sigma**2))


def _sigma(sigma: float) -> float:
    if sigma <= 0:
        raise DlstudyError(f"sigma: expected a width σ > 0, got {format_number(sigma)}")
    if not 0 < 2.0 * sigma * sigma < float("inf"):  # 2σ² must be a (non-zero) float
        raise DlstudyError(f"sigma: {format_number(sigma)} is too extreme (2σ² is not a float > 0)")
    return sigma


@reference(
    "hmax-s-cell",
    section="hmax",
    summary="S-cell response y = exp(-Σ(w_j - x_j)² / 2σ²)",
    params_help={
        "w": "prototype (the S-cell's weights), a vector or a patch",
        "x": "input patch, same shape as w",
        "sigma": "tuning width σ > 0",
    },
)
def hmax_s_cell(w: np.ndarray, x: np.ndarray, sigma: float = 1.0) -> Solution:
    r"""Response of an HMAX S-cell (a Gaussian radial basis function).

    .. math:: y = \exp\Big(-\frac{1}{2\sigma^2} \sum_{j=1}^{n_{sk}} (w_j - x_j)^2\Big)

    Parameters
    ----------
    w : ndarray, any shape (the prototype)
    x : ndarray, the shape of ``w``
    sigma : float > 0

    Returns
    -------
    Solution with y ∈ (0, 1] (a float). Mistakes: ``missing-half`` (exp(-d²/σ²)),
    ``sigma-not-squared`` (exp(-d²/2σ)), ``distance-not-squared`` (exp(-‖w - x‖/2σ²)).
    """
    w = as_array(w, "w")
    x = as_array(x, "x")
    if w.shape != x.shape:
        raise DlstudyError(f"x: expected the shape of w {w.shape}, got {x.shape}")
    _sigma(sigma)
    diff = w - x
    d2 = float(np.sum(diff**2))
    y = float(s_response(np.asarray(d2), sigma))
    steps = [
        Step("w − x", out(diff)),
        Step(
            "Σ(w_j − x_j)²",
            d2,
            " + ".join(format_number(v, 4) for v in np.ravel(diff**2))
            + f" = {format_number(d2, 6)}",
        ),
        Step(
            "−Σ(w_j − x_j)² / 2σ²",
            -d2 / (2 * sigma**2),
            f"−{format_number(d2, 4)} / (2·{format_number(sigma)}²) = "
            f"{format_number(-d2 / (2 * sigma**2), 6)}",
        ),
        Step(
            "y = exp(−Σ(w_j − x_j)² / 2σ²)",
            y,
            f"exp({format_number(-d2 / (2 * sigma**2), 6)}) = {format_number(y, 6)}",
        ),
    ]
    mistakes = [
        Mistake(
            "missing-half",
            "the exponent is -Σ(w - x)²/(2σ²): the 1/2 is missing",
            float(np.exp(-d2 / sigma**2)),
        ),
        Mistake(
            "sigma-not-squared",
            "the exponent divides by 2σ², not 2σ",
            float(np.exp(-d2 / (2 * sigma))),
        ),
        Mistake(
            "distance-not-squared",
            "the exponent uses the squared distance Σ(w - x)², not ‖w - x‖",
            float(np.exp(-np.sqrt(d2) / (2 * sigma**2))),
        ),
    ]
    return Solution(y, steps, mistakes)


@reference(
    "hmax-s-map",
    section="hmax",
    summary="S-layer: the S-cell response to every patch of an image (valid positions)",
    params_help={
        "w": "prototype patch, shape (k, k')",
        "image": "input image, shape (H, W)",
        "sigma": "tuning width σ > 0",
    },
)
def hmax_s_map(w: np.ndarray, image: np.ndarray, sigma: float = 1.0) -> Solution:
    r"""S-cell responses at every valid position of an image.

    .. math:: y_{ij} = \exp\Big(-\frac{1}{2\sigma^2}\sum_{m,n}(w_{mn} - I_{i+m,j+n})^2\Big)

    Parameters
    ----------
    w : ndarray, shape (k, k')
    image : ndarray, shape (H, W), H ≥ k, W ≥ k'
    sigma : float > 0

    Returns
    -------
    Solution with the response map, shape (H - k + 1, W - k' + 1). Mistake: ``missing-half``.
    """
    w = require_ndim(as_array(w, "w"), 2, "w")
    image = require_ndim(as_array(image, "image"), 2, "image")
    _sigma(sigma)
    k, kk = w.shape
    if image.shape[0] < k or image.shape[1] < kk:
        raise DlstudyError(
            f"image: expected at least the prototype's shape {w.shape}, got {image.shape}"
        )
    patches = np.lib.stride_tricks.sliding_window_view(image, (k, kk))
    d2 = np.sum((patches - w) ** 2, axis=(-2, -1))
    y = s_response(d2, sigma)
    steps = [
        Step("squared distances Σ(w - patch)² at each position", d2),
        Step("y = exp(-d² / 2σ²)", y),
    ]
    mistakes = [
        Mistake(
            "missing-half", "the exponent is -d²/(2σ²): the 1/2 is missing", np.exp(-d2 / sigma**2)
        )
    ]
    return Solution(y, steps, mistakes)


@reference(
    "hmax-c-cell",
    section="hmax",
    summary="C-cell: max of S responses over a pool (the whole array, or k×k windows with a stride)",
    params_help={
        "s": "S responses: a vector or a map",
        "k": "pool size; 0 (default) pools over everything",
        "stride": "step between pools (default k)",
    },
)
def hmax_c_cell(s: np.ndarray, k: int = 0, stride: int = 0) -> Solution:
    r"""C-cell response: the maximum of the S responses in its pool.

    .. math:: c = \max_{j \in \text{pool}} y_j

    Parameters
    ----------
    s : ndarray, shape (n,) or (H, W)
    k : int ≥ 0; 0 pools over all of ``s`` (one C-cell), else k (vector) or k×k (map) windows
    stride : int ≥ 0; 0 means k (non-overlapping pools)

    Returns
    -------
    Solution with one number (k = 0) or the pooled vector/map, shape ⌊(n - k)/stride⌋ + 1 per axis.
    Mistakes: ``average`` (mean instead of max), ``sum``.
    """
    s = as_array(s, "s")
    if s.ndim > 2:
        raise DlstudyError(f"s: expected a vector or a map of S responses, got shape {s.shape}")
    if k < 0 or stride < 0:
        raise DlstudyError("k, stride: expected integers ≥ 0")
    if k == 0:
        c = float(s.max())
        steps = [Step("c = max over the pool", c, f"max{format_array(np.ravel(s))}")]
        mistakes = [
            Mistake(
                "average", "a C-cell takes the max of its inputs, not their mean", float(s.mean())
            ),
            Mistake("sum", "a C-cell takes the max of its inputs, not their sum", float(s.sum())),
        ]
        return Solution(c, steps, mistakes)
    st = stride or k
    s2 = np.atleast_2d(s)
    # a vector is a 1-row map pooled by 1×k windows
    window, step = ((k, k), (st, st)) if s.ndim == 2 else ((1, k), (1, st))
    if s2.shape[0] < window[0] or s2.shape[1] < window[1]:
        raise DlstudyError(f"k: pool {window} larger than the responses {s2.shape}")
    pooled = pool2d_forward(s2[None, None], window, step, (0, 0), "max")[0][0, 0]
    mean = pool2d_forward(s2[None, None], window, step, (0, 0), "avg")[0][0, 0]
    total = mean * (window[0] * window[1])
    if s.ndim < 2:
        pooled, mean, total = pooled[0], mean[0], total[0]
    steps = [Step(f"the maximum of each {k}×{k} pool (stride {st})", pooled)]
    mistakes = [
        Mistake("average", "a C-cell takes the max of its inputs, not their mean", mean),
        Mistake("sum", "a C-cell takes the max of its inputs, not their sum", total),
    ]
    return Solution(pooled, steps, mistakes, convention=f"pool {k}, stride {st}, no padding")
