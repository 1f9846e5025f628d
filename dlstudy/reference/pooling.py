"""Max and average pooling, forward and backward (notes: CNN › Max Pooling).

.. math::

    z^l_{ij} = \\max_{(m,n) \\in \\text{window}(i,j)} z^{l-1}_{mn}, \\qquad
    \\frac{∂z^l_{ij}}{∂z^{l-1}_{mn}} = \\begin{cases} 1 & (m,n) = \\arg\\max \\\\ 0 & \\text{otherwise}
    \\end{cases}

so max pooling routes each upstream gradient to the argmax of its window (accumulating where windows
overlap); average pooling spreads δ/k² over the whole window.
"""

from __future__ import annotations

import numpy as np

from dlstudy.errors import DlstudyError
from dlstudy.output import format_number
from dlstudy.reference.conv_core import (
    Layout,
    Pair,
    _pad,
    _windows,
    col2im,
    index_text,
    output_length,
    same_value,
)
from dlstudy.reference.registry import ASIDE, Mistake, Solution, Step, as_array, reference

CONVENTION = (
    "window k×k moved by the stride (default k); max pooling pads with -inf, average pooling with "
    "zeros and always divides by k² (torch's count_include_pad); ties go to the first maximum in "
    "row-major order within the window; indices from 0"
)

#: At most this many windows get a step of their own.
MAX_STEPS = 100


# ----------------------------------------------------------------------------------------------
# Batched engine: x (N, C, H, W).
# ----------------------------------------------------------------------------------------------


def pool2d_forward(
    x: np.ndarray, k: Pair, stride: Pair, padding: Pair, op: str
) -> tuple[np.ndarray, np.ndarray | None]:
    """Max (``op="max"``) or average pooling of a batch.

    Parameters
    ----------
    x : (N, C, H, W).
    k, stride, padding : (vertical, horizontal).

    Returns
    -------
    y : (N, C, Ho, Wo), ``Ho = ⌊(H + 2p - k)/s⌋ + 1``; for max pooling also the argmax of each
    window as a flat index into the k×k window (row-major), else None.
    """
    pads = ((padding[0], padding[0]), (padding[1], padding[1]))
    fill = -np.inf if op == "max" else 0.0
    win = _windows(_pad(x, pads, fill), k, stride, (1, 1))
    flat = win.reshape(*win.shape[:4], k[0] * k[1])
    if op == "max":
        arg = flat.argmax(axis=-1)
        return np.take_along_axis(flat, arg[..., None], axis=-1)[..., 0], arg
    return flat.sum(axis=-1) / (k[0] * k[1]), None


def pool2d_backward(
    dy: np.ndarray,
    in_hw: Pair,
    k: Pair,
    stride: Pair,
    padding: Pair,
    arg: np.ndarray | None = None,
) -> np.ndarray:
    """Gradient of :func:`pool2d_forward` with respect to its input.

    Max (``arg`` given): each ``dy[n,c,i,j]`` is added at the argmax of its window. Average
    (``arg`` None): ``dy/(kh·kw)`` is added to every entry of the window.

    Returns
    -------
    dx : (N, C, H, W).
    """
    n, c, ho, wo = dy.shape
    hp, wp = in_hw[0] + 2 * padding[0], in_hw[1] + 2 * padding[1]
    if arg is None:
        cols = np.broadcast_to(
            (dy / (k[0] * k[1]))[:, :, None, None], (n, c, k[0], k[1], ho, wo)
        ).reshape(n, c * k[0] * k[1], ho * wo)
        dxp = col2im(cols, (hp, wp), k, stride, (1, 1), (ho, wo))
    else:
        dxp = np.zeros((n, c, hp, wp))
        nn, cc, ii, jj = np.indices(dy.shape)
        rows = ii * stride[0] + arg // k[1]
        cols_ = jj * stride[1] + arg % k[1]
        np.add.at(dxp, (nn, cc, rows, cols_), dy)
    return dxp[:, :, padding[0] : padding[0] + in_hw[0], padding[1] : padding[1] + in_hw[1]]


# ----------------------------------------------------------------------------------------------
# Registered functions
# ----------------------------------------------------------------------------------------------


def _operands(
    input_: np.ndarray, k: int, stride: int | None, padding: int
) -> tuple[np.ndarray, Pair, Pair, Pair, int]:
    x = as_array(input_, "input")
    if x.ndim not in (2, 3):
        raise DlstudyError(f"input: expected a matrix or a C×H×W array, got shape {x.shape}")
    x4 = x[None, None] if x.ndim == 2 else x[None]
    kk = Layout().pair(k, "k")
    ss = kk if stride is None else Layout().pair(stride, "stride")
    pp = Layout().pair(padding, "padding", 0)
    if pp[0] > kk[0] // 2 or pp[1] > kk[1] // 2:
        raise DlstudyError(f"padding: at most k/2 = {kk[0] // 2} (as torch), got {pp[0]}")
    for axis, name in ((0, "rows"), (1, "columns")):
        if output_length(x4.shape[2 + axis], kk[axis], ss[axis], (pp[axis], pp[axis]), 1) < 1:
            raise DlstudyError(
                f"k: the {kk[axis]}-wide window is larger than the padded input "
                f"({x4.shape[2 + axis] + 2 * pp[axis]} {name})"
            )
    return x4, kk, ss, pp, x.ndim


def _user(a4: np.ndarray, ndim: int) -> np.ndarray:
    return a4[0, 0] if ndim == 2 else a4[0]


def _out_index(c: int, i: int, j: int, ndim: int) -> str:
    return index_text((i, j) if ndim == 2 else (c, i, j))


def _in_index(c: int, r: int, q: int, pp: Pair, ndim: int) -> str:
    return index_text((r - pp[0], q - pp[1]) if ndim == 2 else (c, r - pp[0], q - pp[1]))


def _window_values(xp: np.ndarray, c: int, i: int, j: int, k: Pair, s: Pair) -> list[float]:
    return [
        float(v) for v in xp[0, c, i * s[0] : i * s[0] + k[0], j * s[1] : j * s[1] + k[1]].ravel()
    ]


def _fmt(v: float) -> str:
    return "pad" if v == -np.inf else format_number(v, 4)


def _forward(op: str, input_: np.ndarray, k: int, stride: int | None, padding: int) -> Solution:
    x4, kk, ss, pp, ndim = _operands(input_, k, stride, padding)
    y4, arg = pool2d_forward(x4, kk, ss, pp, op)
    fill = -np.inf if op == "max" else 0.0
    xp = _pad(x4, ((pp[0], pp[0]), (pp[1], pp[1])), fill)
    result = _user(y4, ndim)
    steps = [
        Step(
            "output size",
            list(y4.shape[2:]),
            f"⌊({x4.shape[2]} + 2·{pp[0]} - {kk[0]})/{ss[0]}⌋ + 1 = {y4.shape[2]} rows, "
            f"⌊({x4.shape[3]} + 2·{pp[1]} - {kk[1]})/{ss[1]}⌋ + 1 = {y4.shape[3]} columns",
        )
    ]
    for count, (_, c, i, j) in enumerate(np.ndindex(*y4.shape)):
        if count == MAX_STEPS:
            steps.append(Step("…", None, f"{y4.size - MAX_STEPS} more windows the same way"))
            break
        vals = _window_values(xp, c, i, j, kk, ss)
        value = float(y4[0, c, i, j])
        label = f"y{_out_index(c, i, j, ndim)}"
        if op == "max":
            a = int(arg[0, c, i, j])  # type: ignore[index]
            where = _in_index(c, i * ss[0] + a // kk[1], j * ss[1] + a % kk[1], pp, ndim)
            detail = f"max({', '.join(map(_fmt, vals))}) = {format_number(value, 6)} at x{where}"
        else:
            detail = f"({' + '.join(map(_fmt, vals))})/{kk[0] * kk[1]} = {format_number(value, 6)}"
        steps.append(Step(label, value, detail))
    steps.append(Step("output", result))

    other = "avg" if op == "max" else "max"
    candidates = [
        (
            "average-instead-of-max" if op == "max" else "max-instead-of-average",
            "that is average pooling: max pooling keeps the largest entry of each window"
            if op == "max"
            else "that is max pooling: average pooling takes the mean of each window",
            _user(pool2d_forward(x4, kk, ss, pp, other)[0], ndim),
        )
    ]
    if op == "avg":
        candidates.append(
            (
                "missing-1/k²",
                f"you summed the window: divide by k² = {kk[0] * kk[1]}",
                result * (kk[0] * kk[1]),
            )
        )
    if ss != (1, 1):
        candidates.append(
            (
                "stride-one",
                f"the windows move by the stride {ss[0]} (by default k): you moved them by 1",
                _user(pool2d_forward(x4, kk, (1, 1), pp, op)[0], ndim),
            )
        )
    mistakes = [Mistake(n, m, v) for n, m, v in candidates if not same_value(v, result)]
    return Solution(result, steps, mistakes, convention=CONVENTION)


_HELP = {
    "input": "H×W matrix or C×H×W array (pooled per channel)",
    "k": "window size k (k×k)",
    "stride": "step between windows (default: k)",
    "padding": "border added on each side (at most k/2)",
    "delta": "upstream gradient ∂C/∂y, shaped like the pooled output",
    "ties": "first (torch: the first maximum in row-major order) or error (refuse ties)",
}


@reference(
    "maxpool2d",
    section="pooling",
    summary="max pooling: the largest entry of each k×k window",
    params_help=_HELP,
)
def maxpool2d(
    input_: np.ndarray, k: int = 2, stride: int | None = None, padding: int = 0
) -> Solution:
    """Max pooling ``y[i,j] = max over x[i·s : i·s + k, j·s : j·s + k]``.

    Parameters
    ----------
    input : (H, W) or (C, H, W).
    k : window size; stride : default k; padding : -inf border, at most k/2.

    Returns
    -------
    Solution with the (Ho, Wo) (or (C, Ho, Wo)) output, ``Ho = ⌊(H + 2p - k)/s⌋ + 1``.
    """
    return _forward("max", input_, k, stride, padding)


@reference(
    "avgpool2d",
    section="pooling",
    summary="average pooling: the mean of each k×k window",
    params_help=_HELP,
)
def avgpool2d(
    input_: np.ndarray, k: int = 2, stride: int | None = None, padding: int = 0
) -> Solution:
    """Average pooling ``y[i,j] = (1/k²) Σ x[i·s + m, j·s + n]``.

    Parameters
    ----------
    input : (H, W) or (C, H, W).
    k : window size; stride : default k; padding : zero border, at most k/2, counted in the mean.

    Returns
    -------
    Solution with the (Ho, Wo) (or (C, Ho, Wo)) output.
    """
    return _forward("avg", input_, k, stride, padding)


def _overwrite(
    dy4: np.ndarray, in_hw: Pair, k: Pair, s: Pair, pp: Pair, arg: np.ndarray | None
) -> np.ndarray:
    """The wrong-method backward that assigns instead of accumulating (later windows win)."""
    _, c_count, _ho, _wo = dy4.shape
    dxp = np.zeros((1, c_count, in_hw[0] + 2 * pp[0], in_hw[1] + 2 * pp[1]))
    for _, c, i, j in np.ndindex(*dy4.shape):
        if arg is None:
            dxp[0, c, i * s[0] : i * s[0] + k[0], j * s[1] : j * s[1] + k[1]] = dy4[0, c, i, j] / (
                k[0] * k[1]
            )
        else:
            a = int(arg[0, c, i, j])
            dxp[0, c, i * s[0] + a // k[1], j * s[1] + a % k[1]] = dy4[0, c, i, j]
    return dxp[:, :, pp[0] : pp[0] + in_hw[0], pp[1] : pp[1] + in_hw[1]]


def _backward(
    op: str, input_: np.ndarray, delta: np.ndarray, k: int, stride: int | None, padding: int
) -> Solution:
    x4, kk, ss, pp, ndim = _operands(input_, k, stride, padding)
    y4, arg = pool2d_forward(x4, kk, ss, pp, op)
    d = as_array(delta, "delta")
    expected = _user(y4, ndim).shape
    if d.shape != expected:
        raise DlstudyError(
            f"delta: expected shape {'×'.join(map(str, expected))} (the pooled output), "
            f"got {'×'.join(map(str, d.shape)) or 'a number'}"
        )
    dy4 = d.reshape(y4.shape)
    in_hw = (x4.shape[2], x4.shape[3])
    dx4 = pool2d_backward(dy4, in_hw, kk, ss, pp, arg)
    result = _user(dx4, ndim)
    area = kk[0] * kk[1]

    steps = [Step("forward output", _user(y4, ndim), part=ASIDE if op == "avg" else "")]
    for count, (_, c, i, j) in enumerate(np.ndindex(*y4.shape)):
        if count == MAX_STEPS:
            steps.append(Step("…", None, f"{y4.size - MAX_STEPS} more windows the same way"))
            break
        g = float(dy4[0, c, i, j])
        label = f"δ{_out_index(c, i, j, ndim)}"
        if op == "max":
            a = int(arg[0, c, i, j])  # type: ignore[index]
            r, q = i * ss[0] + a // kk[1], j * ss[1] + a % kk[1]
            steps.append(
                Step(
                    label,
                    g,
                    f"all to x{_in_index(c, r, q, pp, ndim)} (the max "
                    f"{format_number(float(y4[0, c, i, j]), 6)} of its window); 0 to the others",
                )
            )
        else:
            r0, q0 = i * ss[0] - pp[0], j * ss[1] - pp[1]
            steps.append(
                Step(
                    f"{label}/{area}",
                    g / area,
                    f"{format_number(g, 6)}/{area} = {format_number(g / area, 6)} to each entry of "
                    f"rows {r0}..{r0 + kk[0] - 1}, columns {q0}..{q0 + kk[1] - 1}",
                )
            )
    overlap = ss[0] < kk[0] or ss[1] < kk[1]
    steps.append(
        Step(
            "∂C/∂x",
            result,
            "sum of the contributions (windows overlap)" if overlap else "windows do not overlap",
        )
    )

    spread = pool2d_backward(dy4, in_hw, kk, ss, pp, None)  # δ/k² everywhere
    if op == "max":
        candidates = [
            (
                "gradient-spread",
                "you copied δ to every entry of the window: max pooling routes it to the argmax "
                "only (0 elsewhere)",
                _user(spread * area, ndim),
            ),
            (
                "average-routing",
                "you spread δ/k² over the window (average pooling's backward): max pooling sends "
                "all of δ to the argmax",
                _user(spread, ndim),
            ),
        ]
    else:
        routed_avg_arg = pool2d_forward(x4, kk, ss, pp, "max")[1]
        routed = pool2d_backward(dy4, in_hw, kk, ss, pp, routed_avg_arg)
        candidates = [
            (
                "missing-1/k²",
                f"each entry of the window gets δ/k² = δ/{area}, not δ",
                _user(spread * area, ndim),
            ),
            (
                "max-routing",
                "you routed δ to the window's maximum (max pooling's backward): average pooling "
                "spreads δ/k² over the whole window",
                _user(routed, ndim),
            ),
        ]
    if overlap:
        candidates.append(
            (
                "overwrite-not-accumulate",
                "where windows overlap the contributions add up: you kept only the last one",
                _user(_overwrite(dy4, in_hw, kk, ss, pp, arg), ndim),
            )
        )
    mistakes = [Mistake(n, m, v) for n, m, v in candidates if not same_value(v, result)]
    return Solution(result, steps, mistakes, convention=CONVENTION)


@reference(
    "maxpool2d-backward",
    section="pooling",
    summary="max pooling backward: each δ goes to its window's argmax (routing)",
    params_help=_HELP,
)
def maxpool2d_backward(
    input_: np.ndarray,
    delta: np.ndarray,
    k: int = 2,
    stride: int | None = None,
    padding: int = 0,
    ties: str = "first",
) -> Solution:
    """Gradient of max pooling: ``∂C/∂x[m,n] = Σ δ[i,j]`` over the windows whose argmax is
    ``(m, n)``.

    Parameters
    ----------
    input : (H, W) or (C, H, W), the forward input.
    delta : (Ho, Wo) or (C, Ho, Wo), ∂C/∂y.

    Returns
    -------
    Solution with ∂C/∂x, shaped like the input.
    """
    if ties not in ("first", "error"):
        raise DlstudyError(f"ties: expected first or error, got {ties!r}")
    if ties == "error":
        x4, kk, ss, pp, _ = _operands(input_, k, stride, padding)
        y4, _ = pool2d_forward(x4, kk, ss, pp, "max")
        win = _windows(_pad(x4, ((pp[0], pp[0]), (pp[1], pp[1])), -np.inf), kk, ss, (1, 1))
        if np.any((win == y4[..., None, None]).sum(axis=(-2, -1)) > 1):
            raise DlstudyError("input: a window has two equal maxima (ties=error)")
    return _backward("max", input_, delta, k, stride, padding)


@reference(
    "avgpool2d-backward",
    section="pooling",
    summary="average pooling backward: δ/k² to every entry of the window",
    params_help=_HELP,
)
def avgpool2d_backward(
    input_: np.ndarray,
    delta: np.ndarray,
    k: int = 2,
    stride: int | None = None,
    padding: int = 0,
) -> Solution:
    """Gradient of average pooling: ``∂C/∂x[m,n] = Σ δ[i,j]/k²`` over the windows holding
    ``(m, n)`` (the input's values do not matter, only its shape).

    Parameters
    ----------
    input : (H, W) or (C, H, W), the forward input.
    delta : (Ho, Wo) or (C, Ho, Wo), ∂C/∂y.

    Returns
    -------
    Solution with ∂C/∂x, shaped like the input.
    """
    return _backward("avg", input_, delta, k, stride, padding)
