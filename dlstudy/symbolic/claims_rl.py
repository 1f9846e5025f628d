"""Claims of the reinforcement-learning chapter: MDPs and Bellman, dynamic programming, TD, DQN, policy
gradients, actor-critic (TRPO, PPO)."""

from __future__ import annotations

import itertools

import sympy as sp
from sympy import log

from dlstudy.symbolic.core import Check, claim, notes_version

gamma = sp.Symbol("gamma", positive=True)
R = sp.Rational


# -- MDP ---------------------------------------------------------------------------------------
@claim(
    "mdp-transition",
    "mdp",
    "transition function p: S × A → S",
    corrected="p(·|s, a) ∈ Δ(S): a distribution over next states (the notes later use p(s', r|s, a)); "
    "p(s'|s, a) = Σ_r p(s', r|s, a) and Σ_{s'} p(s'|s, a) = 1",
    verdict="I",
    kind="identity (marginalisation of a symbolic joint)",
)
def mdp_transition(c: Check) -> None:
    w = sp.symbols("w1:5", positive=True)  # p(s', r | s, a) ∝ w for s' ∈ {0,1}, r ∈ {0,1}
    Z = sum(w)
    joint = {(s2, r): w[2 * s2 + r] / Z for s2 in (0, 1) for r in (0, 1)}
    marg = [joint[s2, 0] + joint[s2, 1] for s2 in (0, 1)]
    c.identity("Σ_{s'} p(s'|s,a) = 1", sum(marg), 1, control=marg[0])


@notes_version("mdp-transition", kind="exhaustive: no map S×A→S reproduces a stochastic transition")
def mdp_transition_notes(c: Check) -> None:
    target = (R(1, 2), R(1, 2))  # p(s'|s0, a) on S = {0, 1}
    det = (1, 0)

    def representable(dist: tuple) -> bool:
        return any(tuple(int(f == s2) for s2 in (0, 1)) == dist for f in (0, 1))

    c.holds(
        "every transition kernel is a map S×A→S (kernel (1/2, 1/2))",
        representable(target),
        control=representable(det),
        how="enumeration of the 2 maps",
    )


# -- Bellman -----------------------------------------------------------------------------------
P2 = sp.Matrix(
    [
        [sp.Symbol("p", positive=True), 1 - sp.Symbol("p", positive=True)],
        [sp.Symbol("q", positive=True), 1 - sp.Symbol("q", positive=True)],
    ]
)
r2 = sp.Matrix(sp.symbols("r1 r2", real=True))


@claim(
    "bellman",
    "mdp",
    "G_t = Σ_k γ^k R_{t+k+1};  v_π(s) = E[R_{t+1} + γ G_{t+1} | S_t = s] = Σ_a π Σ p(s',r|s,a)[r + γ v_π(s')]",
    kind="identity (finite horizon returns; symbolic 2-state MDP)",
)
def bellman(c: Check) -> None:
    Rw = sp.symbols("R1:6", real=True)
    G = lambda t: sum(gamma**k * Rw[t + k] for k in range(len(Rw) - t))  # noqa: E731
    c.identity("G_0 = R_1 + γ G_1", G(0), Rw[0] + gamma * G(1), control=Rw[0] + G(1))
    v = (sp.eye(2) - gamma * P2).inv() * r2
    c.identity(
        "v = (I - γP)^{-1} r solves v = r + γ P v", v, r2 + gamma * P2 * v, control=r2 + P2 * v
    )


def _mdp() -> tuple[list[int], list[int], dict, float]:
    """A 2-state, 2-action MDP with exact rewards: T[s][a] = list of (prob, s', r)."""
    T = {
        0: {0: [(R(1), 0, R(0))], 1: [(R(1, 2), 1, R(2)), (R(1, 2), 0, R(0))]},
        1: {0: [(R(1), 1, R(1))], 1: [(R(1), 0, R(5))]},
    }
    return [0, 1], [0, 1], T, R(9, 10)


def _backup(V: list, T: dict, g: sp.Expr) -> list:
    """V_k(s) = max_a Σ_{s',r} p(s',r|s,a)[r + γ V_{k-1}(s')]."""
    return [
        max(sum(pr * (rw + g * V[s2]) for pr, s2, rw in T[s][a]) for a in T[s]) for s in sorted(T)
    ]


def _policy_value(pi: tuple, T: dict, g: sp.Expr) -> list:
    n = len(T)
    P = sp.zeros(n, n)
    rr = sp.zeros(n, 1)
    for s in range(n):
        for pr, s2, rw in T[s][pi[s]]:
            P[s, s2] += pr
            rr[s] += pr * rw
    return list((sp.eye(n) - g * P).inv() * rr)


def optimal_values() -> list:
    """V* by enumerating the |A|^|S| deterministic policies (exact)."""
    S, A, T, g = _mdp()
    vals = [_policy_value(pi, T, g) for pi in itertools.product(A, repeat=len(S))]
    return [max(v[s] for v in vals) for s in S]


@claim(
    "vi-update",
    "dp",
    "V_k(s) = max_a Σ_{s',r} p(s',r|s,a)[r + γ V_{k-1}(s')], V_0 = 0",
    kind="exact: V* (by policy enumeration) is the fixed point of the update (2 states, 2 actions)",
)
def vi_update(c: Check) -> None:
    _S, _A, T, g = _mdp()
    Vs = c.step("V* (exact)", sp.Matrix(optimal_values()))
    c.identity(
        "update(V*) = V*",
        sp.Matrix(_backup(list(Vs), T, g)),
        Vs,
        control=sp.Matrix(_backup([v + 1 for v in Vs], T, g)),
    )


@claim(
    "vi-finite",
    "dp",
    "Policy/Value iteration are guaranteed to converge in finite number of iterations",
    corrected="Policy iteration: finitely many steps (finitely many deterministic policies, strict "
    "improvement). Value iteration only converges in the limit: ‖V_k - V*‖∞ ≤ γ^k ‖V_0 - V*‖∞; "
    "1 state, r = 1, γ = 9/10 gives V_k = 10 - 10(9/10)^k, never 10",
    verdict="I",
    kind="identity + limit + exact policy-iteration run",
)
def vi_finite(c: Check) -> None:
    k = sp.Symbol("k", nonnegative=True, integer=True)
    g = R(9, 10)
    Vk = 10 - 10 * g**k
    c.identity(
        "V_k = 10 - 10γ^k solves V_k = 1 + γ V_{k-1}, V_0 = 0",
        Vk - (1 + g * Vk.subs(k, k - 1)),
        0,
        control=Vk - (1 + Vk.subs(k, k - 1)),
    )
    c.identity("V_0 = 0", Vk.subs(k, 0), 0, control=1)
    c.limit("V_k → V* = 10", Vk, k, sp.oo, 10, control=9)
    c.identity("V* - V_k = γ^k (V* - V_0)", 10 - Vk, g**k * (10 - 0), control=g ** (k + 1) * 10)
    S, A, T, gm = _mdp()
    pi, steps = (0, 0), 0
    while True:
        V = _policy_value(pi, T, gm)
        new = tuple(
            max(A, key=lambda a, s=s: (sum(pr * (rw + gm * V[s2]) for pr, s2, rw in T[s][a]), -a))
            for s in S
        )
        if new == pi:
            break
        pi, steps = new, steps + 1
    pi_done = steps <= len(A) ** len(S) and V == optimal_values()
    Vv = [sp.Integer(0)] * len(S)
    for _ in range(len(A) ** len(S)):
        Vv = _backup(Vv, T, gm)
    vi_done = Vv == optimal_values()
    c.holds(
        f"policy iteration stops after {steps} improvements ≤ |A|^|S| at V*",
        pi_done,
        control=vi_done,
        how="exact run (the control: value iteration after |A|^|S| sweeps)",
    )


@notes_version("vi-finite", kind="counterexample (1 state, r = 1, γ = 9/10)")
def vi_finite_notes(c: Check) -> None:
    k = sp.Symbol("k", nonnegative=True, integer=True)
    Vk = 10 - 10 * R(9, 10) ** k
    c.step("V_k", Vk)
    c.fact(
        "∃ k: V* - V_k = 0 (value iteration reaches V*)",
        10 - Vk,
        "zero",
        control=(1 - (1 - sp.Integer(0) ** (k + 1))),
    )


@claim(
    "td0",
    "td",
    "ΔV(s) = r(s,a) + γ V(s') - V(s);  V(s) ← V(s) + α ΔV(s)",
    kind="identity: E[ΔV] = 0 at V = v_π (2-state chain with a terminal state, V(terminal) = 0)",
)
def td0(c: Check) -> None:
    p = sp.Symbol("p", positive=True)  # from s1: to s2 w.p. p, to terminal w.p. 1-p; s2 → terminal
    r1, r2_ = sp.symbols("r1 r2", real=True)
    v2 = r2_
    v1 = r1 + gamma * p * v2
    EdV = r1 + gamma * (p * v2 + (1 - p) * 0) - v1
    c.identity("E[ΔV(s1)] = 0 at V = v_π", EdV, 0, control=EdV + (1 - gamma) * 1)
    c.identity(
        "terminal step: ΔV = r - V(s) when V(terminal) = 0",
        r2_ + gamma * 0 - v2,
        0,
        control=gamma * v2,
    )


def _q_star() -> dict:
    S, A, T, g = _mdp()
    Vs = optimal_values()
    return {(s, a): sum(pr * (rw + g * Vs[s2]) for pr, s2, rw in T[s][a]) for s in S for a in A}


@claim(
    "q-update",
    "td",
    "Q(S,A) ← Q(S,A) + α ΔQ(S,A)  (ΔQ not defined)",
    corrected="Q-learning: ΔQ = R + γ max_a' Q(S',a') - Q(S,A); SARSA: ΔQ = R + γ Q(S',A') - Q(S,A)",
    verdict="incomplete",
    kind="exact: E[ΔQ] = 0 at Q* (Q-learning) and at Q^π (SARSA) on the 2-state MDP",
)
def q_update(c: Check) -> None:
    S, A, T, g = _mdp()
    Q = _q_star()
    dq = sp.Matrix(
        [
            sum(pr * (rw + g * max(Q[s2, b] for b in A)) for pr, s2, rw in T[s][a]) - Q[s, a]
            for s in S
            for a in A
        ]
    )
    dq_bad = sp.Matrix(
        [
            sum(pr * (rw + max(Q[s2, b] for b in A)) for pr, s2, rw in T[s][a]) - Q[s, a]
            for s in S
            for a in A
        ]
    )
    c.identity("Q-learning: E[ΔQ] = 0 at Q*", dq, sp.zeros(4, 1), control=dq_bad)
    pi = {0: {0: R(1, 2), 1: R(1, 2)}, 1: {0: R(1, 3), 1: R(2, 3)}}
    P = sp.zeros(4, 4)
    rr = sp.zeros(4, 1)
    idx = {(s, a): 2 * s + a for s in S for a in A}
    for (s, a), i in idx.items():
        for pr, s2, rw in T[s][a]:
            rr[i] += pr * rw
            for b in A:
                P[i, idx[s2, b]] += pr * pi[s2][b]
    Qpi = (sp.eye(4) - g * P).inv() * rr
    c.identity(
        "SARSA: E[R + γQ(S',A') - Q(S,A)] = 0 at Q^π",
        rr + g * P * Qpi - Qpi,
        sp.zeros(4, 1),
        control=rr + P * Qpi - Qpi,
    )


@claim(
    "dqn-loss",
    "dqn",
    "loss(θ) = ‖(R + γ max_a' Q_θ(S',a'))/(R + γ max_a' Q_θ(S',a')) - Q_θ(S,A)‖²  (garbled); "
    "we don't backprop gradients here",
    corrected="loss(θ) = (R + γ(1 - done) max_a' Q_θ⁻(S',a') - Q_θ(S,A))², target held fixed (stop-gradient); "
    "the semi-gradient differs from the full gradient",
    verdict="G",
    kind="identity + difference (linear Q)",
)
def dqn_loss(c: Check) -> None:
    th = sp.Matrix(sp.symbols("theta1 theta2", real=True))
    phi, phi2 = sp.Matrix(sp.symbols("f1 f2", real=True)), sp.Matrix(sp.symbols("g1 g2", real=True))
    Rr, done = sp.symbols("R done", real=True)
    q = (th.T * phi)[0]
    target = Rr + gamma * (1 - done) * (th.T * phi2)[0]  # one next action: the max is that action
    full = sp.Matrix([sp.diff((target - q) ** 2, v) for v in th])
    frozen = sp.Symbol("y", real=True)
    semi = sp.Matrix([sp.diff((frozen - q) ** 2, v) for v in th]).subs(frozen, target)
    c.identity("semi-gradient = -2(y - Q) ∇Q", semi, -2 * (target - q) * phi, control=full)
    c.differ("semi-gradient ≠ full gradient", semi, full, control=-2 * (target - q) * phi)
    c.identity(
        "done = 1: target = R", target.subs(done, 1), Rr, control=Rr + gamma * (th.T * phi2)[0]
    )


@notes_version("dqn-loss", kind="identity: the notes' fraction is 1")
def dqn_loss_notes(c: Check) -> None:
    Rr, mq, q = sp.symbols("R maxQ Q", real=True)
    # the squared TD error δ² = (R + γ maxQ - Q)², expanded by hand
    td2 = Rr**2 + gamma**2 * mq**2 + q**2 + 2 * gamma * Rr * mq - 2 * Rr * q - 2 * gamma * mq * q
    c.identity(
        "‖(R + γ maxQ)/(R + γ maxQ) - Q‖² = δ² = R² + γ²maxQ² + Q² + 2γR maxQ - 2RQ - 2γ maxQ Q",
        ((Rr + gamma * mq) / (Rr + gamma * mq) - q) ** 2,
        td2,
        control_lhs=(Rr + gamma * mq - q) ** 2,
        control=td2,
    )


def _softmax(th: list) -> list:
    Z = sum(sp.exp(v) for v in th)
    return [sp.exp(v) / Z for v in th]


@claim(
    "pg-trajectory",
    "policy-gradient",
    "p(τ) = p(s_1) Π_t π(a_t|s_t) p(s_{t+1}|s_t, a_t);  policy update θ = θ + ∇_θ J(θ)",
    corrected="θ ← θ + α ∇_θ J(θ) with a step size α > 0 (small enough): d/dα J(θ + α∇J)|₀ = ‖∇J‖² ≥ 0",
    verdict="G",
    kind="identities + sign fact",
)
def pg_trajectory(c: Check) -> None:
    p1, pi1, pi2, T1, T2 = sp.symbols("p_s1 pi1 pi2 T1 T2", positive=True)
    c.identity(
        "log p(τ) = log p(s1) + Σ log π + Σ log p(s'|s,a) (T = 2)",
        sp.expand_log(log(p1 * pi1 * T1 * pi2 * T2)),
        log(p1) + log(pi1) + log(pi2) + log(T1) + log(T2),
        control=log(p1) + log(pi1) + log(pi2),
    )
    th, al = sp.symbols("theta alpha", real=True)
    J = sp.Function("J")
    first = sp.diff(J(th + al * sp.diff(J(th), th)), al).subs(al, 0).doit()
    c.identity(
        "d/dα J(θ + α J'(θ)) at 0 = J'(θ)²",
        first,
        sp.diff(J(th), th) ** 2,
        control=sp.diff(J(th), th),
    )
    c.fact(
        "J'(θ)² ≥ 0: a small step ascends",
        sp.Symbol("g", real=True) ** 2,
        "nonnegative",
        control=-(sp.Symbol("g", real=True) ** 2) - 1,
    )


@notes_version("pg-trajectory", kind="counterexample (J = -2θ², step without α)")
def pg_trajectory_notes(c: Check) -> None:
    th = sp.Symbol("theta", real=True, nonzero=True)
    J = lambda v: -2 * v**2  # noqa: E731
    step = th + sp.diff(J(th), th)
    c.step("θ + ∇J(θ)", step)
    c.fact(
        "J(θ + ∇J) - J(θ) ≥ 0 (the update ascends)",
        sp.expand(J(step) - J(th)),
        "nonnegative",
        control=sp.expand(J(th + R(1, 8) * sp.diff(J(th), th)) - J(th)),
    )


@claim(
    "log-derivative",
    "policy-gradient",
    "∇_θ ∫ p(τ) r(τ) dτ = ∫ p(τ) ∇_θ log p(τ) r(τ) dτ = E[∇_θ log p(τ) r(τ)]",
    kind="identity (softmax bandit, 3 arms, exact gradient)",
)
def log_derivative(c: Check) -> None:
    th = list(sp.symbols("theta1:4", real=True))
    rr = sp.symbols("r1:4", real=True)
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
    kind="identity (T = 2, softmax policy, dynamics independent of θ)",
)
def dynamics_free(c: Check) -> None:
    th = list(sp.symbols("theta1:3", real=True))
    ps1, T1, T2 = sp.symbols("p_s1 T1 T2", positive=True)
    pi = _softmax(th)
    logp = log(ps1) + log(pi[0]) + log(T1) + log(pi[1]) + log(T2)  # actions a1 = 0, a2 = 1
    c.identity(
        "∂ log p(τ)/∂θ1 = Σ_t ∂ log π(a_t|s_t)/∂θ1",
        sp.diff(logp, th[0]),
        sp.diff(log(pi[0]), th[0]) + sp.diff(log(pi[1]), th[0]),
        control=sp.diff(log(pi[0]), th[0]),
    )


def _baseline_bias(b: list) -> sp.Expr:
    """E_a[∂/∂θ1 log π(a) · b(a)] for a softmax over 3 actions."""
    th = list(sp.symbols("theta1:4", real=True))
    pi = _softmax(th)
    return sum(pi[a] * sp.diff(log(pi[a]), th[0]) * b[a] for a in range(3))


@claim(
    "reinforce-baseline",
    "policy-gradient",
    "∇J = (1/N) Σ_i (Σ_t ∇ log π(a_t^i|s_t^i)) (Σ_t γ^t r(s_t^i, a_t^i) - b(s_t^i))",
    corrected="∇J ≈ (1/N) Σ_i Σ_t ∇ log π(a_t|s_t)(Ĝ_t - b(s_t)); unbiased because "
    "Σ_a π ∇log π · b(s) = b(s) ∇ Σ_a π = 0 (b must not depend on a_t)",
    verdict="G",
    kind="identity (softmax, 3 actions)",
)
def reinforce_baseline(c: Check) -> None:
    bs = sp.Symbol("b", real=True)
    c.identity(
        "E_a[∇ log π(a|s) b(s)] = 0",
        _baseline_bias([bs, bs, bs]),
        0,
        control=_baseline_bias(list(sp.symbols("b1:4", real=True))),
    )


@notes_version(
    "reinforce-baseline", kind="counterexample: b(s_t) outside the t-sum is read as b(s_T)"
)
def reinforce_baseline_notes(c: Check) -> None:
    # One step: s_1 = a_0, so b(s_T) = b(a_0) depends on the action and biases the estimator.
    bvals = list(sp.symbols("b1:4", real=True))
    c.identity(
        "E_a[∇ log π(a_0|s_0) b(s_T)] = 0",
        _baseline_bias(bvals),
        0,
        control_lhs=_baseline_bias([bvals[0]] * 3),
        control=0,
    )


@claim(
    "actor-critic-td",
    "actor-critic",
    "∇J ≈ (1/N) Σ_i Σ_t ∇ log π(a_t|s_t)(r(s_t, a_t) + γ V(s_{t+1}) - V(s_t))",
    kind="identity: E[TD error | s, a] = A^π(s, a) iff V = V^π (symbolic 2-state chain)",
)
def actor_critic_td(c: Check) -> None:
    p, q = sp.symbols("p q", positive=True)
    rsa = sp.Symbol("r", real=True)
    P = sp.Matrix([[p, 1 - p], [q, 1 - q]])  # next-state distribution after (s1, a)
    rr = sp.Matrix(sp.symbols("rbar1 rbar2", real=True))  # expected reward under π per state
    Vpi = (sp.eye(2) - gamma * P).inv() * rr
    Q = rsa + gamma * (P[0, :] * Vpi)[0]
    td = lambda V: rsa + gamma * (P[0, :] * V)[0] - V[0]  # noqa: E731
    cc = sp.Symbol("c", real=True, nonzero=True)
    c.identity("E[δ | s, a] = Q^π(s,a) - V^π(s) at V = V^π", td(Vpi), Q - Vpi[0], control=Q)
    c.identity(
        "V = V^π + c: bias (γ - 1)c",
        td(Vpi + sp.Matrix([cc, cc])) - (Q - Vpi[0]),
        (gamma - 1) * cc,
        control=0,
    )


def _kl_policy(th: list, th_old: list) -> sp.Expr:
    po, pn = _softmax(th_old), _softmax(th)
    return sum(po[a] * (log(po[a]) - log(pn[a])) for a in range(len(th)))


@claim(
    "trpo",
    "actor-critic",
    "max E_t[π_θ/π_old · A_t] s.t. E_t[KL(π_old, π_θ)] < δ; PPO-KL: … - β E_t[KL]",
    kind="identities at θ = θ_old (softmax, 2 parameters): ∇surrogate = ∇J, ∇KL = 0, ∇²KL = Fisher",
)
def trpo(c: Check) -> None:
    th = list(sp.symbols("theta1 theta2", real=True))
    to = list(sp.symbols("o1 o2", real=True))
    At = sp.symbols("A1 A2", real=True)
    back = dict(zip(th, to, strict=True))
    pn, po = _softmax(th), _softmax(to)
    surr = sum(po[a] * (pn[a] / po[a]) * At[a] for a in range(2))
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
)
def ppo_clip(c: Check) -> None:
    e, u, A = sp.symbols("epsilon u A", positive=True)
    regions = {"r < 1-ε": 1 - e - u, "1-ε ≤ r ≤ 1+ε": 1 - e + 2 * e / (1 + u), "r > 1+ε": 1 + e + u}
    for name, r in regions.items():
        for sign, adv in (("A > 0", A), ("A < 0", -A)):
            obj = sp.Min(r * adv, _clip(r, e) * adv)
            want = adv * (sp.Min(r, 1 + e) if sign == "A > 0" else sp.Max(r, 1 - e))
            # control: the other sign's branch (outer regions), always clipped (middle region)
            wrong = adv * (sp.Max(r, 1 - e) if sign == "A > 0" else sp.Min(r, 1 + e))
            if name.startswith("1-ε"):
                wrong = adv * (1 + e if sign == "A > 0" else 1 - e)
            c.identity(f"{name}, {sign}", obj, want, control=wrong)


@notes_version("ppo-clip", kind="counterexample (ε = 0.2, A = -1, r = 2)")
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
