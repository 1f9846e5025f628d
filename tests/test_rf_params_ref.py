"""Reference functions of dlstudy/reference/rf_params.py against independent oracles: torch layer
shapes and numel(), the input-gradient support of an interior unit, and exact closed forms; their
wrong-method answers through the shared grader."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from dlstudy.arch import parse
from dlstudy.errors import DlstudyError
from dlstudy.grading import grade as tolerant_grade
from dlstudy.reference.registry import call, load_all
from tests.test_arch_torch import build  # the torch network builder (channels inferred by torch)


def grade(solution, given):
    """Integers are graded exactly (the question bank's rule for integer answers)."""
    return tolerant_grade(solution, given, rtol=0, atol=0)


def test_registered_in_the_right_sections() -> None:
    registry = load_all()
    for name in ("output-size", "receptive-field", "param-count", "conv-params"):
        assert registry[name].section == "rf-params"
    for name in ("stack-vs-large", "inception-1x1"):
        assert registry[name].section == "architectures"


@settings(max_examples=150, deadline=None)
@given(
    st.integers(1, 40), st.integers(1, 6), st.integers(1, 4), st.integers(0, 3), st.integers(1, 3)
)
def test_output_size_matches_torch_conv(n: int, k: int, s: int, p: int, d: int) -> None:
    if n + 2 * p < d * (k - 1) + 1:
        with pytest.raises(DlstudyError):
            call("output-size", {"n": n, "k": k, "s": s, "p": p, "d": d})
        return
    sol = call("output-size", {"n": n, "k": k, "s": s, "p": p, "d": d})
    conv = nn.Conv1d(1, 1, k, s, p, dilation=d)
    out = conv(torch.zeros(1, 1, n)).shape[-1]
    assert sol.result == out
    # the division is exact iff the last window ends on the last pixel of the padded input: one
    # padded pixel fewer loses that window (0 windows when the kernel no longer fits)
    unpadded = nn.Conv1d(1, 1, k, s, 0, dilation=d)
    length = n + 2 * p - 1
    fewer = unpadded(torch.zeros(1, 1, length)).shape[-1] if length >= d * (k - 1) + 1 else 0
    exact = fewer == out - 1
    assert any("not an integer" in step.detail for step in sol.steps) is (not exact)
    for mistake in sol.mistakes:
        assert mistake.value != sol.result


def test_output_size_mistakes_cs231n() -> None:
    sol = call("output-size", {"n": 7, "k": 3, "s": 2})
    assert sol.result == 3
    assert grade(sol, 2).mistake.name == "missing-plus-one"
    sol = call("output-size", {"n": 8, "k": 3, "s": 2, "p": 1})  # ⌊7/2⌋ + 1 = 4
    assert sol.result == 4
    assert grade(sol, 5).mistake.name == "ceil"
    assert grade(sol, 3).mistake.name == "missing-plus-one"
    sol = call("output-size", {"n": 10, "k": 5, "s": 1, "p": 2})
    assert sol.result == 10 and grade(sol, 8).mistake.name == "p-not-2p"
    assert "⌊" in sol.steps[-1].label


def _support(spec: str, n: int, unit: int) -> tuple[int, int]:
    nodes = parse(f"input(c=1,h={n},w={n}), {spec}")
    x = torch.ones(1, 1, n, n, requires_grad=True)
    net, _, _ = build(nodes[1:], x.detach(), rf_mode=True)
    net(x)[0, :, unit, unit].sum().backward()
    rows = torch.nonzero(x.grad[0].sum(0).sum(1)).flatten()
    return int(rows.min()), int(rows.max())


@pytest.mark.parametrize(
    "spec",
    [
        "conv(k=7,s=2), conv(k=3,s=2), conv(k=3), conv(k=3)",
        "conv(k=3,d=2), maxpool(k=2), conv(k=3,d=4,p=2), avgpool(k=3,s=2)",
        "conv(k=5,s=2,p=2), residual(conv(k=3,p=1), conv(k=3,p=1)), maxpool(k=3,s=2,p=1)",
    ],
)
def test_receptive_field_is_the_gradient_support(spec: str) -> None:
    sol = call("receptive-field", {"spec": spec})
    lo, hi = _support(spec, 96, 6)
    assert sol.result == hi - lo + 1
    assert sol.checkpoints[-1][1] == sol.result
    assert all(m.value != sol.result for m in sol.mistakes)


def test_receptive_field_mistakes_and_checkpoints_through_the_grader() -> None:
    sol = call("receptive-field", {"spec": "conv(k=7,s=2), conv(k=3,s=2), conv(k=3), conv(k=3)"})
    assert sol.result == 27
    assert [v for _, v in sol.checkpoints] == [7, 11, 19, 27]
    assert grade(sol, 21).mistake.name == "stride-not-jump"
    assert grade(sol, 17).mistake.name == "previous-stride-not-jump"
    assert grade(sol, [7, 11, 19, 27]).correct
    verdict = grade(sol, [7, 11, 15, 21])
    assert not verdict.correct and verdict.first_wrong_step == "layer 3 (conv3)"
    dil = call("receptive-field", {"spec": "conv(k=3,d=1), conv(k=3,d=2), conv(k=3,d=4)"})
    assert dil.result == 15  # WaveNet-style: 1 + 2·(1 + 2 + 4)
    assert grade(dil, 7).mistake.name == "dilation-skipped"
    pool = call("receptive-field", {"spec": "conv(k=3), maxpool(k=2), conv(k=3)"})
    assert pool.result == 8 and grade(pool, 5).mistake.name == "pooling-skipped"


def test_param_count_matches_torch_numel_and_names_mistakes() -> None:
    spec = (
        "input(c=3,h=32,w=32), conv(c=8,k=5), bn, relu, maxpool(k=2), "
        "conv(c=16,k=3,groups=2,bias=false), flatten, fc(n=10)"
    )
    nodes = parse(spec)
    net, _, _ = build(nodes[1:], torch.zeros(2, 3, 32, 32))
    sol = call("param-count", {"spec": spec})
    assert sol.result == sum(p.numel() for p in net.parameters())
    assert [v for _, v in sol.checkpoints] == [
        (75 + 1) * 8,
        2 * 8,
        9 * 4 * 16,
        (16 * 12 * 12 + 1) * 10,
    ]
    names = {m.name for m in sol.mistakes}
    assert {"bias-forgotten", "cin-dropped", "pooling-params"} <= names
    no_bias = next(m for m in sol.mistakes if m.name == "bias-forgotten")
    assert grade(sol, no_bias.value).mistake.name == "bias-forgotten"


def test_param_count_alexnet_conv1_and_rnn_conventions() -> None:
    sol = call("param-count", {"spec": "input(c=3,h=227,w=227), conv(c=96,k=11,s=4)"})
    assert sol.result == 34_944 and grade(sol, 34_848).mistake.name == "bias-forgotten"
    two = call("param-count", {"spec": "input(t=4,f=6), lstm(h=5)"})
    one = call("param-count", {"spec": "input(t=4,f=6), lstm(h=5)", "single_bias": True})
    assert two.result == sum(p.numel() for p in nn.LSTM(6, 5).parameters())
    assert two.result - one.result == 4 * 5
    assert grade(two, one.result).mistake.name == "rnn-bias-convention"
    assert grade(two, sum(p.numel() for p in nn.RNN(6, 5).parameters())).mistake.name == (
        "lstm-one-gate"
    )
    assert "torch" in two.convention and "textbook" in one.convention


@settings(max_examples=100, deadline=None)
@given(
    st.integers(1, 5), st.integers(1, 4), st.integers(1, 4), st.booleans(), st.sampled_from([1, 2])
)
def test_conv_params_matches_torch(k: int, a: int, b: int, bias: bool, groups: int) -> None:
    c_in, c_out = a * groups, b * groups
    sol = call(
        "conv-params", {"k": k, "c_in": c_in, "c_out": c_out, "bias": bias, "groups": groups}
    )
    conv = nn.Conv2d(c_in, c_out, k, groups=groups, bias=bias)
    assert sol.result == sum(p.numel() for p in conv.parameters())


def test_conv_params_mistakes() -> None:
    sol = call("conv-params", {"k": 11, "c_in": 3, "c_out": 96})
    assert sol.result == 34_944
    assert grade(sol, 34_848).mistake.name == "bias-forgotten"
    assert grade(sol, 11 * 11 * 96 + 96).mistake.name == "cin-dropped"
    with pytest.raises(DlstudyError, match="groups"):
        call("conv-params", {"k": 3, "c_in": 3, "c_out": 4, "groups": 2})


@pytest.mark.parametrize(("c", "n", "k"), [(64, 3, 3), (8, 2, 3), (5, 2, 5)])
def test_stack_vs_large_matches_torch(c: int, n: int, k: int) -> None:
    sol = call("stack-vs-large", {"c": c, "n": n, "k": k})
    stack = nn.Sequential(*[nn.Conv2d(c, c, k, bias=False) for _ in range(n)])
    r = sol.result["receptive_field"]
    large = nn.Conv2d(c, c, r, bias=False)
    assert sol.result["stack_params"] == sum(p.numel() for p in stack.parameters())
    assert sol.result["large_params"] == sum(p.numel() for p in large.parameters())
    lo, hi = _support(f"{n}*conv(k={k})", 40, 4)
    assert hi - lo + 1 == r
    assert math.isclose(
        sol.result["saving"],
        1 - sum(p.numel() for p in stack.parameters()) / sum(p.numel() for p in large.parameters()),
    )


def test_vgg_three_3x3_is_27_vs_49_c_squared() -> None:
    sol = call("stack-vs-large", {"c": 1})
    assert sol.result["receptive_field"] == 7
    assert (sol.result["stack_params"], sol.result["large_params"]) == (27, 49)
    assert sol.mistakes[0].value["receptive_field"] == 9


def test_inception_1x1_matches_torch() -> None:
    sol = call("inception-1x1", {"c_in": 192, "c_red": 16, "c_out": 32, "k": 5})
    direct = nn.Conv2d(192, 32, 5, bias=False)
    reduced = nn.Sequential(nn.Conv2d(192, 16, 1, bias=False), nn.Conv2d(16, 32, 5, bias=False))
    assert sol.result["direct"] == sum(p.numel() for p in direct.parameters())
    assert sol.result["reduced"] == sum(p.numel() for p in reduced.parameters())
    assert math.isclose(sol.result["ratio"], 153_600 / 15_872)
    wrong = sol.mistakes[0].value
    assert grade(sol, wrong).mistake.name == "reduction-forgotten"


@pytest.mark.parametrize(
    ("name", "values", "words"),
    [
        ("receptive-field", {"spec": "conv(k=3"}, "malformed spec"),
        ("receptive-field", {"spec": "fc(n=3)"}, "no layer with a spatial output"),
        ("param-count", {"spec": "conv(k=3)"}, "needs an input layer"),
        ("output-size", {"n": 0, "k": 3}, "n: expected a positive integer"),
        ("output-size", {"n": 3, "k": 5}, "larger than the padded input"),
        ("stack-vs-large", {"c": 0}, "c: expected a positive integer"),
    ],
)
def test_bad_input_raises_the_domain_error(name: str, values: dict, words: str) -> None:
    with pytest.raises(DlstudyError, match=words.replace("(", r"\(")):
        call(name, values)
