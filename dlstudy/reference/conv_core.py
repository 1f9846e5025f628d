"""The convolution engine the CNN chapters share (notes: CNN › Convolution and Correlation, Pooling,
Backpropagation in CNNs, Upsampling): the batched numpy kernels, the reading of a student's arrays
and arguments, the size limits, and the text of the worked steps. No reference function is
registered here; the chapters (:mod:`dlstudy.reference.convolution`, ``pooling``, ``cnn_backward``,
``upsampling``) register theirs.

Conventions (each one changes a number):

- **Correlation, as torch.** Every kernel here computes the correlation
  ``y[i,j] = Σ_{m,n} K[m,n]·x_pad[i·s + m·d, j·s + n·d]`` (``torch.nn.functional.conv2d``), with the
  kernel indexed from its top-left corner. A convolution is the correlation with the kernel rotated
  by 180° (``K[..., ::-1, ::-1]``): the caller rotates it.
- **Indices from 0**, row-major: output entry ``(i, j)``; ``vec(x)`` numbers the entries row by row.
- **Layout.** The engine takes float64 batches ``x`` (N, C, H, W) and filters ``w`` (O, C, kh, kw);
  a transposed convolution's filters are (C_in, C_out, kh, kw), torch's layout. Strides and
  dilations are pairs (vertical, horizontal); padding is ((top, bottom), (left, right)) entries,
  zeros (pooling asks :func:`_pad` for −∞).
  :class:`Layout` maps the vector, matrix, C×H×W or O×C×kh×kw arrays a student writes onto these
  and back (a vector is a one-row image: stride, padding and dilation then act on the width).
- **Padding words.** ``valid`` adds none; ``full`` adds d(k-1) zeros on each side; ``same`` adds
  d(k-1) in total per axis, the odd one at the bottom/right (as torch).
- **Output size** ``⌊(n + p_before + p_after - d(k-1) - 1)/s⌋ + 1``; transposed
  ``(n-1)s - 2p + d(k-1) + output_padding + 1``.

The loop-based twins of the kernels, the tests' independent oracles, are in
:mod:`dlstudy.reference.conv_naive`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np

from dlstudy.errors import DlstudyError, did_you_mean
from dlstudy.output import format_factor, format_number
from dlstudy.reference.registry import MAX_ENTRY_STEPS, Step, as_array, as_float, steps_left

Pair = tuple[int, int]
Pads = tuple[Pair, Pair]  # ((top, bottom), (left, right))

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


# ----------------------------------------------------------------------------------------------
# The worked steps: the products behind each output entry, written out.
# ----------------------------------------------------------------------------------------------


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
    """One step per output entry with its products (at most ``MAX_ENTRY_STEPS``)."""
    steps: list[Step] = []
    _, o_count, ho, wo = y4.shape
    total = o_count * ho * wo
    for o in range(o_count):
        bias = float(extra[o]) if isinstance(extra, np.ndarray) else float(extra)
        for i in range(ho):
            for j in range(wo):
                if len(steps) == MAX_ENTRY_STEPS:
                    return [*steps, steps_left(total, "entries")]
                value = float(y4[0, o, i, j])
                label = f"{name}{layout.index(o, i, j)}"
                steps.append(Step(label, value, sum_text(terms_of(o, i, j), value, bias)))
    return steps


def same_value(a: Any, b: Any) -> bool:
    """Same shape and numerically equal (a wrong-method answer that equals the answer is no help)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-9, atol=1e-12))


# ----------------------------------------------------------------------------------------------
# The convolution as a matrix (conv-matrix, conv-transpose-matrix).
# ----------------------------------------------------------------------------------------------


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


# ----------------------------------------------------------------------------------------------
# The products of a transposed convolution (conv-transpose2d, conv2d-backward's δ).
# ----------------------------------------------------------------------------------------------


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
