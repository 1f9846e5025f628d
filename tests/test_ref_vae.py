"""VAE reference functions against torch.distributions (an independent implementation)."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dlstudy.errors import DlstudyError
from dlstudy.grading import grade
from dlstudy.reference.registry import call

D = torch.distributions


@pytest.fixture(autouse=True)
def _float64():
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


vec = st.integers(1, 5).flatmap(
    lambda n: st.tuples(
        st.lists(st.floats(-3, 3), min_size=n, max_size=n),
        st.lists(st.floats(-2, 2), min_size=n, max_size=n),
        st.lists(st.floats(-3, 3), min_size=n, max_size=n),
    )
)


def torch_kl(mu, sigma):
    q = D.Normal(torch.tensor(mu, dtype=torch.float64), torch.tensor(sigma, dtype=torch.float64))
    p = D.Normal(
        torch.zeros(len(mu), dtype=torch.float64), torch.ones(len(mu), dtype=torch.float64)
    )
    return D.kl_divergence(q, p).sum().item()


@settings(max_examples=100, deadline=None)
@given(vec)
def test_vae_kl_matches_torch(v):
    mu, logvar, _ = v
    sigma = np.exp(np.array(logvar) / 2)
    assert call("vae-kl", {"mu": mu, "logvar": logvar}).result == pytest.approx(
        torch_kl(mu, sigma.tolist()), rel=1e-9, abs=1e-12
    )
    assert call("vae-kl", {"mu": mu, "sigma": sigma.tolist()}).result == pytest.approx(
        torch_kl(mu, sigma.tolist()), rel=1e-9, abs=1e-12
    )


@settings(max_examples=100, deadline=None)
@given(vec)
def test_reparameterize_is_the_inverse_cdf_transform(v):
    mu, logvar, eps = v
    sigma = torch.exp(torch.tensor(logvar, dtype=torch.float64) / 2)
    q = D.Normal(torch.tensor(mu, dtype=torch.float64), sigma)
    u = D.Normal(0.0, 1.0).cdf(torch.tensor(eps, dtype=torch.float64))
    expected = q.icdf(u).numpy()
    got = call("reparameterize", {"mu": mu, "logvar": logvar, "eps": eps}).result
    np.testing.assert_allclose(got, expected, rtol=1e-7, atol=1e-7)


def test_elbo_bernoulli_and_gaussian_match_torch_log_prob():
    x = [1.0, 0.0, 1.0]
    x_hat = [0.8, 0.3, 0.6]
    mu, logvar = [0.5, -1.0], [0.2, -0.4]
    sol = call("elbo", {"x": x, "x_hat": x_hat, "mu": mu, "logvar": logvar})
    rec = (
        D.Bernoulli(probs=torch.tensor(x_hat, dtype=torch.float64))
        .log_prob(torch.tensor(x, dtype=torch.float64))
        .sum()
        .item()
    )
    kl = torch_kl(mu, np.exp(np.array(logvar) / 2).tolist())
    assert sol.result["reconstruction"] == pytest.approx(rec)
    assert sol.result["elbo"] == pytest.approx(rec - kl)
    sol = call(
        "elbo",
        {
            "x": [0.5, 1.5],
            "x_hat": [0.0, 1.0],
            "mu": mu,
            "sigma": [1, 2],
            "decoder": "gaussian",
            "decoder_sigma": 0.5,
        },
    )
    rec = (
        D.Normal(torch.tensor([0.0, 1.0], dtype=torch.float64), 0.5)
        .log_prob(torch.tensor([0.5, 1.5], dtype=torch.float64))
        .sum()
        .item()
    )
    assert sol.result["reconstruction"] == pytest.approx(rec)
    assert sol.result["elbo"] == pytest.approx(rec - torch_kl(mu, [1.0, 2.0]))


def test_elbo_is_a_lower_bound_with_equality_at_the_true_posterior():
    """A one-dimensional Gaussian latent with a Gaussian decoder: log p(x) is exact (closed form)."""
    # p(z) = N(0,1), p(x|z) = N(z, s²) → p(x) = N(0, 1 + s²); q(z|x) = N(m, t²) any.
    s, x = 0.7, 1.3
    log_px = D.Normal(0.0, math.sqrt(1 + s**2)).log_prob(torch.tensor(x)).item()
    rng = np.random.default_rng(0)
    for m, t in [(0.2, 0.5), (x / (1 + s**2), math.sqrt(s**2 / (1 + s**2))), (1.0, 1.0)]:
        # E_q log p(x|z) in closed form = log N(x; m, s²) − t²/(2 s²)
        exp_rec = D.Normal(m, s).log_prob(torch.tensor(x)).item() - t**2 / (2 * s**2)
        eps = rng.standard_normal(200_000)
        z = call(
            "reparameterize", {"mu": [m], "sigma": [t], "eps": [0.0]}
        ).result  # z at ε = 0 is μ
        assert z[0] == pytest.approx(m)
        kl = call("vae-kl", {"mu": [m], "sigma": [t]}).result
        assert exp_rec - kl <= log_px + 1e-12
        mc = np.mean(-0.5 * np.log(2 * np.pi * s**2) - (x - (m + t * eps)) ** 2 / (2 * s**2))
        assert mc == pytest.approx(exp_rec, abs=5e-3)
    # equality at the true posterior N(x/(1+s²), s²/(1+s²))
    m, t = x / (1 + s**2), math.sqrt(s**2 / (1 + s**2))
    exp_rec = D.Normal(m, s).log_prob(torch.tensor(x)).item() - t**2 / (2 * s**2)
    assert exp_rec - call("vae-kl", {"mu": [m], "sigma": [t]}).result == pytest.approx(
        log_px, abs=1e-6
    )


def test_beta_vae_loss_and_mistakes():
    args = {"x": [1, 0], "x_hat": [0.9, 0.2], "mu": [1.0], "logvar": [0.0], "beta": 4}
    sol = call("beta-vae-loss", args)
    bce = torch.nn.functional.binary_cross_entropy(
        torch.tensor([0.9, 0.2], dtype=torch.float64),
        torch.tensor([1.0, 0.0], dtype=torch.float64),
        reduction="sum",
    ).item()
    assert sol.result == pytest.approx(bce + 4 * torch_kl([1.0], [1.0]))
    wrong = call("vae-kl", {"mu": [1.0], "logvar": [1.0]})
    v = grade(wrong, torch_kl([1.0], [math.e]))  # σ = exp(logvar) mistake
    assert not v.correct and v.mistake.name == "sigma-is-exp-logvar"


@pytest.mark.parametrize(
    ("name", "args", "fragment"),
    [
        ("vae-kl", {"mu": [0, 1]}, "exactly one of sigma and logvar"),
        ("vae-kl", {"mu": [0, 1], "sigma": [1, -1]}, "> 0"),
        ("vae-kl", {"mu": [0, 1], "sigma": [1]}, "shape"),
        ("elbo", {"x": [1], "x_hat": [1.0], "mu": [0], "sigma": [1]}, "strictly between 0 and 1"),
        (
            "elbo",
            {"x": [1], "x_hat": [0.5], "mu": [0], "sigma": [1], "decoder": "poisson"},
            "bernoulli",
        ),
        ("reparameterize", {"mu": [0, 1], "eps": [1], "sigma": [1, 1]}, "eps has shape"),
    ],
)
def test_bad_input(name, args, fragment):
    with pytest.raises(DlstudyError, match=fragment):
        call(name, args)
