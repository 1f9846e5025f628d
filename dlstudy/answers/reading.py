"""Read a typed answer according to the kind of question, and say how it was read.

Every reader returns a :class:`Reading` (the value and the text shown as "read as: ...") or raises
:class:`~dlstudy.answers.expr.AnswerError` explaining what was expected and where it went wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from dlstudy.answers.expr import (
    MAX_CHARS,
    AnswerError,
    Node,
    Number,
    Parser,
    _as_float,
    evaluate,
    format_value,
    has_float,
    to_text,
)
from dlstudy.grading import shape_of

_TRUE = ("yes", "y", "true", "t", "1", "correct", "right")
_FALSE = ("no", "n", "false", "f", "0", "incorrect", "wrong")
_CHOICE = re.compile(r"\(?\s*([A-Za-z])\s*[).:]?\s*\Z")


@dataclass
class Reading:
    """``value``: a number (Fraction or float), nested lists of numbers, a :class:`Node`
    (expressions), an option index (choices), a bool, or a list of words. ``shown``: how the
    input was read, in readable unicode."""

    value: Any
    shown: str

    @property
    def read_as(self) -> str:
        return f"read as: {self.shown}"


def _check_text(text: str) -> str:
    if not isinstance(text, str):
        raise AnswerError("the answer must be text")
    if len(text) > MAX_CHARS:
        raise AnswerError(f"answer too long ({len(text)} characters; at most {MAX_CHARS})")
    if "\x00" in text:
        raise AnswerError("the answer contains a NUL character")
    t = text.strip()
    if not t:
        raise AnswerError("empty answer")
    return t


def _shown_number(node: Node, value: Number) -> str:
    try:
        return _shown(node, value)
    except OverflowError:
        raise AnswerError("a number in this answer is too large") from None


def _shown(node: Node, value: Number) -> str:
    text = to_text(node)
    if node.op == "num" and "e" not in text.lower():
        return text
    if isinstance(value, Fraction) and value.denominator == 1:
        plain = format_value(value)
        return plain if text == plain else f"{text} = {plain}"
    if isinstance(value, Fraction):
        decimal = format_value(float(value))
        return text if text == decimal else f"{text} = {decimal}"
    approx = format_value(value)
    return text if (text == approx and not has_float(node)) else f"{text} ≈ {approx}"


def _evaluate_tree(tree: Any) -> Any:
    if isinstance(tree, Node):
        return evaluate(tree)
    return [_evaluate_tree(t) for t in tree]


def _check_rectangular(values: Any) -> None:
    if not isinstance(values, list):
        return
    kinds = {isinstance(v, list) for v in values}
    if len(kinds) > 1:
        raise AnswerError(
            "mixes numbers and rows (a ragged matrix): every row needs the same shape"
        )
    if kinds == {True}:
        widths = [len(v) for v in values]
        if len(set(widths)) > 1:
            raise AnswerError(
                f"ragged matrix: rows have {', '.join(map(str, widths))} entries; every row needs the same"
            )
        for v in values:
            _check_rectangular(v)


def _shown_tree(tree: Any, top: bool = True) -> str:
    if isinstance(tree, Node):
        if not top and (tree.op == "num" or _is_plain_fraction(tree)):
            return to_text(tree)  # entries 1/2, -3, 0.25 need no "= ..."
        return _shown_number(tree, evaluate(tree))
    inner = ", ".join(_shown_tree(t, top=False) for t in tree)
    return f"[{inner}]"


def _is_plain_fraction(node: Node) -> bool:
    if node.op == "neg":
        return _is_plain_fraction(node.args[0])
    return node.op == "/" and all(_is_integer_literal(a) for a in node.args)


def _is_integer_literal(node: Node) -> bool:
    if node.op == "neg":
        return _is_integer_literal(node.args[0])
    return node.op == "num" and node.text.isdigit()


def shape_text(values: Any) -> str:
    shape = shape_of(values)
    if not shape:
        return "a number"
    if len(shape) == 1:
        return f"a vector of {shape[0]}"
    return f"a {'×'.join(map(str, shape))} matrix"


def read_numeric(text: str) -> Reading:
    """A number or an array of numbers (``3``, ``-7/4``, ``-log 4``, ``[1, 2]``, ``1 2; 3 4``)."""
    t = _check_text(text)
    tree = Parser(t, list_mode=True).parse_rows()
    value = _evaluate_tree(tree)
    _check_rectangular(value)
    shown = _shown_tree(tree)
    if isinstance(value, list):
        shown = f"{shown} ({shape_text(value)})"
    return Reading(value, shown)


def read_scalar_first(text: str) -> Reading:
    """A single number, read with implicit products (``-2 ln 2``); if that fails, a list of
    numbers (``7 11 19``: per-stage answers, or a shape error to explain)."""
    t = _check_text(text)
    try:
        node = Parser(t).parse_scalar()
    except AnswerError as first:
        try:
            reading = read_numeric(t)
        except AnswerError:
            raise first from None
        if isinstance(reading.value, list):
            return reading
        raise first from None
    value = evaluate(node)
    return Reading(value, _shown_number(node, value))


def read_expression(text: str, symbols: tuple[str, ...]) -> Reading:
    """An expression in the question's variables with implicit multiplication (``2x(1 - x)``)."""
    t = _check_text(text)
    node = Parser(t, symbols=symbols).parse_scalar()
    return Reading(node, to_text(node))


def read_choice(text: str, options: list[str]) -> Reading:
    """An option letter (``b``, ``B``, ``b)``, ``(b)``) or the text of an option."""
    t = _check_text(text)
    letters = "abcdefghijklmnopqrstuvwxyz"[: len(options)]
    last = letters[-1] if letters else "a"
    m = _CHOICE.match(t)
    if m:
        letter = m.group(1).lower()
        if letter not in letters:
            raise AnswerError(
                f"there is no option '{letter}': answer with a letter from a to {last}"
            )
        i = letters.index(letter)
        return Reading(i, f"{letter}) {options[i]}")
    folded = t.casefold()
    for i, option in enumerate(options):
        if option.strip().casefold() == folded:
            return Reading(i, f"{letters[i]}) {option}")
    raise AnswerError(f"could not read '{_short(t)}': answer with a letter from a to {last}")


def read_bool(text: str) -> Reading:
    """``yes``/``no``, ``true``/``false``, ``t``/``f``, ``y``/``n``."""
    t = _check_text(text).lower().rstrip(".!")
    if t in _TRUE:
        return Reading(True, "yes (true)")
    if t in _FALSE:
        return Reading(False, "no (false)")
    raise AnswerError(f"could not read '{_short(t)}': answer yes or no (true/false, t/f)")


def read_words(text: str) -> Reading:
    """A list of words (``left, right, up`` or ``left right up``), e.g. a greedy policy."""
    t = _check_text(text).strip("[]")
    words = [w.strip().strip("'\"") for w in re.split(r"[,;\s]+", t) if w.strip()]
    if not words:
        raise AnswerError("empty answer")
    for w in words:
        if not re.fullmatch(r"[\w.\-+]+", w):
            raise AnswerError(f"could not read '{_short(w)}': expected words separated by commas")
    return Reading(words, "[" + ", ".join(words) + "]")


def to_plain(value: Any) -> Any:
    """Fractions → floats (exact integers stay ints), recursively."""
    if isinstance(value, list):
        return [to_plain(v) for v in value]
    if isinstance(value, Fraction):
        if value.denominator == 1 and value.numerator.bit_length() <= 60:
            return value.numerator
        return _as_float(value)
    return value


def _short(text: str, n: int = 40) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"
