"""Grading tables for every answer kind, and misconception naming.

The expected answers are written here from closed forms (math, fractions), never taken from the
code under test.
"""

from __future__ import annotations

import math

import pytest

from dlstudy.answers import AnswerError, Expected, ExprMistake, grade_answer, read_expression
from dlstudy.reference.registry import Mistake

LOG4 = math.log(4)


@pytest.mark.parametrize(
    ("text", "correct"),
    [
        ("-log 4", True),
        ("-log(4)", True),
        ("-2 ln 2", True),
        ("-1.386", True),  # within rtol 1e-3
        ("-1.3863", True),
        ("-1.38", False),  # off by 4.6e-3 > max(1e-3, 1.4e-3)
        ("log 4", False),
        ("-log 2", False),
        ("0", False),
    ],
)
def test_number_within_tolerance(text: str, correct: bool) -> None:
    expected = Expected("number", -LOG4)
    assert grade_answer(expected, text).correct is correct


def test_number_uses_the_template_tolerance() -> None:
    loose = Expected("number", 100.0, rtol=0.05, atol=0.0)
    assert grade_answer(loose, "104").correct
    assert not grade_answer(loose, "106").correct


def test_number_wrong_shape_is_invalid_not_wrong() -> None:
    with pytest.raises(AnswerError, match="expected one number"):
        grade_answer(Expected("number", 2.0), "1 2")


@pytest.mark.parametrize(
    ("text", "correct"), [("34944", True), ("34944.0", True), ("34945", False), ("34943.9", False)]
)
def test_integer_exact(text: str, correct: bool) -> None:
    # AlexNet conv1 (CS231n): (11·11·3 + 1)·96
    assert grade_answer(Expected("integer", (11 * 11 * 3 + 1) * 96), text).correct is correct


def test_vector_entry_by_entry() -> None:
    e = Expected("vector", [0.5, 0.25, 0.25])
    assert grade_answer(e, "1/2 1/4 1/4").correct
    assert grade_answer(e, "[0.5, 0.25, 0.25]").correct
    g = grade_answer(e, "0.5 0.3 0.25")
    assert not g.correct
    assert [w["where"] for w in g.wrong_entries] == ["entry 2"]
    with pytest.raises(AnswerError, match="a vector of 3"):
        grade_answer(e, "0.5 0.5")


def test_matrix_names_wrong_entries() -> None:
    e = Expected("matrix", [[1, 2], [3, 4]])
    assert grade_answer(e, "1 2; 3 4").correct
    g = grade_answer(e, "[[1, 0], [3, 5]]")
    assert not g.correct
    assert [w["where"] for w in g.wrong_entries] == ["row 1, column 2", "row 2, column 2"]
    assert "2 of 4 entries differ" in g.message
    with pytest.raises(AnswerError, match="2×2 matrix"):
        grade_answer(e, "1 2 3 4")


def test_partial_credit_when_the_template_allows_it() -> None:
    e = Expected("matrix", [[1, 2], [3, 4]], partial=True)
    assert grade_answer(e, "1 2; 3 5").score == pytest.approx(0.75)
    assert grade_answer(Expected("matrix", [[1, 2], [3, 4]]), "1 2; 3 5").score == 0.0


def test_misconception_is_named() -> None:
    # output size of a 7-wide input, k = 3, s = 2: (7 - 3)/2 + 1 = 3; forgetting +1 gives 2
    mistakes = [
        Mistake("missing-plus-one", "you forgot the +1", 2),
        Mistake("ceil", "you rounded up", 4),
    ]
    e = Expected("integer", 3, mistakes=mistakes)
    g = grade_answer(e, "2")
    assert (g.correct, g.mistake) == (False, "missing-plus-one")
    assert g.mistake_feedback == "you forgot the +1"
    assert "forgot the +1" in g.message
    assert grade_answer(e, "5").mistake is None


def test_stage_answers_name_the_first_divergent_stage() -> None:
    checkpoints = [("layer 1", 7), ("layer 2", 11), ("layer 3", 19)]
    e = Expected("integer", 19, checkpoints=checkpoints)
    assert grade_answer(e, "7 11 19").correct
    g = grade_answer(e, "7 9 13")
    assert not g.correct and "layer 2" in g.message
    with pytest.raises(AnswerError, match="one value per stage"):
        grade_answer(e, "7 11")


def test_choice_exact() -> None:
    e = Expected("choice", 1, options=["VGG", "GoogLeNet", "AlexNet"])
    assert grade_answer(e, "b").correct
    assert grade_answer(e, "GoogLeNet").correct
    assert not grade_answer(e, "a").correct
    with pytest.raises(AnswerError):
        grade_answer(e, "e")


@pytest.mark.parametrize(
    ("text", "correct"), [("yes", False), ("no", True), ("false", True), ("t", False)]
)
def test_bool(text: str, correct: bool) -> None:
    assert grade_answer(Expected("bool", False), text).correct is correct


def test_words_case_insensitive() -> None:
    e = Expected("vector", ["left", "up"])
    assert grade_answer(e, "Left, UP").correct
    g = grade_answer(e, "left down")
    assert not g.correct and g.wrong_entries[0]["entry"] == "entry 2"


def _expr(text: str, symbols=("x",)) -> Expected:
    return Expected(
        "expression", None, symbols=symbols, expression=read_expression(text, symbols).value
    )


@pytest.mark.parametrize(
    ("given", "correct"),
    [
        ("sigma(x)(1 - sigma(x))", True),
        ("sigma(x) - sigma(x)^2", True),
        ("exp(-x)/(1 + exp(-x))^2", True),
        ("1/(2 + exp(x) + exp(-x))", True),
        ("sigma(x)", False),
        ("sigma(x)(1 + sigma(x))", False),
    ],
)
def test_expression_equivalence(given: str, correct: bool) -> None:
    assert grade_answer(_expr("sigma(x)*(1 - sigma(x))"), given).correct is correct


def test_expression_symbolic_proof_or_random_points() -> None:
    g = grade_answer(_expr("(x + 1)^2"), "x^2 + 2x + 1")
    assert g.correct and "symbolically" in g.message
    g = grade_answer(_expr("(x + 1)^2"), "x^2 + 2x + 1", symbolic=False)
    assert g.correct and "random points" in g.message


def test_expression_misconception() -> None:
    e = _expr("1 - tanh(x)^2")
    wrong = read_expression("1 - tanh(x)", ("x",)).value
    e.mistakes = [
        ExprMistake("tanh-prime-without-square", "tanh' = 1 − tanh², not 1 − tanh", wrong)
    ]
    g = grade_answer(e, "1 - tanh x")
    assert g.mistake == "tanh-prime-without-square"
    assert grade_answer(e, "4/(exp(x) + exp(-x))^2").correct  # sech²x


def test_expression_invalid_input_is_not_wrong() -> None:
    with pytest.raises(AnswerError):
        grade_answer(_expr("x^2"), "x^")
    with pytest.raises(AnswerError, match="unknown name"):
        grade_answer(_expr("x^2"), "y^2")


def test_grade_to_json_is_plain() -> None:
    import json

    g = grade_answer(Expected("integer", 3, mistakes=[Mistake("m", "msg", 2)]), "2")
    data = json.loads(json.dumps(g.to_json()))
    assert data["correct"] is False and data["mistake"]["name"] == "m"


def test_expression_grading_leaves_a_running_timer_alone() -> None:
    import signal

    fired = []
    previous = signal.signal(signal.SIGALRM, lambda *_: fired.append(1))
    signal.setitimer(signal.ITIMER_REAL, 30.0)
    try:
        g = grade_answer(_expr("(x + 1)^2"), "x^2 + 2x + 1")
        assert g.correct and "random points" in g.message  # no sympy under someone else's timer
        assert signal.getitimer(signal.ITIMER_REAL)[0] > 25
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
