"""``check_derivation``: the first wrong line, correct derivations in several arrangements, the likely
slips, unreadable lines, input bounds and hostile input.

Oracles, independent of the engine: every derivation is written by hand from a known identity, and
each line comes with a hand-written mpmath function of the same quantity. At exact rational points
(mpmath at 50 digits) the consecutive lines of a right derivation agree (evidence for the hand
derivation) and the line asserted wrong differs from the line before (certainly: far above the
rounding), so the asserted index is checked without the engine.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

import mpmath as mp
import pytest

from dlstudy.errors import DlstudyError
from dlstudy.symbolic.derivation import (
    MAX_LINE_LENGTH,
    MAX_LINES,
    MAX_STEPS,
    DerivationError,
    check_derivation,
    expression_text,
)

mp.mp.dps = 50
POINTS = [Fraction(1, 3), Fraction(-1, 2), Fraction(2, 5), Fraction(5, 4), Fraction(-3, 7)]


def sig(t):
    return 1 / (1 + mp.exp(-t))


def _mpf(v: Fraction) -> mp.mpf:
    return mp.mpf(v.numerator) / v.denominator


def _points(n: int, positive: bool) -> list[tuple[mp.mpf, ...]]:
    """Five exact rational points for ``n`` symbols (positive ones where logs need it)."""
    out = []
    for j in range(len(POINTS)):
        row = [POINTS[(j + 2 * r) % len(POINTS)] for r in range(n)]
        out.append(tuple(_mpf(abs(v) if positive else v) for v in row))
    return out


def _oracle_first_wrong(fns: list[Callable[..., object]], names: str, positive: bool = False):
    """The 1-based index of the first line whose hand-written value differs from the line before
    at one of the points (mpmath, 50 digits), or ``None``."""
    for i in range(1, len(fns)):
        for args in _points(len(names.split()), positive):
            a, b = fns[i - 1](*args), fns[i](*args)
            if abs(a - b) > mp.mpf(10) ** -30 * (1 + abs(a)):
                return i + 1
    return None


# -- right derivations: (lines, hand-written values of each line, symbols, assumptions) ---------------
SIGMA_PRIME = [
    ("diff(sigmoid(x), x)", lambda x: mp.exp(-x) / (1 + mp.exp(-x)) ** 2),
    ("= diff(1/(1 + exp(-x)), x)", lambda x: mp.exp(-x) / (1 + mp.exp(-x)) ** 2),
    ("exp(-x)/(1 + exp(-x))**2   # quotient rule", lambda x: mp.exp(-x) / (1 + mp.exp(-x)) ** 2),
    ("sigmoid(x)*(1 - sigmoid(x))", lambda x: sig(x) * (1 - sig(x))),
]
SIGMA_RELATIONS = [
    (
        "diff(sigmoid(x), x) = exp(-x)/(1 + exp(-x))**2",
        lambda x: mp.exp(-x) / (1 + mp.exp(-x)) ** 2,
    ),
    ("exp(-x)/(1 + exp(-x))**2 == sigmoid(x)*(1 - sigmoid(x))", lambda x: sig(x) * (1 - sig(x))),
    ("= sigmoid(x) - sigmoid(x)**2", lambda x: sig(x) - sig(x) ** 2),
]
BCE = [
    (
        "diff(-(y*log(sigmoid(z)) + (1 - y)*log(1 - sigmoid(z))), z)",
        lambda y, z: sig(z) - y,  # d/dz of the BCE of a logit, by hand
    ),
    (
        "-(y*(1 - sigmoid(z)) - (1 - y)*sigmoid(z))",
        lambda y, z: -(y * (1 - sig(z)) - (1 - y) * sig(z)),
    ),
    ("-y + y*sigmoid(z) + sigmoid(z) - y*sigmoid(z)", lambda y, z: -y + sig(z)),
    ("sigmoid(z) - y", lambda y, z: sig(z) - y),
]


def kl(m1, m2, s1, s2):
    """KL(N(m1, s1²) ‖ N(m2, s2²)), the closed form."""
    return mp.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - mp.mpf(1) / 2


GAUSS_KL = [
    ("log(s2/s1) + (s1**2 + (m1 - m2)**2)/(2*s2**2) - 1/2", kl),
    ("log(s2) - log(s1) + s1**2/(2*s2**2) + (m1 - m2)**2/(2*s2**2) - 1/2", kl),
    ("(2*s2**2*log(s2/s1) + s1**2 + (m1 - m2)**2 - s2**2)/(2*s2**2)", kl),
]
KL_ASSUME = ["s1 > 0", "s2 > 0"]


@pytest.mark.parametrize(
    "lines, names, assume",
    [
        (SIGMA_PRIME, "x", []),
        (SIGMA_RELATIONS, "x", []),
        (BCE, "y z", []),
        (GAUSS_KL, "m1 m2 s1 s2", KL_ASSUME),
    ],
    ids=["sigma-quotient-rule", "sigma-relations", "bce-gradient", "gaussian-kl"],
)
def test_right_derivations_are_proven_step_by_step(lines, names, assume):
    fns = [f for _, f in lines]
    assert _oracle_first_wrong(fns, names, positive=bool(assume)) is None  # the hand derivation
    d = check_derivation(["# a comment", "", *[t for t, _ in lines]], assume=assume)
    assert [s.status for s in d.steps] == ["equivalent"] * len(lines)
    assert d.first_wrong is None and d.exit_code == 0
    assert [s.line for s in d.steps] == list(range(3, 3 + len(lines)))  # numbered in the input


def test_gaussian_kl_without_the_positivity_premise_is_not_proven():
    # a premise control: log(s2/s1) = log s2 - log s1 needs s1, s2 > 0; without it no proof
    d = check_derivation([t for t, _ in GAUSS_KL[:2]], cpu_seconds=3)
    assert d.steps[1].status != "equivalent"


# -- wrong derivations: the index asserted, the slip recognised ----------------------------------
def _wrong_cases():
    s = sig
    return [
        # (id, lines with values, symbols, assumptions, first wrong index, words in the slip)
        (
            "sign",
            [
                ("diff(sigmoid(x), x)", lambda x: s(x) * (1 - s(x))),
                ("-exp(-x)/(1 + exp(-x))**2", lambda x: -mp.exp(-x) / (1 + mp.exp(-x)) ** 2),
            ],
            "x",
            [],
            2,
            ["a sign", "minus line 1"],
        ),
        (
            "sign-inside",
            [
                ("diff(sigmoid(x), x)", lambda x: s(x) * (1 - s(x))),
                ("exp(-x)/(1 + exp(-x))**2", lambda x: s(x) * (1 - s(x))),
                ("sigmoid(x)*(1 + sigmoid(x))", lambda x: s(x) * (1 + s(x))),
            ],
            "x",
            [],
            3,
            ["a sign", "sigmoid(x) should have the opposite sign"],
        ),
        (
            "sign-inside, written with σ as the notes do: the slip says σ too",
            [
                ("exp(-x)/(1 + exp(-x))**2", lambda x: s(x) * (1 - s(x))),
                ("σ(x)*(1 + σ(x))", lambda x: s(x) * (1 + s(x))),
            ],
            "x",
            [],
            2,
            ["a sign", "the term σ(x) should have the opposite sign"],
        ),
        (
            "chain-rule",
            [
                ("diff(sigmoid(w*x), x)", lambda w, x: w * s(w * x) * (1 - s(w * x))),
                ("sigmoid(w*x)*(1 - sigmoid(w*x))", lambda w, x: s(w * x) * (1 - s(w * x))),
            ],
            "w x",
            [],
            2,
            ["chain-rule", "d(w*x)/dx = w"],
        ),
        (
            "chain-rule-constant",
            [
                ("diff(log(1 + exp(2*x)), x)", lambda x: 2 * mp.exp(2 * x) / (1 + mp.exp(2 * x))),
                ("exp(2*x)/(1 + exp(2*x))", lambda x: mp.exp(2 * x) / (1 + mp.exp(2 * x))),
            ],
            "x",
            [],
            2,
            ["chain-rule", "d(2*x)/dx = 2"],
        ),
        (
            "missing-half",
            [
                ("diff((y - w*x)**2/2, w)", lambda w, x, y: -(y - w * x) * x),
                ("-2*(y - w*x)*x", lambda w, x, y: -2 * (y - w * x) * x),
            ],
            "w x y",
            [],
            2,
            ["missing factor 1/2", "2 × line 1"],
        ),
        (
            "missing-factor-2",
            [
                ("diff(w**2, w)", lambda w: 2 * w),
                ("w", lambda w: w),
            ],
            "w",
            [],
            2,
            ["missing factor 2", "half of line 1"],
        ),
        (
            "swapped-distributions",
            [
                (GAUSS_KL[0][0], kl),
                (
                    "log(s1/s2) + (s2**2 + (m2 - m1)**2)/(2*s1**2) - 1/2",
                    lambda m1, m2, s1, s2: kl(m2, m1, s2, s1),
                ),
            ],
            "m1 m2 s1 s2",
            KL_ASSUME,
            2,
            ["swapped arguments", "m1 and m2, s1 and s2"],
        ),
        (
            "swapped-pair",
            [
                (
                    "y*log(p) + (1 - y)*log(1 - p)",
                    lambda p, y: y * mp.log(p) + (1 - y) * mp.log(1 - p),
                ),
                (
                    "p*log(y) + (1 - p)*log(1 - y)",
                    lambda p, y: p * mp.log(y) + (1 - p) * mp.log(1 - y),
                ),
            ],
            "p y",
            [],
            2,
            ["swapped arguments", "p and y"],
        ),
        (
            "dropped-product-rule-term",
            [
                ("diff(x*exp(x), x)", lambda x: mp.exp(x) + x * mp.exp(x)),
                ("x*exp(x)", lambda x: x * mp.exp(x)),
            ],
            "x",
            [],
            2,
            ["a dropped term", "exp(x)"],
        ),
        (
            "upside-down",
            [
                ("diff(log(x), x)", lambda x: 1 / x),
                ("x", lambda x: x),
            ],
            "x",
            ["x > 0"],
            2,
            ["numerator and denominator swapped"],
        ),
    ]


@pytest.mark.parametrize("case", _wrong_cases(), ids=lambda c: c[0])
def test_the_first_wrong_line_and_its_slip(case):
    _, lines, names, assume, index, words = case
    # the oracle: the hand-written values differ first at the asserted line
    fns = [f for _, f in lines]
    assert _oracle_first_wrong(fns, names, positive=bool(assume)) == index
    d = check_derivation([t for t, _ in lines], assume=assume)
    assert d.first_wrong == index and d.exit_code == 1
    step = d.steps[index - 1]
    assert step.status == "not-equivalent"
    for w in words:
        assert w in (step.slip or ""), step.slip
    assert step.counterexample["slip"] == step.slip


def test_the_counterexample_is_certain_at_its_point():
    # line 2 = -(line 1): at the engine's point, the two hand-written values must differ as reported
    d = check_derivation(["diff(sigmoid(x), x)", "-exp(-x)/(1 + exp(-x))**2"])
    ce = d.steps[1].counterexample
    x = _mpf(Fraction(ce["values"]["x"]))
    assert mp.almosteq(mp.mpf(ce["lhs"]), sig(x) * (1 - sig(x)), 1e-13)
    assert mp.almosteq(mp.mpf(ce["rhs"]), -sig(x) * (1 - sig(x)), 1e-13)
    assert ce["compared"] == "previous line"


def test_steps_after_a_wrong_one_are_checked_against_it():
    lines = ["x**2 + 2*x + 1", "(x + 1)**2", "(x - 1)**2", "x**2 - 2*x + 1"]
    # by hand: (x+1)^2 = x^2+2x+1; (x-1)^2 differs from it (at x = 1: 4 vs 0); (x-1)^2 = x^2-2x+1
    d = check_derivation(lines)
    assert [s.status for s in d.steps] == [
        "equivalent",
        "equivalent",
        "not-equivalent",
        "equivalent",
    ]
    assert d.first_wrong == 3
    assert d.steps[3].slip is None  # only the first wrong step gets a slip


def test_a_relation_is_checked_as_an_equation():
    d = check_derivation(["diff(tanh(x), x) = 1 + tanh(x)**2"])  # by hand: 1 - tanh², not +
    assert d.first_wrong == 1 and d.steps[0].compared == "the two sides"
    assert "right side" in (d.steps[0].slip or "")
    # its left side against the line before: x² is not 2x = 2x
    d = check_derivation(["x**2", "2*x = 2*x"])
    assert d.first_wrong == 2 and d.steps[1].compared == "previous line"
    # the right side is carried on
    d = check_derivation(["diff(x**3, x) = 3*x**2", "= 3*x*x"])
    assert d.first_wrong is None and [s.relation for s in d.steps] == [True, False]


def test_json_contract():
    d = check_derivation(["# start", "diff(x**3, x)", "3*x**2", "", "3*x**3"])
    out = d.to_json()
    assert set(out) == {"steps", "first_wrong"}
    assert out["first_wrong"] == 3
    for step in out["steps"]:
        assert set(step) == {"line", "text", "status", "counterexample"}
    assert [s["line"] for s in out["steps"]] == [2, 3, 5]
    assert out["steps"][0] == {
        "line": 2,
        "text": "diff(x**3, x)",
        "status": "equivalent",
        "counterexample": None,
    }
    ce = out["steps"][2]["counterexample"]
    assert {"values", "lhs", "rhs", "difference", "exact", "compared", "slip"} <= set(ce)
    # by hand at the reported point: 3x² vs 3x³
    x = Fraction(ce["values"]["x"])
    assert Fraction(ce["lhs"]) == 3 * x**2 and Fraction(ce["rhs"]) == 3 * x**3


@pytest.mark.parametrize(
    "lines, line, column, words",
    [
        (["x + 1", "= (x + 1"], 2, 9, "expected ')'"),
        (["x", "", "  sin(x) + @"], 3, 12, "unexpected character '@'"),
        (["x", "foo(x)"], 2, 1, "unknown function 'foo'"),
        (["a = b = c"], 1, 7, "one '=='"),
        (["x", "="], 2, 2, "expected an expression"),
        (["x", "2 ** 9**9**9"], 2, 7, "exponent too large"),
    ],
)
def test_an_unreadable_line_names_its_line_and_column(lines, line, column, words):
    with pytest.raises(DlstudyError) as info:
        check_derivation(lines)
    exc = info.value
    assert isinstance(exc, DerivationError)
    assert (exc.line, exc.column) == (line, column)
    assert exc.message.startswith(f"line {line}, column {column}: ") and words in exc.message
    assert "\n" not in exc.message


def test_input_bounds_name_the_limit():
    with pytest.raises(DlstudyError, match=f"at most {MAX_LINE_LENGTH}"):
        check_derivation(["x", "x" + " + x" * MAX_LINE_LENGTH])
    with pytest.raises(DlstudyError, match=f"at most {MAX_LINES}"):
        check_derivation(["x"] * (MAX_LINES + 1))
    with pytest.raises(DlstudyError, match=f"at most {MAX_STEPS}"):
        check_derivation(["x"] * (MAX_STEPS + 1))


def test_bad_options():
    for t in (0, -1, float("nan"), float("inf"), 601):
        with pytest.raises(DlstudyError, match="--timeout"):
            check_derivation(["x"], cpu_seconds=t)
    with pytest.raises(DlstudyError, match="--assume"):
        check_derivation(["x"], assume=["x is big"])


def test_expression_text():
    assert expression_text("  # only a comment") is None
    assert expression_text("   ") is None
    assert expression_text("= x + 1  # why") == "  x + 1"  # positions kept for the column
    assert expression_text("== x") == "   x"
    assert expression_text("a = b") == "a = b"


@pytest.mark.parametrize(
    "hostile",
    ["Abs(sin(exp(exp(20))))", "x**exp(exp(exp(exp(10))))", "sin(exp(exp(exp(9))))"],
)
def test_hostile_lines_end_within_the_cpu_limit(hostile):
    from tests.limits import run_limited

    body = f"""
d = check_derivation(["x", {hostile!r}, "{hostile} = 1"], cpu_seconds=1)
print([s.status for s in d.steps])
assert all(s.status != "not-equivalent" or s.counterexample for s in d.steps)
"""
    # the whole check, forks included, under a CPU limit far above the 3 x 1 s budget
    p = run_limited(
        "from dlstudy.symbolic.derivation import check_derivation", body, cpu_seconds=60
    )
    assert p.returncode == 0, p.stderr[-2000:]


def test_a_huge_power_is_refused_as_unreadable():
    with pytest.raises(DlstudyError, match="line 2, column 5: exponent too large"):
        check_derivation(["x", "9**9**9**9"])
