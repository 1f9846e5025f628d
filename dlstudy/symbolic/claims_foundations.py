"""Claims of the Foundations chapter: activations, MLE, universal approximation, backpropagation."""

from __future__ import annotations

import sympy as sp
from sympy import Heaviside, Max, exp, log, tanh

from dlstudy.symbolic.core import Check, claim, notes_version

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
    kind="identity (simplify)",
)
def sigmoid(c: Check) -> None:
    s = sig(eta)
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
    kind="identity by exact case split on the sign + one-sided limits",
)
def relu(c: Check) -> None:
    g = Max(0, z)
    pos = sp.Symbol("p", positive=True)
    for name, at in (("z = p > 0", pos), ("z = -p < 0", -pos), ("z = 0", sp.Integer(0))):
        c.identity(
            f"max(0,z) = z·H(z), case {name}",
            g.subs(z, at),
            at * Heaviside(at),
            control=(at - 1) * Heaviside(at) + at * Heaviside(-at),
        )
    c.identity("g'(z) = H(z)", sp.diff(g, z), Heaviside(z), control=Heaviside(-z))
    q = (Max(0, h) - 0) / h
    c.limit("right derivative at 0", q, h, 0, 1, control=0, dir="+")
    c.limit("left derivative at 0", q, h, 0, 0, control=1, dir="-")


@notes_version("relu", kind="counterexample")
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
    kind="identity (rewrite(exp), simplify)",
)
def tanh_claim(c: Check) -> None:
    c.identity(
        "definition",
        tanh(x).rewrite(exp),
        (exp(x) - exp(-x)) / (exp(x) + exp(-x)),
        control=(exp(x) + exp(-x)) / (exp(x) - exp(-x) + 3),
    )
    c.identity("tanh' = 1 - tanh²", sp.diff(tanh(x), x), 1 - tanh(x) ** 2, control=1 - tanh(x))


# Logistic regression, a small symbolic instance n = 2 (exact expansion).
_p = sp.symbols("pi1 pi2", positive=True)
_q = sp.symbols("rho1 rho2", positive=True)  # rho_i stands for 1 - pi_i (positive)
_y = sp.symbols("y1 y2", real=True)
_n = 2


def _neg_log_likelihood() -> sp.Expr:
    P = sp.Mul(*[_p[i] ** _y[i] * _q[i] ** (1 - _y[i]) for i in range(_n)])
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
    kind="identity on an exact symbolic instance (n = 2, ρ_i = 1-π_i)",
)
def logreg_nll(c: Check) -> None:
    nll = c.step("-log Π π^y ρ^(1-y) (expand_log)", _neg_log_likelihood())
    c.identity("-log P = -Σ[y log π + (1-y) log(1-π)]", nll, -_ce_sum(), control=-_ce_sum() / _n)
    c.identity("mean CE = -log P / n", -_ce_sum() / _n, nll / _n, control=nll)


@notes_version("logreg-nll", kind="counterexample (exact instance n = 2)")
def logreg_nll_notes(c: Check) -> None:
    nll = _neg_log_likelihood()
    c.identity("-log P = -(1/n) Σ[...]", nll, -_ce_sum() / _n, control=-_ce_sum())


@claim(
    "ls-ce-mle",
    "mle",
    "LS and cross-entropy are MLE estimators; direct link to KL divergence",
    kind="identity (Gaussian NLL; CE = H + KL on 3 outcomes)",
)
def ls_ce_mle(c: Check) -> None:
    density = exp(-((y - f) ** 2) / (2 * sigma_**2)) / (sigma_ * sp.sqrt(2 * sp.pi))
    nll = sp.expand(sp.expand_log(-log(density), force=True))
    c.identity(
        "Gaussian NLL = (y-f)²/(2σ²) + log(σ√(2π))",
        nll,
        (y - f) ** 2 / (2 * sigma_**2) + log(sigma_) + log(2 * sp.pi) / 2,
        control=(y - f) ** 2 / sigma_**2 + log(sigma_) + log(2 * sp.pi) / 2,
    )
    p = sp.symbols("p1:4", positive=True)
    q = sp.symbols("q1:4", positive=True)
    ce = -sum(p[i] * log(q[i]) for i in range(3))
    H = -sum(p[i] * log(p[i]) for i in range(3))
    kl = sum(p[i] * log(p[i] / q[i]) for i in range(3))
    c.identity("CE(p,q) = H(p) + KL(p‖q)", ce, H + kl, control=H - kl)


@claim(
    "uat",
    "uat",
    "A single hidden layer with a continuous non-linear activation approximates any continuous "
    "function: ∃ g(x) as NN, g(x) ≈ f(x) = Σ v_i σ(w_iᵀ x_i + b_i), |f(x) - g(x)| < ε",
    corrected="The activation must be continuous and NON-POLYNOMIAL; the domain compact; the network is "
    "g(x) = Σ v_i σ(w_iᵀx + b_i) approximating f (x, not x_i). With sigmoid: σ has limits 0 and 1, and a "
    "difference of two steep sigmoids tends to the indicator of an interval",
    verdict="I",
    kind="limits (sigmoid bumps) + boundedness",
)
def uat(c: Check) -> None:
    c.limit("σ(t) → 1 as t → ∞", sig(t), t, sp.oo, 1, control=0)
    c.limit("σ(t) → 0 as t → -∞", sig(t), t, -sp.oo, 0, control=1)
    # x inside (a, a + 2d): distance d from both ends; outside: distance d beyond the right end.
    a = sp.Symbol("a", real=True)
    bump = lambda xx: sig(w * (xx - a)) - sig(w * (xx - a - 2 * d))  # noqa: E731
    c.limit("bump → 1 inside the interval", bump(a + d), w, sp.oo, 1, control=0)
    c.limit("bump → 0 outside the interval", bump(a + 3 * d), w, sp.oo, 0, control=1)


def _third_difference(fn: sp.Expr) -> sp.Expr:
    pts = [sp.Rational(k, 3) for k in range(4)]
    vals = [fn.subs(x, p) for p in pts]
    return sp.expand(vals[3] - 3 * vals[2] + 3 * vals[1] - vals[0])


@notes_version("uat", kind="counterexample (σ(t) = t², third finite difference)")
def uat_notes(c: Check) -> None:
    v, ws, bs = (
        sp.symbols("v1:4", real=True),
        sp.symbols("w1:4", real=True),
        sp.symbols("b1:4", real=True),
    )
    net = sum(v[i] * (ws[i] * x + bs[i]) ** 2 for i in range(3))
    c.step("net with σ(t)=t² (3 units)", net)
    c.step("d³net/dx³ (any width: each unit is a quadratic)", sp.diff(net, x, 3))
    # Δ³ on 0, 1/3, 2/3, 1 kills every quadratic but Δ³(x³) = 2/9, so sup|net - x³| ≥ (2/9)/8 = 1/36.
    c.step("Δ³(x³)", _third_difference(x**3))
    # control: one cubic unit (x + b₁)³ with its bias left symbolic; Δ³ must cancel b₁ to give 2/9
    net3 = sum(v[i] * (ws[i] * x + bs[i]) ** 3 for i in range(3)).subs(
        {v[0]: 1, ws[0]: 1, v[1]: 0, v[2]: 0}
    )
    c.identity(
        "Δ³(net) = Δ³(x³) is possible",
        _third_difference(net),
        _third_difference(x**3),
        control=_third_difference(x**3),
        control_lhs=_third_difference(net3),
    )


@claim(
    "uat-step",
    "uat",
    "Increase w to create the step; location s := -b/ (cut off)",
    corrected="s = -b/w: σ(w s + b) = 1/2 and σ(w(x - s)) → 1 for x > s, → 0 for x < s as w → ∞",
    verdict="G",
    kind="identity + limits",
)
def uat_step(c: Check) -> None:
    s = -b / w
    c.identity(
        "σ(w s + b) = 1/2 at s = -b/w", sig(w * s + b), sp.Rational(1, 2), control=sp.Rational(1, 3)
    )
    c.limit("x = s + d: σ → 1", sig(w * (d)), w, sp.oo, 1, control=0)
    c.limit("x = s - d: σ → 0", sig(w * (-d)), w, sp.oo, 0, control=1)


@notes_version("uat-step", kind="counterexample (s = -b)")
def uat_step_notes(c: Check) -> None:
    c.identity(
        "σ(w s + b) = 1/2 at s = -b",
        sig(w * (-b) + b),
        sp.Rational(1, 2),
        control=sp.Rational(1, 2),
        control_lhs=sig(w * (-b / w) + b),
    )


_x1, _x2, _y1, _y2 = sp.symbols("x1 x2 y1 y2", real=True)
_f1, _f2, _g1, _g2 = (sp.Function(n) for n in ("f1", "f2", "g1", "g2"))


def _chain_parts() -> tuple[sp.Matrix, sp.Matrix, sp.Matrix]:
    g = sp.Matrix([_g1(_x1, _x2), _g2(_x1, _x2)])
    F = sp.Matrix([_f1(_y1, _y2), _f2(_y1, _y2)])
    sub = {_y1: g[0], _y2: g[1]}
    J = F.subs(sub).jacobian([_x1, _x2]).doit()
    Jf = F.jacobian([_y1, _y2]).subs(sub).doit()
    return J, Jf, g.jacobian([_x1, _x2])


@claim(
    "chain-rule",
    "backprop",
    "∂z_j/∂x_i = Σ_m ∂z_j/y_m · ∂y_m/∂x_i",
    corrected="∂z_j/∂x_i = Σ_m ∂z_j/∂y_m · ∂y_m/∂x_i, i.e. J_{f∘g}(x) = J_f(g(x)) J_g(x)",
    verdict="G",
    kind="identity on arbitrary (undefined) functions, 2×2",
)
def chain_rule(c: Check) -> None:
    J, Jf, Jg = _chain_parts()
    c.identity("J_{f∘g} = J_f(g) J_g", J, Jf * Jg, control=Jg * Jf)


@notes_version("chain-rule", kind="counterexample (the ∂ in ∂y_m missing: z_j/y_m)")
def chain_rule_notes(c: Check) -> None:
    J, Jf, Jg = _chain_parts()
    g = sp.Matrix([_g1(_x1, _x2), _g2(_x1, _x2)])
    F = sp.Matrix([_f1(*g), _f2(*g)])
    literal = sp.Matrix(2, 2, lambda j, i: sum(F[j] / g[m] * Jg[m, i] for m in range(2)))
    c.identity("Σ_m (z_j/y_m) ∂y_m/∂x_i = ∂z_j/∂x_i", J, literal, control=Jf * Jg)
