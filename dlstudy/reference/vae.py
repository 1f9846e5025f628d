"""Variational autoencoders and β-VAE (notes: "Variational autoencoders", "B-VAE").

Conventions: natural logarithms (nats); the ELBO is a single-sample estimate summed over the data
dimensions (a sum, not a mean); a diagonal-Gaussian encoder q(z|x) = N(μ, diag σ²) is given by ``mu``
and either ``sigma`` or ``logvar`` = log σ² (so σ = exp(logvar / 2)).
"""

from __future__ import annotations

import numpy as np

from dlstudy.errors import DlstudyError
from dlstudy.reference.divergences import gaussian_kl_terms
from dlstudy.reference.registry import (
    ASIDE,
    Mistake,
    Solution,
    Step,
    as_vector,
    reference,
)


def _square(v: float) -> str:
    """``(−2)²`` for a negative number (not ``−2²``)."""
    text = f"{v:.4g}".replace("-", "−")
    return f"({text})²" if text.startswith("−") else f"{text}²"


_SIGMA_HELP = {
    "mu": "encoder mean μ (vector of length J)",
    "logvar": "encoder log-variance log σ² (length J); give this or sigma",
    "sigma": "encoder standard deviation σ > 0 (length J); give this or logvar",
}


def _sigma(mu: np.ndarray, logvar: np.ndarray | None, sigma: np.ndarray | None) -> np.ndarray:
    """σ from exactly one of ``sigma`` and ``logvar`` (σ = exp(logvar/2)), shaped like μ."""
    if (logvar is None) == (sigma is None):
        raise DlstudyError("give exactly one of sigma and logvar (log σ²)")
    if sigma is not None:
        s = as_vector(sigma, "sigma")
        if np.any(s <= 0):
            raise DlstudyError("sigma: every standard deviation must be > 0")
    else:
        s = np.exp(as_vector(logvar, "logvar") / 2)
    if s.shape != mu.shape:
        raise DlstudyError(f"sigma/logvar has shape {s.shape} but mu has shape {mu.shape}")
    return s


def kl_to_standard_normal(mu: np.ndarray, sigma: np.ndarray) -> float:
    r"""KL(N(μ, diag σ²) ‖ N(0, I)).

    .. math:: D_{KL} = \tfrac12 \sum_j (\mu_j^2 + \sigma_j^2 - 1 - \log \sigma_j^2)

    ``mu``, ``sigma``: shape (J,). Returns nats: the divergences chapter's Gaussian KL with μ2 = 0,
    σ2 = 1.
    """
    return float(gaussian_kl_terms(mu, sigma, 0.0, 1.0).sum())


@reference(
    "vae-kl",
    section="vae",
    summary="KL(N(μ, σ²) ‖ N(0, I)) = ½ Σ (μ² + σ² − 1 − log σ²), the VAE regulariser",
    params_help=_SIGMA_HELP,
)
def vae_kl(
    mu: np.ndarray, logvar: np.ndarray | None = None, sigma: np.ndarray | None = None
) -> Solution:
    r"""The KL term of the VAE loss for a diagonal-Gaussian encoder and a standard-normal prior.

    .. math:: D_{KL}(q_\phi(z|x) \| p(z)) = \tfrac12 \sum_{j=1}^{J} (\mu_j^2 + \sigma_j^2 - 1 - \log\sigma_j^2)

    Parameters: ``mu`` (J,), and ``sigma`` (J,) or ``logvar`` = log σ² (J,). Result: a number (nats).
    """
    m = as_vector(mu, "mu")
    s = _sigma(m, logvar, sigma)
    terms = gaussian_kl_terms(m, s, 0.0, 1.0)  # = ½(μ² + σ² − 1 − log σ²) per dimension
    steps = [
        Step("σ² per dimension", s**2, "σ = exp(logvar/2)" if logvar is not None else ""),
        Step(
            "½(μ² + σ² − 1 − log σ²) per dimension",
            terms,
            " + ".join(
                f"½({_square(mj)} + {sj**2:.4g} − 1 − log {sj**2:.4g})"
                for mj, sj in zip(m, s, strict=True)
            ),
        ),
        Step("KL = sum over dimensions", float(terms.sum())),
    ]
    mistakes = [Mistake("missing-half", "the KL term has a factor ½", float(2 * terms.sum()))]
    if logvar is not None:
        wrong_sigma = np.exp(as_vector(logvar, "logvar"))
        mistakes.append(
            Mistake(
                "sigma-is-exp-logvar",
                "logvar is log σ², so σ = exp(logvar/2), not exp(logvar)",
                kl_to_standard_normal(m, wrong_sigma),
            )
        )
    return Solution(
        float(terms.sum()), steps, mistakes, convention="nats; summed over the latent dimensions"
    )


@reference(
    "reparameterize",
    section="vae",
    summary="the reparameterisation trick z = μ + σ ⊙ ε for a given ε",
    params_help={**_SIGMA_HELP, "eps": "the standard-normal draw ε (length J)"},
)
def reparameterize(
    mu: np.ndarray,
    eps: np.ndarray,
    logvar: np.ndarray | None = None,
    sigma: np.ndarray | None = None,
) -> Solution:
    r"""A reparameterised sample from q(z|x) = N(μ, diag σ²).

    .. math:: z = \mu + \sigma \odot \epsilon, \quad \epsilon \sim \mathcal N(0, I)

    Shapes: ``mu``, ``eps``, ``sigma``/``logvar``: (J,). Result: z, shape (J,).
    """
    m = as_vector(mu, "mu")
    e = as_vector(eps, "eps")
    if e.shape != m.shape:
        raise DlstudyError(f"eps has shape {e.shape} but mu has shape {m.shape}")
    s = _sigma(m, logvar, sigma)
    z = m + s * e
    steps = [
        Step("σ = exp(logvar/2)", s, part="" if logvar is not None else ASIDE),
        Step("z = μ + σ ⊙ ε", z),
    ]
    mistakes = [
        Mistake(
            "variance-not-std", "z = μ + σ ε uses the standard deviation σ, not σ²", m + s**2 * e
        )
    ]
    if logvar is not None:
        lv = as_vector(logvar, "logvar")
        mistakes.append(
            Mistake("sigma-is-exp-logvar", "σ = exp(logvar/2), not exp(logvar)", m + np.exp(lv) * e)
        )
        mistakes.append(Mistake("logvar-as-sigma", "logvar is log σ², not σ", m + lv * e))
    return Solution(z, steps, mistakes)


def _log_likelihood(
    x: np.ndarray, x_hat: np.ndarray, decoder: str, decoder_sigma: float
) -> tuple[float, list[Step], float]:
    """log p(x|z) for a Bernoulli or Gaussian decoder: (value, steps, value without constants)."""
    if x.shape != x_hat.shape:
        raise DlstudyError(f"x has shape {x.shape} but x_hat has shape {x_hat.shape}")
    if decoder == "bernoulli":
        if np.any((x_hat <= 0) | (x_hat >= 1)):
            raise DlstudyError("x_hat: Bernoulli probabilities must lie strictly between 0 and 1")
        if np.any((x < 0) | (x > 1)):
            raise DlstudyError("x: Bernoulli targets must lie in [0, 1]")
        terms = x * np.log(x_hat) + (1 - x) * np.log(1 - x_hat)
        value = float(terms.sum())
        return (
            value,
            [Step("x log x̂ + (1 − x) log(1 − x̂) per entry", terms), Step("log p(x|z)", value)],
            value,
        )
    if decoder == "gaussian":
        if not decoder_sigma > 0:
            raise DlstudyError("decoder_sigma must be > 0")
        sq = (x - x_hat) ** 2
        n = x.size
        const = -0.5 * n * np.log(2 * np.pi * decoder_sigma**2)
        value = float(-sq.sum() / (2 * decoder_sigma**2) + const)
        steps = [
            Step("(x − x̂)² per entry", sq),
            Step("−Σ(x − x̂)²/2σ²", float(-sq.sum() / (2 * decoder_sigma**2))),
            Step("−(n/2) log(2πσ²)", float(const)),
            Step("log p(x|z)", value),
        ]
        return value, steps, float(-sq.sum() / (2 * decoder_sigma**2))
    raise DlstudyError(f"decoder must be 'bernoulli' or 'gaussian', got '{decoder}'")


@reference(
    "elbo",
    section="vae",
    summary="ELBO = E_q log p(x|z) − KL(q(z|x) ‖ p(z)) with a Bernoulli or Gaussian decoder",
    params_help={
        **_SIGMA_HELP,
        "x": "the data point x (length D)",
        "x_hat": "decoder output for the sampled z: Bernoulli probabilities or the Gaussian mean (length D)",
        "decoder": "bernoulli or gaussian",
        "decoder_sigma": "standard deviation of the Gaussian decoder",
    },
)
def elbo(
    x: np.ndarray,
    x_hat: np.ndarray,
    mu: np.ndarray,
    logvar: np.ndarray | None = None,
    sigma: np.ndarray | None = None,
    decoder: str = "bernoulli",
    decoder_sigma: float = 1.0,
) -> Solution:
    r"""Single-sample ELBO of one data point.

    .. math:: \mathcal L(x; \theta, \phi) = \log p_\theta(x|z) - D_{KL}(q_\phi(z|x) \| \mathcal N(0, I))

    ``x``, ``x_hat``: (D,); ``mu``, ``sigma``/``logvar``: (J,). Result: ``{"reconstruction", "kl",
    "elbo"}`` in nats. log p(x) ≥ ELBO.
    """
    xv = as_vector(x, "x")
    xh = as_vector(x_hat, "x_hat")
    m = as_vector(mu, "mu")
    s = _sigma(m, logvar, sigma)
    rec, steps, rec_no_const = _log_likelihood(xv, xh, decoder, decoder_sigma)
    kl = kl_to_standard_normal(m, s)
    value = rec - kl
    prior = "N(0, 1)" if m.size == 1 else "N(0, I)"
    steps += [
        Step(
            f"KL(q(z|x) ‖ {prior}) = ½Σ(μ² + σ² − 1 − log σ²)",
            kl,
            " + ".join(
                f"½({_square(mj)} + {sj**2:.4g} − 1 − log {sj**2:.4g})"
                for mj, sj in zip(m, s, strict=True)
            ),
        ),
        Step(
            "ELBO = log p(x|z) − KL",
            value,
            f"{rec:.6g} − {kl:.6g} = {value:.6g}",
        ),
    ]
    result = {"reconstruction": rec, "kl": kl, "elbo": value}
    mistakes = [
        Mistake(
            "kl-sign",
            "the KL term is subtracted: ELBO = E log p(x|z) − KL",
            {**result, "elbo": rec + kl},
        )
    ]
    if decoder == "gaussian":
        mistakes.append(
            Mistake(
                "gaussian-constant-dropped",
                "log N(x; x̂, σ²) includes −(n/2) log(2πσ²)",
                {"reconstruction": rec_no_const, "kl": kl, "elbo": rec_no_const - kl},
            )
        )
    return Solution(
        result,
        steps,
        mistakes,
        convention="nats; sums over data and latent dimensions; one sample of z",
    )


@reference(
    "beta-vae-loss",
    section="vae",
    summary="β-VAE loss −E log p(x|z) + β·KL(q(z|x) ‖ p(z)) (β = 1 is the VAE)",
    params_help={
        **_SIGMA_HELP,
        "x": "the data point x",
        "x_hat": "decoder output",
        "beta": "weight β of the KL term",
        "decoder": "bernoulli or gaussian",
        "decoder_sigma": "standard deviation of the Gaussian decoder",
    },
)
def beta_vae_loss(
    x: np.ndarray,
    x_hat: np.ndarray,
    mu: np.ndarray,
    beta: float,
    logvar: np.ndarray | None = None,
    sigma: np.ndarray | None = None,
    decoder: str = "bernoulli",
    decoder_sigma: float = 1.0,
) -> Solution:
    r"""The β-VAE loss to minimise (the negative of the notes' objective, whose constant βδ is dropped).

    .. math:: \text{loss} = -\log p_\theta(x|z) + \beta\, D_{KL}(q_\phi(z|x) \| p(z))

    Shapes as in ``elbo``. Result: a number (nats).
    """
    if beta < 0:
        raise DlstudyError("beta must be >= 0")
    xv = as_vector(x, "x")
    xh = as_vector(x_hat, "x_hat")
    m = as_vector(mu, "mu")
    s = _sigma(m, logvar, sigma)
    rec, steps, _ = _log_likelihood(xv, xh, decoder, decoder_sigma)
    kl = kl_to_standard_normal(m, s)
    loss = -rec + beta * kl
    steps += [
        Step(
            "KL(q(z|x) ‖ N(0, I)) = ½Σ(μ² + σ² − 1 − log σ²)",
            kl,
            " + ".join(
                f"½({_square(mj)} + {sj**2:.4g} − 1 − log {sj**2:.4g})"
                for mj, sj in zip(m, s, strict=True)
            ),
        ),
        Step("loss = −log p(x|z) + β·KL", loss, f"{-rec:.6g} + {beta:g}·{kl:.6g} = {loss:.6g}"),
    ]
    mistakes = [
        Mistake(
            "beta-on-reconstruction",
            "β weights the KL term, not the reconstruction",
            -beta * rec + kl,
        ),
        Mistake(
            "elbo-sign", "the loss is the negative objective: −log p(x|z) + β KL", rec - beta * kl
        ),
    ]
    return Solution(
        loss, steps, mistakes, convention="nats; sums over dimensions; loss to minimise"
    )
