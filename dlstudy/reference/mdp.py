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
(``dlstudy/examples/mdp/README.md``), compiled by :func:`compile_gridworld`. A policy is ``"uniform"``, a
mapping state → {action: probability}, or a mapping state → action.

Notation of the notes: :math:`G_t = \\sum_k \\gamma^k R_{t+k+1}` and
:math:`v_\\pi(s) = \\sum_a \\pi(a|s) \\sum_{s',r} p(s',r|s,a)[r + \\gamma v_\\pi(s')]`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from dlstudy.errors import DlstudyError, did_you_mean
from dlstudy.output import format_factor, format_number
from dlstudy.reference.registry import (
    ASIDE,
    Mistake,
    Solution,
    Step,
    as_array,
    as_float,
    as_vector,
    reference,
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
_GRID_KEYS = {"grid", "step_reward", "slip", "gamma", "terminal_reward", "name", "description"}
#: Gridworld moves (row, column offsets) in the order of the actions (the greedy tie-break order).
MOVES: dict[str, tuple[int, int]] = {
    "up": (-1, 0),
    "down": (1, 0),
    "left": (0, -1),
    "right": (0, 1),
}
_PERPENDICULAR = {
    "up": ("left", "right"),
    "down": ("left", "right"),
    "left": ("up", "down"),
    "right": ("up", "down"),
}


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
# Gridworld shorthand
# ---------------------------------------------------------------------------------------------

_NUMBER_CELL = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)\Z")


def cell_name(row: int, col: int) -> str:
    """The state name of the cell in (1-based) ``row``, ``col``: ``r1c1`` is the top-left corner."""
    return f"r{row}c{col}"


def _grid_rows(grid: Any) -> list[list[str]]:
    if isinstance(grid, list):
        lines = [str(r) for r in grid]
    elif isinstance(grid, str):
        lines = grid.split("\n")
    else:
        raise DlstudyError("gridworld: 'grid' must be a string of rows (or a list of row strings)")
    lines = [ln.strip() for ln in lines]
    lines = [ln for ln in lines if ln]
    if not lines:
        raise DlstudyError("gridworld: the grid is empty")
    rows: list[list[str]] = []
    for line in lines:
        cells = line.split() if any(c.isspace() for c in line) else list(line)
        rows.append(cells)
    for i, row in enumerate(rows):
        if len(row) != len(rows[0]):
            raise DlstudyError(
                f"gridworld: row {i + 1} has {len(row)} cells but row 1 has {len(rows[0])}; "
                "every row needs the same number of cells"
            )
    return rows


def compile_gridworld(spec: dict[str, Any]) -> dict[str, Any]:
    """Compile the gridworld shorthand to the MDP file format.

    Cells: ``.`` free, ``#`` wall, ``S`` start (free), ``T`` terminal, a number (``+10``, ``-5``)
    terminal with that reward for entering it. Actions up, down, left, right; a move into a wall or off
    the grid stays put. With ``slip`` the move goes to each perpendicular direction with probability
    slip/2. Reward of a move: ``step_reward`` plus the number of the terminal entered
    (``terminal_reward = "add"``, the default) or that number alone (``"replace"``).
    """
    unknown = [k for k in spec if k not in _GRID_KEYS]
    if unknown:
        k = str(unknown[0])
        raise DlstudyError(
            f"gridworld: unknown key '{k}'{did_you_mean(k, _GRID_KEYS)}; keys: grid, step_reward, "
            "slip, gamma, terminal_reward"
        )
    rows = _grid_rows(spec.get("grid"))
    step = _prob_number(spec.get("step_reward", 0.0), "gridworld: step_reward")
    slip = _prob_number(spec.get("slip", 0.0), "gridworld: slip")
    if not 0.0 <= slip <= 1.0:
        raise DlstudyError(f"gridworld: slip must be a probability in [0, 1], got {slip}")
    mode = spec.get("terminal_reward", "add")
    if mode not in ("add", "replace"):
        raise DlstudyError(f"gridworld: terminal_reward must be 'add' or 'replace', got {mode!r}")
    n_rows, n_cols = len(rows), len(rows[0])
    bonus: dict[tuple[int, int], float] = {}
    walls: set[tuple[int, int]] = set()
    start = None
    for r, row in enumerate(rows):
        for c, tok in enumerate(row):
            if tok == "#":
                walls.add((r, c))
            elif tok in ".S":
                if tok == "S":
                    if start is not None:
                        raise DlstudyError(
                            f"gridworld: row {r + 1}, column {c + 1}: a second start cell 'S'"
                        )
                    start = (r, c)
            elif tok == "T":
                bonus[(r, c)] = 0.0
            elif _NUMBER_CELL.match(tok):
                bonus[(r, c)] = float(tok)
            else:
                raise DlstudyError(
                    f"gridworld: row {r + 1}, column {c + 1}: unknown cell '{tok}' "
                    "(use . free, # wall, S start, T terminal, or a number for a terminal reward)"
                )
    cells = [(r, c) for r in range(n_rows) for c in range(n_cols) if (r, c) not in walls]
    if not cells:
        raise DlstudyError("gridworld: every cell is a wall")
    name = {rc: cell_name(rc[0] + 1, rc[1] + 1) for rc in cells}

    def move(rc: tuple[int, int], action: str) -> tuple[int, int]:
        dr, dc = MOVES[action]
        nr, nc = rc[0] + dr, rc[1] + dc
        if 0 <= nr < n_rows and 0 <= nc < n_cols and (nr, nc) not in walls:
            return nr, nc
        return rc

    def reward(target: tuple[int, int]) -> float:
        if target in bonus:
            return (
                bonus[target]
                if mode == "replace" and rows[target[0]][target[1]] != "T"
                else (step + bonus[target])
            )
        return step

    transitions = []
    for rc in cells:
        if rc in bonus:
            continue
        for action in MOVES:
            probs: dict[tuple[int, int], float] = {}
            branches = [(action, 1.0 - slip)]
            branches += [(side, slip / 2) for side in _PERPENDICULAR[action]]
            for direction, p in branches:
                if p > 0:
                    target = move(rc, direction)
                    probs[target] = probs.get(target, 0.0) + p
            for target, p in probs.items():
                transitions.append(
                    {
                        "state": name[rc],
                        "action": action,
                        "next": name[target],
                        "prob": p,
                        "reward": reward(target),
                    }
                )
    out: dict[str, Any] = {
        "states": [name[rc] for rc in cells],
        "actions": list(MOVES),
        "terminal": [name[rc] for rc in cells if rc in bonus],
        "transitions": transitions,
        "step_reward": step,
        "slip": slip,
        "layout": [" ".join(row) for row in rows],
    }
    if "gamma" in spec:
        out["gamma"] = spec["gamma"]
    if start is not None:
        out["start"] = name[start]
    return out


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
    compiled = compile_gridworld({"grid": "\n".join(grid), "gamma": 1.0})
    mdp = load_mdp(compiled)
    pi = policy_matrix(mdp, "uniform")
    return not states_not_terminating(mdp, pi)


# ---------------------------------------------------------------------------------------------
# Reference functions: returns, Bellman backup, exact v_pi
# ---------------------------------------------------------------------------------------------


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
