"""Whole SARSA and Q-learning episodes with ε-greedy exploration on a seeded MDP (e.g. a gridworld):
every update, the trajectory and the final Q.

Notation of the notes: Q(S, A) ← Q(S, A) + α[R + γ max_a' Q(S', a') − Q(S, A)] (Q-learning) or
α[R + γ Q(S', A') − Q(S, A)] (SARSA, A' drawn before the update). Randomness is numpy's
``default_rng(seed)`` with the draws documented on :func:`choose_action` and :func:`sample_next`, so a
seed fixes the episode; the value of a terminal state is 0.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlstudy.errors import DlstudyError
from dlstudy.output import format_number
from dlstudy.reference.mdp import load_mdp
from dlstudy.reference.registry import Solution, Step, as_float, reference
from dlstudy.reference.td import _q_table, check_rate

f = format_number


def choose_action(
    rng: np.random.Generator, q_row: np.ndarray, avail: np.ndarray, eps: float
) -> int:
    """ε-greedy with the documented draws: u = rng.random(); if u < ε an action uniformly from the
    available ones (``rng.integers``), else the first maximiser."""
    if rng.random() < eps:
        return int(avail[rng.integers(avail.size)])
    return int(avail[np.argmax(q_row[avail])])


def sample_next(
    rng: np.random.Generator, outs: list[tuple[int, float, float]]
) -> tuple[int, float]:
    """The outcome (s', r) of one transition: u = rng.random(), the first outcome (in file order)
    whose cumulative probability exceeds u."""
    u = rng.random()
    total = 0.0
    for n, p, r in outs:
        total += p
        if u < total:
            return n, r
    n, _, r = outs[-1]
    return n, r


def run_episode(
    mdp: Any,
    method: str,
    alpha: float,
    gamma: float | None,
    epsilon: float,
    seed: int,
    q0: Any = 0.0,
    start: str = "",
    max_steps: int = 100,
) -> Solution:
    m = load_mdp(mdp, gamma)
    al, eps = check_rate(alpha, "alpha"), check_rate(epsilon, "epsilon")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise DlstudyError(f"seed: expected a non-negative integer, got {seed!r}")
    if (
        isinstance(max_steps, bool)
        or not isinstance(max_steps, int)
        or not 1 <= max_steps <= 100_000
    ):
        raise DlstudyError(f"max_steps: expected an integer from 1 to 100000, got {max_steps!r}")
    start_name = start or m.start
    if not start_name:
        raise DlstudyError("start: the MDP has no start state: pass start=STATE")
    s = m.index(start_name, "start")
    if m.is_terminal(s):
        raise DlstudyError(f"start: '{start_name}' is a terminal state")
    q = np.zeros((m.n_states, len(m.actions)))
    if isinstance(q0, dict):
        for key, row in _q_table(q0).items():
            i = m.index(key, "q0")
            for a_name, x in row.items():
                q[i, m.action_index(a_name, f"q0: state '{key}'")] = x
    else:
        q[:] = as_float(q0, "q0")
    for i in range(m.n_states):
        if m.is_terminal(i):
            q[i] = 0.0
    rng = np.random.default_rng(seed)
    avail = [np.flatnonzero(m.available[i]) for i in range(m.n_states)]
    steps: list[Step] = []
    trajectory: list[list[Any]] = []
    g_total, discount = 0.0, 1.0
    a = choose_action(rng, q[s], avail[s], eps) if method == "sarsa" else -1
    for t in range(max_steps):
        if method == "q-learning":
            a = choose_action(rng, q[s], avail[s], eps)
        s2, r = sample_next(rng, m.outcomes[(s, a)])
        done = m.is_terminal(s2)
        if done:
            boot, a2, text = 0.0, -1, "0 (terminal)"
        elif method == "sarsa":
            a2 = choose_action(rng, q[s2], avail[s2], eps)
            boot, text = q[s2, a2], f"Q({m.states[s2]}, {m.actions[a2]})"
        else:
            a2 = -1
            boot = float(q[s2][avail[s2]].max())
            text = f"max_a Q({m.states[s2]}, a)"
        target = r + m.gamma * boot
        old = q[s, a]
        q[s, a] = old + al * (target - old)
        trajectory.append([m.states[s], m.actions[a], r, m.states[s2]])
        g_total += discount * r
        discount *= m.gamma
        steps.append(
            Step(
                f"t={t}: {m.states[s]} --{m.actions[a]}--> {m.states[s2]}, r = {f(r)}",
                float(q[s, a]),
                f"target = {f(r)} + {f(m.gamma)}·{text} = {f(target)}; Q({m.states[s]}, "
                f"{m.actions[a]}) = {f(old)} + {f(al)}·({f(target)} - {f(old)}) = {f(q[s, a])}",
            )
        )
        if done:
            break
        s, a = s2, a2
    else:
        steps.append(
            Step(f"stopped after max_steps = {max_steps} without reaching a terminal state")
        )
    result = {"q": m.q_dict(q), "trajectory": trajectory, "return": g_total}
    convention = (
        f"seeded numpy default_rng({seed}); per step: ε-greedy draw u < ε then a uniform action "
        "(rng.integers), then u = rng.random() picks the outcome; ties: first action; "
        + ("A' is chosen before Q(S, A) is updated" if method == "sarsa" else "")
    )
    return Solution(result, steps, [], [], convention.rstrip("; "))


_EPISODE_HELP = {
    "mdp": "the MDP (a gridworld with a start cell S, mdp=@file, or a bundled example name)",
    "alpha": "step size α",
    "gamma": "discount factor (overrides the file's)",
    "epsilon": "exploration probability ε",
    "seed": "the random seed (numpy default_rng)",
    "q0": "initial Q: one number for every (s, a), or state → {action: value}",
    "start": "start state (default: the MDP's start)",
    "max_steps": "stop after this many steps (default 100)",
}


@reference(
    "sarsa-episode",
    section="td",
    summary="one SARSA episode with ε-greedy exploration on a seeded MDP: every update and the final Q",
    params_help=_EPISODE_HELP,
)
def sarsa_episode(
    mdp: Any,
    alpha: float = 0.5,
    gamma: float | None = None,
    epsilon: float = 0.1,
    seed: int = 0,
    q0: Any = 0.0,
    start: str = "",
    max_steps: int = 100,
) -> Solution:
    """A SARSA episode (Sutton & Barto 6.4): A' is drawn ε-greedily from Q(S', ·) before the update.

    Returns ``{"q": state → {action: value}, "trajectory": [[s, a, r, s'], ...], "return": G_0}``.
    """
    return run_episode(mdp, "sarsa", alpha, gamma, epsilon, seed, q0, start, max_steps)


@reference(
    "q-learning-episode",
    section="td",
    summary="one Q-learning episode with ε-greedy exploration on a seeded MDP: every update, final Q",
    params_help=_EPISODE_HELP,
)
def q_learning_episode(
    mdp: Any,
    alpha: float = 0.5,
    gamma: float | None = None,
    epsilon: float = 0.1,
    seed: int = 0,
    q0: Any = 0.0,
    start: str = "",
    max_steps: int = 100,
) -> Solution:
    """A Q-learning episode (Sutton & Barto 6.5): A is drawn ε-greedily, the target uses max Q(S', ·).

    Returns ``{"q": state → {action: value}, "trajectory": [[s, a, r, s'], ...], "return": G_0}``.
    """
    return run_episode(mdp, "q-learning", alpha, gamma, epsilon, seed, q0, start, max_steps)
