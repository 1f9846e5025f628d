"""Claims of the CNN chapter: HMAX and transforms, convolution, receptive fields, parameters, CNN
backward pass, pooling, architectures, transposed convolution."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import sympy as sp
from sympy import Heaviside, Max, exp

from dlstudy.symbolic.core import Check, claim, notes_version

x, y = sp.symbols("x y", integer=True)
p = sp.Symbol("p", positive=True)
OFFS = (-1, 0, 1)
K = {(m, n): sp.Symbol(f"K({m},{n})", real=True) for m in OFFS for n in OFFS}


def Iv(a: int, b: int) -> sp.Symbol:
    """The pixel I(x+a, y+b) as an independent indeterminate."""
    fmt = lambda v, o: v if o == 0 else f"{v}{o:+d}"  # noqa: E731
    return sp.Symbol(f"I({fmt('x', a)},{fmt('y', b)})", real=True)


# -- HMAX and transforms -----------------------------------------------------------------------
@claim(
    "hmax-s-cell",
    "hmax",
    "S-cell response y = exp(-(1/2σ²) Σ_j (w_j - x_j)²)",
    kind="optimum: gradient 0, Hessian negative definite, value 1 (n = 3 symbolic)",
)
def hmax_s_cell(c: Check) -> None:
    s = sp.Symbol("sigma", positive=True)
    w = sp.symbols("w1:4", real=True)
    xs = sp.symbols("x1:4", real=True)
    resp = exp(-sum((w[j] - xs[j]) ** 2 for j in range(3)) / (2 * s**2))
    at_w = dict(zip(xs, w, strict=True))
    grad = sp.Matrix([sp.diff(resp, v) for v in xs]).subs(at_w)
    c.identity("∇y(x = w) = 0", grad, sp.zeros(3, 1), control=sp.Matrix([1 / s**2, 0, 0]))
    H = sp.hessian(resp, xs).subs(at_w)
    c.identity("Hessian at x = w is -I/σ²", H, -sp.eye(3) / s**2, control=sp.eye(3) / s**2)
    c.fact("eigenvalue -1/σ² < 0 (negative definite)", -1 / s**2, "negative", control=1 / s**2)
    c.identity("y(w) = 1", resp.subs(at_w), 1, control=exp(-1))
    c.fact(
        "exponent ≤ 0, so y ≤ 1",
        -sum((w[j] - xs[j]) ** 2 for j in range(3)) / (2 * s**2),
        "nonpositive",
        control=sum((w[j] - xs[j]) ** 2 for j in range(3)) + 1,
    )


_N = 5
_xs = sp.symbols(f"u0:{_N}", real=True)
_k = sp.symbols("k_m1 k_0 k_p1", real=True)


def _circ_filter(sig: Sequence[sp.Expr]) -> list[sp.Expr]:
    """I'(i) = Σ_m K(m) I(i+m), circular, K independent of i."""
    return [sum(_k[m + 1] * sig[(i + m) % _N] for m in (-1, 0, 1)) for i in range(_N)]


def _shift(sig: Sequence[sp.Expr], by: int = 1) -> list[sp.Expr]:
    return [sig[(i - by) % _N] for i in range(_N)]


@claim(
    "lsi-equivariant",
    "hmax",
    "I'(i,j) = Σ K(i,j,m,n) I(i+m,j+n): if K doesn't depend on i,j the transformation is shift-invariant",
    corrected="By the notes' own definitions such a filter is shift-EQUIVARIANT: T(shift u) = shift(T u); "
    "it is not invariant (T(shift u) ≠ T u)",
    verdict="I",
    kind="identity on a symbolic circular signal (N = 5, 3-tap kernel)",
)
def lsi_equivariant(c: Check) -> None:
    lhs = sp.Matrix(_circ_filter(_shift(_xs)))
    c.identity(
        "T(shift u) = shift(T u)",
        lhs,
        sp.Matrix(_shift(_circ_filter(_xs))),
        control=sp.Matrix(_shift(_circ_filter(_xs), by=-1)),
    )


@notes_version("lsi-equivariant", kind="counterexample (symbolic circular signal)")
def lsi_equivariant_notes(c: Check) -> None:
    lhs = sp.Matrix(_circ_filter(_shift(_xs)))
    c.identity(
        "T(shift u) = T(u)",
        lhs,
        sp.Matrix(_circ_filter(_xs)),
        control=sp.Matrix(_shift(_circ_filter(_xs))),
    )


# -- convolution -------------------------------------------------------------------------------
def conv3x3(sign: int = -1) -> sp.Expr:
    """Σ_{m,n} K(m,n) I(x + sign·m, y + sign·n): sign -1 convolution, +1 correlation."""
    return sum(K[m, n] * Iv(sign * m, sign * n) for m in OFFS for n in OFFS)


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
    kind="exact expansion (pixels and weights as independent indeterminates)",
)
def conv_3x3(c: Check) -> None:
    c.identity("9 terms = Σ K(m,n) I(x-m,y-n)", CORRECT_EXPANSION, conv3x3(-1), control=conv3x3(+1))


@notes_version("conv-3x3-expansion", kind="non-zero exact residual")
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
)
def conv_eq_corr(c: Check) -> None:
    sym = {K[m, n]: K[-m, -n] for m in OFFS for n in OFFS if (m, n) > (-m, -n)}
    mirror = {K[m, n]: K[m, -n] for m in OFFS for n in OFFS if n > 0}
    c.identity(
        "K symmetric ⇒ conv = corr",
        conv3x3(-1).subs(sym),
        conv3x3(+1).subs(sym),
        control=conv3x3(+1).subs(mirror),
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
    kind="exact symbolic instance (1-D full: n = 4, m = 3; 2-D full: 2×2 input, 2×2 kernel)",
)
def conv_matrix(c: Check) -> None:
    xv, kv = sp.symbols("x1:5", real=True), sp.symbols("k1:4", real=True)
    M = c.step("M (full convolution matrix)", toeplitz_full(kv, 4))
    c.identity("M has m+n-1 = 6 rows", sp.Integer(M.rows), sp.Integer(6), control=sp.Integer(7))
    c.identity(
        "M x = x * k (full)",
        M * sp.Matrix(xv),
        sp.Matrix(conv1d_full(xv, kv)),
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


def rf_bruteforce(layers: Sequence[Layer]) -> int:
    """Span of the input positions output unit 0 depends on, by propagating dependency sets."""
    deps = {0}
    for k, s, d in reversed(layers):
        deps = {u * s + t * d for u in deps for t in range(k)}
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
    kind="symbolic interval step + exhaustive enumeration (all 1884 stacks of depth ≤ 3)",
)
def rf_recurrence_claim(c: Check) -> None:
    pos, k, d, j, r = sp.symbols("p k d j r", positive=True, integer=True)
    first, last = pos, pos + (k - 1) * d * j  # starts of the first and last of the k input units
    span = (last + r - 1) - first + 1
    c.identity(
        "span of k units spaced d·j apart, each of span r",
        span,
        r + (k - 1) * d * j,
        control=r + (k - 1) * j,
    )
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
)
def rf_jump(c: Check) -> None:
    s = sp.symbols("s1:5", positive=True, integer=True)
    j = [sp.Integer(1)]
    for si in s[:3]:
        j.append(j[-1] * si)
    c.step("j_in of layers 1..4", sp.Matrix(j))
    c.identity(
        "RF with j_in = Π previous strides",
        sp.Integer(rf_recurrence(RF_EXAMPLE)),
        sp.Integer(rf_bruteforce(RF_EXAMPLE)),
        control=sp.Integer(21),
    )


@notes_version("rf-jump", kind="counterexample [k7 s2, k3 s2, k3, k3]")
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
    kind="symbolic count of weight and bias indices (summation)",
)
def conv_params_claim(c: Check) -> None:
    kw, kh, C, Co = sp.symbols("k_w k_h C_prev C_out", positive=True, integer=True)
    o, i, a, b = sp.symbols("o i a b", integer=True)
    count = sp.summation(1, (o, 1, Co), (i, 1, C), (a, 1, kh), (b, 1, kw)) + sp.summation(
        1, (o, 1, Co)
    )
    c.step("Σ over (out, in, row, col) + Σ over out (bias)", count)
    c.identity(
        "count = (kw kh C_prev + 1) C_out",
        count,
        conv_params(kw, kh, C, Co),
        control=kw * kh * C * Co + 1,
    )


# -- CNN backward ------------------------------------------------------------------------------
_H, _W, _KH, _KW = 4, 4, 2, 3
_z = sp.Matrix(_H, _W, lambda i, j: sp.Symbol(f"z_{i}{j}", real=True))
_Wk = sp.Matrix(_KH, _KW, lambda m, n: sp.Symbol(f"W_{m}{n}", real=True))
_OUT = [(i, j) for i in range(_KH - 1, _H) for j in range(_KW - 1, _W)]  # valid convolution outputs
_delta = {ij: sp.Symbol(f"delta_{ij[0]}{ij[1]}", real=True) for ij in _OUT}


def _forward(zin: sp.Matrix, typo: bool = False) -> dict[tuple[int, int], sp.Expr]:
    """z^l_{i'j'} = Σ_{m,n} W_mn z^{l-1}_{i'-m, j'-n}  (the notes' typo: j'-m)."""
    out = {}
    for i, j in _OUT:
        terms = []
        for m in range(_KH):
            for n in range(_KW):
                jj = j - (m if typo else n)
                if 0 <= i - m < _H and 0 <= jj < _W:
                    terms.append(_Wk[m, n] * zin[i - m, jj])
        out[i, j] = sum(terms)
    return out


def _cost(out: dict[tuple[int, int], sp.Expr]) -> sp.Expr:
    return sum(_delta[ij] * e for ij, e in out.items())  # C linear in z^l with ∂C/∂z^l = δ


def full_cross_corr_delta(flip: bool = False) -> sp.Matrix:
    """δ^{l-1}_{ij} = Σ_{i'j'} δ_{i'j'} W_{i'-i, j'-j}: the FULL cross-correlation of δ with W."""

    def entry(i: int, j: int) -> sp.Expr:
        tot = sp.Integer(0)
        for (a, b2), dl in _delta.items():
            m, n = (i - a, j - b2) if flip else (a - i, b2 - j)
            if 0 <= m < _KH and 0 <= n < _KW:
                tot += dl * _Wk[m, n]
        return tot

    return sp.Matrix(_H, _W, entry)


@claim(
    "cnn-backward-delta",
    "cnn-backward",
    "δ^{l-1}_{ij} = Σ δ^l_{i'j'} ∂/∂z (Σ W_mn z_{i'-m,j'-m}) = Σ δ^l_{i'j'} W_{i'-i,j'-j} "
    "= σ^l * ROT180(W^l) = cross_corr(σ^l, W^l), sliding W^l over σ^l",
    corrected="with z^l_{i'j'} = Σ W_mn z^{l-1}_{i'-m,j'-n}: δ^{l-1} = FULL cross-correlation of δ^l "
    "with W^l (= δ^l * ROT180(W^l)); σ should be δ; times f'(z^{l-1}) when an activation sits between",
    verdict="G",
    kind="exact symbolic instance (4×4 input, 2×3 kernel)",
)
def cnn_backward_delta(c: Check) -> None:
    C = _cost(_forward(_z))
    grad = sp.Matrix(_H, _W, lambda i, j: sp.diff(C, _z[i, j]))
    c.identity(
        "∂C/∂z^{l-1} = full_cross_corr(δ, W)",
        grad,
        full_cross_corr_delta(),
        control=full_cross_corr_delta(flip=True),
    )
    Ct = _cost(_forward(_z.applyfunc(sp.tanh)))
    grad_t = sp.Matrix(_H, _W, lambda i, j: sp.diff(Ct, _z[i, j]))
    fprime = _z.applyfunc(lambda e: 1 - sp.tanh(e) ** 2)
    c.identity(
        "with a = tanh(z^{l-1}): δ^{l-1} = full_cross_corr(δ, W) ⊙ f'(z^{l-1})",
        grad_t,
        full_cross_corr_delta().multiply_elementwise(fprime),
        control=full_cross_corr_delta(),
    )


@notes_version("cnn-backward-delta", kind="non-zero residual (index typo) + shape (valid vs full)")
def cnn_backward_delta_notes(c: Check) -> None:
    C = _cost(_forward(_z, typo=True))
    grad = sp.Matrix(_H, _W, lambda i, j: sp.diff(C, _z[i, j]))
    c.identity(
        "with z_{i'-m,j'-m} as written, ∂C/∂z = Σ δ W_{i'-i,j'-j}",
        grad,
        full_cross_corr_delta(),
        control_lhs=sp.Matrix(_H, _W, lambda i, j: sp.diff(_cost(_forward(_z)), _z[i, j])),
        control=full_cross_corr_delta(),
    )
    n_out = len({i for i, _ in _OUT}), len({j for _, j in _OUT})
    valid = (n_out[0] - _KH + 1, n_out[1] - _KW + 1)
    full = (n_out[0] + _KH - 1, n_out[1] + _KW - 1)
    c.identity(
        "'cross_corr(δ, W)' (valid) has the shape of z^{l-1}",
        sp.Matrix(valid),
        sp.Matrix([_H, _W]),
        control=sp.Matrix([_H, _W]),
        control_lhs=sp.Matrix(full),
    )


def _weight_grad_formula(typo: bool = False, flip: bool = False) -> sp.Matrix:
    def entry(m: int, n: int) -> sp.Expr:
        tot = sp.Integer(0)
        for (i, j), dl in _delta.items():
            a, b2 = (i + m, j + n) if flip else (i - m, j - (m if typo else n))
            if 0 <= a < _H and 0 <= b2 < _W:
                tot += dl * _z[a, b2]
        return tot

    return sp.Matrix(_KH, _KW, entry)


@claim(
    "cnn-weight-grad",
    "cnn-backward",
    "∂C/∂W_{m,n} = Σ_i Σ_j δ_ij z^{l-1}_{i-m,j-m} = σ^l * ROT180(z^{l-1}) = cross_corr(σ^l, z^{l-1}), "
    "sliding W^l over z^{l-1}",
    corrected="∂C/∂W_{m,n} = Σ_{i,j} δ^l_ij z^{l-1}_{i-m,j-n}: δ^l slides over z^{l-1} (not W); σ should be δ",
    verdict="G",
    kind="exact symbolic instance (4×4 input, 2×3 kernel)",
)
def cnn_weight_grad(c: Check) -> None:
    C = _cost(_forward(_z))
    grad = sp.Matrix(_KH, _KW, lambda m, n: sp.diff(C, _Wk[m, n]))
    c.identity(
        "∂C/∂W_mn = Σ δ_ij z_{i-m,j-n}",
        grad,
        _weight_grad_formula(),
        control=_weight_grad_formula(flip=True),
    )


@notes_version("cnn-weight-grad", kind="non-zero exact residual (index j-m)")
def cnn_weight_grad_notes(c: Check) -> None:
    C = _cost(_forward(_z))
    grad = sp.Matrix(_KH, _KW, lambda m, n: sp.diff(C, _Wk[m, n]))
    c.identity(
        "∂C/∂W_mn = Σ δ_ij z_{i-m,j-m}",
        grad,
        _weight_grad_formula(typo=True),
        control=_weight_grad_formula(),
    )


# -- pooling -----------------------------------------------------------------------------------
@claim(
    "maxpool-backward",
    "pooling",
    "∂z^l_k/∂z^{l-1} = 1 if k = argmax z^{l-1}_k, 0 otherwise",
    corrected="∂ max(z)/∂z_i = 1 at the (unique) argmax, 0 elsewhere; at a tie the derivative does not "
    "exist (one-sided 0 and 1) and '1 at one argmax' is a subgradient choice",
    verdict="G",
    kind="identity + exact evaluation + one-sided limits",
)
def maxpool_backward(c: Check) -> None:
    z1, z2, z3, z4 = sp.symbols("z1:5", real=True)
    c.identity(
        "∂max(z1,z2)/∂z1 = H(z1 - z2)",
        sp.diff(Max(z1, z2), z1),
        Heaviside(z1 - z2),
        control=Heaviside(z2 - z1),
    )
    m4 = Max(z1, z2, z3, z4)
    pt = {z1: 1, z2: 3, z3: 2, z4: 0}
    grad = sp.Matrix([sp.diff(m4, v) for v in (z1, z2, z3, z4)]).subs(pt)
    c.identity(
        "gradient at z = (1,3,2,0) is one-hot at the argmax",
        grad,
        sp.Matrix([0, 1, 0, 0]),
        control=sp.Matrix([1, 0, 0, 0]),
    )
    h = sp.Symbol("h", real=True)
    c.limit("tie z1 = z2: right derivative in z1", (Max(h, 0) - 0) / h, h, 0, 1, control=0, dir="+")
    c.limit("tie z1 = z2: left derivative in z1", (Max(h, 0) - 0) / h, h, 0, 0, control=1, dir="-")


@notes_version("maxpool-backward", kind="counterexample at a tie")
def maxpool_backward_notes(c: Check) -> None:
    h = sp.Symbol("h", real=True)
    # At z1 = z2 = 0 the rule says 1 for 'the' argmax z1; the left derivative is 0.
    c.limit(
        "tie: derivative in z1 is 1 from both sides (left)",
        (Max(h, 0) - 0) / h,
        h,
        0,
        1,
        control=0,
        dir="-",
    )


# -- architectures -----------------------------------------------------------------------------
VGG16 = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]


def vgg16_params() -> int:
    """VGG-16 (ImageNet, 1000 classes): 3×3 convs + FC 25088-4096-4096-1000."""
    total, cin = 0, 3
    for v in VGG16:
        if v != "M":
            total += int(conv_params(3, 3, cin, v))
            cin = v
    return total + (25088 + 1) * 4096 + (4096 + 1) * 4096 + (4096 + 1) * 1000


def alexnet_params() -> int:
    """AlexNet (torchvision layout): 5 convs + FC 9216-4096-4096-1000."""
    convs = [(11, 3, 64), (5, 64, 192), (3, 192, 384), (3, 384, 256), (3, 256, 256)]
    total = sum(int(conv_params(k, k, ci, co)) for k, ci, co in convs)
    return total + (9216 + 1) * 4096 + (4096 + 1) * 4096 + (4096 + 1) * 1000


@claim(
    "vgg-3x3-stack",
    "architectures",
    "VGG has more layers and larger receptive field, but less parameters (smaller filters)",
    corrected="Per block: three 3×3 convs have RF 7 with 27C² weights vs 49C² for one 7×7 (true). "
    "But the whole VGG-16 (≈138M parameters) has MORE parameters than AlexNet (≈61M)",
    verdict="I",
    kind="exact counts + sign fact",
)
def vgg_stack(c: Check) -> None:
    C = sp.Symbol("C", positive=True, integer=True)
    stack = [(3, 1, 1)] * 3
    c.identity(
        "RF of three 3×3 (stride 1)",
        sp.Integer(rf_recurrence(stack)),
        sp.Integer(7),
        control=sp.Integer(9),
    )
    c.fact(
        "49C² - 3·9C² > 0", 49 * C**2 - 3 * 9 * C**2, "positive", control=3 * 9 * C**2 - 49 * C**2
    )
    c.holds(
        f"params(VGG-16) = {vgg16_params():,} > params(AlexNet) = {alexnet_params():,}",
        vgg16_params() > alexnet_params(),
        control=vgg16_params() < alexnet_params(),
        how="exact count with (k·k·C_in + 1)·C_out",
    )


@notes_version("vgg-3x3-stack", kind="exact parameter counts")
def vgg_stack_notes(c: Check) -> None:
    c.holds(
        "VGG-16 has fewer parameters than AlexNet",
        vgg16_params() < alexnet_params(),
        control=vgg16_params() > alexnet_params(),
        how="exact count with (k·k·C_in + 1)·C_out",
    )


@claim(
    "inception-1x1",
    "architectures",
    "inception module: 1x1 convolutions reduce channel dimensionality, hence fewer parameters",
    kind="solve + sign facts (weights only)",
)
def inception(c: Check) -> None:
    k, Ci, Co, Cr = sp.symbols("k C_in C_out C_r", positive=True)
    direct, bottleneck = k**2 * Ci * Co, Ci * Cr + k**2 * Cr * Co
    saving = c.step("direct - bottleneck", sp.expand(direct - bottleneck))
    thr = sp.solve(saving, Cr)
    c.identity(
        "fewer parameters iff C_r < k²C_in C_out/(C_in + k²C_out)",
        thr[0],
        k**2 * Ci * Co / (Ci + k**2 * Co),
        control=Ci,
    )
    c.fact(
        "the saving decreases in C_r", sp.diff(saving, Cr), "negative", control=-sp.diff(saving, Cr)
    )
    c.fact(
        "threshold < C_in, so C_r < C_in alone is not enough",
        sp.simplify(Ci - k**2 * Ci * Co / (Ci + k**2 * Co)),
        "positive",
        control=sp.simplify(k**2 * Ci * Co / (Ci + k**2 * Co) - Ci),
    )


@claim(
    "resnet-identity",
    "architectures",
    "add identity connections and just learn the residuals: y = x + F(x)",
    kind="identity on arbitrary functions (2-D)",
)
def resnet_identity(c: Check) -> None:
    x1, x2 = sp.symbols("x1 x2", real=True)
    F = sp.Matrix([sp.Function("F1")(x1, x2), sp.Function("F2")(x1, x2)])
    yv = sp.Matrix([x1, x2]) + F
    c.identity(
        "∂y/∂x = I + ∂F/∂x",
        yv.jacobian([x1, x2]),
        sp.eye(2) + F.jacobian([x1, x2]),
        control=F.jacobian([x1, x2]),
    )


def _conv_matrix_valid(kv: Sequence[sp.Expr], n: int, s: int = 1) -> sp.Matrix:
    """Rows: outputs y_i = Σ_m k_m x_{i·s+m} (valid correlation, stride s)."""
    m = len(kv)
    rows = (n - m) // s + 1
    return sp.Matrix(rows, n, lambda i, j: kv[j - i * s] if 0 <= j - i * s < m else 0)


@claim(
    "transposed-conv",
    "transposed-conv",
    "Instead of Kx = y use Kᵀy = x to upsample",
    corrected="Kᵀy has x's shape but is not x: it is the full convolution of y with k (stride 1); "
    "output length (i-1)s - 2p + k + output_padding",
    verdict="G",
    kind="exact symbolic instance (n = 4, k = 3) + exhaustive length enumeration",
)
def transposed_conv(c: Check) -> None:
    kv = sp.symbols("k1:4", real=True)
    yv = sp.Matrix(sp.symbols("y1:3", real=True))
    Km = c.step("K (2 × 4)", _conv_matrix_valid(kv, 4))
    c.identity(
        "Kᵀy = full convolution of y with k",
        Km.T * yv,
        sp.Matrix(conv1d_full(list(yv), kv)),
        control=sp.Matrix(conv1d_full(list(yv), kv[::-1])),
    )
    ok = bad = True
    for n in range(1, 12):
        for kk in range(1, 4):
            for s in range(1, 4):
                for pad in range(0, 2):
                    if n + 2 * pad < kk:
                        continue
                    i = (n + 2 * pad - kk) // s + 1
                    op = (n + 2 * pad - kk) % s
                    ok &= (i - 1) * s - 2 * pad + kk + op == n
                    bad &= (i - 1) * s - 2 * pad + kk == n
    c.holds(
        "(i-1)s - 2p + k + output_padding recovers n (n ≤ 11, k ≤ 3, s ≤ 3, p ≤ 1)",
        ok,
        control=bad,
        how="exact enumeration, output_padding = (n + 2p - k) mod s",
    )


@notes_version("transposed-conv", kind="counterexample (symbolic instance)")
def transposed_conv_notes(c: Check) -> None:
    kv = sp.symbols("k1:4", real=True)
    xv = sp.Matrix(sp.symbols("x1:5", real=True))
    Km = _conv_matrix_valid(kv, 4)
    yv = Km * xv
    c.identity("Kᵀ(Kx) = x", Km.T * yv, xv, control=sp.Matrix(conv1d_full(list(yv), kv)))
