"""What a template promises the grader (issue 13 and 21): parameter names and references, the
precision field, and wrong methods that can be told from the answer.

* A parameter name is a non-empty ASCII identifier (``c_in``, ``W1``), usable as ``{name}`` in text,
  ``$name`` in arguments and a variable in ``require``; ``len_`` is reserved for ``len(name)``.
* ``"$name"`` / ``"$name.key"`` (a key of a table parameter) are the only references: an attribute-like
  ``$input.__class__`` is a load problem naming the template and field.
* ``precision = "exact" | { sig = N } | { dp = N }`` (:mod:`dlstudy.answers.precision`).
* A wrong-method answer within the answer's tolerance, as computed or rounded as the precision asks,
  cannot be told from the answer: the build draws another sample and ``bank lint`` reports it.
"""

from __future__ import annotations

import re
from typing import Any

from dlstudy import grading
from dlstudy.answers.expr_syntax import visible
from dlstudy.answers.grade import KINDS
from dlstudy.answers.precision import (
    EXACT,
    NOISE,
    Precision,
    parse_precision,
    rounded,
    within,
)

NUMERIC_KINDS = ("number", "integer", "vector", "matrix")
_PARAM = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)*\Z")
_REF = re.compile(r"\$([A-Za-z][A-Za-z0-9_]*)(?:\.([A-Za-z0-9][A-Za-z0-9_\-]*))?\Z")
PARAM_NAME_RULE = (
    "a parameter name is a non-empty identifier of ASCII letters, digits and single '_' "
    "(e.g. c_in, W1), not starting with len_"
)


def is_param_name(name: Any) -> bool:
    return isinstance(name, str) and bool(_PARAM.match(name)) and not name.startswith("len_")


def shown_name(name: Any) -> str:
    """A name as shown in a problem line: quoted, control characters escaped."""
    return repr(visible(name)) if isinstance(name, str) else repr(name)


def bad_refs(value: Any, tables: bool = True) -> list[str]:
    """Problems with the ``"$name"`` / ``"$name.key"`` references inside ``value`` (attribute-like
    references such as ``$input.__class__`` are not parameters). ``tables``: look inside tables too
    (answer arguments do; generator fields do not)."""
    if isinstance(value, dict) and tables:
        return [p for v in value.values() for p in bad_refs(v)]
    if isinstance(value, list):
        return [p for v in value for p in bad_refs(v, tables)]
    if isinstance(value, str) and value.startswith("$"):
        m = _REF.match(value)
        if m is None or (m.group(2) or "").startswith("_"):
            return [
                f"{shown_name(value)} is not a parameter reference: write $name, or $name.key "
                "for a key of a table parameter"
            ]
    return []


def parse_precision_field(raw: dict[str, Any], kind: Any, bad: Any) -> Precision | None:
    """The template's ``precision`` (``None``: the bank default); problems go to ``bad``."""
    if "precision" not in raw or kind not in KINDS:
        return None
    if kind not in NUMERIC_KINDS:
        bad("precision", f"only numeric answers have a precision (this one is {kind})")
        return None
    try:
        precision = parse_precision(raw["precision"])
    except ValueError as exc:
        bad("precision", str(exc))
        return None
    if kind == "integer" and precision != EXACT:
        bad("precision", 'an integer answer is exact: remove it or write precision = "exact"')
        return None
    return precision


def inside_tolerance(precision: Precision, mistake: Any, answer: Any) -> bool:
    """Whether the wrong-method answer ``mistake``, as computed or correctly rounded at
    ``precision`` (what a student making it types), lies within the tolerance of ``answer``."""

    def close(m: float, a: float) -> bool:
        return within(precision, a, m) or within(precision, a, float(rounded(m, precision)))

    return grading.matches(mistake, answer, 0, 0, compare=close)


def same_value(a: Any, b: Any) -> bool:
    return grading.matches(a, b, NOISE, NOISE)


def mistakes_inside(
    precision: Precision, mistakes: list[tuple[str, Any]], answer: Any
) -> list[tuple[str, Any]]:
    """The ``(name, value)`` wrong-method answers that differ from ``answer`` by more than float
    noise yet lie within its tolerance: a student making that mistake would be graded right."""
    return [
        (name, value)
        for name, value in mistakes
        if inside_tolerance(precision, value, answer) and not same_value(value, answer)
    ]
