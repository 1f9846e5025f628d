"""Deep Q-learning: batch targets with the done mask and a target network, the loss, and seeded
replay-buffer sampling.

The notes' loss, written out (claims.md ``dqn-loss``):
L(θ) = mean_i (y_i - Q_θ(s_i, a_i))², y_i = r_i + γ (1 - done_i) max_a' Q_θ⁻(s'_i, a'), with no
gradient through y (θ⁻: the target network, a periodic copy of θ).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlstudy.errors import DlstudyError
from dlstudy.output import format_factor, format_number
from dlstudy.reference.mdp import check_gamma
from dlstudy.reference.registry import (
    ASIDE,
    Mistake,
    Solution,
    Step,
    as_array,
    as_vector,
    reference,
)

f = format_number


def batch_vector(value: Any, label: str, n: int | None = None) -> np.ndarray:
    """A length-B float vector (a number is a batch of one)."""
    arr = as_vector(value, label)
    if n is not None and arr.size != n:
        raise DlstudyError(f"{label}: expected {n} entries (the batch size), got {arr.size}")
    return arr


def batch_matrix(value: Any, label: str, n: int | None = None) -> np.ndarray:
    """A (B, A) matrix of action values, one row per sample."""
    arr = as_array(value, label)
    if arr.ndim == 1:
        arr = arr[None, :] if n in (None, 1) else arr[:, None]
    if arr.ndim != 2:
        raise DlstudyError(f"{label}: expected a matrix (one row of action values per sample)")
    if n is not None and arr.shape[0] != n:
        raise DlstudyError(f"{label}: expected {n} rows (the batch size), got {arr.shape[0]}")
    return arr


def done_vector(value: Any, n: int) -> np.ndarray:
    """done flags as 0/1 floats (true/false or 0/1)."""
    if isinstance(value, bool):
        value = [value]
    if isinstance(value, list):
        value = [int(v) if isinstance(v, bool) else v for v in value]
    arr = batch_vector(value, "done", n)
    if not np.all((arr == 0) | (arr == 1)):
        raise DlstudyError("done: expected true/false (or 1/0) per sample")
    return arr


def dqn_targets_array(
    r: np.ndarray, q_next: np.ndarray, done: np.ndarray, gamma: float
) -> np.ndarray:
    """y = r + γ (1 - done) max_a' Q⁻(s', a'), shape (B,)."""
    return r + gamma * (1.0 - done) * q_next.max(axis=1)


def _inputs(
    r: Any, q_next: Any, done: Any, gamma: float, q_next_online: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, np.ndarray | None]:
    rv = batch_vector(r, "r")
    n = rv.size
    qn = batch_matrix(q_next, "q_next", n)
    d = done_vector(done, n)
    g = check_gamma(gamma)
    qo = None if q_next_online is None else batch_matrix(q_next_online, "q_next_online", n)
    if qo is not None and qo.shape != qn.shape:
        raise DlstudyError(f"q_next_online: expected shape {qn.shape} like q_next, got {qo.shape}")
    return rv, qn, d, g, qo


def _target_mistakes(
    rv: np.ndarray, qn: np.ndarray, d: np.ndarray, g: float, qo: np.ndarray | None, wrap: Any
) -> list[Mistake]:
    out = []
    if d.any():
        out.append(
            Mistake(
                "no-done-mask",
                "a terminal next state has no future: multiply the bootstrap by (1 - done)",
                wrap(dqn_targets_array(rv, qn, 0 * d, g)),
            )
        )
    if qo is not None:
        out.append(
            Mistake(
                "online-target",
                "the target uses the target network Q_θ⁻, not the online network",
                wrap(dqn_targets_array(rv, qo, d, g)),
            )
        )
    if g != 1:
        out.append(
            Mistake(
                "no-discount",
                "you dropped γ in the target",
                wrap(dqn_targets_array(rv, qn, d, 1.0)),
            )
        )
    return out


_T_HELP = {
    "r": "rewards r_i of the batch (a list)",
    "q_next": "target-network values Q_θ⁻(s'_i, ·): one row per sample",
    "done": "done flags per sample (true/false or 1/0)",
    "gamma": "discount factor γ",
    "q_next_online": "optional: the online network's Q_θ(s'_i, ·), to recognise using it by mistake",
}


@reference(
    "dqn-targets",
    section="dqn",
    summary="DQN targets y = r + γ(1 - done) max_a' Q_θ⁻(s', a') for a batch",
    params_help=_T_HELP,
)
def dqn_targets(
    r: np.ndarray, q_next: np.ndarray, done: Any, gamma: float, q_next_online: Any = None
) -> Solution:
    """DQN regression targets for a batch.

    .. math:: y_i = r_i + \\gamma\\,(1 - d_i) \\max_{a'} Q_{\\theta^-}(s'_i, a')

    Parameters
    ----------
    r : (B,)
    q_next : (B, A) target-network action values at s'
    done : (B,) of 0/1
    gamma : float
    q_next_online : (B, A), optional
    """
    rv, qn, d, g, qo = _inputs(r, q_next, done, gamma, q_next_online)
    y = dqn_targets_array(rv, qn, d, g)
    steps = [
        Step("max_a' Q_θ⁻(s', a') per sample", qn.max(axis=1)),
        Step(
            "y = r + γ (1 - done) max",
            y,
            "; ".join(
                f"{f(rv[i])} + {f(g)}·{f(1 - d[i])}·{format_factor(qn[i].max())} = {f(y[i])}"
                for i in range(rv.size)
            ),
        ),
    ]
    mistakes = _target_mistakes(rv, qn, d, g, qo, lambda v: v)
    return Solution(
        y, steps, mistakes, convention="target network θ⁻; y is a constant (no gradient)"
    )


def _loss(err: np.ndarray, kind: str) -> np.ndarray:
    if kind == "mse":
        return err**2
    a = np.abs(err)
    return np.where(a < 1.0, 0.5 * err**2, a - 0.5)


@reference(
    "dqn-loss",
    section="dqn",
    summary="DQN loss mean_i (y_i - Q_θ(s_i, a_i))² (or Huber) with y from the target network",
    params_help={
        "q": "online values Q_θ(s_i, ·): one row per sample",
        "actions": "the actions a_i taken (0-based column indices into q)",
        **_T_HELP,
        "loss": "'mse' (default, torch mse_loss) or 'huber' (torch smooth_l1_loss, δ = 1)",
    },
)
def dqn_loss(
    q: np.ndarray,
    actions: np.ndarray,
    r: np.ndarray,
    q_next: np.ndarray,
    done: Any,
    gamma: float,
    loss: str = "mse",
    q_next_online: Any = None,
) -> Solution:
    """The DQN loss of a batch (mean over the batch).

    .. math:: L = \\frac{1}{B} \\sum_i \\ell\\big(y_i - Q_\\theta(s_i, a_i)\\big), \\quad
       \\ell(e) = e^2 \\text{ (mse) or Huber}_1(e)

    The semi-gradient ∂L/∂Q_θ(s_i, a_i) = -2 (y_i - Q_θ(s_i, a_i)) / B (mse) is shown in the steps.
    """
    rv, qn, d, g, qo = _inputs(r, q_next, done, gamma, q_next_online)
    n = rv.size
    qm = batch_matrix(q, "q", n)
    acts = batch_vector(actions, "actions", n)
    if not np.all((acts == np.round(acts)) & (acts >= 0) & (acts < qm.shape[1])):
        raise DlstudyError(f"actions: expected integer column indices 0..{qm.shape[1] - 1}")
    if loss not in ("mse", "huber"):
        raise DlstudyError(f"loss: expected 'mse' or 'huber', got '{loss}'")
    idx = acts.astype(int)
    q_sa = qm[np.arange(n), idx]
    y = dqn_targets_array(rv, qn, d, g)
    err = y - q_sa
    value = float(_loss(err, loss).mean())
    grad = -2 * err / n if loss == "mse" else -np.clip(err, -1, 1) / n
    steps = [
        Step(
            "targets y = r + γ (1 − done) max_a' Q_θ⁻(s', a')",
            y,
            "; ".join(
                f"{f(rv[i])} + {f(g)}·{f(1 - d[i])}·{format_factor(qn[i].max())} = {f(y[i])}"
                for i in range(rv.size)
            ),
        ),
        Step("Q_θ(s_i, a_i)", q_sa),
        Step("errors y - Q_θ(s, a)", err),
        Step(f"loss = mean of {'squared errors' if loss == 'mse' else 'Huber(errors)'}", value),
        Step("semi-gradient ∂L/∂Q_θ(s_i, a_i) (no gradient through y)", grad, part=ASIDE),
    ]

    def wrap(targets: np.ndarray) -> float:
        return float(_loss(targets - q_sa, loss).mean())

    mistakes = _target_mistakes(rv, qn, d, g, qo, wrap)
    if n > 1:
        mistakes.append(
            Mistake(
                "sum-not-mean",
                "the loss is the mean over the batch, not the sum",
                float(_loss(err, loss).sum()),
            )
        )
    if loss == "mse":
        mistakes.append(
            Mistake("half-squared", "no ½ here: mean of (y - Q)² (torch mse_loss)", 0.5 * value)
        )
    return Solution(value, steps, mistakes, convention=f"{loss}, mean over the batch")


def ring_contents(capacity: int, n_pushed: int) -> list[int]:
    """Transition ids held in each slot of a ring buffer after ``n_pushed`` pushes (id i in slot
    i mod capacity; the oldest are overwritten)."""
    size = min(capacity, n_pushed)
    slots = [0] * size
    for i in range(max(0, n_pushed - capacity), n_pushed):
        slots[i % capacity] = i
    return slots


#: Slots of a replay buffer written out in the steps.
_MAX_SHOWN_SLOTS = 1000


@reference(
    "replay-sample",
    section="dqn",
    summary="seeded uniform sampling of a minibatch from a ring replay buffer (which transitions)",
    params_help={
        "capacity": "buffer capacity N",
        "n_pushed": "number of transitions pushed so far (ids 0, 1, ...)",
        "batch_size": "minibatch size",
        "seed": "random seed (numpy default_rng)",
        "replace": "sample with replacement (default false)",
    },
)
def replay_sample(
    capacity: int, n_pushed: int, batch_size: int, seed: int = 0, replace: bool = False
) -> Solution:
    """Which transitions a replay buffer returns.

    A ring buffer of capacity N holds transition i in slot i mod N, so after n pushes it holds ids
    max(0, n - N) ... n - 1. A minibatch is ``default_rng(seed).choice(size, batch_size, replace)``
    over the slots. Returns ``{"slots": [...], "transitions": [ids]}``.
    """
    for name, value, low in (
        ("capacity", capacity, 1),
        ("n_pushed", n_pushed, 1),
        ("batch_size", batch_size, 1),
        ("seed", seed, 0),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise DlstudyError(f"{name}: expected an integer >= {low}, got {value!r}")
    held = ring_contents(capacity, n_pushed)
    if not replace and batch_size > len(held):
        raise DlstudyError(
            f"batch_size: {batch_size} is more than the {len(held)} transitions in the buffer "
            "(sample with replace=true or push more)"
        )
    rng = np.random.default_rng(seed)
    drawn = rng.choice(len(held), size=batch_size, replace=replace)
    slots, ids = drawn.tolist(), np.asarray(held)[drawn].tolist()
    steps = [
        # a buffer of a million slots is not written out (the sampled ones are)
        Step("transition id in each slot (id i in slot i mod N)", held)
        if len(held) <= _MAX_SHOWN_SLOTS
        else Step(
            "transition id in each slot (id i in slot i mod N)",
            None,
            f"{len(held):,} slots: {held[0]}, {held[1]}, …, {held[-1]}",
        ),
        Step("sampled slots", slots),
        Step("sampled transitions", ids),
    ]
    return Solution(
        {"slots": slots, "transitions": ids},
        steps,
        convention=f"numpy default_rng({seed}).choice(size, batch, replace={replace})",
    )
