"""An expression question answered with a working of several lines (quiz, review, exam): the last
line is graded as a one-line answer is, and the feedback points at the first wrong line.

The question: dσ(x)/dx = σ(x)(1 − σ(x)). By hand, at x = 0: σ = 1/2, so σ(1 − σ) = 1/4,
σ(1 + σ) = 3/4, σ² = 1/4 and σ + σ² = 3/4; at x = ln 3: σ = 3/4, σ(1 − σ) = 3/16 but σ² = 9/16.
"""

from __future__ import annotations

import io
from fractions import Fraction

import pytest
from rich.console import Console

from dlstudy.bank import load_bank
from dlstudy.study.session import Answered, Invalid, Session
from dlstudy.study.store import Store
from dlstudy.study.working import claim_text, split_lines, working_for
from dlstudy.ui.runner import Runner
from dlstudy.ui.terminal import LineReader

TEMPLATE = """
[[template]]
id = "mine.sigmoid-prime"
section = "activations"
difficulty = 1
kind = "expression"
title = "Derivative of the sigmoid"
prompt = "Write dσ(x)/dx in terms of x."
symbols = ["x"]
expression = "sigmoid(x)*(1 - sigmoid(x))"
explanation = "σ′ = σ(1 − σ)."

[[template.misconceptions]]
name = "sigma-one-plus"
expression = "sigmoid(x)*(1 + sigmoid(x))"
feedback = "The sign: 1 − σ, not 1 + σ."

[[template]]
id = "mine.choice"
section = "activations"
difficulty = 1
kind = "choice"
title = "A choice"
prompt = "Which is the logistic sigmoid?"
options = ["1/(1 + e^(-x))", "max(0, x)"]
correct = 0
explanation = "σ(x) = 1/(1 + e^(−x))."
"""


@pytest.fixture
def bank(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(TEMPLATE, encoding="utf-8")
    return load_bank(files=[path], tell=False)


def answer(bank, text: str, mode: str = "quiz") -> tuple[object, object]:
    s = Session([bank.question("mine.sigmoid-prime", 1)], mode=mode)
    event = s.handle(text)
    return event, s.items[0]


def test_the_first_wrong_line_is_named_with_its_counterexample_and_slip(bank):
    event, item = answer(bank, "exp(-x)/(1 + exp(-x))^2\n= σ(x)(1 + σ(x))")
    assert isinstance(event, Answered)
    assert not item.grade.correct and item.answer == "σ(x)(1 + σ(x))"  # the last line, graded
    w = item.working
    assert w.first_wrong == 2
    assert "line 2 (σ(x)(1 + σ(x))) does not follow from line 1" in w.message
    assert "Likely slip: a sign" in w.message
    assert "σ(x) should have the opposite sign" in w.message  # as typed, not sigmoid(x)


def test_a_first_line_already_wrong_is_compared_with_the_answer(bank):
    _, item = answer(bank, "σ(x)(1 + σ(x))\nσ(x) + σ(x)^2")
    assert item.working.first_wrong == 1
    assert "line 1 (σ(x)(1 + σ(x))) is not equal to the answer" in item.working.message


def test_a_right_working_is_proven_line_by_line(bank):
    _, item = answer(bank, "exp(-x)/(1 + exp(-x))^2\n\n= σ(x) − σ(x)^2\nσ(x)(1 − σ(x))")
    assert item.grade.correct
    assert item.working.first_wrong is None and "every line is equal" in item.working.message


def test_a_right_answer_stays_right_when_a_line_before_it_is_wrong(bank):
    _, item = answer(bank, "σ(x)^2\nσ(x)(1 − σ(x))")  # σ² ≠ σ(1 − σ) at x = ln 3
    assert item.grade.correct  # a right answer is never marked wrong
    assert item.working.first_wrong == 1


def test_an_unreadable_line_is_asked_again_naming_it(bank):
    event, item = answer(bank, "exp(-x)/(1 + exp(-x)\nσ(x)(1 − σ(x))")
    assert isinstance(event, Invalid) and event.message.startswith("line 1 of your working:")
    assert item.grade is None  # not counted


def test_an_exam_reads_the_working_and_grades_the_last_line(bank):
    event, item = answer(bank, "σ(x)^2\nσ(x)(1 − σ(x))", mode="exam")
    assert isinstance(event, Answered) and item.grade.correct and item.working is None


def test_split_lines():
    assert split_lines("a\n\n  = b \n==c\n") == ["a", "b", "c"]


@pytest.mark.parametrize(
    "typed",
    ["2x(1 − σ(x)) + e^x − ln(x)/2", "-x^2^(1/2)", "log2(x) + log10(x)·sqrt(x)", "-(x - 1)/-x"],
)
def test_claim_text_means_what_the_answer_parser_read(typed):
    # two independent readers: the answer parser's exact/float evaluation and the claim parser (sympy)
    import sympy as sp

    from dlstudy.answers.expr import evaluate
    from dlstudy.answers.reading import read_expression
    from dlstudy.symbolic.parser import parse_expression

    node = read_expression(typed, ("x",)).value
    expr = parse_expression(claim_text(node, {"x": "x"}))
    for v in (Fraction(1, 3), Fraction(5, 4), Fraction(7, 2)):
        want = float(evaluate(node, {"x": v}))
        got = float(expr.subs(sp.Symbol("x", real=True), sp.Rational(v.numerator, v.denominator)))
        assert abs(want - got) <= 1e-12 * (1 + abs(want))


def run_quiz(bank, tmp_path, stdin: str, refs: list[str], *, working: bool = True) -> str:
    """A quiz fed ``stdin``; ``working``: read workings of several lines, as in a terminal."""
    questions = [bank.question(r, 1) for r in refs]
    out = io.StringIO()
    reader = LineReader(stdin=io.StringIO(stdin), stdout=out, interactive=False)
    console = Console(file=out, width=100, color_system=None)
    with Store(tmp_path / "p.sqlite3") as store:
        Runner(
            Session(questions, mode="quiz"),
            store=store,
            console=console,
            reader=reader,
            working=working,
        ).run()
    return out.getvalue()


def test_piped_input_keeps_one_line_per_answer(bank, tmp_path):
    """Not a terminal: each line is one answer, an expression's too, so answers never shift."""
    text = run_quiz(
        bank,
        tmp_path,
        "σ(x)(1 - σ(x))\na\n",
        ["mine.sigmoid-prime", "mine.choice"],
        working=None,
    )
    assert "...>" not in text and "several lines" not in text
    assert text.count("✓ Right.") == 2


def test_a_terminal_quiz_reads_a_working_until_an_empty_line(bank, tmp_path):
    text = run_quiz(
        bank,
        tmp_path,
        "exp(-x)/(1 + exp(-x))^2\nσ(x)(1 + σ(x))\n\na\n",  # the working, then the choice: a
        ["mine.sigmoid-prime", "mine.choice"],
    )
    assert "   ...> σ(x)(1 + σ(x))" in text  # the second line was read as part of the working
    assert "Your working: line 2 (σ(x)(1 + σ(x))) does not follow from line 1" in text
    assert "Recognised mistake: The sign" in text
    assert text.count("✓ Right.") == 1  # the next question got its own line


def test_commands_end_a_working_at_once(bank, tmp_path):
    text = run_quiz(bank, tmp_path, "skip\na\n", ["mine.sigmoid-prime", "mine.choice"])
    assert "Skipped." in text and "✓ Right." in text and "...>" not in text


def test_a_working_may_use_the_domain_the_question_states():
    """σ > 0 is given (domain s in [0.2, 3]): log(4/s) = log 4 − log s is then a proven step, not
    "could not be checked"; the oracle is the log rule for positive arguments."""
    q = load_bank().get("derivations.gaussian-kl").instantiate(1)
    first = "log(4/s) + (s^2 + (mu-3)^2)/32 - 1/2"
    right = working_for(q, [first, "log(4) - log(s) + (s^2+(mu-3)^2)/32 - 1/2"])
    assert right is not None and right.first_wrong is None and right.undetermined == []
    wrong = working_for(q, [first, "log(4) + log(s) + (s^2+(mu-3)^2)/32 - 1/2"])
    assert wrong is not None and wrong.first_wrong == 2


def test_an_exam_report_names_the_first_wrong_line_of_a_wrong_working(bank):
    """No feedback during the exam; the report of a wrong answer checks its working line by line."""
    from dlstudy.ui.session_report import exam_report

    s = Session([bank.question("mine.sigmoid-prime", 1)], mode="exam")
    event = s.handle("exp(-x)/(1 + exp(-x))^2\nσ(x)(1 + σ(x))")
    item = s.items[0]
    assert isinstance(event, Answered) and not item.grade.correct and item.working is None
    s.hand_in("quit")
    out = io.StringIO()
    exam_report(Console(file=out, width=200, color_system=None), s)
    text = " ".join(out.getvalue().split())  # as read, whatever the wrapping
    assert "Checking your working line by line (1 answer)…" in text
    assert s.workings_to_check() == 0  # checked once
    assert "Your working: line 2 (σ(x)(1 + σ(x))) does not follow from line 1" in text
    assert "σ(x) should have the opposite sign" in text


def test_an_exam_answer_typed_at_the_deadline_keeps_its_working(bank):
    s = Session([bank.question("mine.sigmoid-prime", 1)], mode="exam")
    event = s.submit_at_deadline("σ(x)^2\nσ(x)(1 + σ(x))")
    assert isinstance(event, Answered)
    assert s.items[0].working_lines == ["σ(x)^2", "σ(x)(1 + σ(x))"]
    s.hand_in("time")
    s.check_workings()
    assert s.items[0].working.first_wrong == 1  # σ² is not σ(1 − σ) already
