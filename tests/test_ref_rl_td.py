"""TD(0), SARSA and Q-learning updates, ε-greedy probabilities and seeded episodes.

Oracles: the update formulas in exact fractions, exact enumeration of the ε-greedy draw, and an
independent loop-based episode runner over the MDP's transition list (same documented draws).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlstudy.errors import DlstudyError
from dlstudy.grading import grade
from dlstudy.reference.gridworld import compile_gridworld
from dlstudy.reference.registry import call

small = st.integers(-5, 5)
rates = st.sampled_from([Fraction(1, 10), Fraction(1, 2), Fraction(1)])
gammas = st.sampled_from([Fraction(0), Fraction(9, 10), Fraction(1)])


# ---------------------------------------------------------------------------------------------
# TD(0)
# ---------------------------------------------------------------------------------------------


def test_td0_by_hand_with_fractions():
    # A -0-> B -1-> T with V = (A: 1/2, B: 1/2), alpha 1/2, gamma 1
    # δ_0 = 0 + V(B) - V(A) = 0; δ_1 = 1 + 0 - 1/2 = 1/2 → V(B) = 3/4
    sol = call("td0", {"values": {"A": 0.5, "B": 0.5}, "episode": ["A", 0, "B", 1, "T"],
                       "alpha": 0.5, "gamma": 1})  # fmt: skip
    assert sol.result == {"A": 0.5, "B": 0.75, "T": 0.0}
    assert [dict(v) for _, v in sol.checkpoints] == [
        {"A": 0.5, "B": 0.5, "T": 0.0},
        {"A": 0.5, "B": 0.75, "T": 0.0},
    ]


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.sampled_from("ABC"), min_size=1, max_size=6),
    st.lists(small, min_size=6, max_size=6),
    st.dictionaries(st.sampled_from("ABC"), small, min_size=3, max_size=3),
    rates,
    gammas,
)
def test_td0_matches_the_formula_in_fractions(path, rewards, init, alpha, gamma):
    states = [*path, "T"]
    episode = []
    for i, s in enumerate(states):
        episode.append(s)
        if i < len(states) - 1:
            episode.append(rewards[i])
    v = {s: Fraction(x) for s, x in init.items()}
    v["T"] = Fraction(0)
    for t in range(len(states) - 1):
        s, s2 = states[t], states[t + 1]
        v[s] += alpha * (rewards[t] + gamma * v[s2] - v[s])
    sol = call("td0", {"values": init, "episode": episode, "alpha": alpha, "gamma": gamma})
    for s in v:
        assert sol.result[s] == pytest.approx(float(v[s]), abs=1e-12)


def test_td0_mistakes_and_bad_input():
    sol = call("td0", {"values": 1, "episode": ["A", 0, "B", 2, "T"], "alpha": 0.5, "gamma": 0.5})
    # correct: δ0 = 0 + .5·1 - 1 = -.5 → V(A) = .75; δ1 = 2 + 0 - 1 = 1 → V(B) = 1.5
    assert sol.result == {"A": 0.75, "B": 1.5, "T": 0.0}
    named = {m.name: m.value for m in sol.mistakes}
    assert grade(sol, named["bootstrap-terminal"]).mistake.name == "bootstrap-terminal"
    assert named["bootstrap-terminal"]["B"] == 1 + 0.5 * (2 + 0.5 * 1 - 1)
    assert grade(sol, named["updated-next"]).mistake.name == "updated-next"
    # V(s') moved instead: δ0 = 0 + .5·1 - 1 = -.5 → V(B) = .75; δ1 = 2 + 0 - .75 → V(T) = .625
    assert named["updated-next"] == {"A": 1, "B": 0.75, "T": 0.625}
    # γ dropped: δ0 = 0 + 1 - 1 = 0 → V(A) = 1; δ1 = 2 + 0 - 1 = 1 → V(B) = 1.5
    assert named["no-discount"] == {"A": 1, "B": 1.5, "T": 0}
    with pytest.raises(DlstudyError, match="no value for state 'B'"):
        call(
            "td0", {"values": {"A": 0}, "episode": ["A", 0, "B", 1, "T"], "alpha": 0.5, "gamma": 1}
        )
    with pytest.raises(DlstudyError, match="alternating states and rewards"):
        call("td0", {"values": 0, "episode": ["A", 0], "alpha": 0.5, "gamma": 1})
    with pytest.raises(DlstudyError, match="alpha: expected a number in"):
        call("td0", {"values": 0, "episode": ["A", 0, "T"], "alpha": 2, "gamma": 1})


# ---------------------------------------------------------------------------------------------
# SARSA and Q-learning updates
# ---------------------------------------------------------------------------------------------

Q = {"A": {"left": 1, "right": 2}, "B": {"left": 3, "right": -1}}


@settings(max_examples=150, deadline=None)
@given(
    small,
    small,
    small,
    small,
    small,
    rates,
    gammas,
    st.booleans(),
    st.sampled_from(["left", "right"]),
)
def test_q_learning_and_sarsa_match_the_formulas(q1, q2, q3, q4, r, alpha, gamma, done, a_next):
    q = {"A": {"left": q1, "right": q2}, "B": {"left": q3, "right": q4}}
    args = {"q": q, "s": "A", "a": "right", "r": r, "s_next": "B", "alpha": alpha, "gamma": gamma,
            "done": done}  # fmt: skip
    boot_max = 0 if done else max(q3, q4)
    expected = q2 + alpha * (r + gamma * boot_max - q2)
    assert call("q-learning-update", args).result == pytest.approx(float(expected), abs=1e-12)
    boot = 0 if done else q["B"][a_next]
    expected = q2 + alpha * (r + gamma * boot - q2)
    sol = call("sarsa-update", {**args, "a_next": a_next})
    assert sol.result == pytest.approx(float(expected), abs=1e-12)


def test_named_update_mistakes():
    args = {"q": Q, "s": "A", "a": "left", "r": 1, "s_next": "B", "alpha": 0.5, "gamma": 0.9}
    sarsa = call("sarsa-update", {**args, "a_next": "right"})
    assert sarsa.result == 1 + 0.5 * (1 + 0.9 * -1 - 1)
    assert grade(sarsa, 1 + 0.5 * (1 + 0.9 * 3 - 1)).mistake.name == "max-in-sarsa"
    done = call("q-learning-update", {**args, "done": True})
    assert done.result == 1 + 0.5 * (1 - 1)
    assert grade(done, 1 + 0.5 * (1 + 0.9 * 3 - 1)).mistake.name == "no-done-mask"
    ql = call("q-learning-update", args)
    assert grade(ql, 1 + 0.5 * (1 + 3 - 1)).mistake.name == "no-discount"


def test_q_as_a_matrix_indexes_states_and_actions():
    sol = call("q-learning-update", {"q": [[1, 2], [3, -1]], "s": 0, "a": 0, "r": 1, "s_next": 1,
                                     "alpha": 0.5, "gamma": 0.9})  # fmt: skip
    assert sol.result == pytest.approx(1 + 0.5 * (1 + 0.9 * 3 - 1))
    sol = call("sarsa-update", {"q": [[1, 2], [3, -1]], "s": 0, "a": 0, "r": 1, "s_next": 1,
                                "a_next": 1, "alpha": 0.5, "gamma": 0.9})  # fmt: skip
    assert sol.result == pytest.approx(1 + 0.5 * (1 + 0.9 * -1 - 1))


def test_terminal_next_state_may_be_missing_from_q():
    sol = call("q-learning-update", {"q": Q, "s": "A", "a": "left", "r": 5, "s_next": "END",
                                     "alpha": 1, "gamma": 1, "done": True})  # fmt: skip
    assert sol.result == 5
    with pytest.raises(DlstudyError, match="s_next: unknown state 'END'"):
        call("q-learning-update", {"q": Q, "s": "A", "a": "left", "r": 5, "s_next": "END",
                                   "alpha": 1, "gamma": 1})  # fmt: skip
    with pytest.raises(DlstudyError, match="a: unknown action 'up' in state 'A'"):
        call("q-learning-update", {"q": Q, "s": "A", "a": "up", "r": 5, "s_next": "B",
                                   "alpha": 1, "gamma": 1})  # fmt: skip
    with pytest.raises(DlstudyError, match="a_next: SARSA needs the next action"):
        call("sarsa-update", {"q": Q, "s": "A", "a": "left", "r": 5, "s_next": "B"})


# ---------------------------------------------------------------------------------------------
# epsilon-greedy
# ---------------------------------------------------------------------------------------------


class ScriptedRng:
    """Replays given draws, to enumerate every path through choose_action."""

    def __init__(self, u: float, k: int) -> None:
        self.u, self.k = u, k

    def random(self) -> float:
        return self.u

    def integers(self, n: int) -> int:
        return self.k


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.integers(-3, 3), min_size=1, max_size=5), st.sampled_from([0, 0.1, 0.25, 0.5, 1])
)
def test_epsilon_greedy_equals_the_exact_law_of_the_draws(q, eps):
    from dlstudy.reference.td_episodes import choose_action

    n = len(q)
    avail = np.arange(n)
    law = np.zeros(n)
    # explore branch (prob ε): each integer draw k has prob 1/n; exploit branch (prob 1 - ε)
    for k in range(n):
        law[choose_action(ScriptedRng(-1.0, k), np.array(q, float), avail, eps)] += eps / n
    law[choose_action(ScriptedRng(2.0, 0), np.array(q, float), avail, eps)] += 1 - eps
    sol = call("epsilon-greedy", {"q": q, "epsilon": eps})
    np.testing.assert_allclose(sol.result, law, atol=1e-12)
    assert sum(sol.result) == pytest.approx(1)


def test_epsilon_greedy_by_hand_and_mistakes():
    sol = call("epsilon-greedy", {"q": {"up": 1, "down": 3, "left": 3, "right": 0}, "epsilon": 0.2})
    assert sol.result == pytest.approx({"up": 0.05, "down": 0.85, "left": 0.05, "right": 0.05})
    wrong = {"up": 0.05, "down": 0.8, "left": 0.05, "right": 0.05}
    assert grade(sol, wrong).mistake.name == "one-minus-epsilon"
    wrong = {"up": 0.2 / 3, "down": 0.8, "left": 0.2 / 3, "right": 0.2 / 3}
    assert grade(sol, wrong).mistake.name == "epsilon-over-others"


def test_epsilon_greedy_sampling_frequencies():
    from dlstudy.reference.td_episodes import choose_action

    rng = np.random.default_rng(0)
    q = np.array([0.0, 2.0, 1.0])
    counts = np.bincount(
        [choose_action(rng, q, np.arange(3), 0.3) for _ in range(20_000)], minlength=3
    )
    np.testing.assert_allclose(counts / 20_000, [0.1, 0.8, 0.1], atol=0.015)


# ---------------------------------------------------------------------------------------------
# Episodes on a seeded gridworld
# ---------------------------------------------------------------------------------------------

GRID = {"grid": "S . .\n. # +5\n. . -5", "step_reward": -1, "slip": 0.2, "gamma": 0.9}


def naive_episode(spec: dict, method: str, alpha, gamma, eps, seed, max_steps=100):
    """An independent loop over the compiled transition list, with the documented draws."""
    rng = np.random.default_rng(seed)
    acts = {}
    for t in spec["transitions"]:
        acts.setdefault(t["state"], [])
        if t["action"] not in acts[t["state"]]:
            acts[t["state"]].append(t["action"])
    q = {s: dict.fromkeys(a_list, 0.0) for s, a_list in acts.items()}
    terminal = set(spec["terminal"])

    def choose(s):
        if rng.random() < eps:
            return acts[s][rng.integers(len(acts[s]))]
        best = max(q[s].values())
        return next(a for a in acts[s] if q[s][a] == best)

    def step(s, a):
        u, total = rng.random(), 0.0
        outs = [t for t in spec["transitions"] if t["state"] == s and t["action"] == a]
        for t in outs:
            total += t["prob"]
            if u < total:
                return t["next"], t["reward"]
        return outs[-1]["next"], outs[-1]["reward"]

    s = spec["start"]
    traj = []
    a = choose(s) if method == "sarsa" else None
    for _ in range(max_steps):
        if method == "q":
            a = choose(s)
        s2, r = step(s, a)
        if s2 in terminal:
            target, a2 = r, None
        elif method == "sarsa":
            a2 = choose(s2)
            target = r + gamma * q[s2][a2]
        else:
            a2 = None
            target = r + gamma * max(q[s2].values())
        q[s][a] += alpha * (target - q[s][a])
        traj.append([s, a, r, s2])
        if s2 in terminal:
            break
        s, a = s2, a2
    return q, traj


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(["sarsa", "q"]), st.sampled_from([0.0, 0.1, 0.5]))
def test_episodes_match_the_naive_runner(seed, method, eps):
    spec = compile_gridworld(GRID)
    name = "sarsa-episode" if method == "sarsa" else "q-learning-episode"
    sol = call(name, {"mdp": GRID, "alpha": 0.5, "epsilon": eps, "seed": seed, "max_steps": 60})
    q, traj = naive_episode(spec, method, 0.5, 0.9, eps, seed, max_steps=60)
    assert sol.result["trajectory"] == traj
    for s, row in q.items():
        for a, x in row.items():
            assert sol.result["q"][s][a] == pytest.approx(x, abs=1e-12)
    g = sum(0.9**t * step[2] for t, step in enumerate(traj))
    assert sol.result["return"] == pytest.approx(g)


def test_episode_is_reproducible_and_needs_a_start():
    a = call("q-learning-episode", {"mdp": "corridor", "seed": 3})
    b = call("q-learning-episode", {"mdp": "corridor", "seed": 3})
    assert a.result == b.result
    with pytest.raises(DlstudyError, match="no start state"):
        call("sarsa-episode", {"mdp": "sutton-barto-4x4"})
    sol = call("sarsa-episode", {"mdp": "sutton-barto-4x4", "start": "r2c2", "seed": 1})
    assert sol.result["trajectory"][0][0] == "r2c2"
    with pytest.raises(DlstudyError, match="is a terminal state"):
        call("sarsa-episode", {"mdp": "sutton-barto-4x4", "start": "r1c1"})


def test_td0_long_episode_writes_out_only_the_first_updates():
    """1,000 transitions: every update counts (checked against the formula in Fractions), but only
    the first MAX_ENTRY_STEPS are written out and kept as checkpoints."""
    from dlstudy.reference.registry import MAX_ENTRY_STEPS

    rng = np.random.default_rng(3)
    states = [f"s{int(i)}" for i in rng.integers(0, 7, 1000)] + ["T"]
    rewards = [int(r) for r in rng.integers(-3, 4, 1000)]
    episode = [x for pair in zip(states, rewards, strict=False) for x in pair] + ["T"]
    alpha, gamma = Fraction(1, 4), Fraction(9, 10)
    v = {s: Fraction(0) for s in states}
    for t in range(1000):
        s, s2 = states[t], states[t + 1]
        v[s] += alpha * (rewards[t] + gamma * v[s2] - v[s])
    sol = call("td0", {"values": 0, "episode": episode, "alpha": 0.25, "gamma": 0.9})
    for s in v:
        assert sol.result[s] == pytest.approx(float(v[s]), rel=1e-9, abs=1e-9)
    assert len(sol.checkpoints) == MAX_ENTRY_STEPS
    assert sol.steps[-1].detail == f"{1000 - MAX_ENTRY_STEPS:,} more updates the same way"
