"""MDP file format, gridworld shorthand, returns, Bellman backup and exact v_π.

Oracles: exact rational arithmetic (fractions, sympy Matrix solves), hand-computed gridworld
transitions, and the Bellman equation's residual.
"""

from __future__ import annotations

import json
import re
import subprocess
from fractions import Fraction

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from dlstudy.errors import DlstudyError
from dlstudy.grading import grade
from dlstudy.reference.gridworld import compile_gridworld
from dlstudy.reference.mdp import (
    load_mdp,
    random_gridworld,
    random_mdp,
)
from dlstudy.reference.registry import call
from tests.conftest import ROOT, dlstudy_cmd, subprocess_env

CHAIN = {
    "states": ["s0", "s1", "s2"],
    "actions": ["left", "right"],
    "gamma": 0.5,
    "terminal": ["s2"],
    "transitions": [
        {"state": "s0", "action": "left", "next": "s0", "prob": 1, "reward": 0},
        {"state": "s0", "action": "right", "next": "s1", "prob": "3/4", "reward": 1},
        {"state": "s0", "action": "right", "next": "s0", "prob": "1/4", "reward": 0},
        {"state": "s1", "action": "left", "next": "s0", "prob": 1, "reward": 0},
        {"state": "s1", "action": "right", "next": "s2", "prob": 1, "reward": 10},
    ],
}


def exact_v_pi(spec: dict, policy: dict[str, dict[str, Fraction]], gamma: Fraction) -> dict:
    """v_π by sympy's rational solve of v = r_π + γ P_π v over the non-terminal states."""
    live = [s for s in spec["states"] if s not in spec.get("terminal", [])]
    n = len(live)
    A = sympy.eye(n)
    b = sympy.zeros(n, 1)
    for tr in spec["transitions"]:
        i = live.index(tr["state"])
        w = Fraction(policy[tr["state"]].get(tr["action"], 0)) * Fraction(str(tr["prob"]))
        w = sympy.Rational(w.numerator, w.denominator)
        b[i] += w * sympy.Rational(str(tr["reward"]))
        if tr["next"] in live:
            A[i, live.index(tr["next"])] -= sympy.Rational(gamma.numerator, gamma.denominator) * w
    x = A.LUsolve(b)
    out = {s: 0.0 for s in spec["states"]}
    out.update({s: float(x[i]) for i, s in enumerate(live)})
    return out


def uniform_policy(spec: dict) -> dict[str, dict[str, Fraction]]:
    acts: dict[str, list[str]] = {}
    for tr in spec["transitions"]:
        acts.setdefault(tr["state"], [])
        if tr["action"] not in acts[tr["state"]]:
            acts[tr["state"]].append(tr["action"])
    return {s: {a: Fraction(1, len(a_list)) for a in a_list} for s, a_list in acts.items()}


# ---------------------------------------------------------------------------------------------
# File format and validation
# ---------------------------------------------------------------------------------------------


def test_chain_loads_with_fraction_probabilities():
    m = load_mdp(CHAIN)
    assert m.P[0, 1, 1] == 0.75 and m.P[0, 1, 0] == 0.25
    assert m.R[0, 1] == 0.75  # expected reward 3/4 · 1
    assert m.available.tolist() == [[True, True], [True, True], [False, False]]
    assert load_mdp(CHAIN, gamma=0.9).gamma == 0.9


def _with(**changes):
    spec = {k: (list(v) if isinstance(v, list) else v) for k, v in CHAIN.items()}
    spec["transitions"] = [dict(t) for t in CHAIN["transitions"]]
    for key, value in changes.items():
        if re.fullmatch(r"t\d+_\w+", key):  # t<i>_<field>
            i, field = key[1:].split("_", 1)
            spec["transitions"][int(i)][field] = value
        else:
            spec[key] = value
    return spec


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (_with(t1_state="s9"), "transitions[1]: unknown state 's9'"),
        (_with(t3_next="S1"), "unknown next state 'S1' (did you mean 's1'?)"),
        (_with(t4_action="rigth"), "unknown action 'rigth' (did you mean 'right'?)"),
        (_with(t1_prob=0.5), "state 's0', action 'right': probabilities sum to 0.75"),
        (_with(t1_prob=-0.25, t2_prob=1.25), "transitions[1]: negative probability"),
        (_with(gamma=1.5), "gamma: expected a discount factor in [0, 1], got 1.5"),
        (_with(gamma=-0.1), "expected a discount factor in [0, 1]"),
        (_with(terminal=["s1"]), "transitions[3]: state 's1' is terminal and cannot have"),
        (_with(terminal=["s7"]), "terminal[0]: unknown state 's7'"),
        (_with(terminal=[]), "state 's2' has no transitions and is not terminal"),
        (_with(transitons=[]), "unknown key 'transitons' (did you mean 'transitions'?)"),
        (_with(t0_rewrd=1), "transitions[0]: unknown key 'rewrd' (did you mean 'reward'?)"),
        (_with(t0_prob="abc"), "transitions[0]: prob: expected a number, got 'abc'"),
        (_with(states=["s0", "s0", "s2"]), "states[1]: 's0' is listed twice"),
        ({k: v for k, v in CHAIN.items() if k != "gamma"}, "missing 'gamma'"),
        ([1, 2], "mdp: expected an MDP object"),
        ("no-such-example", "'no-such-example' is not a bundled example"),
    ],
)
def test_bad_mdp_names_the_offending_entry(spec, message):
    with pytest.raises(DlstudyError) as err:
        call("policy-evaluation", {"mdp": spec, "sweeps": 1})
    assert message in err.value.message


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        ({"s0": "left", "s9": "left"}, "policy: unknown state 's9'"),
        ({"s0": "jump", "s1": "left"}, "unknown action 'jump'"),
        ({"s0": {"left": 0.5, "right": 0.25}, "s1": "left"}, "probabilities sum to 0.75"),
        ({"s0": {"left": -0.5, "right": 1.5}, "s1": "left"}, "negative probability"),
        ({"s0": "left"}, "no action given for state 's1'"),
        ("greedy", "expected 'uniform'"),
        (3, "expected 'uniform', an object"),
    ],
)
def test_bad_policy_names_the_offending_entry(policy, message):
    with pytest.raises(DlstudyError) as err:
        call("policy-evaluation", {"mdp": CHAIN, "policy": policy, "sweeps": 1})
    assert message in err.value.message


def test_unavailable_action_in_policy():
    spec = _with()
    spec["transitions"] = [
        t for t in spec["transitions"] if t["action"] != "left" or t["state"] != "s1"
    ]
    with pytest.raises(DlstudyError, match="action 'left' is not available there"):
        call("policy-evaluation", {"mdp": spec, "policy": {"s0": "left", "s1": "left"}})


def test_policy_entries_for_terminal_states_are_ignored():
    sol = call(
        "policy-value-exact", {"mdp": CHAIN, "policy": {"s0": "right", "s1": "right", "s2": "left"}}
    )
    assert sol.result["s2"] == 0.0


def test_cli_bad_mdp_file_exit_2_no_traceback(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(_with(t1_prob=0.5)))
    proc = subprocess.run(
        [*dlstudy_cmd(), "solve", "policy-evaluation", f"mdp=@{path}"],
        capture_output=True, text=True, env=subprocess_env(), timeout=60, cwd=ROOT,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "probabilities sum to 0.75" in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_cli_bundled_example_and_toml_file(tmp_path):
    proc = subprocess.run(
        [*dlstudy_cmd(), "solve", "policy-evaluation", "mdp=sutton-barto-4x4", "sweeps=1", "--json"],
        capture_output=True, text=True, env=subprocess_env(), timeout=60, cwd=ROOT,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["result"]["r1c2"] == -1 and out["result"]["r1c1"] == 0


# ---------------------------------------------------------------------------------------------
# Gridworld shorthand
# ---------------------------------------------------------------------------------------------

RN_GRID = {  # Russell & Norvig's 4x3 world: 0.8 intended, 0.1 to each side
    "grid": """
    . . . +1
    . # . -1
    S . . .
    """,
    "step_reward": -0.04,
    "slip": 0.2,
    "gamma": 1,
}


def _transitions(spec, state, action):
    return {
        (t["next"], round(t["reward"], 12)): round(t["prob"], 12)
        for t in spec["transitions"]
        if t["state"] == state and t["action"] == action
    }


def test_gridworld_compiles_hand_checked_transitions():
    spec = compile_gridworld(RN_GRID)
    assert len(spec["states"]) == 11 and spec["start"] == "r3c1"
    assert sorted(spec["terminal"]) == ["r1c4", "r2c4"]
    # bottom-left, up: 0.8 up, 0.1 left (wall of the grid: stays), 0.1 right
    assert _transitions(spec, "r3c1", "up") == {
        ("r2c1", -0.04): 0.8, ("r3c1", -0.04): 0.1, ("r3c2", -0.04): 0.1,
    }  # fmt: skip
    # r1c3 right into the +1 terminal (reward added to the step reward)
    assert _transitions(spec, "r1c3", "right") == {
        ("r1c4", 0.96): 0.8, ("r1c3", -0.04): 0.1, ("r2c3", -0.04): 0.1,
    }  # fmt: skip
    # r2c3 left bumps into the wall at r2c2 and stays
    assert _transitions(spec, "r2c3", "left") == {
        ("r2c3", -0.04): 0.8, ("r1c3", -0.04): 0.1, ("r3c3", -0.04): 0.1,
    }  # fmt: skip
    replaced = compile_gridworld({**RN_GRID, "terminal_reward": "replace"})
    assert _transitions(replaced, "r1c3", "right")[("r1c4", 1.0)] == 0.8


def test_gridworld_compact_rows_and_list_form():
    a = compile_gridworld({"grid": "T..\n.#.\n..T", "step_reward": -1, "gamma": 1})
    b = compile_gridworld({"grid": ["T . .", ". # .", ". . T"], "step_reward": -1, "gamma": 1})
    assert a["transitions"] == b["transitions"]
    assert "r2c2" not in a["states"]


@pytest.mark.parametrize(
    ("grid", "message"),
    [
        ("T . .\n. .\n. . T", "row 2 has 2 cells but row 1 has 3"),
        ("T . .\n. x .\n. . T", "row 2, column 2: unknown cell 'x'"),
        ("S . .\n. . S\n. . T", "row 2, column 3: a second start cell 'S'"),
        ("# #\n# #", "every cell is a wall"),
        ("", "the grid is empty"),
    ],
)
def test_malformed_grid_names_row_and_column(grid, message):
    with pytest.raises(DlstudyError) as err:
        call("value-iteration", {"mdp": {"grid": grid, "gamma": 0.9}, "sweeps": 1})
    assert message in err.value.message


def test_gridworld_bad_keys_and_slip():
    with pytest.raises(DlstudyError, match="unknown key 'slp'"):
        load_mdp({"grid": "S T", "slp": 0.1, "gamma": 1})
    with pytest.raises(DlstudyError, match="slip must be a probability"):
        load_mdp({"grid": "S T", "slip": 2, "gamma": 1})


def test_example_files_all_load():
    files = sorted((ROOT / "dlstudy" / "examples" / "mdp").glob("*.*"))
    names = [p.stem for p in files if p.suffix in (".json", ".toml")]
    assert "sutton-barto-4x4" in names and len(names) >= 2
    for name in names:
        m = load_mdp(name)
        assert m.n_states >= 2


# ---------------------------------------------------------------------------------------------
# Returns
# ---------------------------------------------------------------------------------------------

rewards_st = st.lists(st.integers(-5, 5), min_size=1, max_size=8)
gammas = st.sampled_from([Fraction(0), Fraction(1, 2), Fraction(9, 10), Fraction(1)])


@settings(max_examples=100, deadline=None)
@given(rewards_st, gammas, st.data())
def test_discounted_return_is_the_exact_sum(rewards, gamma, data):
    t = data.draw(st.integers(0, len(rewards)))
    exact = sum((gamma**k * r for k, r in enumerate(rewards[t:])), Fraction(0))
    sol = call("discounted-return", {"rewards": rewards, "gamma": gamma, "t": t})
    assert sol.result == pytest.approx(float(exact), abs=1e-12)
    all_g = sol.steps[1].value
    assert all_g[t] == pytest.approx(float(exact), abs=1e-12)


def test_discounted_return_mistakes():
    sol = call("discounted-return", {"rewards": [1, 2, 3], "gamma": 0.5, "t": 1})
    assert sol.result == 2 + 0.5 * 3
    assert grade(sol, 0.5 * 2 + 0.25 * 3).mistake.name == "gamma-k-plus-1"
    assert grade(sol, 1 + 0.5 * 2 + 0.25 * 3).mistake.name == "includes-r-t"
    assert grade(sol, 5).mistake.name == "undiscounted"
    with pytest.raises(DlstudyError, match="t: expected an integer step between 0 and 3"):
        call("discounted-return", {"rewards": [1, 2, 3], "gamma": 0.5, "t": 4})


# ---------------------------------------------------------------------------------------------
# Bellman backup and exact v_pi
# ---------------------------------------------------------------------------------------------


def test_bellman_backup_by_hand():
    # uniform policy, V = (2, 4, anything): s0: ½[0 + ½·2] + ½[¾(1 + ½·4) + ¼(0 + ½·2)] = 0.5 + 1.25
    sol = call("bellman-backup", {"mdp": CHAIN, "values": [2, 4, 99], "state": "s0"})
    assert sol.result == pytest.approx(
        Fraction(1, 2) * 1 + Fraction(1, 2) * (Fraction(9, 4) + Fraction(1, 4))
    )
    assert grade(sol, 0.5 * 2 + 0.5 * (0.75 * 5 + 0.25 * 2)).mistake.name == "no-discount"
    full = call("bellman-backup", {"mdp": CHAIN, "values": {"s0": 2, "s1": 4}})
    assert full.result["s1"] == pytest.approx(0.5 * (0 + 0.5 * 2) + 0.5 * 10)
    assert full.result["s2"] == 0


def test_exact_v_pi_matches_sympy_on_the_chain():
    pol = {"s0": {"left": Fraction(1, 3), "right": Fraction(2, 3)}, "s1": {"right": Fraction(1)}}
    sol = call("policy-value-exact", {"mdp": CHAIN, "policy": {
        "s0": {"left": "1/3", "right": "2/3"}, "s1": "right"}})  # fmt: skip
    expected = exact_v_pi(CHAIN, pol, Fraction(1, 2))
    for s in CHAIN["states"]:
        assert sol.result[s] == pytest.approx(expected[s], abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 5), st.integers(1, 3), st.booleans(), gammas)
def test_exact_v_pi_matches_sympy_on_random_mdps(seed, n_s, n_a, det, gamma):
    spec = random_mdp(np.random.default_rng(seed), n_s, n_a, [float(gamma)], (-3, 3), det)
    if gamma == 1 and not spec["terminal"]:
        return
    sol = call("policy-value-exact", {"mdp": spec})
    expected = exact_v_pi(spec, uniform_policy(spec), gamma)
    for s in spec["states"]:
        assert sol.result[s] == pytest.approx(expected[s], rel=1e-9, abs=1e-9)
    # and the Bellman equation holds: one backup of v_pi is v_pi
    back = call("bellman-backup", {"mdp": spec, "values": sol.result})
    for s in spec["states"]:
        assert back.result[s] == pytest.approx(sol.result[s], rel=1e-9, abs=1e-9)


def test_exact_v_pi_gamma_one_never_terminating_is_an_error():
    with pytest.raises(DlstudyError, match="never reaches a terminal state from s0"):
        call(
            "policy-value-exact",
            {"mdp": CHAIN, "policy": {"s0": "left", "s1": "right"}, "gamma": 1},
        )


def test_sutton_barto_exact_values():
    sol = call("policy-value-exact", {"mdp": "sutton-barto-4x4"})
    grid = np.array(list(sol.result.values())).reshape(4, 4)
    published = [[0, -14, -20, -22], [-14, -18, -20, -20], [-20, -20, -18, -14], [-22, -20, -14, 0]]
    np.testing.assert_allclose(grid, published, atol=1e-9)


# ---------------------------------------------------------------------------------------------
# Generators for the question bank
# ---------------------------------------------------------------------------------------------


def cells_reaching_a_terminal(layout: list[str]) -> set[tuple[int, int]]:
    """Free cells of a grid layout from which some path of up/down/left/right moves (not through
    walls) enters a terminal cell: a flood fill backwards from the terminals, on the layout alone."""
    rows = [r.split() for r in layout]
    free = {(i, j) for i, row in enumerate(rows) for j, c in enumerate(row) if c != "#"}
    frontier = [(i, j) for (i, j) in free if rows[i][j] not in (".", "S")]
    seen = set(frontier)
    while frontier:
        i, j = frontier.pop()
        for cell in ((i - 1, j), (i + 1, j), (i, j - 1), (i, j + 1)):
            if cell in free and cell not in seen:
                seen.add(cell)
                frontier.append(cell)
    return seen


def states_reaching_a_terminal(spec: dict) -> set[str]:
    """States with a chain of transitions (any action) into a terminal state: backwards search."""
    seen = set(spec["terminal"])
    changed = True
    while changed:
        changed = False
        for t in spec["transitions"]:
            if t["next"] in seen and t["prob"] > 0 and t["state"] not in seen:
                seen.add(t["state"])
                changed = True
    return seen


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 5), st.integers(1, 3), st.booleans())
def test_random_mdp_is_valid_small_and_reproducible(seed, n_s, n_a, det):
    spec = random_mdp(np.random.default_rng(seed), n_s, n_a, [0.5, 0.9, 1.0], (-2, 2), det)
    assert spec == random_mdp(np.random.default_rng(seed), n_s, n_a, [0.5, 0.9, 1.0], (-2, 2), det)
    m = load_mdp(spec)
    assert m.n_states == n_s
    assert all(
        float(t["reward"]).is_integer() and -2 <= t["reward"] <= 2 for t in spec["transitions"]
    )
    if m.gamma == 1 and n_s > 1:  # a terminal state reachable from everywhere: v_pi is defined
        assert states_reaching_a_terminal(spec) == set(spec["states"])
        call("policy-value-exact", {"mdp": spec})


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 4), st.integers(2, 4), st.integers(0, 2))
def test_random_gridworld_reaches_a_terminal_from_every_cell(seed, rows, cols, n_walls):
    spec = random_gridworld(np.random.default_rng(seed), rows, cols, n_walls, -1, [0.0, 0.2])
    m = load_mdp(spec)
    assert len(spec["layout"]) == rows and m.step_reward == -1
    assert spec["start"] == "r1c1" and "r1c1" not in m.terminal  # templates may ask about r1c1
    free = [
        (i, j) for i, r in enumerate(spec["layout"]) for j, c in enumerate(r.split()) if c != "#"
    ]
    assert cells_reaching_a_terminal(spec["layout"]) == set(free)
    call("policy-value-exact", {"mdp": spec, "gamma": 1})  # uniform policy terminates
