"""Claims of the generative-models chapter: autoencoders/PCA, KL and JS, VAE, GAN and its variants,
autoregressive models, dilated convolution."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

import sympy as sp
from sympy import log

from dlstudy.symbolic.core import Check, claim, notes_version

t = sp.Symbol("t", positive=True)
P3 = sp.symbols("p1:4", positive=True)
Q3 = sp.symbols("q1:4", positive=True)
NORMALISE = {P3[2]: 1 - P3[0] - P3[1], Q3[2]: 1 - Q3[0] - Q3[1]}


def kl(p: Sequence[sp.Expr], q: Sequence[sp.Expr]) -> sp.Expr:
    """D_KL(p‖q) = Σ p log(p/q) (nats, 0 log 0 = 0)."""
    return sum((pi * log(pi / qi) for pi, qi in zip(p, q, strict=True) if pi != 0), sp.Integer(0))


# -- autoencoders ------------------------------------------------------------------------------
SIGMA = sp.Matrix([[3, 1], [1, 2]])


@claim(
    "linear-ae-pca",
    "autoencoders",
    "Auto encoder with linear f, g is equal to PCA: argmin Σ_n ‖x_n - g(f(x_n))‖²",
    kind="optimum by first and second derivatives (2-D, Σ = [[3,1],[1,2]], k = 1)",
)
def linear_ae_pca(c: Check) -> None:
    s = sp.Symbol("s", real=True)
    u = sp.Matrix([1, s])
    R = c.step(
        "captured variance R(s) = uᵀΣu/uᵀu, u = (1, s)",
        sp.cancel((u.T * SIGMA * u)[0] / (u.T * u)[0]),
    )
    crit = c.step("R'(s) = 0", sp.solve(sp.diff(R, s), s))
    best = max(crit, key=lambda r: sp.N(R.subs(s, r)))
    c.fact(
        "R''(s*) < 0 (maximum)",
        sp.simplify(sp.diff(R, s, 2).subs(s, best)),
        "negative",
        control=-sp.simplify(sp.diff(R, s, 2).subs(s, best)),
    )
    c.limit("direction (0,1) (s → ∞) captures less", R, s, sp.oo, 2, control=3)
    err = sp.simplify(SIGMA.trace() - R.subs(s, best))
    c.identity(
        "min reconstruction error = (5 - √5)/2",
        err,
        (5 - sp.sqrt(5)) / 2,
        control=(5 + sp.sqrt(5)) / 2,
    )
    c.identity(
        "= smallest eigenvalue of Σ (PCA)",
        err,
        min(SIGMA.eigenvals(), key=sp.N),
        control=max(SIGMA.eigenvals(), key=sp.N),
    )


_L4 = sp.symbols("lambda1:5", positive=True)


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
    kind="identity + sign fact (symbolic spectrum)",
)
def pca_latent(c: Check) -> None:
    c.identity("err(1) - err(2) = λ₂", _pca_error(1) - _pca_error(2), _L4[1], control=_L4[0])
    c.fact(
        "λ₂ > 0 ⇒ strictly better",
        _pca_error(1) - _pca_error(2),
        "positive",
        control=_pca_error(2) - _pca_error(1),
    )


@notes_version("pca-latent", kind="counterexample Σ = diag(3, 2, 1, 1/2)")
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
    corrected="D_KL(P‖Q) = ∫ p log(p/q) (p̄ should be p); asymmetry: KL(Bern(1/2)‖Bern(1/4)) = log(2/√3) "
    "≠ KL(Bern(1/4)‖Bern(1/2))",
    verdict="G",
    kind="exact values",
)
def kl_definition(c: Check) -> None:
    c.identity(
        "KL(Bern(1/2)‖Bern(1/4)) = log(2/√3)", kl(_B1, _B2), log(2 / sp.sqrt(3)), control=log(2)
    )
    c.differ("KL(P‖Q) ≠ KL(Q‖P)", kl(_B1, _B2), kl(_B2, _B1), control=kl(_B1, _B2))
    c.identity("D(P‖P) = 0", kl(P3, P3), 0, control=kl(P3, Q3))


@notes_version("kl-definition", kind="counterexample (p̄ ≠ p)")
def kl_definition_notes(c: Check) -> None:
    pbar = (sp.Rational(1, 3), sp.Rational(2, 3))
    notes = sum(p * log(pb / q) for p, pb, q in zip(_B1, pbar, _B2, strict=True))
    # by hand: KL(Bern(1/2)‖Bern(1/4)) = ½ log(2) + ½ log(2/3) = ½ log(4/3) = log(2/√3)
    c.identity(
        "Σ p log(p̄/q) = KL(P‖Q) = log(2/√3)",
        notes,
        log(2 / sp.sqrt(3)),
        control_lhs=sum(p * log(p / q) for p, q in zip(_B1, _B2, strict=True)),
        control=log(2 / sp.sqrt(3)),
    )


@claim(
    "kl-nonneg",
    "divergences",
    "KL is always positive: -D_KL = ∫ p log(q/p) ≤ log ∫ p (q/p) = 0 (Jensen)",
    kind="chain of symbolic facts: h(t) = t - 1 - log t ≥ 0, then Σ p log(q/p) ≤ Σ (q - p) = 0",
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
        "h(t) = 0 only at t = 1 (equality iff p = q)",
        sp.Matrix(sp.solve(h, t)),
        sp.Matrix([1]),
        control=sp.Matrix([2]),
    )
    bound = sum(P3[i] * (Q3[i] / P3[i] - 1) for i in range(3))
    c.identity(
        "Σ p (q/p - 1) = Σ q - Σ p = 0 (normalised)",
        bound.subs(NORMALISE),
        0,
        control=(bound + P3[0]).subs(NORMALISE),
    )


@claim(
    "js-symmetric",
    "divergences",
    "D_JS(P‖Q) = ½ KL(p‖(p+q)/2) + ½ KL(q‖(p+q)/2): symmetric",
    kind="identity (3 outcomes) + sign facts; bounds 0 ≤ JS ≤ log 2",
)
def js_symmetric(c: Check) -> None:
    def js(p: Sequence[sp.Expr], q: Sequence[sp.Expr]) -> sp.Expr:
        m = [(sp.S(a) + b) / 2 for a, b in zip(p, q, strict=True)]
        return kl(p, m) / 2 + kl(q, m) / 2

    c.identity("JS(P,Q) = JS(Q,P)", js(P3, Q3), js(Q3, P3), control=kl(Q3, P3))
    a, b = sp.symbols("a b", positive=True)
    c.fact(
        "log 2 - log(2p/(p+q)) = log(1 + q/p) ≥ 0, so JS ≤ log 2",
        log(1 + b / a),
        "nonnegative",
        control=-log(1 + b / a),
    )
    c.identity(
        "disjoint supports: JS = log 2 (the bound is attained)",
        js((1, 0), (0, 1)),
        log(2),
        control=log(2) / 2,
    )


# -- VAE ---------------------------------------------------------------------------------------
_pi, _r, _a0, _a1 = sp.symbols("pi r a0 a1", positive=True)  # p(z=1), q(z=1|x), p(x|z=0), p(x|z=1)
_pz = (1 - _pi, _pi)
_qz = (1 - _r, _r)
_lik = (_a0, _a1)


def _elbo_parts() -> tuple[sp.Expr, sp.Expr, sp.Expr]:
    px = sum(_pz[k] * _lik[k] for k in range(2))
    post = [(_pz[k] * _lik[k]) / px for k in range(2)]
    L = sum(_qz[k] * log(_lik[k]) for k in range(2)) - kl(_qz, _pz)
    return log(px), L, kl(_qz, post)


@claim(
    "elbo",
    "vae",
    "D_KL(q_φ(z|x), p_θ(x|z)) ≥ L(x, θ, φ)  ('positive ELBO')",
    corrected="log p(x) = L + D_KL(q(z|x) ‖ p(z|x)) ≥ L, with L = E_q log p(x|z) - D_KL(q(z|x) ‖ p(z))",
    verdict="G",
    kind="exact identity on a binary latent (symbolic π, q, likelihoods; logs expanded as all are in (0,1))",
)
def elbo(c: Check) -> None:
    logpx, L, gap = _elbo_parts()
    c.identity(
        "log p(x) = L + KL(q‖p(z|x))",
        sp.expand(sp.expand_log(logpx, force=True)),
        sp.expand(sp.expand_log(L + gap, force=True)),
        control=sp.expand(sp.expand_log(L - gap, force=True)),
    )


@notes_version("elbo", kind="counterexample (q = p(z) = 1/2, p(x|z) = 1)")
def elbo_notes(c: Check) -> None:
    logpx, L, _gap = _elbo_parts()
    lit = kl(_qz, _lik)  # D_KL(q(z|x), p(x|z)) read literally
    pt = {_pi: sp.Rational(1, 2), _r: sp.Rational(1, 2), _a0: 1, _a1: 1}
    c.step("literal KL(q(z|x), p(x|z)) - L at the point", sp.simplify((lit - L).subs(pt)))
    c.fact(
        "KL(q(z|x), p(x|z)) - L ≥ 0",
        sp.simplify((lit - L).subs(pt)),
        "nonnegative",
        control=sp.simplify((logpx - L).subs(pt)),
    )


_mu = sp.Symbol("mu", real=True)
_sd = sp.Symbol("sigma", positive=True)
_eps = sp.Symbol("epsilon", real=True)
_phi = sp.exp(-(_eps**2) / 2) / sp.sqrt(2 * sp.pi)


def _E(expr: sp.Expr) -> sp.Expr:
    """Expectation over ε ~ N(0,1) by integration."""
    return sp.integrate(sp.expand(expr * _phi), (_eps, -sp.oo, sp.oo))


@claim(
    "reparam",
    "vae",
    "substitute z ~ N(μ, Σ) with z = μ + εσ, ε ~ N(0,1)",
    corrected="z = μ + σε gives E z = μ, Var z = σ² (scalar/diagonal); a full Σ needs z = μ + Lε with "
    "LLᵀ = Σ. (The notes' ∇ brackets and ε^(l) in the Monte-Carlo sum are also garbled.)",
    verdict="G",
    kind="integration + exact 2-D covariance",
)
def reparam(c: Check) -> None:
    zz = _mu + _sd * _eps
    c.identity("E[μ + σε] = μ", _E(zz), _mu, control=_mu + _sd)
    c.identity("Var[μ + σε] = σ²", _E((zz - _mu) ** 2), _sd**2, control=_sd)
    a, cc = sp.symbols("a c", positive=True)
    b = sp.Symbol("b", real=True)
    S = sp.Matrix([[a, b], [b, cc]])
    L = c.step("L = cholesky(Σ)", S.cholesky(hermitian=False))
    c.identity("Cov(μ + Lε) = L I Lᵀ = Σ", L * L.T, S, control=sp.diag(a, cc))


@notes_version("reparam", kind="non-zero residual (off-diagonal covariance)")
def reparam_notes(c: Check) -> None:
    a, cc = sp.symbols("a c", positive=True)
    b = sp.Symbol("b", real=True)
    S = sp.Matrix([[a, b], [b, cc]])
    sd = sp.diag(sp.sqrt(a), sp.sqrt(cc))  # σ elementwise, as in z = μ + εσ
    c.identity(
        "Cov(μ + σ⊙ε) = Σ",
        sd * sd.T,
        S,
        control=S,
        control_lhs=S.cholesky(hermitian=False) * S.cholesky(hermitian=False).T,
    )


@claim(
    "gauss-kl",
    "vae",
    "(not in the notes; used by the VAE) KL(N(μ,σ²) ‖ N(0,1)) = ½(μ² + σ² - 1 - log σ²)",
    kind="integration (Gaussian moments)",
)
def gauss_kl(c: Check) -> None:
    xx = _mu + _sd * _eps
    log_ratio = (-log(_sd) - _eps**2 / 2) - (-(xx**2) / 2)  # log N(x; μ, σ²) - log N(x; 0, 1)
    val = c.step("E[log p - log q]", sp.simplify(_E(log_ratio)))
    c.identity(
        "= ½(μ² + σ² - 1 - log σ²)",
        val,
        (_mu**2 + _sd**2 - 1 - log(_sd**2)) / 2,
        control=(_mu**2 + _sd**2 - 1 + log(_sd**2)) / 2,
    )


@claim(
    "beta-vae",
    "vae",
    "max E log p(x|z) s.t. D_KL(q(z|x), p(z)) < δ  ⇒  L(θ, φ, β) = E log p(x|z) - β D_KL(q(z|x), p(z))",
    kind="KKT Lagrangian: gradients equal (βδ is constant)",
)
def beta_vae(c: Check) -> None:
    th, beta, delta = sp.symbols("theta beta delta", real=True)
    E, D = sp.Function("E")(th), sp.Function("D")(th)
    lagr = E - beta * (D - delta)
    c.identity(
        "∇(E - β(KL - δ)) = ∇(E - β KL)",
        sp.diff(lagr, th),
        sp.diff(E - beta * D, th),
        control=sp.diff(E + beta * D, th),
    )
    c.identity("β = 1 gives the VAE ELBO", (E - beta * D).subs(beta, 1), E - D, control=E - 2 * D)


# -- GAN ---------------------------------------------------------------------------------------
@claim(
    "gan-d-bce",
    "gan",
    "L(D) = -1/(2N)(Σ y log D(x) + Σ (1-y) log(1-D(x))) ≡ -½(E_{p_d} log D(x) + E_{p_z} log(1-D(G(z))))",
    kind="exact symbolic instance (N = 2 real, 2 fake; sums over all 2N points)",
)
def gan_d_bce(c: Check) -> None:
    N = 2
    Dr = sp.symbols("Dr1:3", positive=True)  # D(x^n)
    Df = sp.symbols("Df1:3", positive=True)  # D(G(z^n))
    pts = [(d, 1) for d in Dr] + [(d, 0) for d in Df]
    bce = -sum(yy * log(d) + (1 - yy) * log(1 - d) for d, yy in pts) / (2 * N)
    half = -(sum(log(d) for d in Dr) / N + sum(log(1 - d) for d in Df) / N) / 2
    c.identity(
        "BCE over 2N points = -½(mean log D + mean log(1-D(G)))", bce, half, control=2 * half
    )


@claim(
    "gan-lotus",
    "gan",
    "∫ p_z(z) log(1 - D(G(z))) dz = ∫ p_g(x) log(1 - D(x)) dx",
    kind="change of variables, exact integrals (z ~ U(0,1), G(z) = z², D(x) = x)",
)
def gan_lotus(c: Check) -> None:
    zz, xx = sp.symbols("z x", positive=True)
    Ginv = sp.sqrt(xx)
    pg = c.step("p_g(x) = p_z(√x)·|d√x/dx|", sp.diff(Ginv, xx))
    lhs = sp.integrate(log(1 - zz**2), (zz, 0, 1))
    rhs = sp.integrate(pg * log(1 - xx), (xx, 0, 1))
    c.identity(
        "E_z log(1 - D(G(z))) = E_{p_g} log(1 - D(x))",
        lhs,
        rhs,
        control=sp.integrate(log(1 - xx), (xx, 0, 1)),
    )


_A, _B = sp.symbols("a b", positive=True)
_yv = sp.Symbol("y", positive=True)


def _optimal_d(a: sp.Expr, b: sp.Expr) -> sp.Expr:
    f = a * log(_yv) + b * log(1 - _yv)
    return sp.solve(sp.diff(f, _yv), _yv)[0]


@claim(
    "gan-optimal-d",
    "gan",
    "f(y) = a log y + b log(1-y): f'(y) = 0 ⇒ y = a/(a+b) ⇒ D* = p_d/(p_d + p_g)",
    kind="optimum by first and second derivatives (a, b > 0)",
)
def gan_optimal_d(c: Check) -> None:
    f = _A * log(_yv) + _B * log(1 - _yv)
    ystar = c.step("solve f'(y) = 0", _optimal_d(_A, _B))
    c.identity("y* = a/(a+b)", ystar, _A / (_A + _B), control=_B / (_A + _B))
    f2 = sp.simplify(sp.diff(f, _yv, 2).subs(_yv, _A / (_A + _B)))
    c.identity(
        "f''(y*) = -(a+b)³/(ab)",
        f2,
        -((_A + _B) ** 3) / (_A * _B),
        control=((_A + _B) ** 3) / (_A * _B),
    )
    c.fact("f''(y*) < 0: maximum", f2, "negative", control=-f2)


@claim(
    "gan-proposition",
    "gan",
    "Proposition: if p_d = p_g then D* = p_d/(p_d + p_g)",
    corrected="For EVERY fixed G, D*(x) = p_d(x)/(p_d(x) + p_g(x)); when p_d = p_g this is 1/2",
    verdict="I",
    kind="optimum + identity",
)
def gan_proposition(c: Check) -> None:
    pd, pg = sp.symbols("p_d p_g", positive=True)
    c.identity(
        "argmax_D p_d log D + p_g log(1-D) = p_d/(p_d+p_g) for all p_d, p_g",
        _optimal_d(pd, pg),
        pd / (pd + pg),
        control=sp.Rational(1, 2),
    )
    c.identity(
        "p_d = p_g ⇒ D* = 1/2", (pd / (pd + pg)).subs(pg, pd), sp.Rational(1, 2), control=pd / 2
    )


@notes_version("gan-proposition", kind="counterexample to 'the hypothesis p_d = p_g is needed'")
def gan_proposition_notes(c: Check) -> None:
    pd, pg = sp.Rational(3, 4), sp.Rational(1, 4)
    c.differ(
        "with p_d ≠ p_g (3/4 vs 1/4), D* differs from p_d/(p_d+p_g)",
        _optimal_d(pd, pg),
        pd / (pd + pg),
        control=sp.Rational(1, 2),
    )


@claim(
    "gan-jsd",
    "gan",
    "V(G, D*) = 2 D_JS(p_d, p_g) - log 4; global min -log 4 iff p_d = p_g",
    kind="identity on 3-point distributions (normalised), minimum value",
)
def gan_jsd(c: Check) -> None:
    pd, pg = P3, Q3
    S = sp.symbols("s1:4", positive=True)  # s_i = p_d(x_i) + p_g(x_i)
    V = sum(pd[i] * log(pd[i] / S[i]) + pg[i] * log(pg[i] / S[i]) for i in range(3))
    m = [S[i] / 2 for i in range(3)]
    jsd = (kl(pd, m) + kl(pg, m)) / 2
    gap = c.step(
        "V - (2 JSD - log 4), s_i = p_i + q_i", sp.expand(sp.expand_log(V - (2 * jsd - log(4))))
    )
    wrong = sp.expand(sp.expand_log(V - (jsd - log(4))))
    c.identity(
        "V(G, D*) - (2 JSD - log 4) = 0 when Σp = Σq = 1",
        gap.subs(NORMALISE),
        0,
        control=wrong.subs(NORMALISE).subs(
            {P3[0]: sp.Rational(1, 2), P3[1]: sp.Rational(1, 4), Q3[0]: sp.Rational(1, 4)}
        ),
    )
    V = V.subs(dict(zip(S, [pd[i] + pg[i] for i in range(3)], strict=True)))
    c.identity(
        "p_d = p_g ⇒ V = -log 4",
        sp.expand(sp.expand_log(V.subs(dict(zip(pg, pd, strict=True))), force=True)).subs(
            NORMALISE
        ),
        -log(4),
        control=-log(2),
    )


@claim(
    "gan-objectives",
    "gan",
    "D: max E log D(x) + E[1 - log D(G(z))];  G: min E[1 - log D(G(z))]; small gradients for G early",
    corrected="both use log(1 - D(G(z))); saturation: with D = σ(a), d/da log(1-σ(a)) = -σ(a) → 0 as "
    "a → -∞ while the non-saturating d/da(-log σ(a)) → -1",
    verdict="I",
    kind="identities + limits",
)
def gan_objectives(c: Check) -> None:
    a = sp.Symbol("a", real=True)
    s = 1 / (1 + sp.exp(-a))
    c.identity("d/da log(1 - σ(a)) = -σ(a)", sp.diff(log(1 - s), a), -s, control=-(1 - s))
    c.limit("saturating gradient → 0 (D confident: a → -∞)", -s, a, -sp.oo, 0, control=-1)
    c.identity("d/da(-log σ(a)) = -(1 - σ(a))", sp.diff(-log(s), a), -(1 - s), control=-s)
    c.limit("non-saturating gradient → -1", -(1 - s), a, -sp.oo, -1, control=0)


@notes_version("gan-objectives", kind="counterexample (D = 1/2)")
def gan_objectives_notes(c: Check) -> None:
    d = sp.Symbol("D", positive=True)
    c.identity(
        "1 - log D = log(1 - D) = -log 2 at D = 1/2",
        (1 - log(d)).subs(d, sp.Rational(1, 2)),
        -log(2),  # by hand: log(1 - 1/2) = -log 2
        control_lhs=log(1 - d).subs(d, sp.Rational(1, 2)),
        control=-log(2),
    )


@claim(
    "cgan",
    "gan-variants",
    "V(G, D) = E log D(x|y) + E_{z∼p_z} log(1 - D(G(x|y)|y))",
    corrected="the generator takes noise: E_{z∼p_z} log(1 - D(G(z|y)|y)); for each y, D*(x|y) = "
    "p_d(x|y)/(p_d(x|y) + p_g(x|y))",
    verdict="G",
    kind="exact integrals (G(u|y) = u·y, D(t) = t/(1+t), z ~ U(0,1))",
)
def cgan(c: Check) -> None:
    pd, pg = sp.symbols("p_d(x|y) p_g(x|y)", positive=True)
    c.identity(
        "conditional optimum D*(x|y)", _optimal_d(pd, pg), pd / (pd + pg), control=pg / (pd + pg)
    )


@notes_version("cgan", kind="counterexample (the term does not depend on z)")
def cgan_notes(c: Check) -> None:
    zz, xx, yy = sp.symbols("z x y", positive=True)
    term = lambda arg: -log(1 + arg)  # log(1 - D(t)) with D(t) = t/(1+t)  # noqa: E731
    notes = sp.integrate(term(xx * yy), (zz, 0, 1))  # G(x|y): no z inside
    meant = sp.integrate(term(zz * yy), (zz, 0, 1))  # G(z|y) = z·y
    # by hand: ∫₀¹ log(1 + zy) dz = [((1 + zy) log(1 + zy) - (1 + zy))/y]₀¹ = ((1 + y) log(1 + y) - y)/y
    exact = 1 - (1 + yy) * log(1 + yy) / yy
    c.identity(
        "E_z log(1 - D(G(x|y)|y)) = E_z log(1 - D(G(z|y)|y)) = 1 - (1+y) log(1+y)/y",
        notes,
        exact,
        control_lhs=meant,
        control=exact,
    )


@claim(
    "pix2pix",
    "gan-variants",
    "L(G, D) = E[log D(x,y)] + E[1 - log D(x, G(x,z))] + E‖y - G(x,z)‖₁",
    corrected="L_cGAN = E log D(x,y) + E log(1 - D(x, G(x,z))); G* = argmin_G max_D L_cGAN + λ E‖y - G(x,z)‖₁",
    verdict="I",
    kind="optimum + sign fact",
)
def pix2pix(c: Check) -> None:
    pd, pg = sp.symbols("p_d p_g", positive=True)
    c.identity(
        "D* = p_d/(p_d + p_g) for the corrected L_cGAN",
        _optimal_d(pd, pg),
        pd / (pd + pg),
        control=sp.Rational(1, 2),
    )
    yy, g = sp.symbols("y g", real=True)
    c.fact("‖y - G‖₁ ≥ 0", sp.Abs(yy - g), "nonnegative", control=-sp.Abs(yy - g) - 1)
    c.identity("‖y - G‖₁ = 0 at G = y", sp.Abs(yy - g).subs(g, yy), 0, control=1)


@notes_version("pix2pix", kind="counterexample (D = 1/2) + unbounded D-problem")
def pix2pix_notes(c: Check) -> None:
    d = sp.Symbol("D", positive=True)
    c.identity(
        "1 - log D = log(1 - D) = log 3 - 2 log 2 at D = 1/4",
        (1 - log(d)).subs(d, sp.Rational(1, 4)),
        log(3) - 2 * log(2),  # by hand: log(1 - 1/4) = log 3 - log 4
        control_lhs=log(1 - d).subs(d, sp.Rational(1, 4)),
        control=log(3) - 2 * log(2),
    )
    c.limit(
        "as written, D can push 1 - log D(x, G) to a finite value",
        1 - log(d),
        d,
        0,
        1,
        control=sp.oo,
    )


Map = Callable[[sp.Expr], sp.Expr]


def _cycle_maps() -> tuple[Map, Map, Map]:
    """G(u) = (a u + b)/(c u + d), its inverse F(u) = (d u - b)/(a - c u), and a wrong inverse.

    G(F(y)) = y(ad - bc)/(ad - bc): the cycle closes only once the common factor is cancelled."""
    a, b, cc, d = sp.symbols("a b c d", positive=True)
    G = lambda u: (a * u + b) / (cc * u + d)  # noqa: E731
    F = lambda u: (d * u - b) / (a - cc * u)  # noqa: E731
    Fbad = lambda u: (d * u + b) / (a - cc * u)  # noqa: E731
    return G, F, Fbad


@claim(
    "cyclegan",
    "gan-variants",
    "L_cyc = E_x ‖F(G(x)) - x‖₁ + E_y ‖G(F(y)) - x‖₁",
    corrected="L_cyc = E_x ‖F(G(x)) - x‖₁ + E_y ‖G(F(y)) - y‖₁: zero for mutually inverse G, F",
    verdict="I",
    kind="identity with mutually inverse Möbius maps (symbolic coefficients)",
)
def cyclegan(c: Check) -> None:
    xx, yy = sp.symbols("x y", real=True)
    G, F, Fbad = _cycle_maps()
    c.identity("‖F(G(x)) - x‖₁ = 0", sp.Abs(F(G(xx)) - xx), 0, control=sp.Abs(Fbad(G(xx)) - xx))
    c.identity("‖G(F(y)) - y‖₁ = 0", sp.Abs(G(F(yy)) - yy), 0, control=sp.Abs(G(Fbad(yy)) - yy))


@notes_version("cyclegan", kind="counterexample (perfect inverses still pay |y - x|)")
def cyclegan_notes(c: Check) -> None:
    xx, yy = sp.symbols("x y", real=True)
    G, F, _ = _cycle_maps()
    c.identity(
        "‖G(F(y)) - x‖₁ = 0 for a perfect cycle",
        sp.Abs(G(F(yy)) - xx),
        0,
        control_lhs=sp.Abs(G(F(yy)) - yy),
        control=0,
    )


# -- autoregressive ----------------------------------------------------------------------------
_WJ = {
    bits: sp.Symbol("w" + "".join(map(str, bits)), positive=True)
    for bits in itertools.product((0, 1), repeat=3)
}
_Z = sum(_WJ.values())


def _marg(prefix: Sequence[int]) -> sp.Expr:
    """p(x_1..x_k = prefix) of the joint p(x) = w_x / Z."""
    k = len(prefix)
    return sum(w for bits, w in _WJ.items() if bits[:k] == tuple(prefix)) / _Z


def _factorised(bits: Sequence[int], upto: str) -> sp.Expr:
    """Π_i p(x_i | x_{<i}) (upto '<') or the notes' Π_i p(x_i | x_{≤i}) (upto '<=') or Π p(x_i)."""
    out = sp.Integer(1)
    for i in range(3):
        if upto == "<":
            out *= _marg(bits[: i + 1]) / _marg(bits[:i])
        elif upto == "<=":
            out *= _marg(bits[: i + 1]) / _marg(bits[: i + 1])
        else:
            out *= sum(w for b2, w in _WJ.items() if b2[i] == bits[i]) / _Z
    return out


@claim(
    "ar-factor",
    "autoregressive",
    "p(x) = Π_{i=1}^n p(x_i | x_{≤i})",
    corrected="p(x) = Π_i p(x_i | x_{<i}) (product rule)",
    verdict="I",
    kind="exact identity for all 8 values of 3 binary variables (symbolic joint)",
)
def ar_factor(c: Check) -> None:
    bits = list(itertools.product((0, 1), repeat=3))
    joint = sp.Matrix([_WJ[b] / _Z for b in bits])
    c.identity(
        "Π p(x_i|x_{<i}) = p(x) for all x",
        sp.Matrix([_factorised(b, "<") for b in bits]),
        joint,
        control=sp.Matrix([_factorised(b, "ind") for b in bits]),
    )


@notes_version("ar-factor", kind="counterexample (the product is 1)")
def ar_factor_notes(c: Check) -> None:
    bits = (1, 0, 1)
    c.identity(
        "Π p(x_i|x_{≤i}) = p(x) at x = (1,0,1)",
        _factorised(bits, "<="),
        _WJ[bits] / _Z,
        control=_WJ[bits] / _Z,
        control_lhs=_factorised(bits, "<"),
    )


@claim(
    "nade-ll",
    "autoregressive",
    "(1/T) Σ_t log p(x^t) = (1/T) Σ_t Σ_i log p(x_i^t | x_{<i}^t); O(TD) with shared weights",
    kind="identity: shared-weight recurrence a_{d+1} = a_d + W[:,d] x_d equals the direct sum (H = 2, D = 3)",
)
def nade_ll(c: Check) -> None:
    Wm = sp.Matrix(2, 3, sp.symbols("W1:7", real=True))
    cvec = sp.Matrix(sp.symbols("c1:3", real=True))
    xv = sp.symbols("x1:4", real=True)
    a = [cvec]
    for d in range(2):
        a.append(a[-1] + Wm[:, d] * xv[d])
    direct = [cvec + sum((Wm[:, j] * xv[j] for j in range(d)), sp.zeros(2, 1)) for d in range(3)]
    c.identity("a_3 (recurrence) = c + W[:, <3] x_{<3}", a[2], direct[2], control=direct[1])
    p = sp.symbols("c_1:4", positive=True)  # conditionals of one sample
    c.identity(
        "log Π p(x_i|x_{<i}) = Σ log p(x_i|x_{<i})",
        sp.expand_log(log(p[0] * p[1] * p[2])),
        sum(log(v) for v in p),
        control=log(p[0]) + log(p[1]),
    )


def made_masks(
    degrees_in: Sequence[int], hidden: Sequence[Sequence[int]], out_strict: bool
) -> sp.Matrix:
    """Product of MADE masks (output × input): hidden ≥, output > (strict) or ≥ (the notes)."""
    D = len(degrees_in)
    prev = list(degrees_in)
    M = sp.eye(D)
    for layer in hidden:
        Mk = sp.Matrix(
            len(layer), len(prev), lambda k, j, lay=layer, pr=prev: 1 if lay[k] >= pr[j] else 0
        )
        M = Mk * M
        prev = list(layer)
    Mo = sp.Matrix(
        D, len(prev), lambda i, k: 1 if (i + 1 > prev[k] if out_strict else i + 1 >= prev[k]) else 0
    )
    return Mo * M


def _strictly_lower(M: sp.Matrix) -> bool:
    return all(M[i, j] == 0 for i in range(M.rows) for j in range(M.cols) if j >= i)


@claim(
    "made-masks",
    "autoregressive",
    "connect nodes only if the upper layer node has a number bigger or equal to the lower layer node number",
    corrected="≥ between hidden layers, STRICT > into the output layer, hidden degrees from 1..D-1; then "
    "the product of the masks is strictly lower-triangular (x_j reaches output i only if j < i)",
    verdict="I",
    kind="exhaustive enumeration (D = 3, 1-2 hidden layers of 3 units, all degree assignments)",
)
def made_masks_claim(c: Check) -> None:
    D = 3
    layers = list(itertools.product(range(1, D), repeat=3))
    ok_strict = all(
        _strictly_lower(made_masks(range(1, D + 1), [h1], True)) for h1 in layers
    ) and all(
        _strictly_lower(made_masks(range(1, D + 1), [h1, h2], True))
        for h1 in layers[:4]
        for h2 in layers
    )
    ok_notes = all(_strictly_lower(made_masks(range(1, D + 1), [h1], False)) for h1 in layers)
    c.holds(
        "strict > into the output ⇒ strictly lower-triangular for every assignment",
        ok_strict,
        control=ok_notes,
        how="exact enumeration",
    )


@notes_version("made-masks", kind="counterexample (hidden degrees 1, 2, 2)")
def made_masks_notes(c: Check) -> None:
    M = made_masks([1, 2, 3], [[1, 2, 2]], out_strict=False)
    c.step("M_out M_hid with ≥ everywhere", M)
    c.holds(
        "≥ everywhere ⇒ autoregressive (strictly lower-triangular)",
        _strictly_lower(M),
        control=_strictly_lower(made_masks([1, 2, 3], [[1, 2, 2]], out_strict=True)),
        how="exact",
    )


@claim(
    "pixelcnn-rgb",
    "autoregressive",
    "p(x_i|x_{<i}) = p(x_{i,R}|x_{<i}) p(x_{i,G}|x_{i,R}, x_{<i}) p(x_{i,B}|x_{i,G}, x_{i,R}, x_{<i})",
    kind="exact identity for all 8 channel values (product rule, symbolic joint given the context)",
)
def pixelcnn_rgb(c: Check) -> None:
    bits = list(itertools.product((0, 1), repeat=3))
    joint = sp.Matrix([_WJ[b] / _Z for b in bits])
    skip_g = []
    for b in bits:  # p(B | R) instead of p(B | G, R)
        pr = _marg(b[:1])
        pg = _marg(b[:2]) / _marg(b[:1])
        pb = sum(w for b2, w in _WJ.items() if b2[0] == b[0] and b2[2] == b[2]) / _Z / pr
        skip_g.append(pr * pg * pb)
    c.identity(
        "R, G|R, B|G,R product = joint",
        sp.Matrix([_factorised(b, "<") for b in bits]),
        joint,
        control=sp.Matrix(skip_g),
    )


MASK_A = {(-1, -1), (-1, 0), (-1, 1), (0, -1)}
MASK_B = MASK_A | {(0, 0)}


def blind_spot(n_b_layers: int) -> set[tuple[int, int]]:
    """Causal pixels in the stack's window that the output pixel does not see (dependency propagation)."""
    reach = set(MASK_A)
    for _ in range(n_b_layers):
        reach = {(a + c2, b + d) for a, b in reach for c2, d in MASK_B}
    L = n_b_layers + 1
    causal = {(dr, dc) for dr in range(-L, 1) for dc in range(-L, L + 1) if dr < 0 or dc < 0}
    return causal - reach


@claim(
    "pixelcnn-blindspot",
    "autoregressive",
    "stacking layers of masked convolution creates a blind spot",
    kind="exact dependency propagation (mask A then 3 × mask B, 3×3)",
)
def pixelcnn_blindspot(c: Check) -> None:
    spot = blind_spot(3)
    c.step("blind spot (row, col offsets)", sp.Matrix(sorted(spot)))
    c.holds(
        "blind spot is non-empty and includes the up-right pixel (-1, +2)",
        bool(spot) and (-1, 2) in spot,
        control=bool(blind_spot(0)),
        how="set propagation",
    )


def dilated_rf_bruteforce(L: int, k: int = 2) -> int:
    deps = {0}
    for d in reversed([2**i for i in range(L)]):
        deps = {u + t * d for u in deps for t in range(k)}
    return max(deps) - min(deps) + 1


@claim(
    "dilated-rf",
    "dilated-conv",
    "use dilated convolution to increase the receptive field (WaveNet)",
    kind="symbolic summation + brute-force dependency sets (L = 1..8)",
)
def dilated_rf(c: Check) -> None:
    L = sp.Symbol("L", positive=True, integer=True)
    ell = sp.Symbol("l", integer=True)
    rf = c.step(
        "RF = 1 + Σ_l (k-1) d_l, k = 2, d_l = 2^l", 1 + sp.summation(2**ell, (ell, 0, L - 1))
    )
    c.identity("RF = 2^L", rf, 2**L, control=2**L + 1)
    c.holds(
        "brute force = 2^L for L = 1..8",
        all(dilated_rf_bruteforce(n) == 2**n for n in range(1, 9)),
        control=all(dilated_rf_bruteforce(n) == n + 1 for n in range(1, 9)),
        how="dependency sets",
    )
