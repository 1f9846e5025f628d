"""PCA (implemented with the SVD of the data) against numpy.linalg.eigh of the covariance, and the
linear autoencoder's optimum against a linear autoencoder trained with torch."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dlstudy.errors import DlstudyError
from dlstudy.grading import grade
from dlstudy.reference.registry import call


def _data(seed: int, n: int, d: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    A = rng.normal(0, 1, (d, d)) * np.linspace(2.0, 0.3, d)  # distinct spreads per direction
    return rng.normal(0, 1, (n, d)) @ A.T + rng.normal(0, 3, d)


def _eigh_pca(X: np.ndarray, ddof: int) -> tuple[np.ndarray, np.ndarray]:
    """Oracle: eigen-decomposition of the covariance matrix, largest eigenvalue first."""
    S = np.cov(X, rowvar=False, ddof=ddof).reshape(X.shape[1], X.shape[1])
    lam, V = np.linalg.eigh(S)
    return lam[::-1], V[:, ::-1]


@settings(max_examples=60, deadline=None)
@given(
    st.integers(0, 10**6),
    st.integers(3, 9),
    st.integers(1, 4),
    st.sampled_from(["n", "n-1"]),
    st.data(),
)
def test_pca_matches_eigh_of_the_covariance(seed, n, d, divisor, data):
    k = data.draw(st.integers(1, d))
    X = _data(seed, n, d)
    ddof = 0 if divisor == "n" else 1
    lam, V = _eigh_pca(X, ddof)
    sol = call("pca", {"x": X.tolist(), "k": k, "divisor": divisor})
    r = sol.result
    np.testing.assert_allclose(r["eigenvalues"], np.clip(lam, 0, None), rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(r["mean"], X.mean(axis=0), rtol=1e-12, atol=1e-12)
    # the projector onto the top-k eigenspace does not depend on signs or on the route
    P_oracle = V[:, :k] @ V[:, :k].T
    W = r["components"]
    assert W.shape == (k, d)
    gap_ok = k == d or lam[k - 1] - lam[k] > 1e-6 * lam[0]
    if gap_ok:
        np.testing.assert_allclose(W.T @ W, P_oracle, atol=1e-8)
        Xc = X - X.mean(axis=0)
        np.testing.assert_allclose(r["reconstruction"], Xc @ P_oracle + X.mean(axis=0), atol=1e-8)
    np.testing.assert_allclose(W @ W.T, np.eye(k), atol=1e-10)
    # error = Σ_n ‖x_n - x̂_n‖² = (n - ddof) Σ_{i>k} λ_i
    assert r["error"] == pytest.approx((n - ddof) * lam[k:].sum(), rel=1e-8, abs=1e-8)
    if divisor == "n":
        assert r["error_per_sample"] == pytest.approx(lam[k:].sum(), rel=1e-8, abs=1e-9)
    assert r["explained_variance_ratio"] == pytest.approx(lam[:k].sum() / lam.sum(), rel=1e-9)


def test_pca_by_hand_and_sign_convention():
    # Four points on the line y = x, shifted: one component along (1, 1)/√2, zero error
    X = [[1, 2], [2, 3], [3, 4], [4, 5]]
    r = call("pca", {"x": X, "k": 1}).result
    np.testing.assert_allclose(r["components"], [[1 / math.sqrt(2), 1 / math.sqrt(2)]], atol=1e-12)
    np.testing.assert_allclose(
        r["eigenvalues"], [2 * 1.25, 0], atol=1e-12
    )  # var of 1,2,3,4 (÷n) = 1.25
    np.testing.assert_allclose(
        r["projection"][:, 0], np.array([-1.5, -0.5, 0.5, 1.5]) * math.sqrt(2), atol=1e-12
    )
    assert r["error"] == pytest.approx(0, abs=1e-12)
    assert r["explained_variance_ratio"] == pytest.approx(1.0)


def test_pca_mistakes_are_named():
    X = _data(4, 6, 3)
    sol = call("pca", {"x": X.tolist(), "k": 1})
    lam, _ = _eigh_pca(X, 0)
    r = sol.result
    # uncentred: the eigenvectors of XᵀX/n instead of the covariance (oracle: eigh of the raw moment)
    raw = np.linalg.eigh(X.T @ X / len(X))[0][::-1]
    mistake = next(m for m in sol.mistakes if m.name == "uncentred")
    np.testing.assert_allclose(mistake.value["eigenvalues"], raw, rtol=1e-9)
    assert grade(sol, _plain(dict(mistake.value))).mistake.name == "uncentred"
    # n - 1 instead of n
    wrong = dict(r, eigenvalues=np.linalg.eigh(np.cov(X, rowvar=False))[0][::-1].tolist())
    assert grade(sol, _plain(wrong)).mistake.name == "divisor"
    # error as the sum of the kept eigenvalues
    wrong = dict(r, error=len(X) * lam[0], error_per_sample=lam[0])
    assert grade(sol, _plain(wrong)).mistake.name == "error-kept-eigenvalues"


def _plain(d: dict) -> dict:
    return {k: (v.tolist() if hasattr(v, "tolist") else v) for k, v in d.items()}


def test_linear_autoencoder_claim_example():
    # claims.md linear-ae-pca: Σ = [[3, 1], [1, 2]], k = 1 gives min error (5 - √5)/2
    sol = call("linear-autoencoder", {"cov": [[3, 1], [1, 2]], "k": 1})
    assert sol.result["min_error"] == pytest.approx((5 - math.sqrt(5)) / 2, rel=1e-12)
    np.testing.assert_allclose(
        sol.result["eigenvalues"], [(5 + math.sqrt(5)) / 2, (5 - math.sqrt(5)) / 2]
    )
    assert grade(sol, {**_plain(sol.result), "min_error": (5 + math.sqrt(5)) / 2}).mistake.name == (
        "error-kept-eigenvalues"
    )


def test_linear_autoencoder_trained_with_torch_reaches_the_pca_optimum():
    torch.manual_seed(0)
    X = _data(21, 40, 4)
    k = 2
    sol = call("linear-autoencoder", {"x": X.tolist(), "k": k})
    pca = call("pca", {"x": X.tolist(), "k": k}).result
    Xt = torch.tensor(X)
    enc = torch.nn.Linear(4, k, dtype=torch.float64)
    dec = torch.nn.Linear(k, 4, dtype=torch.float64)
    opt = torch.optim.LBFGS(
        [*enc.parameters(), *dec.parameters()],
        max_iter=150,
        tolerance_grad=1e-12,
        tolerance_change=1e-15,
        history_size=50,
        line_search_fn="strong_wolfe",
    )

    def closure():
        opt.zero_grad()
        loss = ((Xt - dec(enc(Xt))) ** 2).sum(dim=1).mean()
        loss.backward()
        return loss

    for _ in range(2):
        opt.step(closure)
    trained = float(closure().detach())
    assert trained == pytest.approx(sol.result["min_error"], rel=1e-6)
    assert sol.result["min_error"] == pytest.approx(pca["error_per_sample"], rel=1e-10)
    # the trained D E is the projector onto the PCA subspace
    DE = (dec.weight @ enc.weight).detach().numpy()
    np.testing.assert_allclose(DE, sol.result["projector"], atol=1e-4)
    np.testing.assert_allclose(
        sol.result["projector"], pca["components"].T @ pca["components"], atol=1e-10
    )


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 10**6), st.integers(2, 5), st.data())
def test_linear_autoencoder_error_is_the_best_rank_k_projection(seed, d, data):
    # oracle: the error of the projector onto any k-dim subspace is >= Σ_{i>k} λ_i, with equality for
    # the top eigenvectors (trace form E‖x - Px‖² = tr(Σ) - tr(PΣ))
    k = data.draw(st.integers(1, d))
    rng = np.random.default_rng(seed)
    A = rng.normal(0, 1, (d, d))
    S = A @ A.T
    sol = call("linear-autoencoder", {"cov": S.tolist(), "k": k})
    P = sol.result["projector"]
    assert np.trace(S) - np.trace(P @ S) == pytest.approx(
        sol.result["min_error"], rel=1e-8, abs=1e-9
    )
    Q, _ = np.linalg.qr(rng.normal(0, 1, (d, k)))
    assert np.trace(S) - np.trace(Q @ Q.T @ S) >= sol.result["min_error"] - 1e-9


@pytest.mark.parametrize(
    ("name", "values", "fragment"),
    [
        ("pca", {"x": [[1, 2], [3, 4]], "k": 3}, "k: expected 1 <= k <= d = 2"),
        ("pca", {"x": [[1, 2]], "k": 1}, "x: expected at least 2 samples"),
        ("pca", {"x": [[1, 2], [3, 4]], "k": 1, "divisor": "m"}, "divisor: expected n or n-1"),
        ("pca", {"x": [[[1]]], "k": 1}, "x: expected an n×d data matrix"),
        ("linear-autoencoder", {"k": 1}, "give exactly one of x"),
        (
            "linear-autoencoder",
            {"k": 1, "cov": [[1, 2], [0, 1]]},
            "cov: a covariance matrix must be symmetric",
        ),
        ("linear-autoencoder", {"k": 1, "cov": [[1, 2], [2, 1]]}, "positive semi-definite"),
        ("linear-autoencoder", {"k": 1, "cov": [[1, 2, 3]]}, "cov: expected a square"),
    ],
)
def test_bad_input_is_a_domain_error(name, values, fragment):
    with pytest.raises(DlstudyError) as info:
        call(name, values)
    assert fragment in info.value.message
