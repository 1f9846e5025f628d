"""Convolution and correlation (notes: CNN › Convolution and Correlation).

Correlation slides the kernel over the input as it is; convolution rotates it by 180° first:

.. math::

    I'(i,j) = \\sum_{m,n} K(m,n)\\, I(i+m, j+n) \\quad\\text{(correlation)}, \\qquad
    I'(i,j) = \\sum_{m,n} K(m,n)\\, I(i-m, j-n) \\quad\\text{(convolution)}.

With the kernel indexed from its top-left corner, stride ``s``, dilation ``d`` and the input zero-padded,
the correlation is ``y[i,j] = Σ_{m,n} K[m,n]·x_pad[i·s + m·d, j·s + n·d]`` (what
``torch.nn.functional.conv2d`` computes).

This module registers ``conv2d`` and ``conv-matrix``. The batched engine every CNN chapter uses
(:func:`~dlstudy.reference.conv_core.conv2d_forward`, ``conv2d_backward``,
``conv_transpose2d_forward``), the reading of a student's arrays and the step text are in
:mod:`dlstudy.reference.conv_core`; their loop-based twins, for the tests, in
:mod:`dlstudy.reference.conv_naive`.
"""

from __future__ import annotations

import numpy as np

from dlstudy.errors import DlstudyError
from dlstudy.reference.conv_core import (
    MAX_ENTRIES,
    Layout,
    Pads,
    Pair,
    _pad,
    check_mode,
    conv2d_forward,
    conv_matrix_of,
    conv_operands,
    dilate_kernel,
    entry_steps,
    forward_terms,
    matrix_operands,
    output_shape,
    same_value,
)
from dlstudy.reference.registry import (
    Mistake,
    Solution,
    Step,
    as_float,
    plural,
    reference,
)

CONVENTION = (
    "correlation as torch.nn.functional.conv2d: y[i,j] = Σ K[m,n]·x_pad[i·s + m·d, j·s + n·d], "
    "kernel indexed from its top-left corner; convolution rotates the kernel by 180° first; "
    "'same' pads d(k-1) zeros in total, the odd one at the bottom/right (torch); indices from 0"
)


def _show(arr4: np.ndarray, layout: Layout) -> np.ndarray:
    """A (1, C, H, W) or (O, C, kh, kw) array as the user wrote it (vector, matrix, or 3-D/4-D)."""
    if layout.one_d:
        return arr4.reshape(-1)
    if arr4.shape[0] == 1 and arr4.shape[1] == 1:
        return arr4[0, 0]
    if arr4.shape[0] == 1 and not layout.out_channels:
        return arr4[0]
    return arr4


# ----------------------------------------------------------------------------------------------
# Registered functions
# ----------------------------------------------------------------------------------------------


def _correlate(
    x4: np.ndarray, w4: np.ndarray, bias: float, stride: Pair, pads: Pads, dilation: Pair
) -> np.ndarray | None:
    """The engine's output, or None when the kernel does not fit (for wrong-method answers)."""
    try:
        output_shape(x4, w4, stride, pads, dilation)
    except DlstudyError:
        return None
    b = np.full(w4.shape[0], bias)
    return conv2d_forward(x4, w4, b, stride, pads, dilation)


def _size_detail(n: int, pad: Pair, k: int, d: int, s: int, length: int) -> str:
    return f"⌊({n} + {pad[0]} + {pad[1]} - {d}·({k}-1) - 1)/{s}⌋ + 1 = {length}"


@reference(
    "conv2d",
    section="convolution",
    summary="2-D correlation (torch's conv2d) or convolution: padding valid/same/full, stride, "
    "dilation, channels",
    params_help={
        "input": "H×W matrix, C×H×W array, or a vector (1-D)",
        "kernel": "kh×kw matrix, C×kh×kw (summed over channels), O×C×kh×kw, or a vector",
        "stride": "step between windows (an integer >= 1)",
        "padding": "zeros added on each border: an integer, or valid (0) / same / full",
        "dilation": "spacing between kernel taps (1 = none)",
        "mode": "correlation (default, as torch) or convolution (rotates the kernel by 180°)",
        "bias": "added to every output entry",
    },
)
def conv2d(
    input_: np.ndarray,
    kernel: np.ndarray,
    stride: int = 1,
    padding: int | str = 0,
    dilation: int = 1,
    mode: str = "correlation",
    bias: float = 0.0,
) -> Solution:
    """2-D correlation or convolution of ``input`` with ``kernel``.

    .. math::

        y[i,j] = b + \\sum_{c,m,n} K[c,m,n]\\; x_{pad}[c, i s + m d, j s + n d]

    (convolution: the same with ``K`` rotated by 180°).

    Parameters
    ----------
    input : (H, W), (C, H, W) or (n,) array.
    kernel : (kh, kw), (C, kh, kw), (O, C, kh, kw) or (k,) array.
    stride, dilation : int >= 1.
    padding : int >= 0 or ``valid`` / ``same`` / ``full``.
    mode : ``correlation`` or ``convolution``.
    bias : float.

    Returns
    -------
    Solution whose result is the (Ho, Wo) output (or (O, Ho, Wo), or a vector for 1-D input) with
    ``Ho = ⌊(H + 2p - d(kh-1) - 1)/s⌋ + 1``.
    """
    x4, w4, layout = conv_operands(input_, kernel)
    stride_ = layout.pair(stride, "stride")
    dil = layout.pair(dilation, "dilation")
    mode_ = check_mode(mode)
    bias_ = as_float(bias, "bias")
    pads = layout.pads(padding, (w4.shape[2], w4.shape[3]), dil)
    w_used = w4[:, :, ::-1, ::-1] if mode_ == "convolution" else w4
    ho, wo = output_shape(x4, w_used, stride_, pads, dil)
    y4 = _correlate(x4, w_used, bias_, stride_, pads, dil)
    assert y4 is not None
    xp = _pad(x4, pads)

    steps: list[Step] = []
    if mode_ == "convolution":
        steps.append(
            Step(
                "kernel rotated by 180°",
                _show(np.ascontiguousarray(w_used), layout),
                "convolution = correlation with the rotated kernel",
            )
        )
    if dil != (1, 1):
        steps.append(
            Step(
                "dilated kernel",
                _show(dilate_kernel(w_used, dil), layout),
                f"{plural(dil[1] - 1, 'zero')} between taps: span {dil[1]}·({w4.shape[3]} - 1) + 1 = "
                f"{dil[1] * (w4.shape[3] - 1) + 1}",
            )
        )
    if pads != ((0, 0), (0, 0)):
        steps.append(Step("padded input", _show(xp, layout), f"padding {_pads_text(pads, layout)}"))
    size = [_size_detail(x4.shape[3], pads[1], w4.shape[3], dil[1], stride_[1], wo) + " columns"]
    if not layout.one_d:
        size.insert(
            0,
            _size_detail(x4.shape[2], pads[0], w4.shape[2], dil[0], stride_[0], ho) + " rows",
        )
    steps.append(Step("output size", [wo] if layout.one_d else [ho, wo], "; ".join(size)))
    steps += entry_steps(
        y4, lambda o, i, j: forward_terms(xp, w_used, o, i, j, stride_, dil), layout, extra=bias_
    )
    result = layout.squeeze(y4)
    steps.append(Step("output", result))

    mistakes: list[Mistake] = []
    other = w4 if mode_ == "convolution" else w4[:, :, ::-1, ::-1]
    if mode_ == "convolution":
        name, message = (
            "correlation-not-convolution",
            "you computed the correlation: convolution flips the kernel (rotate it by 180°)",
        )
    else:
        name, message = (
            "convolution-not-correlation",
            "you computed the convolution: correlation does not flip the kernel",
        )
    candidates: list[tuple[str, str, np.ndarray | None]] = [
        (name, message, _correlate(x4, other, bias_, stride_, pads, dil)),
    ]
    if pads != ((0, 0), (0, 0)):
        candidates.append(
            (
                "padding-ignored",
                "you ignored the padding: add the zero border before sliding the kernel",
                _correlate(x4, w_used, bias_, stride_, ((0, 0), (0, 0)), dil),
            )
        )
    if dil != (1, 1):
        pads1 = layout.pads(padding, (w4.shape[2], w4.shape[3]), (1, 1))
        candidates.append(
            (
                "dilation-ignored",
                "you ignored the dilation: the taps are d apart (d-1 zeros between them)",
                _correlate(x4, w_used, bias_, stride_, pads1, (1, 1)),
            )
        )
    if stride_ != (1, 1):
        candidates.append(
            (
                "stride-ignored",
                "you moved the kernel one step at a time: the stride skips positions",
                _correlate(x4, w_used, bias_, (1, 1), pads, dil),
            )
        )
    if bias_:
        candidates.append(
            (
                "bias-forgotten",
                "you left out the bias",
                _correlate(x4, w_used, 0.0, stride_, pads, dil),
            )
        )
    for mname, mmessage, value in candidates:
        if value is not None and not same_value(layout.squeeze(value), result):
            mistakes.append(Mistake(mname, mmessage, layout.squeeze(value)))
    return Solution(result, steps, mistakes, convention=CONVENTION)


def _pads_text(pads: Pads, layout: Layout) -> str:
    if layout.one_d:
        return f"{pads[1][0]} left, {pads[1][1]} right"
    if pads[0][0] == pads[0][1] == pads[1][0] == pads[1][1]:
        return f"{pads[0][0]} on every side"
    return f"top {pads[0][0]}, bottom {pads[0][1]}, left {pads[1][0]}, right {pads[1][1]}"


@reference(
    "conv-matrix",
    section="convolution",
    summary="the convolution (Toeplitz) matrix M of a kernel for an input size, M·vec(x) = "
    "vec(y), and its shape (1-D full: (m+n-1)×n)",
    params_help={
        "kernel": "a vector (1-D) or a matrix (2-D)",
        "input_size": "n for a vector kernel; H (square) or [H, W] for a matrix kernel",
        "stride": "step between windows",
        "padding": "an integer, or valid (0) / same / full",
        "dilation": "spacing between kernel taps",
        "mode": "correlation (default, as conv2d) or convolution",
    },
)
def conv_matrix(
    kernel: np.ndarray,
    input_size: int | list = 3,
    stride: int = 1,
    padding: int | str = 0,
    dilation: int = 1,
    mode: str = "correlation",
) -> Solution:
    """The matrix ``M`` such that ``M @ vec(x) = vec(conv2d(x, kernel))``.

    Row ``r`` of ``M`` belongs to output entry ``r`` (row-major), column ``c`` to input entry ``c``;
    each row holds the kernel taps at the input positions that output entry reads.

    Parameters
    ----------
    kernel : (k,) or (kh, kw) array.
    input_size : n, or H / [H, W].
    stride, padding, dilation, mode : as in ``conv2d``.

    Returns
    -------
    Solution whose result is ``{"matrix": M, "shape": [rows, cols]}``: rows = number of output
    entries (``Ho·Wo``; 1-D: ``⌊(n + 2p - d(k-1) - 1)/s⌋ + 1``, so ``m+n-1`` for ``full``), columns =
    number of input entries (``H·W``; 1-D ``n``).
    """
    w, hw, layout = matrix_operands(kernel, input_size)
    stride_ = layout.pair(stride, "stride")
    dil = layout.pair(dilation, "dilation")
    mode_ = check_mode(mode)
    pads = layout.pads(padding, w.shape, dil)
    w_used = w[::-1, ::-1] if mode_ == "convolution" else w
    ho, wo = output_shape(np.zeros((1, 1, *hw)), w_used[None, None], stride_, pads, dil)
    shape = [ho * wo, hw[0] * hw[1]]
    if shape[0] * shape[1] > MAX_ENTRIES:
        raise DlstudyError(
            f"the matrix would be {shape[0]}×{shape[1]}: too large (at most {MAX_ENTRIES:,} "
            "entries); check input_size and padding"
        )
    m_ = conv_matrix_of(w_used, hw, stride_, pads, dil)

    steps = []
    if mode_ == "convolution":
        steps.append(
            Step("kernel rotated by 180°", _show(w_used[None, None], layout), part="matrix")
        )
    out_text = _size_detail(hw[1], pads[1], w.shape[1], dil[1], stride_[1], wo)
    if not layout.one_d:
        rows_text = _size_detail(hw[0], pads[0], w.shape[0], dil[0], stride_[0], ho)
        out_text = f"{rows_text} rows × {out_text} columns: {ho}·{wo} = {ho * wo}"
    in_text = "" if layout.one_d else f"{hw[0]}·{hw[1]} = {hw[0] * hw[1]}"
    steps.append(Step("rows = output entries", shape[0], out_text))
    steps.append(Step("columns = input entries", shape[1], in_text))
    steps.append(
        Step(
            "matrix",
            m_,
            "each row holds the kernel taps in the columns of the input entries its output reads"
            + ("" if layout.one_d else " (entries numbered row by row)"),
            part="matrix",
        )
    )
    result = {"matrix": m_, "shape": shape}

    mistakes = [
        Mistake(
            "shape-transposed",
            "rows are output entries and columns input entries: you gave the transpose",
            {"matrix": m_.T, "shape": [shape[1], shape[0]]},
        )
    ]
    flipped = w_used[::-1, ::-1]
    if not same_value(flipped, w_used):
        other = "correlation" if mode_ == "convolution" else "convolution"
        mistakes.append(
            Mistake(
                f"{other}-matrix",
                f"that is the matrix of the {other}: "
                + (
                    "convolution flips the kernel"
                    if mode_ == "convolution"
                    else "correlation does not flip the kernel"
                ),
                {"matrix": conv_matrix_of(flipped, hw, stride_, pads, dil), "shape": shape},
            )
        )
    for word in ("valid", "full"):
        other_pads = layout.pads(word, w.shape, dil)
        if other_pads == pads:
            continue
        try:
            oh, ow = output_shape(
                np.zeros((1, 1, *hw)), w_used[None, None], stride_, other_pads, dil
            )
        except DlstudyError:
            continue
        mistakes.append(
            Mistake(
                f"{word}-size",
                f"that is the {word} convolution's matrix: check the padding",
                {
                    "matrix": conv_matrix_of(w_used, hw, stride_, other_pads, dil),
                    "shape": [oh * ow, shape[1]],
                },
            )
        )
    return Solution(result, steps, mistakes, convention=CONVENTION + "; vec() is row-major")
