"""One handler per layer kind of the layer language (``LANGUAGE.md``): each takes the walk's state
(the shape and the per-axis receptive field so far), checks the layer's arguments, records its table
row and returns the next state. Pure Python.

Output size along an axis of length n (PyTorch's rules, :mod:`dlstudy.arch.sizes`), for kernel k,
stride s, padding p, dilation d and output padding op:

    conv, pooling     n_out = floor((n + 2p - d(k - 1) - 1)/s) + 1   (ceil mode rounds up)
    transposed conv   n_out = (n - 1)·s - 2p + d(k - 1) + op + 1

Receptive field r, jump j and effective padding P after a conv or pooling layer l:

    r_l = r_{l-1} + (k_l - 1)·d_l·j_{l-1}
    j_l = j_{l-1}·s_l
    P_l = P_{l-1} + p_l·j_{l-1}

An adaptive pool whose input sizes divide by its output sizes counts as a pool with k = s = n/n_out;
receptive fields are not tracked past any other adaptive pool (its window varies), a transposed
conv, flatten, fc or a recurrent layer.

Parameters, weights + biases:

    conv, transposed conv    C_in·C_out/g·k_h·k_w + C_out   (g groups; bias=false: + 0)
    fc                       n_in·n_out + n_out             (a C×H×W input flattens first)
    bn                       C + C                          (γ and β; not the running statistics)
    rnn, gru, lstm           per layer and direction, g·H·(I_l + H) weights and b·g·H biases, with
                             g = 1, 3, 4 gate blocks, I_1 = I then D·H (D directions), b = 2 bias
                             vectors per gate in torch's layout (b_ih, b_hh), 1 with --single-bias,
                             0 with bias=false
    pooling, activations,
    dropout, flatten         0

A ``variant`` (``ctx.variant``) replays the computation the way a student who makes one known
mistake would (the grader names the mistake when an answer equals the variant's number); ``None``
is the right method.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from dlstudy.arch.analysis import AxisRF, LayerResult, Shape
from dlstudy.arch.parser import Node
from dlstudy.arch.sizes import (
    convt_output_size,
    divides_exactly,
    output_size,
    pool_output_size,
    recurrent_params,
)
from dlstudy.errors import DlstudyError

GATES = {"rnn": 1, "gru": 3, "lstm": 4}

#: Digits of a size, count or receptive field the engine works with: a spec of 20,000 layers with
#: 18-digit strides could otherwise grow numbers past what Python prints (4,300 digits) and past
#: what float arithmetic holds; no network comes near 10^100.
MAX_COUNT_DIGITS = 100
_MAX_COUNT = 10**MAX_COUNT_DIGITS


@dataclass
class _State:
    shape: Shape
    rf: tuple[AxisRF, ...] | None
    prev_s: tuple[int, ...]


class _Context:
    def __init__(self, single_bias: bool, variant: str | None) -> None:
        self.single_bias = single_bias
        self.variant = variant
        self.results: list[LayerResult] = []
        self.counts: dict[str, int] = {}
        self.notes: list[str] = []
        self.recurrent = False

    def name(self, kind: str) -> str:
        self.counts[kind] = self.counts.get(kind, 0) + 1
        return f"{kind if kind != 'convt' else 'convT'}{self.counts[kind]}"

    def note_once(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def record(
        self,
        node: Node,
        index: str,
        depth: int,
        shape: Shape,
        summary: str,
        *,
        weights: int | None = 0,
        biases: int | None = 0,
        rf: tuple[AxisRF, ...] | None = None,
        spatial: bool = False,
        note: str = "",
    ) -> None:
        """Append the table row of layer ``node`` (named after its kind: conv1, conv2, ...); a
        number too large to work with (past 10^100) is refused here, the one place every row of
        the table goes through."""
        numbers = [*shape.as_list(), weights, biases]
        for a in rf or ():
            numbers += [a.r, a.j, a.P]
        if any(v is not None and abs(v) >= _MAX_COUNT for v in numbers):
            raise _fail(
                node,
                index,
                f"its sizes or counts grow past {MAX_COUNT_DIGITS} digits; dlstudy works with "
                f"numbers below 10^{MAX_COUNT_DIGITS}",
            )
        self.results.append(
            LayerResult(
                index,
                self.name(node.kind),
                node.kind,
                node.text,
                summary,
                depth,
                shape.as_list(),
                weights,
                biases,
                rf,
                spatial,
                note=note,
            )
        )


def _fail(node: Node, index: str, message: str) -> DlstudyError:
    return DlstudyError(f"layer {index} {node.text}: {message}")


def _positive_int(value: Any, node: Node, index: str, key: str, minimum: int = 1) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        what = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise _fail(node, index, f"{key} must be {what}, got {value}")
    return value


def _input(node: Node, ctx: _Context) -> Shape:
    a = {k: v for k, v in node.args.items() if v is not None}
    for key, value in a.items():
        _positive_int(value, node, "0", key)
    keys = set(a)
    if keys & {"t", "f"}:
        if keys != {"t", "f"}:
            raise _fail(
                node, "0", "a sequence input takes exactly t= and f=, e.g. input(t=10,f=32)"
            )
        shape = Shape("seq", a["f"], (a["t"],))
    elif "n" in keys:
        if keys != {"n"}:
            raise _fail(node, "0", "a vector input takes only n=, e.g. input(n=784)")
        shape = Shape("vector", a["n"])
    elif "l" in keys:
        if keys - {"l", "c"}:
            raise _fail(node, "0", "a 1-D input takes c= and l=, e.g. input(c=1,l=100)")
        shape = Shape("spatial", a.get("c"), (a["l"],))
    else:
        if not keys:
            raise _fail(node, "0", "input needs sizes, e.g. input(c=3,h=224,w=224)")
        h = a.get("h", a.get("w"))
        w = a.get("w", a.get("h"))
        shape = Shape("spatial", a.get("c"), (h, w))
    ctx.results.append(
        LayerResult(
            "0",
            "input",
            "input",
            node.text,
            "input",
            0,
            shape.as_list(),
            rf=tuple(AxisRF(1, 1, 0) for _ in shape.dims) if shape.kind == "spatial" else None,
        )
    )
    return shape


def _per_axis(
    value: Any, ndim: int, node: Node, index: str, key: str, minimum: int
) -> tuple[int, ...]:
    if isinstance(value, tuple):
        if ndim != 2:
            raise _fail(node, index, f"{key}={value[0]}x{value[1]} needs a 2-D (C×H×W) input")
        values = value
    else:
        values = (value,) * ndim
    for v in values:
        _positive_int(v, node, index, key, minimum)
    return tuple(values)


def _need_spatial(node: Node, state: _State, index: str) -> None:
    if state.shape.kind != "spatial":
        raise _fail(
            node,
            index,
            f"needs an image input C×H×W (or C×L); it gets {state.shape.text()} "
            f"({state.shape.kind} input)",
        )


def _fmt_kernel(values: tuple[int, ...]) -> str:
    if len(values) == 1:
        return str(values[0])
    return "×".join(map(str, values)) if len(set(values)) > 1 else f"{values[0]}×{values[0]}"


def _fmt_axis(prefix: str, values: tuple[int, ...], default: int) -> str:
    if all(v == default for v in values):
        return ""
    return f" {prefix}{values[0] if len(set(values)) == 1 else 'x'.join(map(str, values))}"


def _sliding(
    node: Node,
    state: _State,
    ctx: _Context,
    index: str,
    k: tuple[int, ...],
    s: tuple[int, ...],
    p: tuple[int, ...],
    d: tuple[int, ...],
    ceil: bool,
) -> tuple[tuple[int | None, ...], list[str]]:
    """Output sizes of a conv or pooling window, with a note per axis that does not divide."""
    out: list[int | None] = []
    notes: list[str] = []
    axes = ("H", "W") if len(k) == 2 else ("L",)
    for axis, n, kk, ss, pp, dd in zip(axes, state.shape.dims, k, s, p, d, strict=True):
        if n is None:
            out.append(None)
            continue
        k_eff = dd * (kk - 1) + 1
        if n + 2 * pp < k_eff:
            dil = f" (dilated {k_eff})" if dd > 1 else ""
            raise _fail(
                node,
                index,
                f"kernel {kk}{dil} is larger than the padded input along {axis}: "
                f"{n} + 2·{pp} = {n + 2 * pp}",
            )
        size = pool_output_size(n, kk, ss, pp, dd, ceil) if ceil else output_size(n, kk, ss, pp, dd)
        if size < 1:
            raise _fail(node, index, f"output size along {axis} would be {size} (below 1)")
        if not divides_exactly(n, kk, ss, pp, dd):
            num = n + 2 * pp - dd * (kk - 1) - 1
            how = "rounds it up (ceil mode)" if ceil else "floors it"
            notes.append(
                f"{axis}: ({n} + 2·{pp} - {dd}·({kk}-1) - 1)/{ss} = {num}/{ss} is not an integer: "
                f"PyTorch {how}, giving {size} (exam problems call this invalid)"
            )
        out.append(size)
    if len(notes) == 2 and notes[0][3:] == notes[1][3:]:
        notes = ["H and W" + notes[0][1:]]
    return tuple(out), notes


def _rf_update(
    state: _State,
    ctx: _Context,
    kind: str,
    k: tuple[int, ...],
    s: tuple[int, ...],
    p: tuple[int, ...],
    d: tuple[int, ...],
) -> tuple[tuple[AxisRF, ...] | None, tuple[int, ...]]:
    """New (rf, previous strides) after a sliding window; ``ctx.variant`` replays a mistake."""
    if state.rf is None:
        return None, s
    variant = ctx.variant
    if variant == "skip_pool" and kind != "conv":
        return state.rf, state.prev_s
    new = []
    for a, kk, ss, pp, dd, prev in zip(state.rf, k, s, p, d, state.prev_s, strict=True):
        if variant == "skip_dilation":
            dd = 1
        # effective kernel d(k-1)+1
        k_eff = dd * (kk - 1) + 1
        if variant == "stride":
            r = a.r + (k_eff - 1) * ss  # the layer's own stride in place of the jump
        elif variant == "prev_stride":
            r = a.r + (k_eff - 1) * prev
        elif variant == "plus_k":
            r = a.r + k_eff * a.j
        else:
            # r_out = r_in + (k-1)·d·j_in
            r = a.r + (k_eff - 1) * a.j
        # P_out = P_in + p·j_in ; j_out = j_in·s
        new.append(AxisRF(r, a.j * ss, a.P + pp * a.j))
    return tuple(new), s


def _channels(node: Node, state: _State, index: str) -> tuple[int, int | None, int | None]:
    """``(groups, C_in, C_out)`` of a convolution or transposed convolution (C_out defaults to
    C_in); groups must divide both."""
    groups = _positive_int(node.args["groups"], node, index, "groups")
    c_in = state.shape.c
    c = node.args["c"]
    c_out = _positive_int(c, node, index, "c") if c is not None else c_in
    for label, channels in (("input channels", c_in), ("output channels", c_out)):
        if channels is not None and channels % groups:
            raise _fail(node, index, f"groups={groups} must divide the {label} ({channels})")
    return groups, c_in, c_out


def _filter_params(
    node: Node,
    ctx: _Context,
    k: tuple[int, ...],
    groups: int,
    c_in: int | None,
    c_out: int | None,
) -> tuple[int | None, int | None]:
    """Weights and biases of a convolution or transposed convolution (``ctx.variant`` replays
    ``no_cin`` and ``no_bias``)."""
    weights: int | None = None
    if c_in is not None and c_out is not None:
        # weights = C_in · C_out / groups · k_h · k_w: torch stores C_out × C_in/groups × k_h × k_w
        # for a conv and C_in × C_out/groups × k_h × k_w for a transposed conv, the same number
        weights = c_in * c_out // groups * math.prod(k)
        if ctx.variant == "no_cin":
            weights = c_out * math.prod(k)
    biases: int | None = (c_out if node.args["bias"] else 0) if c_out is not None else None
    if ctx.variant == "no_bias":
        biases = 0
    return weights, biases


def _conv(node: Node, state: _State, ctx: _Context, depth: int, index: str) -> _State:
    _need_spatial(node, state, index)
    a = node.args
    ndim = len(state.shape.dims)
    k = _per_axis(a["k"], ndim, node, index, "k", 1)
    s = _per_axis(a["s"], ndim, node, index, "s", 1)
    p = _per_axis(a["p"], ndim, node, index, "p", 0)
    d = _per_axis(a["d"], ndim, node, index, "d", 1)
    groups, c_in, c_out = _channels(node, state, index)
    dims, notes = _sliding(node, state, ctx, index, k, s, p, d, False)
    weights, biases = _filter_params(node, ctx, k, groups, c_in, c_out)
    rf, prev = _rf_update(state, ctx, "conv", k, s, p, d)
    shape = Shape("spatial", c_out, dims)
    summary = (
        f"conv {_fmt_kernel(k)}{_fmt_axis('s', s, 1)}{_fmt_axis('p', p, 0)}{_fmt_axis('d', d, 1)}"
        f"{f' g{groups}' if groups > 1 else ''}{'' if a['bias'] else ' nobias'}"
        f" → {'?' if c_out is None else c_out}"
    )
    ctx.record(
        node,
        index,
        depth,
        shape,
        summary,
        weights=weights,
        biases=biases,
        rf=rf,
        spatial=True,
        note="; ".join(notes),
    )
    return _State(shape, rf, prev)


def _convt(node: Node, state: _State, ctx: _Context, depth: int, index: str) -> _State:
    _need_spatial(node, state, index)
    a = node.args
    ndim = len(state.shape.dims)
    k = _per_axis(a["k"], ndim, node, index, "k", 1)
    s = _per_axis(a["s"], ndim, node, index, "s", 1)
    p = _per_axis(a["p"], ndim, node, index, "p", 0)
    op = _per_axis(a["op"], ndim, node, index, "op", 0)
    d = _per_axis(a["d"], ndim, node, index, "d", 1)
    groups, c_in, c_out = _channels(node, state, index)
    dims: list[int | None] = []
    for n, kk, ss, pp, oo, dd in zip(state.shape.dims, k, s, p, op, d, strict=True):
        if oo >= max(ss, dd):
            raise _fail(node, index, f"op={oo} must be smaller than the stride or the dilation")
        if n is None:
            dims.append(None)
            continue
        # n_out = (n-1)·s - 2p + d(k-1) + op + 1
        size = convt_output_size(n, kk, ss, pp, oo, dd)
        if size < 1:
            raise _fail(node, index, f"output size would be {size} (below 1): padding too large")
        dims.append(size)
    weights, biases = _filter_params(node, ctx, k, groups, c_in, c_out)
    if state.rf is not None:
        ctx.note_once(
            "receptive fields are not tracked after a transposed convolution "
            "(they vary from one output unit to the next)"
        )
    shape = Shape("spatial", c_out, tuple(dims))
    summary = (
        f"convT {_fmt_kernel(k)}{_fmt_axis('s', s, 1)}{_fmt_axis('p', p, 0)}"
        f"{_fmt_axis('op', op, 0)}{_fmt_axis('d', d, 1)} → {'?' if c_out is None else c_out}"
    )
    ctx.record(node, index, depth, shape, summary, weights=weights, biases=biases, spatial=True)
    return _State(shape, None, s)


def _pool(node: Node, state: _State, ctx: _Context, depth: int, index: str) -> _State:
    _need_spatial(node, state, index)
    a = node.args
    ndim = len(state.shape.dims)
    k = _per_axis(a["k"], ndim, node, index, "k", 1)
    s = _per_axis(a["s"] if a["s"] is not None else a["k"], ndim, node, index, "s", 1)
    p = _per_axis(a["p"], ndim, node, index, "p", 0)
    d = _per_axis(a.get("d", 1), ndim, node, index, "d", 1)
    for kk, pp, dd in zip(k, p, d, strict=True):
        if 2 * pp > dd * (kk - 1) + 1:
            raise _fail(node, index, f"p={pp} must be at most half the kernel size ({kk})")
    dims, notes = _sliding(node, state, ctx, index, k, s, p, d, bool(a["ceil"]))
    c = state.shape.c
    weights: int | None = 0
    biases: int | None = 0
    if ctx.variant == "pool_params":
        # the pool counted as a conv C → C with the same window
        weights = None if c is None else c * c * math.prod(k)
        biases = c
    rf, prev = _rf_update(state, ctx, node.kind, k, s, p, d)
    shape = Shape("spatial", c, dims)
    summary = (
        f"{node.kind} {_fmt_kernel(k)}{_fmt_axis('s', s, 1)}{_fmt_axis('p', p, 0)}"
        f"{_fmt_axis('d', d, 1)}{' ceil' if a['ceil'] else ''}"
    )
    ctx.record(
        node,
        index,
        depth,
        shape,
        summary,
        weights=weights,
        biases=biases,
        rf=rf,
        spatial=True,
        note="; ".join(notes),
    )
    return _State(shape, rf, prev)


def _adaptive(node: Node, state: _State, ctx: _Context, depth: int, index: str) -> _State:
    _need_spatial(node, state, index)
    a = {k: v for k, v in node.args.items() if v is not None}
    for key, value in a.items():
        _positive_int(value, node, index, key)
    ndim = len(state.shape.dims)
    if ndim == 2:
        if "l" in a or not a:
            raise _fail(node, index, "a 2-D adaptive pool takes h= and w=, e.g. h=1,w=1")
        target = (a.get("h", a.get("w")), a.get("w", a.get("h")))
    else:
        if set(a) - {"l", "h"} or not a:
            raise _fail(node, index, "a 1-D adaptive pool takes l=, e.g. l=1")
        target = (a.get("l", a.get("h")),)
    rf = state.rf
    prev = state.prev_s
    note = ""
    if rf is not None:
        if all(n is not None and n % t == 0 for n, t in zip(state.shape.dims, target, strict=True)):
            # equivalent to a fixed pool with k = s = n / n_out
            k = tuple(n // t for n, t in zip(state.shape.dims, target, strict=True))  # type: ignore[operator]
            rf, prev = _rf_update(state, ctx, "avgpool", k, k, (0,) * ndim, (1,) * ndim)
        else:
            rf = None
            note = "window varies with position: receptive field not tracked"
    c = state.shape.c
    shape = Shape("spatial", c, target)
    summary = f"{node.kind} → {'×'.join(map(str, target))}"
    ctx.record(node, index, depth, shape, summary, rf=rf, note=note)
    return _State(shape, rf, prev)


def _pointwise(node: Node, state: _State, ctx: _Context, depth: int, index: str) -> _State:
    weights: int | None = 0
    biases: int | None = 0
    summary = node.kind
    if node.kind == "bn" and node.args.get("affine", True):
        # γ and β per channel (running statistics are buffers, not parameters)
        c = state.shape.c
        weights = biases = c
    elif node.kind == "dropout" and node.args.get("p", 0.5) != 0.5:
        summary = f"dropout p={node.args['p']}"
    ctx.record(
        node,
        index,
        depth,
        state.shape,
        summary,
        weights=weights,
        biases=biases,
        rf=state.rf,
        spatial=state.shape.kind == "spatial",
    )
    return state


def _flatten(node: Node, state: _State, ctx: _Context, depth: int, index: str) -> _State:
    shape = _flat(state.shape)
    ctx.record(node, index, depth, shape, "flatten")
    return _State(shape, None, state.prev_s)


def _flat(shape: Shape) -> Shape:
    sizes = shape.as_list()
    if shape.kind == "vector":
        return shape
    total = None if any(v is None for v in sizes) else math.prod(sizes)  # type: ignore[arg-type]
    return Shape("vector", total)


def _fc(node: Node, state: _State, ctx: _Context, depth: int, index: str) -> _State:
    n = _positive_int(node.args["n"], node, index, "n")
    note = ""
    shape = state.shape
    if shape.kind == "spatial":
        shape = _flat(shape)
        note = f"flattens its {state.shape.text()} input to {shape.text()} features"
    n_in = shape.c
    # weights = n_in · n_out ; biases = n_out
    weights = None if n_in is None else n_in * n
    biases = n if node.args["bias"] and ctx.variant != "no_bias" else 0
    out = Shape("seq", n, shape.dims) if shape.kind == "seq" else Shape("vector", n)
    summary = f"fc → {n}{'' if node.args['bias'] else ' nobias'}"
    ctx.record(node, index, depth, out, summary, weights=weights, biases=biases, note=note)
    return _State(out, None, state.prev_s)


def _recurrent(node: Node, state: _State, ctx: _Context, depth: int, index: str) -> _State:
    if state.shape.kind != "seq":
        raise _fail(
            node,
            index,
            f"needs a sequence input(t=T,f=F); it gets {state.shape.text()} "
            f"({state.shape.kind} input)",
        )
    a = node.args
    h = _positive_int(a["h"], node, index, "h")
    layers = _positive_int(a["layers"], node, index, "layers")
    dirs = 2 if a["bidirectional"] else 1
    gates = 1 if ctx.variant == "one_gate" else GATES[node.kind]
    single = ctx.single_bias != (ctx.variant == "other_bias")
    per_gate = (1 if single else 2) if a["bias"] and ctx.variant != "no_bias" else 0
    ctx.recurrent = True
    # a sequence always knows its features F: input(t=,f=) requires f
    f: int = state.shape.c  # type: ignore[assignment]
    # per layer and direction: gates·H·(I_l + H) weights, gates·H per bias vector
    weights, biases = recurrent_params(gates, f, h, layers=layers, directions=dirs, biases=per_gate)
    out = Shape("vector", h * dirs) if a["last"] else Shape("seq", h * dirs, state.shape.dims)
    summary = (
        f"{node.kind} h={h}{f' ×{layers}' if layers > 1 else ''}{' bi' if dirs == 2 else ''}"
        f"{' last' if a['last'] else ''}"
    )
    ctx.record(node, index, depth, out, summary, weights=weights, biases=biases)
    return _State(out, None, state.prev_s)


_HANDLERS = {
    "conv": _conv,
    "convt": _convt,
    "maxpool": _pool,
    "avgpool": _pool,
    "adaptiveavgpool": _adaptive,
    "adaptivemaxpool": _adaptive,
    "flatten": _flatten,
    "fc": _fc,
    "rnn": _recurrent,
    "lstm": _recurrent,
    "gru": _recurrent,
}
