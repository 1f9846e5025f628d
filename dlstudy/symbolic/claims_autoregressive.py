"""Claims of the generative-models chapter, autoregressive part: the factorisation, NADE, MADE's masks,
PixelCNN (colour channels, the blind spot), and WaveNet's dilated convolutions."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import sympy as sp
from sympy import log

from dlstudy.symbolic.core import GENERAL, INSTANCE, Check, claim, notes_version

# -- autoregressive ----------------------------------------------------------------------------
_WJ = {
    bits: sp.Symbol("w" + "".join(map(str, bits)), positive=True)
    for bits in itertools.product((0, 1), repeat=3)
}
_Z = sum(_WJ.values())


def _marg(prefix: Sequence[int]) -> sp.Expr:
    """p(x_1..x_k = prefix) of the joint p(x) = w_x / Z."""
    k = len(prefix)
    return sum(w for bits, w in _WJ.items() if bits[:k] == tuple(prefix)) / _Z


def _markov(bits: Sequence[int], i: int) -> sp.Expr:
    """p(x_i | x_{i-1}) of the joint (only the previous variable in the condition)."""
    if i == 0:
        return _marg(bits[:1])
    both = sum(w for b2, w in _WJ.items() if b2[i - 1] == bits[i - 1] and b2[i] == bits[i])
    prev = sum(w for b2, w in _WJ.items() if b2[i - 1] == bits[i - 1])
    return both / prev


def _factorised(bits: Sequence[int], upto: str) -> sp.Expr:
    """Π_i p(x_i | x_{<i}) (upto '<'), the notes' Π_i p(x_i | x_{≤i}) (upto '<='), Π p(x_i | x_{i-1})
    (upto 'markov') or Π p(x_i)."""
    out = sp.Integer(1)
    for i in range(3):
        if upto == "markov":
            out *= _markov(bits, i)
        elif upto == "<":
            out *= _marg(bits[: i + 1]) / _marg(bits[:i])
        elif upto == "<=":
            out *= _marg(bits[: i + 1]) / _marg(bits[: i + 1])
        else:
            out *= sum(w for b2, w in _WJ.items() if b2[i] == bits[i]) / _Z
    return out


@claim(
    "ar-factor",
    "autoregressive",
    "p(x) = Π_{i=1}^n p(x_i | x_{≤i})",
    corrected="p(x) = Π_i p(x_i | x_{<i}) (product rule)",
    verdict="I",
    kind="exact identity for all 8 values (product rule)",
    scope=INSTANCE,
    case="3 binary variables, any joint (8 symbolic positive weights)",
)
def ar_factor(c: Check) -> None:
    bits = list(itertools.product((0, 1), repeat=3))
    joint = sp.Matrix([_WJ[b] / _Z for b in bits])
    cond = c.premise("each factor conditions on ALL earlier variables x_{<i}", "<", broken="markov")
    c.identity(
        "Π p(x_i|x_{<i}) = p(x) for all x",
        sp.Matrix([_factorised(b, cond) for b in bits]),
        joint,
        control=sp.Matrix([_factorised(b, "ind") for b in bits]),
    )


@notes_version(
    "ar-factor",
    kind="counterexample (the product is 1)",
    quote="\\prod_{1}^{n} p(x_i|x_{\\leq i})",
    case="3 binary variables, x = (1, 0, 1): Π p(x_i|x_{≤i}) = 1 ≠ p(x)",
)
def ar_factor_notes(c: Check) -> None:
    bits = (1, 0, 1)
    c.identity(
        "Π p(x_i|x_{≤i}) = p(x) at x = (1,0,1)",
        _factorised(bits, "<="),
        _WJ[bits] / _Z,
        control=_WJ[bits] / _Z,
        control_lhs=_factorised(bits, "<"),
    )


@claim(
    "nade-ll",
    "autoregressive",
    "(1/T) Σ_t log p(x^t) = (1/T) Σ_t Σ_i log p(x_i^t | x_{<i}^t); O(TD) with shared weights",
    kind="identities: the shared-weight recurrence equals the direct sum; log of a product",
    scope=INSTANCE,
    case="H = 2 hidden units, D = 3 inputs (symbolic weights and inputs)",
)
def nade_ll(c: Check) -> None:
    Wm = sp.Matrix(2, 3, sp.symbols("W1:7", real=True))
    cvec = sp.Matrix(sp.symbols("c1:3", real=True))
    xv = sp.symbols("x1:4", real=True)
    lag = c.premise("a_{d+1} = a_d + W[:, d] x_d (the column of the input just added)", 0, broken=1)
    a = [cvec]
    for d in range(2):
        a.append(a[-1] + Wm[:, d] * xv[d + lag])
    direct = [cvec + sum((Wm[:, j] * xv[j] for j in range(d)), sp.zeros(2, 1)) for d in range(3)]
    c.identity("a_3 (recurrence) = c + W[:, <3] x_{<3}", a[2], direct[2], control=direct[1])
    p = sp.symbols("c_1:4", positive=True)  # conditionals of one sample
    c.identity(
        "log Π p(x_i|x_{<i}) = Σ log p(x_i|x_{<i})",
        sp.expand_log(log(p[0] * p[1] * p[2])),
        sum(log(v) for v in p),
        control=log(p[0]) + log(p[1]),
    )


def made_masks(
    degrees_in: Sequence[int], hidden: Sequence[Sequence[int]], out_strict: bool
) -> sp.Matrix:
    """Product of MADE masks (output × input): hidden ≥, output > (strict) or ≥ (the notes)."""
    D = len(degrees_in)
    prev = list(degrees_in)
    M = sp.eye(D)
    for layer in hidden:
        Mk = sp.Matrix(
            len(layer), len(prev), lambda k, j, lay=layer, pr=prev: 1 if lay[k] >= pr[j] else 0
        )
        M = Mk * M
        prev = list(layer)
    Mo = sp.Matrix(
        D, len(prev), lambda i, k: 1 if (i + 1 > prev[k] if out_strict else i + 1 >= prev[k]) else 0
    )
    return Mo * M


def _strictly_lower(M: sp.Matrix) -> bool:
    return all(M[i, j] == 0 for i in range(M.rows) for j in range(M.cols) if j >= i)


@claim(
    "made-masks",
    "autoregressive",
    "connect nodes only if the upper layer node has a number bigger or equal to the lower layer node number",
    corrected="≥ between hidden layers, STRICT > into the output layer, hidden degrees from 1..D-1; then "
    "the product of the masks is strictly lower-triangular (x_j reaches output i only if j < i)",
    verdict="I",
    kind="exhaustive enumeration of degree assignments",
    scope=INSTANCE,
    case="D = 3 inputs, 1-2 hidden layers of 3 units, all hidden degrees in 1..D-1",
)
def made_masks_claim(c: Check) -> None:
    D = 3
    layers = list(itertools.product(range(1, D), repeat=3))
    deg_in = c.premise("input x_j has degree j (the order of the outputs)", [1, 2, 3], [2, 1, 3])
    ok_strict = all(_strictly_lower(made_masks(deg_in, [h1], True)) for h1 in layers) and all(
        _strictly_lower(made_masks(deg_in, [h1, h2], True)) for h1 in layers[:4] for h2 in layers
    )
    ok_notes = all(_strictly_lower(made_masks(range(1, D + 1), [h1], False)) for h1 in layers)
    c.holds(
        "strict > into the output ⇒ strictly lower-triangular for every assignment",
        ok_strict,
        control=ok_notes,
        how="exact enumeration",
    )


@notes_version(
    "made-masks",
    kind="counterexample (hidden degrees 1, 2, 2)",
    quote="only if the upper layer node has a number bigger or equal to the lower layer node number",
    case="D = 3, one hidden layer with degrees (1, 2, 2)",
)
def made_masks_notes(c: Check) -> None:
    M = made_masks([1, 2, 3], [[1, 2, 2]], out_strict=False)
    c.step("M_out M_hid with ≥ everywhere", M)
    c.holds(
        "≥ everywhere ⇒ autoregressive (strictly lower-triangular)",
        _strictly_lower(M),
        control=_strictly_lower(made_masks([1, 2, 3], [[1, 2, 2]], out_strict=True)),
        how="exact",
    )


@claim(
    "pixelcnn-rgb",
    "autoregressive",
    "p(x_i|x_{<i}) = p(x_{i,R}|x_{<i}) p(x_{i,G}|x_{i,R}, x_{<i}) p(x_{i,B}|x_{i,G}, x_{i,R}, x_{<i})",
    kind="exact identity for all 8 channel values (product rule given the context)",
    scope=INSTANCE,
    case="binary R, G, B, any joint given the context (8 symbolic positive weights)",
)
def pixelcnn_rgb(c: Check) -> None:
    bits = list(itertools.product((0, 1), repeat=3))
    joint = sp.Matrix([_WJ[b] / _Z for b in bits])
    cond = c.premise("G is conditioned on R, B on R and G", "<", broken="markov")
    skip_g = []
    for b in bits:  # p(B | R) instead of p(B | G, R)
        pr = _marg(b[:1])
        pg = _marg(b[:2]) / _marg(b[:1])
        pb = sum(w for b2, w in _WJ.items() if b2[0] == b[0] and b2[2] == b[2]) / _Z / pr
        skip_g.append(pr * pg * pb)
    c.identity(
        "R, G|R, B|G,R product = joint",
        sp.Matrix([_factorised(b, cond) for b in bits]),
        joint,
        control=sp.Matrix(skip_g),
    )


MASK_A = {(-1, -1), (-1, 0), (-1, 1), (0, -1)}
MASK_B = MASK_A | {(0, 0)}


_WIDE_A = {(dr, dc) for dr in (-2, -1) for dc in range(-2, 3)} | {(0, -2), (0, -1)}
_WIDE_B = _WIDE_A | {(0, 0)}  # 5×5 causal masks: every layer sees two pixels up-right


def blind_spot(
    n_b_layers: int, masks: tuple[set[tuple[int, int]], set[tuple[int, int]]] = (MASK_A, MASK_B)
) -> set[tuple[int, int]]:
    """Causal pixels in the stack's window that the output pixel does not see (dependency propagation):
    mask A first, then ``n_b_layers`` layers of mask B."""
    mask_a, mask_b = masks
    reach = set(mask_a)
    for _ in range(n_b_layers):
        reach = {(a + c2, b + d) for a, b in reach for c2, d in mask_b}
    L = n_b_layers + 1
    causal = {(dr, dc) for dr in range(-L, 1) for dc in range(-L, L + 1) if dr < 0 or dc < 0}
    return causal - reach


@claim(
    "pixelcnn-blindspot",
    "autoregressive",
    "stacking layers of masked convolution creates a blind spot",
    kind="exact dependency propagation",
    scope=INSTANCE,
    case="mask A then 3 layers of mask B, 3×3 kernels",
)
def pixelcnn_blindspot(c: Check) -> None:
    masks = c.premise(
        "3×3 masked kernels: each layer reaches one pixel up-right",
        (MASK_A, MASK_B),
        broken=(_WIDE_A, _WIDE_B),
    )
    spot = blind_spot(3, masks)
    c.step("blind spot (row, col offsets)", sp.Matrix(sorted(spot)) if spot else sp.Matrix([]))
    c.holds(
        "blind spot is non-empty and includes the up-right pixel (-1, +2)",
        bool(spot) and (-1, 2) in spot,
        control=bool(blind_spot(0)),
        how="set propagation",
    )


def dilated_rf_bruteforce(L: int, k: int = 2, doubling: bool = True) -> int:
    deps = {0}
    for d in reversed([2**i if doubling else 1 for i in range(L)]):
        deps = {u + t * d for u in deps for t in range(k)}
    return max(deps) - min(deps) + 1


@claim(
    "dilated-rf",
    "dilated-conv",
    "use dilated convolution to increase the receptive field (WaveNet)",
    kind="symbolic summation for L layers (symbolic L) + brute-force dependency sets (L = 1..8)",
    scope=GENERAL,
)
def dilated_rf(c: Check) -> None:
    L = sp.Symbol("L", positive=True, integer=True)
    ell = sp.Symbol("l", integer=True)
    doubling = c.premise("dilations d_l = 2^l, l = 0..L-1 (k = 2)", True, broken=False)
    d_l = 2**ell if doubling else sp.Integer(1)
    rf = c.step("RF = 1 + Σ_l (k-1) d_l", 1 + sp.summation(d_l, (ell, 0, L - 1)))
    c.identity("RF = 2^L", rf, 2**L, control=2**L + 1)
    c.holds(
        "brute force = 2^L for L = 1..8",
        all(dilated_rf_bruteforce(n, doubling=doubling) == 2**n for n in range(1, 9)),
        control=all(dilated_rf_bruteforce(n) == n + 1 for n in range(1, 9)),
        how="dependency sets",
    )
