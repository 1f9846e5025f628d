"""Claims of the Foundations chapter: activations, MLE, universal approximation, backpropagation."""

from __future__ import annotations

import sympy as sp
from sympy import Heaviside, Max, exp, log, tanh

from dlstudy.symbolic.core import GENERAL, INSTANCE, Check, claim, notes_version, unclear_notes

eta, x, z, h, y, f, t = sp.symbols("eta x z h y f t", real=True)
w, d, sigma_ = sp.symbols("w d sigma", positive=True)
b = sp.Symbol("b", real=True)


def sig(u: sp.Expr) -> sp.Expr:
    """σ(u) = 1/(1 + e^{-u})."""
    return 1 / (1 + exp(-u))


@claim(
    "sigmoid",
    "activations",
    "σ(η) = 1/(1+e^{-η}) = e^η/(e^η+1);  σ'(η) = σ(η)(1-σ(η))",
    kind="identity (simplify) for every real η",
    scope=GENERAL,
)
def sigmoid(c: Check) -> None:
    s = c.premise("σ(η) = 1/(1 + e^{-η})", sig(eta), broken=1 / (1 + exp(eta)))
    c.identity(
        "1/(1+e^-η) = e^η/(e^η+1)", s, exp(eta) / (exp(eta) + 1), control=exp(eta) / (exp(eta) + 2)
    )
    c.identity("σ' = σ(1-σ)", sp.diff(s, eta), s * (1 - s), control=s * (1 + s))


@claim(
    "relu",
    "activations",
    "g(x) = max{0, z}",
    corrected="g(z) = max(0, z) = z·H(z);  g'(z) = H(z) for z ≠ 0, undefined at 0 (one-sided 0 and 1)",
    verdict="G",
    kind="identity by exact case split on the sign (symbolic p > 0) + one-sided limits",
    scope=GENERAL,
)
def relu(c: Check) -> None:
    g = c.premise("g(z) = max(0, z)", Max(0, z), broken=Max(z / 10, z))
    pos = sp.Symbol("p", positive=True)
    for name, at in (("z = p > 0", pos), ("z = -p < 0", -pos), ("z = 0", sp.Integer(0))):
        c.identity(
            f"max(0,z) = z·H(z), case {name}",
            g.subs(z, at),
            at * Heaviside(at),
            control=(at - 1) * Heaviside(at) + at * Heaviside(-at),
        )
    c.identity("g'(z) = H(z)", sp.diff(g, z), Heaviside(z), control=Heaviside(-z))
    q = (g.subs(z, h) - g.subs(z, 0)) / h
    c.limit("right derivative at 0", q, h, 0, 1, control=0, dir="+")
    c.limit("left derivative at 0", q, h, 0, 0, control=1, dir="-")


@notes_version(
    "relu",
    kind="counterexample: the right side has no x",
    quote="g(x) = max\\{0, z\\}",
    scope=GENERAL,
)
def relu_notes(c: Check) -> None:
    # As written the right side has no x: 'g(x)' = max{0, z} is not ReLU(x) = x·H(x).
    c.identity(
        "g(x) as written equals ReLU(x) = x·H(x)",
        Max(0, z),
        x * Heaviside(x),
        control_lhs=Max(0, x),
        control=x * Heaviside(x),
    )


@claim(
    "tanh",
    "activations",
    "tanh(x) = (e^x - e^{-x})/(e^x + e^{-x});  tanh'(x) = 1 - tanh²(x)",
    kind="identity (rewrite(exp), simplify) for every real x",
    scope=GENERAL,
)
def tanh_claim(c: Check) -> None:
    T = c.premise(
        "tanh(x) = (eˣ - e⁻ˣ)/(eˣ + e⁻ˣ)",
        (exp(x) - exp(-x)) / (exp(x) + exp(-x)),
        broken=(exp(x) - exp(-x)) / 2,
    )
    c.identity(
        "definition",
        tanh(x).rewrite(exp),
        T,
        control=(exp(x) + exp(-x)) / (exp(x) - exp(-x) + 3),
    )
    c.identity("tanh' = 1 - tanh²", sp.diff(T, x), 1 - T**2, control=1 - T)


# Logistic regression, a small symbolic instance n = 2 (exact expansion).
_p = sp.symbols("pi1 pi2", positive=True)
_q = sp.symbols("rho1 rho2", positive=True)  # rho_i stands for 1 - pi_i (positive)
_y = sp.symbols("y1 y2", real=True)
_n = 2


def _neg_log_likelihood(bernoulli: bool = True) -> sp.Expr:
    """-log Π π^y (1-π)^(1-y), or with the exponent y on both factors (not a Bernoulli pmf)."""
    P = sp.Mul(
        *[_p[i] ** _y[i] * _q[i] ** ((1 - _y[i]) if bernoulli else _y[i]) for i in range(_n)]
    )
    return sp.expand(sp.expand_log(-log(P)))


def _ce_sum() -> sp.Expr:
    return sum((_y[i] * log(_p[i]) + (1 - _y[i]) * log(_q[i]) for i in range(_n)), sp.Integer(0))


@claim(
    "logreg-nll",
    "mle",
    "-log P(D|w) = -(1/n) Σ y_i log(π_i) + (1-y_i) log(1-π_i)  (Cross Entropy)",
    corrected="-log P(D|w) = -Σ_i [y_i log π_i + (1-y_i) log(1-π_i)]; dividing by n gives the mean "
    "cross-entropy, not -log P",
    verdict="G",
    kind="identity on an exact symbolic instance (ρ_i = 1-π_i)",
    scope=INSTANCE,
    case="n = 2 samples, symbolic y_i and π_i",
)
def logreg_nll(c: Check) -> None:
    bern = c.premise(
        "y_i ~ Bernoulli(π_i): P(y|π) = π^y (1-π)^(1-y)",
        True,
        broken=False,  # π^y (1-π)^y
    )
    nll = c.step("-log Π π^y ρ^(1-y) (expand_log)", _neg_log_likelihood(bern))
    c.identity("-log P = -Σ[y log π + (1-y) log(1-π)]", nll, -_ce_sum(), control=-_ce_sum() / _n)
    c.identity("mean CE = -log P / n", -_ce_sum() / _n, nll / _n, control=nll)


@notes_version(
    "logreg-nll",
    kind="non-zero residual (brackets restored: -(1/n) Σ [y log π + (1-y) log(1-π)])",
    quote="-log(P(D|w)) = -\\frac{1}{n} \\sum y_i log(\\pi_i) + (1-y_i) log(1-\\pi_i)",
    case="n = 2: the two sides differ by the factor n",
)
def logreg_nll_notes(c: Check) -> None:
    nll = _neg_log_likelihood()
    c.identity("-log P = -(1/n) Σ[...]", nll, -_ce_sum() / _n, control=-_ce_sum())


_i = sp.Symbol("i", integer=True)
_N = sp.Symbol("n", integer=True, positive=True)
_P = sp.IndexedBase("p", positive=True)
_Q = sp.IndexedBase("q", positive=True)


def _sum(term: sp.Expr) -> sp.Expr:
    return sp.Sum(term, (_i, 1, _N))


@claim(
    "ls-ce-mle",
    "mle",
    "LS and cross-entropy are MLE estimators; direct link to KL divergence",
    kind="identities: Gaussian NLL for σ > 0; CE = H + KL summed over n outcomes (symbolic n)",
    scope=GENERAL,
)
def ls_ce_mle(c: Check) -> None:
    density = c.premise(
        "y ~ N(f, σ²)",
        exp(-((y - f) ** 2) / (2 * sigma_**2)) / (sigma_ * sp.sqrt(2 * sp.pi)),
        broken=exp(-sp.Abs(y - f) / sigma_) / (2 * sigma_),  # Laplace
    )
    nll = sp.expand(sp.expand_log(-log(density), force=True))
    c.identity(
        "Gaussian NLL = (y-f)²/(2σ²) + log(σ√(2π))",
        nll,
        (y - f) ** 2 / (2 * sigma_**2) + log(sigma_) + log(2 * sp.pi) / 2,
        control=(y - f) ** 2 / sigma_**2 + log(sigma_) + log(2 * sp.pi) / 2,
    )
    p, q = _P[_i], _Q[_i]
    kl = c.premise("KL(p‖q) = Σ p log(p/q)", _sum(p * log(p / q)), broken=_sum(q * log(q / p)))
    ce, H = -_sum(p * log(q)), -_sum(p * log(p))
    c.identity("CE(p,q) = H(p) + KL(p‖q)", ce, H + kl, control=H - kl)


@claim(
    "uat",
    "uat",
    "A single hidden layer with a continuous non-linear activation approximates any continuous "
    "function: ∃ g(x) as NN, g(x) ≈ f(x) = Σ v_i σ(w_iᵀ x_i + b_i), |f(x) - g(x)| < ε",
    corrected="The activation must be continuous and NON-POLYNOMIAL (Leshno et al. 1993), the domain "
    "compact; the network is g(x) = Σ v_i σ(w_iᵀx + b_i) approximating f (x, not x_i). The theorem "
    "is not proven here; this entry proves the step the sigmoid construction rests on: a difference of "
    "two steep sigmoids tends to the indicator of an interval",
    verdict="I",
    kind="limits: the sigmoid bump lemma (not the theorem itself)",
    scope=GENERAL,
)
def uat(c: Check) -> None:
    s = c.premise(
        "σ is sigmoidal: σ(t) → 0 as t → -∞ and → 1 as t → ∞ (logistic)", sig(t), broken=tanh(t)
    )
    c.limit("σ(t) → 1 as t → ∞", s, t, sp.oo, 1, control=0)
    c.limit("σ(t) → 0 as t → -∞", s, t, -sp.oo, 0, control=1)
    # x inside (a, a + 2d): distance d from both ends; outside: distance d beyond the right end.
    a = sp.Symbol("a", real=True)
    bump = lambda xx: s.subs(t, w * (xx - a)) - s.subs(t, w * (xx - a - 2 * d))  # noqa: E731
    c.limit("bump → 1 inside the interval", bump(a + d), w, sp.oo, 1, control=0)
    c.limit("bump → 0 outside the interval", bump(a + 3 * d), w, sp.oo, 0, control=1)


def _third_difference(fn: sp.Expr) -> sp.Expr:
    """Δ³ on the points 0, 1/3, 2/3, 1: kills every quadratic; |Δ³ e| ≤ 8 max|e| on [0, 1]."""
    pts = [sp.Rational(k, 3) for k in range(4)]
    vals = [fn.subs(x, p) for p in pts]
    return sp.expand(vals[3] - 3 * vals[2] + 3 * vals[1] - vals[0])


@notes_version(
    "uat",
    kind="counterexample σ(t) = t² (continuous, non-linear): third finite difference",
    quote="continuous non-linear activation function can approximate any continuous function",
    scope=GENERAL,
    case="σ(t) = t², every width and every weight: sup_[0,1] |net(x) - x³| ≥ 1/36",
)
def uat_notes(c: Check) -> None:
    v, wi, bi = sp.symbols("v w_i b_i", real=True)
    unit = v * (wi * x + bi) ** 2
    c.step("one hidden unit with σ(t) = t²", unit)
    c.step(
        "Δ³(unit) for all v, w_i, b_i (so Δ³ of a net of any width is 0: Δ³ is linear)",
        _third_difference(unit),
    )
    c.step("Δ³(x³)", _third_difference(x**3))
    c.step("|Δ³ e| ≤ (1+3+3+1) max|e|, so max|net - x³| ≥ (2/9)/8 = 1/36", sp.Rational(1, 36))
    # control: a cubic unit (σ(t) = t³, bias left symbolic): Δ³ must cancel b_i to give 2/9
    c.identity(
        "Δ³(net) = Δ³(x³) (needed to approximate x³ better than 1/36)",
        _third_difference(unit),
        _third_difference(x**3),
        control=_third_difference(x**3),
        control_lhs=_third_difference((x + bi) ** 3),
    )


@claim(
    "uat-step",
    "uat",
    "Increase w to create the step; location s := -b/ (cut off)",
    corrected="s = -b/w: σ(w s + b) = 1/2 and σ(w(x - s)) → 1 for x > s, → 0 for x < s as w → ∞",
    verdict="G",
    kind="identity + limits (symbolic w > 0, b, distance d > 0)",
    scope=GENERAL,
)
def uat_step(c: Check) -> None:
    s_ = c.premise("σ(0) = 1/2 (logistic σ)", sig(t), broken=t / (1 + sp.Abs(t)))
    loc = -b / w
    c.identity(
        "σ(w s + b) = 1/2 at s = -b/w",
        s_.subs(t, w * loc + b),
        sp.Rational(1, 2),
        control=sp.Rational(1, 3),
    )
    c.limit("x = s + d: σ → 1", s_.subs(t, w * d), w, sp.oo, 1, control=0)
    c.limit("x = s - d: σ → 0", s_.subs(t, -w * d), w, sp.oo, 0, control=1)


unclear_notes(
    "uat-step",
    quote="s := -\\frac{b}{}",
    reading="s = -b/w: the denominator of the fraction is cut off; read as w, the slope of the unit "
    "(this reading is what 'uat-step' proves)",
)


_x1, _x2, _y1, _y2 = sp.symbols("x1 x2 y1 y2", real=True)
_f1, _f2, _g1, _g2 = (sp.Function(n) for n in ("f1", "f2", "g1", "g2"))


def _chain_parts(direct: bool = False) -> tuple[sp.Matrix, sp.Matrix, sp.Matrix]:
    """J of z(x) = f(g(x)) (plus a direct x₁ term when ``direct``), J_f at g(x), J_g."""
    g = sp.Matrix([_g1(_x1, _x2), _g2(_x1, _x2)])
    F = sp.Matrix([_f1(_y1, _y2), _f2(_y1, _y2)])
    sub = {_y1: g[0], _y2: g[1]}
    Z = F.subs(sub) + (sp.Matrix([_x1, 0]) if direct else sp.zeros(2, 1))
    J = Z.jacobian([_x1, _x2]).doit()
    Jf = F.jacobian([_y1, _y2]).subs(sub).doit()
    return J, Jf, g.jacobian([_x1, _x2])


@claim(
    "chain-rule",
    "backprop",
    "∂z_j/∂x_i = Σ_m ∂z_j/y_m · ∂y_m/∂x_i",
    corrected="∂z_j/∂x_i = Σ_m ∂z_j/∂y_m · ∂y_m/∂x_i, i.e. J_{f∘g}(x) = J_f(g(x)) J_g(x)",
    verdict="G",
    kind="identity on arbitrary (undefined) differentiable functions",
    scope=INSTANCE,
    case="x ∈ R², y ∈ R², z ∈ R², f and g arbitrary",
)
def chain_rule(c: Check) -> None:
    direct = c.premise("z depends on x only through y = g(x)", False, broken=True)
    J, Jf, Jg = _chain_parts(direct=direct)
    c.identity("J_{f∘g} = J_f(g) J_g", J, Jf * Jg, control=Jg * Jf)


unclear_notes(
    "chain-rule",
    quote="\\frac{\\partial z_j}{y_m}",
    reading="∂z_j/∂y_m: the ∂ of the denominator is missing (the univariate line above it has it); "
    "read so, the line is the multivariate chain rule that 'chain-rule' proves",
)
