"""dlstudy.arch against torch as the oracle: parameter totals = sum of numel() of the same network
built with torch.nn (channels inferred by torch from a forward pass), output shapes = a torch forward
pass, receptive fields = the support of the input gradient of one interior output unit (positive
weights, pools as average pools), presets = torchvision's published counts."""

from __future__ import annotations

import re

import pytest
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from torch import nn

from dlstudy.arch import analyze, analyze_nodes, parse, preset_text, recurrent_params
from dlstudy.errors import DlstudyError

torch.set_grad_enabled(True)

# -- a torch network from parsed nodes (built while a real tensor flows through it) --------------


class Residual(nn.Module):
    def __init__(self, main: nn.Module, short: nn.Module) -> None:
        super().__init__()
        self.main, self.short = main, short

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.main(x) + self.short(x)


class Concat(nn.Module):
    def __init__(self, branches: list[nn.Module]) -> None:
        super().__init__()
        self.branches = nn.ModuleList(branches)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([b(x) for b in self.branches], dim=1)


class Recurrent(nn.Module):
    def __init__(self, rnn: nn.Module, last: bool) -> None:
        super().__init__()
        self.rnn, self.last = rnn, last

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.rnn(x)[0]
        return out[:, -1, :] if self.last else out


def _conv_cls(x: torch.Tensor, two: type, one: type) -> type:
    return two if x.dim() == 4 else one


def build(nodes, x: torch.Tensor, rf_mode: bool = False):
    """(module, output, [output shape after each node]) for ``nodes`` applied to ``x``."""
    modules, shapes = [], []
    for node in nodes:
        m = _module(node, x, rf_mode)
        x = m(x)
        modules.append(m)
        shapes.append(list(x.shape[1:]))
    return nn.Sequential(*modules), x, shapes


def _module(node, x: torch.Tensor, rf_mode: bool) -> nn.Module:
    a = node.args
    kind = node.kind
    if kind == "residual":
        main = build(node.paths[0], x, rf_mode)[0]
        short = build(node.paths[1], x, rf_mode)[0] if len(node.paths) > 1 else nn.Identity()
        return Residual(main, short)
    if kind == "concat":
        return Concat([build(p, x, rf_mode)[0] for p in node.paths])
    if kind in ("conv", "convt"):
        c_in = x.shape[1]
        c_out = a["c"] or c_in
        if kind == "conv":
            cls = _conv_cls(x, nn.Conv2d, nn.Conv1d)
            m = cls(
                c_in,
                c_out,
                a["k"],
                a["s"],
                a["p"],
                dilation=a["d"],
                groups=a["groups"],
                bias=a["bias"],
            )
        else:
            cls = _conv_cls(x, nn.ConvTranspose2d, nn.ConvTranspose1d)
            m = cls(
                c_in,
                c_out,
                a["k"],
                a["s"],
                a["p"],
                output_padding=a["op"],
                groups=a["groups"],
                bias=a["bias"],
                dilation=a["d"],
            )
        if rf_mode:
            with torch.no_grad():
                m.weight.fill_(1.0)
                if m.bias is not None:
                    m.bias.zero_()
        return m
    if kind in ("maxpool", "avgpool"):
        s = a["s"] if a["s"] is not None else a["k"]
        if rf_mode:  # an average pool (with dilation) as a depthwise conv of ones
            c = x.shape[1]
            cls = _conv_cls(x, nn.Conv2d, nn.Conv1d)
            m = cls(c, c, a["k"], s, a["p"], dilation=a.get("d", 1), groups=c, bias=False)
            with torch.no_grad():
                m.weight.fill_(1.0)
            return m
        if kind == "maxpool":
            cls = _conv_cls(x, nn.MaxPool2d, nn.MaxPool1d)
            return cls(a["k"], s, a["p"], dilation=a["d"], ceil_mode=a["ceil"])
        cls = _conv_cls(x, nn.AvgPool2d, nn.AvgPool1d)
        return cls(a["k"], s, a["p"], ceil_mode=a["ceil"])
    if kind in ("adaptiveavgpool", "adaptivemaxpool"):
        if x.dim() == 4:
            h = a["h"] or a["w"]
            w = a["w"] or a["h"]
            cls = nn.AdaptiveAvgPool2d if kind == "adaptiveavgpool" else nn.AdaptiveMaxPool2d
            return cls((h, w))
        cls = nn.AdaptiveAvgPool1d if kind == "adaptiveavgpool" else nn.AdaptiveMaxPool1d
        return cls(a["l"] or a["h"])
    if kind == "bn":
        if rf_mode:
            return nn.Identity()
        cls = {4: nn.BatchNorm2d, 3: nn.BatchNorm1d, 2: nn.BatchNorm1d}[x.dim()]
        return cls(x.shape[1], affine=a["affine"])
    if kind == "flatten":
        return nn.Flatten()
    if kind == "fc":
        pre = nn.Flatten() if x.dim() == 4 else nn.Identity()
        n_in = x[0].numel() if x.dim() == 4 else x.shape[-1]
        return nn.Sequential(pre, nn.Linear(n_in, a["n"], bias=a["bias"]))
    if kind in ("rnn", "lstm", "gru"):
        cls = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[kind]
        rnn = cls(
            x.shape[-1],
            a["h"],
            num_layers=a["layers"],
            bias=a["bias"],
            bidirectional=a["bidirectional"],
            batch_first=True,
        )
        return Recurrent(rnn, a["last"])
    if rf_mode:
        return nn.Identity()
    simple = {
        "relu": nn.ReLU,
        "sigmoid": nn.Sigmoid,
        "tanh": nn.Tanh,
        "gelu": nn.GELU,
        "elu": nn.ELU,
        "leakyrelu": nn.LeakyReLU,
        "identity": nn.Identity,
    }
    if kind in simple:
        return simple[kind]()
    if kind == "dropout":
        return nn.Dropout(a["p"])
    if kind == "softmax":
        return nn.Softmax(dim=1)
    if kind == "lrn":
        return nn.LocalResponseNorm(5)
    raise AssertionError(kind)


def _input_tensor(nodes) -> torch.Tensor:
    a = {k: v for k, v in nodes[0].args.items() if v is not None}
    if "t" in a:
        return torch.randn(2, a["t"], a["f"])
    if "n" in a:
        return torch.randn(2, a["n"])
    if "l" in a:
        return torch.randn(2, a["c"], a["l"])
    return torch.randn(2, a["c"], a.get("h", a.get("w")), a.get("w", a.get("h")))


def torch_counts(spec: str):
    nodes = parse(spec)
    x = _input_tensor(nodes)
    net, _out, shapes = build(nodes[1:], x)
    return sum(p.numel() for p in net.parameters()), shapes


# -- presets ----------------------------------------------------------------------------------------

PUBLISHED = {  # torchvision's documented parameter counts
    "alexnet": 61_100_840,
    "vgg16": 138_357_544,
    "googlenet": 6_624_904,
    "resnet18": 11_689_512,
    "resnet50": 25_557_032,
}


@pytest.mark.parametrize("name", list(PUBLISHED))
def test_preset_total_matches_torchvision_published_count(name: str) -> None:
    assert analyze(name).total_params == PUBLISHED[name]


@pytest.mark.parametrize("name", ["alexnet", "resnet18", "googlenet"])
def test_preset_matches_torch_numel_and_shapes(name: str) -> None:
    text = preset_text(name)
    total, shapes = torch_counts(text)
    analysis = analyze(text)
    assert analysis.total_params == total == PUBLISHED[name]
    top = [r for r in analysis.layers if r.depth == 0 and r.kind != "input"]
    assert [r.output_shape for r in top] == shapes


def _shrink_channels(text: str, factor: int) -> str:
    return re.sub(r"\bc=(\d+)", lambda m: f"c={max(1, int(m.group(1)) // factor)}", text)


def _gradient_support(nodes, rf_index: int, n: int, unit: int) -> tuple[list[int], list[int]]:
    """Rows and columns (min, max) of the input pixels feeding output unit (unit, unit)."""
    a = nodes[0].args
    x = torch.ones(1, a["c"] or 1, n, n, requires_grad=True)
    net, _out, _ = build(nodes[1 : rf_index + 1], x.detach(), rf_mode=True)
    y = net(x)
    assert y.shape[-1] > unit, "unit outside the output"
    y[0, :, unit, unit].sum().backward()  # every channel at that position (concat)
    g = x.grad.abs().sum(dim=(0, 1))
    rows = torch.nonzero(g.sum(dim=1)).flatten()
    cols = torch.nonzero(g.sum(dim=0)).flatten()
    return [int(rows.min()), int(rows.max())], [int(cols.min()), int(cols.max())]


@pytest.mark.parametrize(
    ("name", "r"),
    [("alexnet", 195), ("vgg16", 212), ("resnet18", 435), ("resnet50", 427), ("googlenet", None)],
)
def test_preset_receptive_field_is_the_gradient_support(name: str, r: int | None) -> None:
    text = _shrink_channels(preset_text(name), 16)
    analysis = analyze(text)
    a = analysis.rf[0]
    if r is not None:  # published: Araujo et al. (AlexNet 195, VGG-16 212); ResNet-18 torchvision
        assert a.r == r
    rf_index = int(analysis.rf_index)
    unit = -(-a.P // a.j) + 1
    n = unit * a.j - a.P + a.r + a.j
    nodes = parse(re.sub(r"h=224, w=224", f"h={n}, w={n}", text))
    rows, cols = _gradient_support(nodes, rf_index, n, unit)
    lo = unit * a.j - a.P
    assert rows == cols == [lo, lo + a.r - 1]


# -- random networks ----------------------------------------------------------------------------

_layer = st.one_of(
    st.builds(
        lambda c, k, s, p, d, b: f"conv(c={c},k={k},s={s},p={min(p, k // 2)},d={d},bias={b})",
        st.integers(1, 4),
        st.integers(1, 4),
        st.integers(1, 3),
        st.integers(0, 2),
        st.integers(1, 3),
        st.sampled_from(["true", "false"]),
    ),
    st.builds(
        lambda k, s, p: f"maxpool(k={k},s={s},p={min(p, k // 2)})",
        st.integers(1, 3),
        st.integers(1, 3),
        st.integers(0, 1),
    ),
    st.builds(lambda k, s: f"avgpool(k={k},s={s})", st.integers(1, 3), st.integers(1, 3)),
    st.sampled_from(["relu", "bn", "tanh"]),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(layers=st.lists(_layer, min_size=1, max_size=6), n=st.integers(8, 40), c=st.integers(1, 4))
def test_random_stack_params_and_shapes_match_torch(layers: list[str], n: int, c: int) -> None:
    spec = f"input(c={c},h={n},w={n}), " + ", ".join(layers)
    try:
        analysis = analyze(spec)
    except DlstudyError:
        # the engine refuses it: torch must refuse it too
        with pytest.raises(RuntimeError):
            torch_counts(spec)
        return
    total, shapes = torch_counts(spec)
    assert analysis.total_params == total
    assert [r.output_shape for r in analysis.layers[1:]] == shapes


_rf_layer = st.one_of(
    st.tuples(
        st.just("conv"), st.integers(1, 5), st.integers(1, 3), st.integers(0, 2), st.integers(1, 3)
    ),
    st.tuples(
        st.just("maxpool"),
        st.integers(1, 4),
        st.integers(1, 3),
        st.integers(0, 1),
        st.integers(1, 2),
    ),
    st.tuples(
        st.just("avgpool"), st.integers(1, 4), st.integers(1, 3), st.integers(0, 1), st.just(1)
    ),
)


def _rf_spec(layers) -> str:
    out = []
    for kind, k, s, p, d in layers:
        p = min(p, (d * (k - 1) + 1) // 2)
        dil = f",d={d}" if kind != "avgpool" else ""
        out.append(f"{kind}(k={k},s={s},p={p}{dil})")
    return ", ".join(out)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(layers=st.lists(_rf_layer, min_size=1, max_size=6))
def test_random_stack_receptive_field_is_the_gradient_support(layers) -> None:
    body = _rf_spec(layers)
    a = analyze(body).rf[0]
    assume(a.r <= 160)
    unit = -(-a.P // a.j) + 1
    n = unit * a.j - a.P + a.r + a.j
    nodes = parse(f"input(c=1,h={n},w={n}), {body}")
    try:
        rows, cols = _gradient_support(nodes, len(nodes) - 1, n, unit)
    except AssertionError:
        assume(False)
    lo = unit * a.j - a.P
    assert rows == cols == [lo, lo + a.r - 1]
    assert float(a.start) == lo + (a.r - 1) / 2 - unit * a.j  # start = centre of unit 0


def test_non_square_receptive_field_and_json_pair() -> None:
    body = "conv(k=3x5,s=2x1), maxpool(k=2x3,s=2), conv(k=1x3,d=2)"
    analysis = analyze(body)
    rh, rw = analysis.rf
    assert analysis.receptive_field == [rh.r, rw.r] and rh.r != rw.r
    n = 64
    nodes = parse(f"input(c=1,h={n},w={n}), {body}")
    x = torch.ones(1, 1, n, n, requires_grad=True)
    net, _, _ = build(nodes[1:], x.detach(), rf_mode=True)
    y = net(x)
    y[0, 0, 5, 5].backward()
    g = x.grad[0, 0]
    rows = torch.nonzero(g.sum(1)).flatten()
    cols = torch.nonzero(g.sum(0)).flatten()
    assert int(rows.max() - rows.min()) + 1 == rh.r
    assert int(cols.max() - cols.min()) + 1 == rw.r
    assert int(rows.min()) == 5 * rh.j - rh.P and int(cols.min()) == 5 * rw.j - rw.P


@pytest.mark.parametrize(
    "body",
    [
        # misaligned paths: the union is wider than either path alone
        "conv(k=3,s=2,p=1), residual(conv(k=5,p=2), conv(k=3,p=1) | conv(k=3,p=0,s=1), "
        "conv(k=3,p=2))",
        "conv(k=3), concat(conv(c=2,k=1) | conv(c=1,k=3,p=1), conv(c=1,k=3,p=2,d=2) "
        "| maxpool(k=3,s=1,p=1))",
        "residual(conv(k=3,s=2,p=1), conv(k=3,p=1) | conv(k=1,s=2)), maxpool(k=2)",
    ],
)
def test_block_receptive_field_is_the_gradient_support(body: str) -> None:
    a = analyze(body).rf[0]
    unit = -(-a.P // a.j) + 2
    n = unit * a.j - a.P + a.r + 2 * a.j
    nodes = parse(f"input(c=1,h={n},w={n}), {body}")
    rows, cols = _gradient_support(nodes, len(nodes) - 1, n, unit)
    lo = unit * a.j - a.P
    assert rows == cols == [lo, lo + a.r - 1]


@pytest.mark.parametrize(
    "spec",
    [
        "input(c=3,h=17,w=17), conv(c=8,k=3,s=2,groups=1), conv(c=8,k=3,groups=4,bias=false), "
        "convT(c=6,k=4,s=2,p=1), convT(c=6,k=3,s=2,op=1,d=1,groups=2), bn, flatten, fc(n=5)",
        "input(c=4,l=50), conv(c=6,k=5,d=2), maxpool(k=2), avgpool(k=3,s=2,ceil=true), "
        "adaptiveavgpool(l=4), flatten, fc(n=3)",
        "input(c=3,h=15,w=15), maxpool(k=3,s=2,ceil=true), avgpool(k=2,ceil=true), "
        "conv(c=4,k=3x1,p=1x0), adaptiveavgpool(h=2,w=3), fc(n=2,bias=false)",
        "input(t=7,f=5), rnn(h=6), lstm(h=4,layers=2,bidirectional=true), gru(h=3,last=true), "
        "fc(n=2)",
        "input(t=4,f=3), lstm(h=8,bias=false), fc(n=2), flatten, fc(n=1)",
        "input(n=20), fc(n=10), relu, dropout(p=0.2), fc(n=3), softmax",
        "input(c=2,h=9,w=9), 2*[residual(conv(c=2,k=3,p=1), relu | )], "
        "residual(conv(c=5,k=3,s=2,p=1), bn | conv(c=5,k=1,s=2), bn), "
        "concat(conv(c=1,k=1) | conv(c=3,k=3,p=1) | maxpool(k=3,s=1,p=1))",
    ],
)
def test_mixed_specs_match_torch(spec: str) -> None:
    total, shapes = torch_counts(spec)
    analysis = analyze(spec)
    assert analysis.total_params == total
    top = [r for r in analysis.layers if r.depth == 0 and r.kind != "input"]
    assert [r.output_shape for r in top] == shapes


@pytest.mark.parametrize("kind,gates", [("rnn", 1), ("gru", 3), ("lstm", 4)])
def test_single_bias_convention_removes_one_bias_vector_per_gate(kind: str, gates: int) -> None:
    spec = f"input(t=5,f=7), {kind}(h=9,layers=2)"
    two = analyze(spec)
    one = analyze(spec, single_bias=True)
    torch_total, _ = torch_counts(spec)
    assert two.total_params == torch_total
    assert two.total_params - one.total_params == 2 * gates * 9  # two layers, one vector each
    assert "torch" in two.convention and "textbook" in one.convention


@settings(max_examples=60, deadline=None)
@given(
    kind=st.sampled_from(["rnn", "gru", "lstm"]),
    n_in=st.integers(1, 6),
    h=st.integers(1, 6),
    layers=st.integers(1, 3),
    bidirectional=st.booleans(),
    bias=st.booleans(),
)
def test_recurrent_params_is_torch_numel(
    kind: str, n_in: int, h: int, layers: int, bidirectional: bool, bias: bool
) -> None:
    cls, gates = {"rnn": (nn.RNN, 1), "gru": (nn.GRU, 3), "lstm": (nn.LSTM, 4)}[kind]
    net = cls(n_in, h, num_layers=layers, bidirectional=bidirectional, bias=bias)
    weights, biases = recurrent_params(
        gates, n_in, h, layers=layers, directions=2 if bidirectional else 1, biases=2 * bias
    )
    assert weights == sum(p.numel() for name, p in net.named_parameters() if "weight" in name)
    assert biases == sum(p.numel() for name, p in net.named_parameters() if "bias" in name)


def test_variant_params_are_the_wrong_methods() -> None:
    nodes = parse("input(c=3,h=8,w=8), conv(c=4,k=3), maxpool(k=2), conv(c=5,k=3,p=1)")
    right = analyze_nodes(nodes).total_params
    assert right == (27 + 1) * 4 + (36 + 1) * 5
    assert analyze_nodes(nodes, variant="no_bias").total_params == 27 * 4 + 36 * 5
    assert analyze_nodes(nodes, variant="no_cin").total_params == (9 + 1) * 4 + (9 + 1) * 5
    # the pool counted as a conv 4 → 4 with a 2×2 window
    assert analyze_nodes(nodes, variant="pool_params").total_params == right + (2 * 2 * 4 + 1) * 4
