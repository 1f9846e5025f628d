"""CNN backward pass and parameter update (notes: CNN › CNN-Backward Pass, CNN-Parameter Update).

For a correlation layer ``z^l = corr(z^(l−1), W) + b`` and upstream gradient ``δ^l = ∂C/∂z^l``:

.. math::

    δ^(l−1)_{ij} = \\sum_{i'j'} δ^l_{i'j'} W_{i'-i,\\,j'-j}
                 = \\text{full-corr}(δ^l, \\mathrm{rot}_{180}(W)) = \\text{full-conv}(δ^l, W),

    \\frac{∂C}{∂W_{mn}} = \\sum_{ij} δ^l_{ij}\\, z^(l−1)_{i+m,\\,j+n} = \\text{corr}(z^(l−1), δ^l),
    \\qquad \\frac{∂C}{∂b} = \\sum_{ij} δ^l_{ij}.

With stride ``s`` the same holds with ``s-1`` zeros inserted between the entries of ``δ^l``; with
padding ``p`` the full correlation gives δ for the padded input and its ``p``-wide border is dropped.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlstudy.errors import DlstudyError
from dlstudy.reference.conv_core import (
    Layout,
    Pads,
    Pair,
    _pad,
    conv2d_backward,
    conv2d_forward,
    conv_operands,
    dilate_kernel,
    index_text,
    output_shape,
    same_value,
    scatter_terms,
    sum_text,
)
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
    "forward z^l = corr(z^(l−1), W) + b as torch's conv2d (no kernel flip in the forward pass); "
    "δ^(l−1) = full correlation of δ^l with rot180(W); ∂W = corr(z^(l−1), δ^l); ∂b = Σ δ^l "
    "(sum over positions, no averaging)"
)

#: At most this many entries per array get their products written out.
MAX_ENTRIES = 64


def _full_delta(
    delta4: np.ndarray,
    w4: np.ndarray,
    in_hw: Pair,
    stride: Pair,
    pads: Pads,
    dilation: Pair,
    rotate: bool = True,
    full: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """δ^(l−1) the way a student computes it: dilate δ^l by the stride, pad it for a full
    correlation, slide rot180(W) (dilated) over it, drop the padding border.

    Returns (padded δ^l (1, O, ., .), the kernel used (C, O, ., .), δ^(l−1) (1, C, ., .)).
    With ``full=False`` (a wrong method) no padding and no cropping.
    """
    wd = dilate_kernel(w4, dilation)  # (O, C, span_h, span_w)
    kernel = wd[:, :, ::-1, ::-1] if rotate else wd
    kernel = np.ascontiguousarray(kernel.transpose(1, 0, 2, 3))  # (C, O, ., .)
    dil = dilate_kernel(delta4, stride)  # δ^l with s-1 zeros between its entries
    if not full:
        if dil.shape[2] < kernel.shape[2] or dil.shape[3] < kernel.shape[3]:
            return dil, kernel, np.zeros((1, kernel.shape[0], 0, 0))
        return dil, kernel, conv2d_forward(dil, kernel)
    span = wd.shape[2:]
    hp, wp = in_hw[0] + sum(pads[0]), in_hw[1] + sum(pads[1])
    extra = (hp - (dil.shape[2] + span[0] - 1), wp - (dil.shape[3] + span[1] - 1))
    padded = np.pad(
        dil,
        (
            (0, 0),
            (0, 0),
            (span[0] - 1, span[0] - 1 + extra[0]),
            (span[1] - 1, span[1] - 1 + extra[1]),
        ),
    )
    grad_padded = conv2d_forward(padded, kernel)
    top, left = pads[0][0], pads[1][0]
    return padded, kernel, grad_padded[:, :, top : top + in_hw[0], left : left + in_hw[1]]


def _user(arr4: np.ndarray, ndim: int) -> np.ndarray:
    """A 4-D engine array in the user's ``ndim`` (dropping leading singleton axes)."""
    return arr4.reshape(arr4.shape[4 - ndim :]) if ndim < 4 else arr4


def _entry_steps(
    name: str,
    values4: np.ndarray,
    ndim: int,
    terms: dict[tuple[int, ...], list[tuple[float, float]]],
    part: str,
) -> list[Step]:
    steps = []
    for count, idx in enumerate(np.ndindex(*values4.shape)):
        if count == MAX_ENTRIES:
            steps.append(steps_left(values4.size, "entries", MAX_ENTRIES, part))
            break
        value = float(values4[idx])
        steps.append(
            Step(
                f"{name}{index_text(idx[4 - ndim :])}",
                value,
                sum_text(terms.get(idx, []), value),
                part,
            )
        )
    return steps


@reference(
    "conv2d-backward",
    section="cnn-backward",
    summary="δ^(l−1) (full correlation of δ^l with rot180(W)), ∂W = corr(z^(l−1), δ^l) and ∂b "
    "for a conv layer",
    params_help={
        "input": "z^(l−1): the forward input (H×W, C×H×W)",
        "kernel": "W: kh×kw, C×kh×kw, or O×C×kh×kw",
        "delta": "δ^l = ∂C/∂z^l: the upstream gradient, shaped like the forward output",
        "stride": "forward stride",
        "padding": "forward padding: an integer, or valid / same / full",
        "dilation": "forward dilation",
    },
)
def conv2d_backward_ref(
    input_: np.ndarray,
    kernel: np.ndarray,
    delta: np.ndarray,
    stride: int = 1,
    padding: int | str = 0,
    dilation: int = 1,
) -> Solution:
    """Backward pass of ``z^l = corr(z^(l−1), W) + b``.

    .. math::

        δ^(l−1) = \\text{full-corr}(δ^l, \\mathrm{rot}_{180}(W)), \\quad
        ∂W = \\text{corr}(z^(l−1), δ^l), \\quad ∂b = \\sum δ^l

    Parameters
    ----------
    input : z^(l−1), (H, W) or (C, H, W) (or a vector).
    kernel : W, (kh, kw), (C, kh, kw) or (O, C, kh, kw).
    delta : δ^l, (Ho, Wo) or (O, Ho, Wo): the forward output's shape.
    stride, padding, dilation : of the forward layer.

    Returns
    -------
    Solution whose result is ``{"delta_prev": δ^(l−1) (input's shape), "dW": ∂W (kernel's shape),
    "db": ∂b (a number, or a vector of O)}``.
    """
    x4, w4, layout = conv_operands(input_, kernel)
    in_ndim, k_ndim = np.ndim(input_), np.ndim(kernel)
    stride_ = layout.pair(stride, "stride")
    dil = layout.pair(dilation, "dilation")
    pads = layout.pads(padding, (w4.shape[2], w4.shape[3]), dil)
    ho, wo = output_shape(x4, w4, stride_, pads, dil)
    d = as_array(delta, "delta")
    expected = layout.squeeze(np.zeros((1, w4.shape[0], ho, wo))).shape
    if d.shape != expected:
        raise DlstudyError(
            f"delta: expected shape {_shape(expected)} (the forward output), got {_shape(d.shape)}"
        )
    d4 = d.reshape(1, w4.shape[0], ho, wo)
    in_hw = (x4.shape[2], x4.shape[3])

    dx4, dw4, db = conv2d_backward(x4, w4, d4, stride_, pads, dil)
    result = _result(dx4, dw4, db, in_ndim, k_ndim, layout)

    steps: list[Step] = [
        Step("forward output size", list(expected), "the shape of δ^l", part=ASIDE)
    ]
    padded, kernel_used, _ = _full_delta(d4, w4, in_hw, stride_, pads, dil)
    if w4.shape[0] == 1 and w4.shape[1] == 1:
        if stride_ != (1, 1):
            steps.append(
                Step(
                    f"δ^l with {plural(stride_[0] - 1, 'zero')} between its entries "
                    f"(stride {stride_[0]})",
                    _user(dilate_kernel(d4, stride_), in_ndim),
                    part="delta_prev",
                )
            )
        ring = dilate_kernel(w4, dil).shape[2] - 1
        extra = padded.shape[2] - dilate_kernel(d4, stride_).shape[2] - 2 * ring
        steps.append(
            Step(
                "δ^l zero-padded for the full correlation",
                _user(padded, in_ndim),
                f"{plural(ring, 'ring')} of zeros around it (kernel size − 1)"
                + (f", {extra} more at the bottom and right" if extra > 0 else ""),
                part="delta_prev",
            )
        )
        steps.append(
            Step(
                "rot180(W)",
                _user(kernel_used, k_ndim),
                "the kernel rotated by 180°",
                part="delta_prev",
            )
        )
    fwd_terms = scatter_terms(
        d4, w4, stride_, (pads[0][0], pads[1][0]), dil, in_hw, MAX_ENTRIES
    )  # δ^l[o,i,j]·W[o,c,m,n] into δ^(l−1)[c, ...]
    steps += _entry_steps(
        "δ^(l−1)", dx4, in_ndim, {(0, *k): v for k, v in fwd_terms.items()}, "delta_prev"
    )
    xp = _pad(x4, pads)
    dw_terms = {
        (o, c, m, n): [
            (
                float(d4[0, o, i, j]),
                float(xp[0, c, i * stride_[0] + m * dil[0], j * stride_[1] + n * dil[1]]),
            )
            for i in range(ho)
            for j in range(wo)
        ]
        for o, c, m, n in np.ndindex(*w4.shape)
    }
    steps.append(
        Step(
            "slide δ^l over z^(l−1) (no flip): ∂C/∂W[m,n] = Σ δ^l[i,j]·z^(l−1)[i+m, j+n]",
            part="dW",
        )
    )
    steps += _entry_steps("∂C/∂W", dw4, k_ndim, dw_terms, "dW")
    steps.append(
        Step(
            "∂C/∂b",
            result["db"],
            "; ".join(
                f"Σ δ^l[{o}] = {float(db[o]):g}" if w4.shape[0] > 1 else f"Σ δ^l = {float(db[o]):g}"
                for o in range(w4.shape[0])
            ),
            part="db",
        )
    )

    mistakes: list[Mistake] = []

    def add(name: str, message: str, **part: Any) -> None:
        value = {**result, **part}
        if not all(same_value(value[k], result[k]) for k in result):
            mistakes.append(Mistake(name, message, value))

    _, _, valid = _full_delta(d4, w4, in_hw, stride_, pads, dil, full=False)
    if valid.shape[2] >= 1 and valid.shape[3] >= 1:
        add(
            "valid-instead-of-full",
            "you used a valid correlation: δ^(l−1) needs the FULL correlation (pad δ^l with k − 1 "
            "zeros) so that it has the input's shape",
            delta_prev=_user(valid, in_ndim),
        )
    _, _, no_flip = _full_delta(d4, w4, in_hw, stride_, pads, dil, rotate=False)
    add(
        "no-flip",
        "you slid W without rotating it (or rotated it twice): δ^(l−1) is the full correlation "
        "of δ^l with rot180(W), i.e. the full convolution with W",
        delta_prev=_user(no_flip, in_ndim),
    )
    if stride_ == (1, 1) and dil == (1, 1):

        def per_pair(kernels: np.ndarray) -> np.ndarray:
            """corr(z^(l−1)[c], kernels[o, c]) for every (o, c)."""
            return np.stack(
                [
                    np.stack(
                        [
                            conv2d_forward(xp[:, c : c + 1], kernels[o : o + 1, c : c + 1])[0, 0]
                            for c in range(w4.shape[1])
                        ]
                    )
                    for o in range(w4.shape[0])
                ]
            )

        # δ^l rotated by 180° (a convolution): corr(z^(l−1), rot180(δ^l)).
        rotated = np.repeat(d4[0, :, None, ::-1, ::-1], w4.shape[1], axis=1)
        add(
            "dW-flipped",
            "you convolved (rotated δ^l): ∂W is the correlation of z^(l−1) with δ^l, nothing is "
            "rotated",
            dW=_user(per_pair(rotated), k_ndim),
        )
        # The kernel W in the place of δ^l: corr(z^(l−1), W), shaped like the forward output.
        add(
            "W-instead-of-delta",
            "∂W slides δ^l (not W) over z^(l−1): ∂W[m,n] = Σ δ^l[i,j]·z^(l−1)[i+m, j+n]",
            dW=_user(per_pair(w4), k_ndim),
        )
    return Solution(result, steps, mistakes, convention=CONVENTION)


def _result(
    dx4: np.ndarray, dw4: np.ndarray, db: np.ndarray, in_ndim: int, k_ndim: int, layout: Layout
) -> dict[str, Any]:
    return {
        "delta_prev": _user(dx4, in_ndim),
        "dW": _user(dw4, k_ndim),
        "db": db if layout.out_channels else float(db[0]),
    }


def _shape(shape: tuple[int, ...]) -> str:
    return "×".join(map(str, shape)) or "scalar"
