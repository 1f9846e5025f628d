"""Perceptron learning (notes: "Perceptron Learning").

Rows x_i of X (n, d), labels y_i ∈ {-1, +1}, weights w (d,), optional bias b. Points are visited in
order; a point is misclassified when y_i(wᵀx_i + b) ≤ 0 (a point on the boundary counts as
misclassified, so learning can start from w = 0), and then

    w ← w + η y_i x_i,   b ← b + η y_i.

Without ``b0`` there is no bias (fold one into X as a column of ones if the problem has one).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dlstudy.errors import DlstudyError
from dlstudy.output import format_array, format_factor, format_number
from dlstudy.reference.registry import (
    Mistake,
    Solution,
    Step,
    as_array,
    as_float,
    plural,
    reference,
    require_ndim,
)

#: Upper bound on point visits (n · max_epochs) so a request cannot run for minutes.
MAX_VISITS = 2_000_000

#: Epochs simulated for a wrong method (at least; twice the right run's if that is longer).
MISTAKE_EPOCHS = 100

_HELP = {
    "X": "data matrix, one point per row, shape (n, d)",
    "y": "labels in {-1, +1}, length n",
    "w0": "initial weights, length d (default: zeros)",
    "b0": "initial bias; give it to learn a bias (b ← b + η y), omit for none",
    "eta": "learning rate η > 0 (default 1)",
    "max_epochs": "stop after this many epochs if not converged (default 100)",
}


@dataclass
class _Visit:
    """One point of an epoch: its score y(wᵀx + b), w and b after it and before it."""

    i: int
    score: float
    updated: bool
    w: np.ndarray
    b: float
    w_before: np.ndarray
    b_before: float


@dataclass
class _State:
    w: np.ndarray
    b: float
    updates: int = 0
    visits: list[_Visit] = field(default_factory=list)


def _inputs(
    X: np.ndarray, y: np.ndarray, w0: np.ndarray | None, b0: float | None, eta: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float | None]:
    X = require_ndim(as_array(X, "X"), 2, "X")
    y = np.atleast_1d(as_array(y, "y"))
    if y.ndim != 1 or y.shape[0] != X.shape[0]:
        raise DlstudyError(
            f"y: expected {X.shape[0]} labels (one per row of X), got shape {y.shape}"
        )
    if not np.all(np.isin(y, (-1.0, 1.0))):
        raise DlstudyError("y: the perceptron's labels must be -1 or +1")
    if w0 is None:
        w = np.zeros(X.shape[1])
    else:
        w = np.atleast_1d(as_array(w0, "w0"))
        if w.ndim != 1 or w.shape[0] != X.shape[1]:
            raise DlstudyError(
                f"w0: expected {X.shape[1]} weights (one per column of X), got shape {w.shape}"
            )
    b = None if b0 is None else as_float(b0, "b0")
    if eta <= 0:
        raise DlstudyError(f"eta: expected a learning rate > 0, got {format_number(eta)}")
    return X, y, w.copy(), b


def run_epoch(
    X: np.ndarray, y: np.ndarray, state: _State, eta: float, rule: str, bias: bool
) -> int:
    """One pass over the points in order, updating ``state`` in place; returns the number of updates.

    ``rule`` is ``"perceptron"`` (update when y(wᵀx + b) ≤ 0) or one of the wrong methods:
    ``"update-all"`` (update on every point), ``"sign-dropped"`` (w ← w + η x),
    ``"zero-as-correct"`` (update only when y(wᵀx + b) < 0).
    """
    n_updates = 0
    for i in range(X.shape[0]):
        w_before, b_before = state.w.copy(), state.b
        score = float(y[i] * (X[i] @ state.w + state.b))
        if rule == "update-all":
            wrong = True
        elif rule == "zero-as-correct":
            wrong = score < 0
        else:
            wrong = score <= 0
        if wrong:
            sign = 1.0 if rule == "sign-dropped" else y[i]
            # w ← w + η y x  (b ← b + η y)
            state.w = state.w + eta * sign * X[i]
            if bias:
                state.b = state.b + eta * sign
            n_updates += 1
        state.visits.append(_Visit(i, score, wrong, state.w.copy(), state.b, w_before, b_before))
    state.updates += n_updates
    return n_updates


def _weights(v: _Visit, bias: bool) -> np.ndarray:
    """w after a visit, or (w, b) as one vector when a bias is learned (a checkpoint's value)."""
    return np.append(v.w, v.b) if bias else v.w.copy()


def _result(state: _State, bias: bool, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"w": state.w.copy()}
    if bias:
        out["b"] = float(state.b)
        out["w_b"] = np.append(state.w, state.b)  # (w, b) as one vector
    out["updates"] = state.updates
    out.update(extra)
    return out


def _vec(v: np.ndarray, paren: bool = False) -> str:
    """A 1-D point as a number (x = −3; in a sum ``(−3)``), a longer one as a vector."""
    if v.size > 1:
        return format_array(v)
    return (format_factor if paren else format_number)(float(v[0]), 4)


def _visit_step(
    v: _Visit, X: np.ndarray, y: np.ndarray, eta: float, bias: bool, epoch: int = 0
) -> Step:
    """``point i (x, y): y(wᵀx + b) = s ≤ 0 → update`` with the new w (and b) as its value."""
    head = f"epoch {epoch}, " if epoch else ""
    sign = "+" if y[v.i] > 0 else "−"
    one_d = X.shape[1] == 1
    wx = "wx" if one_d else "wᵀx"
    score = f"y({wx}{' + b' if bias else ''}) = {format_number(v.score, 4)}"
    what = "(w, b)" if bias else "w"
    label = f"{head}point {v.i + 1} (x = {_vec(X[v.i])}, y = {sign}1): {score}"
    if v.updated:
        label += f" ≤ 0, misclassified → new {what}"
        eta_s = "" if eta == 1 else f"{format_number(eta)}·"
        detail = f"w ← w + η·y·x = {_vec(v.w_before)} {sign} {eta_s}{_vec(X[v.i], True)}"
        if bias:
            detail += f";  b ← b + η·y = {format_number(v.b_before, 4)} {sign} {eta_s or '1'}"
    else:
        label += f" > 0, correct → {what} unchanged"
        detail = ""
    return Step(label, _weights(v, bias), detail)


@reference(
    "perceptron-epoch",
    section="perceptron",
    summary="one epoch of perceptron learning: w ← w + η·y·x on each misclassified point, in order",
    params_help=_HELP,
)
def perceptron_epoch(
    X: np.ndarray,
    y: np.ndarray,
    w0: np.ndarray | None = None,
    eta: float = 1.0,
    b0: float | None = None,
) -> Solution:
    r"""One epoch of the perceptron learning rule.

    For i = 1..n in order: if :math:`y_i(w^T x_i + b) \le 0` then
    :math:`w \leftarrow w + \eta\, y_i x_i` (and :math:`b \leftarrow b + \eta\, y_i`).

    Parameters
    ----------
    X : ndarray, shape (n, d)
    y : ndarray, shape (n,), entries -1 or +1
    w0 : ndarray, shape (d,), default zeros
    eta : float > 0
    b0 : float, optional; learn a bias starting here (no bias if omitted)

    Returns
    -------
    Solution with ``{"w": (d,), "b": float and "w_b": (d + 1,) (only with b0), "updates": int}``;
    one step per point;
    checkpoints: w (with b appended when learned) after each point. Mistakes: ``update-all`` (update
    on correctly classified points too), ``sign-dropped`` (w ← w + η x), ``zero-as-correct``
    (y wᵀx = 0 treated as correct).
    """
    X, y, w, b = _inputs(X, y, w0, b0, eta)
    bias = b is not None

    def epoch(rule: str) -> _State:
        state = _State(w.copy(), b or 0.0)
        run_epoch(X, y, state, eta, rule, bias)
        return state

    state = epoch("perceptron")
    steps = [_visit_step(v, X, y, eta, bias) for v in state.visits]
    final = _result(state, bias)
    if bias:
        steps.append(Step("(w, b) after the epoch", final["w_b"], part="w_b"))
    steps.append(Step("w after the epoch", final["w"], part="w"))
    if bias:
        steps.append(Step("b after the epoch", final["b"], part="b"))
    steps.append(Step("updates in this epoch", state.updates, part="updates"))
    checkpoints = [(f"after point {v.i + 1}", _weights(v, bias)) for v in state.visits]
    mistakes = [
        Mistake(
            "update-all",
            "the perceptron only updates on misclassified points (y(wᵀx + b) ≤ 0)",
            _result(epoch("update-all"), bias),
        ),
        Mistake(
            "sign-dropped",
            "the update is w + η·y·x: the sign of y is missing",
            _result(epoch("sign-dropped"), bias),
        ),
        Mistake(
            "zero-as-correct",
            "a point with y(wᵀx + b) = 0 lies on the boundary and counts as misclassified",
            _result(epoch("zero-as-correct"), bias),
        ),
    ]
    return Solution(_result(state, bias), steps, mistakes, checkpoints, _convention(bias))


def _convention(bias: bool) -> str:
    b = (
        "a bias b is learned (b ← b + η y)"
        if bias
        else "no bias (fold one into X as a column of 1s)"
    )
    return f"points in order; y(wᵀx + b) ≤ 0 counts as misclassified (0 included); {b}"


def train(
    X: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    b: float | None,
    eta: float,
    max_epochs: int,
    rule: str,
) -> tuple[_State, list[int], bool]:
    """Epochs until one makes no update or ``max_epochs`` passes are done.

    Returns the final state, the number of updates of each pass, and whether it converged.
    """
    state = _State(w.copy(), b or 0.0)
    per_epoch: list[int] = []
    for _ in range(max_epochs):
        per_epoch.append(run_epoch(X, y, state, eta, rule, b is not None))
        if per_epoch[-1] == 0:
            return state, per_epoch, True
    return state, per_epoch, False


@reference(
    "perceptron-train",
    section="perceptron",
    summary="perceptron learning until an epoch makes no update: final w, number of updates and epochs",
    params_help=_HELP,
)
def perceptron_train(
    X: np.ndarray,
    y: np.ndarray,
    w0: np.ndarray | None = None,
    eta: float = 1.0,
    b0: float | None = None,
    max_epochs: int = 100,
) -> Solution:
    r"""Perceptron learning until convergence.

    Epochs of the rule of :func:`perceptron_epoch` until an epoch makes no update. On linearly
    separable data this happens after at most :math:`(R/\gamma)^2` updates (from w = 0, no bias),
    :math:`R = \max_i \|x_i\|`, γ the margin of a unit-norm separating w*.

    Parameters
    ----------
    X : ndarray, shape (n, d)
    y : ndarray, shape (n,), entries -1 or +1
    w0 : ndarray, shape (d,), default zeros
    eta : float > 0
    b0 : float, optional; learn a bias starting here
    max_epochs : int ≥ 1

    Returns
    -------
    Solution with ``{"w", "b" (with b0), "updates", "epochs", "converged"}`` where ``epochs`` counts
    the epochs that made an update (the final error-free pass that confirms convergence is not
    counted). Checkpoints: w after each epoch. Mistakes: ``sign-dropped``, ``zero-as-correct``,
    ``epochs-with-check-pass`` (the confirming pass counted as an epoch).
    """
    X, y, w, b = _inputs(X, y, w0, b0, eta)
    if max_epochs < 1:
        raise DlstudyError(f"max_epochs: expected at least 1, got {max_epochs}")
    if X.shape[0] * max_epochs > MAX_VISITS:
        raise DlstudyError(
            f"max_epochs: {max_epochs} epochs of {X.shape[0]} points is too long; "
            f"keep n · max_epochs ≤ {MAX_VISITS:,}"
        )
    bias = b is not None

    state, per_epoch, converged = train(X, y, w, b, eta, max_epochs, "perceptron")
    # wrong methods may never converge: simulate them only as long as a student plausibly would
    mistake_epochs = min(max_epochs, max(MISTAKE_EPOCHS, 2 * len(per_epoch)))

    def summary(rule: str) -> dict[str, Any]:
        st, per_epoch_, conv = train(X, y, w, b, eta, mistake_epochs, rule)
        return _result(st, bias, epochs=sum(1 for k in per_epoch_ if k > 0), converged=conv)

    n = X.shape[0]
    steps: list[Step] = []
    checkpoints: list[tuple[str, Any]] = []
    for e, k in enumerate(per_epoch, start=1):
        visits = state.visits[(e - 1) * n : e * n]
        steps += [_visit_step(v, X, y, eta, bias, e) for v in visits if v.updated]
        last = visits[-1]
        what = "(w, b)" if bias else "w"
        steps.append(Step(f"{what} after epoch {e} ({plural(k, 'update')})", _weights(last, bias)))
        if k > 0:
            checkpoints.append((f"after epoch {e}", _weights(last, bias)))
    epochs = sum(1 for k in per_epoch if k > 0)
    if converged:
        note = f"epoch {len(per_epoch)} makes no update: converged"
    else:
        note = f"not converged after {max_epochs} epochs (not separable, or too few)"
    steps.append(Step(f"epochs that made an update ({note})", epochs))
    steps.append(Step("total updates", state.updates))
    mistakes = [
        Mistake(
            "sign-dropped",
            "the update is w + η·y·x: the sign of y is missing",
            summary("sign-dropped"),
        ),
        Mistake(
            "zero-as-correct",
            "a point with y(wᵀx + b) = 0 lies on the boundary and counts as misclassified",
            summary("zero-as-correct"),
        ),
        Mistake(
            "epochs-with-check-pass",
            "the last pass makes no update: it confirms convergence and is not counted as an epoch",
            _result(state, bias, epochs=len(per_epoch), converged=converged),
        ),
    ]
    result = _result(state, bias, epochs=epochs, converged=converged)
    conv = _convention(bias) + "; epochs = epochs that made an update"
    return Solution(result, steps, mistakes, checkpoints, conv)
