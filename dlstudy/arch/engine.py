"""Shapes, parameter counts and receptive fields of a parsed layer spec: the walk behind
``dlstudy rf`` and ``dlstudy params``. Pure Python.

:func:`analyze` parses a spec (inline text or a preset's), then walks its layers from the input,
each one through its handler in :mod:`dlstudy.arch.layers`, and gathers the rows into an
:class:`~dlstudy.arch.analysis.Analysis` (the data classes live in :mod:`dlstudy.arch.analysis`).

Receptive field along each axis (Araujo et al., "Computing Receptive Fields of CNNs", Distill 2019),
for a layer with kernel k, dilation d, stride s and padding p:

    r_out = r_in + (k - 1)·d·j_in        receptive field, in input pixels
    j_out = j_in·s                       jump (effective stride)
    P_out = P_in + p·j_in                effective padding
    start = (r - 1)/2 - P                centre of the first output unit (0-based input pixel)

from r = 1, j = 1, P = 0 at the input. Multi-path blocks (residual, concat) take the union of their
paths' receptive fields, the smallest window covering all of them (the largest one when the paths
are aligned):

    P = max_i P_i,   r = max_i (r_i - 1 - P_i) + P + 1,   j = j of the first path

A residual block adds its paths (their shapes must agree; one path: the identity shortcut); a
concat stacks its branches' channels, C = Σ C_i. A block's parameters are the sum of its layers'.

A ``variant`` replays the computation the way a student who makes one known mistake would (the
grader names the mistake when an answer equals the variant's number); ``None`` is the right method.
"""

from __future__ import annotations

from dlstudy.arch.analysis import Analysis, AxisRF, LayerResult, Shape, squash
from dlstudy.arch.layers import (
    _HANDLERS,
    MAX_COUNT_DIGITS,
    _Context,
    _fail,
    _input,
    _pointwise,
    _State,
)
from dlstudy.arch.parser import Node, parse
from dlstudy.errors import DlstudyError

TWO_BIASES = "recurrent layers: torch's two bias vectors per gate (b_ih and b_hh)"
ONE_BIAS = "recurrent layers: one bias vector per gate (the textbook convention)"


def analyze(spec: str, *, single_bias: bool = False, origin: str = "") -> Analysis:
    """Analyse a spec (inline text or a preset name): per-layer shapes, parameters and receptive
    fields, and the totals.

    Parameters
    ----------
    spec : str
        The layer language (see ``dlstudy/arch/LANGUAGE.md``) or a preset name such as ``vgg16``.
    single_bias : bool
        Count one bias vector per gate in recurrent layers instead of torch's two.
    origin : str
        Where the spec came from (a file name), for error messages.
    """
    from dlstudy.arch.presets import preset_text

    text = preset_text(spec.strip()) or spec
    return analyze_nodes(parse(text, origin), single_bias=single_bias)


def analyze_nodes(
    nodes: list[Node], *, single_bias: bool = False, variant: str | None = None
) -> Analysis:
    """:func:`analyze` on parsed nodes; ``variant`` replays a known mistake (internal)."""
    ctx = _Context(single_bias, variant)
    if nodes[0].kind == "input":
        first = _input(nodes[0], ctx)
        nodes = nodes[1:]
    else:
        first = Shape("spatial", None, (None, None))
        ctx.note_once("no input(...) layer: channels and sizes are unknown (shown as ?)")
    ndim = len(first.dims) if first.kind == "spatial" else 0
    state = _State(
        first, tuple(AxisRF(1, 1, 0) for _ in range(ndim)) if ndim else None, (1,) * ndim
    )
    state = _run(nodes, state, ctx, 0, "")
    top = [r for r in ctx.results if r.depth == 0 and r.spatial]
    rf = top[-1].rf if top else None
    convention = ""
    if ctx.recurrent:
        convention = ONE_BIAS if single_bias else TWO_BIASES
    return Analysis(
        ctx.results,
        first,
        state.shape,
        rf,
        top[-1].name if top else None,
        top[-1].index if top else None,
        convention,
        ctx.notes,
    )


def _run(nodes: list[Node], state: _State, ctx: _Context, depth: int, prefix: str) -> _State:
    for i, node in enumerate(nodes, 1):
        index = f"{prefix}{i}"
        if node.is_block:
            state = _block(node, state, ctx, depth, index)
        else:
            state = _layer(node, state, ctx, depth, index)
    return state


def _layer(node: Node, state: _State, ctx: _Context, depth: int, index: str) -> _State:
    kind = node.kind
    if kind == "input":
        raise _fail(node, index, "input(...) must be the first layer")
    handler = _HANDLERS.get(kind)
    if handler is not None:
        return handler(node, state, ctx, depth, index)
    return _pointwise(node, state, ctx, depth, index)


def _block(node: Node, state: _State, ctx: _Context, depth: int, index: str) -> _State:
    header = LayerResult(
        index, ctx.name(node.kind), node.kind, node.text, "", depth, [], block=True
    )
    position = len(ctx.results)
    ctx.results.append(header)
    ends: list[_State] = []
    for number, path in enumerate(node.paths):
        letter = chr(ord("a") + number) if number < 26 else f"p{number}"
        ends.append(_run(path, state, ctx, depth + 1, f"{index}{letter}."))
    if node.kind == "residual":
        if len(ends) == 1:
            ends.append(state)  # identity shortcut
        main, short = ends
        if not _agree(main.shape.as_list(), short.shape.as_list()) or (
            main.shape.kind != short.shape.kind
        ):
            raise DlstudyError(
                f"layer {index} residual block: the main path gives {main.shape.text()} but the "
                f"shortcut gives {short.shape.text()}; they must match to be added (use a "
                f"projection shortcut, e.g. residual(... | conv(c=C,k=1,s=S), bn))"
            )
        shape = _merge(main.shape, short.shape)
        kind_text = "identity" if len(node.paths) == 1 else "projection"
        header.summary = f"residual ({kind_text})"
    else:
        first = ends[0].shape
        for number, end in enumerate(ends[1:], 2):
            if (
                end.shape.kind != "spatial"
                or first.kind != "spatial"
                or not _agree(list(end.shape.dims), list(first.dims))
            ):
                raise DlstudyError(
                    f"layer {index} concat: branch 1 gives {first.text()} but branch {number} "
                    f"gives {end.shape.text()}; branches must agree on every size but channels"
                )
        channels = [e.shape.c for e in ends]
        c = None if any(v is None for v in channels) else sum(channels)  # type: ignore[arg-type]
        shape = Shape("spatial", c, first.dims)
        header.summary = f"concat ({len(ends)} branches)"
    rf = _union([e.rf for e in ends], ctx, index)
    header.output_shape = shape.as_list()
    header.rf = rf
    header.spatial = shape.kind == "spatial"
    inner = [r for r in ctx.results[position + 1 :] if not r.block]
    header.weights = _total([r.weights for r in inner])
    header.biases = _total([r.biases for r in inner])
    return _State(shape, rf, ends[0].prev_s)


def _agree(a: list[int | None], b: list[int | None]) -> bool:
    """Sizes agree where both are known (``None``: left open by a spec without ``input``)."""
    return len(a) == len(b) and all(
        x is None or y is None or x == y for x, y in zip(a, b, strict=False)
    )


def _merge(a: Shape, b: Shape) -> Shape:
    def pick(x: int | None, y: int | None) -> int | None:
        return x if x is not None else y

    dims = tuple(pick(x, y) for x, y in zip(a.dims, b.dims, strict=True))
    return Shape(a.kind, pick(a.c, b.c), dims)


def _total(values: list[int | None]) -> int | None:
    return None if any(v is None for v in values) else sum(values)  # type: ignore[arg-type]


def _union(
    rfs: list[tuple[AxisRF, ...] | None], ctx: _Context, index: str
) -> tuple[AxisRF, ...] | None:
    """The smallest window covering every path's receptive field (the largest when aligned)."""
    if any(rf is None for rf in rfs):
        return None
    out = []
    for axis in zip(*rfs, strict=True):  # type: ignore[misc]
        lo = min(-a.P for a in axis)
        hi = max(-a.P + a.r - 1 for a in axis)
        jumps = {a.j for a in axis}
        if len(jumps) > 1:
            ctx.note_once(f"layer {index}: paths with different jumps; r is the largest window")
        out.append(AxisRF(hi - lo + 1, axis[0].j, -lo))
    return tuple(out)


__all__ = [
    "MAX_COUNT_DIGITS",
    "Analysis",
    "AxisRF",
    "LayerResult",
    "Shape",
    "analyze",
    "analyze_nodes",
    "squash",
]
