"""Actor-critic methods: the TD error and the tabular actor/critic updates, TRPO's surrogate, mean KL
and feasibility, PPO's clipped objective and its gradient, DDPG's soft target update and critic target.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlstudy.errors import DlstudyError
from dlstudy.output import format_factor, format_number
from dlstudy.reference.divergences import kl_terms
from dlstudy.reference.dqn import batch_matrix, batch_vector, done_vector
from dlstudy.reference.mdp import check_gamma
from dlstudy.reference.policy_gradient import softmax_rows
from dlstudy.reference.registry import (
    ASIDE,
    Mistake,
    Solution,
    Step,
    as_array,
    as_float,
    reference,
)
from dlstudy.reference.td import check_rate

f = format_number


# ---------------------------------------------------------------------------------------------
# Actor-critic
# ---------------------------------------------------------------------------------------------


@reference(
    "actor-critic-td",
    section="actor-critic",
    summary="TD error δ = r + γ (1 - done) V(s') - V(s), the critic's advantage estimate",
    params_help={
        "r": "reward r(s, a)",
        "v_s": "critic value V(s)",
        "v_next": "critic value V(s')",
        "gamma": "discount factor γ",
        "done": "true if s' is terminal (V(s') counts as 0)",
    },
)
def actor_critic_td(
    r: float, v_s: float, v_next: float, gamma: float, done: bool = False
) -> Solution:
    """The actor-critic weight of ∇ log π (the notes' r + γ V(s') - V(s)).

    .. math:: \\delta = r + \\gamma (1 - d)\\, V(s') - V(s)
    """
    g = check_gamma(gamma)
    boot = 0.0 if done else g * v_next
    delta = r + boot - v_s
    if done:
        steps = [
            Step(
                "δ = r − V(s) (s' is terminal: V(s') counts as 0)",
                delta,
                f"{f(r)} − {format_factor(v_s)} = {f(delta)}",
            )
        ]
    else:
        steps = [
            Step(
                "δ = r + γ V(s') − V(s)",
                delta,
                f"{f(r)} + {f(g)}·{format_factor(v_next)} − {format_factor(v_s)} = {f(delta)}",
            )
        ]
    mistakes = [Mistake("sign-flipped", "δ = target - V(s), not V(s) - target", -delta)]
    if done:
        mistakes.append(
            Mistake(
                "bootstrap-terminal",
                "s' is terminal: do not bootstrap from V(s')",
                r + g * v_next - v_s,
            )
        )
    if g != 1:
        mistakes.append(Mistake("no-discount", "you dropped γ", r + (0 if done else v_next) - v_s))
    return Solution(delta, steps, mistakes, convention="V(terminal) = 0")


@reference(
    "actor-critic-update",
    section="actor-critic",
    summary="one tabular actor-critic step: δ, V(s) += α_c δ, θ[s] += α_a δ (e_a - π(·|s))",
    params_help={
        "theta": "actor logits θ[s, a] (softmax policy)",
        "v": "critic values V(s), one per state (a list)",
        "s": "state index",
        "a": "action index",
        "r": "reward",
        "s_next": "next state index",
        "gamma": "discount factor γ",
        "alpha_actor": "actor step size",
        "alpha_critic": "critic step size",
        "done": "true if s' is terminal",
    },
)
def actor_critic_update(
    theta: np.ndarray,
    v: np.ndarray,
    s: int,
    a: int,
    r: float,
    s_next: int,
    gamma: float,
    alpha_actor: float,
    alpha_critic: float,
    done: bool = False,
) -> Solution:
    """One-step actor-critic with a tabular softmax actor and a tabular critic.

    .. math:: \\delta = r + \\gamma(1-d) V(s') - V(s), \\quad V(s) \\mathrel{+}= \\alpha_c \\delta,
       \\quad \\theta[s,\\cdot] \\mathrel{+}= \\alpha_a\\, \\delta\\, (e_a - \\pi(\\cdot|s))

    Both updates use δ computed before either changes. Returns ``{"delta", "v", "theta"}``.
    """
    th = as_array(theta, "theta", ndim=2)
    vv = as_array(v, "v", ndim=1)
    n_s, n_a = th.shape
    if vv.size != n_s:
        raise DlstudyError(f"v: expected {n_s} values (one per row of theta), got {vv.size}")
    for name, x, hi in (("s", s, n_s), ("s_next", s_next, n_s), ("a", a, n_a)):
        if isinstance(x, bool) or not isinstance(x, int) or not 0 <= x < hi:
            raise DlstudyError(f"{name}: expected an index 0..{hi - 1}, got {x!r}")
    g = check_gamma(gamma)
    aa, ac = as_float(alpha_actor, "alpha_actor"), as_float(alpha_critic, "alpha_critic")

    def step(bootstrap_terminal: bool) -> dict[str, Any]:
        boot = 0.0 if (done and not bootstrap_terminal) else g * vv[s_next]
        delta = float(r + boot - vv[s])
        v_new = vv.copy()
        v_new[s] += ac * delta
        th_new = th.copy()
        score = -softmax_rows(th[s])
        score[a] += 1.0
        th_new[s] += aa * delta * score
        return {"delta": delta, "v": v_new, "theta": th_new}

    result = step(False)
    pi_s = softmax_rows(th[s])
    steps = [
        Step("δ = r + γ (1 - done) V(s') - V(s)", result["delta"]),
        Step("critic: V(s) ← V(s) + α_c δ", result["v"]),
        Step("π(·|s) = softmax(θ[s])", pi_s),
        Step("actor: θ[s] ← θ[s] + α_a δ (e_a - π(·|s))", result["theta"]),
    ]
    mistakes = []
    if done:
        mistakes.append(Mistake("bootstrap-terminal", "s' is terminal: δ = r - V(s)", step(True)))
    return Solution(result, steps, mistakes, convention="δ from the old V for both updates")


# ---------------------------------------------------------------------------------------------
# TRPO
# ---------------------------------------------------------------------------------------------


def _dists(value: Any, label: str, n: int | None = None) -> np.ndarray:
    p = batch_matrix(value, label, n)
    if np.any(p < 0) or np.any(np.abs(p.sum(axis=1) - 1) > 1e-6):
        raise DlstudyError(
            f"{label}: every row must be a probability distribution (≥ 0, summing to 1)"
        )
    return p


def kl_rows(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """KL(p_i || q_i) in nats per row (inf where q = 0 < p)."""
    return kl_terms(p, q).sum(axis=1)


@reference(
    "trpo-step",
    section="actor-critic",
    summary="TRPO: surrogate mean_t r_t A_t, mean KL(π_old || π_new) and whether KL ≤ δ",
    params_help={
        "pi_old": "π_old(·|s_t): one row of action probabilities per sample",
        "pi_new": "π_new(·|s_t): one row per sample",
        "actions": "actions a_t (0-based column indices)",
        "advantage": "advantages A_t (a list)",
        "delta": "trust-region size δ",
    },
)
def trpo_step(pi_old: Any, pi_new: Any, actions: Any, advantage: Any, delta: float) -> Solution:
    """TRPO's quantities for a candidate step.

    .. math:: L(\\theta) = \\mathbb{E}_t\\Big[\\frac{\\pi_\\theta(a_t|s_t)}{\\pi_{old}(a_t|s_t)} A_t\\Big],
       \\quad \\overline{KL} = \\mathbb{E}_t\\, D_{KL}(\\pi_{old}(\\cdot|s_t)\\,\\|\\,\\pi_\\theta(\\cdot|s_t))

    Feasible when mean KL ≤ δ (the notes write < δ). KL in nats. Returns
    ``{"surrogate", "mean_kl", "feasible"}``.
    """
    adv = batch_vector(advantage, "advantage")
    n = adv.size
    p_old, p_new = _dists(pi_old, "pi_old", n), _dists(pi_new, "pi_new", n)
    if p_old.shape != p_new.shape:
        raise DlstudyError(f"pi_new: expected shape {p_old.shape} like pi_old, got {p_new.shape}")
    acts = batch_vector(actions, "actions", n)
    if not np.all((acts == np.round(acts)) & (acts >= 0) & (acts < p_old.shape[1])):
        raise DlstudyError(f"actions: expected integer column indices 0..{p_old.shape[1] - 1}")
    d = as_float(delta, "delta")
    if d <= 0:
        raise DlstudyError("delta: expected a positive trust-region size")
    idx = (np.arange(n), acts.astype(int))
    if np.any(p_old[idx] == 0):
        raise DlstudyError("pi_old: the action taken must have positive probability under π_old")

    def quantities(ratio: np.ndarray, kl: np.ndarray) -> dict[str, Any]:
        m = float(kl.mean())
        return {"surrogate": float((ratio * adv).mean()), "mean_kl": m, "feasible": bool(m <= d)}

    ratio = p_new[idx] / p_old[idx]
    kl = kl_rows(p_old, p_new)
    result = quantities(ratio, kl)
    surrogate = ("surrogate",)
    one = n == 1
    kl_detail = (
        " + ".join(
            f"{f(a)}·log({f(a)}/{f(b)})" for a, b in zip(p_old[0], p_new[0], strict=True) if a > 0
        )
        + f" = {f(float(kl[0]))}"
        if one
        else ""
    )
    steps = [
        Step("ratios r_t = π_new(a_t|s_t) / π_old(a_t|s_t)", ratio, part=surrogate),
        Step("surrogate = mean r_t A_t", result["surrogate"], part=surrogate),
        Step(
            "KL(π_old ‖ π_new) = Σ_a π_old log(π_old/π_new) (nats)"
            if one
            else "KL(π_old(·|s_t) ‖ π_new(·|s_t)) per sample (nats)",
            float(kl[0]) if one else kl,
            kl_detail,
            part=("mean_kl", "feasible"),
        ),
        Step(
            f"{'KL' if one else 'mean KL'} = {f(result['mean_kl'])} ≤ δ = {f(d)}?",
            result["feasible"],
            part="feasible",
        ),
    ]
    mistakes = []
    inv = np.where(p_new[idx] > 0, p_old[idx] / np.where(p_new[idx] > 0, p_new[idx], 1), np.inf)
    mistakes.append(Mistake("inverted-ratio", "the ratio is π_new / π_old", quantities(inv, kl)))
    mistakes.append(
        Mistake(
            "kl-reversed",
            "TRPO's constraint is KL(π_old || π_new), in that order",
            quantities(ratio, kl_rows(p_new, p_old)),
        )
    )
    return Solution(result, steps, mistakes, convention="KL in nats; feasible iff mean KL ≤ δ")


# ---------------------------------------------------------------------------------------------
# PPO
# ---------------------------------------------------------------------------------------------


def _ppo_inputs(ratio: Any, advantage: Any, epsilon: float) -> tuple[np.ndarray, np.ndarray, float]:
    r = batch_vector(ratio, "ratio")
    a = batch_vector(advantage, "advantage", r.size)
    if np.any(r < 0):
        raise DlstudyError("ratio: probability ratios are ≥ 0")
    eps = check_rate(epsilon, "epsilon")
    if float(np.abs(r).max()) * float(np.abs(a).max()) > 1e300:
        raise DlstudyError("ratio, advantage: values too large to multiply")
    return r, a, eps


def ppo_objective(r: np.ndarray, a: np.ndarray, eps: float) -> np.ndarray:
    """min(r A, clip(r, 1-ε, 1+ε) A) per sample."""
    return np.minimum(r * a, np.clip(r, 1 - eps, 1 + eps) * a)


def ppo_grad_ratio(r: np.ndarray, a: np.ndarray, eps: float) -> np.ndarray:
    """∂/∂r of min(r A, clip(r) A): A unless the clipped branch is active (A > 0 and r > 1+ε, or
    A < 0 and r < 1-ε), then 0. At r = 1 ± ε exactly the unclipped branch's A is used."""
    clipped = ((a > 0) & (r > 1 + eps)) | ((a < 0) & (r < 1 - eps))
    return np.where(clipped, 0.0, a)


@reference(
    "ppo-clip",
    section="actor-critic",
    summary="PPO per-sample objective min(r·A, clip(r, 1-ε, 1+ε)·A)",
    params_help={
        "ratio": "probability ratios r_t = π_θ(a_t|s_t) / π_old(a_t|s_t) (a list)",
        "advantage": "advantages A_t (a list)",
        "epsilon": "clip range ε (e.g. 0.2)",
    },
)
def ppo_clip(ratio: Any, advantage: Any, epsilon: float = 0.2) -> Solution:
    """PPO's clipped surrogate, per sample.

    .. math:: L^{CLIP}_t = \\min\\big(r_t A_t,\\; \\mathrm{clip}(r_t, 1-\\epsilon, 1+\\epsilon) A_t\\big)

    The notes write min(r, clip r)·A, which differs when A < 0 (ε = 0.2, A = -1, r = 2: the correct
    value is -2, the notes' -1.2). Returns a list.
    """
    r, a, eps = _ppo_inputs(ratio, advantage, epsilon)
    obj = ppo_objective(r, a, eps)
    clipped_r = np.clip(r, 1 - eps, 1 + eps)
    steps = [
        Step("r·A", r * a),
        Step("clip(r, 1-ε, 1+ε)", clipped_r),
        Step("clip(r, 1-ε, 1+ε)·A", clipped_r * a),
        Step("min of the two", obj),
        Step("batch mean", float(obj.mean()), part=ASIDE),
    ]
    mistakes = [
        Mistake(
            "notes-min-then-times-a",
            "min(r, clip r)·A is the notes' typo: take the min of "
            "r·A and clip(r)·A (they differ when A < 0)",
            np.minimum(r, clipped_r) * a,
        ),
        Mistake(
            "clip-advantage",
            "clip the ratio, not the advantage",
            np.minimum(r * a, r * np.clip(a, 1 - eps, 1 + eps)),
        ),
        Mistake(
            "no-min",
            "PPO takes the min with the unclipped r·A (a pessimistic bound)",
            clipped_r * a,
        ),
    ]
    if np.all(r > 0):
        mistakes.append(
            Mistake(
                "inverted-ratio", "r = π_θ / π_old, not π_old / π_θ", ppo_objective(1 / r, a, eps)
            )
        )
    return Solution(obj, steps, mistakes, convention="per sample; maximised (ascent)")


@reference(
    "ppo-clip-gradient",
    section="actor-critic",
    summary="PPO clip objective and its gradient: ∂L/∂r_t = A_t unless clipped (then 0); batch mean",
    params_help={
        "ratio": "probability ratios r_t (a list)",
        "advantage": "advantages A_t (a list)",
        "epsilon": "clip range ε",
    },
)
def ppo_clip_gradient(ratio: Any, advantage: Any, epsilon: float = 0.2) -> Solution:
    """The PPO clipped objective with its gradients per sample and for the batch mean.

    .. math:: \\frac{\\partial L^{CLIP}_t}{\\partial r_t} = \\begin{cases} 0 & A_t > 0,\\ r_t > 1+\\epsilon
       \\ \\text{or}\\ A_t < 0,\\ r_t < 1-\\epsilon \\\\ A_t & \\text{otherwise} \\end{cases},
       \\qquad \\frac{\\partial L^{CLIP}_t}{\\partial \\log\\pi_\\theta(a_t|s_t)} = r_t\\,
       \\frac{\\partial L^{CLIP}_t}{\\partial r_t}

    Returns ``{"objective": [...], "grad_ratio": [...], "grad_logprob": [...], "mean_objective",
    "mean_grad_ratio": [...]}`` (the batch mean's gradient is the per-sample one divided by B).
    """
    r, a, eps = _ppo_inputs(ratio, advantage, epsilon)
    obj = ppo_objective(r, a, eps)
    g = ppo_grad_ratio(r, a, eps)
    n = r.size
    result = {
        "objective": obj,
        "grad_ratio": g,
        "grad_logprob": r * g,
        "mean_objective": float(obj.mean()),
        "mean_grad_ratio": g / n,
    }
    steps = [
        Step("L_t = min(r_t A_t, clip(r_t) A_t)", obj),
        Step("clipped branch active (gradient 0)?", (g == 0) & (a != 0)),
        Step("∂L_t/∂r_t", g),
        Step("∂L_t/∂log π = r_t ∂L_t/∂r_t", r * g),
        Step(
            "batch mean and ∂mean/∂r_t = (∂L_t/∂r_t)/B", {"mean": float(obj.mean()), "grad": g / n}
        ),
    ]
    wrong = dict(result)
    wrong_g = a.copy()
    wrong.update(grad_ratio=wrong_g, grad_logprob=r * wrong_g, mean_grad_ratio=wrong_g / n)
    mistakes = [
        Mistake(
            "gradient-through-clip",
            "when the clipped branch is the min, the gradient "
            "is 0 (clip is constant outside [1-ε, 1+ε])",
            wrong,
        )
    ]
    return Solution(
        result, steps, mistakes, convention="at r = 1 ± ε the unclipped branch's gradient"
    )


# ---------------------------------------------------------------------------------------------
# DDPG
# ---------------------------------------------------------------------------------------------


@reference(
    "ddpg-soft-update",
    section="actor-critic",
    summary="DDPG soft target update θ' ← τ θ + (1 - τ) θ'",
    params_help={
        "target": "target-network parameters θ' (number, list or matrix)",
        "online": "online-network parameters θ (same shape)",
        "tau": "τ, small (e.g. 0.005)",
    },
)
def ddpg_soft_update(target: np.ndarray, online: np.ndarray, tau: float) -> Solution:
    """Polyak averaging of the target network.

    .. math:: \\theta' \\leftarrow \\tau\\,\\theta + (1 - \\tau)\\,\\theta'
    """
    if target.shape != online.shape:
        raise DlstudyError(f"online: expected shape {target.shape} like target, got {online.shape}")
    t = check_rate(tau, "tau")
    new = t * online + (1 - t) * target
    flat_new, flat_t, flat_o = np.ravel(new), np.ravel(target), np.ravel(online)
    detail = "; ".join(
        f"{f(t)}·{format_factor(o)} + {f(1 - t)}·{format_factor(x)} = {f(v)}"
        for o, x, v in list(zip(flat_o, flat_t, flat_new, strict=True))[:6]
    )
    steps = [Step("θ' ← τ θ + (1 − τ) θ'", new, detail)]
    mistakes = [
        Mistake(
            "tau-swapped",
            "τ weights the online network: θ' ← τ θ + (1 - τ) θ'",
            (1 - t) * online + t * target,
        )
    ]
    return Solution(new, steps, mistakes)


@reference(
    "ddpg-critic-target",
    section="actor-critic",
    summary="DDPG critic target y = r + γ (1 - d) Q'(s', μ'(s')) for a batch",
    params_help={
        "r": "rewards (a list)",
        "q_next": "target critic values Q'(s', μ'(s')) (a list)",
        "done": "done flags (true/false or 1/0 per sample)",
        "gamma": "discount factor γ",
    },
)
def ddpg_critic_target(r: Any, q_next: Any, done: Any, gamma: float) -> Solution:
    """The DDPG critic's regression target (target actor μ' and target critic Q').

    .. math:: y_i = r_i + \\gamma (1 - d_i)\\, Q'(s'_i, \\mu'(s'_i))
    """
    rv = batch_vector(r, "r")
    qn = batch_vector(q_next, "q_next", rv.size)
    d = done_vector(done, rv.size)
    g = check_gamma(gamma)
    y = rv + g * (1 - d) * qn
    steps = [
        Step(
            "y = r + γ (1 − d) Q'(s', μ'(s'))",
            y,
            "; ".join(
                f"{f(rv[i])} + {f(g)}·{f(1 - d[i])}·{format_factor(qn[i])} = {f(y[i])}"
                for i in range(rv.size)
            ),
        )
    ]
    mistakes = []
    if d.any():
        mistakes.append(
            Mistake(
                "no-done-mask",
                "a terminal s' has no future value: multiply by (1 - d)",
                rv + g * qn,
            )
        )
    if g != 1:
        mistakes.append(Mistake("no-discount", "you dropped γ", rv + (1 - d) * qn))
    return Solution(y, steps, mistakes, convention="target networks μ', Q'")
