"""Policy gradients for a tabular softmax policy π_θ(a|s) = exp θ[s,a] / Σ_b exp θ[s,b]: REINFORCE
(full return or reward-to-go, with or without a baseline) and the exact gradient on a bandit.

∇_θ log π(a|s) is e_a - π(·|s) in row s of θ and 0 elsewhere (the dynamics terms have no θ).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlstudy.errors import DlstudyError
from dlstudy.output import format_number
from dlstudy.reference.mdp import check_gamma
from dlstudy.reference.registry import Mistake, Solution, Step, as_array, as_float, reference

f = format_number


def softmax_rows(theta: np.ndarray) -> np.ndarray:
    """Row-wise softmax, shape preserved (stable: subtract the row max)."""
    z = theta - theta.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def _theta(value: Any) -> tuple[np.ndarray, bool]:
    th = as_array(value, "theta")
    if th.ndim == 1:
        return th[None, :], True
    if th.ndim != 2:
        raise DlstudyError(
            f"theta: expected a matrix θ[s, a] (or a vector for a bandit), got shape {th.shape}"
        )
    return th, False


def _episodes(value: Any, theta: np.ndarray, bandit: bool) -> list[list[tuple[int, int, float]]]:
    """One episode ``[[s, a, r], ...]`` or several; a bandit's steps may be ``[a, r]``."""
    if not isinstance(value, list) or not value:
        raise DlstudyError(
            "episodes: expected a list of steps [s, a, r] (or a list of such episodes)"
        )
    many = isinstance(value[0], list) and value[0] and isinstance(value[0][0], list)
    eps = value if many else [value]
    n_s, n_a = theta.shape
    out = []
    for i, ep in enumerate(eps):
        if not isinstance(ep, list) or not ep:
            raise DlstudyError(f"episodes[{i}]: expected a non-empty list of steps [s, a, r]")
        steps = []
        for t, step in enumerate(ep):
            where = f"episodes[{i}][{t}]" if many else f"episodes[{t}]"
            if not isinstance(step, list) or len(step) not in ((2, 3) if bandit else (3,)):
                raise DlstudyError(
                    f"{where}: expected [s, a, r]" + (" or [a, r]" if bandit else "")
                )
            if len(step) == 2:
                step = [0, *step]
            s, a = as_float(step[0], f"{where}: s"), as_float(step[1], f"{where}: a")
            if s != int(s) or not 0 <= s < n_s:
                raise DlstudyError(f"{where}: state index {f(s)} outside 0..{n_s - 1}")
            if a != int(a) or not 0 <= a < n_a:
                raise DlstudyError(f"{where}: action index {f(a)} outside 0..{n_a - 1}")
            steps.append((int(s), int(a), as_float(step[2], f"{where}: r")))
        out.append(steps)
    return out


def returns_weights(
    rewards: np.ndarray, gamma: float, reward_to_go: bool, from_start: bool = False
) -> np.ndarray:
    """Ĝ_t per step: the full return Σ_t' γ^t' r_t' (same for every t), or the reward-to-go
    Σ_{t'≥t} γ^{t'-t} r_t' (``from_start``: the wrong γ^{t'} version)."""
    n = rewards.size
    if not reward_to_go:
        return np.full(n, float((gamma ** np.arange(n) * rewards).sum()))
    out = np.zeros(n)
    for t in range(n):
        powers = np.arange(n - t) + (t if from_start else 0)
        out[t] = float((gamma**powers * rewards[t:]).sum())
    return out


def reinforce_grad(
    theta: np.ndarray,
    episodes: list[list[tuple[int, int, float]]],
    gamma: float,
    baseline: np.ndarray,
    reward_to_go: bool,
    from_start: bool = False,
) -> tuple[np.ndarray, list[np.ndarray]]:
    """(1/N) Σ_i Σ_t (e_{a_t} - π(·|s_t)) (Ĝ_t - b(s_t)) placed in row s_t; also the per-episode Ĝ."""
    pi = softmax_rows(theta)
    grad = np.zeros_like(theta)
    weights = []
    for ep in episodes:
        r = np.array([x[2] for x in ep])
        w = returns_weights(r, gamma, reward_to_go, from_start)
        weights.append(w)
        for t, (s, a, _) in enumerate(ep):
            score = -pi[s].copy()
            score[a] += 1.0
            grad[s] += score * (w[t] - baseline[s])
    return grad / len(episodes), weights


@reference(
    "reinforce-gradient",
    section="policy-gradient",
    summary="REINFORCE ∇J ≈ (1/N) Σ_i Σ_t ∇ log π(a_t|s_t) (Ĝ_t - b(s_t)) for a tabular softmax policy",
    params_help={
        "theta": "logits θ[s, a] of the softmax policy (a vector for a one-state bandit)",
        "episodes": "one episode [[s, a, r], ...] (0-based indices, r = r(s_t, a_t)) or a list of them",
        "gamma": "discount factor γ",
        "baseline": "b(s): one number or a list with one entry per state (default 0)",
        "reward_to_go": "true: Ĝ_t = Σ_{t'≥t} γ^{t'-t} r_t'; false (the notes): Ĝ = Σ_t γ^t r_t",
        "alpha": "optional step size: the steps show θ + α ∇J (gradient ascent)",
    },
)
def reinforce_gradient(
    theta: np.ndarray,
    episodes: Any,
    gamma: float = 1.0,
    baseline: Any = 0.0,
    reward_to_go: bool = False,
    alpha: float | None = None,
) -> Solution:
    """The REINFORCE gradient estimate for π_θ(a|s) = softmax(θ[s, ·])_a.

    .. math:: \\nabla_\\theta J \\approx \\frac{1}{N} \\sum_{i=1}^N \\sum_t
       \\nabla_\\theta \\log \\pi_\\theta(a^i_t|s^i_t)\\,(\\hat G^i_t - b(s^i_t)),
       \\qquad \\nabla_{\\theta[s,\\cdot]} \\log \\pi(a|s) = e_a - \\pi(\\cdot|s)

    Parameters
    ----------
    theta : (S, A), or (A,) for a bandit
    episodes : list of [s, a, r] steps, or a list of such episodes (N of them)
    gamma : float
    baseline : float or (S,)
    reward_to_go : bool
        Ĝ_t = Σ_{t'≥t} γ^{t'-t} r_{t'}; otherwise the full return Σ_t γ^t r_t for every t.
    alpha : float, optional

    Returns ∇J with the shape of ``theta``.
    """
    th, bandit = _theta(theta)
    eps = _episodes(episodes, th, bandit)
    g = check_gamma(gamma)
    b = as_array(baseline, "baseline")
    if b.ndim == 0:
        b = np.full(th.shape[0], float(b))
    elif b.shape != (th.shape[0],):
        raise DlstudyError(
            f"baseline: expected one number or {th.shape[0]} (one per state), got shape {b.shape}"
        )
    grad, weights = reinforce_grad(th, eps, g, b, reward_to_go)

    def shape(x: np.ndarray) -> np.ndarray:
        return x[0] if bandit else x

    one_pull = bandit and len(eps) == 1 and len(eps[0]) == 1 and not np.any(b)
    if one_pull:  # a bandit pulled once: ∇_θ log π(a)·r
        ((_, a, r),) = eps[0]
        pi = softmax_rows(th)[0]
        steps = [
            Step("π = softmax(θ)", pi),
            Step(f"∇_θ log π(a) = e_a − π with a = {a}", np.eye(pi.size)[a] - pi),
            Step(f"∇_θ log π(a)·r with r = {r:g}", shape(grad)),
        ]
    else:
        s_text = "" if bandit else "|s"
        b_text = "" if not np.any(b) else (" − b" if bandit else " − b(s)")
        steps = [
            Step(
                "π = softmax(θ)" if bandit else "π(·|s) = softmax(θ[s, ·])",
                shape(softmax_rows(th)),
            ),
            Step(
                "Ĝ_t per episode" + (" (reward-to-go)" if reward_to_go else " (full return)"),
                weights,
            ),
            Step(
                ("∇J = Σ_t" if len(eps) == 1 else "∇J = (1/N) Σ_i Σ_t")
                + f" (e_a − π(·{s_text}))(Ĝ_t{b_text})",
                shape(grad),
            ),
        ]
    if alpha is not None:
        steps.append(Step("θ + α ∇J (ascent)", shape(th + as_float(alpha, "alpha") * grad)))
    mistakes = [
        Mistake("descent", "that is -∇J: REINFORCE ascends the gradient of J", shape(-grad))
    ]
    if reward_to_go and g != 1:
        wrong, _ = reinforce_grad(th, eps, g, b, True, from_start=True)
        mistakes.append(
            Mistake(
                "gamma-t-not-t-minus-t",
                "the reward-to-go discounts from t: γ^{t'-t}, not γ^{t'}",
                shape(wrong),
            )
        )
    other, _ = reinforce_grad(th, eps, g, b, not reward_to_go)
    mistakes.append(
        Mistake(
            "full-return" if reward_to_go else "reward-to-go",
            "you used the full return Σ γ^t r_t for every step"
            if reward_to_go
            else "reward_to_go=false: every step is weighted by the full return Σ_t γ^t r_t",
            shape(other),
        )
    )
    if np.any(b != 0):
        plain, _ = reinforce_grad(th, eps, g, np.zeros_like(b), reward_to_go)
        mistakes.append(
            Mistake("no-baseline", "you forgot to subtract the baseline b(s_t)", shape(plain))
        )
    conv = "ascent; mean over episodes; no γ^t factor in front of ∇ log π; Ĝ " + (
        "reward-to-go" if reward_to_go else "full return (the notes)"
    )
    return Solution(shape(grad), steps, mistakes, convention=conv)


@reference(
    "bandit-gradient",
    section="policy-gradient",
    summary="exact ∇_θ J for a softmax bandit: J = Σ_a π_a r_a, ∇J = π ⊙ (r - J)",
    params_help={
        "theta": "logits θ_a (a list)",
        "rewards": "expected reward r_a of each arm (a list)",
    },
)
def bandit_gradient(theta: np.ndarray, rewards: np.ndarray) -> Solution:
    """The exact policy gradient of a softmax bandit (the score-function identity, in closed form).

    .. math:: J(\\theta) = \\sum_a \\pi_a r_a, \\qquad
       \\nabla_\\theta J = \\sum_a \\pi_a r_a (e_a - \\pi) = \\pi \\odot (r - J)
    """
    th = as_array(theta, "theta", ndim=1)
    r = as_array(rewards, "rewards", ndim=1)
    if r.shape != th.shape:
        raise DlstudyError(f"rewards: expected {th.size} entries (one per arm), got {r.size}")
    pi = softmax_rows(th)
    j = float(pi @ r)
    grad = pi * (r - j)
    steps = [Step("π = softmax(θ)", pi), Step("J = Σ π_a r_a", j), Step("∇J = π ⊙ (r - J)", grad)]
    mistakes = [
        Mistake("descent", "that is -∇J", -grad),
        Mistake("no-baseline-term", "∇π_a = π_a (e_a - π): you dropped the -π part", pi * r),
    ]
    return Solution(grad, steps, mistakes)
