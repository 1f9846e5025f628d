"""PCA and the linear autoencoder (notes: "Auto Encoders": a linear f, g is PCA).

Conventions (they change numbers):

* data X is n×d, one sample per row; PCA centres it (x̄ is subtracted) before anything else;
* the covariance is S = X_cᵀX_c / (n - ddof) with the divisor ``"n"`` (default, ddof = 0) or ``"n-1"``;
  eigenvalues λ_1 >= ... >= λ_d are those of S;
* ``error`` is the notes' objective Σ_n ‖x_n - x̂_n‖² (a sum over samples) and ``error_per_sample`` is
  error / n, which equals Σ_{i>k} λ_i with the divisor n;
* each component's sign is chosen so that its largest-magnitude entry is positive.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlstudy.errors import DlstudyError
from dlstudy.output import format_number
from dlstudy.reference.registry import (
    ASIDE,
    Mistake,
    Solution,
    Step,
    as_array,
    reference,
)

_DIVISORS = ("n", "n-1")


def _ddof(divisor: str) -> int:
    word = str(divisor).strip().lower().replace(" ", "")
    if word not in _DIVISORS:
        raise DlstudyError(f"divisor: expected n or n-1, got '{divisor}'")
    return 0 if word == "n" else 1


def _data(x: Any) -> np.ndarray:
    """The n×d data matrix x (a vector is n samples of one feature), with n >= 2."""
    X = as_array(x, "x")
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2:
        raise DlstudyError(
            f"x: expected an n×d data matrix (one sample per row), got shape {X.shape}"
        )
    if X.shape[0] < 2:
        raise DlstudyError(f"x: expected at least 2 samples (rows), got {X.shape[0]}")
    return X


def _check_k(k: int, d: int) -> None:
    if not 1 <= k <= d:
        raise DlstudyError(f"k: expected 1 <= k <= d = {d} (the data dimension), got {k}")


def orient(components: np.ndarray) -> np.ndarray:
    """Flip each row so that its largest-magnitude entry (the first, on ties) is positive."""
    out = components.copy()
    for row in out:
        mags = np.abs(row)
        j = int(np.argmax(mags >= mags.max() - 1e-9))
        if row[j] < 0:
            row *= -1.0
    return out


def pca_fit(X: np.ndarray, k: int, ddof: int = 0, centre: bool = True) -> dict[str, Any]:
    """PCA by the SVD of the (centred) data: X_c = U Σ Vᵀ, λ_i = σ_i²/(n - ddof), components = rows
    of Vᵀ. ``centre=False`` gives the uncentred wrong-method answer."""
    n, d = X.shape
    mean = X.mean(axis=0) if centre else np.zeros(d)
    Xc = X - mean
    _, s, Vt = np.linalg.svd(Xc, full_matrices=True)
    sv = np.zeros(d)
    sv[: s.size] = s
    eigenvalues = sv**2 / (n - ddof)
    # rounding noise (λ = 5e−34 for rank-deficient data) is an exact 0
    top = float(eigenvalues.max())
    if np.isfinite(top):  # (an overflow stays visible: the domain error reports it)
        eigenvalues[eigenvalues <= 1e-12 * max(top, 1e-300)] = 0.0
    components = orient(Vt[:k])
    # z_n = W (x_n - x̄): projection onto the k components
    Z = Xc @ components.T
    # x̂_n = Wᵀ z_n + x̄
    X_hat = Z @ components + mean
    error = float(((X - X_hat) ** 2).sum())
    scale = float((Xc**2).sum())
    if np.isfinite(scale) and error <= 1e-12 * max(1.0, scale):  # exact, up to rounding
        error = 0.0
    total = float(eigenvalues.sum())
    ratio = float(eigenvalues[:k].sum() / total) if total > 0 else 1.0
    return {
        "mean": mean,
        "eigenvalues": eigenvalues,
        "components": components,
        "projection": Z,
        "reconstruction": X_hat,
        "error": error,
        "error_per_sample": error / n,
        "explained_variance_ratio": ratio,
    }


@reference(
    "pca",
    section="autoencoders",
    summary="PCA of n×d data: components, projection, reconstruction, error Σ_{i>k} λ_i, explained variance",
    params_help={
        "x": "data matrix X, n×d (one sample per row)",
        "k": "number of components kept",
        "divisor": "covariance divisor: n (default) or n-1",
    },
)
def pca(x: np.ndarray, k: int, divisor: str = "n") -> Solution:
    r"""Principal component analysis with k components.

    .. math::
        S = \frac{1}{n - \text{ddof}} X_c^T X_c = \sum_i \lambda_i v_i v_i^T,\quad
        z_n = W(x_n - \bar x),\quad \hat x_n = W^T z_n + \bar x,\quad W = [v_1 \dots v_k]^T

    .. math::
        \frac1n\sum_n \|x_n - \hat x_n\|^2 = \sum_{i>k} \lambda_i \ (\text{divisor } n),\qquad
        \text{explained variance ratio} = \frac{\sum_{i\le k}\lambda_i}{\sum_i \lambda_i}

    Parameters
    ----------
    x : ndarray of shape (n, d)
        Data, one sample per row.
    k : int
        Components kept, 1 <= k <= d.
    divisor : {"n", "n-1"}
        Covariance divisor.

    Returns
    -------
    Solution
        ``result``: ``{"mean" (d,), "eigenvalues" (d,), "components" (k, d), "projection" (n, k),
        "reconstruction" (n, d), "error", "error_per_sample", "explained_variance_ratio"}``.
    """
    X = _data(x)
    n, d = X.shape
    _check_k(k, d)
    ddof = _ddof(divisor)
    fit = pca_fit(X, k, ddof)
    lam = fit["eigenvalues"]
    div = "n" if ddof == 0 else "n − 1"
    fitted = ("components", "projection", "reconstruction", "error", "error_per_sample")
    kept_text = " + ".join(format_number(v, 6) for v in lam[:k])
    kept_text = f"({kept_text})" if k > 1 else kept_text
    steps = [
        Step("mean x̄", fit["mean"]),
        Step(
            f"covariance S = (1/{div if ddof == 0 else f'({div})'})·Σ_n (x_n − x̄)(x_n − x̄)ᵀ",
            (X - fit["mean"]).T @ (X - fit["mean"]) / (n - ddof),
        ),
        Step("λ = the eigenvalues of S, largest first", lam),
        Step(
            f"W = the top {k} eigenvector{'s' if k > 1 else ''} of S, as rows",
            fit["components"],
            part=fitted,
        ),
        Step("projection z_n = W(x_n − x̄) (rows)", fit["projection"], part=fitted[1:]),
        Step("reconstruction x̂_n = Wᵀz_n + x̄ (rows)", fit["reconstruction"], part=fitted[2:]),
        Step("error Σ_n ‖x_n − x̂_n‖²", fit["error"], part=fitted[3:]),
        Step(
            "error per sample = error/n",
            fit["error_per_sample"],
            (
                f"Σ_(i>k) λ_i = {format_number(lam[k:].sum())}"
                if ddof == 0
                else f"(n − 1)/n · Σ_(i>k) λ_i = {format_number((n - 1) / n * lam[k:].sum())}"
            ),
            part=fitted[4:],
        ),
        Step(
            "explained variance ratio Σ_(i≤k) λ_i / Σ_i λ_i",
            fit["explained_variance_ratio"],
            f"({kept_text})/{format_number(lam.sum(), 6)} = "
            f"{format_number(fit['explained_variance_ratio'], 6)}",
            part="explained_variance_ratio",
        ),
    ]
    if k < d and abs(lam[k - 1] - lam[k]) <= 1e-9 * max(1.0, lam[0]):
        steps.append(
            Step(
                "note",
                None,
                f"λ_{k} = λ_{k + 1}: the top-{k} subspace is not unique (the error is)",
            )
        )
    other_ddof = 1 - ddof
    other = pca_fit(X, k, other_ddof)
    kept = dict(fit)
    kept["error_per_sample"] = float(lam[:k].sum())
    kept["error"] = n * float(lam[:k].sum())
    mistakes = [
        Mistake(
            "uncentred",
            "you did not subtract the mean: PCA diagonalises the covariance of the centred data",
            pca_fit(X, k, ddof, centre=False),
        ),
        Mistake(
            "divisor",
            f"you divided by {'n-1' if other_ddof else 'n'}: this question's covariance divides by {div}",
            other,
        ),
        Mistake(
            "error-kept-eigenvalues",
            "the reconstruction error is the sum of the discarded eigenvalues Σ_(i>k) λ_i, "
            "not of the kept ones",
            kept,
        ),
    ]
    convention = (
        f"covariance divisor {div}; error = Σ_n ‖x_n - x̂_n‖² (sum over samples), "
        "error_per_sample = error/n; each component's largest-magnitude entry is positive"
    )
    return Solution(fit, steps, mistakes, convention=convention)


def _covariance(cov: Any) -> np.ndarray:
    S = as_array(cov, "cov")
    if S.ndim == 0:
        S = S.reshape(1, 1)
    if S.ndim != 2 or S.shape[0] != S.shape[1]:
        raise DlstudyError(f"cov: expected a square d×d covariance matrix, got shape {S.shape}")
    if not np.allclose(S, S.T, rtol=0, atol=1e-9 * max(1.0, float(np.abs(S).max()))):
        raise DlstudyError("cov: a covariance matrix must be symmetric")
    if np.linalg.eigvalsh(S).min() < -1e-9 * max(1.0, float(np.abs(S).max())):
        raise DlstudyError("cov: a covariance matrix must be positive semi-definite")
    return S


def _eigen_descending(S: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues λ_1 >= ... >= λ_d of a symmetric S (rounding below 0 clipped) and eigenvectors
    as the columns of V, in the same order."""
    lam, V = np.linalg.eigh(S)
    return lam[::-1].clip(min=0.0), V[:, ::-1]


@reference(
    "linear-autoencoder",
    section="autoencoders",
    summary="optimal linear autoencoder = PCA: projector onto the top-k eigenspace, min error Σ_{i>k} λ_i",
    params_help={
        "k": "latent dimension",
        "x": "data matrix X, n×d (give x or cov)",
        "cov": "covariance matrix Σ, d×d (give x or cov)",
        "divisor": "covariance divisor when x is given: n (default) or n-1",
    },
)
def linear_autoencoder(
    k: int,
    x: np.ndarray | None = None,
    cov: np.ndarray | None = None,
    divisor: str = "n",
) -> Solution:
    r"""The optimum of a linear autoencoder x̂ = D E (x - x̄) + x̄ under the mean squared error.

    .. math::
        \min_{E \in \mathbb R^{k\times d}, D \in \mathbb R^{d\times k}}
        \mathbb E\|x - D E x\|^2 = \sum_{i>k}\lambda_i(\Sigma),\qquad D E = V_k V_k^T

    The optimal D E is the orthogonal projector onto the top-k eigenspace of Σ (the PCA subspace);
    E and D themselves are determined only up to an invertible k×k matrix.

    Parameters
    ----------
    k : int
        Latent dimension, 1 <= k <= d.
    x : ndarray of shape (n, d), optional
        Data (centred here); the covariance uses ``divisor``.
    cov : ndarray of shape (d, d), optional
        Covariance Σ (symmetric, positive semi-definite); give either x or cov.
    divisor : {"n", "n-1"}

    Returns
    -------
    Solution
        ``result``: ``{"min_error": Σ_{i>k} λ_i, "projector": (d, d), "eigenvalues": (d,)}``.
    """
    if (x is None) == (cov is None):
        raise DlstudyError("linear-autoencoder: give exactly one of x (data) or cov (covariance)")
    ddof = _ddof(divisor)
    if x is not None:
        X = _data(x)
        Xc = X - X.mean(axis=0)
        S = Xc.T @ Xc / (X.shape[0] - ddof)
    else:
        S = _covariance(cov)
    d = S.shape[0]
    _check_k(k, d)
    lam, V = _eigen_descending(S)
    Vk = V[:, :k]
    P = Vk @ Vk.T
    min_error = float(lam[k:].sum())
    steps = [
        Step("covariance Σ", S, part="" if x is not None else ASIDE),
        Step("λ = the eigenvalues of Σ, largest first", lam),
        Step(f"V_k: the top {k} eigenvectors (columns)", orient(Vk.T).T, part="projector"),
        Step(
            "optimal decoder·encoder = V_k V_kᵀ (projector onto the PCA subspace)",
            P,
            part="projector",
        ),
        Step(
            "min error E‖x − x̂‖² = Σ_(i>k) λ_i (the discarded eigenvalues)",
            min_error,
            " + ".join(format_number(v, 6) for v in lam[k:]) + f" = {format_number(min_error, 6)}"
            if d - k > 1
            else "",
            part="min_error",
        ),
    ]
    mistakes = [
        Mistake(
            "error-kept-eigenvalues",
            "the minimum error is the sum of the discarded eigenvalues Σ_(i>k) λ_i, not of the kept",
            {"min_error": float(lam[:k].sum()), "projector": P, "eigenvalues": lam},
        ),
    ]
    if k < d - 1:
        mistakes.append(
            Mistake(
                "only-next-eigenvalue",
                "you kept only λ_(k+1): the error adds up every discarded eigenvalue",
                {"min_error": float(lam[k]), "projector": P, "eigenvalues": lam},
            )
        )
    if x is not None:
        lam_raw, V_raw = _eigen_descending(X.T @ X / (X.shape[0] - ddof))
        mistakes.append(
            Mistake(
                "uncentred",
                "you did not subtract the mean: the linear autoencoder's optimum (with biases) is PCA "
                "of the centred data",
                {
                    "min_error": float(lam_raw[k:].sum()),
                    "projector": V_raw[:, :k] @ V_raw[:, :k].T,
                    "eigenvalues": lam_raw,
                },
            )
        )
    convention = (
        "squared error per sample, centred data; λ are the eigenvalues of the covariance"
        + (f" (divisor {'n' if ddof == 0 else 'n-1'})" if x is not None else "")
    )
    return Solution(
        {"min_error": min_error, "projector": P, "eigenvalues": lam},
        steps,
        mistakes,
        convention=convention,
    )
