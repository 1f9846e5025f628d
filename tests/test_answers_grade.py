"""Grading tables for every answer kind, and misconception naming.

The expected answers are written here from closed forms (math, fractions), never taken from the
code under test.
"""

from __future__ import annotations

import math

import pytest

from dlstudy.answers import AnswerError, Expected, ExprMistake, grade_answer, read_expression
from dlstudy.answers.expr_syntax import AskAgain
from dlstudy.reference.registry import Mistake

LOG4 = math.log(4)


@pytest.mark.parametrize(
    ("text", "correct"),
    [
        # −ln 4 = −1.386294…; the default precision is 3 significant figures (one unit: 0.01)
        ("-log 4", True),
        ("-log(4)", True),
        ("-2 ln 2", True),
        ("-1.39", True),  # correctly rounded
        ("-1.386", True),  # more digits: judged by value
        ("-1.38", True),  # 0.63 units off: within one unit
        ("-1.37", False),  # 1.6 units off
        ("-1.40", False),
        ("log 4", False),
        ("-log 2", False),
        ("0", False),
    ],
)
def test_number_at_three_significant_figures(text: str, correct: bool) -> None:
    expected = Expected("number", -LOG4)
    assert grade_answer(expected, text).correct is correct


def test_too_few_digits_is_asked_again_a_wrong_short_value_is_wrong() -> None:
    e = Expected("number", -LOG4)
    with pytest.raises(AskAgain, match=r"−1\.4 has 2 significant figures: give 3"):
        grade_answer(e, "-1.4")
    assert not grade_answer(e, "-1.3").correct  # 2 figures, but not −1.386 rounded: wrong
    third = Expected("number", 1 / 3)
    with pytest.raises(AskAgain):
        grade_answer(third, "0.33")
    assert grade_answer(third, "1/3").correct  # an exact form is always right


def test_number_uses_a_plain_tolerance_when_given_one() -> None:
    loose = Expected("number", 100.0, rtol=0.05, atol=0.0)
    assert grade_answer(loose, "104").correct
    assert not grade_answer(loose, "106").correct


def test_number_wrong_shape_is_graded_wrong_and_the_size_said_after() -> None:
    g = grade_answer(Expected("number", 2.0), "1 2")
    assert not g.correct and g.note == "the answer is one number; yours is a vector of 2"


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
    g = grade_answer(e, "0.5 0.4 0.25")
    assert not g.correct
    assert [w["where"] for w in g.wrong_entries] == ["[1]"]  # counted from 0, as the solutions
    assert "1 of 3 entries differs: [1] (counted from 0)" in g.message
    g = grade_answer(e, "0.5 0.5")
    assert not g.correct and g.note == "the answer has 3 entries; yours is a vector of 2"


def test_matrix_names_wrong_entries() -> None:
    e = Expected("matrix", [[1, 2], [3, 4]])
    assert grade_answer(e, "1 2; 3 4").correct
    g = grade_answer(e, "[[1, 0], [3, 5]]")
    assert not g.correct
    assert [w["where"] for w in g.wrong_entries] == ["[0, 1]", "[1, 1]"]
    assert "2 of 4 entries differ: [0, 1], [1, 1] (row, column; counted from 0)" in g.message
    g = grade_answer(e, "1 2 3 4")
    assert not g.correct and g.note == "the answer is a 2×2 matrix; yours is a vector of 4"


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
    g = grade_answer(e, "7 11")  # well formed, too few stages: wrong, and the size said
    assert not g.correct and "one value per stage (3: layer 1, layer 2, layer 3)" in g.note


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
    assert not g.correct and g.wrong_entries[0]["where"] == "[1]"
    g = grade_answer(e, "left up up")
    assert not g.correct and g.note == "the answer has 2 entries; yours has 3"


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
        # the symbolic check runs in a CPU-limited child: this process's timer is not touched
        assert g.correct and "proved symbolically" in g.message
        assert signal.getitimer(signal.ITIMER_REAL)[0] > 25 and not fired
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_decimal_commas_are_asked_about_never_guessed() -> None:
    with pytest.raises(AnswerError, match="decimal comma"):
        grade_answer(Expected("number", 0.5), "0,5")
    with pytest.raises(AnswerError, match="decimal commas"):
        grade_answer(Expected("vector", [0.5, 0.25]), "0,5 0,25")  # two entries with commas
    assert grade_answer(Expected("vector", [1, 2]), "1,2").correct  # a list: the right size
    assert grade_answer(Expected("integer", 42496), "42,496").correct  # a thousands separator
