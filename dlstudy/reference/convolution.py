"""Convolution and correlation (notes: CNN › Convolution and Correlation).

Correlation slides the kernel over the input as it is; convolution rotates it by 180° first:

.. math::

    I'(i,j) = \\sum_{m,n} K(m,n)\\, I(i+m, j+n) \\quad\\text{(correlation)}, \\qquad
    I'(i,j) = \\sum_{m,n} K(m,n)\\, I(i-m, j-n) \\quad\\text{(convolution)}.

With the kernel indexed from its top-left corner, stride ``s``, dilation ``d`` and the input zero-padded,
the correlation is ``y[i,j] = Σ_{m,n} K[m,n]·x_pad[i·s + m·d, j·s + n·d]`` (what
``torch.nn.functional.conv2d`` computes).

This module holds the batched engine every CNN chapter module uses (:func:`conv2d_forward`,
:func:`conv2d_backward`, :func:`conv_transpose2d_forward`, each with a loop-based ``*_naive`` twin
for the tests) and the registered functions ``conv2d`` and ``conv-matrix``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np

from dlstudy.errors import DlstudyError, did_you_mean
from dlstudy.output import format_factor, format_number
from dlstudy.reference.registry import (
    Mistake,
    Solution,
    Step,
    as_array,
    as_float,
    plural,
    reference,
)

Pair = tuple[int, int]
Pads = tuple[Pair, Pair]  # ((top, bottom), (left, right))

#: At most this many output entries get their products written out in the steps.
MAX_STEP_ENTRIES = 100

CONVENTION = (
    "correlation as torch.nn.functional.conv2d: y[i,j] = Σ K[m,n]·x_pad[i·s + m·d, j·s + n·d], "
    "kernel indexed from its top-left corner; convolution rotates the kernel by 180° first; "
    "'same' pads d(k-1) zeros in total, the odd one at the bottom/right (torch); indices from 0"
)


# ----------------------------------------------------------------------------------------------
# The batched engine: x (N, C, H, W), w (O, C, kh, kw), float64.
# ----------------------------------------------------------------------------------------------


def output_length(n: int, k: int, stride: int, pad: Pair, dilation: int) -> int:
    """``⌊(n + p_before + p_after - d(k-1) - 1)/s⌋ + 1`` (may be < 1: no valid position)."""
    return (n + pad[0] + pad[1] - dilation * (k - 1) - 1) // stride + 1


def _windows(xp: np.ndarray, k: Pair, stride: Pair, dilation: Pair) -> np.ndarray:
    """View of the windows of a padded batch: (N, C, Ho, Wo, kh, kw), no copy."""
    span = (dilation[0] * (k[0] - 1) + 1, dilation[1] * (k[1] - 1) + 1)
    view = np.lib.stride_tricks.sliding_window_view(xp, span, axis=(2, 3))
    return view[:, :, :: stride[0], :: stride[1], :: dilation[0], :: dilation[1]]


def _pad(x: np.ndarray, pads: Pads, value: float = 0.0) -> np.ndarray:
    if pads == ((0, 0), (0, 0)):
        return x
    return np.pad(x, ((0, 0), (0, 0), pads[0], pads[1]), constant_values=value)


def im2col(x: np.ndarray, k: Pair, stride: Pair, pads: Pads, dilation: Pair) -> np.ndarray:
    """The columns of a batch: (N, C·kh·kw, Ho·Wo), one column per output position."""
    n, c = x.shape[:2]
    win = _windows(_pad(x, pads), k, stride, dilation)  # (N, C, Ho, Wo, kh, kw)
    ho, wo = win.shape[2:4]
    return win.transpose(0, 1, 4, 5, 2, 3).reshape(n, c * k[0] * k[1], ho * wo)


def col2im(
    cols: np.ndarray, out_hw: Pair, k: Pair, stride: Pair, dilation: Pair, grid: Pair
) -> np.ndarray:
    """Scatter-add columns (N, C·kh·kw, Ho·Wo) back onto a (N, C, *out_hw) canvas: the adjoint of
    :func:`im2col` without padding (``grid`` = (Ho, Wo))."""
    n = cols.shape[0]
    c = cols.shape[1] // (k[0] * k[1])
    blocks = cols.reshape(n, c, k[0], k[1], grid[0], grid[1])
    canvas = np.zeros((n, c, *out_hw))
    for m in range(k[0]):
        r0 = m * dilation[0]
        rows = slice(r0, r0 + stride[0] * (grid[0] - 1) + 1, stride[0])
        for q in range(k[1]):
            c0 = q * dilation[1]
            cols_ = slice(c0, c0 + stride[1] * (grid[1] - 1) + 1, stride[1])
            canvas[:, :, rows, cols_] += blocks[:, :, m, q]
    return canvas


def conv2d_forward(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray | None = None,
    stride: Pair = (1, 1),
    pads: Pads = ((0, 0), (0, 0)),
    dilation: Pair = (1, 1),
) -> np.ndarray:
    """Batched 2-D correlation (``torch.nn.functional.conv2d``), vectorised with im2col.

    .. math:: y[n,o,i,j] = b_o + \\sum_{c,m,q} w[o,c,m,q]\\; x_{pad}[n,c,i s_h + m d_h, j s_w + q d_w]

    Parameters
    ----------
    x : (N, C, H, W) input.
    w : (O, C, kh, kw) filters.
    b : (O,) biases or None.
    stride, dilation : (vertical, horizontal).
    pads : ((top, bottom), (left, right)) zero padding.

    Returns
    -------
    y : (N, O, Ho, Wo), ``Ho = ⌊(H + top + bottom - d_h(kh-1) - 1)/s_h⌋ + 1``.
    """
    n = x.shape[0]
    o, _, kh, kw = w.shape
    ho = output_length(x.shape[2], kh, stride[0], pads[0], dilation[0])
    wo = output_length(x.shape[3], kw, stride[1], pads[1], dilation[1])
    cols = im2col(x, (kh, kw), stride, pads, dilation)  # (N, CK, HoWo)
    y = np.matmul(w.reshape(o, -1), cols)  # (N, O, HoWo)
    if b is not None:
        y += np.asarray(b, dtype=np.float64)[None, :, None]
    return y.reshape(n, o, ho, wo)


def conv2d_backward(
    x: np.ndarray,
    w: np.ndarray,
    dy: np.ndarray,
    stride: Pair = (1, 1),
    pads: Pads = ((0, 0), (0, 0)),
    dilation: Pair = (1, 1),
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of :func:`conv2d_forward` for an upstream gradient ``dy`` = δ^l.

    .. math::

        δ^{l-1} = \\text{full-corr}(δ^l, \\mathrm{rot}_{180}(W)), \\qquad
        \\frac{∂C}{∂W} = \\text{corr}(z^{l-1}, δ^l), \\qquad \\frac{∂C}{∂b_o} = \\sum δ^l_o

    (for stride s, δ^l with s-1 zeros between its entries). Computed as the adjoint of im2col.

    Parameters
    ----------
    x : (N, C, H, W) the forward input z^{l-1}.
    w : (O, C, kh, kw) filters.
    dy : (N, O, Ho, Wo) upstream gradient.

    Returns
    -------
    dx : (N, C, H, W), dw : (O, C, kh, kw), db : (O,).
    """
    n, _c, h, wd = x.shape
    o, _, kh, kw = w.shape
    ho, wo = dy.shape[2:]
    cols = im2col(x, (kh, kw), stride, pads, dilation)  # (N, CK, HoWo)
    dy_flat = dy.reshape(n, o, ho * wo)
    db = dy_flat.sum(axis=(0, 2))
    # Σ_n δ[n] · cols[n]ᵀ (matmul on a transposed view: no copy of the columns)
    dw = np.matmul(dy_flat, cols.transpose(0, 2, 1)).sum(axis=0).reshape(w.shape)
    dcols = np.matmul(w.reshape(o, -1).T, dy_flat)  # (N, CK, HoWo)
    hp, wp = h + sum(pads[0]), wd + sum(pads[1])
    dxp = col2im(dcols, (hp, wp), (kh, kw), stride, dilation, (ho, wo))
    dx = dxp[:, :, pads[0][0] : pads[0][0] + h, pads[1][0] : pads[1][0] + wd]
    return dx, dw, db


def transpose_output_length(
    n: int, k: int, stride: int, pad: int, output_padding: int, dilation: int
) -> int:
    """``(n-1)s - 2p + d(k-1) + output_padding + 1``."""
    return (n - 1) * stride - 2 * pad + dilation * (k - 1) + output_padding + 1


def conv_transpose2d_forward(
    x: np.ndarray,
    w: np.ndarray,
    stride: Pair = (1, 1),
    padding: Pair = (0, 0),
    output_padding: Pair = (0, 0),
    dilation: Pair = (1, 1),
) -> np.ndarray:
    """Batched transposed convolution (``torch.nn.functional.conv_transpose2d``): every input entry
    scales the kernel, which is added into the output at offset (i·s, j·s); then ``padding`` rows
    and columns are cropped from each border (``output_padding`` extra at the bottom/right).

    .. math:: y_{full}[n,o,i s + m d, j s + q d] \\mathrel{+}= x[n,c,i,j]\\, w[c,o,m,q]

    Parameters
    ----------
    x : (N, C_in, H, W) input.
    w : (C_in, C_out, kh, kw) filters (torch's layout for transposed convolution).

    Returns
    -------
    y : (N, C_out, Ho, Wo), ``Ho = (H-1)s - 2p + d(kh-1) + output_padding + 1``.
    """
    n, cin, h, wd = x.shape
    _, _cout, kh, kw = w.shape
    ho = transpose_output_length(h, kh, stride[0], padding[0], output_padding[0], dilation[0])
    wo = transpose_output_length(wd, kw, stride[1], padding[1], output_padding[1], dilation[1])
    full = (
        (h - 1) * stride[0] + dilation[0] * (kh - 1) + 1 + output_padding[0],
        (wd - 1) * stride[1] + dilation[1] * (kw - 1) + 1 + output_padding[1],
    )
    cols = np.matmul(w.reshape(cin, -1).T, x.reshape(n, cin, h * wd))  # (N, Cout·K, HW)
    canvas = col2im(cols, full, (kh, kw), stride, dilation, (h, wd))
    return canvas[:, :, padding[0] : padding[0] + ho, padding[1] : padding[1] + wo]


# ----------------------------------------------------------------------------------------------
# Loop-based twins (for the tests): one scalar multiply-add at a time.
# ----------------------------------------------------------------------------------------------


def _pad_naive(x: np.ndarray, pads: Pads) -> np.ndarray:
    n, c, h, w = x.shape
    out = np.zeros((n, c, h + pads[0][0] + pads[0][1], w + pads[1][0] + pads[1][1]))
    for a in range(n):
        for ch in range(c):
            for i in range(h):
                for j in range(w):
                    out[a, ch, i + pads[0][0], j + pads[1][0]] = x[a, ch, i, j]
    return out


def conv2d_naive(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray | None = None,
    stride: Pair = (1, 1),
    pads: Pads = ((0, 0), (0, 0)),
    dilation: Pair = (1, 1),
) -> np.ndarray:
    """Loop version of :func:`conv2d_forward`."""
    n, c = x.shape[:2]
    o, _, kh, kw = w.shape
    xp = _pad_naive(x, pads)
    ho = output_length(x.shape[2], kh, stride[0], pads[0], dilation[0])
    wo = output_length(x.shape[3], kw, stride[1], pads[1], dilation[1])
    y = np.zeros((n, o, ho, wo))
    for a in range(n):
        for f in range(o):
            for i in range(ho):
                for j in range(wo):
                    total = 0.0 if b is None else float(b[f])
                    for ch in range(c):
                        for m in range(kh):
                            for q in range(kw):
                                r, s = (
                                    i * stride[0] + m * dilation[0],
                                    j * stride[1] + q * dilation[1],
                                )
                                total += w[f, ch, m, q] * xp[a, ch, r, s]
                    y[a, f, i, j] = total
    return y


def conv2d_backward_naive(
    x: np.ndarray,
    w: np.ndarray,
    dy: np.ndarray,
    stride: Pair = (1, 1),
    pads: Pads = ((0, 0), (0, 0)),
    dilation: Pair = (1, 1),
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Loop version of :func:`conv2d_backward`: each output entry sends δ back along its taps."""
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    xp = _pad_naive(x, pads)
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w, dtype=np.float64)
    db = np.zeros(o)
    for a in range(n):
        for f in range(o):
            for i in range(dy.shape[2]):
                for j in range(dy.shape[3]):
                    g = dy[a, f, i, j]
                    db[f] += g
                    for ch in range(c):
                        for m in range(kh):
                            for q in range(kw):
                                r, s = (
                                    i * stride[0] + m * dilation[0],
                                    j * stride[1] + q * dilation[1],
                                )
                                dw[f, ch, m, q] += g * xp[a, ch, r, s]
                                dxp[a, ch, r, s] += g * w[f, ch, m, q]
    dx = dxp[:, :, pads[0][0] : pads[0][0] + h, pads[1][0] : pads[1][0] + wd]
    return dx, dw, db


def conv_transpose2d_naive(
    x: np.ndarray,
    w: np.ndarray,
    stride: Pair = (1, 1),
    padding: Pair = (0, 0),
    output_padding: Pair = (0, 0),
    dilation: Pair = (1, 1),
) -> np.ndarray:
    """Loop version of :func:`conv_transpose2d_forward`."""
    n, cin, h, wd = x.shape
    _, cout, kh, kw = w.shape
    ho = transpose_output_length(h, kh, stride[0], padding[0], output_padding[0], dilation[0])
    wo = transpose_output_length(wd, kw, stride[1], padding[1], output_padding[1], dilation[1])
    y = np.zeros((n, cout, ho, wo))
    for a in range(n):
        for ci in range(cin):
            for i in range(h):
                for j in range(wd):
                    for co in range(cout):
                        for m in range(kh):
                            for q in range(kw):
                                r = i * stride[0] + m * dilation[0] - padding[0]
                                s = j * stride[1] + q * dilation[1] - padding[1]
                                if 0 <= r < ho and 0 <= s < wo:
                                    y[a, co, r, s] += x[a, ci, i, j] * w[ci, co, m, q]
    return y


# ----------------------------------------------------------------------------------------------
# User input: arrays and arguments as a student writes them (shared by the CNN chapter modules).
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    """How the user's arrays map onto the batched engine and back.

    ``one_d``: input and kernel were vectors (height 1; stride/padding/dilation act on the width).
    ``out_channels``: the kernel had an output-channel axis, so the result keeps it.
    """

    one_d: bool = False
    out_channels: bool = False

    def pair(self, value: Any, label: str, minimum: int = 1) -> Pair:
        """An integer (or, for 2-D, a pair [vertical, horizontal]) at least ``minimum``."""
        if isinstance(value, (list, tuple, np.ndarray)) and not self.one_d:
            items = list(np.asarray(value).ravel()) if isinstance(value, np.ndarray) else value
            if len(items) != 2:
                raise DlstudyError(f"{label}: expected an integer or a pair [vertical, horizontal]")
            return (
                integer(items[0], label, minimum),
                integer(items[1], label, minimum),
            )
        v = integer(value, label, minimum)
        return (minimum, v) if self.one_d else (v, v)

    def pads(self, value: Any, k: Pair, dilation: Pair, label: str = "padding") -> Pads:
        """Zero padding from an integer, a pair, or the words valid / same / full."""
        if isinstance(value, str):
            word = value.strip().lower()
            span = (dilation[0] * (k[0] - 1), dilation[1] * (k[1] - 1))
            if word == "valid":
                return ((0, 0), (0, 0))
            if word == "full":
                return ((span[0], span[0]), (span[1], span[1]))
            if word == "same":
                return (
                    (span[0] // 2, span[0] - span[0] // 2),
                    (span[1] // 2, span[1] - span[1] // 2),
                )
            raise DlstudyError(
                f"{label}: expected an integer or one of valid, same, full, got '{value}'"
                f"{did_you_mean(word, ['valid', 'same', 'full'])}"
            )
        p = self.pair(value, label, 0)
        if self.one_d:
            return ((0, 0), (p[1], p[1]))
        return ((p[0], p[0]), (p[1], p[1]))

    def squeeze(self, y: np.ndarray) -> np.ndarray:
        """(1, O, Ho, Wo) → the user's shape: vector, matrix, or O×Ho×Wo."""
        if self.one_d:
            return y[0, 0, 0]
        if self.out_channels:
            return y[0]
        return y[0, 0]

    def index(self, o: int, i: int, j: int) -> str:
        if self.one_d:
            return f"[{j}]"
        if self.out_channels:
            return f"[{o},{i},{j}]"
        return f"[{i},{j}]"


def integer(value: Any, label: str, minimum: int = 0) -> int:
    """An integer at least ``minimum`` (``2.0`` is fine, ``2.5`` or a word is not)."""
    number = as_float(value, label)
    if number != int(number):
        raise DlstudyError(f"{label}: expected an integer, got {format_number(number)}")
    if number < minimum:
        what = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise DlstudyError(f"{label}: expected {what}, got {int(number)}")
    return int(number)


def conv_operands(input_: Any, kernel: Any) -> tuple[np.ndarray, np.ndarray, Layout]:
    """The input as (1, C, H, W), the kernel as (O, C, kh, kw) and the layout to undo it.

    Accepted: vector and vector (1-D); matrix and matrix; C×H×W and C×kh×kw (summed over channels);
    C×H×W (or a matrix, C = 1) and O×C×kh×kw (O output maps).
    """
    x = as_array(input_, "input")
    w = as_array(kernel, "kernel")
    if x.ndim == 1:
        if w.ndim != 1:
            raise DlstudyError(f"kernel: a vector input needs a vector kernel, got shape {w.shape}")
        return x[None, None, None, :], w[None, None, None, :], Layout(one_d=True)
    if x.ndim not in (2, 3):
        raise DlstudyError(
            f"input: expected a vector, a matrix or a C×H×W array, got shape {x.shape}"
        )
    x4 = x[None, None] if x.ndim == 2 else x[None]
    c = x4.shape[1]
    if w.ndim == 2:
        if c != 1:
            raise DlstudyError(
                f"kernel: the input has {c} channels, so the kernel must be {c}×kh×kw "
                f"(or O×{c}×kh×kw), got a matrix"
            )
        w4, layout = w[None, None], Layout()
    elif w.ndim == 3:
        if x.ndim != 3:
            raise DlstudyError(
                "kernel: a C×kh×kw kernel needs a C×H×W input; for several filters on a matrix "
                "input give an O×1×kh×kw kernel"
            )
        w4, layout = w[None], Layout()
    elif w.ndim == 4:
        w4, layout = w, Layout(out_channels=True)
    else:
        raise DlstudyError(f"kernel: expected a matrix, C×kh×kw or O×C×kh×kw, got shape {w.shape}")
    if w4.shape[1] != c:
        raise DlstudyError(
            f"kernel: has {w4.shape[1]} input channel(s) but the input has {c}: "
            f"kernel shape {w.shape}, input shape {x.shape}"
        )
    if w4.shape[2] < 1 or w4.shape[3] < 1:
        raise DlstudyError("kernel: empty")
    return x4, w4, layout


def check_mode(mode: str) -> str:
    """``correlation`` or ``convolution`` (abbreviations corr / conv accepted)."""
    word = str(mode).strip().lower()
    aliases = {
        "correlation": "correlation",
        "corr": "correlation",
        "cross-correlation": "correlation",
        "convolution": "convolution",
        "conv": "convolution",
    }
    if word not in aliases:
        raise DlstudyError(
            f"mode: expected correlation or convolution, got '{mode}'"
            f"{did_you_mean(word, ['correlation', 'convolution'])}"
        )
    return aliases[word]


#: Largest padded input or output a hand-calculation tool builds (entries per channel, per side).
MAX_ENTRIES = 1_000_000
MAX_SIDE = 4096


def check_extent(rows: int, cols: int, channels: int, what: str) -> None:
    """The domain error for arrays far beyond any hand calculation (huge padding or stride)."""
    if rows > MAX_SIDE or cols > MAX_SIDE or rows * cols * channels > MAX_ENTRIES:
        raise DlstudyError(
            f"{what} would be {rows}×{cols}: too large (at most {MAX_SIDE} per side and "
            f"{MAX_ENTRIES:,} entries); check padding, stride and dilation"
        )


def output_shape(x: np.ndarray, w: np.ndarray, stride: Pair, pads: Pads, dilation: Pair) -> Pair:
    """(Ho, Wo) of a forward conv, or the domain error when the kernel does not fit."""
    check_extent(
        x.shape[2] + sum(pads[0]),
        x.shape[3] + sum(pads[1]),
        x.shape[0] * x.shape[1],
        "the padded input",
    )
    out = []
    for axis, name in ((0, "rows"), (1, "columns")):
        n, k = x.shape[2 + axis], w.shape[2 + axis]
        length = output_length(n, k, stride[axis], pads[axis], dilation[axis])
        if length < 1:
            span = dilation[axis] * (k - 1) + 1
            raise DlstudyError(
                f"kernel: its span d(k-1)+1 = {span} {name} is larger than the padded input "
                f"({n} + {pads[axis][0]} + {pads[axis][1]} = {n + sum(pads[axis])} {name})"
            )
        out.append(length)
    return out[0], out[1]


def num(v: float) -> str:
    """A number inside a product: ``-1`` is written ``(-1)``."""
    return format_factor(float(v), 4)


def sum_text(terms: list[tuple[float, float]], total: float, extra: float = 0.0) -> str:
    """``"1·2 + 0·(-1) + ... = 5"`` (``extra``, a bias, is added as a last term when non-zero)."""
    parts = [f"{num(a)}·{num(b)}" for a, b in terms]
    if extra:
        parts.append(num(extra))
    return f"{' + '.join(parts) or '0'} = {format_number(float(total), 6)}"


def dilate_kernel(w: np.ndarray, dilation: Pair) -> np.ndarray:
    """The kernel with d-1 zeros between taps (last two axes); also δ^l with s-1 zeros between
    its entries for a strided layer's backward pass."""
    kh, kw = w.shape[-2:]
    out = np.zeros((*w.shape[:-2], dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1))
    out[..., :: dilation[0], :: dilation[1]] = w
    return out


def _show(arr4: np.ndarray, layout: Layout) -> np.ndarray:
    """A (1, C, H, W) or (O, C, kh, kw) array as the user wrote it (vector, matrix, or 3-D/4-D)."""
    if layout.one_d:
        return arr4.reshape(-1)
    if arr4.shape[0] == 1 and arr4.shape[1] == 1:
        return arr4[0, 0]
    if arr4.shape[0] == 1 and not layout.out_channels:
        return arr4[0]
    return arr4


def forward_terms(
    xp: np.ndarray, w: np.ndarray, o: int, i: int, j: int, stride: Pair, dilation: Pair
) -> list[tuple[float, float]]:
    """The (kernel tap, input value) products summed into output entry (o, i, j) of a padded input
    ``xp`` (1, C, Hp, Wp)."""
    _, c, kh, kw = w.shape
    return [
        (
            float(w[o, ch, m, q]),
            float(xp[0, ch, i * stride[0] + m * dilation[0], j * stride[1] + q * dilation[1]]),
        )
        for ch in range(c)
        for m in range(kh)
        for q in range(kw)
    ]


def entry_steps(
    y4: np.ndarray,
    terms_of: Any,
    layout: Layout,
    name: str = "y",
    extra: float | np.ndarray = 0.0,
) -> list[Step]:
    """One step per output entry with its products (at most :data:`MAX_STEP_ENTRIES`)."""
    steps: list[Step] = []
    _, o_count, ho, wo = y4.shape
    total = o_count * ho * wo
    for o in range(o_count):
        bias = float(extra[o]) if isinstance(extra, np.ndarray) else float(extra)
        for i in range(ho):
            for j in range(wo):
                if len(steps) == MAX_STEP_ENTRIES:
                    steps.append(
                        Step("…", None, f"{total - MAX_STEP_ENTRIES} more entries the same way")
                    )
                    return steps
                value = float(y4[0, o, i, j])
                label = f"{name}{layout.index(o, i, j)}"
                steps.append(Step(label, value, sum_text(terms_of(o, i, j), value, bias)))
    return steps


def same_value(a: Any, b: Any) -> bool:
    """Same shape and numerically equal (a wrong-method answer that equals the answer is no help)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-9, atol=1e-12))


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


def conv_matrix_of(
    w: np.ndarray, in_hw: Pair, stride: Pair, pads: Pads, dilation: Pair
) -> np.ndarray:
    """The matrix M (Ho·Wo × H·W) with ``M @ vec(x) = vec(corr(x, w))`` (row-major ``vec``),
    built entry by entry from the definition: row (i, j) holds ``w[m, n]`` in the column of the
    input pixel ``(i·s + m·d - p_top, j·s + n·d - p_left)`` when that pixel exists.

    Parameters
    ----------
    w : (kh, kw) kernel (already flipped for a convolution).
    in_hw : (H, W).
    """
    kh, kw = w.shape
    h, wd = in_hw
    ho = output_length(h, kh, stride[0], pads[0], dilation[0])
    wo = output_length(wd, kw, stride[1], pads[1], dilation[1])
    m_ = np.zeros((ho * wo, h * wd))
    for i in range(ho):
        for j in range(wo):
            for m in range(kh):
                for q in range(kw):
                    r = i * stride[0] + m * dilation[0] - pads[0][0]
                    c = j * stride[1] + q * dilation[1] - pads[1][0]
                    if 0 <= r < h and 0 <= c < wd:
                        m_[i * wo + j, r * wd + c] += w[m, q]
    return m_


#: Largest input (H·W) for which a convolution matrix is built.
MAX_MATRIX_INPUT = 4096


def matrix_operands(kernel: Any, input_size: Any) -> tuple[np.ndarray, Pair, Layout]:
    """A (kh, kw) kernel, the input (H, W) and the layout, for a vector or matrix kernel."""
    w = as_array(kernel, "kernel")
    if w.ndim not in (1, 2) or w.size == 0:
        raise DlstudyError(f"kernel: expected a vector or a matrix, got shape {w.shape}")
    layout = Layout(one_d=w.ndim == 1)
    if layout.one_d:
        n = integer(input_size, "input_size", 1)
        hw = (1, n)
    else:
        hw = Layout().pair(input_size, "input_size", 1)
    if hw[0] * hw[1] > MAX_MATRIX_INPUT:
        raise DlstudyError(
            f"input_size: at most {MAX_MATRIX_INPUT} input entries for a matrix, "
            f"got {hw[0] * hw[1]}"
        )
    return (w[None, :] if layout.one_d else w), hw, layout


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


def scatter_terms(
    x: np.ndarray,
    w: np.ndarray,
    stride: Pair,
    offset: Pair,
    dilation: Pair,
    out_hw: Pair,
    limit: int | None = None,
) -> dict[tuple[int, int, int], list[tuple[float, float]]]:
    """The (input value, kernel tap) products that a transposed convolution adds into each output
    entry: ``x[c,i,j]·w[c,o,m,n]`` lands on ``(o, i·s + m·d - offset_row, j·s + n·d - offset_col)``.

    This is also how δ^{l-1} collects δ^l through the forward kernel (``w`` = W as (O, C, kh, kw)).
    Each output entry gathers its own products (``i = (r + offset - m·d)/s`` when that is a whole
    row inside the input), in the order of the input's (c, i, j); ``limit`` stops after the first
    ``limit`` output entries in row-major order: the steps show no more, and the products of a
    1000×1000 input would cost seconds.

    Parameters
    ----------
    x : (1, C_in, H, W).
    w : (C_in, C_out, kh, kw).
    out_hw : the output (rows, cols); contributions outside are dropped (cropped padding).
    limit : the number of output entries wanted (all when ``None``).
    """
    terms: dict[tuple[int, int, int], list[tuple[float, float]]] = {}
    _, cin, h, wd = x.shape
    _, cout, kh, kw = w.shape
    for co, r, c in itertools.islice(np.ndindex(cout, *out_hw), limit):
        found = []
        for ci in range(cin):
            for m in reversed(range(kh)):  # i grows as m falls: the input's row order
                i, rest = divmod(r + offset[0] - m * dilation[0], stride[0])
                if rest or not 0 <= i < h:
                    continue
                for q in reversed(range(kw)):
                    j, rest = divmod(c + offset[1] - q * dilation[1], stride[1])
                    if rest or not 0 <= j < wd:
                        continue
                    found.append((float(x[0, ci, i, j]), float(w[ci, co, m, q])))
        if found:
            terms[(co, r, c)] = found
    return terms


def index_text(idx: tuple[int, ...]) -> str:
    """``[1,2]`` for an index tuple."""
    return "[" + ",".join(str(int(i)) for i in idx) + "]"
