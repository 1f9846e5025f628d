"""CNN receptive field and parameter number (section ``rf-params``; VGG and inception comparisons in
``architectures``).

The notes: :math:`r_{out} = r_{in} + (k-1)\\,j_{in}` with the jump :math:`j` the product of the
strides so far, and a conv layer has :math:`(k_w k_h C_{prev} + 1)\\,C_{out}` parameters. The
per-layer engine is :mod:`dlstudy.arch` (the layer language); these functions wrap it with the working
a student writes down and the wrong-method answers the grader names.
"""

from __future__ import annotations

import re
from typing import Any

from dlstudy.arch import analyze_nodes, divides_exactly, output_size, parse
from dlstudy.arch.analysis import Analysis, squash
from dlstudy.arch.check import PARAM_MISTAKES, RF_MISTAKES
from dlstudy.arch.presets import preset_text
from dlstudy.errors import DlstudyError
from dlstudy.reference.registry import ASIDE, Mistake, Solution, Step, reference


def _positive(value: int, name: str, minimum: int = 1) -> int:
    if value < minimum:
        what = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise DlstudyError(f"{name}: expected {what}, got {value}")
    return value


@reference(
    "output-size",
    section="rf-params",
    summary="n_out = ⌊(n + 2p - d(k-1) - 1)/s⌋ + 1 (PyTorch floor) and whether it divides",
    params_help={
        "n": "input size along one axis",
        "k": "kernel size",
        "s": "stride (default 1)",
        "p": "padding on each side (default 0)",
        "d": "dilation (default 1)",
    },
)
def output_size_ref(n: int, k: int, s: int = 1, p: int = 0, d: int = 1) -> Solution:
    """Output size of a convolution or pooling layer along one axis.

    .. math:: n_{out} = \\left\\lfloor \\frac{n + 2p - d(k-1) - 1}{s} \\right\\rfloor + 1

    Parameters
    ----------
    n : int
        Input size (pixels).
    k, s, p, d : int
        Kernel size, stride, padding on each side, dilation.

    Returns
    -------
    Solution
        ``result`` the output size (int). When the division is not exact PyTorch floors it and a
        step says so (exam problems usually call such a configuration invalid).
    """
    _positive(n, "n")
    _positive(k, "k")
    _positive(s, "s")
    _positive(p, "p", 0)
    _positive(d, "d")
    k_eff = d * (k - 1) + 1
    if n + 2 * p < k_eff:
        raise DlstudyError(
            f"k: the kernel ({k_eff} wide) is larger than the padded input {n + 2 * p}"
        )
    numerator = n + 2 * p - d * (k - 1) - 1
    result = output_size(n, k, s, p, d)
    exact = divides_exactly(n, k, s, p, d)
    # written with only the terms this layer has: no d without dilation, no p without padding
    pad = f" + 2·{p}" if p else ""
    pad_symbol = " + 2p" if p else ""
    if d == 1:
        steps = [Step(f"n{pad_symbol} − k", numerator, f"{n}{pad} − {k} = {numerator}")]
        formula = f"⌊(n{pad_symbol} − k)/s⌋ + 1"
    else:
        steps = [
            Step("effective kernel d(k − 1) + 1", k_eff, f"{d}·({k} − 1) + 1 = {k_eff}"),
            Step(
                f"n{pad_symbol} − d(k − 1) − 1",
                numerator,
                f"{n}{pad} − {d}·({k} − 1) − 1 = {numerator}",
            ),
        ]
        formula = f"⌊(n{pad_symbol} − d(k − 1) − 1)/s⌋ + 1"
    steps.append(
        Step(
            f"n_out = {formula}", result, f"⌊{numerator}/{s}⌋ + 1 = {numerator // s} + 1 = {result}"
        )
    )
    if not exact:
        steps.append(
            Step(
                "divides exactly?",
                False,
                f"{numerator}/{s} is not an integer: PyTorch floors it; exam problems call this "
                "invalid",
            )
        )
    candidates = [
        (
            "missing-plus-one",
            "you forgot the +1: the first window position counts too",
            numerator // s,
        ),
        (
            "ceil",
            "PyTorch (and the formula) floor the division; you rounded up",
            -(-numerator // s) + 1,
        ),
        (
            "p-not-2p",
            "padding is added on both sides: 2p, not p",
            (n + p - d * (k - 1) - 1) // s + 1 if n + p >= k_eff else None,
        ),
    ]
    mistakes = [
        Mistake(name, msg, v) for name, msg, v in candidates if v is not None and v != result
    ]
    return Solution(
        result,
        steps,
        mistakes,
        convention="PyTorch floor" + ("" if exact else " (the division is not exact)"),
    )


def _spec_nodes(spec: str) -> list[Any]:
    if not isinstance(spec, str) or not spec.strip():
        raise DlstudyError("spec: expected a layer spec such as 'conv(k=3,s=2), conv(k=3)'")
    return parse(preset_text(spec.strip()) or spec)


def _kernel_term(text: str, multiplier: int) -> str:
    """``(3 − 1)·2`` for ``conv(k=3,d=2)`` (read from the layer as written), else the number."""
    k = re.search(r"\bk=(\d+)(?![x\d])", text)
    d = re.search(r"\bd=(\d+)(?![x\d])", text)
    if not k or (int(k.group(1)) - 1) * (int(d.group(1)) if d else 1) != multiplier:
        return str(multiplier)
    return f"({k.group(1)} − 1)" + (f"·{d.group(1)}" if d and d.group(1) != "1" else "")


def _rf_steps(analysis: Analysis) -> list[Step]:
    steps = []
    previous: tuple[Any, Any] | None = (1, 1)
    for layer in analysis.layers:
        if layer.rf is None or layer.kind == "input":
            continue
        if not (
            layer.kind in ("conv", "maxpool", "avgpool")
            or layer.block
            or layer.kind.startswith("adaptive")
        ):
            continue
        r = squash([a.r for a in layer.rf])
        j = squash([a.j for a in layer.rf])
        if (
            previous is not None
            and layer.depth == 0
            and not layer.block
            and all(isinstance(v, int) for v in (r, j, *previous))
            and (r - previous[0]) % previous[1] == 0
            and j % previous[1] == 0
        ):
            r_in, j_in = previous
            term = _kernel_term(layer.text, (r - r_in) // j_in)
            detail = f"r = {r_in} + {term}·{j_in} = {r}; j = {j_in}·{j // j_in} = {j}"
        else:
            detail = f"r = {r}, j = {j}"
        steps.append(Step(f"layer {layer.index}: {layer.text}: {detail}"))
        if layer.depth == 0:
            previous = (r, j)
    return steps


@reference(
    "receptive-field",
    section="rf-params",
    summary="r_out = r_in + (k-1)·d·j_in, j_out = j_in·s over a layer spec (per-layer r)",
    params_help={"spec": "layer spec, e.g. 'conv(k=7,s=2), conv(k=3,s=2), conv(k=3)' or a preset"},
)
def receptive_field(spec: str) -> Solution:
    """Receptive field of the last spatial layer of a layer spec.

    .. math:: r_{out} = r_{in} + (k-1)\\,d\\,j_{in}, \\qquad j_{out} = j_{in}\\,s, \\qquad r_0 = j_0 = 1

    Parameters
    ----------
    spec : str
        The layer language of :mod:`dlstudy.arch` (no ``input`` layer needed) or a preset name.

    Returns
    -------
    Solution
        ``result`` r in input pixels (an int, or ``[r_h, r_w]`` when they differ); checkpoints: r
        after each conv / pooling layer / block; mistakes: the layer's stride instead of the
        cumulative jump, +k instead of +(k-1), pooling skipped, dilation skipped.
    """
    nodes = _spec_nodes(spec)
    analysis = analyze_nodes(nodes)
    if analysis.rf is None:
        raise DlstudyError("spec: no layer with a spatial output, so no receptive field")
    result = analysis.receptive_field
    steps = _rf_steps(analysis)
    steps.append(Step("effective stride (jump)", analysis.effective_stride, part=ASIDE))
    steps.append(Step("effective padding", analysis.effective_padding, part=ASIDE))
    checkpoints = [
        (f"layer {layer.index} ({layer.name})", squash([a.r for a in layer.rf]))
        for layer in analysis.rf_checkpoints()
        if layer.rf
    ]
    mistakes = []
    for variant, name, message in RF_MISTAKES:
        value = analyze_nodes(nodes, variant=variant).receptive_field
        if value is not None and value != result:
            mistakes.append(Mistake(name, message, value))
    return Solution(
        result,
        steps,
        mistakes,
        checkpoints,
        convention="receptive field in input pixels; r_0 = 1, j_0 = 1",
    )


@reference(
    "param-count",
    section="rf-params",
    summary="parameters of a layer spec: conv (k_h·k_w·C_in/groups + 1)·C_out, fc, bn, RNN/LSTM/GRU",
    params_help={
        "spec": "layer spec starting with input(c=..,h=..,w=..) or input(t=..,f=..), or a preset",
        "single_bias": "one bias vector per gate in recurrent layers (default: torch's two)",
    },
)
def param_count(spec: str, single_bias: bool = False) -> Solution:
    """Number of trainable parameters of a layer spec.

    .. math:: \\text{conv: } (k_h k_w C_{in}/g + 1)\\,C_{out}, \\quad \\text{fc: } (n_{in} + 1)\\,
              n_{out}, \\quad \\text{LSTM: } 4\\,(H(F + H) + 2H)

    Parameters
    ----------
    spec : str
        The layer language of :mod:`dlstudy.arch`, starting with an ``input`` layer, or a preset.
    single_bias : bool
        Count one bias vector per gate in recurrent layers (textbook) instead of torch's two.

    Returns
    -------
    Solution
        ``result`` the total (int); checkpoints: the parameters of each layer that has any;
        mistakes: bias forgotten, C_in dropped, pooling given parameters, the other RNN bias
        convention, an LSTM/GRU counted with one gate.
    """
    nodes = _spec_nodes(spec)
    analysis = analyze_nodes(nodes, single_bias=single_bias)
    result = analysis.total_params
    if result is None:
        raise DlstudyError(
            "spec: the parameter count needs an input layer, e.g. input(c=3,h=32,w=32)"
        )
    layers = analysis.param_checkpoints()
    steps = [
        Step(
            f"layer {layer.index}: {layer.text}",
            layer.params,
            f"weights {layer.weights} + biases {layer.biases} = {layer.params}",
        )
        for layer in layers
    ]
    steps.append(Step("total", result, " + ".join(str(layer.params) for layer in layers)))
    checkpoints = [(f"layer {layer.index} ({layer.name})", layer.params) for layer in layers]
    mistakes = []
    for variant, name, message in PARAM_MISTAKES:
        value = analyze_nodes(nodes, single_bias=single_bias, variant=variant).total_params
        if value is not None and value != result:
            mistakes.append(Mistake(name, message, value))
    return Solution(result, steps, mistakes, checkpoints, convention=analysis.convention)


@reference(
    "conv-params",
    section="rf-params",
    summary="parameters of one conv layer: (k·k·C_in/groups + 1)·C_out",
    params_help={
        "k": "kernel size (square)",
        "c_in": "input channels",
        "c_out": "output channels (number of filters)",
        "bias": "one bias per filter (default true)",
        "groups": "groups (C_in and C_out must be multiples; depthwise: groups = C_in)",
    },
)
def conv_params(k: int, c_in: int, c_out: int, bias: bool = True, groups: int = 1) -> Solution:
    """Parameters of one 2-D convolution layer.

    .. math:: (k \\cdot k \\cdot C_{in}/g + 1)\\, C_{out}

    Parameters
    ----------
    k : int
        Kernel size (k × k).
    c_in, c_out : int
        Input and output channels.
    bias : bool
        Whether each filter has a bias.
    groups : int
        Number of groups g; each filter sees C_in/g channels.
    """
    for name, value in (("k", k), ("c_in", c_in), ("c_out", c_out), ("groups", groups)):
        _positive(value, name)
    if c_in % groups or c_out % groups:
        raise DlstudyError(f"groups: {groups} must divide c_in ({c_in}) and c_out ({c_out})")
    per_filter = k * k * (c_in // groups)
    weights = per_filter * c_out
    biases = c_out if bias else 0
    result = weights + biases
    if groups == 1:
        per = Step("weights per filter k·k·C_in", per_filter, f"{k}·{k}·{c_in} = {per_filter}")
    else:
        per = Step(
            "weights per filter k·k·C_in/groups",
            per_filter,
            f"{k}·{k}·{c_in}/{groups} = {per_filter}",
        )
    steps = [
        per,
        Step(
            "weights (one filter per output channel)", weights, f"{per_filter}·{c_out} = {weights}"
        ),
        Step("biases", biases, "one per filter" if bias else "none"),
        Step("parameters", result, f"{weights} + {biases} = {result}"),
    ]
    candidates = [
        ("bias-forgotten", "you forgot the bias: one per filter, (k·k·C_in + 1)·C_out", weights),
        (
            "cin-dropped",
            "you dropped C_in: each filter spans every input channel",
            k * k * c_out + biases,
        ),
        (
            "groups-ignored",
            "with groups each filter sees only C_in/groups channels",
            k * k * c_in * c_out + biases,
        ),
    ]
    mistakes = [Mistake(n, m, v) for n, m, v in candidates if v != result]
    return Solution(result, steps, mistakes)


@reference(
    "stack-vs-large",
    section="architectures",
    summary="VGG: n stacked k×k convs vs one large kernel with the same receptive field",
    params_help={
        "c": "channels (C in and out of every layer)",
        "n": "number of stacked layers (default 3)",
        "k": "kernel of each stacked layer (default 3)",
        "bias": "count biases (default false, as in the VGG paper's comparison)",
    },
)
def stack_vs_large(c: int, n: int = 3, k: int = 3, bias: bool = False) -> Solution:
    """Stack of n k×k convolutions (stride 1) vs one K×K convolution with the same receptive field.

    .. math:: r = n(k-1) + 1 = K, \\qquad n\\,k^2 C^2 \\text{ vs } K^2 C^2

    For VGG's three 3×3 layers: r = 7, 27C² vs 49C² weights.

    Returns
    -------
    Solution
        ``result`` ``{"receptive_field": K, "stack_params": ..., "large_params": ...,
        "saving": 1 - stack/large}``.
    """
    for name, value in (("c", c), ("n", n), ("k", k)):
        _positive(value, name)
    r = n * (k - 1) + 1
    b = c if bias else 0
    stack = n * (k * k * c * c + b)
    large = r * r * c * c + b
    result = {
        "receptive_field": r,
        "stack_params": stack,
        "large_params": large,
        "saving": 1 - stack / large,
    }
    bias_text = f" + {c}" if bias else ""
    steps = [
        Step(
            "receptive field of the stack",
            r,
            f"1 + {n}·({k} − 1) = {r}",
            part=("receptive_field", "large_params", "saving"),
        ),
        Step(
            f"weights{' and biases' if bias else ''} of the {n} {k}×{k} layers",
            stack,
            f"{n}·({k}²·{c}²{bias_text}) = {stack}",
            part=("stack_params", "saving"),
        ),
        Step(
            f"one {r}×{r} layer",
            large,
            f"{r}²·{c}²{bias_text} = {large}",
            part=("large_params", "saving"),
        ),
        Step("saving 1 − stack/large", result["saving"], f"1 − {stack}/{large}", part="saving"),
    ]
    mistakes = []
    if n * k != r:
        wrong = dict(result, receptive_field=n * k, large_params=(n * k) ** 2 * c * c + b)
        wrong["saving"] = 1 - stack / wrong["large_params"]
        mistakes.append(
            Mistake(
                "plus-k-not-k-minus-1", "each layer adds k-1 pixels, not k: r = n(k-1)+1", wrong
            )
        )
    return Solution(
        result, steps, mistakes, convention="stride 1; biases " + ("counted" if bias else "ignored")
    )


@reference(
    "inception-1x1",
    section="architectures",
    summary="inception 1×1 bottleneck: k²·C_in·C_out vs C_in·C_r + k²·C_r·C_out weights",
    params_help={
        "c_in": "input channels",
        "c_red": "channels after the 1×1 reduction",
        "c_out": "output channels of the k×k convolution",
        "k": "kernel of the large convolution (default 5)",
    },
)
def inception_1x1(c_in: int, c_red: int, c_out: int, k: int = 5) -> Solution:
    """Weights of a k×k convolution C_in → C_out with and without a 1×1 reduction to C_r first.

    .. math:: k^2 C_{in} C_{out} \\quad\\text{vs}\\quad C_{in} C_r + k^2 C_r C_{out}

    Returns
    -------
    Solution
        ``result`` ``{"direct": ..., "reduced": ..., "ratio": direct/reduced}`` (biases ignored; the
        multiply count per output pixel is the same ratio).
    """
    for name, value in (("c_in", c_in), ("c_red", c_red), ("c_out", c_out), ("k", k)):
        _positive(value, name)
    direct = k * k * c_in * c_out
    reduce_ = c_in * c_red
    large = k * k * c_red * c_out
    reduced = reduce_ + large
    result = {"direct": direct, "reduced": reduced, "ratio": direct / reduced}
    both = ("reduced", "ratio")
    steps = [
        Step(
            "direct k²·C_in·C_out",
            direct,
            f"{k}²·{c_in}·{c_out} = {direct}",
            part=("direct", "ratio"),
        ),
        Step("1×1 reduction C_in·C_r", reduce_, f"{c_in}·{c_red} = {reduce_}", part=both),
        Step(
            f"{k}×{k} after it k²·C_r·C_out",
            large,
            f"{k}²·{c_red}·{c_out} = {large}",
            part=both,
        ),
        Step("reduced total", reduced, f"{reduce_} + {large} = {reduced}", part=both),
        Step("ratio direct/reduced", result["ratio"], f"{direct}/{reduced}", part="ratio"),
    ]
    wrong = dict(result, reduced=large, ratio=direct / large)
    mistakes = [
        Mistake("reduction-forgotten", "the 1×1 reduction layer has C_in·C_r weights too", wrong)
    ]
    return Solution(result, steps, mistakes, convention="weights only (biases ignored)")


__all__ = [
    "conv_params",
    "inception_1x1",
    "output_size_ref",
    "param_count",
    "receptive_field",
    "stack_vs_large",
]
