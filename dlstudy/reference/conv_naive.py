"""Loop-based twins of the convolution engine (:mod:`dlstudy.reference.conv_core`): one scalar
multiply-add at a time, straight from the definitions, so that the tests have an oracle independent
of the vectorised im2col code. Same conventions as the engine: correlation (as torch), indices from
0, ``x`` (N, C, H, W), ``w`` (O, C, kh, kw), a transposed convolution's ``w`` (C_in, C_out, kh, kw),
padding ((top, bottom), (left, right)). No reference function uses them: they are too slow beyond
hand-sized arrays.
"""

from __future__ import annotations

import numpy as np

from dlstudy.reference.conv_core import Pads, Pair, output_length, transpose_output_length


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
