"""Claims of the generative-models chapter, GAN part: the discriminator's loss, the change of variables,
the optimal discriminator, the value at D* (JSD, its minimum and when it is reached), the training
objectives, and the variants cGAN, pix2pix, CycleGAN."""

from __future__ import annotations

from collections.abc import Callable

import sympy as sp
from sympy import log

from dlstudy.symbolic.claims_autoencoders import S, _i, _p, _q, totals, with_totals
from dlstudy.symbolic.core import GENERAL, INSTANCE, Check, claim, notes_version


@claim(
    "gan-d-bce",
    "gan",
    "L(D) = -1/(2N)(Σ y log D(x) + Σ (1-y) log(1-D(x))) ≡ -½(E_{p_d} log D(x) + E_{p_z} log(1-D(G(z))))",
    kind="exact symbolic instance (sums over all 2N points; expectations as sample means)",
    scope=INSTANCE,
    case="N = 2 real and 2 generated points, symbolic D values",
)
def gan_d_bce(c: Check) -> None:
    N = 2
    Dr = sp.symbols("Dr1:3", positive=True)  # D(x^n)
    Df = sp.symbols("Df1:3", positive=True)  # D(G(z^n))
    fake_label = c.premise("labels: 1 for the N data points, 0 for the N generated ones", 0, 1)
    pts = [(d, 1) for d in Dr] + [(d, fake_label) for d in Df]
    bce = -sum(yy * log(d) + (1 - yy) * log(1 - d) for d, yy in pts) / (2 * N)
    half = -(sum(log(d) for d in Dr) / N + sum(log(1 - d) for d in Df) / N) / 2
    c.identity(
        "BCE over 2N points = -½(mean log D + mean log(1-D(G)))", bce, half, control=2 * half
    )


@claim(
    "gan-lotus",
    "gan",
    "∫ p_z(z) log(1 - D(G(z))) dz = ∫ p_g(x) log(1 - D(x)) dx",
    kind="change of variables x = G(z) in the integral (sympy's transform), any p_z and any h",
    scope=INSTANCE,
    case="G(z) = z² on z ∈ (0, 1); any density p_z, any function h (h = log(1 - D))",
)
def gan_lotus(c: Check) -> None:
    zz, xx = sp.symbols("z x", positive=True)
    pz, h = sp.Function("p_z"), sp.Function("h")
    lhs = sp.Integral(pz(zz) * h(zz**2), (zz, 0, 1))
    moved = c.step("substitute z = G⁻¹(x) = √x", lhs.transform(zz, sp.sqrt(xx)))
    pg = c.premise(
        "p_g is the density of G(z): p_g(x) = p_z(G⁻¹(x)) |dG⁻¹/dx|",
        pz(sp.sqrt(xx)) * sp.diff(sp.sqrt(xx), xx),
        broken=pz(sp.sqrt(xx)),
    )
    c.holds(
        "the limits become G(0) = 0, G(1) = 1",
        moved.limits == ((xx, 0, 1),),
        control=moved.limits == ((zz, 0, 1),),
        how="the transformed integral's limits",
    )
    c.identity(
        "integrands: p_z(√x)|d√x/dx| h(x) = p_g(x) h(x)",
        moved.function,
        pg * h(xx),
        control=pz(xx) * h(xx),
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
    kind="optimum by first and second derivatives (symbolic a, b > 0)",
    scope=GENERAL,
)
def gan_optimal_d(c: Check) -> None:
    b = c.premise("a, b > 0 (density values)", _B, broken=-_B)
    f = _A * log(_yv) + b * log(1 - _yv)
    ystar = c.step("solve f'(y) = 0", sp.solve(sp.diff(f, _yv), _yv)[0])
    c.identity("y* = a/(a+b)", ystar, _A / (_A + b), control=b / (_A + b))
    f2 = sp.simplify(sp.diff(f, _yv, 2).subs(_yv, ystar))
    c.identity(
        "f''(y*) = -(a+b)³/(ab)",
        f2,
        -((_A + b) ** 3) / (_A * b),
        control=((_A + b) ** 3) / (_A * b),
    )
    c.fact("f''(y*) < 0: maximum", f2, "negative", control=-f2)
    c.fact("y* ∈ (0, 1): 1 - y* > 0", sp.simplify(1 - ystar), "positive", control=-1 - ystar)


def _fake_density(c: Check) -> Callable[[sp.Expr, sp.Expr], sp.Expr]:
    """The premise that the fake term of V is written with p_g (after the change of variables)."""
    pz = sp.Symbol("p_z", positive=True)
    return c.premise(
        "V = ∫ p_d log D + p_g log(1 - D) (the fake term moved to x-space: gan-lotus)",
        lambda pd, pg: pg,
        broken=lambda pd, pg: pz,
    )


@claim(
    "gan-proposition",
    "gan",
    "Proposition: if p_d = p_g then D* = p_d/(p_d + p_g)",
    corrected="True as written, but the hypothesis is not needed: for EVERY fixed G, "
    "D*(x) = p_d(x)/(p_d(x) + p_g(x)); when p_d = p_g this is 1/2",
    kind="pointwise optimum of the integrand + identity",
    scope=GENERAL,
)
def gan_proposition(c: Check) -> None:
    pd, pg = sp.symbols("p_d p_g", positive=True)
    fake = _fake_density(c)
    c.identity(
        "for all p_d, p_g: argmax_D p_d log D + p_g log(1-D) = p_d/(p_d+p_g)",
        _optimal_d(pd, fake(pd, pg)),
        pd / (pd + pg),
        control=sp.Rational(1, 2),
    )
    c.identity(
        "the notes' case p_d = p_g: D* = p_d/(p_d+p_g) = 1/2",
        _optimal_d(pd, fake(pd, pd)),
        sp.Rational(1, 2),
        control=pd / 2,
    )


@claim(
    "gan-jsd",
    "gan",
    "V(G, D*) = 2 D_JS(p_d, p_g) - log 4; global min -log 4 iff p_d = p_g",
    kind="identities of sums over n outcomes (symbolic n, normalisation used explicitly), "
    "JSD ≥ 0 by log t ≤ t - 1, equality case solved",
    scope=GENERAL,
)
def gan_jsd(c: Check) -> None:
    tot = totals(c)
    pd, pg = _p[_i], _q[_i]
    m = (pd + pg) / 2
    V = S(pd * log(pd / (pd + pg))) + S(pg * log(pg / (pd + pg)))
    jsd = (S(pd * log(pd / m)) + S(pg * log(pg / m))) / 2
    gap = c.step(
        "V - (2 JSD - log 4) with Σ p_d = Σ p_g = 1", with_totals(V - (2 * jsd - log(4)), tot)
    )
    c.identity("V(G, D*) = 2 JSD - log 4", gap, 0, control=gap + log(2))
    lower = with_totals(S(pd * (1 - m / pd)) + S(pg * (1 - m / pg)), tot)
    c.step(
        "2 JSD = KL(p_d‖m) + KL(p_g‖m) ≥ Σ p_d(1 - m/p_d) + Σ p_g(1 - m/p_g) (log t ≤ t-1)", lower
    )
    c.identity(
        "that lower bound is Σ p_d + Σ p_g - 2 Σ m = 0, so JSD ≥ 0 and V ≥ -log 4",
        lower,
        0,
        control=lower + 1,
    )
    same = sp.simplify(V.subs(_q, _p).doit())
    c.identity(
        "p_d = p_g ⇒ V = -log 4",
        with_totals(sp.expand(sp.expand_log(same, force=True)), tot),
        -log(4),
        control=-log(2),
    )
    p, q = sp.symbols("p q", positive=True)
    c.identity(
        "equality in log t ≤ t - 1 needs m/p_d = 1 (kl-nonneg): then p_g = p_d",
        sp.Matrix(sp.solve(((p + q) / 2) / p - 1, q)),
        sp.Matrix([p]),
        control=sp.Matrix([2 * p]),
    )


@claim(
    "gan-objectives",
    "gan",
    "D: max E log D(x) + E[1 - log D(G(z))];  G: min E[1 - log D(G(z))]; small gradients for G early",
    corrected="both use log(1 - D(G(z))); saturation: with D = σ(a), d/da log(1-σ(a)) = -σ(a) → 0 as "
    "a → -∞ while the non-saturating d/da(-log σ(a)) → -1",
    verdict="I",
    kind="identities + limits in the logit a",
    scope=GENERAL,
)
def gan_objectives(c: Check) -> None:
    a = sp.Symbol("a", real=True)
    s = c.premise(
        "D = σ(a), a sigmoid of the logit a",
        1 / (1 + sp.exp(-a)),
        broken=1 / (1 + sp.exp(-2 * a)),
    )
    sg = 1 / (1 + sp.exp(-a))
    c.identity("d/da log(1 - σ(a)) = -σ(a)", sp.diff(log(1 - s), a), -sg, control=-(1 - sg))
    c.limit("saturating gradient → 0 (D confident: a → -∞)", -sg, a, -sp.oo, 0, control=-1)
    c.identity("d/da(-log σ(a)) = -(1 - σ(a))", sp.diff(-log(s), a), -(1 - sg), control=-sg)
    c.limit("non-saturating gradient → -1", -(1 - sg), a, -sp.oo, -1, control=0)


@notes_version(
    "gan-objectives",
    kind="counterexample (D = 1/2)",
    quote="[1 - \\log D_{\\theta_d}(G_{\\theta_g}(z))]",
    case="D(G(z)) = 1/2: 1 - log D = 1 + log 2, log(1 - D) = -log 2",
)
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
    kind="pointwise optimum for each condition y",
    scope=GENERAL,
)
def cgan(c: Check) -> None:
    pd, pg = sp.symbols("p_d(x|y) p_g(x|y)", positive=True)
    fake = _fake_density(c)
    c.identity(
        "conditional optimum D*(x|y)",
        _optimal_d(pd, fake(pd, pg)),
        pd / (pd + pg),
        control=pg / (pd + pg),
    )


@notes_version(
    "cgan",
    kind="counterexample (the term does not depend on z)",
    quote="log(1 - D(G(x|y)|y))",
    case="G(u|y) = u·y, D(t) = t/(1+t), z ~ U(0, 1)",
)
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
    kind="pointwise optimum + sign fact",
    scope=GENERAL,
)
def pix2pix(c: Check) -> None:
    pd, pg = sp.symbols("p_d p_g", positive=True)
    fake = _fake_density(c)
    c.identity(
        "D* = p_d/(p_d + p_g) for the corrected L_cGAN",
        _optimal_d(pd, fake(pd, pg)),
        pd / (pd + pg),
        control=sp.Rational(1, 2),
    )
    yy, g = sp.symbols("y g", real=True)
    c.fact("‖y - G‖₁ ≥ 0", sp.Abs(yy - g), "nonnegative", control=-sp.Abs(yy - g) - 1)
    c.identity("‖y - G‖₁ = 0 at G = y", sp.Abs(yy - g).subs(g, yy), 0, control=1)


@notes_version(
    "pix2pix",
    kind="counterexample (D = 1/4) + unbounded D-problem",
    quote="\\mathbb{E}_{x,z}[1 - log \\ D(x, G(x,z))]",
    case="D(x, G(x,z)) = 1/4, and D → 0",
)
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
    kind="identity with mutually inverse maps (symbolic coefficients)",
    scope=INSTANCE,
    case="Möbius maps G(u) = (au + b)/(cu + d) and F = G⁻¹, symbolic a, b, c, d",
)
def cyclegan(c: Check) -> None:
    xx, yy = sp.symbols("x y", real=True)
    G, F0, Fbad = _cycle_maps()
    F = c.premise("F = G⁻¹ (the two generators are mutually inverse)", F0, broken=Fbad)
    c.identity("‖F(G(x)) - x‖₁ = 0", sp.Abs(F(G(xx)) - xx), 0, control=sp.Abs(F(G(xx)) - 2 * xx))
    c.identity("‖G(F(y)) - y‖₁ = 0", sp.Abs(G(F(yy)) - yy), 0, control=sp.Abs(G(F(yy)) + yy))


@notes_version(
    "cyclegan",
    kind="counterexample (perfect inverses still pay |y - x|)",
    quote="[\\|G(F(y)) - x\\|_1]",
    case="G, F mutually inverse Möbius maps: ‖G(F(y)) - x‖₁ = |y - x|",
)
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
