"""Claims of the CNN chapter, first half: HMAX and transforms, convolution and correlation, receptive
fields and parameter counts. (Backward pass, pooling, architectures: ``claims_cnn_layers``.)"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import sympy as sp
from sympy import exp

from dlstudy.symbolic.core import GENERAL, INSTANCE, Check, claim, notes_version

x, y = sp.symbols("x y", integer=True)
p = sp.Symbol("p", positive=True)
OFFS = (-1, 0, 1)
K = {(m, n): sp.Symbol(f"K({m},{n})", real=True) for m in OFFS for n in OFFS}


def Iv(a: int, b: int) -> sp.Symbol:
    """The pixel I(x+a, y+b) as an independent indeterminate."""
    fmt = lambda v, o: v if o == 0 else f"{v}{o:+d}"  # noqa: E731
    return sp.Symbol(f"I({fmt('x', a)},{fmt('y', b)})", real=True)


# -- HMAX and transforms -----------------------------------------------------------------------
_i = sp.Symbol("j", integer=True)
_n = sp.Symbol("n", integer=True, positive=True)
_w = sp.IndexedBase("w", real=True)
_x = sp.IndexedBase("x", real=True)


@claim(
    "hmax-s-cell",
    "hmax",
    "S-cell response y = exp(-(1/2σ²) Σ_j (w_j - x_j)²): the response is largest, 1, at x = w",
    kind="sign facts for n inputs (symbolic n): log y = -S/(2σ²) ≤ 0 = log y(w), S a sum of squares",
    scope=GENERAL,
)
def hmax_s_cell(c: Check) -> None:
    s = sp.Symbol("sigma", positive=True)
    var = c.premise("the width σ² > 0", s**2, broken=-(s**2))
    S = sp.Sum((_w[_i] - _x[_i]) ** 2, (_i, 1, _n))
    c.fact("S = Σ_j (w_j - x_j)² ≥ 0", S, "nonnegative", control=-S - 1)
    log_y = -S / (2 * var)
    c.fact("log y = -S/(2σ²) ≤ 0, so y ≤ 1", log_y, "nonpositive", control=-log_y + 1)
    at_w = sp.Sum((_w[_i] - _w[_i]) ** 2, (_i, 1, _n)).doit()
    c.identity("y(x = w) = exp(0) = 1", exp(-at_w / (2 * var)), 1, control=exp(-1))


_N = 5
_xs = sp.symbols(f"u0:{_N}", real=True)
_k = sp.symbols("k_m1 k_0 k_p1", real=True)


def _circ_filter(sig: Sequence[sp.Expr], varying: bool = False) -> list[sp.Expr]:
    """I'(i) = Σ_m K(m) I(i+m), circular; ``varying``: K(i, m) = (1 + i)·K(m) depends on i."""
    return [
        sum((1 + i if varying else 1) * _k[m + 1] * sig[(i + m) % _N] for m in (-1, 0, 1))
        for i in range(_N)
    ]


def _shift(sig: Sequence[sp.Expr], by: int = 1) -> list[sp.Expr]:
    return [sig[(i - by) % _N] for i in range(_N)]


@claim(
    "lsi-equivariant",
    "hmax",
    "I'(i,j) = Σ K(i,j,m,n) I(i+m,j+n): if K doesn't depend on i,j the transformation is shift-invariant",
    corrected="By the notes' own definitions such a filter is shift-EQUIVARIANT: T(shift u) = shift(T u); "
    "it is not invariant (T(shift u) ≠ T u)",
    verdict="I",
    kind="identity on a symbolic circular signal",
    scope=INSTANCE,
    case="1-D circular signal of length 5, 3-tap kernel, all values symbolic",
)
def lsi_equivariant(c: Check) -> None:
    varying = c.premise("K does not depend on the position i", False, broken=True)
    T = lambda u: _circ_filter(u, varying)  # noqa: E731
    c.identity(
        "T(shift u) = shift(T u)",
        sp.Matrix(T(_shift(_xs))),
        sp.Matrix(_shift(T(_xs))),
        control=sp.Matrix(_shift(T(_xs), by=-1)),
    )


@notes_version(
    "lsi-equivariant",
    kind="counterexample (symbolic circular signal)",
    quote="if K doesn't depend on i,j then the transformation is shift-invariant",
    case="circular signal of length 5, 3-tap kernel: T(shift u) ≠ T(u)",
)
def lsi_equivariant_notes(c: Check) -> None:
    lhs = sp.Matrix(_circ_filter(_shift(_xs)))
    c.identity(
        "T(shift u) = T(u)",
        lhs,
        sp.Matrix(_circ_filter(_xs)),
        control=sp.Matrix(_shift(_circ_filter(_xs))),
    )


# -- convolution -------------------------------------------------------------------------------
def conv3x3(sign: int = -1, offsets: Sequence[int] = OFFS) -> sp.Expr:
    """Σ_{m,n} K(m,n) I(x + sign·m, y + sign·n): sign -1 convolution, +1 correlation."""
    return sum(
        K.get((m, n), sp.Symbol(f"K({m},{n})", real=True)) * Iv(sign * m, sign * n)
        for m in offsets
        for n in offsets
    )


NOTES_EXPANSION = (
    K[1, 1] * Iv(-1, -1)
    + K[0, 1] * Iv(0, -1)
    + K[-1, 1] * Iv(1, -1)
    + K[1, 0] * Iv(-1, 0)
    + K[0, 0] * Iv(0, 0)
    + K[-1, 0] * Iv(1, 0)
    + K[1, -1] * Iv(-1, 1)
    + K[0, -1] * Iv(-1, 0)
    + K[-1, -1] * Iv(1, 1)
)  # the notes' 9 terms; the 8th should be K(0,-1) I(x, y+1)
CORRECT_EXPANSION = NOTES_EXPANSION - K[0, -1] * Iv(-1, 0) + K[0, -1] * Iv(0, 1)


@claim(
    "conv-3x3-expansion",
    "convolution",
    "I'(x,y) = K(1,1)I(x-1,y-1) + K(0,1)I(x,y-1) + K(-1,1)I(x+1,y-1) + K(1,0)I(x-1,y) + K(0,0)I(x,y) "
    "+ K(-1,0)I(x+1,y) + K(1,-1)I(x-1,y+1) + K(0,-1)I(x-1,y) + K(-1,-1)I(x+1,y+1)",
    corrected="the term K(0,-1)I(x-1,y) should be K(0,-1)I(x,y+1); the expansion is then "
    "Σ_{m,n} K(m,n) I(x-m, y-n)",
    verdict="G",
    kind="exact expansion (pixels and weights as independent indeterminates: all values)",
    scope=GENERAL,
)
def conv_3x3(c: Check) -> None:
    offs = c.premise("a 3×3 kernel: m, n ∈ {-1, 0, 1} (k = 1)", OFFS, broken=(0, 1, 2))
    c.identity(
        "9 terms = Σ K(m,n) I(x-m,y-n)",
        CORRECT_EXPANSION,
        conv3x3(-1, offs),
        control=conv3x3(+1, offs),
    )


@notes_version(
    "conv-3x3-expansion",
    kind="non-zero exact residual (the 8th term)",
    quote="K(0,-1)I(x-1,y)",
    scope=GENERAL,
)
def conv_3x3_notes(c: Check) -> None:
    c.identity(
        "notes' 9 terms = Σ K(m,n) I(x-m,y-n)",
        NOTES_EXPANSION,
        conv3x3(-1),
        control=conv3x3(-1),
        control_lhs=CORRECT_EXPANSION,
    )


@claim(
    "conv-eq-corr",
    "convolution",
    "If K(i,j) = K(-i,-j) correlation and convolution are equal",
    kind="exact expansion + coefficient comparison (converse)",
    scope=INSTANCE,
    case="3×3 kernel (k = 1), all weights and pixels symbolic",
)
def conv_eq_corr(c: Check) -> None:
    sym = c.premise(
        "K(m,n) = K(-m,-n)",
        {K[m, n]: K[-m, -n] for m in OFFS for n in OFFS if (m, n) > (-m, -n)},
        broken={K[m, n]: K[m, -n] for m in OFFS for n in OFFS if n > 0},  # only K(m,n) = K(m,-n)
    )
    mirror = {K[m, n]: K[m, -n] for m in OFFS for n in OFFS if n > 0}
    c.identity(
        "K symmetric ⇒ conv = corr",
        conv3x3(-1).subs(sym),
        conv3x3(+1).subs(sym),
        control=conv3x3(+1).subs(mirror) + K[0, 0],
    )
    diff = sp.expand(conv3x3(-1) - conv3x3(+1))
    coeffs = sp.Matrix([diff.coeff(Iv(-m, -n)) for m in OFFS for n in OFFS])
    want = sp.Matrix([K[m, n] - K[-m, -n] for m in OFFS for n in OFFS])
    c.identity(
        "converse: coefficient of I(x-m,y-n) is K(m,n) - K(-m,-n)",
        coeffs,
        want,
        control=sp.Matrix([K[m, n] - K[m, -n] for m in OFFS for n in OFFS]),
    )


def conv1d_full(xv: Sequence[sp.Expr], kv: Sequence[sp.Expr]) -> list[sp.Expr]:
    """Loop-based full convolution y_i = Σ_j k_j x_{i-j}, length n + m - 1."""
    n, m = len(xv), len(kv)
    return [sum(kv[j] * xv[i - j] for j in range(m) if 0 <= i - j < n) for i in range(n + m - 1)]


def toeplitz_full(kv: Sequence[sp.Expr], n: int, shift: int = 0) -> sp.Matrix:
    """The (m+n-1) × n matrix with M[i, j] = k_{i-j}."""
    m = len(kv)
    return sp.Matrix(n + m - 1, n, lambda i, j: kv[i - j + shift] if 0 <= i - j + shift < m else 0)


@claim(
    "conv-matrix",
    "convolution",
    "Can be implemented as multiplying (m+n-1)*n matrix to the vectorized input",
    kind="exact symbolic instances",
    scope=INSTANCE,
    case="1-D full: n = 4, m = 3; 2-D full: 2×2 input, 2×2 kernel (all entries symbolic)",
)
def conv_matrix(c: Check) -> None:
    xv, ks = sp.symbols("x1:5", real=True), sp.symbols("k1:4", real=True)
    kv = c.premise("M[i, j] = k_{i-j} (Toeplitz)", ks, broken=ks[::-1])
    M = c.step("M (full convolution matrix)", toeplitz_full(kv, 4))
    c.identity("M has m+n-1 = 6 rows", sp.Integer(M.rows), sp.Integer(6), control=sp.Integer(7))
    c.identity(
        "M x = x * k (full)",
        M * sp.Matrix(xv),
        sp.Matrix(conv1d_full(xv, ks)),
        control=toeplitz_full(kv, 4, shift=1) * sp.Matrix(xv),
    )
    # 2-D full: (H+kh-1)(W+kw-1) × HW for H = W = kh = kw = 2.
    X = sp.Matrix(2, 2, sp.symbols("X1:5", real=True))
    Kk = sp.Matrix(2, 2, sp.symbols("G1:5", real=True))
    out = [
        sum(
            Kk[a, b] * X[i - a, j - b]
            for a in range(2)
            for b in range(2)
            if 0 <= i - a < 2 and 0 <= j - b < 2
        )
        for i in range(3)
        for j in range(3)
    ]
    M2 = sp.Matrix(9, 4, lambda r, col: sp.diff(out[r], X[col // 2, col % 2]))
    c.step("M₂ (9 × 4)", M2)
    c.identity(
        "M₂ vec(X) = full 2-D convolution",
        M2 * sp.Matrix(list(X)),
        sp.Matrix(out),
        control=sp.Matrix(out[::-1]),
    )
    c.identity(
        "rows (H+kh-1)(W+kw-1) = 9", sp.Integer(M2.rows), sp.Integer(9), control=sp.Integer(8)
    )


# -- receptive field ---------------------------------------------------------------------------
Layer = tuple[int, int, int]  # (kernel k, stride s, dilation d)


def rf_bruteforce(layers: Sequence[Layer], dilated_reads: bool = True) -> int:
    """Span of the input positions output unit 0 depends on, by propagating dependency sets: unit u
    of a layer reads u·s + t·d, t = 0..k-1 (``dilated_reads=False``: u·s + t, ignoring d)."""
    deps = {0}
    for k, s, d in reversed(layers):
        deps = {u * s + t * (d if dilated_reads else 1) for u in deps for t in range(k)}
    return max(deps) - min(deps) + 1


def rf_recurrence(layers: Sequence[Layer], jump_is_layer_stride: bool = False) -> int:
    """r_out = r_in + (k-1)·d·j_in, j_out = j_in·s (or the notes' j_in = this layer's stride)."""
    r, j = 1, 1
    for k, s, d in layers:
        r += (k - 1) * d * (s if jump_is_layer_stride else j)
        j *= s
    return r


def _stacks(depth: int) -> list[list[Layer]]:
    choices = [(k, s, d) for k in (1, 2, 3) for s in (1, 2) for d in (1, 2)]
    return [list(st) for n in range(1, depth + 1) for st in itertools.product(choices, repeat=n)]


@claim(
    "rf-recurrence",
    "rf-params",
    "r_out = r_in + (k-1) * j_in",
    kind="induction step on dependency intervals (symbolic k, s, d, j, r, unit index) + brute-force "
    "cross-check of all 1884 stacks of depth ≤ 3",
    scope=GENERAL,
)
def rf_recurrence_claim(c: Check) -> None:
    k, s, d, J, r = sp.symbols("k s d j_in r_in", positive=True, integer=True)
    v, c0 = sp.symbols("v c", integer=True)
    # induction hypothesis: unit u of the layer below sees input pixels [u·J + c0, u·J + c0 + r - 1]
    left = lambda u: u * J + c0  # noqa: E731
    right = lambda u: u * J + c0 + r - 1  # noqa: E731
    dil = c.premise("unit v reads the units v·s + t·d, t = 0, ..., k-1 (dilation d)", d, broken=1)
    first, last = v * s, v * s + (k - 1) * dil  # J > 0: the leftmost and rightmost units it reads
    span = c.step("r_out = right(last) - left(first) + 1", sp.expand(right(last) - left(first) + 1))
    c.identity("r_out = r_in + (k-1)·d·j_in", span, r + (k - 1) * d * J, control=r + (k - 1) * J)
    jump = c.step(
        "j_out = left(v+1 unit) - left(v unit)", sp.expand(left((v + 1) * s) - left(v * s))
    )
    c.identity("j_out = j_in·s", jump, J * s, control=J)
    stacks = _stacks(3)
    c.holds(
        f"recurrence = brute-force dependency span ({len(stacks)} stacks)",
        all(rf_recurrence(st) == rf_bruteforce(st) for st in stacks),
        control=all(rf_recurrence(st, True) == rf_bruteforce(st) for st in stacks),
        how="exact enumeration",
    )


RF_EXAMPLE: list[Layer] = [(7, 2, 1), (3, 2, 1), (3, 1, 1), (3, 1, 1)]


@claim(
    "rf-jump",
    "rf-params",
    "j_in is jump which is equal to stride in the layer",
    corrected="j_in = product of the strides of all PREVIOUS layers (j_out = j_in·s); "
    "for [k7 s2, k3 s2, k3 s1, k3 s1] the RF is 27",
    verdict="I",
    kind="exact computation vs brute-force dependency sets",
    scope=INSTANCE,
    case="the stack [k7 s2, k3 s2, k3 s1, k3 s1]",
)
def rf_jump(c: Check) -> None:
    s = sp.symbols("s1:5", positive=True, integer=True)
    j = [sp.Integer(1)]
    for si in s[:3]:
        j.append(j[-1] * si)
    c.step("j_in of layers 1..4", sp.Matrix(j))
    reads = c.premise(
        "unit u of a layer reads u·s + t, t = 0..k-1 (no dilation)", (1, 1), broken=(2, 2)
    )
    dilated = [(k, st, reads[0]) for k, st, _ in RF_EXAMPLE]
    c.identity(
        "RF with j_in = Π previous strides",
        sp.Integer(rf_recurrence(RF_EXAMPLE)),
        sp.Integer(rf_bruteforce(dilated)),
        control=sp.Integer(21),
    )


@notes_version(
    "rf-jump",
    kind="counterexample [k7 s2, k3 s2, k3, k3]",
    quote="j_{in} is jump which is equal to stride in the layer",
    case="[k7 s2, k3 s2, k3 s1, k3 s1]: 21 with the layer's stride, 27 by brute force",
)
def rf_jump_notes(c: Check) -> None:
    c.identity(
        "RF with j_in = the layer's stride",
        sp.Integer(rf_recurrence(RF_EXAMPLE, True)),
        sp.Integer(rf_bruteforce(RF_EXAMPLE)),
        control_lhs=sp.Integer(rf_recurrence(RF_EXAMPLE)),
        control=sp.Integer(rf_bruteforce(RF_EXAMPLE)),
    )


def conv_params(
    kw: int | sp.Expr, kh: int | sp.Expr, c_prev: int | sp.Expr, c_out: int | sp.Expr
) -> sp.Expr:
    """((kw·kh·C_prev + 1)·C_out): groups = 1, bias on."""
    return (kw * kh * c_prev + 1) * c_out


@claim(
    "conv-params",
    "rf-params",
    "number of parameters is ((kw * kh * C_prev + 1) * C_out)",
    kind="symbolic count of weight and bias indices (summation, symbolic sizes)",
    scope=GENERAL,
)
def conv_params_claim(c: Check) -> None:
    kw, kh, C, Co = sp.symbols("k_w k_h C_prev C_out", positive=True, integer=True)
    o, i, a, b = sp.symbols("o i a b", integer=True)
    seen = c.premise("groups = 1: each output channel reads all C_prev input channels", C, broken=1)
    count = sp.summation(1, (o, 1, Co), (i, 1, seen), (a, 1, kh), (b, 1, kw)) + sp.summation(
        1, (o, 1, Co)
    )
    c.step("Σ over (out, in, row, col) + Σ over out (bias)", count)
    c.identity(
        "count = (kw kh C_prev + 1) C_out",
        count,
        conv_params(kw, kh, C, Co),
        control=kw * kh * C * Co + 1,
    )
