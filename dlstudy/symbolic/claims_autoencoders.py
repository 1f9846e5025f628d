"""Claims of the generative-models chapter, first part: linear autoencoders and PCA, KL and JS
divergences, the variational autoencoder (ELBO, reparameterisation and its gradients, β-VAE)."""

from __future__ import annotations

import functools
from collections.abc import Sequence

import sympy as sp
from sympy import log

from dlstudy.symbolic.core import (
    GENERAL,
    INSTANCE,
    Check,
    claim,
    notes_version,
    unclear_notes,
    with_totals,
)

t = sp.Symbol("t", positive=True)
P3 = sp.symbols("p1:4", positive=True)
Q3 = sp.symbols("q1:4", positive=True)


def kl(p: Sequence[sp.Expr], q: Sequence[sp.Expr]) -> sp.Expr:
    """D_KL(p‖q) = Σ p log(p/q) (nats, 0 log 0 = 0)."""
    return sum((pi * log(pi / qi) for pi, qi in zip(p, q, strict=True) if pi != 0), sp.Integer(0))


# Distributions over n outcomes with symbolic n: entries p[i], q[i] > 0, sums written Σ.
_i = sp.Symbol("i", integer=True)
_n = sp.Symbol("n", integer=True, positive=True)
_p = sp.IndexedBase("p", positive=True)
_q = sp.IndexedBase("q", positive=True)


def S(term: sp.Expr) -> sp.Expr:
    """Σ_{i=1}^n term."""
    return sp.Sum(term, (_i, 1, _n))


NORMALISED = "p and q are distributions: Σ_i p_i = Σ_i q_i = 1"


def totals(c: Check, broken_q: sp.Expr = sp.Integer(2)) -> dict[sp.Expr, sp.Expr]:
    """The normalisation premise (broken: Σ q = 2)."""
    return c.premise(
        NORMALISED,
        {S(_p[_i]): 1, S(_q[_i]): 1},
        broken={S(_p[_i]): 1, S(_q[_i]): broken_q},
    )


# -- autoencoders ------------------------------------------------------------------------------
SIGMA = sp.Matrix([[3, 1], [1, 2]])


def ae_error(M: sp.Matrix, v: sp.Matrix, w: sp.Matrix) -> sp.Expr:
    """E‖x - w vᵀx‖² for E[xxᵀ] = M: tr M - 2 wᵀMv + ‖w‖² vᵀMv (encoder v, decoder w, k = 1)."""
    return M.trace() - 2 * (w.T * M * v)[0] + (w.T * w)[0] * (v.T * M * v)[0]


@claim(
    "linear-ae-pca",
    "autoencoders",
    "Auto encoder with linear f, g is equal to PCA: argmin Σ_n ‖x_n - g(f(x_n))‖²",
    kind="optimum over ALL linear encoders and decoders (no projection assumed): expected error from "
    "the second moments, completing the square in w, Rayleigh bound in v; rotation invariance",
    scope=INSTANCE,
    case="2-D centred data, k = 1, any covariance (symbolic eigenvalues λ1 ≥ λ2 ≥ 0 and rotation θ)",
)
def linear_ae_pca(c: Check) -> None:
    x1, x2, th = sp.symbols("x1 x2 tau", real=True)
    v = sp.Matrix(sp.symbols("v1 v2", real=True))
    w = sp.Matrix(sp.symbols("w1 w2", real=True))
    l2, g = sp.symbols("lambda2 g", nonnegative=True)
    l1 = l2 + g  # λ1 ≥ λ2 ≥ 0
    Sig = sp.diag(l1, l2)  # Σ in its eigenbasis
    mu = c.premise("centred data: E x = 0", sp.Matrix([0, 0]), broken=sp.Matrix([0, 1]))
    M = Sig + mu * mu.T  # E[x xᵀ]
    xv = sp.Matrix([x1, x2])
    sq = sp.expand(((xv - w * (v.T * xv)[0]).T * (xv - w * (v.T * xv)[0]))[0])
    moments = {x1**2: M[0, 0], x2**2: M[1, 1], x1 * x2: M[0, 1]}
    Esq = sum(sq.coeff(m) * val for m, val in moments.items())
    c.identity(
        "E‖x - w vᵀx‖² = tr Σ - 2wᵀΣv + ‖w‖² vᵀΣv (linearity of E)",
        Esq,
        ae_error(Sig, v, w),
        control=ae_error(Sig, v, w) + l2,
    )
    # every rotation but θ = π (Q = -I, which changes nothing): cos θ = (1-τ²)/(1+τ²), sin θ = 2τ/(1+τ²)
    cs, sn = (1 - th**2) / (1 + th**2), 2 * th / (1 + th**2)
    Q = sp.Matrix([[cs, -sn], [sn, cs]])
    S2 = sp.Matrix(2, 2, sp.symbols("s11 s12 s12 s22", real=True))
    c.identity(
        "the error is rotation invariant (so Σ may be taken diagonal)",
        ae_error(Q.T * S2 * Q, Q.T * v, Q.T * w),
        ae_error(S2, v, w),
        control=ae_error(S2, v, w) + sn**2,
    )
    a = (v.T * Sig * v)[0]
    best_w = Sig * v / a
    gap = ((w - best_w).T * (w - best_w))[0] * a
    c.identity(
        "completing the square: error = tr Σ - vᵀΣ²v/vᵀΣv + (vᵀΣv)‖w - Σv/vᵀΣv‖²",
        Esq,
        Sig.trace() - (v.T * Sig * Sig * v)[0] / a + gap,
        control=Sig.trace() + gap,
    )
    c.fact(
        "λ1·vᵀΣv - vᵀΣ²v = vᵀΣ(λ1 I - Σ)v ≥ 0, so error ≥ tr Σ - λ1 = λ2",
        sp.factor(sp.expand(l1 * a - (v.T * Sig * Sig * v)[0])),
        "nonnegative",
        control=-(v[0] ** 2) - 1,
    )
    e1 = sp.Matrix([1, 0])
    c.identity(
        "v = w = top eigenvector e1 attains λ2 (PCA: keep the top eigenvector)",
        Esq.subs({v[0]: 1, v[1]: 0, w[0]: 1, w[1]: 0}),
        l2,
        control=l1,
    )
    c.step("so the optimum is PCA; e.g. Σ = [[3,1],[1,2]]: v = e1 of Σ", e1)
    c.step(
        "min reconstruction error for Σ = [[3,1],[1,2]] (smallest eigenvalue)",
        min(SIGMA.eigenvals(), key=sp.N),
    )


_L4 = sp.symbols("lambda1:5", positive=True)
_k = sp.Symbol("k", integer=True, nonnegative=True)
_lam = sp.IndexedBase("lambda", positive=True)


def _pca_error(k: int, lams: Sequence[sp.Expr] = _L4) -> sp.Expr:
    """Reconstruction error of k-dimensional PCA = Σ_{i>k} λ_i (eigenvalues sorted)."""
    return sum(lams[k:], sp.Integer(0))


@claim(
    "pca-latent",
    "autoencoders",
    "By increasing the latent space dimension ... performance of PCA doesn't quite change",
    corrected="PCA's error Σ_{i>k} λ_i falls by λ_{k+1} when k grows by one: it keeps improving while "
    "λ_{k+1} > 0 (the claim is not supported)",
    verdict="I",
    kind="identity of sums (symbolic n and k) + sign fact",
    scope=GENERAL,
)
def pca_latent(c: Check) -> None:
    kept = c.premise(
        "PCA keeps the k LARGEST eigenvalues: error(k) = Σ_{i=k+1}^n λ_i",
        lambda k: sp.Sum(_lam[_i], (_i, k + 1, _n)),
        broken=lambda k: sp.Sum(_lam[_i], (_i, 1, _n - k)),
    )
    drop = sp.simplify((kept(_k) - kept(_k + 1)).doit())
    c.identity("err(k) - err(k+1) = λ_{k+1}", drop, _lam[_k + 1], control=_lam[_k])
    c.fact(
        "λ_{k+1} > 0 ⇒ strictly better",
        _lam[_k + 1],
        "positive",
        control=-_lam[_k + 1],
    )


@notes_version(
    "pca-latent",
    kind="counterexample Σ = diag(3, 2, 1, 1/2)",
    quote="performance of PCA doesn't quite change",
    case="eigenvalues (3, 2, 1, 1/2): the error falls from 7/2 (k = 1) to 3/2 (k = 2)",
)
def pca_latent_notes(c: Check) -> None:
    lams = [3, 2, 1, sp.Rational(1, 2)]
    c.identity(
        "err(1) = err(2)",
        _pca_error(1, lams),
        _pca_error(2, lams),
        control=_pca_error(3, [3, 2, 1, 0]),
        control_lhs=_pca_error(4, [3, 2, 1, 0]),
    )


# -- divergences -------------------------------------------------------------------------------
_B1 = (sp.Rational(1, 2), sp.Rational(1, 2))
_B2 = (sp.Rational(1, 4), sp.Rational(3, 4))


@claim(
    "kl-definition",
    "divergences",
    "D_KL(P‖Q) = ∫ p(x) log(p̄(x)/q(x)) dx; KL is not symmetric",
    corrected="D_KL(P‖Q) = ∫ p log(p/q) (p̄ is p); asymmetry: KL(Bern(1/2)‖Bern(1/4)) = log(2/√3) "
    "≠ KL(Bern(1/4)‖Bern(1/2))",
    verdict="G",
    kind="exact values (the asymmetry needs one example) + D(P‖P) = 0 for n outcomes",
    scope=INSTANCE,
    case="Bern(1/2) and Bern(1/4) for the asymmetry; D(P‖P) = 0 for any P",
)
def kl_definition(c: Check) -> None:
    ratio = c.premise("the log-ratio is log(p/q)", lambda a, b: a / b, broken=lambda a, b: b / a)
    D = lambda p, q: sum(a * log(ratio(a, b)) for a, b in zip(p, q, strict=True))  # noqa: E731
    c.identity(
        "KL(Bern(1/2)‖Bern(1/4)) = log(2/√3)", D(_B1, _B2), log(2 / sp.sqrt(3)), control=log(2)
    )
    c.differ("KL(P‖Q) ≠ KL(Q‖P)", D(_B1, _B2), D(_B2, _B1), control=D(_B1, _B2))
    c.identity("D(P‖P) = 0", S(_p[_i] * log(ratio(_p[_i], _p[_i]))), 0, control=S(_p[_i]))


unclear_notes(
    "kl-definition",
    quote="log \\frac{\\bar{p}(x)}{q(x)}",
    reading="the bar over p is a transcription mark: D_KL(P‖Q) = ∫ p(x) log(p(x)/q(x)) dx, the "
    "definition 'kl-definition' uses",
)


@claim(
    "kl-nonneg",
    "divergences",
    "KL is always positive: -D_KL = ∫ p log(q/p) ≤ log ∫ p (q/p) = 0 (Jensen)",
    corrected="D_KL(P‖Q) ≥ 0, with equality iff P = Q (not always positive: D(P‖P) = 0)",
    verdict="I",
    kind="chain of symbolic facts for n outcomes: log t ≤ t - 1 (h(t) = t - 1 - log t convex, "
    "h(1) = 0 only at 1), then Σ p log(q/p) ≤ Σ (q - p) = 0",
    scope=GENERAL,
)
def kl_nonneg(c: Check) -> None:
    h = t - 1 - log(t)
    c.identity("h(1) = 0", h.subs(t, 1), 0, control=1)
    c.identity("h'(t) = (t-1)/t, zero at t = 1", sp.diff(h, t), (t - 1) / t, control=(t + 1) / t)
    c.fact(
        "h''(t) = 1/t² > 0: h convex, minimum h(1) = 0, so log t ≤ t - 1",
        sp.diff(h, t, 2),
        "positive",
        control=-sp.diff(h, t, 2),
    )
    c.identity(
        "h(t) = 0 only at t = 1 (so D = 0 only if q_i/p_i = 1 for all i: P = Q)",
        sp.Matrix(sp.solve(h, t)),
        sp.Matrix([1]),
        control=sp.Matrix([2]),
    )
    tot = totals(c)
    bound = with_totals(S(_p[_i] * (_q[_i] / _p[_i] - 1)), tot)
    c.identity("-D ≤ Σ p (q/p - 1) = Σ q - Σ p = 0", bound, 0, control=bound + 1)


@notes_version(
    "kl-nonneg",
    kind="counterexample: D(P‖P) = 0 is not positive",
    quote="KL is always positive",
    case="P = Q (any distribution, here 3 outcomes): D = 0",
)
def kl_nonneg_notes(c: Check) -> None:
    c.fact("D(P‖P) > 0", sp.simplify(kl(P3, P3)), "positive", control=kl(_B1, _B2))


@claim(
    "js-symmetric",
    "divergences",
    "D_JS(P‖Q) = ½ KL(p‖(p+q)/2) + ½ KL(q‖(p+q)/2): symmetric",
    kind="identity for n outcomes (symbolic n) + sign facts; bounds 0 ≤ JS ≤ log 2",
    scope=GENERAL,
)
def js_symmetric(c: Check) -> None:
    mix = c.premise(
        "M = (P + Q)/2, the equal mixture",
        lambda a, b: (a + b) / 2,
        broken=lambda a, b: (2 * a + b) / 3,
    )

    def js(a: sp.Expr, b: sp.Expr) -> sp.Expr:
        m = mix(a, b)
        return (S(a * log(a / m)) + S(b * log(b / m))) / 2

    c.identity("JS(P,Q) = JS(Q,P)", js(_p[_i], _q[_i]), js(_q[_i], _p[_i]), control=S(_p[_i]))
    a, b = sp.symbols("a b", positive=True)
    c.fact(
        "log 2 - log(2p/(p+q)) = log(1 + q/p) ≥ 0, so JS ≤ log 2",
        log(1 + b / a),
        "nonnegative",
        control=-log(1 + b / a),
    )
    c.identity(
        "disjoint supports: JS = log 2 (the bound is attained)",
        (kl((1, 0), (sp.S.Half, sp.S.Half)) + kl((0, 1), (sp.S.Half, sp.S.Half))) / 2,
        log(2),
        control=log(2) / 2,
    )


# -- VAE ---------------------------------------------------------------------------------------
_pi, _r, _a0, _a1 = sp.symbols("pi r a0 a1", positive=True)  # p(z=1), q(z=1|x), p(x|z=0), p(x|z=1)
_pz = (1 - _pi, _pi)
_qz = (1 - _r, _r)
_lik = (_a0, _a1)


def _elbo_parts(bayes: bool = True) -> tuple[sp.Expr, sp.Expr, sp.Expr]:
    px = sum(_pz[k] * _lik[k] for k in range(2))
    post = [(_pz[k] * _lik[k]) / px for k in range(2)] if bayes else list(_pz)
    L = sum(_qz[k] * log(_lik[k]) for k in range(2)) - kl(_qz, _pz)
    return log(px), L, kl(_qz, post)


def _expand(e: sp.Expr) -> sp.Expr:
    return sp.expand(sp.expand_log(e, force=True))


@claim(
    "elbo",
    "vae",
    "D_KL(q_φ(z|x), p_θ(x|z)) ≥ L(x, θ, φ)  ('positive ELBO')",
    corrected="log p(x) = L + D_KL(q(z|x) ‖ p(z|x)) ≥ L, with L = E_q log p(x|z) - D_KL(q(z|x) ‖ p(z))",
    verdict="G",
    kind="exact identity (logs expanded: every probability is in (0, 1))",
    scope=INSTANCE,
    case="binary latent z: symbolic prior π, q(z=1|x) = r, likelihoods a0, a1",
)
def elbo(c: Check) -> None:
    bayes = c.premise("p(z|x) is the Bayes posterior p(x|z)p(z)/p(x)", True, broken=False)
    logpx, L, gap = _elbo_parts(bayes)
    c.identity(
        "log p(x) = L + KL(q‖p(z|x))",
        _expand(logpx),
        _expand(L + gap),
        control=_expand(L - gap),
    )


unclear_notes(
    "elbo",
    quote="D_{KL}(q_{\\phi}(z|x^{(i)}), p_{\\theta}(x^{(i)}|z)) \\geq \\mathcal{L}(x^{(i)}, \\theta, \\phi)",
    reading="the line transcribes an annotated equation (arrows 'positive' and 'ELBO'): log p(x) = "
    "D_KL(q(z|x) ‖ p(z|x)) + L with the KL term ≥ 0, hence log p(x) ≥ L; the second argument p(x|z) "
    "is read as the posterior p(z|x). 'elbo' proves this reading",
)


_mu = sp.Symbol("mu", real=True)
_sd = sp.Symbol("sigma", positive=True)
_eps = sp.Symbol("epsilon", real=True)
_zz = sp.Symbol("z", real=True)


def _normal(x: sp.Expr, mean: sp.Expr, var: sp.Expr) -> sp.Expr:
    return sp.exp(-((x - mean) ** 2) / (2 * var)) / sp.sqrt(2 * sp.pi * var)


@functools.lru_cache(maxsize=64)
def _moment(k: int, var: sp.Expr) -> sp.Expr:
    """∫ ε^k N(ε; 0, var) dε, by integration."""
    return sp.integrate(_eps**k * _normal(_eps, 0, var), (_eps, -sp.oo, sp.oo))


def _E(expr: sp.Expr, var: sp.Expr = sp.Integer(1)) -> sp.Expr:
    """Expectation over ε ~ N(0, var) by integration (monomial by monomial when the integrand is a
    polynomial in ε)."""
    e = sp.expand(expr)
    if e.is_polynomial(_eps):
        poly = sp.Poly(e, _eps)
        return sp.expand(sum(cf * _moment(k, var) for (k,), cf in poly.terms()))
    return sp.integrate(e * _normal(_eps, 0, var), (_eps, -sp.oo, sp.oo))


@claim(
    "reparam",
    "vae",
    "substitute z ~ N(μ, Σ) with z = μ + εσ, ε ~ N(0,1)",
    corrected="z = μ + σ⊙ε with ε ~ N(0, I) gives E z = μ and Cov z = diag(σ²), the VAE's diagonal "
    "posterior; a full Σ needs z = μ + Lε with LLᵀ = Σ",
    verdict="G",
    kind="integration (moments of μ + σε) + exact 2-D covariance of μ + Lε",
    scope=GENERAL,
)
def reparam(c: Check) -> None:
    var = c.premise("ε ~ N(0, 1)", sp.Integer(1), broken=sp.Integer(2))
    zz = _mu + _sd * _eps
    c.identity("E[μ + σε] = μ", _E(zz, var), _mu, control=_mu + _sd)
    c.identity("Var[μ + σε] = σ²", _E((zz - _mu) ** 2, var), _sd**2, control=_sd)
    a, cc = sp.symbols("a c", positive=True)
    b = sp.Symbol("b", real=True)
    Sg = sp.Matrix([[a, b], [b, cc]])
    L = c.step("L = cholesky(Σ) (Σ positive definite)", Sg.cholesky(hermitian=False))
    c.identity(
        "Cov(μ + Lε) = L Cov(ε) Lᵀ = Σ", L * (var * sp.eye(2)) * L.T, Sg, control=sp.diag(a, cc)
    )


unclear_notes(
    "reparam",
    quote="$z = \\mu + \\epsilon \\sigma$",
    reading="z ~ N(μ, Σ) with Σ = diag(σ²), the VAE's diagonal posterior, and ε ~ N(0, I): then "
    "z = μ + σ⊙ε is right ('reparam'); only a full covariance would need z = μ + Lε, LLᵀ = Σ",
)


@claim(
    "gauss-kl",
    "vae",
    "(not in the notes; used by the VAE) KL(N(μ,σ²) ‖ N(0,1)) = ½(μ² + σ² - 1 - log σ²)",
    kind="integration (Gaussian moments), symbolic μ and σ > 0",
    scope=GENERAL,
)
def gauss_kl(c: Check) -> None:
    prior_var = c.premise("the prior p(z) = N(0, 1)", sp.Integer(1), broken=sp.Integer(2))
    xx = _mu + _sd * _eps
    log_q = log(_normal(xx, _mu, _sd**2))
    log_p = log(_normal(xx, 0, prior_var))
    log_ratio = sp.expand(sp.expand_log(log_q - log_p, force=True))
    val = c.step("E[log p - log q]", sp.simplify(_E(log_ratio)))
    c.identity(
        "= ½(μ² + σ² - 1 - log σ²)",
        val,
        (_mu**2 + _sd**2 - 1 - log(_sd**2)) / 2,
        control=(_mu**2 + _sd**2 - 1 + log(_sd**2)) / 2,
    )


_cs = sp.symbols("c0:4", real=True)


def _cubic(u: sp.Expr) -> sp.Expr:
    """f(u) = c0 + c1 u + c2 u² + c3 u³: every cubic."""
    return sum(_cs[k] * u**k for k in range(4))


@functools.lru_cache(maxsize=1)
def _expected_cubic() -> sp.Expr:
    """E_{z ~ N(μ, σ²)} f(z) by integrating against the density q: z = μ + u, u ~ N(0, σ²) (a
    translation; the σ-dependence stays in the density, nothing is reparameterised)."""
    return _E(_cubic(_mu + _eps), _sd**2)


@claim(
    "vae-reparam-gradient",
    "vae",
    "∇_φ E_{z~q_φ}[f(z)] = E_{ε~N(0,1)}[∇_φ f(g_φ(ε))] with z = g_φ(ε) = μ + σε (the reparameterised "
    "gradient behind the notes' ∇_{θ,φ} E_ε[log p(x, f(x, θ, φ, ε))/q(...)])",
    kind="integration: E_q f against the density q, then ∂/∂μ and ∂/∂σ vs E_ε of the derivative",
    scope=INSTANCE,
    case="q_φ = N(μ, σ²), φ = (μ, σ), f any cubic (symbolic coefficients)",
)
def vae_reparam_gradient(c: Check) -> None:
    g = c.premise(
        "z = g_φ(ε) = μ + σε with ε ~ N(0, 1) has the law q_φ", _mu + _sd * _eps, broken=_mu + _eps
    )
    Eq = c.step("E_q f (integral against q)", _expected_cubic())
    c.identity("E_q f(z) = E_ε f(g_φ(ε))", Eq, _E(_cubic(g)), control=Eq + _cs[1])
    for p in (_mu, _sd):
        c.identity(
            f"∂/∂{p} E_q f = E_ε[∂/∂{p} f(g_φ(ε))]",
            sp.diff(Eq, p),
            _E(sp.diff(_cubic(g), p)),
            control=_E(sp.diff(_cubic(g), p)) + _cs[3],
        )


@claim(
    "vae-score-gradient",
    "vae",
    "the log-derivative identity ∇_φ E_{q_φ}[f(z)] = E_{q_φ}[f(z) ∇_φ log q_φ(z)] (the estimator the "
    "reparameterisation replaces)",
    kind="pointwise ∇q = q ∇log q for any positive q, then integration for the Gaussian family",
    scope=INSTANCE,
    case="q_φ = N(μ, σ²), f any cubic (symbolic coefficients); the pointwise step for any q > 0",
)
def vae_score_gradient(c: Check) -> None:
    qf = sp.Function("q")(_mu, _zz)
    c.identity("∇q = q ∇ log q (q > 0)", sp.diff(qf, _mu), qf * sp.diff(log(qf), _mu), control=qf)
    Eq = c.step("E_q f (integral against q)", _expected_cubic())
    score_var = c.premise(
        "the score is that of the sampling density q_φ = N(μ, σ²)", _sd**2, broken=sp.Integer(1)
    )
    for p in (_mu, _sd):
        score = sp.diff(log(_normal(_zz, _mu, score_var)), p)
        # E_q[h(z)] written as E_ε[h(μ + σε)] (a change of variables in the integral)
        rhs = _E((_cubic(_zz) * score).subs(_zz, _mu + _sd * _eps))
        c.identity(
            f"∂/∂{p} E_q f = E_q[f ∂/∂{p} log q]",
            sp.diff(Eq, p),
            rhs,
            control=rhs + _cs[0],
        )


@claim(
    "beta-vae",
    "vae",
    "max E log p(x|z) s.t. D_KL(q(z|x), p(z)) < δ  ⇒  L(θ, φ, β) = E log p(x|z) - β D_KL(q(z|x), p(z))",
    kind="KKT on an exactly solvable model: the constrained optimum equals the β-objective's optimum "
    "for the multiplier β* ≥ 0",
    scope=INSTANCE,
    case="q(z|x) = N(μ, 1), p(z) = N(0, 1), p(x|z) = N(z, 1), symbolic x and δ with the constraint "
    "active (x > √(2δ))",
)
def beta_vae(c: Check) -> None:
    mu, beta = sp.symbols("mu beta", real=True)
    dl, s = sp.symbols("delta s", positive=True)
    x = c.premise(
        "the constraint is active: x = √(2δ) + s, s > 0",
        sp.sqrt(2 * dl) + s,
        broken=sp.sqrt(2 * dl) - s,
    )
    rec = -((x - mu) ** 2) / 2  # E_q log p(x|z) up to a constant
    KL = mu**2 / 2  # KL(N(μ, 1) ‖ N(0, 1))
    m_beta = c.step("argmax_μ rec - β KL", sp.solve(sp.diff(rec - beta * KL, mu), mu)[0])
    c.fact(
        "second derivative -(1 + β) < 0 for β ≥ 0",
        sp.diff(rec - beta * KL, mu, 2).subs(beta, sp.Symbol("b", nonnegative=True)),
        "negative",
        control=sp.Integer(1),
    )
    m_con = sp.sqrt(2 * dl)  # the constrained optimum on the boundary KL = δ, nearest to x
    b_star = c.step("β* = x/√(2δ) - 1", sp.simplify(x / m_con - 1))
    c.identity("μ_β* = the constrained optimum √(2δ)", m_beta.subs(beta, b_star), m_con, control=x)
    c.identity("KL(μ_β*) = δ (constraint active)", KL.subs(mu, m_con), dl, control=2 * dl)
    c.fact("β* ≥ 0 (KKT: a valid multiplier)", b_star, "nonnegative", control=-b_star - 1)
    c.identity(
        "β = 1 gives the VAE's ELBO rec - KL",
        (rec - beta * KL).subs(beta, 1),
        rec - KL,
        control=rec - 2 * KL,
    )
