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
