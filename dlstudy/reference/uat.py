"""Universal approximation by steps of sigmoids (notes: "Universal approximation theorem").

One hidden unit σ(wx + b) is a smoothed step at s = -b/w (σ(ws + b) = σ(0) = 1/2); as w → ∞ it
becomes the step H(x - s). Two steps make a bump, and n steps a staircase that approximates any
continuous f on [lo, hi]:  g(x) = Σ_k v_k σ(w_k x + b_k).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from dlstudy.errors import DlstudyError, did_you_mean
from dlstudy.output import format_factor, format_number
from dlstudy.reference.activations import out, sigma
from dlstudy.reference.registry import ASIDE, Mistake, Solution, Step, as_array, reference

#: Named functions for ``uat-staircase`` (f on [lo, hi]).
FUNCTIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "x": lambda x: x,
    "square": lambda x: x**2,
    "cube": lambda x: x**3,
    "abs": np.abs,
    "sin": np.sin,
    "cos": np.cos,
    "exp": np.exp,
    "tanh": np.tanh,
    "sigmoid": sigma,
    "relu": lambda x: np.maximum(x, 0.0),
}

MAX_STEPS = 10_000
MAX_GRID = 1_000_000


def _nonzero(w: float, label: str = "w") -> float:
    if w == 0:
        raise DlstudyError(
            f"{label}: the weight must be non-zero (σ(0·x + b) is a constant, not a step)"
        )
    return w


@reference(
    "uat-step",
    section="uat",
    summary="a sigmoid unit σ(wx + b) is a step at s = -b/w; its values at x",
    params_help={
        "w": "input weight w ≠ 0 (steepness; w < 0 gives a downward step)",
        "b": "bias b",
        "x": "points at which to evaluate σ(wx + b) (default s - 1, s, s + 1)",
    },
)
def uat_step(w: float, b: float, x: np.ndarray | None = None) -> Solution:
    r"""Step location and values of one sigmoid unit.

    .. math:: s = -\frac{b}{w}, \qquad \sigma(wx + b) = \sigma\big(w(x - s)\big),
              \qquad \sigma(ws + b) = \tfrac12

    Parameters
    ----------
    w : float, non-zero
    b : float
    x : float or ndarray, optional (default [s - 1, s, s + 1])

    Returns
    -------
    Solution with ``{"s": float, "values": σ(wx + b) (shape of x)}``. Mistake: ``s-sign``
    (s = b/w, and the unit σ(w(x - b/w)) = σ(wx - b)).
    """
    _nonzero(w)
    s = -b / w + 0.0
    xs = np.array([s - 1.0, s, s + 1.0]) if x is None else as_array(x, "x")
    values = sigma(w * xs + b)
    steps = [
        Step(
            "s = −b/w (where wx + b = 0, so σ = 1/2)",
            s,
            f"−({format_number(b)})/{format_factor(w)} = {format_number(s, 6)}",
        ),
        Step("x", out(xs), part="values"),
        Step("wx + b = w(x − s)", out(w * xs + b), part="values"),
        Step("σ(wx + b)", out(values), part="values"),
    ]
    wrong = {"s": b / w, "values": out(sigma(w * xs - b))}
    mistakes = [Mistake("s-sign", "wx + b = 0 at x = -b/w: the sign is missing", wrong)]
    return Solution({"s": s, "values": out(values)}, steps, mistakes)


@reference(
    "uat-step-weights",
    section="uat",
    summary="weights of a sigmoid step at s with steepness w: b = -w·s",
    params_help={"s": "step location s", "w": "steepness w ≠ 0 (larger is sharper)"},
)
def uat_step_weights(s: float, w: float = 10.0) -> Solution:
    r"""Bias that puts the step of σ(wx + b) at s.

    .. math:: s = -\frac{b}{w} \iff b = -w s

    Parameters
    ----------
    s : float
    w : float, non-zero

    Returns
    -------
    Solution with ``{"w": w, "b": -w s}``. Mistake: ``s-sign`` (b = w s).
    """
    _nonzero(w)
    b = -w * s + 0.0  # + 0.0: no -0.0 for s = 0
    steps = [Step("b = −w·s", b, f"−{format_factor(w)}·{format_factor(s)} = {format_number(b, 6)}")]
    mistakes = [
        Mistake("s-sign", "s = -b/w, so b = -w·s: the sign is missing", {"w": w, "b": w * s})
    ]
    return Solution({"w": w, "b": b}, steps, mistakes)


def bump(x: np.ndarray, a: float, b: float, h: float, w: float) -> np.ndarray:
    r""":math:`h\,[\sigma(w(x - a)) - \sigma(w(x - b))]`, elementwise."""
    return h * (sigma(w * (x - a)) - sigma(w * (x - b)))


@reference(
    "uat-bump",
    section="uat",
    summary="a bump of height h on [a, b] from two sigmoids: h[σ(w(x-a)) - σ(w(x-b))]",
    params_help={
        "a": "left edge of the bump",
        "b": "right edge of the bump (b > a)",
        "h": "height h",
        "w": "steepness w > 0 of both sigmoids",
        "x": "points at which to evaluate the bump (default the centre (a + b)/2)",
    },
)
def uat_bump(a: float, b: float, h: float, w: float, x: np.ndarray | None = None) -> Solution:
    r"""A bump made of two hidden sigmoid units and an output layer (v_1, v_2) = (h, -h).

    .. math:: f(x) = h\,\sigma(w x - w a) - h\,\sigma(w x - w b),
              \qquad f\big(\tfrac{a+b}{2}\big) = h \tanh\!\big(\tfrac{w(b-a)}{4}\big)

    Parameters
    ----------
    a, b : float, a < b
    h : float
    w : float > 0
    x : float or ndarray, optional (default (a + b)/2)

    Returns
    -------
    Solution with ``{"value": f(x), "hidden_w": [w, w], "hidden_b": [-wa, -wb], "v": [h, -h]}``.
    Mistakes: ``s-sign`` (biases +wa, +wb), ``v-swapped`` (v = [-h, h]: an upside-down bump).
    """
    if not a < b:
        raise DlstudyError(f"b: the right edge must exceed the left edge a = {format_number(a)}")
    if w <= 0:
        raise DlstudyError(f"w: expected a steepness > 0, got {format_number(w)}")
    xs = np.array((a + b) / 2) if x is None else as_array(x, "x")
    value = bump(xs, a, b, h, w)
    up, down = sigma(w * (xs - a)), sigma(w * (xs - b))
    b1, b2 = -w * a + 0.0, -w * b + 0.0
    at = "the centre (a + b)/2" if x is None else "x"
    steps = [
        Step(
            "hidden unit 1 steps up at a: b1 = −w·a",
            b1,
            f"−{format_factor(w)}·{format_factor(a)} = {format_number(b1)}",
            part=("hidden_b", "value"),
        ),
        Step(
            "hidden unit 2 steps down at b: b2 = −w·b",
            b2,
            f"−{format_factor(w)}·{format_factor(b)} = {format_number(b2)}",
            part=("hidden_b", "value"),
        ),
        Step("biases [b1, b2]", [b1, b2], part="hidden_b"),
        Step("output weights (h, −h)", [h, -h], part=("v", "value")),
        Step(f"σ(w(x − a)) at {at}", out(up), part="value"),
        Step(f"σ(w(x − b)) at {at}", out(down), part="value"),
        Step(f"f = h[σ(w(x − a)) − σ(w(x − b))] at {at}", out(value), part="value"),
        Step(
            "height at the centre h·tanh(w(b − a)/4)",
            h * float(np.tanh(w * (b - a) / 4)),
            part=ASIDE,
        ),
    ]
    result = {"value": out(value), "hidden_w": [w, w], "hidden_b": [b1, b2], "v": [h, -h]}
    mistakes = [
        Mistake(
            "s-sign",
            "a step at s needs the bias b = -w·s (s = -b/w): the sign is missing",
            {
                "value": out(h * (sigma(w * xs + w * a) - sigma(w * xs + w * b))),
                "hidden_w": [w, w],
                "hidden_b": [w * a, w * b],
                "v": [h, -h],
            },
        ),
        Mistake(
            "v-swapped",
            "the bump steps up at a (v1 = +h) and down at b (v2 = -h)",
            {"value": out(-value), "hidden_w": [w, w], "hidden_b": [-w * a, -w * b], "v": [-h, h]},
        ),
    ]
    return Solution(result, steps, mistakes)


def _target(f: Any, lo: float, hi: float) -> tuple[Callable[[np.ndarray], np.ndarray], str]:
    """f as a callable on [lo, hi]: a named function, or samples joined by straight lines."""
    if isinstance(f, str):
        key = f.strip().lower()
        if key not in FUNCTIONS:
            raise DlstudyError(
                f"f: unknown function '{f}'{did_you_mean(key, FUNCTIONS)}; "
                f"give samples or one of {', '.join(FUNCTIONS)}"
            )
        return FUNCTIONS[key], key
    samples = np.atleast_1d(as_array(f, "f"))
    if samples.ndim != 1 or samples.size < 2:
        raise DlstudyError("f: expected a function name or a list of at least 2 samples")
    xs = np.linspace(lo, hi, samples.size)
    return (lambda x: np.interp(x, xs, samples)), f"{samples.size} samples joined linearly"


def staircase(x: np.ndarray, c0: float, s: np.ndarray, v: np.ndarray, w: float) -> np.ndarray:
    r""":math:`g(x) = c_0 + \sum_k v_k H(x - s_k)` (H(0) = 1), or σ(w(x - s_k)) for w > 0."""
    if w > 0:
        units = sigma(w * (x[:, None] - s[None, :]))
    else:
        units = (x[:, None] >= s[None, :]).astype(np.float64)
    return c0 + units @ v


@reference(
    "uat-staircase",
    section="uat",
    summary="staircase of n sigmoid steps approximating f on [lo, hi]: step heights and max error",
    params_help={
        "f": f"samples of f at evenly spaced points of [lo, hi], or a name: {', '.join(FUNCTIONS)}",
        "lo": "left end of the interval",
        "hi": "right end of the interval",
        "n": "number of steps (flat pieces)",
        "w": "steepness of the sigmoids; 0 (default) for ideal steps (w → ∞)",
        "grid": "number of evenly spaced points on which the max error is measured (default 1001)",
    },
)
def uat_staircase(
    f: Any, lo: float = 0.0, hi: float = 1.0, n: int = 4, w: float = 0.0, grid: int = 1001
) -> Solution:
    r"""Staircase approximation of f by n flat pieces (left-endpoint values).

    With :math:`\Delta = (hi - lo)/n`, :math:`c_k = f(lo + k\Delta)` (k = 0..n-1) and step edges
    :math:`s_k = lo + k\Delta` (k = 1..n-1):

    .. math:: g(x) = c_0 + \sum_{k=1}^{n-1} (c_k - c_{k-1})\, \sigma\big(w(x - s_k)\big)

    i.e. hidden units with weights w and biases :math:`-w s_k`, output weights
    :math:`v_k = c_k - c_{k-1}` and an output bias :math:`c_0`; w → ∞ gives exact steps.

    Parameters
    ----------
    f : str or ndarray, shape (m,), m ≥ 2 (samples at linspace(lo, hi, m), joined linearly)
    lo, hi : float, lo < hi
    n : int ≥ 1
    w : float ≥ 0 (0: ideal steps with H(0) = 1)
    grid : int ≥ 2

    Returns
    -------
    Solution with ``{"c0": float, "s": (n-1,), "v": (n-1,), "max_error": float}``, the error
    max |f - g| over ``grid`` points of [lo, hi]. Mistake: ``heights-not-differences`` (v_k = c_k).
    """
    if not lo < hi:
        raise DlstudyError(f"hi: expected hi > lo = {format_number(lo)}, got {format_number(hi)}")
    if not 1 <= n <= MAX_STEPS:
        raise DlstudyError(f"n: expected a number of steps from 1 to {MAX_STEPS}, got {n}")
    if not 2 <= grid <= MAX_GRID:
        raise DlstudyError(f"grid: expected from 2 to {MAX_GRID} points, got {grid}")
    if w < 0:
        raise DlstudyError(
            f"w: expected a steepness ≥ 0 (0 for ideal steps), got {format_number(w)}"
        )
    func, described = _target(f, lo, hi)
    delta = (hi - lo) / n
    k = np.arange(n)
    xs = np.linspace(lo, hi, grid)
    with np.errstate(over="ignore", invalid="ignore"):
        c = np.asarray(func(lo + k * delta), dtype=np.float64)
        fx = np.asarray(func(xs), dtype=np.float64)
    s = lo + k[1:] * delta
    v = np.diff(c)
    if not (np.all(np.isfinite(c)) and np.all(np.isfinite(fx))):
        raise DlstudyError("f: the function overflows on [lo, hi]; choose a smaller interval")

    def max_error(v_: np.ndarray) -> tuple[float, float]:
        err = np.abs(fx - staircase(xs, float(c[0]), s, v_, w))
        i = int(np.argmax(err))
        return float(err[i]), float(xs[i])

    err, at = max_error(v)
    kind = f"σ(w(x − s_k)), w = {format_number(w)}" if w > 0 else "ideal steps H(x − s_k), H(0) = 1"
    lo_t, hi_t = format_number(lo), format_number(hi)
    g_at = float(staircase(np.array([at]), float(c[0]), s, v, w)[0])
    f_at = float(np.asarray(func(np.array([at])), dtype=np.float64)[0])
    steps = [
        Step(
            "width of each piece Δ",
            delta,
            f"({hi_t} − {format_factor(lo)})/{n} = {format_number(delta)}",
        ),
        Step("c_k = f at the left end of piece k", c, f"f({lo_t}), f({lo_t} + Δ), …"),
        Step("steps at x", s, "the left ends of the pieces after the first", part=("s", "v")),
        Step(
            "step heights v_k = c_k − c_(k−1)",
            v,
            "; ".join(
                f"{format_factor(c[i + 1])} − {format_factor(c[i])} = {format_number(v[i], 6)}"
                for i in range(min(len(v), 6))
            )
            + ("; …" if len(v) > 6 else ""),
            part="v",
        ),
    ]
    if w > 0:
        steps.append(Step("hidden biases b_k = −w·s_k", -w * s, part=("v", "s")))
    steps.append(
        Step(
            f"largest error max |f(x) − g(x)| on [{lo_t}, {hi_t}]",
            err,
            f"at x = {format_number(at, 4)}: |{format_number(f_at, 6)} − {format_number(g_at, 6)}|"
            f" = {format_number(err, 6)}",
            part="max_error",
        )
    )
    wrong_err, _ = max_error(c[1:])
    mistakes = [
        Mistake(
            "heights-not-differences",
            "each step adds to the ones before it: its height is c_k - c_{k-1}, not c_k",
            {"c0": float(c[0]), "s": s, "v": c[1:], "max_error": wrong_err},
        )
    ]
    result = {"c0": float(c[0]), "s": s, "v": v, "max_error": err}
    conv = f"left-endpoint values; {kind}; f: {described}; error on {grid} evenly spaced points"
    return Solution(result, steps, mistakes, convention=conv)
