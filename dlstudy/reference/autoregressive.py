"""Autoregressive models: the chain-rule factorisation, NADE, MADE, PixelCNN masks, WaveNet.

Notes: "Autoregressive Models", "NADE", "MADE", "PixelRNN/CNN", "TCNs - WaveNet", "Dilated Convolution".
Conventions: natural logarithms; binary variables for NADE and the factorisation; PixelCNN masks in
torch's weight layout (out_channels, in_channels, k, k) with raster order (row by row, left to right)
and channel order R → G → B; WaveNet convolutions are correlations (as torch ``Conv1d``) made causal
by (k − 1)·d zeros on the left.
"""

from __future__ import annotations

import numpy as np

from dlstudy.errors import DlstudyError
from dlstudy.output import format_factor
from dlstudy.reference.registry import (
    MAX_ENTRY_STEPS,
    Mistake,
    Solution,
    Step,
    as_array,
    as_vector,
    reference,
    steps_left,
)

#: Products T·k, and zeros (k − 1)·d padded, that one causal convolution may take.
MAX_CAUSAL_TERMS = 1_000_000


def _binary(x: object, label: str = "x") -> np.ndarray:
    v = as_vector(x, label)
    if not np.all((v == 0) | (v == 1)):
        raise DlstudyError(f"{label}: expected a vector of 0s and 1s")
    return v.astype(int)


def _sigmoid(t: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-t))


# ------------------------------------------------------------------------------ factorisation


def _joint_table(joint: np.ndarray, n_vars: int) -> np.ndarray:
    if joint.size != 2**n_vars:
        raise DlstudyError(
            f"joint: expected 2^{n_vars} = {2**n_vars} probabilities, got {joint.size}"
        )
    if np.any(joint < 0) or abs(joint.sum() - 1) > 1e-6:
        raise DlstudyError("joint: probabilities must be >= 0 and sum to 1")
    return joint.reshape((2,) * n_vars)


@reference(
    "ar-log-likelihood",
    section="autoregressive",
    summary="log p(x) = Σ_i log p(x_i | x_<i) from a joint table over binary variables",
    params_help={
        "joint": "p(x) for all 2^D binary configurations, in binary order x1 x2 ... (x1 most significant)",
        "x": "the configuration to score (0s and 1s)",
    },
)
def ar_log_likelihood(joint: np.ndarray, x: np.ndarray) -> Solution:
    r"""The autoregressive factorisation p(x) = Π_i p(x_i | x_{<i}) (strictly earlier variables).

    .. math:: \log p(x) = \sum_{i=1}^{D} \log p(x_i | x_{<i}), \quad p(x_i | x_{<i}) = \frac{p(x_{\le i})}{p(x_{<i})}

    ``joint``: (2^D,) in binary order; ``x``: (D,). Result: log p(x) in nats.
    """
    xv = _binary(x)
    table = _joint_table(as_vector(joint, "joint"), xv.size)
    steps, total = [], 0.0
    prefix_prob = 1.0
    for i in range(xv.size):
        marg = table[tuple(xv[: i + 1])].sum() if i + 1 < xv.size else table[tuple(xv)]
        if prefix_prob == 0:
            raise DlstudyError(f"p(x_<{i + 1}) = 0: x has probability 0, its log-likelihood is −∞")
        cond = marg / prefix_prob
        if cond == 0:
            raise DlstudyError(
                f"p(x_{i + 1} | x_<{i + 1}) = 0: x has probability 0, its log-likelihood is −∞"
            )
        given = ", ".join(f"x{j + 1} = {xv[j]}" for j in range(i))
        what = f"p(x{i + 1} = {xv[i]} | {given})" if given else f"p(x{i + 1} = {xv[i]})"
        if i:
            detail = f"{marg:.4g}/{prefix_prob:.4g} = {float(cond):.6g}"
        else:  # p(x1) sums the joint over the later variables
            entries = np.ravel(table[tuple(xv[:1])])
            detail = " + ".join(f"{v:.4g}" for v in entries) + f" = {marg:.4g}"
        steps.append(Step(what, float(cond), detail))
        total += float(np.log(cond))
        prefix_prob = float(marg)
    steps.append(
        Step(
            "log p(x) = Σ_i log p(x_i | x_<i)",
            total,
            " + ".join(f"log {step.value:.4g}" for step in steps) + f" = {total:.6g}",
        )
    )
    mistakes = [
        Mistake(
            "conditioning-on-x-le-i",
            "condition on x_<i, not x_≤i (p(x_i | x_≤i) = 1, log-likelihood 0)",
            0.0,
        )
    ]
    return Solution(
        total, steps, mistakes, convention="nats; x1 is the most significant bit of the table"
    )


# -------------------------------------------------------------------------------------- NADE


@reference(
    "nade",
    section="autoregressive",
    summary="NADE forward pass: p(x_d = 1 | x_<d) with the shared recurrence a_{d+1} = a_d + W[:, d] x_d",
    params_help={
        "W": "input-to-hidden weights, H × D (column d is shared by every later conditional)",
        "V": "hidden-to-output weights, D × H",
        "b": "output biases, length D",
        "c": "hidden biases, length H",
        "x": "binary data vector, length D",
    },
)
def nade(W: np.ndarray, V: np.ndarray, b: np.ndarray, c: np.ndarray, x: np.ndarray) -> Solution:
    r"""NADE with sigmoid hidden units, in O(HD).

    .. math::
        a_1 = c,\quad a_{d+1} = a_d + W_{:,d}\,x_d,\quad h_d = \sigma(a_d),\quad
        p(x_d = 1 | x_{<d}) = \sigma(b_d + V_{d,:} h_d)

    Shapes: W (H, D), V (D, H), b (D,), c (H,), x (D,). Result: ``{"conditionals": (D,),
    "log_likelihood": Σ_d log p(x_d | x_<d)}``.
    """
    Wm = as_array(W, "W", ndim=2)
    H, Dn = Wm.shape
    Vm = as_array(V, "V", ndim=2)
    if Vm.shape != (Dn, H):
        raise DlstudyError(
            f"V: expected shape ({Dn}, {H}) for W of shape ({H}, {Dn}), got {Vm.shape}"
        )
    bv, cv, xv = as_vector(b, "b"), as_vector(c, "c"), _binary(x)
    if bv.shape != (Dn,) or cv.shape != (H,) or xv.shape != (Dn,):
        raise DlstudyError(f"b and x need length D = {Dn}, c needs length H = {H}")
    a = cv.copy()
    probs, wrong_probs, steps = [], [], []
    for d in range(Dn):
        h = _sigmoid(a)
        p = float(_sigmoid(bv[d] + Vm[d] @ h))
        probs.append(p)
        steps.append(
            Step(f"d = {d + 1}: a = {np.round(a, 4).tolist()}, p(x{d + 1} = 1 | x_<{d + 1})", p)
        )
        a_incl = a + Wm[:, d] * xv[d]
        wrong_probs.append(float(_sigmoid(bv[d] + Vm[d] @ _sigmoid(a_incl))))
        a = a_incl
    pr = np.array(probs)
    ll = float(np.sum(np.where(xv == 1, np.log(pr), np.log1p(-pr))))
    steps.append(Step("log p(x) = Σ_d log p(x_d | x_<d)", ll))
    wp = np.array(wrong_probs)
    wrong_ll = float(np.sum(np.where(xv == 1, np.log(wp), np.log1p(-wp))))
    mistakes = [
        Mistake(
            "conditioning-on-x-le-d",
            "the d-th conditional may only see x_<d: update a after computing p(x_d | x_<d)",
            {"conditionals": wp, "log_likelihood": wrong_ll},
        )
    ]
    return Solution({"conditionals": pr, "log_likelihood": ll}, steps, mistakes, convention="nats")


# -------------------------------------------------------------------------------------- MADE


def made_masks_from_degrees(
    input_degrees: np.ndarray, hidden_degrees: list[np.ndarray], strict_output: bool = True
) -> list[np.ndarray]:
    """MADE masks: hidden M[k, j] = [m(k) ≥ m(j)]; output M[d, k] = [d > m(k)] (strict)."""
    masks, prev = [], input_degrees
    for hd in hidden_degrees:
        masks.append((hd[:, None] >= prev[None, :]).astype(int))
        prev = hd
    out = (
        input_degrees[:, None] > prev[None, :]
        if strict_output
        else input_degrees[:, None] >= prev[None, :]
    )
    masks.append(out.astype(int))
    return masks


def _dependencies(masks: list[np.ndarray]) -> np.ndarray:
    dep = masks[0]
    for m in masks[1:]:
        dep = (m @ dep > 0).astype(int)
    return dep


@reference(
    "made-masks",
    section="autoregressive",
    summary="MADE masks from degrees (≥ between hidden layers, > into the output) and each output's inputs",
    params_help={
        "input_degrees": "the ordering of the D inputs, a permutation of 1..D",
        "hidden_degrees": "one list per hidden layer of degrees in 1..D-1",
    },
)
def made_masks(input_degrees: np.ndarray, hidden_degrees: list) -> Solution:
    r"""Masks of a MADE network and the input dependencies of every output.

    .. math:: M^{W}_{k,j} = [m^l(k) \ge m^{l-1}(j)], \qquad M^{V}_{d,k} = [d > m^L(k)]

    ``input_degrees``: (D,); ``hidden_degrees``: a list of (H_l,) vectors. Result: ``{"masks": [...],
    "dependencies": (D, D)}`` where dependencies[i, j] = 1 iff output i depends on input j (only inputs
    earlier in the ordering: strictly autoregressive).
    """
    deg = as_vector(input_degrees, "input_degrees").astype(int)
    Dn = deg.size
    if sorted(deg.tolist()) != list(range(1, Dn + 1)):
        raise DlstudyError(f"input_degrees must be a permutation of 1..{Dn}")
    if not isinstance(hidden_degrees, list) or not hidden_degrees:
        raise DlstudyError("hidden_degrees: expected a list of hidden layers, e.g. [[1, 2, 1]]")
    if all(not isinstance(h, list) for h in hidden_degrees):
        hidden_degrees = [hidden_degrees]
    layers = []
    for i, h in enumerate(hidden_degrees):
        hv = as_vector(h, f"hidden_degrees[{i}]").astype(int)
        if np.any(hv < 1) or np.any(hv > Dn - 1):
            raise DlstudyError(f"hidden_degrees[{i}]: degrees must lie in 1..{Dn - 1}")
        layers.append(hv)
    masks = made_masks_from_degrees(deg, layers)
    dep = _dependencies(masks)
    steps = [
        Step(f"mask of hidden layer {i + 1} (m(k) ≥ m(j))", m) for i, m in enumerate(masks[:-1])
    ]
    steps.append(Step("output mask (m(d) > m(k), strict)", masks[-1]))
    steps.append(Step("dependencies: output i ← input j", dep))
    wrong = _dependencies(made_masks_from_degrees(deg, layers, strict_output=False))
    mistakes = [
        Mistake(
            "ge-into-output",
            "into the output layer the comparison is strict (d > m_k): with ≥, output d could see x_d",
            {
                "masks": made_masks_from_degrees(deg, layers, strict_output=False),
                "dependencies": wrong,
            },
        )
    ]
    return Solution({"masks": masks, "dependencies": dep}, steps, mistakes)


# ---------------------------------------------------------------------------------- PixelCNN


def pixelcnn_mask_array(
    k: int, mask_type: str, c_in: int = 1, c_out: int = 1, rgb: bool = False
) -> np.ndarray:
    """The (c_out, c_in, k, k) mask of a PixelCNN convolution (type A excludes the centre)."""
    if k < 1 or k % 2 == 0:
        raise DlstudyError("k: the kernel size must be odd and >= 1")
    if mask_type not in ("A", "B"):
        raise DlstudyError(f"mask_type must be A or B, got '{mask_type}'")
    if not (1 <= c_in <= 64 and 1 <= c_out <= 64 and k <= 15):
        raise DlstudyError("c_in and c_out must lie in 1..64 and k in 1..15")
    m = np.zeros((c_out, c_in, k, k), dtype=int)
    ctr = k // 2
    m[:, :, :ctr, :] = 1
    m[:, :, ctr, :ctr] = 1
    if not rgb:
        m[:, :, ctr, ctr] = 1 if mask_type == "B" else 0
        return m
    if c_in % 3 or c_out % 3:
        raise DlstudyError("with rgb, c_in and c_out must be multiples of 3 (R, G, B groups)")
    g_out = np.arange(c_out) // (c_out // 3)
    g_in = np.arange(c_in) // (c_in // 3)
    allowed = (
        g_in[None, :] < g_out[:, None] if mask_type == "A" else g_in[None, :] <= g_out[:, None]
    )
    m[:, :, ctr, ctr] = allowed.astype(int)
    return m


@reference(
    "pixelcnn-mask",
    section="autoregressive",
    summary="PixelCNN mask A or B of a k×k convolution, with the R→G→B channel groups",
    params_help={
        "k": "odd kernel size",
        "mask_type": "A (first layer: excludes the current pixel) or B (later layers: includes it)",
        "c_in": "input channels",
        "c_out": "output channels",
        "rgb": "split channels into R, G, B groups: G sees R, B sees R and G at the current pixel",
    },
)
def pixelcnn_mask(
    k: int = 3, mask_type: str = "A", c_in: int = 1, c_out: int = 1, rgb: bool = False
) -> Solution:
    r"""Mask of a masked convolution: pixels above, and to the left on the current row.

    Type A (first layer) excludes the centre, type B includes it; with channel groups, at the centre
    output group g sees input groups g' < g (A) or g' ≤ g (B), so p(x_R | x_<i) p(x_G | x_R, x_<i)
    p(x_B | x_R, x_G, x_<i). Result: a k×k matrix when c_in = c_out = 1, else (c_out, c_in, k, k).
    """
    m = pixelcnn_mask_array(k, mask_type, c_in, c_out, rgb)
    result = m[0, 0] if (c_in == 1 and c_out == 1 and not rgb) else m
    other = "B" if mask_type == "A" else "A"
    wrong = pixelcnn_mask_array(k, other, c_in, c_out, rgb)
    where = "left of the centre" + (" and the centre itself" if mask_type == "B" else "")
    steps = [
        Step(f"mask {mask_type}: 1 on every row above the centre and, on its row, {where}", m[0, 0])
    ]
    mistakes = [
        Mistake(
            f"mask-{other}-for-{mask_type}",
            "mask A (first layer) hides the current pixel; mask B (later layers) may use it",
            wrong[0, 0] if result.ndim == 2 else wrong,
        )
    ]
    return Solution(result, steps, mistakes)


def pixelcnn_dependency_map(size: int, n_layers: int, k: int, row: int, col: int) -> np.ndarray:
    """Which input pixels reach output (row, col) through mask A then (n_layers − 1) mask B layers."""
    reach = np.zeros((size, size), dtype=bool)
    reach[row, col] = True
    ctr = k // 2
    for layer in reversed(range(n_layers)):
        mask = pixelcnn_mask_array(k, "A" if layer == 0 else "B")[0, 0]
        new = np.zeros_like(reach)
        for r, c in zip(*np.nonzero(reach), strict=True):
            for dr, dc in zip(*np.nonzero(mask), strict=True):
                rr, cc = r + dr - ctr, c + dc - ctr
                if 0 <= rr < size and 0 <= cc < size:
                    new[rr, cc] = True
        reach = new
    return reach.astype(int)


@reference(
    "pixelcnn-receptive",
    section="autoregressive",
    summary="dependency map of one pixel through mask A + mask B layers, showing the blind spot",
    params_help={
        "size": "image side length",
        "n_layers": "number of masked k×k convolutions (first mask A, the rest mask B)",
        "k": "odd kernel size",
        "row": "row of the output pixel (0-based; default the centre)",
        "col": "column of the output pixel (0-based; default the centre)",
    },
)
def pixelcnn_receptive(
    size: int = 7, n_layers: int = 4, k: int = 3, row: int | None = None, col: int | None = None
) -> Solution:
    r"""The pixels a PixelCNN output depends on, and the blind spot of a single masked stack.

    Result: ``{"dependency": size×size 0/1 map, "blind_spot": size×size 0/1 map of pixels that precede
    the target in raster order but do not reach it}``.
    """
    if size < 1 or n_layers < 1:
        raise DlstudyError("size and n_layers must be >= 1")
    if size > 64 or n_layers > 32:
        raise DlstudyError("size must be <= 64 and n_layers <= 32 (a map to read by hand)")
    r = size // 2 if row is None else row
    c = size // 2 if col is None else col
    if not (0 <= r < size and 0 <= c < size):
        raise DlstudyError(f"row and col must lie in 0..{size - 1}")
    dep = pixelcnn_dependency_map(size, n_layers, k, r, c)
    order = np.arange(size * size).reshape(size, size)
    before = (order < r * size + c).astype(int)
    blind = before * (1 - dep)
    steps = [
        Step("pixels that reach the target", dep),
        Step("earlier pixels it cannot see (blind spot)", blind),
    ]
    mistakes = [
        Mistake(
            "no-blind-spot",
            "stacked masked convolutions do not see every earlier pixel: the up-right region is missed",
            {"dependency": before, "blind_spot": np.zeros_like(blind)},
        )
    ]
    return Solution({"dependency": dep, "blind_spot": blind}, steps, mistakes)


# ---------------------------------------------------------------------------------- WaveNet


@reference(
    "wavenet-receptive-field",
    section="autoregressive",
    summary="receptive field 1 + Σ_l (k − 1)·d_l of stacked dilated causal convolutions",
    params_help={"k": "kernel size", "dilations": "dilation of each layer, e.g. [1, 2, 4, 8]"},
)
def wavenet_receptive_field(dilations: list, k: int = 2) -> Solution:
    r"""Receptive field of a stack of dilated causal convolutions.

    .. math:: r = 1 + \sum_{l=1}^{L} (k - 1)\, d_l

    With k = 2 and d = 1, 2, ..., 2^{L-1}: r = 2^L. Result: an integer.
    """
    d = as_vector(dilations, "dilations")
    if np.any(d < 1) or np.any(d != np.round(d)):
        raise DlstudyError("dilations: expected a list of positive integers")
    if k < 1:
        raise DlstudyError("k must be >= 1")
    ds = [int(v) for v in d]
    r, steps = 1, []
    for i, di in enumerate(ds):
        steps.append(Step(f"layer {i + 1}: r = {r} + ({k} − 1)·{di}", r + (k - 1) * di))
        r += (k - 1) * di
    checkpoints = [(f"layer {i + 1}", s.value) for i, s in enumerate(steps)]
    mistakes = [
        Mistake(
            "missing-plus-one",
            "start from r = 1 (the output's own sample): r = 1 + Σ(k − 1)d",
            r - 1,
        ),
        Mistake("kernel-ignored", "each layer adds (k − 1)·d, not d", 1 + sum(ds)),
        Mistake("k-times-d", "each layer adds (k − 1)·d, not k·d", 1 + k * sum(ds)),
    ]
    return Solution(r, steps, mistakes, checkpoints)


@reference(
    "causal-conv1d",
    section="autoregressive",
    summary="WaveNet's dilated causal convolution: left-pad (k − 1)·d zeros, then correlate",
    params_help={"x": "input sequence", "w": "kernel (length k)", "dilation": "dilation d"},
)
def causal_conv1d(x: np.ndarray, w: np.ndarray, dilation: int = 1) -> Solution:
    r"""Dilated causal convolution as torch's ``Conv1d`` (a correlation) with causal padding.

    .. math:: y_t = \sum_{i=0}^{k-1} w_i\, x_{t - (k-1-i)d}, \qquad x_{s} = 0 \text{ for } s < 0

    ``x``: (T,), ``w``: (k,). Result: y, (T,): y_t depends only on x_{≤t}.
    """
    xv = as_vector(x, "x")
    wv = as_vector(w, "w")
    if dilation < 1:
        raise DlstudyError("dilation must be >= 1")
    k = wv.size
    pad = (k - 1) * dilation
    if pad > MAX_CAUSAL_TERMS or xv.size * k > MAX_CAUSAL_TERMS:
        raise DlstudyError(
            f"causal-conv1d: at most {MAX_CAUSAL_TERMS:,} products T·k and a padding (k − 1)·d of "
            f"at most {MAX_CAUSAL_TERMS:,}; got T = {xv.size:,}, k = {k:,}, d = {dilation:,}"
        )
    xp = np.concatenate([np.zeros(pad), xv])
    idx = np.arange(xv.size)[:, None] + np.arange(k)[None, :] * dilation
    y = xp[idx] @ wv
    steps = [Step(f"left-pad {pad} zeros", xp)]
    for t in range(min(xv.size, MAX_ENTRY_STEPS)):
        terms = " + ".join(
            f"{format_factor(wv[i])}·{format_factor(xp[t + i * dilation])}" for i in range(k)
        )
        steps.append(Step(f"y[{t}]", float(y[t]), f"{terms} = {float(y[t]):g}"))
    if xv.size > MAX_ENTRY_STEPS:
        steps.append(steps_left(xv.size, "outputs y[t]"))
    # the non-causal "same" padding: (k − 1)d split on both sides
    left = pad // 2
    xs = np.concatenate([np.zeros(left), xv, np.zeros(pad - left)])
    same = xs[idx] @ wv
    mistakes = [
        Mistake(
            "not-causal", "pad (k − 1)·d zeros on the left only, so y_t never sees the future", same
        )
    ]
    return Solution(y, steps, mistakes)
