"""The gridworld shorthand of the MDP file format (``dlstudy/examples/mdp/README.md``): a grid of
cells (``.`` free, ``#`` wall, ``T`` or a number terminal) compiled into the explicit form
(states, actions up/down/left/right, transitions with an optional slip to the two perpendicular
moves) that :func:`dlstudy.reference.mdp.load_mdp` reads.
"""

from __future__ import annotations

import re
from typing import Any

from dlstudy.errors import DlstudyError, did_you_mean
from dlstudy.reference.mdp import _prob_number

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
