"""Dynamic programming on a known MDP: iterative policy evaluation, value iteration, policy iteration
and the greedy policy.

Sweeps are synchronous by default (two arrays, Sutton & Barto Fig. 4.1): V_k is computed from V_{k-1}
alone. ``inplace=true`` updates one array state by state in the file's order. V_0 = 0; terminal states
keep value 0. Greedy ties go to the first action in the file's order (within 1e-9).
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

from dlstudy.errors import DlstudyError
from dlstudy.output import format_number
from dlstudy.reference.bellman import _solve_exact, backup_detail
from dlstudy.reference.mdp import (
    MDP,
    load_mdp,
    policy_matrix,
    states_not_terminating,
    values_vector,
)
from dlstudy.reference.registry import Mistake, Solution, Step, reference

#: Hard cap on sweeps when running to a tolerance.
MAX_SWEEPS = 200_000
#: Cap when gamma = 1 (absorbing chains converge geometrically long before this).
MAX_SWEEPS_UNDISCOUNTED = 20_000
#: Sweeps whose values are kept as steps/checkpoints (the rest are summarised).
MAX_RECORDED = 1000
#: Write out every backup when the MDP and the number of sweeps are this small.
_DETAIL_STATES, _DETAIL_SWEEPS = 8, 3
TIE_TOL = 1e-9

_MDP_HELP = "the MDP (mdp=@file.json / .toml, a gridworld, or a bundled example name)"
_SWEEPS_HELP = "number of sweeps k (omitted: until the largest change is below tol)"


def _check_sweeps(sweeps: int | None) -> int | None:
    if sweeps is None:
        return None
    if isinstance(sweeps, bool) or not isinstance(sweeps, (int, float)) or int(sweeps) != sweeps:
        raise DlstudyError(f"sweeps: expected a whole number of sweeps, got {sweeps!r}")
    if not 0 <= sweeps <= MAX_SWEEPS:
        raise DlstudyError(f"sweeps: expected 0 to {MAX_SWEEPS}, got {sweeps}")
    return int(sweeps)


def _check_tol(tol: float) -> float:
    if isinstance(tol, bool) or not isinstance(tol, (int, float)) or not tol > 0:
        raise DlstudyError(f"tol: expected a positive number, got {tol!r}")
    return float(tol)


def _sweep_cap(m: MDP, tol: float) -> int:
    """Sweeps enough for γ < 1 (‖V_k - V_{k-1}‖ ≤ γ^{k-1} max|r|); the hard cap for γ = 1."""
    if m.gamma >= 1.0:
        return MAX_SWEEPS_UNDISCOUNTED
    if m.gamma == 0.0:
        return 2
    scale = float(np.abs(m.R).max()) + 1.0
    need = math.log(tol / scale) / math.log(m.gamma) + 10
    return int(min(MAX_SWEEPS, max(need, 10)))


def sweep(m: MDP, v: np.ndarray, pi: np.ndarray | None, inplace: bool = False) -> np.ndarray:
    """One sweep: the expectation backup under π, or the max backup (value iteration) when π is None.

    Synchronous: V_k(s) from V_{k-1}; in place: states in order, each using the newest values.
    """
    if not inplace:
        q = m.R + m.gamma * (m.P @ v)
        if pi is None:
            return np.where(m.available.any(axis=1), np.where(m.available, q, -np.inf).max(1), 0.0)
        return (pi * q).sum(axis=1)
    v = v.copy()
    for s in range(m.n_states):
        if m.is_terminal(s):
            continue
        q_s = m.R[s] + m.gamma * (m.P[s] @ v)
        v[s] = q_s[m.available[s]].max() if pi is None else float(pi[s] @ q_s)
    return v


def run_sweeps(
    m: MDP,
    pi: np.ndarray | None,
    sweeps: int | None,
    tol: float,
    inplace: bool = False,
    v0: np.ndarray | None = None,
) -> list[np.ndarray]:
    """V_0, V_1, ..., V_k: ``sweeps`` of them, or until the largest change is below ``tol``.

    Raises the domain error when the values do not converge (γ = 1 without termination).
    """
    v = np.zeros(m.n_states) if v0 is None else v0.copy()
    history = [v]
    if sweeps is not None:
        for _ in range(sweeps):
            v = sweep(m, v, pi, inplace)
            history.append(v)
        return history
    cap = _sweep_cap(m, tol)
    for _ in range(cap):
        new = sweep(m, v, pi, inplace)
        history.append(new)
        change = float(np.abs(new - v).max())
        v = new
        if change < tol:
            return history
        if not np.all(np.isfinite(v)) or float(np.abs(v).max()) > 1e15:
            break
    raise DlstudyError(
        f"the values did not converge: after {len(history) - 1} sweeps the largest change is still "
        f"{format_number(float(np.abs(history[-1] - history[-2]).max()))}"
        + (
            " (gamma = 1 and some states never reach a terminal state: use gamma < 1, a policy "
            "that terminates, or a fixed number of sweeps)"
            if m.gamma == 1.0
            else "; pass sweeps=... or a larger tol"
        )
    )


_CELL = re.compile(r"r(\d+)c(\d+)\Z")


def _as_grid(values: dict[str, float]) -> Any:
    """A gridworld's values (states r<row>c<col> filling a rectangle) as a matrix laid out like the
    grid; other MDPs keep state → value."""
    cells = {}
    for name, v in values.items():
        m = _CELL.match(name)
        if not m:
            return values
        cells[(int(m.group(1)), int(m.group(2)))] = v
    rows = max(r for r, _ in cells)
    cols = max(c for _, c in cells)
    if len(cells) != rows * cols:  # walls: keep the names
        return values
    return [[cells[(r, c)] for c in range(1, cols + 1)] for r in range(1, rows + 1)]


def _record(
    m: MDP, history: list[np.ndarray], pi: np.ndarray | None, label: str
) -> tuple[list[Step], list[tuple[str, Any]]]:
    steps: list[Step] = []
    checkpoints: list[tuple[str, Any]] = []
    detailed = m.n_states <= _DETAIL_STATES and len(history) - 1 <= _DETAIL_SWEEPS
    for k in range(1, len(history)):
        if k > MAX_RECORDED and k < len(history) - 1:
            continue
        values = m.values_dict(history[k])
        detail = ""
        if detailed:
            detail = "\n".join(
                backup_detail(m, pi, history[k - 1], s, f"{label}_{k}")
                + f" = {format_number(history[k][s])}"
                for s in range(m.n_states)
                if not m.is_terminal(s)
            )
        steps.append(Step(f"sweep {k}: {label}_{k}", _as_grid(values), detail))
        checkpoints.append((f"sweep {k}", values))
    if len(history) - 1 > MAX_RECORDED + 1:
        steps.insert(MAX_RECORDED, Step(f"... sweeps {MAX_RECORDED + 1} to {len(history) - 2}"))
    return steps, checkpoints


def _terminal_not_zero(m: MDP) -> MDP | None:
    """The MDP a student solves when terminal states keep being updated (each move from a terminal
    stays there with the step reward); only for MDPs with a known step reward (gridworlds)."""
    if m.step_reward is None or not m.terminal:
        return None
    P, R, available = m.P.copy(), m.R.copy(), m.available.copy()
    outcomes = dict(m.outcomes)
    for s in range(m.n_states):
        if m.is_terminal(s):
            P[s, :, :] = 0.0
            P[s, :, s] = 1.0
            R[s, :] = m.step_reward
            available[s, :] = True
            for a in range(len(m.actions)):
                outcomes[(s, a)] = [(s, 1.0, m.step_reward)]
    return MDP(
        m.states, m.actions, m.gamma, frozenset(), P, R, available, outcomes, m.start, m.step_reward
    )


def _mistake_runs(
    m: MDP,
    pi: np.ndarray | None,
    sweeps: int | None,
    tol: float,
    inplace: bool,
    wrap: Any,
) -> list[Mistake]:
    """Wrong-method answers shared by policy evaluation and value iteration."""
    out: list[Mistake] = []

    def attempt(name: str, message: str, run: Any) -> None:
        try:
            out.append(Mistake(name, message, wrap(run())))
        except DlstudyError:
            pass

    other = "synchronous sweeps (two arrays)" if inplace else "in-place sweeps (one array)"
    attempt(
        "inplace-not-synchronous" if not inplace else "synchronous-not-inplace",
        f"you used {other}: "
        + ("V_k(s) uses only V_{k-1}" if not inplace else "in-place sweeps use the newest values"),
        lambda: run_sweeps(m, pi, sweeps, tol, not inplace)[-1],
    )
    if sweeps:
        attempt(
            "k-off-by-one-short",
            f"that is V_{sweeps - 1}: V_0 = 0 is not a sweep, you need {sweeps} backups",
            lambda: run_sweeps(m, pi, sweeps - 1, tol, inplace)[-1],
        )
        attempt(
            "k-off-by-one-long",
            f"that is V_{sweeps + 1}: one sweep too many (V_0 = 0 counts as no sweep)",
            lambda: run_sweeps(m, pi, sweeps + 1, tol, inplace)[-1],
        )
    tnz = _terminal_not_zero(m)
    if tnz is not None and (sweeps is not None or m.gamma < 1):
        pi_t = (
            None
            if pi is None
            else np.where(tnz.available & (pi.sum(1, keepdims=True) == 0), 1.0 / len(m.actions), pi)
        )
        attempt(
            "terminal-not-zero",
            "a terminal state has value 0 forever: do not update it",
            lambda: run_sweeps(tnz, pi_t, sweeps, tol, inplace)[-1],
        )
    return out


def maximisers(q_row: np.ndarray) -> np.ndarray:
    """Indices of the actions within :data:`TIE_TOL` (relative) of max Q(s, ·), in file order."""
    best = q_row.max()
    return np.flatnonzero(q_row >= best - TIE_TOL * max(1.0, abs(best)))


def greedy(m: MDP, v: np.ndarray) -> tuple[dict[str, str], np.ndarray]:
    """The greedy policy w.r.t. V (first action in file order among ties within 1e-9) and Q."""
    q = m.q_values(v)
    policy = {
        m.states[s]: m.actions[int(maximisers(q[s])[0])]
        for s in range(m.n_states)
        if not m.is_terminal(s)
    }
    return policy, q


def _convention(m: MDP, inplace: bool) -> str:
    kind = (
        "in-place sweeps (one array, states in file order)"
        if inplace
        else ("synchronous sweeps (two arrays, Sutton & Barto Fig. 4.1)")
    )
    return f"{kind}; V_0 = 0; terminal states have value 0; gamma = {format_number(m.gamma)}"


@reference(
    "policy-evaluation",
    section="dp",
    summary="iterative policy evaluation: V_k(s) = Σ_a π(a|s) Σ p(s',r|s,a)[r + γ V_{k-1}(s')]",
    params_help={
        "mdp": _MDP_HELP,
        "policy": "'uniform' (default), state → action, or state → {action: probability}",
        "sweeps": _SWEEPS_HELP,
        "tol": "stop when the largest change of a sweep is below tol (default 1e-10)",
        "gamma": "discount factor (overrides the file's)",
        "inplace": "true: in-place sweeps (one array) instead of synchronous ones",
    },
)
def policy_evaluation(
    mdp: Any,
    policy: Any = "uniform",
    sweeps: int | None = None,
    tol: float = 1e-10,
    gamma: float | None = None,
    inplace: bool = False,
) -> Solution:
    """Iterative policy evaluation (Sutton & Barto Fig. 4.1).

    .. math:: V_k(s) = \\sum_a \\pi(a|s) \\sum_{s',r} p(s',r|s,a)\\,[r + \\gamma V_{k-1}(s')],
       \\quad V_0 = 0

    Parameters
    ----------
    mdp : MDP object, gridworld or example name
    policy : "uniform", state → action or state → {action: probability}
    sweeps : int or None
        k; None runs until max_s |V_k(s) - V_{k-1}(s)| < tol.
    tol : float
    gamma : float or None
        Overrides the file's discount factor.
    inplace : bool
        One array updated state by state instead of two.

    Returns state → V_k(s); the steps are every sweep's values.
    """
    m = load_mdp(mdp, gamma)
    pi = policy_matrix(m, policy)
    k = _check_sweeps(sweeps)
    tol = _check_tol(tol)
    if k is None and m.gamma == 1.0:
        stuck = states_not_terminating(m, pi)
        if stuck:
            raise DlstudyError(
                "policy evaluation would not converge: gamma = 1 and the policy never reaches a "
                f"terminal state from {', '.join(stuck)}; use gamma < 1, a policy that terminates, "
                "or a fixed number of sweeps"
            )
    history = run_sweeps(m, pi, k, tol, inplace)
    steps, checkpoints = _record(m, history, pi, "V")
    if k is None:
        steps.append(Step(f"converged after {len(history) - 1} sweeps (largest change < {tol:g})"))
    result = m.values_dict(history[-1])
    mistakes = _mistake_runs(m, pi, k, tol, inplace, m.values_dict)
    return Solution(result, steps, mistakes, checkpoints, _convention(m, inplace))


@reference(
    "value-iteration",
    section="dp",
    summary="value iteration V_k(s) = max_a Σ p(s',r|s,a)[r + γ V_{k-1}(s')] and the greedy policy",
    params_help={
        "mdp": _MDP_HELP,
        "sweeps": _SWEEPS_HELP,
        "tol": "stop when the largest change of a sweep is below tol (default 1e-10)",
        "gamma": "discount factor (overrides the file's)",
        "inplace": "true: in-place sweeps (one array) instead of synchronous ones",
    },
)
def value_iteration(
    mdp: Any,
    sweeps: int | None = None,
    tol: float = 1e-10,
    gamma: float | None = None,
    inplace: bool = False,
) -> Solution:
    """Value iteration, as in the notes.

    .. math:: V_k(s) = \\max_{a} \\sum_{s',r} p(s',r|s,a)\\,[r + \\gamma V_{k-1}(s')], \\quad V_0 = 0

    Returns ``{"values": state → V_k(s), "policy": state → greedy action w.r.t. V_k}`` (terminal
    states have no action). The steps are every sweep's values and the final Q(s, a).
    """
    m = load_mdp(mdp, gamma)
    k = _check_sweeps(sweeps)
    tol = _check_tol(tol)
    history = run_sweeps(m, None, k, tol, inplace)
    steps, checkpoints = _record(m, history, None, "V")
    v = history[-1]
    policy, q = greedy(m, v)
    if k is None:
        steps.append(Step(f"converged after {len(history) - 1} sweeps (largest change < {tol:g})"))
    steps.append(
        Step("q(s, a) = Σ_s' p(s'|s,a) [r + γ V(s')] with the final V", m.q_dict(q), part="policy")
    )
    steps.append(
        Step("greedy policy: argmax_a q(s, a) (ties: first action)", policy, part="policy")
    )

    def wrap(values: np.ndarray) -> dict[str, Any]:
        return {"values": m.values_dict(values), "policy": greedy(m, values)[0]}

    result = wrap(v)
    mistakes = _mistake_runs(m, None, k, tol, inplace, wrap)
    uniform = policy_matrix(m, "uniform")
    try:
        mistakes.insert(
            0,
            Mistake(
                "expectation-not-max",
                "you averaged over the actions (policy evaluation of the uniform policy): value "
                "iteration takes the max over actions",
                wrap(run_sweeps(m, uniform, k, tol, inplace)[-1]),
            ),
        )
    except DlstudyError:
        pass
    return Solution(result, steps, mistakes, checkpoints, _convention(m, inplace))


@reference(
    "greedy-policy",
    section="dp",
    summary="the greedy policy π(s) = argmax_a Σ p(s',r|s,a)[r + γ V(s')] for given values V",
    params_help={
        "mdp": _MDP_HELP,
        "values": "V: state → value, a list in state order, or one number for every state",
        "gamma": "discount factor (overrides the file's)",
    },
)
def greedy_policy(mdp: Any, values: Any, gamma: float | None = None) -> Solution:
    """Policy improvement step: the greedy policy w.r.t. V.

    .. math:: \\pi'(s) = \\arg\\max_a \\sum_{s',r} p(s',r|s,a)\\,[r + \\gamma V(s')]

    Ties go to the first action in the file's order. Returns state → action (non-terminal states).
    """
    m = load_mdp(mdp, gamma)
    v = values_vector(m, values)
    policy, q = greedy(m, v)
    steps = []
    for s in range(m.n_states):
        if m.is_terminal(s):
            continue
        name = m.states[s]
        steps.append(
            Step(
                f"q({name}, a) = Σ_s' p(s'|{name},a) [r + γ V(s')]",
                m.q_dict(q)[name],
                backup_detail(m, None, v, s, "q").replace(f"q({name}) = max", f"q({name}, ·) = "),
                part=name,
            )
        )
        steps.append(
            Step(f"greedy action in {name}: argmax_a q({name}, a)", policy[name], part=name)
        )
    r_only = greedy(m.with_gamma(0.0), v)[0]
    mistakes = []
    if r_only != policy:
        mistakes.append(
            Mistake(
                "immediate-reward-only",
                "you maximised the immediate reward only: add γ V(s')",
                r_only,
            )
        )
    return Solution(policy, steps, mistakes, convention="ties: first action in the file's order")


@reference(
    "policy-iteration",
    section="dp",
    summary="policy iteration: exact evaluation of π, then greedy improvement, until π is stable",
    params_help={
        "mdp": _MDP_HELP,
        "policy": "the initial policy ('uniform' by default)",
        "gamma": "discount factor (overrides the file's)",
    },
)
def policy_iteration(mdp: Any, policy: Any = "uniform", gamma: float | None = None) -> Solution:
    """Policy iteration with exact evaluation (the linear solve of :func:`policy-value-exact`).

    .. math:: v_{\\pi_i} = (I - \\gamma P_{\\pi_i})^{-1} r_{\\pi_i}, \\qquad
       \\pi_{i+1}(s) = \\arg\\max_a \\sum_{s',r} p(s',r|s,a)[r + \\gamma v_{\\pi_i}(s')]

    The greedy step keeps the current action when it is among the maximisers (so it terminates).
    Returns ``{"values": v*, "policy": π*, "iterations": number of improvement steps}``.
    """
    m = load_mdp(mdp, gamma)
    pi = policy_matrix(m, policy)
    steps: list[Step] = []
    checkpoints: list[tuple[str, Any]] = []
    current: dict[str, str] | None = None
    max_iter = 1 + int(np.prod(np.maximum(m.available.sum(axis=1), 1), dtype=float).clip(max=1000))
    for i in range(max_iter):
        try:
            v = _solve_exact(m, pi)
        except DlstudyError as exc:
            raise DlstudyError(f"policy iteration, step {i}: {exc.message}") from None
        steps.append(Step(f"evaluate π_{i}: v_π{i}", m.values_dict(v)))
        checkpoints.append((f"iteration {i}", m.values_dict(v)))
        q = m.q_values(v)
        new: dict[str, str] = {}
        for s in range(m.n_states):
            if m.is_terminal(s):
                continue
            ties = maximisers(q[s])
            keep = current is not None and m.actions.index(current[m.states[s]]) in ties
            new[m.states[s]] = current[m.states[s]] if keep else m.actions[int(ties[0])]
        steps.append(Step(f"improve: π_{i + 1} = greedy(v_π{i})", new))
        if new == current:
            result = {"values": m.values_dict(v), "policy": new, "iterations": i}
            return Solution(
                result,
                steps,
                [],
                checkpoints,
                f"exact evaluation; gamma = {format_number(m.gamma)}",
            )
        current = new
        pi = policy_matrix(m, new)
    raise DlstudyError("policy iteration did not settle on a policy")  # pragma: no cover
