"""MDPs: the file format, the gridworld shorthand, returns, the Bellman expectation backup and the
exact value of a policy.

The MDP file format (JSON or TOML; ``mdp=@file.json`` on the command line)::

    {"states": ["s0", "s1", "s2"], "actions": ["left", "right"], "gamma": 0.9,
     "terminal": ["s2"],
     "transitions": [{"state": "s0", "action": "right", "next": "s1", "prob": 1.0, "reward": -1}, ...]}

An action with no transitions from a state is unavailable there; a terminal state has value 0 and no
transitions; for every available (state, action) the probabilities sum to 1 (within 1e-9). ``prob``
defaults to 1 and ``reward`` to 0; a probability may be written as a fraction string ``"1/3"``.
A dict with a ``grid`` key instead of ``transitions`` is the gridworld shorthand
(``dlstudy/examples/mdp/README.md``), compiled by :func:`dlstudy.reference.gridworld.compile_gridworld`. A policy is ``"uniform"``, a
mapping state → {action: probability}, or a mapping state → action.

Notation of the notes: :math:`G_t = \\sum_k \\gamma^k R_{t+k+1}` and
:math:`v_\\pi(s) = \\sum_a \\pi(a|s) \\sum_{s',r} p(s',r|s,a)[r + \\gamma v_\\pi(s')]`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from dlstudy.errors import DlstudyError, did_you_mean
from dlstudy.output import format_number
from dlstudy.reference.registry import (
    as_array,
    as_float,
)
from dlstudy.values import parse_number

#: Where the bundled example MDPs live (a name such as ``sutton-barto-4x4`` resolves here).
EXAMPLES_DIR = Path(__file__).resolve().parents[1] / "examples" / "mdp"

PROB_TOL = 1e-9
_MDP_KEYS = {
    "states",
    "actions",
    "gamma",
    "terminal",
    "transitions",
    "start",
    "step_reward",
    "slip",
    "layout",
    "name",
    "description",
}
_TRANSITION_KEYS = {"state", "action", "next", "prob", "reward"}


@dataclass(frozen=True)
class MDP:
    """A validated finite MDP.

    ``P[s, a, s']`` are transition probabilities (shape ``(S, A, S)``), ``R[s, a]`` the expected
    reward :math:`\\sum_{s',r} p(s',r|s,a)\\,r` (shape ``(S, A)``), ``available[s, a]`` whether action
    ``a`` can be taken in ``s``; terminal states have no available action.
    """

    states: tuple[str, ...]
    actions: tuple[str, ...]
    gamma: float
    terminal: frozenset[str]
    P: np.ndarray
    R: np.ndarray
    available: np.ndarray
    outcomes: dict[tuple[int, int], list[tuple[int, float, float]]]
    start: str | None = None
    step_reward: float | None = None

    @property
    def n_states(self) -> int:
        return len(self.states)

    def index(self, state: Any, label: str = "state") -> int:
        """The index of ``state``, or the domain error naming it."""
        name = str(state)
        try:
            return self.states.index(name)
        except ValueError:
            raise DlstudyError(
                f"{label}: unknown state '{name}'{did_you_mean(name, self.states)}; "
                f"states: {', '.join(self.states)}"
            ) from None

    def action_index(self, action: Any, label: str = "action") -> int:
        name = str(action)
        try:
            return self.actions.index(name)
        except ValueError:
            raise DlstudyError(
                f"{label}: unknown action '{name}'{did_you_mean(name, self.actions)}; "
                f"actions: {', '.join(self.actions)}"
            ) from None

    def is_terminal(self, s: int) -> bool:
        return self.states[s] in self.terminal

    def values_dict(self, v: np.ndarray) -> dict[str, float]:
        return {name: float(v[i]) for i, name in enumerate(self.states)}

    def q_dict(self, q: np.ndarray) -> dict[str, dict[str, float]]:
        """state → {action: Q(s, a)} over the available actions of the non-terminal states."""
        return {
            self.states[s]: {
                self.actions[a]: float(q[s, a]) for a in np.flatnonzero(self.available[s])
            }
            for s in range(self.n_states)
            if not self.is_terminal(s)
        }

    def with_gamma(self, gamma: float | None) -> MDP:
        if gamma is None:
            return self
        g = check_gamma(gamma)
        return MDP(
            self.states,
            self.actions,
            g,
            self.terminal,
            self.P,
            self.R,
            self.available,
            self.outcomes,
            self.start,
            self.step_reward,
        )

    def q_values(self, v: np.ndarray) -> np.ndarray:
        """:math:`Q(s,a) = \\sum_{s',r} p(s',r|s,a)[r + \\gamma V(s')]`, shape ``(S, A)``; ``-inf``
        where ``a`` is unavailable."""
        q = self.R + self.gamma * (self.P @ v)
        return np.where(self.available, q, -np.inf)


# ---------------------------------------------------------------------------------------------
# Loading and validation
# ---------------------------------------------------------------------------------------------


def check_gamma(gamma: Any, label: str = "gamma") -> float:
    g = _prob_number(gamma, label)
    if not 0.0 <= g <= 1.0:
        raise DlstudyError(f"{label}: expected a discount factor in [0, 1], got {format_number(g)}")
    return g


def _prob_number(value: Any, label: str) -> float:
    """A number, also from a fraction string such as ``"1/3"``."""
    if isinstance(value, str):
        parsed = parse_number(value)
        if parsed is None:
            raise DlstudyError(f"{label}: expected a number, got '{value}'")
        value = parsed
    return as_float(value, label)


def bundled_examples() -> list[str]:
    """Names of the example MDPs in ``dlstudy/examples/mdp`` (usable as ``mdp=NAME``)."""
    if not EXAMPLES_DIR.is_dir():
        return []
    return sorted(p.stem for p in EXAMPLES_DIR.iterdir() if p.suffix in (".json", ".toml"))


def _load_example(name: str) -> dict[str, Any]:
    from dlstudy.values import read_file_value

    names = bundled_examples()
    if name not in names:
        known = f"; bundled examples: {', '.join(names)}" if names else ""
        raise DlstudyError(
            f"mdp: '{name}' is not a bundled example{did_you_mean(name, names)}{known} "
            "(pass an MDP object or mdp=@file.json / @file.toml)"
        )
    for suffix in (".json", ".toml"):
        path = EXAMPLES_DIR / f"{name}{suffix}"
        if path.is_file():
            value = read_file_value(str(path))
            if not isinstance(value, dict):
                raise DlstudyError(f"mdp: example '{name}' is not an MDP object")
            return value
    raise DlstudyError(f"mdp: example '{name}' not found")  # pragma: no cover


def load_mdp(value: Any, gamma: float | None = None) -> MDP:
    """Validate an MDP given as a dict (file format or gridworld shorthand), the name of a bundled
    example, or an :class:`MDP`; ``gamma`` (if given) overrides the file's discount factor."""
    if isinstance(value, MDP):
        return value.with_gamma(gamma)
    if isinstance(value, str):
        value = _load_example(value.strip())
    if not isinstance(value, dict):
        raise DlstudyError(
            "mdp: expected an MDP object (states, actions, gamma, terminal, transitions), a gridworld "
            "(grid = ...), or the name of a bundled example; on the command line use mdp=@file.json"
        )
    if "transitions" not in value and "grid" in value:
        from dlstudy.reference.gridworld import compile_gridworld

        value = compile_gridworld(value)
    return _validate(value, gamma)


def _names(value: Any, key: str) -> list[str]:
    if not isinstance(value, list) or not value:
        raise DlstudyError(f"mdp: '{key}' must be a non-empty list of names")
    names: list[str] = []
    for i, item in enumerate(value):
        if isinstance(item, bool) or not isinstance(item, (str, int)) or str(item).strip() == "":
            raise DlstudyError(f"mdp: {key}[{i}] must be a name (a string), got {item!r}")
        name = str(item).strip()
        if name in names:
            raise DlstudyError(f"mdp: {key}[{i}]: '{name}' is listed twice")
        names.append(name)
    return names


def _validate(spec: dict[str, Any], gamma_override: float | None) -> MDP:
    unknown = [k for k in spec if k not in _MDP_KEYS]
    if unknown:
        k = str(unknown[0])
        raise DlstudyError(
            f"mdp: unknown key '{k}'{did_you_mean(k, _MDP_KEYS)}; "
            f"keys: states, actions, gamma, terminal, transitions (optional: start)"
        )
    for key in ("states", "actions", "transitions"):
        if key not in spec:
            raise DlstudyError(f"mdp: missing '{key}'")
    states = _names(spec["states"], "states")
    actions = _names(spec["actions"], "actions")
    if gamma_override is not None:
        gamma = check_gamma(gamma_override)
    elif "gamma" in spec:
        gamma = check_gamma(spec["gamma"], "mdp: gamma")
    else:
        raise DlstudyError("mdp: missing 'gamma' (put it in the file or pass gamma=...)")
    terminal_list = spec.get("terminal", [])
    if not isinstance(terminal_list, list):
        raise DlstudyError("mdp: 'terminal' must be a list of state names")
    terminal: set[str] = set()
    for i, t in enumerate(terminal_list):
        name = str(t)
        if name not in states:
            raise DlstudyError(
                f"mdp: terminal[{i}]: unknown state '{name}'{did_you_mean(name, states)}"
            )
        terminal.add(name)
    s_idx = {s: i for i, s in enumerate(states)}
    a_idx = {a: i for i, a in enumerate(actions)}
    transitions = spec["transitions"]
    if not isinstance(transitions, list):
        raise DlstudyError("mdp: 'transitions' must be a list of objects")
    n_s, n_a = len(states), len(actions)
    P = np.zeros((n_s, n_a, n_s))
    R = np.zeros((n_s, n_a))
    outcomes: dict[tuple[int, int], list[tuple[int, float, float]]] = {}
    for i, tr in enumerate(transitions):
        where = f"mdp: transitions[{i}]"
        if not isinstance(tr, dict):
            raise DlstudyError(
                f"{where}: expected an object with state, action, next, prob, reward"
            )
        for k in tr:
            if k not in _TRANSITION_KEYS:
                raise DlstudyError(
                    f"{where}: unknown key '{k}'{did_you_mean(str(k), _TRANSITION_KEYS)}; "
                    "keys: state, action, next, prob, reward"
                )
        for k in ("state", "action", "next"):
            if k not in tr:
                raise DlstudyError(f"{where}: missing '{k}'")
        s_name, a_name, n_name = str(tr["state"]), str(tr["action"]), str(tr["next"])
        for name, key in ((s_name, "state"), (n_name, "next")):
            if name not in s_idx:
                kind = "state" if key == "state" else "next state"
                raise DlstudyError(
                    f"{where}: unknown {kind} '{name}'{did_you_mean(name, states)}; "
                    f"states: {', '.join(states)}"
                )
        if a_name not in a_idx:
            raise DlstudyError(
                f"{where}: unknown action '{a_name}'{did_you_mean(a_name, actions)}; "
                f"actions: {', '.join(actions)}"
            )
        if s_name in terminal:
            raise DlstudyError(f"{where}: state '{s_name}' is terminal and cannot have transitions")
        prob = _prob_number(tr.get("prob", 1.0), f"{where}: prob")
        if prob < 0:
            raise DlstudyError(f"{where}: negative probability {format_number(prob)}")
        if prob > 1 + PROB_TOL:
            raise DlstudyError(f"{where}: probability {format_number(prob)} is greater than 1")
        reward = _prob_number(tr.get("reward", 0.0), f"{where}: reward")
        s, a, n = s_idx[s_name], a_idx[a_name], s_idx[n_name]
        P[s, a, n] += prob
        R[s, a] += prob * reward
        outcomes.setdefault((s, a), []).append((n, prob, reward))
    for (s, a), outs in outcomes.items():
        total = math.fsum(p for _, p, _ in outs)
        if abs(total - 1.0) > PROB_TOL:
            raise DlstudyError(
                f"mdp: state '{states[s]}', action '{actions[a]}': probabilities sum to "
                f"{format_number(total, 10)}, expected 1 (within 1e-9)"
            )
    available = np.zeros((n_s, n_a), dtype=bool)
    for s, a in outcomes:
        available[s, a] = True
    for s, name in enumerate(states):
        if name not in terminal and not available[s].any():
            raise DlstudyError(
                f"mdp: state '{name}' has no transitions and is not terminal "
                "(list it under 'terminal' or give it transitions)"
            )
    start = spec.get("start")
    if start is not None:
        start = str(start)
        if start not in s_idx:
            raise DlstudyError(f"mdp: start: unknown state '{start}'{did_you_mean(start, states)}")
    step_reward = spec.get("step_reward")
    if step_reward is not None:
        step_reward = _prob_number(step_reward, "mdp: step_reward")
    return MDP(
        tuple(states),
        tuple(actions),
        gamma,
        frozenset(terminal),
        P,
        R,
        available,
        outcomes,
        start,
        step_reward,
    )


def policy_matrix(mdp: MDP, policy: Any) -> np.ndarray:
    """π(a|s) as an ``(S, A)`` array from ``"uniform"``, state → {action: prob} or state → action.

    Terminal states get an all-zero row; entries for terminal states are ignored.
    """
    n_s, n_a = mdp.n_states, len(mdp.actions)
    if isinstance(policy, str):
        if policy.strip().lower() != "uniform":
            raise DlstudyError(
                f"policy: expected 'uniform' or an object state → action, got '{policy}'"
            )
        counts = mdp.available.sum(axis=1, keepdims=True)
        return np.where(mdp.available, 1.0 / np.maximum(counts, 1), 0.0)
    if not isinstance(policy, dict):
        raise DlstudyError(
            "policy: expected 'uniform', an object state → action, or state → {action: probability}"
        )
    pi = np.zeros((n_s, n_a))
    for key, entry in policy.items():
        s = mdp.index(key, "policy")
        if mdp.is_terminal(s):
            continue
        if isinstance(entry, str):
            entry = {entry: 1.0}
        if not isinstance(entry, dict) or not entry:
            raise DlstudyError(
                f"policy: state '{key}': expected an action name or {{action: probability}}"
            )
        for a_name, p in entry.items():
            a = mdp.action_index(a_name, f"policy: state '{key}'")
            prob = _prob_number(p, f"policy: state '{key}', action '{a_name}'")
            if prob < 0:
                raise DlstudyError(
                    f"policy: state '{key}', action '{a_name}': negative probability"
                )
            if prob > 0 and not mdp.available[s, a]:
                raise DlstudyError(
                    f"policy: state '{key}': action '{a_name}' is not available there "
                    f"(available: {', '.join(available_actions(mdp, s))})"
                )
            pi[s, a] += prob
        total = pi[s].sum()
        if abs(total - 1.0) > PROB_TOL:
            raise DlstudyError(
                f"policy: state '{key}': probabilities sum to {format_number(total, 10)}, expected 1"
            )
    for s, name in enumerate(mdp.states):
        if not mdp.is_terminal(s) and pi[s].sum() == 0:
            raise DlstudyError(f"policy: no action given for state '{name}'")
    return pi


def available_actions(mdp: MDP, s: int) -> list[str]:
    return [mdp.actions[a] for a in np.flatnonzero(mdp.available[s])]


def values_vector(mdp: MDP, values: Any, label: str = "values") -> np.ndarray:
    """V as a length-S vector from a number (all states), a list in state order, or state → value.
    Terminal states are set to 0."""
    v = np.zeros(mdp.n_states)
    if isinstance(values, dict):
        for key, val in values.items():
            v[mdp.index(key, label)] = as_float(val, f"{label}: {key}")
        missing = [
            s for i, s in enumerate(mdp.states) if s not in values and not mdp.is_terminal(i)
        ]
        if missing:
            raise DlstudyError(f"{label}: no value for state(s) {', '.join(missing)}")
    elif isinstance(values, (list, np.ndarray)):
        arr = as_array(values, label, ndim=1)
        if arr.size != mdp.n_states:
            raise DlstudyError(
                f"{label}: expected {mdp.n_states} values (one per state, in the order "
                f"{', '.join(mdp.states)}), got {arr.size}"
            )
        v = arr.copy()
    else:
        v[:] = as_float(values, label)
    for i in range(mdp.n_states):
        if mdp.is_terminal(i):
            v[i] = 0.0
    return v


def states_not_terminating(mdp: MDP, pi: np.ndarray) -> list[str]:
    """Non-terminal states from which no terminal state is reachable under π (graph search)."""
    reach = np.einsum("sa,sat->st", pi, mdp.P) > 0
    good = np.array([mdp.is_terminal(s) for s in range(mdp.n_states)])
    changed = True
    while changed:
        new = good | (reach & good[None, :]).any(axis=1)
        changed = bool((new != good).any())
        good = new
    return [mdp.states[s] for s in range(mdp.n_states) if not good[s]]


# ---------------------------------------------------------------------------------------------
# Random MDPs and gridworlds for the question bank
# ---------------------------------------------------------------------------------------------


def _pick(rng: np.random.Generator, value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return value[int(rng.integers(len(value)))]
    return value


def random_mdp(
    rng: np.random.Generator,
    n_states: int = 3,
    n_actions: int = 2,
    gamma: float | list[float] = 0.9,
    rewards: tuple[int, int] | list[int] = (-2, 2),
    deterministic: bool = True,
) -> dict[str, Any]:
    """A small random MDP in the file format: states ``s0..``, actions ``a0..``, integer rewards in
    ``rewards = [lo, hi]``, ``gamma`` (a list: one is picked). Stochastic transitions split into two
    next states with probabilities that are multiples of 1/4. When gamma = 1 the last state is
    terminal and every other state can reach it (so values converge)."""
    n_states, n_actions = int(n_states), int(n_actions)
    if n_states < 1 or n_actions < 1:
        raise DlstudyError("random_mdp: n_states and n_actions must be at least 1")
    g = float(_pick(rng, gamma))
    lo, hi = int(rewards[0]), int(rewards[1])
    states = [f"s{i}" for i in range(n_states)]
    actions = [f"a{j}" for j in range(n_actions)]
    terminal = [states[-1]] if g == 1.0 and n_states > 1 else []
    transitions: list[dict[str, Any]] = []
    for i, s in enumerate(states):
        if s in terminal:
            continue
        for j, a in enumerate(actions):
            if terminal and j == 0:  # s_i --a0--> s_{i+1}: every state can reach the terminal
                nexts = [(states[i + 1], 1.0)]
            elif deterministic:
                nexts = [(states[int(rng.integers(n_states))], 1.0)]
            else:
                first, second = rng.choice(n_states, size=2, replace=n_states < 2)
                p = float(rng.choice([0.25, 0.5, 0.75]))
                nexts = [(states[int(first)], p), (states[int(second)], 1.0 - p)]
            for n, p in nexts:
                transitions.append(
                    {
                        "state": s,
                        "action": a,
                        "next": n,
                        "prob": p,
                        "reward": int(rng.integers(lo, hi + 1)),
                    }
                )
    return {
        "states": states,
        "actions": actions,
        "gamma": g,
        "terminal": terminal,
        "transitions": transitions,
    }


def random_gridworld(
    rng: np.random.Generator,
    rows: int = 3,
    cols: int = 4,
    n_walls: int = 1,
    step_reward: float | list[float] = -1,
    slip: float | list[float] = 0.0,
    gamma: float | list[float] = 0.9,
) -> dict[str, Any]:
    """A random gridworld compiled to the MDP format: the start S in the top-left cell ``r1c1``
    (never a wall or terminal, so templates can ask about it), one goal terminal with reward +1, +5
    or +10, a pit (-1, -5 or -10) when the grid has at least 6 free cells, ``n_walls`` walls, and
    every free cell able to reach a terminal. The shorthand is kept under ``layout``."""
    from dlstudy.reference.gridworld import compile_gridworld

    rows, cols, n_walls = int(rows), int(cols), int(n_walls)
    if rows < 1 or cols < 1 or n_walls < 0 or rows * cols < 2 + n_walls:
        raise DlstudyError("random_gridworld: the grid is too small for a goal and the walls")
    for _ in range(100):
        cells = ["S"] + ["."] * (rows * cols - 1)
        order = 1 + rng.permutation(rows * cols - 1)
        cells[order[0]] = f"+{int(rng.choice([1, 5, 10]))}"
        k = 1
        if rows * cols - n_walls >= 6:
            cells[order[1]] = f"-{int(rng.choice([1, 5, 10]))}"
            k = 2
        for idx in order[k : k + n_walls]:
            cells[idx] = "#"
        grid = [" ".join(cells[r * cols : (r + 1) * cols]) for r in range(rows)]
        if _all_reach_terminal(grid):
            spec = {
                "grid": "\n".join(grid),
                "step_reward": _pick(rng, step_reward),
                "slip": _pick(rng, slip),
                "gamma": _pick(rng, gamma),
            }
            return compile_gridworld(spec)
    raise DlstudyError("random_gridworld: could not place the walls without cutting off cells")


def _all_reach_terminal(grid: list[str]) -> bool:
    from dlstudy.reference.gridworld import compile_gridworld

    compiled = compile_gridworld({"grid": "\n".join(grid), "gamma": 1.0})
    mdp = load_mdp(compiled)
    pi = policy_matrix(mdp, "uniform")
    return not states_not_terminating(mdp, pi)
