"""Policy evaluation, value iteration, policy iteration and the greedy policy.

Oracles: a naive loop over the transition list in exact fractions (synchronous and in-place sweeps),
Sutton & Barto's published Example 4.1 values, sympy rational solves of v_π, and v* by enumerating
every deterministic policy.
"""

from __future__ import annotations

import itertools
import time
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlstudy.errors import DlstudyError
from dlstudy.grading import grade
from dlstudy.reference.gridworld import compile_gridworld
from dlstudy.reference.mdp import random_mdp
from dlstudy.reference.registry import call
from tests.test_ref_rl_mdp import CHAIN, exact_v_pi, uniform_policy

SB = "sutton-barto-4x4"


def actions_of(spec: dict) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for tr in spec["transitions"]:
        out.setdefault(tr["state"], [])
        if tr["action"] not in out[tr["state"]]:
            out[tr["state"]].append(tr["action"])
    return out


def naive_sweeps(spec: dict, k: int, policy=None, inplace: bool = False) -> dict[str, Fraction]:
    """k sweeps with exact fractions by looping over the transition list (policy None: max)."""
    gamma = Fraction(str(spec["gamma"]))
    v = {s: Fraction(0) for s in spec["states"]}
    acts = actions_of(spec)
    for _ in range(k):
        old = v if inplace else dict(v)
        for s in spec["states"]:
            if s in spec.get("terminal", []):
                continue
            q = {}
            for a in acts[s]:
                q[a] = sum(
                    Fraction(str(t["prob"])) * (Fraction(str(t["reward"])) + gamma * old[t["next"]])
                    for t in spec["transitions"]
                    if t["state"] == s and t["action"] == a
                )
            v[s] = max(q.values()) if policy is None else sum(policy[s].get(a, 0) * q[a] for a in q)
    return v


def v_star_by_enumeration(spec: dict) -> dict[str, float]:
    acts = actions_of(spec)
    live = sorted(acts)
    best = {s: -np.inf for s in spec["states"]}
    gamma = Fraction(str(spec["gamma"]))
    for choice in itertools.product(*(acts[s] for s in live)):
        pol = {s: {a: Fraction(1)} for s, a in zip(live, choice, strict=True)}
        v = exact_v_pi(spec, pol, gamma)
        for s in spec["states"]:
            best[s] = max(best[s], v[s])
    return best


def close_dicts(got: dict, expected: dict, tol: float = 1e-9) -> None:
    assert set(got) == set(expected)
    for s in expected:
        assert got[s] == pytest.approx(float(expected[s]), rel=tol, abs=tol), s


# ---------------------------------------------------------------------------------------------
# Sutton & Barto Example 4.1
# ---------------------------------------------------------------------------------------------

SB_PUBLISHED = {  # Figure 4.1, rounded to one decimal in the book
    1: [[0, -1, -1, -1], [-1, -1, -1, -1], [-1, -1, -1, -1], [-1, -1, -1, 0]],
    2: [
        [0, -1.7, -2.0, -2.0],
        [-1.7, -2.0, -2.0, -2.0],
        [-2.0, -2.0, -2.0, -1.7],
        [-2.0, -2.0, -1.7, 0],
    ],
    3: [
        [0, -2.4, -2.9, -3.0],
        [-2.4, -2.9, -3.0, -2.9],
        [-2.9, -3.0, -2.9, -2.4],
        [-3.0, -2.9, -2.4, 0],
    ],
    None: [[0, -14, -20, -22], [-14, -18, -20, -20], [-20, -20, -18, -14], [-22, -20, -14, 0]],
}


@pytest.mark.parametrize("k", [1, 2, 3, None])
def test_sutton_barto_example_4_1(k):
    args = {"mdp": SB} if k is None else {"mdp": SB, "sweeps": k}
    sol = call("policy-evaluation", args)
    grid = np.array(list(sol.result.values())).reshape(4, 4)
    np.testing.assert_allclose(grid, SB_PUBLISHED[k], atol=0.05 if k else 1e-8)


def test_sutton_barto_sweeps_exact_against_naive_fractions():
    spec = load_spec(SB)
    pol = uniform_policy(spec)
    for k in (1, 2, 3, 10):
        sol = call("policy-evaluation", {"mdp": SB, "sweeps": k})
        close_dicts(sol.result, naive_sweeps(spec, k, pol))
        assert len(sol.checkpoints) == k


def load_spec(name: str) -> dict:
    from dlstudy.reference.mdp import _load_example

    return compile_gridworld(_load_example(name))


def test_sutton_barto_checkpoints_find_the_first_wrong_sweep():
    sol = call("policy-evaluation", {"mdp": SB, "sweeps": 3})
    stages = [dict(v) for _, v in sol.checkpoints]
    stages[1]["r1c2"] = -2.0  # sweep 2 wrong
    stages[2] = dict(stages[2])
    verdict = grade(sol, stages)
    assert not verdict.correct and verdict.first_wrong_step == "sweep 2"
    assert grade(sol, [v for _, v in sol.checkpoints]).correct


def test_sutton_barto_mistakes_are_named():
    spec = load_spec(SB)
    pol = uniform_policy(spec)
    sol = call("policy-evaluation", {"mdp": SB, "sweeps": 2})
    names = {m.name for m in sol.mistakes}
    assert {
        "inplace-not-synchronous",
        "k-off-by-one-short",
        "k-off-by-one-long",
        "terminal-not-zero",
    } <= names
    inplace = {s: float(x) for s, x in naive_sweeps(spec, 2, pol, inplace=True).items()}
    assert grade(sol, inplace).mistake.name == "inplace-not-synchronous"
    v3 = {s: float(x) for s, x in naive_sweeps(spec, 3, pol).items()}
    assert grade(sol, v3).mistake.name == "k-off-by-one-long"
    # terminal states updated like the others: every state is -1 after the first sweep
    assert grade(sol, dict.fromkeys(spec["states"], -2.0)).mistake.name == "terminal-not-zero"


# ---------------------------------------------------------------------------------------------
# Random MDPs
# ---------------------------------------------------------------------------------------------

mdps = st.builds(
    lambda seed, n_s, n_a, det, gamma: random_mdp(np.random.default_rng(seed), n_s, n_a, [gamma], (-3, 3), det),
    st.integers(0, 100_000),
    st.integers(1, 4),
    st.integers(1, 3),
    st.booleans(),
    st.sampled_from([0.0, 0.5, 0.75, 0.9]),
)  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(mdps, st.integers(0, 4), st.booleans())
def test_k_sweeps_match_naive_fraction_loops(spec, k, inplace):
    pol = uniform_policy(spec)
    pe = call("policy-evaluation", {"mdp": spec, "sweeps": k, "inplace": inplace})
    close_dicts(pe.result, naive_sweeps(spec, k, pol, inplace))
    vi = call("value-iteration", {"mdp": spec, "sweeps": k, "inplace": inplace})
    close_dicts(vi.result["values"], naive_sweeps(spec, k, None, inplace))


@settings(max_examples=60, deadline=None)
@given(mdps)
def test_policy_evaluation_converges_to_the_exact_solve(spec):
    sol = call("policy-evaluation", {"mdp": spec, "tol": 1e-12})
    close_dicts(
        sol.result, exact_v_pi(spec, uniform_policy(spec), Fraction(str(spec["gamma"]))), 1e-8
    )


@settings(max_examples=40, deadline=None)
@given(mdps)
def test_value_and_policy_iteration_reach_v_star_by_enumeration(spec):
    v_star = v_star_by_enumeration(spec)
    vi = call("value-iteration", {"mdp": spec})
    close_dicts(vi.result["values"], v_star, 1e-8)
    pi = call("policy-iteration", {"mdp": spec})
    close_dicts(pi.result["values"], v_star, 1e-8)
    # the greedy policy of v* is optimal: its exact value is v*
    greedy = vi.result["policy"]
    pol = {s: {a: Fraction(1)} for s, a in greedy.items()}
    close_dicts(exact_v_pi(spec, pol, Fraction(str(spec["gamma"]))), v_star, 1e-8)
    gp = call("greedy-policy", {"mdp": spec, "values": vi.result["values"]})
    assert gp.result == greedy


def test_value_iteration_mistake_expectation_instead_of_max():
    sol = call("value-iteration", {"mdp": CHAIN, "sweeps": 2})
    pol = uniform_policy(CHAIN)
    avg = {s: float(x) for s, x in naive_sweeps(CHAIN, 2, pol).items()}
    # greedy w.r.t. those averages (V_2 = (1.4296875, 5.09375)): s0 right 2.84 > left 0.71,
    # s1 right 10 > left 0.71
    answer = {"values": avg, "policy": {"s0": "right", "s1": "right"}}
    assert grade(sol, answer).mistake.name == "expectation-not-max"
    # by hand: V_1 = (¾, 10, 0); V_2(s0) = max(0 + ½·¾, ¾(1 + ½·10) + ¼(0 + ½·¾)) = 4.59375
    assert sol.result["values"] == {"s0": 4.59375, "s1": 10.0, "s2": 0.0}
    assert sol.result["policy"] == {"s0": "right", "s1": "right"}


def test_greedy_ties_take_the_first_action_and_immediate_reward_mistake():
    sol = call("greedy-policy", {"mdp": CHAIN, "values": {"s0": 0, "s1": 0}})
    assert sol.result == {"s0": "right", "s1": "right"}
    sol = call("greedy-policy", {"mdp": CHAIN, "values": {"s0": 100, "s1": 0}})
    # left from s1: 0 + ½·100 = 50 > 10; s0: left 50 vs right ¾(1 + 0) + ¼(0 + 50) = 13.25
    assert sol.result == {"s0": "left", "s1": "left"}
    assert grade(sol, {"s0": "right", "s1": "right"}).mistake.name == "immediate-reward-only"
    tie = call("greedy-policy", {"mdp": SB, "values": 0})
    assert set(tie.result.values()) == {"up"}  # all actions tie: the first one


# ---------------------------------------------------------------------------------------------
# Non-convergence and bad input
# ---------------------------------------------------------------------------------------------

LOOP = {
    "states": ["a", "b", "end"],
    "actions": ["stay", "go"],
    "gamma": 1,
    "terminal": ["end"],
    "transitions": [
        {"state": "a", "action": "stay", "next": "a", "reward": 1},
        {"state": "a", "action": "go", "next": "b", "reward": 0},
        {"state": "b", "action": "stay", "next": "b", "reward": -1},
        {"state": "b", "action": "go", "next": "end", "reward": 0},
    ],
}


def test_gamma_one_policy_that_never_terminates_is_reported_quickly():
    start = time.process_time()  # CPU time (about 0.01 s), not the machine's load
    with pytest.raises(DlstudyError, match=r"would not converge: gamma = 1 .* from a"):
        call("policy-evaluation", {"mdp": LOOP, "policy": {"a": "stay", "b": "go"}})
    with pytest.raises(DlstudyError, match="policy evaluation would not converge"):
        call("policy-evaluation", {"mdp": "sutton-barto-4x4", "policy": dict.fromkeys(
            [f"r{r}c{c}" for r in range(1, 5) for c in range(1, 5)], "up")})  # fmt: skip
    # a fixed number of sweeps is fine
    sol = call("policy-evaluation", {"mdp": LOOP, "policy": {"a": "stay", "b": "go"}, "sweeps": 5})
    assert sol.result["a"] == 5
    assert time.process_time() - start < 5


def test_value_iteration_gamma_one_diverging_is_an_error_not_a_hang():
    start = time.process_time()  # CPU time (about 0.4 s: 20,000 sweeps), not the machine's load
    with pytest.raises(DlstudyError, match="did not converge"):
        call("value-iteration", {"mdp": LOOP})
    assert time.process_time() - start < 30
    # with gamma < 1 it converges: V(a) = 1/(1 - 0.5) = 2
    sol = call("value-iteration", {"mdp": LOOP, "gamma": 0.5})
    assert sol.result["values"]["a"] == pytest.approx(2.0)


def test_policy_iteration_reports_an_improper_initial_policy():
    with pytest.raises(DlstudyError, match="policy iteration, step 0: gamma = 1"):
        call("policy-iteration", {"mdp": LOOP, "policy": {"a": "stay", "b": "stay"}})


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"sweeps": -1}, "sweeps: expected 0 to"),
        ({"sweeps": 2.5}, "expected an integer"),
        ({"tol": 0}, "tol: expected a positive number"),
        ({"gamma": 2}, "gamma: expected a discount factor in [0, 1]"),
    ],
)
def test_bad_sweep_arguments(args, message):
    with pytest.raises(DlstudyError) as err:
        call("policy-evaluation", {"mdp": CHAIN, **args})
    assert message in err.value.message


def test_steps_write_out_the_backups_for_small_mdps():
    sol = call("policy-evaluation", {"mdp": CHAIN, "sweeps": 1})
    assert "V_1(s0) = 0.5·(1·[0 + 0.5·0]) + 0.5·(0.75·[1 + 0.5·0] + 0.25·[0 + 0.5·0]) = 0.375" in (
        sol.steps[0].detail
    )
    assert "synchronous" in sol.convention
