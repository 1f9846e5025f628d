"""Returns and the Bellman expectation equation on an MDP (the notes' RL chapter): the discounted
return G_t = Σ_k γ^k R_{t+k+1}, one Bellman expectation backup
v(s) ← Σ_a π(a|s) Σ_{s',r} p(s',r|s,a)[r + γ v(s')], and the exact value of a policy,
v_π = (I − γ P_π)⁻¹ r_π, on the MDPs of :mod:`dlstudy.reference.mdp` (file format, gridworlds).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlstudy.errors import DlstudyError
from dlstudy.output import format_factor, format_number
from dlstudy.reference.mdp import (
    MDP,
    check_gamma,
    load_mdp,
    policy_matrix,
    states_not_terminating,
    values_vector,
)
from dlstudy.reference.registry import ASIDE, Mistake, Solution, Step, as_vector, reference


@reference(
    "discounted-return",
    section="mdp",
    summary="G_t = Σ_k γ^k R_{t+k+1} of a reward sequence, with every G_t by G_t = R_{t+1} + γ G_{t+1}",
    params_help={
        "rewards": "the rewards R_1, R_2, ..., R_T of an episode (a list)",
        "gamma": "discount factor in [0, 1]",
        "t": "the time step t of G_t (default 0: the whole episode)",
    },
)
def discounted_return(rewards: np.ndarray, gamma: float, t: int = 0) -> Solution:
    """Discounted return of a finite episode.

    .. math:: G_t = \\sum_{k=0}^{T-t-1} \\gamma^k R_{t+k+1}, \\qquad G_t = R_{t+1} + \\gamma G_{t+1}

    Parameters
    ----------
    rewards : array of shape (T,)
        ``rewards[0]`` is R_1 (the reward after the first action), ``rewards[T-1]`` is R_T.
    gamma : float
        Discount factor in [0, 1].
    t : int
        The step of G_t, 0 <= t <= T (G_T = 0).
    """
    r = as_vector(rewards, "rewards")
    g = check_gamma(gamma)
    n = r.size
    if isinstance(t, bool) or int(t) != t or not 0 <= int(t) <= n:
        raise DlstudyError(f"t: expected an integer step between 0 and {n}, got {t}")
    t = int(t)
    tail = r[t:]
    powers = g ** np.arange(tail.size)
    terms = powers * tail
    result = float(terms.sum())
    all_g = np.zeros(n + 1)
    for k in range(n - 1, -1, -1):
        all_g[k] = r[k] + g * all_g[k + 1]
    detail = (
        " + ".join(f"{format_number(g)}^{k}·{format_factor(x)}" for k, x in enumerate(tail)) or "0"
    )
    index = "k+1" if t == 0 else f"{t}+k+1"
    steps = [
        Step(f"G_{t} = Σ_k γ^k R_({index})", result, f"{detail} = {format_number(result)}"),
        Step(
            "every G_t backwards (G_t = R_(t+1) + γ G_(t+1), G_T = 0)",
            all_g.tolist(),
            part=ASIDE,
        ),
    ]
    mistakes = [
        Mistake(
            "gamma-k-plus-1",
            "you discounted the first reward too: G_t = Σ γ^k R_{t+k+1} starts with γ^0 = 1",
            float((g * powers * tail).sum()),
        ),
        Mistake(
            "undiscounted", "you forgot the discount: multiply R_{t+k+1} by γ^k", float(tail.sum())
        ),
    ]
    if t > 0:
        inc = r[t - 1 :]
        mistakes.append(
            Mistake(
                "includes-r-t",
                "G_t starts at R_{t+1}: R_t belongs to G_{t-1}",
                float((g ** np.arange(inc.size) * inc).sum()),
            )
        )
    return Solution(
        result, steps, mistakes, convention="rewards[0] is R_1; G_t sums R_{t+1}, R_{t+2}, ..."
    )


def backup_detail(mdp: MDP, pi: np.ndarray | None, v: np.ndarray, s: int, label: str) -> str:
    """The written-out Bellman backup of state ``s``: Σ_a π(a|s) Σ p [r + γ V(s')] (or max_a when
    ``pi`` is None)."""
    if mdp.is_terminal(s):
        return f"{label}({mdp.states[s]}) = 0 (terminal)"
    g = format_number(mdp.gamma)
    parts = []
    for a in np.flatnonzero(mdp.available[s]):
        inner = " + ".join(
            f"{format_number(p)}·[{format_number(r)} + {g}·{format_factor(v[n])}]"
            for n, p, r in mdp.outcomes[(s, int(a))]
        )
        if pi is None:
            parts.append(f"{mdp.actions[a]}: {inner}")
        elif pi[s, a] > 0:
            parts.append(f"{format_number(pi[s, a])}·({inner})")
    joined = "; ".join(parts) if pi is None else " + ".join(parts)
    return f"{label}({mdp.states[s]}) = " + (f"max{{{joined}}}" if pi is None else joined)


@reference(
    "bellman-backup",
    section="mdp",
    summary="one Bellman expectation backup v(s) ← Σ_a π(a|s) Σ p(s',r|s,a)[r + γ V(s')]",
    params_help={
        "mdp": "the MDP (mdp=@file.json / .toml, a gridworld, or a bundled example name)",
        "values": "V: state → value, a list in state order, or one number for every state",
        "policy": "'uniform', state → action, or state → {action: probability}",
        "state": "only this state (default: every state)",
        "gamma": "discount factor (overrides the file's)",
    },
)
def bellman_backup(
    mdp: Any,
    values: Any = 0.0,
    policy: Any = "uniform",
    state: str = "",
    gamma: float | None = None,
) -> Solution:
    """The Bellman expectation backup of V under π.

    .. math:: (T^\\pi V)(s) = \\sum_a \\pi(a|s) \\sum_{s',r} p(s',r|s,a)\\,[r + \\gamma V(s')]

    Returns a number when ``state`` is given, else state → backed-up value (terminal states: 0).
    """
    m = load_mdp(mdp, gamma)
    pi = policy_matrix(m, policy)
    v = values_vector(m, values)
    q = m.R + m.gamma * (m.P @ v)
    new = (pi * q).sum(axis=1)
    no_gamma = (pi * (m.R + m.P @ v)).sum(axis=1)
    asked = m.index(state, "state") if state else None
    steps = [
        Step(
            f"q({m.states[s]}, a) = Σ_s' p(s'|{m.states[s]},a) [r + γ V(s')]",
            {m.actions[a]: float(q[s, a]) for a in np.flatnonzero(m.available[s])},
            part=ASIDE if asked is not None and s != asked else "",
        )
        for s in range(m.n_states)
        if not m.is_terminal(s)
    ]
    if state:
        s = m.index(state, "state")
        result: Any = float(new[s])
        written = backup_detail(m, pi, v, s, "v").partition(" = ")[2]
        steps.append(
            Step(
                f"v({m.states[s]}) = Σ_a π(a|{m.states[s]}) q({m.states[s]}, a)",
                result,
                f"{written} = {format_number(result)}",
            )
        )
        wrong = float(no_gamma[s])
    else:
        result = m.values_dict(new)
        steps.append(Step("v(s) for every state", result))
        wrong = m.values_dict(no_gamma)
    mistakes = (
        [Mistake("no-discount", "you dropped γ in r + γ V(s')", wrong)] if m.gamma != 1 else []
    )
    return Solution(result, steps, mistakes, convention=f"gamma = {format_number(m.gamma)}")


@reference(
    "policy-value-exact",
    section="mdp",
    summary="v_π exactly, by solving the linear system (I - γ P_π) v = r_π",
    params_help={
        "mdp": "the MDP (mdp=@file.json / .toml, a gridworld, or a bundled example name)",
        "policy": "'uniform', state → action, or state → {action: probability}",
        "gamma": "discount factor (overrides the file's)",
    },
)
def policy_value_exact(mdp: Any, policy: Any = "uniform", gamma: float | None = None) -> Solution:
    """v_π from the Bellman expectation equation as a linear system over the non-terminal states.

    .. math:: v = r_\\pi + \\gamma P_\\pi v \\;\\Rightarrow\\; (I - \\gamma P_\\pi)\\, v = r_\\pi,
       \\quad P_\\pi[s, s'] = \\sum_a \\pi(a|s) p(s'|s,a),\\; r_\\pi[s] = \\sum_a \\pi(a|s) r(s,a)

    Terminal states have value 0 (their columns drop out). With γ = 1 the system is singular when some
    state never reaches a terminal state under π: that is reported, not solved.
    """
    m = load_mdp(mdp, gamma)
    pi = policy_matrix(m, policy)
    v = _solve_exact(m, pi)
    p_pi = np.einsum("sa,sat->st", pi, m.P)
    r_pi = (pi * m.R).sum(axis=1)
    steps = [
        Step("P_π[s, s'] = Σ_a π(a|s) p(s'|s,a)", p_pi),
        Step("r_π[s] = Σ_a π(a|s) r(s,a)", r_pi),
        Step("solve (I - γ P_π) v = r_π over the non-terminal states", m.values_dict(v)),
    ]
    return Solution(
        m.values_dict(v),
        steps,
        convention=f"gamma = {format_number(m.gamma)}; terminal states have value 0",
    )


def _solve_exact(m: MDP, pi: np.ndarray) -> np.ndarray:
    if m.gamma == 1.0:
        stuck = states_not_terminating(m, pi)
        if stuck:
            raise DlstudyError(
                f"gamma = 1 and the policy never reaches a terminal state from {', '.join(stuck)}: "
                "v_π is not defined (infinite horizon without discounting); use gamma < 1 or change "
                "the policy"
            )
    live = [s for s in range(m.n_states) if not m.is_terminal(s)]
    p_pi = np.einsum("sa,sat->st", pi, m.P)[np.ix_(live, live)]
    r_pi = (pi * m.R).sum(axis=1)[live]
    v = np.zeros(m.n_states)
    try:
        v[live] = np.linalg.solve(np.eye(len(live)) - m.gamma * p_pi, r_pi)
    except np.linalg.LinAlgError:  # pragma: no cover - excluded by the reachability check
        raise DlstudyError("the linear system (I - γ P_π) v = r_π is singular") from None
    return v
