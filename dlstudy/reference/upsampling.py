"""Upsampling: transposed convolution, and dilated convolution (notes: CNN › Upsampling-Transposed
Convolution, Dilated Convolution).

A convolution is a matrix: ``y = K x`` (:func:`dlstudy.reference.conv_core.conv_matrix_of`). The
transposed convolution multiplies by ``Kᵀ`` instead: ``Kᵀ y`` has the shape of ``x`` (it upsamples)
but is *not* ``x`` (``Kᵀ`` is not ``K⁻¹``). Written out, every input entry scales the kernel, which is
added into the output at offset (i·s, j·s), then ``p`` rows/columns are cropped from each border:

.. math:: n_{out} = (n_{in} - 1)s - 2p + d(k-1) + \\text{output\\_padding} + 1.

A dilated convolution is ``conv2d`` with ``dilation`` d: the kernel taps are d apart (d-1 zeros
between them), so a k-tap kernel spans d(k-1)+1 inputs with k weights.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlstudy.errors import DlstudyError
from dlstudy.reference.conv_core import (
    MAX_ENTRIES,
    Layout,
    Pair,
    check_extent,
    conv_matrix_of,
    conv_transpose2d_forward,
    integer,
    matrix_operands,
    num,
    same_value,
    scatter_terms,
    sum_text,
    transpose_output_length,
)
from dlstudy.reference.convolution import conv2d
from dlstudy.reference.registry import (
    ASIDE,
    Mistake,
    Solution,
    Step,
    as_array,
    plural,
    reference,
    steps_left,
)

CONVENTION = (
    "torch's conv_transpose2d: no kernel flip; output entry (i·s + m·d - p, j·s + n·d - p) gets "
    "x[i,j]·K[m,n]; output_padding adds rows/columns at the bottom/right; indices from 0"
)

#: At most this many entries get their own step.
MAX_STEPS = 100


def _operands(input_: Any, kernel: Any) -> tuple[np.ndarray, np.ndarray, Layout]:
    """Input (1, C_in, H, W), kernel (C_in, C_out, kh, kw) and the layout of the result.

    Accepted: vector and vector; matrix and matrix; C×H×W and C×kh×kw (summed over the input
    channels, one output map); C×H×W (or a matrix) and C_in×C_out×kh×kw (torch's layout).
    """
    x = as_array(input_, "input")
    w = as_array(kernel, "kernel")
    if x.ndim == 1:
        if w.ndim != 1:
            raise DlstudyError(f"kernel: a vector input needs a vector kernel, got shape {w.shape}")
        return x[None, None, None, :], w[None, None, None, :], Layout(one_d=True)
    if x.ndim not in (2, 3):
        raise DlstudyError(f"input: expected a vector, a matrix or C×H×W, got shape {x.shape}")
    x4 = x[None, None] if x.ndim == 2 else x[None]
    c = x4.shape[1]
    if w.ndim == 2 and c == 1:
        w4, layout = w[None, None], Layout()
    elif w.ndim == 3 and x.ndim == 3:
        w4, layout = w[:, None], Layout()
    elif w.ndim == 4:
        w4, layout = w, Layout(out_channels=True)
    else:
        raise DlstudyError(
            f"kernel: for an input of shape {x.shape} expected "
            + ("a matrix or " if c == 1 and x.ndim == 2 else f"{c}×kh×kw or ")
            + f"{c}×C_out×kh×kw, got shape {w.shape}"
        )
    if w4.shape[0] != c:
        raise DlstudyError(
            f"kernel: has {w4.shape[0]} input channel(s) but the input has {c} "
            f"(transposed-convolution kernels are C_in×C_out×kh×kw)"
        )
    if w4.shape[2] < 1 or w4.shape[3] < 1:
        raise DlstudyError("kernel: empty")
    return x4, w4, layout


def _transpose_args(
    layout: Layout, stride: Any, padding: Any, output_padding: Any, dilation: Any
) -> tuple[Pair, Pair, Pair, Pair]:
    s = layout.pair(stride, "stride")
    d = layout.pair(dilation, "dilation")
    p = layout.pair(padding, "padding", 0)
    op = layout.pair(output_padding, "output_padding", 0)
    for axis in (0, 1):
        if op[axis] >= max(s[axis], d[axis]):
            raise DlstudyError(
                f"output_padding: must be smaller than the stride or the dilation "
                f"(as torch), got {op[axis]} with stride {s[axis]}"
            )
    return s, p, op, d


def _sizes(x4: np.ndarray, w4: np.ndarray, s: Pair, p: Pair, op: Pair, d: Pair) -> Pair:
    out = []
    for axis, name in ((0, "rows"), (1, "columns")):
        n = transpose_output_length(
            x4.shape[2 + axis], w4.shape[2 + axis], s[axis], p[axis], op[axis], d[axis]
        )
        if n < 1:
            raise DlstudyError(
                f"padding: cropping {p[axis]} from each border leaves no {name} "
                f"((n-1)s - 2p + d(k-1) + output_padding + 1 = {n})"
            )
        out.append(n)
    check_extent(out[0], out[1], w4.shape[1], "the output")
    return out[0], out[1]


def _size_text(n: int, k: int, s: int, p: int, op: int, d: int, out: int) -> str:
    return f"({n}-1)·{s} - 2·{p} + {d}·({k}-1) + {op} + 1 = {out}"


@reference(
    "conv-transpose2d",
    section="transposed-conv",
    summary="transposed convolution (torch's conv_transpose2d): each input entry stamps a scaled "
    "kernel at stride s, then padding is cropped",
    params_help={
        "input": "H×W matrix, C×H×W array, or a vector (1-D)",
        "kernel": "kh×kw, C×kh×kw (summed over input channels), or C_in×C_out×kh×kw",
        "stride": "distance between the stamped kernels",
        "padding": "rows/columns cropped from each border of the result",
        "output_padding": "extra rows/columns at the bottom/right (smaller than the stride)",
        "dilation": "spacing between kernel taps",
    },
)
def conv_transpose2d(
    input_: np.ndarray,
    kernel: np.ndarray,
    stride: int = 1,
    padding: int = 0,
    output_padding: int = 0,
    dilation: int = 1,
) -> Solution:
    """Transposed convolution.

    .. math:: y[i s + m d - p,\\; j s + n d - p] \\mathrel{+}= x[i,j]\\, K[m,n]

    Parameters
    ----------
    input : (H, W), (C, H, W) or (n,) array.
    kernel : (kh, kw), (C, kh, kw), (C_in, C_out, kh, kw) or (k,) array.
    stride, dilation : int >= 1; padding, output_padding : int >= 0.

    Returns
    -------
    Solution with the (Ho, Wo) output (or (C_out, Ho, Wo), or a vector),
    ``Ho = (H-1)s - 2p + d(kh-1) + output_padding + 1``.
    """
    x4, w4, layout = _operands(input_, kernel)
    s, p, op, d = _transpose_args(layout, stride, padding, output_padding, dilation)
    ho, wo = _sizes(x4, w4, s, p, op, d)
    y4 = conv_transpose2d_forward(x4, w4, s, p, op, d)
    result = layout.squeeze(y4)

    h, wd = x4.shape[2:]
    kh, kw = w4.shape[2:]
    size = [_size_text(wd, kw, s[1], p[1], op[1], d[1], wo) + " columns"]
    if not layout.one_d:
        size.insert(0, _size_text(h, kh, s[0], p[0], op[0], d[0], ho) + " rows")
    steps = [Step("output size", [wo] if layout.one_d else [ho, wo], "; ".join(size))]
    single = w4.shape[0] == 1 and w4.shape[1] == 1
    if single and x4.shape[2] * x4.shape[3] <= 25:
        for i in range(h):
            for j in range(wd):
                where = (
                    f"from position {j * s[1]}"
                    if layout.one_d
                    else f"with its top-left at ({i * s[0]}, {j * s[1]})"
                )
                stamp = x4[0, 0, i, j] * w4[0, 0]
                steps.append(
                    Step(
                        f"x{layout.index(0, i, j)}·K = {num(x4[0, 0, i, j])}·K",
                        stamp.ravel() if layout.one_d else stamp,
                        f"added into the output {where}"
                        + (f" (before cropping {p[1]})" if p != (0, 0) else ""),
                    )
                )
    if p != (0, 0):
        uncropped = conv_transpose2d_forward(x4, w4, s, (0, 0), op, d)
        steps.append(
            Step(
                "sum before cropping",
                layout.squeeze(uncropped),
                f"then drop {plural(p[1], 'column')} on each side"
                + ("" if layout.one_d else f" and {plural(p[0], 'row')} at the top and bottom"),
            )
        )
    terms = scatter_terms(x4, w4, s, p, d, (ho, wo), MAX_STEPS)
    for count, (o, i, j) in enumerate(np.ndindex(*y4.shape[1:])):
        if count == MAX_STEPS:
            steps.append(steps_left(y4[0].size, "entries", MAX_STEPS))
            break
        value = float(y4[0, o, i, j])
        steps.append(
            Step(f"y{layout.index(o, i, j)}", value, sum_text(terms.get((o, i, j), []), value))
        )
    steps.append(Step("output", result))

    candidates = [
        (
            "kernel-flipped",
            "the transposed convolution stamps K as it is: you rotated it by 180°",
            layout.squeeze(conv_transpose2d_forward(x4, w4[:, :, ::-1, ::-1], s, p, op, d)),
        )
    ]
    if p != (0, 0):
        candidates.append(
            (
                "padding-ignored",
                "padding in a transposed convolution removes p rows/columns from each border",
                layout.squeeze(conv_transpose2d_forward(x4, w4, s, (0, 0), op, d)),
            )
        )
    if s[0] < d[0] * (kh - 1) + 1 or s[1] < d[1] * (kw - 1) + 1:
        candidates.append(
            (
                "overlaps-not-added",
                "where stamped kernels overlap their contributions add up: you kept only one",
                layout.squeeze(_overwrite(x4, w4, s, p, d, (ho, wo))),
            )
        )
    mistakes = [Mistake(n, m, v) for n, m, v in candidates if not same_value(v, result)]
    return Solution(result, steps, mistakes, convention=CONVENTION)


def _overwrite(x4: np.ndarray, w4: np.ndarray, s: Pair, p: Pair, d: Pair, out: Pair) -> np.ndarray:
    """The wrong method that assigns each stamp instead of adding (later stamps win): stamps in the
    order of the loops ``for i, for j, for m, for n``, the last one to land on an entry kept."""
    _, _cin, h, wd = x4.shape
    _, cout, kh, kw = w4.shape
    # value of stamp (i, j) at tap (m, n) for output channel o: Σ_c x[c,i,j]·w[c,o,m,n]
    vals = np.einsum("cij,comn->oijmn", x4[0], w4)
    rows = (np.arange(h) * s[0])[:, None, None, None] + (np.arange(kh) * d[0] - p[0])[
        None, None, :, None
    ]
    cols = (np.arange(wd) * s[1])[None, :, None, None] + (np.arange(kw) * d[1] - p[1])[
        None, None, None, :
    ]
    rows, cols = np.broadcast_arrays(rows, cols)
    inside = ((rows >= 0) & (rows < out[0]) & (cols >= 0) & (cols < out[1])).ravel()
    target = (rows * out[1] + cols).ravel()[inside]
    # the last writer of each entry is the first one met walking the loops backwards
    last = target.size - 1 - np.unique(target[::-1], return_index=True)[1]
    y = np.zeros((1, cout, *out))
    for co in range(cout):
        y[0, co].flat[target[last]] = vals[co].ravel()[inside][last]
    return y


@reference(
    "conv-transpose-output-size",
    section="transposed-conv",
    summary="output length of a transposed convolution: (n-1)s - 2p + d(k-1) + output_padding + 1",
    params_help={
        "input_size": "input length n",
        "kernel_size": "kernel size k",
        "stride": "stride s",
        "padding": "padding p",
        "output_padding": "extra length at the end (smaller than the stride)",
        "dilation": "dilation d",
    },
)
def conv_transpose_output_size(
    input_size: int,
    kernel_size: int,
    stride: int = 1,
    padding: int = 0,
    output_padding: int = 0,
    dilation: int = 1,
) -> Solution:
    """Output length of a transposed convolution along one axis.

    .. math:: n_{out} = (n - 1)s - 2p + d(k-1) + \\text{output\\_padding} + 1

    Parameters
    ----------
    input_size, kernel_size, stride, dilation : int >= 1; padding, output_padding : int >= 0.

    Returns
    -------
    Solution with the output length (an integer).
    """
    n = integer(input_size, "input_size", 1)
    k = integer(kernel_size, "kernel_size", 1)
    s = integer(stride, "stride", 1)
    p = integer(padding, "padding", 0)
    op = integer(output_padding, "output_padding", 0)
    d = integer(dilation, "dilation", 1)
    if op >= max(s, d):
        raise DlstudyError(
            f"output_padding: must be smaller than the stride or the dilation (as torch), got {op}"
        )
    out = transpose_output_length(n, k, s, p, op, d)
    if out < 1:
        raise DlstudyError(f"padding: {p} crops everything away (output length {out})")
    steps = [
        Step("output length", out, _size_text(n, k, s, p, op, d, out)),
        Step(
            "check",
            (out + 2 * p - d * (k - 1) - 1) // s + 1,
            "a convolution with the same kernel, stride, padding and dilation maps it back to "
            f"⌊({out} + 2·{p} - {d}·({k}-1) - 1)/{s}⌋ + 1 = {(out + 2 * p - d * (k - 1) - 1) // s + 1}",
            part=ASIDE,
        ),
    ]
    candidates = [
        (
            "input-times-stride",
            "the output length is (n-1)s - 2p + d(k-1) + op + 1, not n·s",
            n * s,
        ),
        (
            "forward-formula",
            "that is the convolution's output size: the transposed convolution inverts it",
            (n + 2 * p - d * (k - 1) - 1) // s + 1,
        ),
        (
            "padding-added",
            "padding is removed in a transposed convolution: -2p, not +2p",
            (n - 1) * s + 2 * p + d * (k - 1) + op + 1,
        ),
        ("missing-plus-one", "you forgot the + 1", out - 1),
    ]
    mistakes = [Mistake(name, msg, v) for name, msg, v in candidates if v != out]
    return Solution(out, steps, mistakes, convention=CONVENTION)


@reference(
    "conv-transpose-matrix",
    section="transposed-conv",
    summary="the transposed convolution as Kᵀy: K is the matrix of the matching convolution",
    params_help={
        "input": "y: the small map to upsample (a vector or a matrix)",
        "kernel": "the kernel (a vector or a matrix)",
        "stride": "stride s",
        "padding": "padding p",
        "output_padding": "extra rows/columns at the bottom/right (smaller than the stride)",
        "dilation": "dilation d",
    },
)
def conv_transpose_matrix(
    input_: np.ndarray,
    kernel: np.ndarray,
    stride: int = 1,
    padding: int = 0,
    output_padding: int = 0,
    dilation: int = 1,
) -> Solution:
    """``Kᵀ vec(y)``, where ``K`` is the matrix of the convolution (correlation, as torch) with the
    same kernel, stride, padding and dilation that maps the upsampled size back to ``y``'s size.

    .. math:: K \\in \\mathbb{R}^{|y| \\times |x|},\\quad \\mathrm{vec}(x') = K^{\\mathsf T}
              \\mathrm{vec}(y) = \\text{conv\\_transpose}(y, K)

    Parameters
    ----------
    input : (n,) or (H, W) array y.
    kernel : (k,) or (kh, kw) array.

    Returns
    -------
    Solution with ``{"matrix": Kᵀ, "shape": [rows, cols], "output": Kᵀ y reshaped}``.
    """
    y = as_array(input_, "input")
    if y.ndim not in (1, 2):
        raise DlstudyError(f"input: expected a vector or a matrix, got shape {y.shape}")
    if np.ndim(kernel) != y.ndim:
        raise DlstudyError("kernel: give a vector kernel for a vector input, a matrix for a matrix")
    w, _, layout = matrix_operands(kernel, 1 if y.ndim == 1 else [1, 1])
    y2 = y[None, :] if layout.one_d else y
    x4, w4 = y2[None, None], w[None, None]
    s, p, op, d = _transpose_args(layout, stride, padding, output_padding, dilation)
    for axis in (0, 1):
        if op[axis] >= s[axis]:
            raise DlstudyError(
                "output_padding: must be smaller than the stride for the matrix view "
                "(otherwise the convolution does not map back to the input's size)"
            )
    n_hw = _sizes(x4, w4, s, p, op, d)
    pads = ((p[0], p[0]), (p[1], p[1]))
    rows, cols = y2.size, n_hw[0] * n_hw[1]
    if rows * cols > MAX_ENTRIES:
        raise DlstudyError(
            f"the matrix would be {rows}×{cols}: too large (at most {MAX_ENTRIES:,} entries)"
        )
    k_mat = conv_matrix_of(w, n_hw, s, pads, d)
    out_vec = k_mat.T @ y2.ravel()
    out = out_vec if layout.one_d else out_vec.reshape(n_hw)
    shape = [cols, rows]
    kh, kw = w.shape
    size_text = _size_text(y2.shape[1], kw, s[1], p[1], op[1], d[1], n_hw[1])
    if not layout.one_d:
        rows_text = _size_text(y2.shape[0], kh, s[0], p[0], op[0], d[0], n_hw[0])
        size_text = f"{rows_text} rows; {size_text} columns"
    values = ("matrix", "output")
    steps = [
        Step(
            "length of x (the upsampled length)" if layout.one_d else "size of x (upsampled)",
            n_hw[1] if layout.one_d else list(n_hw),
            size_text,
        ),
        Step(
            "K",
            f"{rows}×{cols}",
            "one row per entry of y, one column per entry of x",
            part="shape",
        ),
        Step("Kᵀ", shape, f"the transpose of K: {cols}×{rows}", part="shape"),
        Step(
            "K: the convolution from x's size back to y",
            k_mat,
            f"{rows}×{cols}: one row per entry of y, one column per entry of x",
            part=values,
        ),
        Step("Kᵀ", k_mat.T, f"{cols}×{rows}", part=values),
        Step("vec(y)", y2.ravel(), "row by row" if not layout.one_d else "", part=values),
        Step("Kᵀ vec(y)", out_vec, part=values),
        Step("reshaped", out, "equals conv-transpose2d of y with the same kernel", part=values),
    ]
    result = {"matrix": k_mat.T, "shape": shape, "output": out}
    mistakes = []
    pinv = np.linalg.pinv(k_mat)
    if np.linalg.matrix_rank(k_mat) == rows:
        inv_out = pinv @ y2.ravel()
        inv = inv_out if layout.one_d else inv_out.reshape(n_hw)
        if not same_value(inv, out):
            mistakes.append(
                Mistake(
                    "transpose-as-inverse",
                    "Kᵀy is not K⁻¹y: the transposed convolution restores the shape of x, not its "
                    "values",
                    {"matrix": pinv, "shape": shape, "output": inv},
                )
            )
    mistakes.append(
        Mistake(
            "K-not-transposed",
            "K maps the large map to the small one: upsampling multiplies by Kᵀ "
            f"({cols}×{rows}), not K ({rows}×{cols})",
            {"matrix": k_mat, "shape": [rows, cols], "output": out},
        )
    )
    return Solution(result, steps, mistakes, convention=CONVENTION + "; vec() is row-major")


@reference(
    "dilated-conv2d",
    section="dilated-conv",
    summary="dilated (atrous) convolution: conv2d with taps d apart (span d(k-1)+1, k weights)",
    params_help={
        "input": "H×W matrix, C×H×W array, or a vector (1-D)",
        "kernel": "the kernel before dilation",
        "dilation": "spacing d between taps (d-1 zeros between them)",
        "stride": "step between windows",
        "padding": "an integer, or valid / same / full",
        "mode": "correlation (default) or convolution",
    },
)
def dilated_conv2d(
    input_: np.ndarray,
    kernel: np.ndarray,
    dilation: int = 2,
    stride: int = 1,
    padding: int | str = 0,
    mode: str = "correlation",
) -> Solution:
    """``conv2d`` with ``dilation`` (default 2): ``y[i,j] = Σ K[m,n]·x[i·s + m·d, j·s + n·d]``.

    Parameters
    ----------
    input, kernel, stride, padding, mode : as in ``conv2d``.
    dilation : int >= 1.

    Returns
    -------
    Solution as ``conv2d``'s (the steps show the dilated kernel).
    """
    return conv2d(input_, kernel, stride=stride, padding=padding, dilation=dilation, mode=mode)
