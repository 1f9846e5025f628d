"""The layer language: syntax, defaults, blocks, repeats, and bad input (caret, did-you-mean, sizes).
Oracles: the formulas written out by hand (exact integers) and a loop-based naive output size."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlstudy.arch import (
    analyze,
    convt_output_size,
    divides_exactly,
    output_size,
    parse,
    pool_output_size,
)
from dlstudy.errors import DlstudyError


def naive_windows(n: int, k: int, s: int, p: int, d: int) -> list[int]:
    """The start of every window position that fits in the padded input, one by one."""
    starts, start = [], 0
    while start + d * (k - 1) <= n + 2 * p - 1:
        starts.append(start)
        start += s
    return starts


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 60), st.integers(1, 7), st.integers(1, 4), st.integers(0, 3), st.integers(1, 3)
)
def test_output_size_counts_window_positions(n: int, k: int, s: int, p: int, d: int) -> None:
    if n + 2 * p < d * (k - 1) + 1:
        return
    starts = naive_windows(n, k, s, p, d)
    assert output_size(n, k, s, p, d) == len(starts)
    # exact division: the last window ends on the last pixel of the padded input
    assert divides_exactly(n, k, s, p, d) == (starts[-1] + d * (k - 1) == n + 2 * p - 1)


def test_cs231n_examples_and_pool_ceil_and_transposed() -> None:
    assert output_size(7, 3, 1) == 5 and output_size(7, 3, 2) == 3
    assert not divides_exactly(7, 3, 3)
    assert pool_output_size(112, 3, 2, ceil=True) == 56  # GoogLeNet's first pool
    assert pool_output_size(112, 3, 2) == 55
    assert convt_output_size(4, 4, 2, 1) == 8 and convt_output_size(3, 3, 2, 0, 1) == 8


def test_separators_comments_aliases_and_defaults() -> None:
    nodes = parse("input(c=3,h=8,w=8); Conv2d(c=4, k=3)\n# a comment\nReLU, linear(n=2)")
    assert [n.kind for n in nodes] == ["input", "conv", "relu", "fc"]
    conv = nodes[1].args
    assert (conv["s"], conv["p"], conv["d"], conv["groups"], conv["bias"]) == (1, 0, 1, 1, True)
    assert parse("maxpool(k=3)")[0].args["s"] is None  # filled with k by the engine
    assert parse("conv(k=3x5, p=1x2)")[0].args["k"] == (3, 5)


def test_repeats_and_groups_expand() -> None:
    nodes = parse("input(c=1,h=8,w=8), 2*[conv(c=2,k=3,p=1), relu], 3*bn")
    assert [n.kind for n in nodes] == ["input", "conv", "relu", "conv", "relu", "bn", "bn", "bn"]


def test_blocks_parse_paths() -> None:
    (res,) = parse("residual(conv(k=3,p=1), bn, relu, conv(k=3,p=1) | conv(k=1), bn)")
    assert res.kind == "residual" and [len(p) for p in res.paths] == [4, 2]
    (cat,) = parse("concat(conv(c=1,k=1) | conv(c=2,k=3,p=1) | maxpool(k=3,s=1,p=1))")
    assert len(cat.paths) == 3


def test_per_layer_numbers_by_hand() -> None:
    a = analyze("input(c=3,h=32,w=32), conv(c=16,k=3,p=1), maxpool(k=2), conv(c=32,k=5,s=2,d=2)")
    layers = a.layers
    assert layers[1].output_shape == [16, 32, 32] and layers[1].params == (27 + 1) * 16
    assert layers[2].output_shape == [16, 16, 16]
    # (16 - 2·4 - 1)/2 + 1 = 4 (floored from 4.5)
    assert layers[3].output_shape == [32, 4, 4] and "not an integer" in layers[3].note
    assert layers[3].params == (25 * 16 + 1) * 32
    # r: 3, then 3 + 1·1 = 4 (j 2), then 4 + 4·2·2 = 20 (j 4)
    assert [layers[i].rf[0].r for i in (1, 2, 3)] == [3, 4, 20]
    assert a.effective_stride == 4 and a.effective_padding == 1
    assert a.total_params == (27 + 1) * 16 + (25 * 16 + 1) * 32


def test_rf_jump_counterexample() -> None:
    assert analyze("conv(k=7,s=2), conv(k=3,s=2), conv(k=3), conv(k=3)").receptive_field == 27


def test_recurrent_counts_by_hand() -> None:
    # LSTM: 4 gates · (H(F + H) + 2H), torch's two biases
    assert analyze("input(t=10,f=32), lstm(h=64)").total_params == 4 * (64 * 96 + 128)
    assert analyze("input(t=10,f=32), lstm(h=64)", single_bias=True).total_params == 4 * (
        64 * 96 + 64
    )
    a = analyze("input(t=10,f=32), gru(h=8,bidirectional=true,last=true)")
    assert a.output_shape.as_list() == [16] and a.total_params == 2 * 3 * (8 * 40 + 16)


def test_presets_resolve_case_insensitively() -> None:
    assert analyze("VGG16").total_params == analyze("vgg16").total_params


def _error(spec: str) -> DlstudyError:
    with pytest.raises(DlstudyError) as info:
        analyze(spec)
    return info.value


@pytest.mark.parametrize(
    ("spec", "column", "words"),
    [
        ("conv(c=16 k=3)", 10, "expected ',' or ')'"),
        ("conv(c=16,k=3", 13, "missing ')'"),
        ("conv(c=16,k)", 11, "expected '=' after 'k'"),
        ("conv(c=16,k=abc)", 12, "'k' must be an integer or HxW"),
        ("conv(k=3) conv(k=3)", 10, "expected a separator"),
        ("conv(k=3), (relu)", 11, "expected a layer name"),
        ("2 conv(k=3)", 0, "expected '*' after a repeat count"),
        ("conv(k=3), 0*relu", 11, "repeat count must be at least 1"),
        ("conv(c=4)", 0, "conv needs k="),
        ("conv(k=3,k=5)", 9, "'k' given twice"),
        ("residual(conv(k=3) | conv(k=1) | relu)", 0, "main path and one shortcut"),
        ("concat(conv(k=1) | )", 0, "every concat branch"),
        ("conv(k=3) | relu", 10, "'|' separates paths only inside"),
        ("[conv(k=3), relu", 16, "missing ']'"),
        ("dropout(p=2)", 10, "dropout p must be a number in [0, 1)"),
    ],
)
def test_malformed_specs_point_a_caret_at_the_position(spec: str, column: int, words: str) -> None:
    exc = _error(spec)
    assert words in exc.message
    assert "malformed spec at 1:" in exc.message
    line, mark = exc.detail.splitlines()[:2]
    assert line.strip() == spec
    assert mark.index("^") - 2 == column
    assert "expected form:" in exc.detail


def test_caret_on_the_right_line_of_a_multiline_spec() -> None:
    exc = _error("input(c=3,h=8,w=8)\nconv(c=4,k=3)\nmaxpool(k=2 s=2)")
    assert exc.message.startswith("malformed spec at 3:13")
    assert exc.detail.splitlines()[0].strip() == "maxpool(k=2 s=2)"


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("convv(k=3)", "unknown layer 'convv' (did you mean 'conv'?)"),
        ("maxpol(k=2)", "(did you mean 'maxpool'?)"),
        ("conv(k=3,bais=true)", "unknown key 'bais' for conv (did you mean 'bias'?)"),
        ("conv(k=3,strid=2)", "keys: c, k, s, p, d, groups, bias"),
    ],
)
def test_unknown_names_suggest(spec: str, words: str) -> None:
    assert words in _error(spec).message


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("input(c=3,h=4,w=4), conv(c=2,k=7)", "layer 1 conv(c=2,k=7): kernel 7 is larger than"),
        ("input(c=3,h=9,w=9), conv(k=3,d=5)", "kernel 3 (dilated 11) is larger than"),
        (
            "input(c=3,h=4,w=4), maxpool(k=2), maxpool(k=2), maxpool(k=2)",
            "layer 3 maxpool(k=2): kernel 2 is larger than the padded input along H: 1 + 2·0 = 1",
        ),
        ("input(c=3,h=0,w=4)", "h must be a positive integer, got 0"),
        ("input(c=3,h=8,w=8), conv(c=0,k=3)", "layer 1 conv(c=0,k=3): c must be a positive"),
        ("input(c=3,h=8,w=8), conv(k=0)", "k must be a positive integer, got 0"),
        ("input(c=3,h=8,w=8), conv(k=3,s=0)", "s must be a positive integer, got 0"),
        ("input(c=3,h=8,w=8), conv(c=4,k=3,groups=2)", "groups=2 must divide the input channels"),
        ("input(c=3,h=8,w=8), maxpool(k=2,p=2)", "p=2 must be at most half the kernel"),
        ("input(c=3,h=2,w=2), convT(k=1,p=1)", "output size would be 0 (below 1)"),
        ("input(c=3,h=8,w=8), lstm(h=4)", "needs a sequence input(t=T,f=F)"),
        ("input(t=3,f=2), conv(k=1)", "needs an image input"),
        (
            "input(c=3,h=8,w=8), residual(conv(c=5,k=3))",
            "the main path gives 5×6×6 but the shortcut gives 3×8×8",
        ),
        ("input(c=3,h=8,w=8), concat(conv(k=3) | conv(k=1))", "branch 1 gives 3×6×6 but branch 2"),
        ("input(c=1,l=9), conv(k=3x3)", "k=3x3 needs a 2-D"),
        ("input(c=3,h=8,w=8), conv(k=3), input(c=3)", "input(...) must be the first layer"),
        ("residual(input(c=1))", "cannot appear inside a block"),
        ("input(c=3,t=4)", "exactly t= and f="),
        ("", "empty spec"),
        ("# only a comment", "empty spec"),
    ],
)
def test_impossible_sizes_name_the_layer(spec: str, words: str) -> None:
    assert words in _error(spec).message


def test_huge_repeat_is_refused() -> None:
    assert "too many layers" in _error("1000*[1000*relu]").message


def test_unknown_sizes_without_input_still_give_receptive_fields() -> None:
    a = analyze("residual(conv(c=5,k=3,p=1)), maxpool(k=2)")
    assert a.receptive_field == 4 and a.total_params is None
