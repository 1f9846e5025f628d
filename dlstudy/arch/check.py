"""Check a hand-worked receptive field or parameter count, naming the mistake behind a wrong answer.

An answer is one number (the total, or the final receptive field; ``7x5`` for a non-square one) or
one number per layer (``3,5,9``): then the first layer where the working diverges is named. A wrong
answer that equals the number a known wrong method gives names that mistake. Pure Python.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from dlstudy.arch.analysis import Analysis, LayerResult, squash
from dlstudy.arch.engine import MAX_COUNT_DIGITS, analyze_nodes
from dlstudy.arch.parser import Node
from dlstudy.errors import DlstudyError

#: (variant, stable name, feedback) for receptive fields.
RF_MISTAKES: tuple[tuple[str, str, str], ...] = (
    (
        "stride",
        "stride-not-jump",
        "you used each layer's own stride s instead of the cumulative jump j_in = s_1·s_2·…·s_(l-1): "
        "r_out = r_in + (k-1)·j_in",
    ),
    (
        "prev_stride",
        "previous-stride-not-jump",
        "you used the previous layer's stride instead of the cumulative jump j_in (the product of all "
        "earlier strides)",
    ),
    (
        "plus_k",
        "plus-k-not-k-minus-1",
        "you added k·j_in instead of (k-1)·j_in: a k-wide window adds k-1 new positions",
    ),
    (
        "skip_pool",
        "pooling-skipped",
        "you skipped the pooling layers: a pool window grows the receptive field and its stride "
        "multiplies the jump like a convolution's",
    ),
    (
        "skip_dilation",
        "dilation-skipped",
        "you ignored the dilation: a dilated kernel spans d(k-1)+1 pixels, so r grows by (k-1)·d·j_in",
    ),
)

#: (variant, stable name, feedback) for parameter counts.
PARAM_MISTAKES: tuple[tuple[str, str, str], ...] = (
    (
        "no_bias",
        "bias-forgotten",
        "you forgot the biases: each filter (and each fc output) has one, (k_h·k_w·C_in + 1)·C_out",
    ),
    (
        "no_cin",
        "cin-dropped",
        "you dropped C_in: each filter spans every input channel, k_h·k_w·C_in weights (C_in/groups "
        "when grouped)",
    ),
    ("pool_params", "pooling-params", "you gave the pooling layers parameters: pooling has none"),
    (
        "other_bias",
        "rnn-bias-convention",
        "you used the other bias convention for recurrent layers (torch has two bias vectors per gate, "
        "b_ih and b_hh; the textbook one)",
    ),
    (
        "one_gate",
        "lstm-one-gate",
        "you counted one gate: an LSTM has 4 gate blocks (i, f, g, o) and a GRU 3 (r, z, n), each with "
        "its own weights and biases",
    ),
)

#: A total sums at most 20,000 layers of numbers below 10^100.
_MAX_ANSWER_DIGITS = MAX_COUNT_DIGITS + 5
_ITEM = re.compile(r"(\d+)(?:[xX×](\d+))?\Z")


@dataclass
class AnswerCheck:
    """The verdict on a student's answer."""

    correct: bool
    message: str
    expected: Any
    given: Any
    mistake: str | None = None
    mistake_message: str = ""
    first_wrong_layer: str | None = None

    @property
    def exit_code(self) -> int:
        return 0 if self.correct else 1

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "correct": self.correct,
            "message": self.message,
            "expected": self.expected,
            "given": self.given,
        }
        if self.mistake:
            out["mistake"] = {"name": self.mistake, "message": self.mistake_message}
        if self.first_wrong_layer:
            out["first_wrong_layer"] = self.first_wrong_layer
        return out


def parse_answer(text: str) -> list[Any]:
    """``"34944"`` → ``[34944]``; ``"3,5,9"`` → ``[3, 5, 9]``; ``"7x5"`` → ``[[7, 5]]``.

    Items are separated by commas, semicolons or spaces; ``_`` may group digits (``34_944``).
    """
    items = [t for t in re.split(r"[,;\s]+", text.strip()) if t]
    if not items:
        raise DlstudyError("--answer: empty answer; expected a number such as 34944 or 3,5,9")
    out: list[Any] = []
    for item in items:
        m = _ITEM.match(item.replace("_", ""))
        if m and max(len(m.group(1)), len(m.group(2) or "")) > _MAX_ANSWER_DIGITS:
            raise DlstudyError(
                f"--answer: '{item[:40]}…' has more than {_MAX_ANSWER_DIGITS} digits: too many "
                "for a layer count"
            )
        if not m:
            raise DlstudyError(
                f"--answer: '{item}' is not a whole number; expected e.g. 34944, 7x5 (h×w) or "
                "3,5,9 (one number per layer)"
            )
        a, b = int(m.group(1)), m.group(2)
        out.append(a if b is None else squash([a, int(b)]))
    return out


def check_answer(nodes: list[Node], what: str, text: str, single_bias: bool = False) -> AnswerCheck:
    """Grade ``text`` (see :func:`parse_answer`) against the receptive field (``what="rf"``) or
    the parameter count (``what="params"``) of the network ``nodes``."""
    given = parse_answer(text)
    right = analyze_nodes(nodes, single_bias=single_bias)
    mistakes = RF_MISTAKES if what == "rf" else PARAM_MISTAKES
    if what == "rf":
        total = right.receptive_field
        if total is None:
            raise DlstudyError("this network has no receptive field to check (no spatial layer)")
        layers = right.rf_checkpoints()
    else:
        total = right.total_params
        if total is None:
            raise DlstudyError(
                "parameter count unknown: start the spec with input(c=...,h=...,w=...)"
            )
        layers = right.param_checkpoints()
    cache: dict[str, Analysis] = {}

    def variant(name: str) -> Analysis:
        # computed only when an answer is wrong, once per mistake
        if name not in cache:
            cache[name] = analyze_nodes(nodes, single_bias=single_bias, variant=name)
        return cache[name]

    if len(given) == 1:
        value = given[0]
        if value == total:
            return AnswerCheck(True, "correct", total, value)
        for key, name, message in mistakes:
            wrong = _value(variant(key), what)
            if wrong != total and wrong == value:
                return AnswerCheck(
                    False,
                    f"wrong (expected {_show(total)}): {message}",
                    total,
                    value,
                    name,
                    message,
                )
        return AnswerCheck(
            False, f"wrong: expected {_show(total)}, got {_show(value)}", total, value
        )
    expected = [_layer_value(layer, what) for layer in layers]
    if len(given) != len(layers):
        names = ", ".join(layer.name for layer in layers)
        raise DlstudyError(
            f"--answer: got {len(given)} values; expected one total or {len(layers)} per-layer "
            f"values ({names})"
        )
    for i, (layer, want, got) in enumerate(zip(layers, expected, given, strict=True)):
        if want == got:
            continue
        label = f"layer {layer.index} ({layer.name})"
        for key, name, message in mistakes:
            wrong_layer = _find(variant(key), layer.index)
            wrong = _layer_value(wrong_layer, what) if wrong_layer is not None else None
            if wrong is not None and wrong != want and wrong == got:
                return AnswerCheck(
                    False,
                    f"your working first goes wrong at {label}: expected {_show(want)}, "
                    f"got {_show(got)}: {message}",
                    expected,
                    given,
                    name,
                    message,
                    label,
                )
        return AnswerCheck(
            False,
            f"your working first goes wrong at {label}: expected {_show(want)}, got {_show(got)}"
            + (" (the earlier layers are right)" if i else ""),
            expected,
            given,
            None,
            "",
            label,
        )
    return AnswerCheck(True, "correct (every layer)", expected, given)


def _value(analysis: Analysis, what: str) -> Any:
    return analysis.receptive_field if what == "rf" else analysis.total_params


def _layer_value(layer: LayerResult, what: str) -> Any:
    if what == "rf":
        return squash([a.r for a in layer.rf]) if layer.rf else None
    return layer.params


def _find(analysis: Analysis, index: str) -> LayerResult | None:
    for layer in analysis.layers:
        if layer.index == index:
            return layer
    return None


def _show(value: Any) -> str:
    if isinstance(value, list):
        return "×".join(map(str, value))
    if isinstance(value, int) and value >= 10_000:
        return f"{value:,}"
    return str(value)
