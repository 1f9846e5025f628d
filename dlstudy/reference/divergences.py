"""KL and JS divergence, entropy and cross-entropy (notes: "Kullback-Leibler divergence", "JS divergence").

Discrete distributions are vectors of probabilities; logarithms are natural (nats) unless ``base`` says
otherwise (``bits`` = base 2). The convention 0·log 0 = 0 holds throughout: terms with p_i = 0 vanish.

The plain functions :func:`kl_divergence`, :func:`js_divergence`, :func:`entropy_value` and
:func:`gaussian_kl_value` return numbers (``inf`` where KL is infinite) for use by other chapters
(e.g. the GAN's V(G, D*) = 2·JSD - log 4); the registered functions return :class:`Solution`\\ s and raise
the domain error for infinite KL.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from dlstudy.errors import DlstudyError
from dlstudy.output import format_array, format_number
from dlstudy.reference.registry import Mistake, Solution, Step, as_array, reference

#: How far from 1 a distribution's sum may be.
SUM_TOL = 1e-6

_NATS_WORDS = ("e", "nats", "nat", "ln")
_BITS_WORDS = ("bits", "bit", "2")


def log_base(base: Any, label: str = "base") -> tuple[float, str]:
    """``(ln b, unit)`` for a base given as ``e``/``nats``, ``2``/``bits``, or a number b > 0, b ≠ 1."""
    if isinstance(base, str):
        word = base.strip().lower()
        if word in _NATS_WORDS:
            return 1.0, "nats"
        if word in _BITS_WORDS:
            return math.log(2.0), "bits"
        if word in ("10", "dits", "hartleys"):
            return math.log(10.0), "base 10"
        raise DlstudyError(
            f"{label}: expected e, nats, 2, bits or a number > 0 other than 1, got '{base}'"
        )
    if isinstance(base, bool) or not hasattr(base, "__float__"):
        raise DlstudyError(f"{label}: expected e, nats, 2, bits or a number > 0, got {base!r}")
    b = float(base)
    if not math.isfinite(b) or b <= 0 or b == 1:
        raise DlstudyError(f"{label}: the log base must be a number > 0 other than 1, got {base}")
    if b == 2:
        return math.log(2.0), "bits"
    if abs(b - math.e) < 1e-12:
        return 1.0, "nats"
    return math.log(b), f"base {format_number(b)}"


def as_distribution(value: Any, label: str) -> np.ndarray:
    """A probability vector: 1-D, entries >= 0, summing to 1 within :data:`SUM_TOL`."""
    p = as_array(value, label)
    if p.ndim == 0:
        p = p[None]
    if p.ndim != 1:
        raise DlstudyError(f"{label}: expected a probability vector, got shape {p.shape}")
    if np.any(p < 0):
        i = int(np.argmax(p < 0))
        raise DlstudyError(
            f"{label}: probabilities must be >= 0, but {label}[{i}] = {format_number(p[i])}"
        )
    total = float(p.sum())
    if abs(total - 1.0) > SUM_TOL:
        raise DlstudyError(
            f"{label}: probabilities must sum to 1 (within {SUM_TOL:g}), but they sum to "
            f"{format_number(total, 10)}"
        )
    return p


def same_length(p: np.ndarray, q: np.ndarray, labels: tuple[str, str] = ("p", "q")) -> None:
    """The domain error unless the two probability vectors have the same length."""
    if p.shape != q.shape:
        raise DlstudyError(
            f"{labels[1]}: expected {p.size} probabilities like {labels[0]}, got {q.size}"
        )


# ----------------------------------------------------------------------------------- plain numbers


def kl_terms(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """The terms p_i ln(p_i / q_i) in nats (0 where p_i = 0, ``inf`` where q_i = 0 < p_i)."""
    terms = np.zeros_like(p, dtype=np.float64)
    pos = p > 0
    with np.errstate(divide="ignore"):
        terms[pos] = p[pos] * (np.log(p[pos]) - np.log(q[pos]))
    return terms


def kl_divergence(p: Any, q: Any, base: Any = "e") -> float:
    """KL(p‖q) = Σ_i p_i log(p_i / q_i) as a float; ``inf`` when q_i = 0 for some p_i > 0."""
    pv, qv = as_distribution(p, "p"), as_distribution(q, "q")
    same_length(pv, qv)
    ln_b, _ = log_base(base)
    return max(0.0, float(kl_terms(pv, qv).sum() / ln_b))


def js_divergence(p: Any, q: Any, base: Any = "e") -> float:
    """JS(p‖q) = ½ KL(p‖m) + ½ KL(q‖m) with m = (p + q)/2: always finite, between 0 and log 2."""
    pv, qv = as_distribution(p, "p"), as_distribution(q, "q")
    same_length(pv, qv)
    ln_b, _ = log_base(base)
    m = 0.5 * (pv + qv)
    return max(0.0, float((0.5 * kl_terms(pv, m).sum() + 0.5 * kl_terms(qv, m).sum()) / ln_b))


def entropy_value(p: Any, base: Any = "e") -> float:
    """H(p) = -Σ_i p_i log p_i (0 log 0 = 0)."""
    pv = as_distribution(p, "p")
    ln_b, _ = log_base(base)
    return float(_entropy_nats(pv) / ln_b)


def _entropy_nats(p: np.ndarray) -> float:
    pos = p > 0
    return float(-(p[pos] * np.log(p[pos])).sum())


def gaussian_kl_value(mu1: Any, sigma1: Any, mu2: Any, sigma2: Any) -> float:
    """KL(N(μ1, σ1²) ‖ N(μ2, σ2²)) in nats, summed over the dimensions of a diagonal Gaussian."""
    m1, s1, m2, s2 = _gaussian_args(mu1, sigma1, mu2, sigma2)
    return float(gaussian_kl_terms(m1, s1, m2, s2).sum())


# --------------------------------------------------------------------------------------- helpers


def _finite_kl(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """The terms of KL(p‖q), or the domain error naming the entry where q_i = 0 < p_i."""
    if np.any((q == 0) & (p > 0)):
        i = int(np.argmax((q == 0) & (p > 0)))
        raise DlstudyError(
            f"KL(p‖q) is infinite: q[{i}] = 0 where p[{i}] = {format_number(p[i])} > 0 "
            "(the support of p is not inside the support of q)"
        )
    return kl_terms(p, q)


def _unit_convention(unit: str) -> str:
    return f"logarithms in {unit}; 0·log 0 = 0"


def _other_base(ln_b: float) -> tuple[float, str]:
    """The base a student confuses with ``ln_b``: bits for nats, nats for anything else."""
    return (math.log(2.0), "bits") if ln_b == 1.0 else (1.0, "nats")


# ------------------------------------------------------------------------------------ registered


_DIST_HELP = {
    "p": "probability vector (entries >= 0 summing to 1), e.g. [0.5, 0.25, 0.25]",
    "q": "probability vector of the same length",
    "base": "log base: e/nats (default), 2/bits, or a number",
}


@reference(
    "kl",
    section="divergences",
    summary="KL(p‖q) = Σ p_i log(p_i/q_i) for discrete distributions (nats or bits)",
    params_help=_DIST_HELP,
)
def kl(p: np.ndarray, q: np.ndarray, base: float | str = "e") -> Solution:
    r"""Kullback-Leibler divergence of two discrete distributions.

    .. math:: D_{KL}(p\|q) = \sum_i p_i \log \frac{p_i}{q_i}

    (the notes write :math:`\bar p` inside the log: it is p). Not symmetric; >= 0 with equality iff
    p = q; infinite when q_i = 0 for some p_i > 0 (reported as an error naming the entry).

    Parameters
    ----------
    p, q : ndarray of shape (n,)
        Probability vectors (entries >= 0, summing to 1 within 1e-6).
    base : {"e", "nats", 2, "bits"} or float
        Base of the logarithm.

    Returns
    -------
    Solution
        ``result``: the number KL(p‖q).
    """
    pv, qv = as_distribution(p, "p"), as_distribution(q, "q")
    same_length(pv, qv)
    ln_b, unit = log_base(base)
    terms = _finite_kl(pv, qv) / ln_b
    value = max(0.0, float(terms.sum()))  # KL >= 0: no rounding noise below 0
    log = _log(ln_b)
    steps = [
        Step(f"terms p_i {log}(p_i/q_i)", terms, _term_detail(pv, qv, ln_b)),
        Step(f"D_KL(p‖q) = Σ_i p_i {log}(p_i/q_i) ({unit})", value),
    ]
    mistakes = []
    if not np.any((pv == 0) & (qv > 0)):
        reverse = float(kl_terms(qv, pv).sum() / ln_b)
        mistakes.append(
            Mistake(
                "swapped-arguments",
                "that is KL(q‖p): KL is not symmetric, the expectation is under p (the first argument)",
                reverse,
            )
        )
    other_ln, other_unit = _other_base(ln_b)
    mistakes.append(
        Mistake(
            "log-base",
            f"that is KL in {other_unit}: the question asks for {unit}",
            float(terms.sum() * ln_b / other_ln),
        )
    )
    return Solution(value, steps, mistakes, convention=_unit_convention(unit))


def _log(ln_b: float) -> str:
    """The logarithm as the notes write it for a base: log (nats), log2 (bits), log_b."""
    if ln_b == 1.0:
        return "log"
    if abs(ln_b - math.log(2.0)) < 1e-15:
        return "log2"
    return f"log_{format_number(math.exp(ln_b), 4)}"


def _term_detail(p: np.ndarray, q: np.ndarray, ln_b: float = 1.0) -> str:
    log = _log(ln_b)
    parts = [
        f"{format_number(a, 4)}·{log}({format_number(a, 4)}/{format_number(b, 4)})"
        for a, b in zip(p, q, strict=True)
        if a > 0
    ]
    return " + ".join(parts)


@reference(
    "js",
    section="divergences",
    summary="JS divergence ½KL(p‖m) + ½KL(q‖m), m = (p+q)/2 (the divergence, not scipy's distance)",
    params_help=_DIST_HELP,
)
def js(p: np.ndarray, q: np.ndarray, base: float | str = "e") -> Solution:
    r"""Jensen-Shannon divergence.

    .. math:: D_{JS}(p\|q) = \tfrac12 D_{KL}(p\|m) + \tfrac12 D_{KL}(q\|m),\quad m = \tfrac{p+q}{2}

    Symmetric, finite, 0 <= JS <= log 2 (1 bit). scipy's ``jensenshannon`` returns the *distance*, the
    square root of this number.

    Parameters
    ----------
    p, q : ndarray of shape (n,)
        Probability vectors.
    base : {"e", "nats", 2, "bits"} or float
        Base of the logarithm.

    Returns
    -------
    Solution
        ``result``: the number JS(p‖q).
    """
    pv, qv = as_distribution(p, "p"), as_distribution(q, "q")
    same_length(pv, qv)
    ln_b, unit = log_base(base)
    m = 0.5 * (pv + qv)
    kl_pm = max(0.0, float(kl_terms(pv, m).sum() / ln_b))
    kl_qm = max(0.0, float(kl_terms(qv, m).sum() / ln_b))
    value = 0.5 * kl_pm + 0.5 * kl_qm
    steps = [
        Step("mixture m = (p + q)/2", m, f"({format_array(pv)} + {format_array(qv)})/2"),
        Step("D_KL(p‖m)", kl_pm, _term_detail(pv, m, ln_b)),
        Step("D_KL(q‖m)", kl_qm, _term_detail(qv, m, ln_b)),
        Step(
            f"D_JS = ½D_KL(p‖m) + ½D_KL(q‖m) ({unit})",
            value,
            f"½·{format_number(kl_pm, 6)} + ½·{format_number(kl_qm, 6)} = {format_number(value, 6)}",
        ),
    ]
    mistakes = [
        Mistake(
            "js-distance",
            "that is the Jensen-Shannon distance (the square root, as scipy returns it), "
            "not the divergence",
            math.sqrt(max(value, 0.0)),
        ),
        Mistake(
            "missing-half",
            "you added KL(p‖m) + KL(q‖m) without the factors ½",
            kl_pm + kl_qm,
        ),
    ]
    if np.array_equal(pv > 0, qv > 0):
        no_mixture = 0.5 * float(kl_terms(pv, qv).sum() + kl_terms(qv, pv).sum()) / ln_b
        mistakes.append(
            Mistake(
                "js-without-mixture",
                "you averaged KL(p‖q) and KL(q‖p): JS compares each with the mixture m = (p+q)/2",
                no_mixture,
            )
        )
    other_ln, other_unit = _other_base(ln_b)
    mistakes.append(
        Mistake(
            "log-base",
            f"that is JS in {other_unit}: the question asks for {unit}",
            value * ln_b / other_ln,
        )
    )
    convention = (
        _unit_convention(unit) + f"; 0 <= JS <= log 2 = {format_number(math.log(2) / ln_b)}"
    )
    return Solution(value, steps, mistakes, convention=convention)


@reference(
    "entropy",
    section="divergences",
    summary="Shannon entropy H(p) = -Σ p_i log p_i (nats or bits)",
    params_help={"p": _DIST_HELP["p"], "base": _DIST_HELP["base"]},
)
def entropy(p: np.ndarray, base: float | str = "e") -> Solution:
    r"""Shannon entropy of a discrete distribution.

    .. math:: H(p) = -\sum_i p_i \log p_i \qquad (0 \log 0 = 0)

    Parameters
    ----------
    p : ndarray of shape (n,)
        Probability vector.
    base : {"e", "nats", 2, "bits"} or float
        Base of the logarithm.

    Returns
    -------
    Solution
        ``result``: the number H(p), between 0 and log n.
    """
    pv = as_distribution(p, "p")
    ln_b, unit = log_base(base)
    pos = pv > 0
    terms = np.zeros_like(pv)
    terms[pos] = -pv[pos] * np.log(pv[pos]) / ln_b
    value = float(terms.sum())
    steps = [
        Step(f"terms −p_i {_log(ln_b)} p_i", terms),
        Step(f"H(p) = −Σ_i p_i {_log(ln_b)} p_i ({unit})", value),
    ]
    other_ln, other_unit = _other_base(ln_b)
    mistakes = [
        Mistake(
            "log-base",
            f"that is H in {other_unit}: the question asks for {unit}",
            value * ln_b / other_ln,
        ),
        Mistake("missing-minus", "entropy has a minus sign: H = -Σ p log p >= 0", -value),
    ]
    return Solution(value, steps, mistakes, convention=_unit_convention(unit))


@reference(
    "cross-entropy",
    section="divergences",
    summary="cross-entropy H(p, q) = -Σ p_i log q_i = H(p) + KL(p‖q)",
    params_help={
        "p": "the true distribution (the expectation is under p)",
        "q": "the model distribution",
        "base": _DIST_HELP["base"],
    },
)
def cross_entropy(p: np.ndarray, q: np.ndarray, base: float | str = "e") -> Solution:
    r"""Cross-entropy of q relative to p, and its decomposition.

    .. math:: H(p, q) = -\sum_i p_i \log q_i = H(p) + D_{KL}(p\|q)

    Parameters
    ----------
    p, q : ndarray of shape (n,)
        Probability vectors; infinite (an error) when q_i = 0 for some p_i > 0.
    base : {"e", "nats", 2, "bits"} or float
        Base of the logarithm.

    Returns
    -------
    Solution
        ``result``: the number H(p, q).
    """
    pv, qv = as_distribution(p, "p"), as_distribution(q, "q")
    same_length(pv, qv)
    ln_b, unit = log_base(base)
    if np.any((qv == 0) & (pv > 0)):
        i = int(np.argmax((qv == 0) & (pv > 0)))
        raise DlstudyError(
            f"the cross-entropy H(p, q) is infinite: q[{i}] = 0 where p[{i}] = "
            f"{format_number(pv[i])} > 0 (and so is KL(p‖q))"
        )
    h = _entropy_nats(pv) / ln_b
    kl_value = max(0.0, float(kl_terms(pv, qv).sum() / ln_b))
    pos = pv > 0
    value = float(-(pv[pos] * np.log(qv[pos])).sum() / ln_b)
    steps = [
        Step(f"H(p) = −Σ_i p_i {_log(ln_b)} p_i", h),
        Step(f"D_KL(p‖q) = Σ_i p_i {_log(ln_b)}(p_i/q_i)", kl_value),
        Step(f"H(p, q) = H(p) + D_KL(p‖q) = −Σ_i p_i {_log(ln_b)} q_i ({unit})", value),
    ]
    mistakes = []
    if not np.any((pv == 0) & (qv > 0)):
        rpos = qv > 0
        mistakes.append(
            Mistake(
                "swapped-arguments",
                "that is H(q, p) = -Σ q log p: the expectation is under the true distribution p",
                float(-(qv[rpos] * np.log(pv[rpos])).sum() / ln_b),
            )
        )
    other_ln, other_unit = _other_base(ln_b)
    mistakes += [
        Mistake(
            "log-base",
            f"that is the cross-entropy in {other_unit}: the question asks for {unit}",
            value * ln_b / other_ln,
        ),
        Mistake("entropy-only", "that is H(p) alone: H(p, q) = H(p) + KL(p‖q)", h),
        Mistake("kl-only", "that is KL(p‖q) alone: H(p, q) = H(p) + KL(p‖q)", kl_value),
    ]
    return Solution(value, steps, mistakes, convention=_unit_convention(unit))


# ------------------------------------------------------------------------------------- Gaussians


def _gaussian_args(
    mu1: Any, sigma1: Any, mu2: Any, sigma2: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    arrays = []
    for label, value in (("mu1", mu1), ("sigma1", sigma1), ("mu2", mu2), ("sigma2", sigma2)):
        arr = as_array(value, label)
        if arr.ndim > 1:
            raise DlstudyError(f"{label}: expected a number or a vector, got shape {arr.shape}")
        if label.startswith("sigma") and np.any(arr <= 0):
            raise DlstudyError(
                f"{label}: standard deviations must be > 0, got {format_number(arr.min())}"
            )
        arrays.append(np.atleast_1d(arr))
    sizes = {a.size for a in arrays} - {1}
    if len(sizes) > 1:
        shapes = ", ".join(
            f"{n} has {a.size}"
            for n, a in zip(("mu1", "sigma1", "mu2", "sigma2"), arrays, strict=True)
        )
        raise DlstudyError(f"mu1, sigma1, mu2, sigma2: dimensions differ ({shapes})")
    d = sizes.pop() if sizes else 1
    m1, s1, m2, s2 = (np.broadcast_to(a, (d,)).astype(np.float64) for a in arrays)
    return m1, s1, m2, s2


def gaussian_kl_terms(
    m1: np.ndarray, s1: np.ndarray, m2: np.ndarray | float, s2: np.ndarray | float
) -> np.ndarray:
    """The per-dimension terms of KL(N(μ1, σ1²) ‖ N(μ2, σ2²)) in nats, unvalidated (σ are standard
    deviations; numbers broadcast). With μ2 = 0, σ2 = 1 they are the VAE's ½(μ² + σ² - 1 - log σ²)."""
    # KL_j = log(σ2/σ1) + (σ1² + (μ1 - μ2)²)/(2σ2²) - ½
    return np.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2.0 * s2**2) - 0.5


@reference(
    "gaussian-kl",
    section="divergences",
    summary="KL(N(μ1,σ1²)‖N(μ2,σ2²)), univariate or diagonal (summed over dimensions)",
    params_help={
        "mu1": "mean of the first Gaussian (number or vector)",
        "sigma1": "standard deviation(s) of the first Gaussian, > 0",
        "mu2": "mean of the second Gaussian",
        "sigma2": "standard deviation(s) of the second Gaussian, > 0",
        "base": _DIST_HELP["base"],
    },
)
def gaussian_kl(
    mu1: np.ndarray,
    sigma1: np.ndarray,
    mu2: np.ndarray,
    sigma2: np.ndarray,
    base: float | str = "e",
) -> Solution:
    r"""KL divergence between two (diagonal) Gaussians.

    .. math:: D_{KL}(\mathcal N_1\|\mathcal N_2) = \sum_j \Big[\log\frac{\sigma_{2j}}{\sigma_{1j}}
              + \frac{\sigma_{1j}^2 + (\mu_{1j}-\mu_{2j})^2}{2\sigma_{2j}^2} - \frac12\Big]

    With μ2 = 0, σ2 = 1 this is the VAE's term ½ Σ (μ² + σ² - 1 - log σ²).

    Parameters
    ----------
    mu1, sigma1, mu2, sigma2 : float or ndarray of shape (d,)
        Means and standard deviations (not variances); numbers broadcast over the d dimensions.
    base : {"e", "nats", 2, "bits"} or float
        Base of the logarithm.

    Returns
    -------
    Solution
        ``result``: the number KL(N1‖N2).
    """
    m1, s1, m2, s2 = _gaussian_args(mu1, sigma1, mu2, sigma2)
    ln_b, unit = log_base(base)
    terms = gaussian_kl_terms(m1, s1, m2, s2) / ln_b
    value = max(0.0, float(terms.sum()))
    steps = [
        Step("log(σ2/σ1)", np.log(s2 / s1) / ln_b),
        Step("(σ1² + (μ1 − μ2)²)/(2σ2²)", (s1**2 + (m1 - m2) ** 2) / (2.0 * s2**2) / ln_b),
        Step("per dimension: log(σ2/σ1) + (σ1² + (μ1 − μ2)²)/(2σ2²) − ½", terms),
        Step(f"D_KL = Σ over the dimensions ({unit})", value),
    ]
    swapped = float(gaussian_kl_terms(m2, s2, m1, s1).sum() / ln_b)
    not_squared = float((np.log(s2 / s1) + (s1 + (m1 - m2) ** 2) / (2.0 * s2) - 0.5).sum() / ln_b)
    mistakes = [
        Mistake("swapped-arguments", "that is KL(N2‖N1): KL is not symmetric", swapped),
        Mistake(
            "sigma-as-variance",
            "you used σ where the formula needs the variance σ² (σ is the standard deviation)",
            not_squared,
        ),
        Mistake(
            "missing-half",
            "that is twice the KL: the bracket log(σ2²/σ1²) + (σ1² + Δμ²)/σ2² - 1 is multiplied by ½",
            2.0 * value,
        ),
    ]
    convention = (
        f"logarithms in {unit}; sigma is the standard deviation; "
        "a diagonal Gaussian's KL is the sum over dimensions"
    )
    return Solution(value, steps, mistakes, convention=convention)
