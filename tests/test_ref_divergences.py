"""KL, JS, entropy, cross-entropy and Gaussian KL against scipy, torch.distributions and closed forms."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
import scipy.spatial.distance
import scipy.stats
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from dlstudy.errors import DlstudyError
from dlstudy.grading import grade
from dlstudy.reference import divergences as dv
from dlstudy.reference.registry import call


def _dist(n: int, seed: int, zeros: bool = False) -> np.ndarray:
    rng = np.random.default_rng(seed)
    w = rng.random(n) + 0.05
    if zeros:
        w[rng.random(n) < 0.3] = 0.0
        if w.sum() == 0:
            w[0] = 1.0
    return w / w.sum()


weights = st.integers(2, 7).flatmap(
    lambda n: arrays(np.float64, n, elements=st.floats(0.01, 10.0, allow_nan=False))
)


@settings(max_examples=100, deadline=None)
@given(weights, st.sampled_from(["e", "bits", 2, 10, "nats"]), st.data())
def test_kl_matches_scipy_entropy(w, base, data):
    p = w / w.sum()
    w2 = data.draw(arrays(np.float64, w.size, elements=st.floats(0.01, 10.0)))
    q = w2 / w2.sum()
    scipy_base = {"e": None, "nats": None, "bits": 2, 2: 2, 10: 10}[base]
    expected = scipy.stats.entropy(p, q, base=scipy_base)
    assert call("kl", {"p": p.tolist(), "q": q.tolist(), "base": base}).result == pytest.approx(
        expected, rel=1e-10, abs=1e-12
    )
    assert dv.kl_divergence(p, q, base) == pytest.approx(expected, rel=1e-10, abs=1e-12)


@settings(max_examples=100, deadline=None)
@given(weights, st.data())
def test_js_is_scipy_distance_squared(w, data):
    p = w / w.sum()
    w2 = data.draw(arrays(np.float64, w.size, elements=st.floats(0.0, 10.0)))
    if w2.sum() == 0:
        w2[0] = 1.0
    q = w2 / w2.sum()
    for base, sb in (("e", None), ("bits", 2)):
        with np.errstate(invalid="ignore"):  # scipy takes sqrt(-1e-17) when p = q
            d = np.nan_to_num(scipy.spatial.distance.jensenshannon(p, q, base=sb))
        value = call("js", {"p": p.tolist(), "q": q.tolist(), "base": base}).result
        assert value == pytest.approx(d**2, rel=1e-8, abs=1e-14)
        assert 0 <= value <= (math.log(2) if base == "e" else 1.0) + 1e-12
    # symmetric
    assert dv.js_divergence(p, q) == pytest.approx(dv.js_divergence(q, p), abs=1e-14)


@settings(max_examples=100, deadline=None)
@given(weights, st.sampled_from(["e", "bits"]))
def test_entropy_matches_scipy(w, base):
    p = w / w.sum()
    expected = scipy.stats.entropy(p, base=None if base == "e" else 2)
    assert call("entropy", {"p": p.tolist(), "base": base}).result == pytest.approx(
        expected, rel=1e-10
    )
    assert dv.entropy_value(p, base) == pytest.approx(expected, rel=1e-10)


@settings(max_examples=100, deadline=None)
@given(weights, st.data())
def test_cross_entropy_is_h_plus_kl(w, data):
    p = w / w.sum()
    w2 = data.draw(arrays(np.float64, w.size, elements=st.floats(0.01, 10.0)))
    q = w2 / w2.sum()
    sol = call("cross-entropy", {"p": p.tolist(), "q": q.tolist()})
    # oracle: torch's soft-label cross entropy with log q as logits
    ce = torch.nn.functional.cross_entropy(
        torch.log(torch.tensor(q))[None], torch.tensor(p)[None], reduction="sum"
    )
    assert sol.result == pytest.approx(float(ce), rel=1e-10)
    assert sol.result == pytest.approx(
        scipy.stats.entropy(p) + scipy.stats.entropy(p, q), rel=1e-10
    )
    labels = [s.label for s in sol.steps]
    assert any("H(p) + D_KL" in lab for lab in labels)
    bits = call("cross-entropy", {"p": p.tolist(), "q": q.tolist(), "base": "bits"}).result
    assert bits == pytest.approx(float(ce) / math.log(2), rel=1e-10)


def test_kl_with_zeros_in_p_uses_0_log_0():
    p, q = [0.5, 0.5, 0.0], [0.25, 0.25, 0.5]
    assert call("kl", {"p": p, "q": q}).result == pytest.approx(math.log(2))  # exact: log 2
    assert call("kl", {"p": p, "q": q}).result == pytest.approx(scipy.stats.entropy(p, q))


def test_kl_asymmetry_claim_from_notes():
    # claims.md: KL(Bern(1/2)‖Bern(1/4)) = log(2/√3), and the reverse differs
    forward = call(
        "kl", {"p": [Fraction(1, 2), Fraction(1, 2)], "q": [Fraction(1, 4), Fraction(3, 4)]}
    )
    assert forward.result == pytest.approx(math.log(2 / math.sqrt(3)), rel=1e-12)
    reverse = call("kl", {"p": [0.25, 0.75], "q": [0.5, 0.5]}).result
    assert reverse == pytest.approx(0.25 * math.log(0.5) + 0.75 * math.log(1.5), rel=1e-12)
    assert reverse != pytest.approx(forward.result)
    verdict = grade(forward, reverse)
    assert not verdict.correct and verdict.mistake.name == "swapped-arguments"


def test_kl_mistake_log_base_is_named():
    sol = call("kl", {"p": [0.5, 0.5], "q": [0.9, 0.1], "base": "bits"})
    nats = scipy.stats.entropy([0.5, 0.5], [0.9, 0.1])
    assert sol.result == pytest.approx(nats / math.log(2))
    verdict = grade(sol, nats)
    assert verdict.mistake.name == "log-base"


def test_js_mistakes():
    p, q = [0.5, 0.5, 0.0], [0.0, 0.5, 0.5]
    sol = call("js", {"p": p, "q": q})
    # closed form: m = (1/4, 1/2, 1/4); KL(p‖m) = ½ log 2 = KL(q‖m) ⇒ JS = ½ log 2
    assert sol.result == pytest.approx(0.5 * math.log(2))
    assert grade(sol, math.sqrt(0.5 * math.log(2))).mistake.name == "js-distance"
    assert grade(sol, math.log(2)).mistake.name == "missing-half"
    names = {m.name for m in sol.mistakes}
    assert "js-without-mixture" not in names  # KL(p‖q) is infinite here
    sol2 = call("js", {"p": [0.5, 0.5], "q": [0.25, 0.75]})
    naive = 0.5 * (
        scipy.stats.entropy([0.5, 0.5], [0.25, 0.75])
        + scipy.stats.entropy([0.25, 0.75], [0.5, 0.5])
    )
    assert grade(sol2, naive).mistake.name == "js-without-mixture"


def test_entropy_uniform_is_log_n():
    for n in (2, 3, 8):
        assert call("entropy", {"p": [Fraction(1, n)] * n, "base": "bits"}).result == pytest.approx(
            math.log2(n)
        )


@settings(max_examples=80, deadline=None)
@given(
    st.integers(1, 5).flatmap(
        lambda d: st.tuples(
            *[
                arrays(np.float64, d, elements=st.floats(lo, hi))
                for lo, hi in ((-3, 3), (0.1, 3), (-3, 3), (0.1, 3))
            ]
        )
    )
)
def test_gaussian_kl_matches_torch(args):
    mu1, s1, mu2, s2 = args
    n1 = torch.distributions.Independent(
        torch.distributions.Normal(torch.tensor(mu1), torch.tensor(s1)), 1
    )
    n2 = torch.distributions.Independent(
        torch.distributions.Normal(torch.tensor(mu2), torch.tensor(s2)), 1
    )
    expected = float(torch.distributions.kl_divergence(n1, n2))
    sol = call(
        "gaussian-kl",
        {"mu1": mu1.tolist(), "sigma1": s1.tolist(), "mu2": mu2.tolist(), "sigma2": s2.tolist()},
    )
    assert sol.result == pytest.approx(expected, rel=1e-9, abs=1e-12)
    assert dv.gaussian_kl_value(mu1, s1, mu2, s2) == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_gaussian_kl_univariate_and_broadcast():
    n1 = torch.distributions.Normal(
        torch.tensor(1.0, dtype=torch.float64), torch.tensor(2.0, dtype=torch.float64)
    )
    n2 = torch.distributions.Normal(
        torch.tensor(0.0, dtype=torch.float64), torch.tensor(1.0, dtype=torch.float64)
    )
    sol = call("gaussian-kl", {"mu1": 1, "sigma1": 2, "mu2": 0, "sigma2": 1})
    assert sol.result == pytest.approx(float(torch.distributions.kl_divergence(n1, n2)), rel=1e-12)
    # VAE closed form ½(μ² + σ² - 1 - log σ²) with σ = 2
    assert sol.result == pytest.approx(0.5 * (1 + 4 - 1 - math.log(4)), rel=1e-12)
    # scalars broadcast over a vector mean: the sum of the per-dimension KLs
    vec = call("gaussian-kl", {"mu1": [1, -1], "sigma1": 2, "mu2": 0, "sigma2": 1}).result
    assert vec == pytest.approx(2 * sol.result)
    assert grade(sol, 2 * sol.result).mistake.name == "missing-half"
    swapped = float(torch.distributions.kl_divergence(n2, n1))
    assert grade(sol, swapped).mistake.name == "swapped-arguments"


@pytest.mark.parametrize(
    ("name", "values", "fragment"),
    [
        ("kl", {"p": [0.5, 0.6], "q": [0.5, 0.5]}, "p: probabilities must sum to 1"),
        ("kl", {"p": [0.5, 0.5], "q": [1.5, -0.5]}, "q: probabilities must be >= 0"),
        ("kl", {"p": [0.5, 0.5], "q": [1.0, 0.0]}, "KL(p‖q) is infinite: q[1] = 0"),
        ("kl", {"p": [0.5, 0.5], "q": [0.2, 0.3, 0.5]}, "q: expected 2 probabilities"),
        ("kl", {"p": [0.5, 0.5], "q": [0.5, 0.5], "base": 1}, "base"),
        ("kl", {"p": [0.5, 0.5], "q": [0.5, 0.5], "base": "decibels"}, "base"),
        ("kl", {"p": [[0.5, 0.5]], "q": [0.5, 0.5]}, "p: expected a probability vector"),
        ("js", {"p": [0.5, 0.5], "q": [0.3, 0.3]}, "q: probabilities must sum to 1"),
        ("entropy", {"p": "uniform"}, "p:"),
        ("cross-entropy", {"p": [0.5, 0.5], "q": [0.0, 1.0]}, "infinite"),
        (
            "gaussian-kl",
            {"mu1": 0, "sigma1": 0, "mu2": 0, "sigma2": 1},
            "sigma1: standard deviations must be > 0",
        ),
        ("gaussian-kl", {"mu1": 0, "sigma1": 1, "mu2": 0, "sigma2": -1}, "sigma2"),
        (
            "gaussian-kl",
            {"mu1": [0, 1], "sigma1": [1, 1, 1], "mu2": 0, "sigma2": 1},
            "dimensions differ",
        ),
    ],
)
def test_bad_input_is_a_domain_error(name, values, fragment):
    with pytest.raises(DlstudyError) as info:
        call(name, values)
    assert fragment in info.value.message


def test_plain_function_returns_inf_for_unbounded_kl():
    assert dv.kl_divergence([0.5, 0.5], [1.0, 0.0]) == math.inf
    assert dv.kl_divergence([1.0, 0.0], [0.5, 0.5]) == pytest.approx(math.log(2))


def test_sum_tolerance_is_1e_6():
    call("kl", {"p": [0.5, 0.5 + 5e-7], "q": [0.5, 0.5]})
    with pytest.raises(DlstudyError):
        call("kl", {"p": [0.5, 0.5 + 5e-6], "q": [0.5, 0.5]})


def test_seeded_random_distributions_with_zeros_agree_with_scipy():
    for seed in range(20):
        p = _dist(6, seed, zeros=True)
        q = _dist(6, seed + 100)
        assert call("kl", {"p": p.tolist(), "q": q.tolist()}).result == pytest.approx(
            scipy.stats.entropy(p, q), rel=1e-10
        )
        assert call("entropy", {"p": p.tolist(), "base": "bits"}).result == pytest.approx(
            scipy.stats.entropy(p, base=2), rel=1e-10
        )
