"""Claims of the CNN chapter, second half: the CNN backward pass, max pooling, the image classification
models (against the preset networks of ``dlstudy/arch/presets``, through the arch engine), transposed
convolution."""

from __future__ import annotations

import re
from collections.abc import Sequence

import sympy as sp
from sympy import Heaviside, Max

from dlstudy.symbolic.claims_cnn import conv1d_full
from dlstudy.symbolic.core import (
    GENERAL,
    INSTANCE,
    Check,
    claim,
    notes_version,
    unclear_notes,
)

# -- CNN backward ------------------------------------------------------------------------------
_H, _W, _KH, _KW = 4, 4, 2, 3
_z = sp.Matrix(_H, _W, lambda i, j: sp.Symbol(f"z_{i}{j}", real=True))
_Wk = sp.Matrix(_KH, _KW, lambda m, n: sp.Symbol(f"W_{m}{n}", real=True))
_OUT = [(i, j) for i in range(_KH - 1, _H) for j in range(_KW - 1, _W)]  # valid convolution outputs
_delta = {ij: sp.Symbol(f"delta_{ij[0]}{ij[1]}", real=True) for ij in _OUT}
_CASE = "4×4 input, 2×3 kernel, every weight, input and δ symbolic"


def _forward(zin: sp.Matrix, typo: bool = False, sign: int = -1) -> dict[tuple[int, int], sp.Expr]:
    """z^l_{i'j'} = Σ_{m,n} W_mn z^{l-1}_{i'-m, j'-n} (``typo``: the notes' j'-m; ``sign`` +1: the
    correlation z_{i'+m-(KH-1), j'+n-(KW-1)} instead of the convolution)."""
    out = {}
    for i, j in _OUT:
        terms = []
        for m in range(_KH):
            for n in range(_KW):
                if sign < 0:
                    ii, jj = i - m, j - (m if typo else n)
                else:
                    ii, jj = i - (_KH - 1) + m, j - (_KW - 1) + n
                if 0 <= ii < _H and 0 <= jj < _W:
                    terms.append(_Wk[m, n] * zin[ii, jj])
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


_FORWARD = "the forward pass is the convolution z^l_{i'j'} = Σ_{m,n} W_mn z^{l-1}_{i'-m,j'-n}"


@claim(
    "cnn-backward-delta",
    "cnn-backward",
    "δ^{l-1}_{ij} = Σ δ^l_{i'j'} ∂/∂z (Σ W_mn z_{i'-m,j'-m}) = Σ δ^l_{i'j'} W_{i'-i,j'-j} "
    "= σ^l * ROT180(W^l) = cross_corr(σ^l, W^l), sliding W^l over σ^l",
    corrected="with z^l_{i'j'} = Σ W_mn z^{l-1}_{i'-m,j'-n}: δ^{l-1} = FULL cross-correlation of δ^l "
    "with W^l (= δ^l * ROT180(W^l)); σ should be δ; times f'(z^{l-1}) when an activation sits between",
    verdict="G",
    kind="exact symbolic instance",
    scope=INSTANCE,
    case=_CASE,
)
def cnn_backward_delta(c: Check) -> None:
    sign = c.premise(_FORWARD, -1, broken=+1)
    C = _cost(_forward(_z, sign=sign))
    grad = sp.Matrix(_H, _W, lambda i, j: sp.diff(C, _z[i, j]))
    c.identity(
        "∂C/∂z^{l-1} = full_cross_corr(δ, W)",
        grad,
        full_cross_corr_delta(),
        control=full_cross_corr_delta(flip=True),
    )
    Ct = _cost(_forward(_z.applyfunc(sp.tanh), sign=sign))
    grad_t = sp.Matrix(_H, _W, lambda i, j: sp.diff(Ct, _z[i, j]))
    fprime = _z.applyfunc(lambda e: 1 - sp.tanh(e) ** 2)
    c.identity(
        "with a = tanh(z^{l-1}): δ^{l-1} = full_cross_corr(δ, W) ⊙ f'(z^{l-1})",
        grad_t,
        full_cross_corr_delta().multiply_elementwise(fprime),
        control=full_cross_corr_delta(),
    )


@notes_version(
    "cnn-backward-delta",
    kind="non-zero residual: the index typo j'-m (σ is read as δ)",
    quote="(W_{mn}^l z_{i'-m,j'-m}^{l-1})",
    case=_CASE,
)
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
    kind="exact symbolic instance",
    scope=INSTANCE,
    case=_CASE,
)
def cnn_weight_grad(c: Check) -> None:
    sign = c.premise(_FORWARD, -1, broken=+1)
    C = _cost(_forward(_z, sign=sign))
    grad = sp.Matrix(_KH, _KW, lambda m, n: sp.diff(C, _Wk[m, n]))
    c.identity(
        "∂C/∂W_mn = Σ δ_ij z_{i-m,j-n}",
        grad,
        _weight_grad_formula(),
        control=_weight_grad_formula(flip=True),
    )


@notes_version(
    "cnn-weight-grad",
    kind="non-zero exact residual (index j-m)",
    quote="\\delta^l_{ij} z^{l-1}_{i-m,j-m}",
    case=_CASE,
)
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
    "∂z^l/∂z^{l-1}_k = 1 if k = argmax_i z^{l-1}_i, 0 otherwise",
    corrected="∂ max(z)/∂z_i = 1 at the (unique) argmax, 0 elsewhere; at a tie the derivative does not "
    "exist (one-sided 0 and 1) and '1 at one argmax, 0 elsewhere' is a valid subgradient",
    verdict="C",
    kind="identity + exact evaluation + one-sided limits + subgradient inequality",
    scope=INSTANCE,
    case="pools of 2 inputs (symbolic) and of 4 inputs at the point (1, 3, 2, 0)",
)
def maxpool_backward(c: Check) -> None:
    z1, z2, z3, z4, t = sp.symbols("z1:5 t", real=True)
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
    g = c.premise(
        "at the tie z1 = z2 = t the rule routes the gradient to ONE argmax: g = (1, 0)",
        (1, 0),
        broken=(1, 1),
    )
    u = sp.Symbol("u", nonnegative=True)
    a = sp.Symbol("a", real=True)
    for name, (d1, d2) in (("z1 ≥ z2", (a + u, a)), ("z2 ≥ z1", (a, a + u))):
        # z = (t + d1, t + d2): max(z) - [max(t, t) + g·(z - (t, t))]
        gap = Max(t + d1, t + d2) - (t + g[0] * d1 + g[1] * d2)
        c.fact(
            f"subgradient at the tie, case {name}: max(z) ≥ max(t, t) + g·(z - (t, t))",
            sp.simplify(gap),
            "nonnegative",
            control=-u - 1,
        )


unclear_notes(
    "maxpool-backward",
    quote="1 & \\text{if } k = argmax \\ z_k^{l-1}",
    reading="∂z^l/∂z^{l-1}_k = 1 if k = argmax_i z^{l-1}_i, else 0 (the notes use k for both the "
    "input and the argmax index). Read so the rule is right: the gradient at a unique maximum and, "
    "at a tie, a valid subgradient ('maxpool-backward' proves both)",
)


# -- architectures: the preset networks through the arch engine ---------------------------------
def _analysis(spec: str) -> object:
    from dlstudy.arch.engine import analyze

    return analyze(spec)


def _preset(name: str) -> str:
    from dlstudy.arch.presets import preset_text

    text = preset_text(name)
    if text is None:
        raise ValueError(f"no preset {name!r}")
    return text


def weight_depth(layers: Sequence[object], prefix: str = "") -> int:
    """Weight layers (conv, fc) on the longest path of an analysed network: a block counts its
    deepest branch (GoogLeNet: 22, VGG-16: 16, AlexNet: 8)."""
    rows = [r for r in layers if r.index.startswith(prefix) and "." not in r.index[len(prefix) :]]
    total = 0
    for r in rows:
        if r.block:
            pat = re.compile(rf"^{re.escape(r.index)}([a-z]|p\d+)\.")
            branches = sorted({m.group(1) for q in layers if (m := pat.match(q.index))})
            total += max((weight_depth(layers, f"{r.index}{b}.") for b in branches), default=0)
        elif r.kind in ("conv", "fc"):
            total += 1
    return total


def _facts(spec: str) -> dict[str, int]:
    a = _analysis(spec)
    fc = sum(1 for r in a.leaves if r.kind == "fc")
    rf = a.receptive_field
    return {"depth": weight_depth(a.layers), "rf": rf, "params": a.total_params, "fc": fc}


def _vgg_conv_part() -> str:
    text = _preset("vgg16")
    cut = text.index("adaptiveavgpool")
    return text[:cut]


@claim(
    "vgg-3x3-stack",
    "architectures",
    "VGG: smaller filters: a stack of 3×3 convolutions has the receptive field of one larger filter "
    "with fewer parameters",
    kind="arch engine (RF of the stack) + sign fact for every channel count C",
    scope=GENERAL,
)
def vgg_stack(c: Check) -> None:
    C = sp.Symbol("C", positive=True, integer=True)
    s = c.premise("stride 1 in the stack", 1, broken=2)
    stack = _analysis(
        f"input(c=8, h=64, w=64), conv(c=8, k=3, s={s}), conv(c=8, k=3), conv(c=8, k=3)"
    )
    single = _analysis("input(c=8, h=64, w=64), conv(c=8, k=7)")
    c.identity(
        "RF of three 3×3 = RF of one 7×7 (= 7)",
        sp.Integer(stack.receptive_field),
        sp.Integer(single.receptive_field),
        control=sp.Integer(9),
    )
    c.identity(
        "weights at C = 8: 3·9·C² and 49·C² (arch engine)",
        sp.Matrix([stack.total_weights, single.total_weights]),
        sp.Matrix([27 * 64, 49 * 64]),
        control=sp.Matrix([49 * 64, 27 * 64]),
    )
    c.fact("49C² - 3·9C² > 0 for every C", 49 * C**2 - 3 * 9 * C**2, "positive", control=-(C**2))


@claim(
    "vgg-network",
    "architectures",
    "VGG has more layers and larger receptive field, but less parameters (smaller filters)",
    corrected="VGG-16 has more weight layers (16 vs 8) and a larger receptive field (212 vs 195 "
    "pixels) than AlexNet, but MORE parameters: 138,357,544 vs 61,100,840 (its three FC layers "
    "hold 123.6M of them; smaller filters save parameters per block, see 'vgg-3x3-stack')",
    verdict="I",
    kind="arch engine on the presets: weight layers on the longest path, receptive field, parameters",
    scope=INSTANCE,
    case="the presets vgg16 and alexnet (torchvision's definitions)",
)
def vgg_network(c: Check) -> None:
    vgg = _facts(c.premise("VGG-16 with its FC classifier", "vgg16", broken=_vgg_conv_part()))
    alex = _facts("alexnet")
    for key, label in (("depth", "more weight layers"), ("rf", "larger receptive field")):
        c.holds(
            f"{label}: VGG-16 {vgg[key]} > AlexNet {alex[key]}",
            vgg[key] > alex[key],
            control=vgg[key] <= alex[key],
            how="arch engine on the presets",
        )
    c.holds(
        f"more parameters: VGG-16 {vgg['params']:,} > AlexNet {alex['params']:,}",
        vgg["params"] > alex["params"],
        control=vgg["params"] <= alex["params"],
        how="arch engine on the presets",
    )


@notes_version(
    "vgg-network",
    kind="exact parameter counts of the presets (arch engine)",
    quote="VGG has more layers and larger receptive field, but less parameters (smaller filters)",
    case="presets vgg16 (138,357,544) and alexnet (61,100,840)",
)
def vgg_network_notes(c: Check) -> None:
    vgg, alex = _facts("vgg16"), _facts("alexnet")
    c.holds(
        "VGG-16 has fewer parameters than AlexNet",
        vgg["params"] < alex["params"],
        control=vgg["params"] > alex["params"],
        how="arch engine on the presets",
    )


_GAP_HEAD = "adaptiveavgpool(h=1, w=1)\nflatten\ndropout(p=0.2)\nfc(n=1000)"
_FC_HEAD = "flatten\nfc(n=4096), relu\nfc(n=4096), relu\nfc(n=1000)"


def _googlenet(gap: bool) -> str:
    text = _preset("googlenet")
    if _GAP_HEAD not in text:
        raise ValueError("the googlenet preset's classifier head changed")
    return text if gap else text.replace(_GAP_HEAD, _FC_HEAD)


@claim(
    "googlenet-network",
    "architectures",
    "GoogleNet has even more layers and larger receptive field. It has no FC layer. It has inception "
    "module (using 1x1 convolutions to reduce channel dimensionality) and less parameters",
    corrected="GoogLeNet is deeper (22 weight layers on its longest path vs 16 for VGG-16), has a "
    "larger receptive field (379 vs 212 pixels) and far fewer parameters (6,624,904 vs 138,357,544) "
    "because global average pooling replaces VGG's FC layers; it keeps ONE FC layer, the 1000-way "
    "classifier",
    verdict="I",
    kind="arch engine on the presets: weight layers on the longest path, receptive field, parameters",
    scope=INSTANCE,
    case="the presets googlenet and vgg16 (torchvision's definitions)",
)
def googlenet_network(c: Check) -> None:
    goog = _facts(
        c.premise(
            "global average pooling before the classifier (no 7×7×1024 → 4096 FC layers)",
            _googlenet(True),
            broken=_googlenet(False),
        )
    )
    vgg = _facts("vgg16")
    for key, label in (("depth", "more weight layers"), ("rf", "larger receptive field")):
        c.holds(
            f"{label}: GoogLeNet {goog[key]} > VGG-16 {vgg[key]}",
            goog[key] > vgg[key],
            control=goog[key] <= vgg[key],
            how="arch engine on the presets",
        )
    c.holds(
        f"fewer parameters: GoogLeNet {goog['params']:,} < VGG-16 {vgg['params']:,}",
        goog["params"] < vgg["params"],
        control=goog["params"] >= vgg["params"],
        how="arch engine on the presets",
    )
    c.holds(
        f"exactly one FC layer (the classifier): {goog['fc']}",
        goog["fc"] == 1,
        control=goog["fc"] == 0,
        how="arch engine on the presets",
    )


@notes_version(
    "googlenet-network",
    kind="the preset's layers (arch engine)",
    quote="It has no FC layer",
    case="preset googlenet: one fc layer (1024 → 1000)",
)
def googlenet_network_notes(c: Check) -> None:
    goog = _facts("googlenet")
    c.holds(
        "GoogLeNet has no FC layer",
        goog["fc"] == 0,
        control=goog["fc"] == 1,
        how="arch engine on the presets",
    )


@claim(
    "inception-1x1",
    "architectures",
    "inception module: 1x1 convolutions reduce channel dimensionality, hence fewer parameters",
    kind="solve + sign facts (weights only, symbolic k, C_in, C_out, C_r)",
    scope=GENERAL,
)
def inception(c: Check) -> None:
    k, Ci, Co, Cr = sp.symbols("k C_in C_out C_r", positive=True)
    direct = k**2 * Ci * Co
    bottleneck = c.premise(
        "the 1×1 reduction comes BEFORE the k×k convolution: C_in·C_r + k²·C_r·C_out",
        Ci * Cr + k**2 * Cr * Co,
        broken=k**2 * Ci * Cr + Cr * Co,
    )
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
    kind="identity on arbitrary functions",
    scope=INSTANCE,
    case="x ∈ R², F arbitrary differentiable",
)
def resnet_identity(c: Check) -> None:
    x1, x2 = sp.symbols("x1 x2", real=True)
    F = sp.Matrix([sp.Function("F1")(x1, x2), sp.Function("F2")(x1, x2)])
    S = c.premise("the shortcut is the identity", sp.eye(2), broken=sp.Matrix([[1, 1], [0, 1]]))
    yv = S * sp.Matrix([x1, x2]) + F
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
    kind="exact symbolic instance + exhaustive length enumeration",
    scope=INSTANCE,
    case="n = 4, k = 3 (symbolic entries); lengths for n ≤ 11, k ≤ 3, s ≤ 3, p ≤ 1",
)
def transposed_conv(c: Check) -> None:
    kv = sp.symbols("k1:4", real=True)
    s = c.premise("K is the stride-1 convolution matrix", 1, broken=2)
    yv = sp.Matrix(sp.symbols("y1:3", real=True))
    Km = c.step("K (2 × 4)", _conv_matrix_valid(kv, 4, s))
    yv = yv[: Km.rows, :]
    c.identity(
        "Kᵀy = full convolution of y with k",
        Km.T * yv,
        sp.Matrix(conv1d_full(list(yv), kv)),
        control=sp.Matrix(conv1d_full(list(yv), kv[::-1])),
    )
    ok = bad = True
    for n in range(1, 12):
        for kk in range(1, 4):
            for st in range(1, 4):
                for pad in range(0, 2):
                    if n + 2 * pad < kk:
                        continue
                    i = (n + 2 * pad - kk) // st + 1
                    op = (n + 2 * pad - kk) % st
                    ok &= (i - 1) * st - 2 * pad + kk + op == n
                    bad &= (i - 1) * st - 2 * pad + kk == n
    c.holds(
        "(i-1)s - 2p + k + output_padding recovers n (n ≤ 11, k ≤ 3, s ≤ 3, p ≤ 1)",
        ok,
        control=bad,
        how="exact enumeration, output_padding = (n + 2p - k) mod s",
    )


@notes_version(
    "transposed-conv",
    kind="counterexample (symbolic instance)",
    quote="use $K^Ty = x$ to upsample",
    case="n = 4, k = 3: Kᵀ(Kx) ≠ x",
)
def transposed_conv_notes(c: Check) -> None:
    kv = sp.symbols("k1:4", real=True)
    xv = sp.Matrix(sp.symbols("x1:5", real=True))
    Km = _conv_matrix_valid(kv, 4)
    yv = Km * xv
    c.identity("Kᵀ(Kx) = x", Km.T * yv, xv, control=sp.Matrix(conv1d_full(list(yv), kv)))
