"""Claims of the reinforcement-learning chapter, second part: policy gradients (the trajectory
factorisation, the log-derivative trick, REINFORCE with a baseline) and actor-critic (the TD error as
advantage, TRPO, PPO)."""

from __future__ import annotations

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

gamma = sp.Symbol("gamma", positive=True)
R = sp.Rational


def _softmax(th: list) -> list:
    Z = sum(sp.exp(v) for v in th)
    return [sp.exp(v) / Z for v in th]


_t = sp.Symbol("t", integer=True)
_T = sp.Symbol("T", integer=True, positive=True)
_pi = sp.IndexedBase("pi", positive=True)
_P = sp.IndexedBase("P", positive=True)


@claim(
    "pg-trajectory",
    "policy-gradient",
    "p(τ) = p(s_1) Π_t π(a_t|s_t) p(s_{t+1}|s_t, a_t);  policy update θ = θ + ∇_θ J(θ)",
    corrected="θ ← θ + α ∇_θ J(θ) with a step size α > 0 (small enough): d/dα J(θ + α∇J)|₀ = ‖∇J‖² ≥ 0",
    verdict="G",
    kind="log of the product for T steps (symbolic T); derivative along the step for any J",
    scope=GENERAL,
)
def pg_trajectory(c: Check) -> None:
    p1 = sp.Symbol("p_s1", positive=True)
    prod = sp.Product(_pi[_t] * _P[_t], (_t, 1, _T))
    logp = with_totals(
        sp.expand_log(sp.expand_log(log(p1 * prod), force=True).rewrite(sp.Sum), force=True), {}
    )
    c.identity(
        "log p(τ) = log p(s1) + Σ_t log π(a_t|s_t) + Σ_t log p(s_{t+1}|s_t,a_t)",
        logp,
        log(p1) + sp.Sum(log(_pi[_t]), (_t, 1, _T)) + sp.Sum(log(_P[_t]), (_t, 1, _T)),
        control=log(p1) + sp.Sum(log(_pi[_t]), (_t, 1, _T)),
    )
    th, al = sp.symbols("theta alpha", real=True)
    J = sp.Function("J")
    sign = c.premise("the step goes along +∇J (ascent, α > 0)", 1, broken=-1)
    first = sp.diff(J(th + sign * al * sp.diff(J(th), th)), al).subs(al, 0).doit()
    c.identity(
        "d/dα J(θ + α J'(θ)) at 0 = J'(θ)² ≥ 0: a small step ascends",
        first,
        sp.diff(J(th), th) ** 2,
        control=sp.diff(J(th), th),
    )


unclear_notes(
    "pg-trajectory",
    quote="\\theta = \\theta + \\nabla_\\theta J(\\theta)",
    reading="θ ← θ + α ∇_θ J(θ): the step size α is left out (α = 1 is not safe in general: for "
    "J = -2θ² it gives θ ← -3θ); 'pg-trajectory' proves that a small α > 0 ascends",
)


@claim(
    "log-derivative",
    "policy-gradient",
    "∇_θ ∫ p(τ) r(τ) dτ = ∫ p(τ) ∇_θ log p(τ) r(τ) dτ = E[∇_θ log p(τ) r(τ)]",
    kind="pointwise ∇p = p ∇log p for any p > 0; exact gradient of a softmax bandit",
    scope=INSTANCE,
    case="the pointwise step for any p > 0; the whole identity for a softmax bandit with 3 arms",
)
def log_derivative(c: Check) -> None:
    th0, tau = sp.symbols("theta tau", real=True)
    pf = sp.Function("p")(th0, tau)
    c.identity("∇p = p ∇ log p", sp.diff(pf, th0), pf * sp.diff(log(pf), th0), control=pf)
    th = list(sp.symbols("theta1:4", real=True))
    rr0 = sp.symbols("r1:4", real=True)
    rr = c.premise("the rewards r(τ) do not depend on θ", rr0, broken=[r + th[0] for r in rr0])
    pi = _softmax(th)
    J = sum(pi[a] * rr[a] for a in range(3))
    grad = sp.Matrix([sp.diff(J, v) for v in th])
    score = sp.Matrix([sum(pi[a] * sp.diff(log(pi[a]), v) * rr[a] for a in range(3)) for v in th])
    c.identity(
        "∇J = E[∇ log π · r]",
        grad,
        score,
        control=sp.Matrix([sum(sp.diff(log(pi[a]), v) * rr[a] for a in range(3)) for v in th]),
    )


@claim(
    "dynamics-free",
    "policy-gradient",
    "∇ log p(τ) = ∇ log p(s_1) + Σ ∇ log π_θ(a_t|s_t) + Σ ∇ log p(s_{t+1}|a_t, s_t) = Σ ∇ log π_θ(a_t|s_t)",
    kind="identity with arbitrary policy factors and dynamics",
    scope=INSTANCE,
    case="T = 2 steps, π_θ and the dynamics arbitrary positive functions",
)
def dynamics_free(c: Check) -> None:
    th = sp.Symbol("theta", real=True)
    p1 = sp.Function("p_s1")
    pi1, pi2 = sp.Function("pi_1")(th), sp.Function("pi_2")(th)
    dyn = c.premise(
        "the dynamics p(s'|s, a) and p(s1) do not depend on θ",
        (sp.Symbol("P1", positive=True), sp.Symbol("P2", positive=True), p1(0)),
        broken=(sp.Function("P1")(th), sp.Symbol("P2", positive=True), p1(0)),
    )
    logp = log(dyn[2]) + log(pi1) + log(dyn[0]) + log(pi2) + log(dyn[1])
    c.identity(
        "∂ log p(τ)/∂θ = Σ_t ∂ log π(a_t|s_t)/∂θ",
        sp.diff(logp, th),
        sp.diff(log(pi1), th) + sp.diff(log(pi2), th),
        control=sp.diff(log(pi1), th),
    )


@claim(
    "reinforce-baseline",
    "policy-gradient",
    "∇J = (1/N) Σ_i (Σ_t ∇ log π(a_t^i|s_t^i)) (Σ_t γ^t r(s_t^i, a_t^i) - b(s_t^i))",
    corrected="∇J ≈ (1/N) Σ_i Σ_t ∇ log π(a_t|s_t)(Ĝ_t - b(s_t)); unbiased because "
    "Σ_a π ∇log π · b(s) = b(s) ∇ Σ_a π = 0 (b must not depend on a_t)",
    verdict="G",
    kind="identity with an arbitrary differentiable policy",
    scope=INSTANCE,
    case="3 actions, π(a|s; θ) arbitrary differentiable functions",
)
def reinforce_baseline(c: Check) -> None:
    th = sp.Symbol("theta", real=True)
    pi1, pi2 = sp.Function("pi_1")(th), sp.Function("pi_2")(th)
    pi3 = c.premise(
        "π(·|s) sums to 1 for every θ: π_3 = 1 - π_1 - π_2",
        1 - pi1 - pi2,
        broken=1 - pi1 - pi2 + th / 2,
    )
    pis = [pi1, pi2, pi3]
    bs = sp.Symbol("b", real=True)
    b = c.premise(
        "the baseline b(s) does not depend on the action",
        [bs, bs, bs],
        broken=list(sp.symbols("b1:4", real=True)),
    )
    bias = sum(p * sp.diff(log(p), th) * b[a] for a, p in enumerate(pis))
    c.identity(
        "E_a[∇ log π(a|s) b(s)] = b(s) ∇ Σ_a π(a|s) = 0",
        bias,
        0,
        control=sp.diff(pi1, th) * bs,
    )


unclear_notes(
    "reinforce-baseline",
    quote="(\\sum_{t=0}^{T} \\gamma^{t} r(s_{t}^{i}, a_{t}^{i}) - b(s_{t}^{i}))",
    reading="b(s_t^i) stands outside the sum over t whose index it uses; read as the per-step form "
    "Σ_t ∇ log π(a_t|s_t)(Ĝ_t - b(s_t)), whose baseline term has expectation 0 "
    "('reinforce-baseline' proves that)",
)


@claim(
    "actor-critic-td",
    "actor-critic",
    "∇J ≈ (1/N) Σ_i Σ_t ∇ log π(a_t|s_t)(r(s_t, a_t) + γ V(s_{t+1}) - V(s_t))",
    corrected="E[r + γV(S') - V(s) | s, a] = A^π(s, a) when V = V^π (the critic's value of π); any "
    "other V adds the bias γ E[ΔV(S')] - ΔV(s)",
    kind="V^π and Q^π from their definition (enumerating the episodes), then the expected TD error",
    scope=INSTANCE,
    case="episodic chain: from s, action a gives r and S' = s2 (prob. p) or the terminal state; "
    "from s2 one last step with expected reward r2 (symbolic p, r, r2, γ and V^π(s) = v)",
)
def actor_critic_td(c: Check) -> None:
    p = sp.Symbol("p", positive=True)
    r, r2, v, dl = sp.symbols("r r2 v Delta", real=True)
    # the episodes after (s, a): s → terminal (prob. 1-p, return r), s → s2 → terminal (p, r + γ r2)
    Q = c.step("Q^π(s, a) = E[G | s, a] (enumerated episodes)", (1 - p) * r + p * (r + gamma * r2))
    Vpi = {"s2": r2, "T": sp.Integer(0), "s": v}  # V^π(s2) = E[G | s2] = r2; V^π(s) = v (any)
    V = c.premise(
        "V = V^π, the critic's value of the policy",
        Vpi,
        broken={**Vpi, "s2": r2 + dl},
    )

    def td(V: dict) -> sp.Expr:
        return r + gamma * (p * V["s2"] + (1 - p) * V["T"]) - V["s"]

    c.identity("E[δ | s, a] = Q^π(s, a) - V^π(s) = A^π(s, a)", td(V), Q - Vpi["s"], control=Q)
    off = {"s": v + dl, "s2": r2 + dl, "T": sp.Integer(0)}
    c.identity(
        "V = V^π + Δ in every non-terminal state: bias γpΔ - Δ (zero only if Δ = 0, as γp < 1)",
        td(off) - (Q - Vpi["s"]),
        gamma * p * dl - dl,
        control=sp.Integer(0),
    )


def _kl_policy(th: list, th_old: list) -> sp.Expr:
    po, pn = _softmax(th_old), _softmax(th)
    return sum(po[a] * (log(po[a]) - log(pn[a])) for a in range(len(th)))


@claim(
    "trpo",
    "actor-critic",
    "max E_t[π_θ/π_old · A_t] s.t. E_t[KL(π_old, π_θ)] < δ; PPO-KL: … - β E_t[KL]",
    kind="identities at θ = θ_old: ∇surrogate = ∇J, ∇KL = 0, ∇²KL = Fisher",
    scope=INSTANCE,
    case="softmax policy over 2 actions with 2 parameters, symbolic θ_old and advantages",
)
def trpo(c: Check) -> None:
    th = list(sp.symbols("theta1 theta2", real=True))
    to = list(sp.symbols("o1 o2", real=True))
    At = sp.symbols("A1 A2", real=True)
    back = dict(zip(th, to, strict=True))
    pn, po = _softmax(th), _softmax(to)
    sampler = c.premise(
        "the actions are sampled from π_old (the ratio corrects for π_old)",
        po,
        broken=[sp.S.Half, sp.S.Half],
    )
    surr = sum(sampler[a] * (pn[a] / po[a]) * At[a] for a in range(2))
    J = sum(pn[a] * At[a] for a in range(2))
    g_s = sp.Matrix([sp.diff(surr, v) for v in th]).subs(back)
    g_J = sp.Matrix([sp.diff(J, v) for v in th]).subs(back)
    c.identity("∇surrogate(θ_old) = ∇J(θ_old)", g_s, g_J, control=2 * g_J)
    KL = _kl_policy(th, to)
    c.identity(
        "∇KL(θ_old) = 0",
        sp.Matrix([sp.diff(KL, v) for v in th]).subs(back),
        sp.zeros(2, 1),
        control=g_J,
    )
    H = sp.hessian(KL, th).subs(back)
    score = [sp.Matrix([sp.diff(log(pn[a]), v) for v in th]).subs(back) for a in range(2)]
    F = sum((po[a] * score[a] * score[a].T for a in range(2)), sp.zeros(2, 2))
    c.identity("∇²KL(θ_old) = Fisher", H, F, control=2 * F)


def _clip(r: sp.Expr, eps: sp.Expr) -> sp.Expr:
    return sp.Min(sp.Max(r, 1 - eps), 1 + eps)


@claim(
    "ppo-clip",
    "actor-critic",
    "L^CLIP = max E_t[Σ_t [min(r_t(θ), clip(r_t(θ), 1-ε, 1+ε)) A_t]]",
    corrected="L^CLIP = E_t[min(r_t A_t, clip(r_t, 1-ε, 1+ε) A_t)]: A>0: A·min(r, 1+ε); A<0: A·max(r, 1-ε)",
    verdict="I",
    kind="identity by exact case analysis (3 regions of r × sign of A; symbolic ε > 0, u > 0)",
    scope=GENERAL,
)
def ppo_clip(c: Check) -> None:
    e, u, A = sp.symbols("epsilon u A", positive=True)
    lo = c.premise("the clip interval is [1 - ε, 1 + ε]", 1 - e, broken=1 - 2 * e)
    regions = {"r < 1-ε": 1 - e - u, "1-ε ≤ r ≤ 1+ε": 1 - e + 2 * e / (1 + u), "r > 1+ε": 1 + e + u}
    for name, r in regions.items():
        for sign, adv in (("A > 0", A), ("A < 0", -A)):
            clipped = sp.Min(sp.Max(r, lo), 1 + e)
            obj = sp.Min(r * adv, clipped * adv)
            want = adv * (sp.Min(r, 1 + e) if sign == "A > 0" else sp.Max(r, 1 - e))
            # control: the other sign's branch (outer regions), always clipped (middle region)
            wrong = adv * (sp.Max(r, 1 - e) if sign == "A > 0" else sp.Min(r, 1 + e))
            if name.startswith("1-ε"):
                wrong = adv * (1 + e if sign == "A > 0" else 1 - e)
            c.identity(f"{name}, {sign}", obj, want, control=wrong)


@notes_version(
    "ppo-clip",
    kind="counterexample (ε = 0.2, A = -1, r = 2)",
    quote="\\min(r_t(\\theta), clip(r_t(\\theta), 1 - \\epsilon, 1 + \\epsilon)) A_t",
    case="ε = 1/5, A = -1, r = 2: -6/5 as written vs -2",
)
def ppo_clip_notes(c: Check) -> None:
    e, A, r = R(1, 5), sp.Integer(-1), sp.Integer(2)
    notes = sp.Min(r, _clip(r, e)) * A
    right = sp.Min(r * A, _clip(r, e) * A)
    c.step("notes: min(r, clip(r)) A", notes)
    c.step("correct: min(rA, clip(r) A)", right)
    # the corrected statement's case A < 0: A·max(r, 1-ε) = -max(2, 4/5) = -2
    case = A * sp.Max(r, 1 - e)
    c.identity(
        "min(r, clip(r)) A = min(rA, clip(r) A) = A·max(r, 1-ε) (A < 0)",
        notes,
        case,
        control_lhs=right,
        control=case,
    )
