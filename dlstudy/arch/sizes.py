"""Output-size formulas of convolution, pooling and transposed convolution (PyTorch's rules).
Pure Python integers."""

from __future__ import annotations


def output_size(n: int, k: int, s: int = 1, p: int = 0, d: int = 1) -> int:
    """Output length of a convolution or pooling window along one axis (PyTorch floors).

    .. math:: n_{out} = \\left\\lfloor \\frac{n + 2p - d(k-1) - 1}{s} \\right\\rfloor + 1

    Parameters
    ----------
    n : int
        Input length (pixels along this axis).
    k, s, p, d : int
        Kernel size, stride, padding (each side) and dilation.
    """
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def divides_exactly(n: int, k: int, s: int = 1, p: int = 0, d: int = 1) -> bool:
    """Whether :math:`(n + 2p - d(k-1) - 1)/s` is an integer (exam problems call the rest invalid)."""
    return (n + 2 * p - d * (k - 1) - 1) % s == 0


def pool_output_size(n: int, k: int, s: int, p: int = 0, d: int = 1, ceil: bool = False) -> int:
    """Pooling output length; with ``ceil`` PyTorch's ``ceil_mode`` rule (the last window must start
    inside the input or its left padding)."""
    if not ceil:
        return output_size(n, k, s, p, d)
    numerator = n + 2 * p - d * (k - 1) - 1
    out = -(-numerator // s) + 1
    if (out - 1) * s >= n + p:
        out -= 1
    return out


def convt_output_size(n: int, k: int, s: int = 1, p: int = 0, op: int = 0, d: int = 1) -> int:
    """Transposed-convolution output length.

    .. math:: n_{out} = (n - 1)s - 2p + d(k-1) + op + 1
    """
    return (n - 1) * s - 2 * p + d * (k - 1) + op + 1


def recurrent_params(
    gates: int, n_in: int, h: int, *, layers: int = 1, directions: int = 1, biases: int = 2
) -> tuple[int, int]:
    """``(weights, biases)`` of a stacked RNN (``gates=1``), GRU (3) or LSTM (4) in torch's layout.

    .. math:: \\text{weights} = D\\,g\\,H\\,\\big[(I + H) + (L-1)(DH + H)\\big], \\qquad
              \\text{biases} = L\\,D\\,g\\,b\\,H

    Each of the L layers and D directions has g gate blocks W_ih (H × I_l) and W_hh (H × H), with
    I_1 = I and I_l = D·H after the first layer, and b bias vectors of H per gate block (torch: 2,
    b_ih and b_hh; the textbook cell: 1; no bias: 0).

    Parameters
    ----------
    gates : int
        Gate blocks g per cell.
    n_in, h : int
        Input size I and hidden size H.
    layers, directions : int
        Stacked layers L and directions D (2 when bidirectional).
    biases : int
        Bias vectors b per gate block.
    """
    weights = directions * gates * h * ((n_in + h) + (layers - 1) * (directions * h + h))
    return weights, layers * directions * gates * biases * h
