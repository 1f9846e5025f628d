"""Derivation questions of the bank (``kind = "expression"`` with a ``derivation``).

* the property over the bank: for every expression template and several seeds, the worked
  derivation (and the answer as the last line) is accepted step by step by ``check_derivation``, the
  engine of ``dlstudy derive``; a broken line is caught at its index (premise control);
* arrangements: a student's equivalent but differently written answer gets full marks, proved;
* misconceptions: each is recognised and shown by its description, never by its internal name;
* hostile or odd input is refused or falls back on random points, and says so.

The independent oracles of every template's answer are in ``test_bank_derivation_oracles.py``.
"""

from __future__ import annotations

from functools import cache

import pytest

from dlstudy.answers.expr import to_text
from dlstudy.answers.expr_syntax import AnswerError
from dlstudy.answers.grade import Expected, grade_answer, numerically_equal
from dlstudy.answers.reading import read_expression
from dlstudy.bank.derivation import assumptions, claim_lines, shown
from dlstudy.bank.loader import load_bank

BANK = load_bank([])
EXPRESSION = sorted(t.id for t in BANK.templates.values() if t.kind == "expression")
DEFAULT_SEEDS = (0, 1)
SLOW_SEEDS = tuple(range(10))


def template(tid: str):
    return BANK.templates[tid]


@cache
def derivation_verdict(tid: str, seed: int):
    from dlstudy.symbolic.derivation import check_derivation

    t = template(tid)
    q = t.instantiate(seed)
    lines = [*claim_lines(t.derivation, q.values), q.answer_input]
    return lines, check_derivation(lines, assume=assumptions(t.domain), cpu_seconds=5.0)


def test_the_bank_has_derivation_questions_across_sections() -> None:
    new = [tid for tid in EXPRESSION if tid.startswith("derivations.")]
    sections = {template(tid).section for tid in EXPRESSION}
    assert len(new) >= 30 and len(sections) >= 12
    assert all(
        template(tid).derivation for tid in EXPRESSION
    )  # every one is worked as a derivation


def _assert_accepted(tid: str, seed: int) -> None:
    lines, d = derivation_verdict(tid, seed)
    assert d.first_wrong is None, (tid, seed, lines)
    assert [s.status for s in d.steps] == ["equivalent"] * len(lines), (tid, seed, lines, d.steps)


@pytest.mark.parametrize("tid", EXPRESSION)
def test_every_worked_derivation_is_accepted_by_derive(tid: str) -> None:
    for seed in DEFAULT_SEEDS:
        _assert_accepted(tid, seed)


@pytest.mark.slow
@pytest.mark.parametrize("tid", EXPRESSION)
def test_every_worked_derivation_is_accepted_by_derive_over_ten_seeds(tid: str) -> None:
    for seed in SLOW_SEEDS:
        _assert_accepted(tid, seed)


@pytest.mark.parametrize(
    ("tid", "line"),
    [
        ("derivations.sigmoid-chain", 2),
        ("derivations.gaussian-kl", 1),
        ("derivations.truncated-return", 1),
        ("derivations.two-layer-chain", 1),
    ],
)
def test_a_broken_line_of_a_worked_derivation_is_caught_at_its_index(tid: str, line: int) -> None:
    """Premise control: the property fails when one line of a derivation is wrong (here: doubled),
    and ``first_wrong`` names that line or the next one (both compare with it)."""
    from dlstudy.symbolic.derivation import check_derivation

    t = template(tid)
    q = t.instantiate(0)
    lines = claim_lines(t.derivation, q.values)
    lines[line] = f"2*({lines[line]})"
    d = check_derivation(lines, assume=assumptions(t.domain), cpu_seconds=5.0)
    assert d.first_wrong == line + 1


def test_the_domain_is_a_premise_of_the_gaussian_kl_derivation() -> None:
    """Without σ > 0, log(t) − log(σ) = log(t/σ) is not an identity over the reals: the step is
    not proved (never wrongly refuted either)."""
    from dlstudy.symbolic.derivation import check_derivation

    t = template("derivations.gaussian-kl")
    q = t.instantiate(0)
    lines = claim_lines(t.derivation, q.values)
    d = check_derivation(lines, cpu_seconds=5.0)
    assert d.first_wrong is None and d.steps[-1].status == "undetermined"


def test_derivations_are_shown_in_the_notes_notation() -> None:
    assert shown("diff(sigma((3)*x + (2)), x)") == "∂/∂x [σ(3·x + 2)]"
    assert shown("Sum(gamma**k*r, k, 0, (5) - 1)") == "Σ_(k=0)^(5 − 1) [γ^k·r]"
    assert shown("(mu - (2))**2/(2*s**2)") == "(μ − 2)²/(2·s²)"
    text = BANK.templates["derivations.tanh-chain"].instantiate(0).solution_text()
    assert "Derivation (each line equals the one before):" in text and "  = " in text
    assert "**" not in text and "diff(" not in text


def test_bank_show_json_carries_the_derivation_as_derive_reads_it() -> None:
    q = template("derivations.truncated-return").instantiate(3)
    data = q.to_json()
    assert data["derivation"][0].startswith("Sum(gamma**k*r, k, 0, (")
    assert "derivation" not in template("rf_params.conv-params").instantiate(0).to_json()


def test_a_placeholder_after_a_letter_completes_a_name() -> None:
    t = template("derivations.softmax-ce-gradient")
    for seed in range(6):
        q = t.instantiate(seed)
        first = claim_lines(t.derivation, q.values)[0]
        assert f"exp(z{q.values['k']})/" in first


# -- arrangements: a right answer is never marked wrong ----------------------------------------------

ARRANGEMENTS = {
    "derivations.sigmoid-chain": [
        "{a} sigma({a}x + {b}) - {a} sigma({a}x + {b})^2",
        "{a} exp(-({a}x + {b}))/(1 + exp(-({a}x + {b})))^2",
        "{a}/(2 + exp({a}x + {b}) + exp(-{a}x - {b}))",
    ],
    "derivations.tanh-chain": ["{a} - {a} tanh({a}x)^2", "4*{a}/(exp({a}x) + exp(-{a}x))^2"],
    "derivations.softplus-derivative": ["{a} exp({a}z)/(1 + exp({a}z))", "{a}/(1 + e^(-{a}z))"],
    "derivations.bce-gradient": ["-{c}(y - sigma({c}w))", "{c} sigma({c}w) - {c}y"],
    "derivations.mse-gradient": ["2*{c}*x*(x w - y)", "2*{c}*w*x^2 - 2*{c}*x*y"],
    "derivations.gaussian-kl": [
        "log {t} - log s + (s^2 + (mu - {m})^2)/(2*{t}^2) - 1/2",
        "-log(s/{t}) + (s^2 + mu^2 - 2*{m}*mu + {m}^2)/(2*{t}^2) - 0.5",
    ],
    "derivations.vae-kl": [
        "{beta}*(mu^2 + s^2 - 1)/2 - {beta}*log(s)",
        "{beta}/2*(mu^2 + s^2 - 1 - 2 log s)",
    ],
    "derivations.weighted-optimal-discriminator": ["1/(1 + {b}pg/({a}pd))"],
    "derivations.truncated-return": ["r(gamma^{n} - 1)/(gamma - 1)"],
    "derivations.bellman-two-state": ["({ra} + {rb} gamma)/((1 - gamma)(1 + gamma))"],
    "derivations.td0-update": ["(1 - {alpha}) v + {alpha}*{gamma} v2 + {alpha}*{r}"],
    "derivations.tconv-output-size": ["{s} n - {s} + k - 2*{p}"],
    "derivations.recurrent-params": ["{cell.g} h d + {cell.g} h^2 + {cell.g}*{bias.nb} h"],
    "derivations.softmax-policy-score": ["{d} - 1/(1 + exp(h0 - h1) + exp(h2 - h1))"],
    "derivations.gaussian-policy-score": ["({x} a - {x}^2 theta)/s^2"],
}


def _fill(text: str, values: dict) -> str:
    from dlstudy.bank.render import fill_expression

    return fill_expression(text, values)


@pytest.mark.parametrize("tid", sorted(ARRANGEMENTS))
def test_equivalent_arrangements_get_full_marks(tid: str) -> None:
    q = template(tid).instantiate(1)
    for text in ARRANGEMENTS[tid]:
        g = q.grade(_fill(text, q.values))
        assert g.correct and g.score == 1.0, (tid, text, g.message)
        assert "proved symbolically" in g.message, (tid, text, g.message)


# -- misconceptions: named by their description --------------------------------------------------


@pytest.mark.parametrize("tid", EXPRESSION)
def test_every_misconception_is_recognised_by_its_description(tid: str) -> None:
    t = template(tid)
    for seed in (0, 1, 2):
        q = t.instantiate(seed)
        symbols = sorted(t.symbols)
        for m in q.expected.mistakes:
            g = q.grade(to_text(m.node))
            # two listed mistakes may coincide on a sample (p = 1: n + 2p − k = n + p − k + 1)
            same = [
                o
                for o in q.expected.mistakes
                if numerically_equal(o.node, m.node, symbols, domain=t.domain)
            ]
            assert not g.correct and g.mistake in {o.name for o in same}, (tid, seed, m.name)
            named = next(o for o in same if o.name == g.mistake)
            assert named.message in g.message and g.mistake not in g.message
            assert "{" not in m.message  # the feedback's placeholders are filled
        wrong = q.grade(f"({q.answer_input}) + 1")
        assert not wrong.correct and wrong.mistake is None


# -- the grader's symbolic check, its fallback and hostile input ------------------------------------


def _expr(text: str, symbols=("x",), **kw) -> Expected:
    node = read_expression(text, symbols).value
    return Expected("expression", None, symbols=symbols, expression=node, **kw)


def test_the_random_point_fallback_is_stated() -> None:
    # floor has no claim-language form: no proof is attempted, the feedback says so
    g = grade_answer(_expr("floor(x) + x"), "x + floor(x)")
    assert g.correct and "random points" in g.message and "not proved" in g.message
    g = grade_answer(_expr("x^2"), "x x", symbolic=False)
    assert g.correct and "random points" in g.message


def test_agreement_at_the_random_points_is_not_enough_against_a_certain_counterexample() -> None:
    """relu(x − 5) is 0 at every random point (|x| ≤ 2): the engine's confirmed counterexample
    elsewhere makes the answer wrong, and the point is shown in the question's symbols."""
    g = grade_answer(_expr("x"), "x + relu(x - 5)")
    assert not g.correct and "not equivalent" in g.message and "x = " in g.message


def test_a_domain_makes_symbols_positive_for_the_proof() -> None:
    e = _expr("log(s^2)", symbols=("s",), domain={"s": (0.2, 3.0)})
    g = grade_answer(e, "2 log s")
    assert g.correct and "proved symbolically" in g.message
    # without the domain, 2 log s is undefined at half of the points and log(s²) ≠ 2 log s at s < 0
    g = grade_answer(_expr("log(s^2)", symbols=("s",)), "2 log s")
    assert g.correct and "random points" in g.message


@pytest.mark.parametrize(
    "text",
    [
        "x^9^9^9^9",
        "(" * 200 + "x" + ")" * 200,
        "x" + "+x" * 3000,
        "sigma(x)\x1b[31m",
        "exp(exp(exp(exp(x))))^99999",
        "",
        "x +* 2",
        "import os",
    ],
)
def test_hostile_expression_answers_are_refused_or_graded_quickly(text: str) -> None:
    import time

    e = _expr("sigma(x)*(1 - sigma(x))")
    start = time.process_time()
    try:
        g = grade_answer(e, text)
    except AnswerError as exc:
        assert "\x1b" not in exc.message
    else:
        assert not g.correct
    assert time.process_time() - start < 30  # CPU time of this process: a hang guard, 10x generous


def test_the_symbolic_check_runs_under_a_cpu_limit() -> None:
    """A pair the engine cannot settle quickly ends within the limit as 'undetermined' (the child is
    stopped), never as a hang: the grader then falls back on the random points."""
    from dlstudy.answers.symbolic import engine_check

    left = read_expression("tanh(x)^7 + sigma(x)^9", ("x",)).value
    right = read_expression("tanh(x)^7 + sigma(x)^9", ("x",)).value
    check = engine_check(left, right, ["x"], cpu_seconds=0.05)
    assert check.status in ("equivalent", "undetermined")


def test_a_wrong_expression_is_shown_where_it_differs() -> None:
    """The feedback names a point and both values there; the oracle is math at that point."""
    import math
    import re

    g = grade_answer(_expr("x^2 + 1"), "2*x")
    m = re.search(r"at x = (\S+): the answer is (\S+), yours is (\S+)\)", g.message)
    assert not g.correct and m, g.message
    x, answer, yours = (float(v) for v in m.groups())
    assert math.isclose(x * x + 1, answer, rel_tol=0.01)
    assert math.isclose(2 * x, yours, rel_tol=0.01, abs_tol=0.01)
