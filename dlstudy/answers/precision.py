"""The precision contract of a numeric answer: what the prompt asks for and what the grader accepts.

A :class:`Precision` is one of

* ``exact``: the exact value (integers, exact fractions, closed forms); accepted within float noise
  (:data:`NOISE` relative; :data:`NOISE` absolute around 0);
* ``sig`` N: N significant figures;
* ``dp`` N: N decimal places.

The rule, as STACK's NumSigFigs and PrairieLearn's sig-fig grading: the correctly rounded value is right;
more digits are judged by value; an answer more than one unit off in the last required digit of the
expected value is wrong (:func:`tolerance` is that unit, around the expected value, relative for ``sig``).
An exact form (``1/3``, ``ln 4``) is judged by its value, so it is always right when it is the answer.
A plain number written with fewer digits than asked, which is the answer correctly rounded to the digits
it has (``0.33`` for 1/3 when 3 significant figures are asked), is not counted: the student is asked
again (:func:`too_few_digits`).

Bank-wide defaults (:func:`default_precision`): integers exact, other numbers 3 significant figures.
In a template: ``precision = "exact"``, ``precision = { sig = 3 }`` or ``precision = { dp = 2 }``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

#: Relative float noise of a reference value (and the absolute floor near 0).
NOISE = 1e-9
#: Expected values smaller than this are float noise around 0.
ZERO = 1e-12
MAX_DIGITS = 15
KINDS = ("exact", "sig", "dp")


@dataclass(frozen=True)
class Precision:
    """``kind``: ``exact`` | ``sig`` | ``dp``; ``digits``: N for ``sig`` and ``dp`` (else ``None``)."""

    kind: str = "exact"
    digits: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(
                f"precision kind: expected one of {', '.join(KINDS)}, got {self.kind!r}"
            )
        if self.kind == "exact":
            if self.digits is not None:
                raise ValueError("an exact precision has no digits")
            return
        low = 1 if self.kind == "sig" else 0
        if (
            isinstance(self.digits, bool)
            or not isinstance(self.digits, int)
            or not low <= self.digits <= MAX_DIGITS
        ):
            raise ValueError(
                f"{self.kind} = N: expected an integer N from {low} to {MAX_DIGITS}, got {self.digits!r}"
            )

    @property
    def words(self) -> str:
        """``exact``, ``3 significant figures``, ``2 decimal places``."""
        if self.kind == "exact":
            return "exact"
        n = self.digits
        unit = "significant figure" if self.kind == "sig" else "decimal place"
        return f"{n} {unit}{'s' if n != 1 else ''}"

    def describe(self) -> str:
        """The sentence the prompt ends with: ``Give 3 significant figures.``"""
        if self.kind == "exact":
            return "Give the exact value."
        if self.kind == "dp" and self.digits == 0:
            return "Round to a whole number."
        return f"Give {self.words}."

    def ask(self) -> str:
        """What a student who gave too few digits is told: ``give 3 significant figures``."""
        if self.kind == "exact":
            return "give the exact value (a fraction such as 1/3, or a form such as ln 2)"
        if self.kind == "dp" and self.digits == 0:
            return "round to a whole number"
        return f"give {self.words}"

    def to_json(self) -> dict[str, Any]:
        """``{"kind": "exact"}`` | ``{"kind": "sig", "digits": N}`` | ``{"kind": "dp", "digits": N}``."""
        if self.kind == "exact":
            return {"kind": "exact"}
        return {"kind": self.kind, "digits": self.digits}


EXACT = Precision("exact")
DEFAULT_SIG = Precision("sig", 3)


def default_precision(kind: str) -> Precision:
    """The bank-wide default: integers exact, every other number 3 significant figures."""
    return EXACT if kind == "integer" else DEFAULT_SIG


def parse_precision(raw: Any) -> Precision:
    """The TOML field: ``"exact"``, ``{ sig = N }`` or ``{ dp = N }``. Raises ``ValueError``."""
    if raw == "exact":
        return EXACT
    if isinstance(raw, dict) and len(raw) == 1:
        ((key, value),) = raw.items()
        if key in ("sig", "dp"):
            return Precision(key, value)
    raise ValueError(f'expected "exact", {{ sig = 3 }} or {{ dp = 2 }}, got {raw!r}')


def _exponent(x: float) -> int:
    """The power of ten of the leading digit of ``x`` (exact, via :class:`decimal.Decimal`)."""
    return Decimal(abs(x)).adjusted()


def noise(expected: float) -> float:
    """Float noise around ``expected``: relative, with an absolute floor at 0."""
    x = abs(float(expected))
    return NOISE * x if x >= ZERO else NOISE


def tolerance(precision: Precision, expected: float) -> float:
    """The accepted absolute tolerance around ``expected`` (a half-width: answers within it are right).

    ``exact``: float noise; ``sig`` N: one unit in the N-th significant digit of ``expected``; ``dp`` N:
    ``10^-N``. Usable without a student answer (e.g. a Moodle ``numerical`` tolerance)."""
    x = float(expected)
    if not math.isfinite(x):
        return 0.0
    floor = noise(x)
    if precision.kind == "exact" or (precision.kind == "sig" and abs(x) < ZERO):
        return floor
    assert precision.digits is not None
    if precision.kind == "sig":
        unit = 10.0 ** (_exponent(x) - precision.digits + 1)
    else:
        unit = 10.0 ** (-precision.digits)
    return max(unit, floor)


def within(precision: Precision, expected: float, given: float) -> bool:
    """``|given − expected| <= tolerance`` (with a hair of slack for binary floating point)."""
    e, g = float(expected), float(given)
    if math.isinf(e) or math.isinf(g):
        return e == g
    if math.isnan(e) or math.isnan(g):
        return False
    return abs(g - e) <= tolerance(precision, e) * (1 + 1e-9)


def rounded(x: float, precision: Precision) -> str:
    """``x`` correctly rounded (half up) at ``precision`` as plain text (``0.333``, ``-1.39``,
    ``10.0``); ``exact`` gives the shortest text of the float."""
    if precision.kind == "exact":
        return str(int(x)) if float(x).is_integer() else repr(float(x))
    assert precision.digits is not None
    d = Decimal(repr(float(x)))
    if precision.kind == "dp":
        q = Decimal(1).scaleb(-precision.digits)
    elif abs(x) < ZERO:
        return "0"
    else:
        q = Decimal(1).scaleb(d.adjusted() - precision.digits + 1)
        if d.quantize(q, ROUND_HALF_UP).adjusted() != d.adjusted():  # 9.996 → 10.0
            q = q.scaleb(1)
    r = d.quantize(q, ROUND_HALF_UP)
    return format(abs(r) if r == 0 else r, "f")


# -- how precisely a number was written ------------------------------------------------------------


@dataclass(frozen=True)
class Written:
    """The digits of a typed number: ``sig`` significant digits, ``dp`` decimal places (negative for
    ``1.2e3``), ``value`` the exact value. The trailing zeros of an integer count (``180`` has 3
    figures): asked for 3 figures, a student who writes 180 means 180, not 1.8e2. Only the "too few
    digits" question reads them: an answer within the tolerance is right however it is written."""

    sig: int
    dp: int
    value: Fraction

    @property
    def unit(self) -> Fraction:
        """The place value of the last digit written (``0.33`` → 1/100)."""
        return Fraction(10) ** (-self.dp)


_LITERAL = re.compile(r"(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?(%?)\Z")


def written(literal: str) -> Written | None:
    """The digits of one number literal as typed (``0.0330`` → 3 significant, 4 decimals; ``30%`` →
    2 significant, 2 decimals); ``None`` if ``literal`` is not a plain number."""
    text = literal.strip()
    negative = text[:1] in ("-", "−")
    m = _LITERAL.match(text.lstrip("+-−"))
    if not m or not (m.group(1) or m.group(2)):
        return None
    whole, frac, exponent, percent = m.group(1), m.group(2) or "", m.group(3), m.group(4)
    try:
        shift = int(exponent or "0") - (2 if percent else 0)
    except ValueError:
        return None
    if abs(shift) > 400:
        return None
    digits = (whole + frac).lstrip("0")
    value = Fraction(int(whole + frac or "0"), 10 ** len(frac)) * Fraction(10) ** shift
    value = -value if negative else value
    return Written(sig=len(digits), dp=len(frac) - shift, value=value)


def too_few_digits(precision: Precision, expected: float, given: Written | None) -> bool:
    """Whether ``given`` has fewer digits than ``precision`` asks while being ``expected`` correctly
    rounded to the digits it has (so it is not wrong, only short): then the student is asked again.

    A zero (no significant digit) or an exact form (``given`` is ``None``) is never short."""
    if given is None or given.sig == 0 or not math.isfinite(float(expected)):
        return False
    if precision.kind == "sig":
        short = given.sig < (precision.digits or 0)
    elif precision.kind == "dp":
        short = given.dp < (precision.digits or 0)
    else:
        short = given.dp > 0  # a decimal where the exact value is asked (0.333 for 1/3)
    if not short:
        return False
    # correctly rounded to its own last digit; on a tie either neighbour (half up or half even, and
    # the reference's 3.05 may be the float 3.0499999…)
    half = float(given.unit) / 2
    return abs(float(given.value) - float(expected)) <= half * (1 + 1e-9) + noise(float(expected))
