"""Read a typed answer according to the kind of question, and say how it was read.

Every reader returns a :class:`Reading` (the value and the text shown as "read as: ...") or raises
:class:`~dlstudy.answers.expr_syntax.AnswerError` explaining what was expected and where it went
wrong.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from decimal import Decimal
from fractions import Fraction
from typing import Any

from dlstudy.answers.expr import Number, _as_float, evaluate, format_value, has_float, to_text
from dlstudy.answers.expr_syntax import (
    MAX_CHARS,
    AnswerError,
    Node,
    Parser,
    _is_integer_literal,
    visible,
)
from dlstudy.answers.precision import Written, written
from dlstudy.errors import caret
from dlstudy.grading import shape_of

_TRUE = ("yes", "y", "true", "t", "1", "correct", "right")
_FALSE = ("no", "n", "false", "f", "0", "incorrect", "wrong")
_CHOICE = re.compile(r"\(?\s*([A-Za-z])\s*[).:]?\s*\Z")


@dataclass
class Reading:
    """``value``: a number (Fraction or float), nested lists of numbers, a :class:`Node`
    (expressions), an option index (choices), a bool, or a list of words. ``shown``: how the
    input was read, in readable unicode. ``digits``: for numbers, the same nesting as ``value`` with
    how precisely each entry was written (:class:`~dlstudy.answers.precision.Written`, or ``None``
    for an exact form such as ``1/3`` or ``ln 2``)."""

    value: Any
    shown: str
    digits: Any = None

    @property
    def read_as(self) -> str:
        return f"read as: {self.shown}"


def _check_text(text: str) -> str:
    if not isinstance(text, str):
        raise AnswerError("the answer must be text")
    if len(text) > MAX_CHARS:
        raise AnswerError(f"answer too long ({len(text)} characters; at most {MAX_CHARS})")
    for i, ch in enumerate(text):
        if ch not in "\n\t" and unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs", "Zl", "Zp"):
            name = "a NUL character" if ch == "\x00" else f"a control character ({visible(ch)})"
            raise AnswerError(
                f"the answer contains {name} at position {i + 1}: retype it",
                caret(visible(text), len(visible(text[:i]))),
            )
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
    if node.op == "num" and text.endswith("%"):
        w = written(text)
        if w is not None and 0 <= w.dp <= 30:
            decimal = Decimal(w.value.numerator) / Decimal(w.value.denominator)
            return f"{text} = {decimal:.{w.dp}f}"
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


def node_digits(node: Node) -> Written | None:
    """How precisely a plain number was written (``-0.33`` → 2 significant digits), or ``None`` for
    anything else (``1/3``, ``ln 2``, ``2·0.5``: exact forms, judged by value only)."""
    if node.op == "neg":
        inner = node_digits(node.args[0])
        return None if inner is None else replace(inner, value=-inner.value)
    if node.op == "num":
        return written(node.text)
    return None


def _digits_tree(tree: Any) -> Any:
    if isinstance(tree, Node):
        return node_digits(tree)
    return [_digits_tree(t) for t in tree]


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
    return Reading(value, shown, _digits_tree(tree))


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
    return Reading(value, _shown_number(node, value), node_digits(node))


# -- the notations of a numeric answer ------------------------------------------------------------

#: ``x = -0.8``, ``V(s1) = 1.2``, ``δ[3, 3] = 2``, ``h_2 = …``: a name the value is given for.
_LABEL = re.compile(
    r"\s*([^\W\d][\w′'⁰¹²³⁴⁵⁶⁷⁸⁹₀₁₂₃₄₅₆₇₈₉^*]*(?:\s*[(\[][^()\[\]=]*[)\]])?)\s*=(?!=)\s*(.*)\Z",
    re.DOTALL,
)
#: ``7×7``, ``4x4``, ``4 X 4``, ``4 by 4``, ``3×5×2``: dimensions.
_DIMS = re.compile(r"\d+(?:\s*(?:×|x|X|by)\s*\d+)+\Z")
_DIM_SEP = re.compile(r"\s*(?:×|x|X|by)\s*")
#: ``42,496``, ``42 496``, ``42_496`` (groups of three digits), optionally with decimals.
_GROUPED = re.compile(r"([+-]?)(\d{1,3}(?:([,_ \u00a0\u202f])\d{3})(?:\3\d{3})*)(\.\d+)?\Z")
_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+\Z")


def strip_label(text: str) -> tuple[str, str]:
    """``"x = -0.8"`` → (``"-0.8"``, ``"x"``); text without a leading ``name =`` is unchanged."""
    m = _LABEL.match(text)
    if m and m.group(2).strip():
        return m.group(2).strip(), m.group(1).strip()
    return text, ""


def read_numeric_answer(
    text: str,
    shape: tuple[int, ...] = (),
    *,
    integer: bool = False,
    size: bool = False,
    stages: int = 0,
) -> Reading:
    """A numeric answer to a question whose answer has ``shape`` (``()`` for one number), in the
    notations a student uses: ``x = -0.8``, ``30%``, ``(0.15, 0.05)``, ``3/2 ln 2``; ``3×5``, ``3x5``,
    ``3 by 5`` for a shape (``shape == (2,)``) or, when ``size``, for a square size (``7×7`` is 7);
    thousands separators ``42,496``, ``42 496``, ``42_496`` where one number is expected (commas
    only for an integer). A decimal comma (``0,5``) where one number is expected is asked about,
    never guessed. ``stages``: how many per-stage values the question also accepts."""
    t = _check_text(text)
    body, label = strip_label(t)
    reading = _read_notation(body, shape, integer, size, stages)
    if label:
        reading.shown = f"{visible(label)} = {reading.shown}"
    return reading


def _read_notation(
    body: str, shape: tuple[int, ...], integer: bool, size: bool, stages: int
) -> Reading:
    scalar = shape == ()
    if _DIMS.match(body) and (scalar or shape == (2,) or len(shape) == 1):
        dims = [int(d) for d in _DIM_SEP.split(body)]
        shown = "×".join(map(str, dims))
        if scalar and size:
            if len(set(dims)) == 1:
                return Reading(Fraction(dims[0]), f"{shown} (side {dims[0]})", None)
            return Reading([Fraction(d) for d in dims], f"{shown} (not square)", [None] * len(dims))
        if scalar:  # 4x4 = 16: a product
            product = 1
            for d in dims:
                product *= d
            if product.bit_length() > 2000:
                raise AnswerError("number too large")
            return Reading(Fraction(product), f"{shown} = {product}", None)
        return Reading([Fraction(d) for d in dims], f"{shown} = {dims}", [None] * len(dims))
    if scalar:
        grouped = _GROUPED.match(body)
        if grouped and (grouped.group(3) != "," or integer):
            groups = len(re.split(r"[,_ \u00a0\u202f]", grouped.group(2)))
            if not (stages and groups == stages and grouped.group(3) != "_"):
                number = grouped.group(1) + grouped.group(2).replace(grouped.group(3), "")
                number += grouped.group(4) or ""
                node = Parser(number).parse_scalar()
                value = evaluate(node)
                return Reading(value, f"{number.replace('-', '−')}", node_digits(node))
        if _DECIMAL_COMMA.match(body) and stages != 2:
            whole, _, frac = body.partition(",")
            options = f"{whole}.{frac} (the decimal point is '.')"
            if len(frac) == 3 and whole.lstrip("+-"):
                options += f" or {whole}{frac} (no thousands separator)"
            raise AnswerError(
                f"'{body}': is the comma a decimal comma? This question expects one number: "
                f"write {options}"
            )
    reading = read_scalar_first(body) if scalar else read_numeric(body)
    if not scalar and re.search(r"\d,\d", body) and shape_of(reading.value) != shape:
        _ask_about_commas(body, shape)
    if scalar and size and _is_square(reading.value):
        n = reading.value[0]
        return Reading(
            n, f"{reading.shown.removesuffix(f' ({shape_text(reading.value)})')} (side {n})"
        )
    return reading


def _ask_about_commas(body: str, shape: tuple[int, ...]) -> None:
    """``0,5 0,25`` for a two-entry answer: decimal commas make it the right size, so ask."""
    points = re.sub(r"(\d),(\d)", r"\1.\2", body)
    try:
        alternative = read_numeric(points)
    except AnswerError:
        return
    if shape_of(alternative.value) == shape:
        raise AnswerError(
            f"are the commas in '{visible(_short(body))}' decimal commas? Write decimals with '.' "
            f"({visible(_short(points))}) and separate entries with ', ' or spaces"
        )


def _is_square(value: Any) -> bool:
    """``[4, 4]`` (or ``[4, 4, 4]``): the sides of a square (cube) size."""
    return (
        isinstance(value, list)
        and len(value) in (2, 3)
        and all(isinstance(v, Fraction) and v.denominator == 1 and v > 0 for v in value)
        and len(set(value)) == 1
    )


def read_expression(text: str, symbols: tuple[str, ...]) -> Reading:
    """An expression in the question's variables with implicit multiplication (``2x(1 - x)``); a
    leading ``f'(x) =`` is dropped."""
    t = _check_text(text)
    body, label = strip_label(t)
    if label in symbols:  # "x = 2" in a question about x is not a label
        body = t
    node = Parser(body, symbols=symbols).parse_scalar()
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
    text = visible(text)
    return text if len(text) <= n else text[: n - 1] + "…"
