"""Temporal-difference learning: TD(0) along an episode, SARSA and Q-learning updates, ε-greedy
probabilities (whole episodes on a seeded MDP: :mod:`dlstudy.reference.td_episodes`).

Notation of the notes: ΔV(s) = r + γ V(s') - V(s), V(s) ← V(s) + α ΔV(s); Q(S, A) ← Q(S, A) + α ΔQ
with ΔQ = R + γ max_a' Q(S', a') - Q(S, A) (Q-learning, off-policy) or R + γ Q(S', A') - Q(S, A)
(SARSA, on-policy). The value of a terminal state is 0 (the ``done`` mask).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlstudy.errors import DlstudyError, did_you_mean
from dlstudy.output import format_factor, format_number
from dlstudy.reference.mdp import check_gamma
from dlstudy.reference.registry import (
    MAX_ENTRY_STEPS,
    Mistake,
    Solution,
    Step,
    as_array,
    as_float,
    as_vector,
    reference,
    steps_left,
)

f = format_number


def check_rate(value: Any, label: str) -> float:
    """A step size / probability in [0, 1]."""
    x = as_float(value, label)
    if not 0.0 <= x <= 1.0:
        raise DlstudyError(f"{label}: expected a number in [0, 1], got {f(x)}")
    return x


# ---------------------------------------------------------------------------------------------
# TD(0)
# ---------------------------------------------------------------------------------------------


def _episode(value: Any) -> tuple[list[str], list[float]]:
    """``[s0, r1, s1, r2, s2, ...]`` → states ``[s0, s1, ...]`` and rewards ``[r1, r2, ...]``."""
    if (
        isinstance(value, dict)
        or not isinstance(value, list)
        or len(value) < 3
        or len(value) % 2 == 0
    ):
        raise DlstudyError(
            "episode: expected a list alternating states and rewards, starting and ending with a "
            'state: ["A", 0, "B", 1, "T"] (s0, r1, s1, r2, s2)'
        )
    states = [str(x) for x in value[0::2]]
    for i, x in enumerate(value[0::2]):
        if isinstance(x, (list, dict, bool)) or x is None:
            raise DlstudyError(f"episode[{2 * i}]: expected a state name, got {x!r}")
    rewards = [as_float(x, f"episode[{2 * i + 1}] (a reward)") for i, x in enumerate(value[1::2])]
    return states, rewards


@reference(
    "td0",
    section="td",
    summary="TD(0) along an episode: V(s) ← V(s) + α[r + γ V(s') - V(s)], V(terminal) = 0",
    params_help={
        "values": "initial V: state → value, or one number for every state",
        "episode": 'the episode s0, r1, s1, r2, s2, ...: ["A", 0, "B", 1, "T"]',
        "alpha": "step size α",
        "gamma": "discount factor γ",
        "terminal_last": "the episode's last state is terminal (value 0); default true",
    },
)
def td0(
    values: Any, episode: Any, alpha: float, gamma: float, terminal_last: bool = True
) -> Solution:
    """TD(0) prediction along one episode, updating V after every transition.

    .. math:: \\delta_t = r_{t+1} + \\gamma V(s_{t+1}) - V(s_t), \\qquad
       V(s_t) \\leftarrow V(s_t) + \\alpha\\,\\delta_t

    Parameters
    ----------
    values : dict state → float, or a float for every state
    episode : list ``[s0, r1, s1, ..., r_T, s_T]``
    alpha, gamma : float
    terminal_last : bool
        s_T is terminal: V(s_T) = 0 whatever ``values`` says.

    Returns state → value after the episode.
    """
    states, rewards = _episode(episode)
    a = check_rate(alpha, "alpha")
    g = check_gamma(gamma)
    terminal = states[-1] if terminal_last else None
    if isinstance(values, dict):
        v0 = {str(k): as_float(x, f"values: {k}") for k, x in values.items()}
        missing = [s for s in dict.fromkeys(states) if s not in v0 and s != terminal]
        if missing:
            raise DlstudyError(
                f"values: no value for state '{missing[0]}'{did_you_mean(missing[0], v0)}"
            )
    else:
        init = as_float(values, "values")
        v0 = {s: init for s in dict.fromkeys(states)}

    def run(mode: str) -> tuple[dict[str, float], list[Step], list[tuple[str, Any]]]:
        v = dict(v0)
        if terminal is not None and mode != "bootstrap-terminal":
            v[terminal] = 0.0
        v.setdefault(states[-1], 0.0)
        steps, checkpoints = [], []
        gam = 1.0 if mode == "no-discount" else g
        for t, r in enumerate(rewards):
            s, s2 = states[t], states[t + 1]
            delta = r + gam * v[s2] - v[s]
            target = s2 if mode == "updated-next" else s
            old = v[target]
            v[target] = old + a * delta
            if t >= MAX_ENTRY_STEPS:
                continue  # computed, not written out (nor copied: v has one entry per state)
            steps.append(
                Step(
                    f"step {t + 1}: {s} → {s2}, r = {f(r)}: "
                    f"V({s}) ← V({s}) + α[r + γ V({s2}) − V({s})]",
                    v[target],
                    f"r + γ V({s2}) − V({s}) = {f(r)} + {f(gam)}·{format_factor(v[s2] if target != s2 else old)}"
                    f" − {format_factor(v[s] if target != s else old)} = {f(delta)}; "
                    f"V({target}) = {f(old)} + {f(a)}·{format_factor(delta)} = {f(v[target])}",
                )
            )
            checkpoints.append((f"update {t + 1}", dict(v)))
        if len(rewards) > MAX_ENTRY_STEPS:
            steps.append(steps_left(len(rewards), "updates"))
        return v, steps, checkpoints

    result, steps, checkpoints = run("correct")
    mistakes = []
    for mode, message in (
        (
            "updated-next",
            "you updated V(s') instead of V(s): TD(0) moves the value of the state left",
        ),
        ("no-discount", "you dropped γ: the target is r + γ V(s')"),
        ("bootstrap-terminal", "the value of a terminal state is 0: do not bootstrap from it"),
    ):
        if mode == "no-discount" and g == 1.0:
            continue
        mistakes.append(Mistake(mode, message, run(mode)[0]))
    return Solution(
        result,
        steps,
        mistakes,
        checkpoints,
        "updates applied one after another along the episode; V(terminal) = 0",
    )


# ---------------------------------------------------------------------------------------------
# SARSA and Q-learning: one update
# ---------------------------------------------------------------------------------------------


def _q_table(q: Any) -> dict[str, dict[str, float]]:
    """state → {action: value}; a matrix Q[s][a] names states and actions by their 0-based index."""
    if isinstance(q, (list, np.ndarray)):
        arr = as_array(q, "q", ndim=2)
        return {str(i): {str(j): float(x) for j, x in enumerate(row)} for i, row in enumerate(arr)}
    if not isinstance(q, dict) or not q:
        raise DlstudyError(
            'q: expected an object state → {action: value}, e.g. {"s0": {"left": 0}}, '
            "or a matrix Q[s][a] (states and actions by index)"
        )
    out: dict[str, dict[str, float]] = {}
    for s, row in q.items():
        if not isinstance(row, dict) or not row:
            raise DlstudyError(f"q: state '{s}': expected an object action → value")
        out[str(s)] = {str(a): as_float(x, f"q: state '{s}', action '{a}'") for a, x in row.items()}
    return out


def _state(q: dict[str, dict[str, float]], s: Any, label: str) -> str:
    name = str(s)
    if name not in q:
        raise DlstudyError(
            f"{label}: unknown state '{name}'{did_you_mean(name, q)}; q has: {', '.join(q)}"
        )
    return name


def _action(q: dict[str, dict[str, float]], s: str, a: Any, label: str) -> str:
    name = str(a)
    if name not in q[s]:
        raise DlstudyError(
            f"{label}: unknown action '{name}' in state '{s}'{did_you_mean(name, q[s])}; "
            f"actions: {', '.join(q[s])}"
        )
    return name


_Q_HELP = {
    "q": 'the Q table: state → {action: value}, e.g. {"A": {"left": 1, "right": 2}, "B": {...}}, '
    "or a matrix Q[s][a] with states and actions by 0-based index",
    "s": "the state S",
    "a": "the action A taken in S",
    "r": "the reward R",
    "s_next": "the next state S'",
    "a_next": "the next action A' (SARSA: chosen by the behaviour policy in S')",
    "alpha": "step size α",
    "gamma": "discount factor γ",
    "done": "true if S' is terminal (then the target is R alone)",
}


def _td_update(
    q: Any,
    s: Any,
    a: Any,
    r: float,
    s_next: Any,
    a_next: Any,
    alpha: float,
    gamma: float,
    done: bool,
    method: str,
) -> Solution:
    table = _q_table(q)
    s_ = _state(table, s, "s")
    a_ = _action(table, s_, a, "a")
    r = as_float(r, "r")
    al, g = check_rate(alpha, "alpha"), check_gamma(gamma)
    nxt = str(s_next)
    if not done or nxt in table:
        nxt = _state(table, s_next, "s_next")
    row = table.get(nxt, {})
    q_max = max(row.values()) if row else 0.0
    if method == "sarsa":
        if not done or a_next is not None:
            if a_next is None:
                raise DlstudyError("a_next: SARSA needs the next action A' (unless done=true)")
            q_next = row[_action(table, nxt, a_next, "a_next")]
        else:
            q_next = 0.0
        boot, boot_text = q_next, f"Q({nxt}, {a_next})"
    else:
        boot, boot_text = q_max, f"max_a' Q({nxt}, a')"
    q_sa = table[s_][a_]

    def new_q(bootstrap: float, gam: float, mask: bool) -> float:
        target = r + gam * (0.0 if mask else 1.0) * bootstrap
        return q_sa + al * (target - q_sa)

    result = new_q(boot, g, done)
    target = r + (0.0 if done else g * boot)
    qsa = f"Q({s_}, {a_})"
    if done:
        target_step = Step(
            f"target = r ({nxt} is terminal: no bootstrap)", target, f"{f(r)} = {f(target)}"
        )
    else:
        target_step = Step(
            f"target = r + γ·{boot_text}",
            target,
            f"{f(r)} + {f(g)}·{format_factor(boot)} = {f(target)}",
        )
    steps = [
        target_step,
        Step(
            f"target − {qsa}",
            target - q_sa,
            f"{f(target)} − {format_factor(q_sa)} = {f(target - q_sa)}",
        ),
        Step(
            f"{qsa} ← {qsa} + α(target − {qsa})",
            result,
            f"{f(q_sa)} + {f(al)}·{format_factor(target - q_sa)} = {f(result)}",
        ),
    ]
    mistakes = []
    if method == "sarsa":
        mistakes.append(
            Mistake(
                "max-in-sarsa",
                "that is the Q-learning target: SARSA bootstraps from "
                "Q(S', A') of the action actually taken",
                new_q(q_max, g, done),
            )
        )
    if done:
        mistakes.append(
            Mistake(
                "no-done-mask",
                "S' is terminal: the target is R alone (multiply the bootstrap by 1 - done)",
                new_q(boot, g, False),
            )
        )
    mistakes.append(Mistake("no-discount", "you dropped γ in the target", new_q(boot, 1.0, done)))
    mistakes.append(
        Mistake("delta-only", "that is α ΔQ: add it to the old Q(S, A)", al * (target - q_sa))
    )
    mistakes.append(Mistake("no-alpha", "you forgot the step size: Q + α ΔQ", target))
    return Solution(result, steps, mistakes, convention="V(terminal) = 0: done masks the bootstrap")


@reference(
    "q-learning-update",
    section="td",
    summary="Q(S,A) ← Q(S,A) + α[R + γ(1 - done) max_a' Q(S',a') - Q(S,A)] (off-policy)",
    params_help=_Q_HELP,
)
def q_learning_update(
    q: Any, s: Any, a: Any, r: float, s_next: Any, alpha: float, gamma: float, done: bool = False
) -> Solution:
    """One Q-learning update; returns the new Q(S, A).

    .. math:: Q(S,A) \\leftarrow Q(S,A) + \\alpha\\,[R + \\gamma (1 - d) \\max_{a'} Q(S',a') - Q(S,A)]

    ``q`` maps state → {action: value}; with ``done`` the next state may be missing from ``q``.
    """
    return _td_update(q, s, a, r, s_next, None, alpha, gamma, done, "q-learning")


@reference(
    "sarsa-update",
    section="td",
    summary="Q(S,A) ← Q(S,A) + α[R + γ(1 - done) Q(S',A') - Q(S,A)] (on-policy)",
    params_help=_Q_HELP,
)
def sarsa_update(
    q: Any,
    s: Any,
    a: Any,
    r: float,
    s_next: Any,
    a_next: Any = None,
    alpha: float = 0.1,
    gamma: float = 1.0,
    done: bool = False,
) -> Solution:
    """One SARSA update; returns the new Q(S, A).

    .. math:: Q(S,A) \\leftarrow Q(S,A) + \\alpha\\,[R + \\gamma (1 - d)\\, Q(S',A') - Q(S,A)]
    """
    return _td_update(q, s, a, r, s_next, a_next, alpha, gamma, done, "sarsa")


# ---------------------------------------------------------------------------------------------
# epsilon-greedy
# ---------------------------------------------------------------------------------------------


def epsilon_greedy_probs(q_row: np.ndarray, epsilon: float) -> np.ndarray:
    """π(a) = 1 - ε + ε/|A| for the greedy action (the first maximiser), ε/|A| for the others."""
    n = q_row.size
    probs = np.full(n, epsilon / n)
    probs[int(np.argmax(q_row))] += 1.0 - epsilon
    return probs


@reference(
    "epsilon-greedy",
    section="td",
    summary="ε-greedy probabilities: 1 - ε + ε/|A| for the greedy action, ε/|A| for each other",
    params_help={
        "q": "the action values Q(s, ·): a list, or action → value",
        "epsilon": "exploration probability ε",
    },
)
def epsilon_greedy(q: Any, epsilon: float) -> Solution:
    """ε-greedy action probabilities for one state.

    .. math:: \\pi(a|s) = \\begin{cases} 1 - \\varepsilon + \\varepsilon/|A| & a = \\arg\\max Q(s,\\cdot) \\\\
       \\varepsilon/|A| & \\text{otherwise} \\end{cases}

    With probability ε an action is drawn uniformly from all |A| actions (the greedy one included).
    Ties: the first maximiser is the greedy action. Returns a list (or action → probability when ``q``
    is an object).
    """
    eps = check_rate(epsilon, "epsilon")
    names = None
    if isinstance(q, dict):
        if not q:
            raise DlstudyError("q: expected at least one action")
        names = [str(k) for k in q]
        row = np.array([as_float(x, f"q: {k}") for k, x in q.items()])
    else:
        row = as_vector(q, "q")
    n = row.size
    probs = epsilon_greedy_probs(row, eps)
    greedy = int(np.argmax(row))

    def shape(p: np.ndarray) -> Any:
        return {k: float(x) for k, x in zip(names, p, strict=True)} if names else p.tolist()

    wrong1 = np.full(n, eps / n)
    wrong1[greedy] = 1.0 - eps
    wrong2 = np.full(n, eps / max(n - 1, 1))
    wrong2[greedy] = 1.0 - eps
    steps = [
        Step(
            "greedy action: argmax_a Q(a) (the first on ties)", names[greedy] if names else greedy
        ),
        Step(
            "greedy action: 1 − ε + ε/|A|",
            float(probs[greedy]),
            f"1 − {f(eps)} + {f(eps)}/{n} = {f(float(probs[greedy]))}",
        ),
        Step(
            "every other action: ε/|A| (the random choice is uniform over all actions)",
            eps / n,
            f"{f(eps)}/{n} = {f(eps / n)}",
        ),
    ]
    mistakes = [
        Mistake(
            "one-minus-epsilon",
            "the greedy action also gets its share ε/|A| of the random choice: 1 - ε + ε/|A|",
            shape(wrong1),
        ),
        Mistake(
            "epsilon-over-others",
            "the random choice is over all |A| actions, greedy included: each gets ε/|A|",
            shape(wrong2),
        ),
    ]
    return Solution(
        shape(probs),
        steps,
        mistakes,
        convention="exploration draws uniformly from all actions; ties: first action",
    )
