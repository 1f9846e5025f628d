"""Claims of the reinforcement-learning chapter, first part: MDPs and the Bellman equation, dynamic
programming, TD learning (TD(0), SARSA, Q-learning), DQN. (Policy gradients and actor-critic:
``claims_policy``.)"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import sympy as sp

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


def discount(c: Check) -> sp.Expr:
    """The premise 0 < γ < 1, as γ = 1/(1+g) with g > 0 (every such γ); broken: γ = 1."""
    g = sp.Symbol("g", positive=True)
    return c.premise("0 < γ < 1: γ = 1/(1 + g), g > 0", 1 / (1 + g), broken=sp.Integer(1))


# -- MDP ---------------------------------------------------------------------------------------
@claim(
    "mdp-transition",
    "mdp",
    "transition function p: S × A → S",
    corrected="p(·|s, a) ∈ Δ(S): a distribution over next states (the notes later use p(s', r|s, a)); "
    "p(s'|s, a) = Σ_r p(s', r|s, a) and Σ_{s'} p(s'|s, a) = 1",
    verdict="I",
    kind="identity (marginalisation of a symbolic joint)",
    scope=INSTANCE,
    case="2 next states × 2 rewards, any joint p(s', r|s, a) (4 symbolic weights)",
)
def mdp_transition(c: Check) -> None:
    w = sp.symbols("w1:5", positive=True)  # p(s', r | s, a) ∝ w for s' ∈ {0,1}, r ∈ {0,1}
    Z = c.premise("p(s', r|s, a) sums to 1 over (s', r)", sum(w), broken=sum(w) + w[0])
    joint = {(s2, r): w[2 * s2 + r] / Z for s2 in (0, 1) for r in (0, 1)}
    marg = [joint[s2, 0] + joint[s2, 1] for s2 in (0, 1)]
    c.identity("Σ_{s'} p(s'|s,a) = 1", sum(marg), 1, control=marg[0])


@notes_version(
    "mdp-transition",
    kind="exhaustive: no map S×A→S reproduces a stochastic transition",
    quote="transition function $p: S \\times A \\to S$",
    case="S = {0, 1}, the kernel (1/2, 1/2) vs the 2 deterministic maps",
)
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
_j = sp.Symbol("j", integer=True)
_n = sp.Symbol("n", integer=True, positive=True)
_e = sp.IndexedBase("e", nonnegative=True)


def _row_sum(term: sp.Expr) -> sp.Expr:
    return sp.Sum(term, (_j, 1, _n))


@claim(
    "bellman",
    "mdp",
    "G_t = Σ_k γ^k R_{t+k+1};  v_π(s) = E[R_{t+1} + γ G_{t+1} | S_t = s] = Σ_a π Σ p(s',r|s,a)[r + γ v_π(s')]",
    corrected="for a stochastic P_π (entries ≥ 0, rows summing to 1) and 0 ≤ γ < 1, v_π = Σ_k γ^k P_π^k r_π "
    "solves v = r_π + γ P_π v and is its ONLY solution: T(v) = r + γPv is a γ-contraction in max-norm",
    kind="returns: identity; contraction: sign facts for a row of n entries (symbolic n); uniqueness; "
    "the series as fixed point; constant rewards give c/(1-γ)",
    scope=GENERAL,
)
def bellman(c: Check) -> None:
    Rw = sp.symbols("R1:6", real=True)
    G = lambda t: sum(gamma**k * Rw[t + k] for k in range(len(Rw) - t))  # noqa: E731
    c.identity("G_0 = R_1 + γ G_1", G(0), Rw[0] + gamma * G(1), control=Rw[0] + G(1))
    p = c.premise(
        "P ≥ 0: transition probabilities are nonnegative",
        sp.IndexedBase("p", nonnegative=True),
        broken=sp.IndexedBase("p", real=True),
    )
    rows = c.premise("each row of P sums to 1", {_row_sum(p[_j]): 1}, broken={_row_sum(p[_j]): 2})
    gm = discount(c)
    M = sp.Symbol("M", nonnegative=True)  # M = max_j |u_j - w_j|
    # |u_j - w_j| ≤ M: u_j - w_j = M - e_j = -M + e'_j with 0 ≤ e_j, e'_j (≤ 2M)
    upper = with_totals(M - _row_sum(p[_j] * (M - _e[_j])), rows)
    lower = with_totals(M + _row_sum(p[_j] * (-M + _e[_j])), rows)
    c.fact(
        "M - (P(u - w))_i = M(1 - Σ_j p_j) + Σ_j p_j e_j ≥ 0", upper, "nonnegative", control=-M - 1
    )
    c.fact("M + (P(u - w))_i ≥ 0, so |(T u - T w)_i| ≤ γ M", lower, "nonnegative", control=-M - 1)
    c.fact(
        "two fixed points u, w: M ≤ γM, i.e. (1 - γ)M ≤ 0 with 1 - γ > 0, so M = 0 (unique)",
        sp.simplify(1 - gm),
        "positive",
        control=gm - 1,
    )
    P2 = sp.Matrix(2, 2, lambda i, k: sp.Symbol(f"P{i + 1}{k + 1}", nonnegative=True))
    r2 = sp.Matrix(sp.symbols("r1 r2", real=True))
    v = [sp.zeros(2, 1)]
    for _ in range(4):
        v.append(r2 + gm * P2 * v[-1])
    series = sum(((gm * P2) ** k * r2 for k in range(4)), sp.zeros(2, 1))
    c.identity(
        "the series v_N = Σ_{k<N} (γP)^k r obeys v_{N+1} = r + γ P v_N (here N = 4)",
        series,
        v[4],
        control=r2 + P2 * v[3],
    )
    stoch = sp.Matrix(2, 2, lambda i, k: P2[i, 0] if k == 0 else 1 - P2[i, 0])
    Pc = stoch if rows[_row_sum(p[_j])] == 1 else 2 * stoch
    cc = sp.Symbol("c", real=True)
    ones = sp.Matrix([cc, cc])
    c.identity(
        "constant reward c: (I - γP)(c·1) = (1 - γ) c·1, so v = c/(1-γ) in every state (2 states)",
        (sp.eye(2) - gm * Pc) * ones,
        (1 - gm) * ones,
        control=ones,
    )


def _mdp(self_loop: sp.Expr = R(1)) -> tuple[list[int], list[int], dict, sp.Expr]:
    """A 2-state, 2-action MDP with exact rewards: T[s][a] = list of (prob, s', r)."""
    T = {
        0: {0: [(R(1), 0, R(0))], 1: [(R(1, 2), 1, R(2)), (R(1, 2), 0, R(0))]},
        1: {0: [(self_loop, 1, R(1))], 1: [(R(1), 0, R(5))]},
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


def optimal_values(T: dict | None = None) -> list:
    """V* by enumerating the |A|^|S| deterministic policies (exact)."""
    S, A, T0, g = _mdp()
    T = T or T0
    vals = [_policy_value(pi, T, g) for pi in itertools.product(A, repeat=len(S))]
    return [max(v[s] for v in vals) for s in S]


def _with_rewards(T: dict, reward: sp.Expr) -> dict:
    return {s: {a: [(p, s2, reward) for p, s2, _ in T[s][a]] for a in T[s]} for s in T}


_MDP_CASE = "the 2-state, 2-action MDP of the catalogue (exact probabilities and rewards, γ = 9/10)"
_STOCHASTIC = "each p(·|s, a) sums to 1"


@claim(
    "vi-update",
    "dp",
    "V_k(s) = max_a Σ_{s',r} p(s',r|s,a)[r + γ V_{k-1}(s')], V_0 = 0",
    kind="exact: V* (by enumerating every deterministic policy) is the fixed point of the update; "
    "constant rewards give 1/(1-γ)",
    scope=INSTANCE,
    case=_MDP_CASE,
)
def vi_update(c: Check) -> None:
    _S, _A, T0, g = _mdp()
    T = c.premise(_STOCHASTIC, T0, broken=_mdp(R(3, 2))[2])
    Vs = c.step("V* (exact)", sp.Matrix(optimal_values(T)))
    c.identity(
        "update(V*) = V*",
        sp.Matrix(_backup(list(Vs), T, g)),
        Vs,
        control=sp.Matrix(_backup([v + 1 for v in Vs], T, g)),
    )
    ones = _with_rewards(T, sp.Integer(1))
    c.identity(
        "every reward 1: V* = 1/(1 - γ) = 10",
        sp.Matrix(optimal_values(ones)),
        sp.Matrix([10, 10]),
        control=sp.Matrix([9, 9]),
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
    scope=INSTANCE,
    case="value iteration on 1 state with r = 1; policy iteration on " + _MDP_CASE,
)
def vi_finite(c: Check) -> None:
    k = sp.Symbol("k", nonnegative=True, integer=True)
    g = c.premise("γ = 9/10 < 1", R(9, 10), broken=sp.Integer(1))
    Vk = 10 - 10 * R(9, 10) ** k
    c.identity(
        "V_k = 10 - 10(9/10)^k solves V_k = 1 + γ V_{k-1}, V_0 = 0",
        Vk - (1 + g * Vk.subs(k, k - 1)),
        0,
        control=Vk - (1 + Vk.subs(k, k - 1)),
    )
    c.identity("V_0 = 0", Vk.subs(k, 0), 0, control=1)
    c.limit("V_k → V* = 10", Vk, k, sp.oo, 10, control=9)
    c.identity(
        "V* - V_k = γ^k (V* - V_0)", 10 - Vk, g**k * (10 - 0), control=R(9, 10) ** (k + 1) * 10
    )
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


@notes_version(
    "vi-finite",
    kind="counterexample (1 state, r = 1, γ = 9/10)",
    quote="Policy/Value iteration are guaranteed to converge in finite number of iterations",
    case="1 state, r = 1, γ = 9/10: V* - V_k = 10(9/10)^k > 0 for every k",
)
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
    corrected="the expected TD update is the Bellman backup minus V: E[ΔV(s)] = (T^π V)(s) - V(s); it "
    "vanishes at V = v_π (the expected return, V(terminal) = 0) and only there",
    kind="v_π from its definition (enumerating the episodes), the expected one-step TD error from "
    "sampled transitions",
    scope=INSTANCE,
    case="chain s1 → s2 (prob. p) or terminal (1 - p), s2 → terminal; symbolic p, rewards, γ",
)
def td0(c: Check) -> None:
    p = sp.Symbol("p", positive=True)
    r1, r2_, cc = sp.symbols("r1 r2 c", real=True)
    # episodes from s1: (s1 → terminal) w.p. 1-p with return r1; (s1 → s2 → terminal) w.p. p
    episodes = [(1 - p, r1), (p, r1 + gamma * r2_)]
    v1 = c.step("v_π(s1) = E[G | s1] (enumerated episodes)", sum(w * G for w, G in episodes))
    v2 = r2_
    vT = c.premise("V(terminal) = 0", sp.Integer(0), broken=cc)
    q = sp.Symbol("q", positive=True)
    move = c.premise("S' is drawn from p(·|s) (on-policy samples)", p, broken=q)
    V = {"s1": v1, "s2": v2, "T": vT}

    def expected_td(V: dict) -> sp.Expr:
        return move * (r1 + gamma * V["s2"]) + (1 - move) * (r1 + gamma * V["T"]) - V["s1"]

    c.identity("E[ΔV(s1)] = 0 at V = v_π", expected_td(V), 0, control=expected_td(V) + 1)
    c.identity(
        "V = v_π + c at s1: E[ΔV(s1)] = -c (so v_π is the only fixed point there)",
        expected_td({**V, "s1": v1 + cc}),
        -cc,
        control=cc,
    )


def _q_star(T: dict) -> dict:
    S, A, _, g = _mdp()
    Vs = optimal_values(T)
    return {(s, a): sum(pr * (rw + g * Vs[s2]) for pr, s2, rw in T[s][a]) for s in S for a in A}


def _q_pi(T: dict, pi: dict, g: sp.Expr) -> sp.Matrix:
    """Q^π from V^π: policy evaluation on the states, V = r_π + γ P_π V (a 2×2 linear system), then
    Q(s, a) = Σ p(s', r|s, a)[r + γ V(s')]. Rows: (s, a) = (0,0), (0,1), (1,0), (1,1)."""
    S, A = [0, 1], [0, 1]
    P = sp.zeros(2, 2)
    rr = sp.zeros(2, 1)
    for s in S:
        for a in A:
            for pr, s2, rw in T[s][a]:
                P[s, s2] += pi[s][a] * pr
                rr[s] += pi[s][a] * pr * rw
    V = (sp.eye(2) - g * P).LUsolve(rr)
    return sp.Matrix([sum(pr * (rw + g * V[s2]) for pr, s2, rw in T[s][a]) for s in S for a in A])


@claim(
    "q-update",
    "td",
    "Q(S,A) ← Q(S,A) + α ΔQ(S,A)  (ΔQ not defined)",
    corrected="Q-learning: ΔQ = R + γ max_a' Q(S',a') - Q(S,A); SARSA: ΔQ = R + γ Q(S',A') - Q(S,A)",
    verdict="incomplete",
    kind="exact: E[ΔQ] = 0 at Q* (Q-learning) and at Q^π (SARSA); Q^π of a constant reward is "
    "c/(1-γ) (π a distribution)",
    scope=INSTANCE,
    case=_MDP_CASE + "; SARSA with π(·|s0) = (1/2, 1/2), π(·|s1) = (1/3, 2/3)",
)
def q_update(c: Check) -> None:
    S, A, T, g = _mdp()
    Q = _q_star(T)
    target: Callable[[int], sp.Expr] = c.premise(
        "the Q-learning target is greedy: max_a' Q(S', a')",
        lambda s2: max(Q[s2, b] for b in A),
        broken=lambda s2: sum(Q[s2, b] for b in A) / len(A),
    )
    dq = sp.Matrix(
        [sum(pr * (rw + g * target(s2)) for pr, s2, rw in T[s][a]) - Q[s, a] for s in S for a in A]
    )
    dq_bad = sp.Matrix(
        [
            sum(pr * (rw + max(Q[s2, b] for b in A)) for pr, s2, rw in T[s][a]) - Q[s, a]
            for s in S
            for a in A
        ]
    )
    c.identity("Q-learning: E[ΔQ] = 0 at Q*", dq, sp.zeros(4, 1), control=dq_bad)
    pi = c.premise(
        "π(·|s) is a distribution (sums to 1)",
        {0: {0: R(1, 2), 1: R(1, 2)}, 1: {0: R(1, 3), 1: R(2, 3)}},
        broken={0: {0: R(1, 2), 1: R(1, 2)}, 1: {0: R(1, 3), 1: R(1, 3)}},
    )
    Qpi = c.step("Q^π from V^π (policy evaluation, then one step)", _q_pi(T, pi, g))
    sarsa = sp.Matrix(
        [
            sum(
                pr * (rw + g * sum(pi[s2][b] * Qpi[2 * s2 + b] for b in A))
                for pr, s2, rw in T[s][a]
            )
            - Qpi[2 * s + a]
            for s in S
            for a in A
        ]
    )
    c.identity(
        "SARSA: E[R + γQ(S',A') - Q(S,A)] = 0 at Q^π (A' ~ π)",
        sarsa,
        sp.zeros(4, 1),
        control=sarsa + sp.ones(4, 1) / 10,
    )
    Q1 = _q_pi(_with_rewards(T, sp.Integer(1)), pi, g)
    c.identity(
        "every reward 1: Q^π = 1/(1 - γ) = 10 for every (s, a)",
        Q1,
        10 * sp.ones(4, 1),
        control=9 * sp.ones(4, 1),
    )


@claim(
    "dqn-loss",
    "dqn",
    "loss(θ) = ‖(R + γ max_a' Q_θ(S',a'))/(R + γ max_a' Q_θ(S',a')) - Q_θ(S,A)‖²  (garbled); "
    "we don't backprop gradients here",
    corrected="loss(θ) = (R + γ(1 - done) max_a' Q_θ⁻(S',a') - Q_θ(S,A))², target held fixed (stop-gradient); "
    "the semi-gradient differs from the full gradient",
    verdict="G",
    kind="identity + difference (linear Q, symbolic features and θ)",
    scope=GENERAL,
)
def dqn_loss(c: Check) -> None:
    th = sp.Matrix(sp.symbols("theta1 theta2", real=True))
    phi, phi2 = sp.Matrix(sp.symbols("f1 f2", real=True)), sp.Matrix(sp.symbols("g1 g2", real=True))
    Rr, done = sp.symbols("R done", real=True)
    q = (th.T * phi)[0]
    target = Rr + gamma * (1 - done) * (th.T * phi2)[0]  # one next action: the max is that action
    full = sp.Matrix([sp.diff((target - q) ** 2, v) for v in th])
    frozen = sp.Symbol("y", real=True)
    held = c.premise("the target is held fixed (no gradient through it)", frozen, broken=target)
    semi = sp.Matrix([sp.diff((held - q) ** 2, v) for v in th]).subs(frozen, target)
    c.identity("semi-gradient = -2(y - Q) ∇Q", semi, -2 * (target - q) * phi, control=full)
    c.differ("semi-gradient ≠ full gradient", semi, full, control=-2 * (target - q) * phi)
    c.identity(
        "done = 1: target = R", target.subs(done, 1), Rr, control=Rr + gamma * (th.T * phi2)[0]
    )


unclear_notes(
    "dqn-loss",
    quote="loss(\\theta) = \\| \\frac{(R + \\gamma \\max_{a'} \\{Q_{\\theta}(S', a')\\})}"
    "{(R + \\gamma \\max_{a'} \\{Q_{\\theta}(S', a')\\})} - Q_{\\theta}(S, A) \\|^{2}",
    reading="the fraction is a transcribed annotation (the target, with 'we don't backprop gradients "
    "here' under it): loss(θ) = (R + γ max_a' Q(S', a') - Q_θ(S, A))² with the target held fixed, "
    "what 'dqn-loss' checks",
)
