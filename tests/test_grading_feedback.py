"""Feedback in words and one index base (issue 13), and hardening of check and templates (issue 20).

Oracles: wrong answers and their expected positions are built here from the question's parameters
(conv parameters (k·k·C_in + 1)·C_out; one entry of a correlation changed at a known index).
"""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path

import pytest
from rich.console import Console

from dlstudy.answers import AnswerError, Expected, Grade, grade_answer, read_expression
from dlstudy.answers.precision import Precision
from dlstudy.bank import load_bank
from dlstudy.cli import main
from dlstudy.errors import DlstudyError
from dlstudy.ui import render

BANK = load_bank()


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def rendered(grade: Grade, question) -> str:
    buffer = io.StringIO()
    render.grade_feedback(Console(file=buffer, width=100, color_system=None), grade, question)
    return buffer.getvalue()


# -- named mistakes in words, symbols keep their case ----------------------------------------------


def test_a_named_mistake_is_shown_by_its_description_and_symbols_keep_their_case() -> None:
    q = BANK.get("rf_params.conv-params").instantiate(0)
    grade = Grade(
        False,
        "read as: 3",
        "wrong: s' is terminal: δ = r - V(s)",
        "bootstrap-terminal",
        "s' is terminal: δ = r - V(s)",
    )
    text = rendered(grade, q)
    assert "Recognised mistake: s' is terminal: δ = r - V(s)" in text
    assert "S'" not in text and "bootstrap-terminal" not in text
    assert text.count("s' is terminal") == 1  # not repeated on the verdict line


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("your working first goes wrong at layer 2", "Your working first goes wrong at layer 2"),
        ("s′ is terminal", "s′ is terminal"),
        ("δ = target - V(s)", "δ = target - V(s)"),
        ("x is missing", "x is missing"),
        ("tanh' = 1 - tanh²", "tanh' = 1 - tanh²"),
        ("σ(x) again", "σ(x) again"),
    ],
)
def test_sentence_capitalises_words_never_symbols(text: str, shown: str) -> None:
    assert render.sentence(text) == shown


def _no_bias(q) -> int:
    k, c_in, c_out = q.params["k"], q.params["c_in"], q.params["c_out"]
    assert q.answer == (k * k * c_in + 1) * c_out
    return k * k * c_in * c_out


def test_check_names_the_mistake_in_words_and_json_carries_both(
    capsys: pytest.CaptureFixture[str],
) -> None:
    q = BANK.get("rf_params.conv-params").instantiate(3)
    code, out, _ = run(["check", q.ref, "--answer", str(_no_bias(q))], capsys)
    assert code == 1
    line = next(x for x in out.splitlines() if x.startswith("Recognised mistake: "))
    description = next(m.message for m in q.expected.mistakes if m.name == "bias-forgotten")
    assert line == f"Recognised mistake: {description}"
    assert "bias-forgotten" not in out
    code, out, _ = run(["check", q.ref, "--answer", str(_no_bias(q)), "--json"], capsys)
    data = json.loads(out)
    assert data["mistake"] == {
        "name": "bias-forgotten",
        "description": description,
        "feedback": description,
    }


def test_the_exam_report_names_mistakes_in_words() -> None:
    from dlstudy.study.session import Session

    q = BANK.get("rf_params.conv-params").instantiate(5)
    session = Session([q], mode="exam", time_limit=600)
    session.handle(str(_no_bias(q)))
    buffer = io.StringIO()
    from dlstudy.ui.session_report import exam_report

    exam_report(Console(file=buffer, width=100, color_system=None), session)
    text = buffer.getvalue()
    description = next(m.message for m in q.expected.mistakes if m.name == "bias-forgotten")
    assert f"Recognised mistake: {description}" in text.replace("\n", " ") or (
        "Recognised mistake: " + description[:40] in text
    )
    assert "bias-forgotten" not in text


# -- indices counted from 0, as the worked solutions ------------------------------------------------


def test_wrong_entries_are_named_from_0_like_the_solution(
    capsys: pytest.CaptureFixture[str],
) -> None:
    q = BANK.get("cnn.corr-valid").instantiate(4)
    rows = [list(map(int, r)) for r in q.answer]
    i, j = len(rows) - 1, len(rows[0]) - 1  # the last entry: [2, 2] of a 3×3 output
    rows[i][j] += 7
    typed = "; ".join(" ".join(map(str, r)) for r in rows)
    code, out, _ = run(["check", q.ref, "--answer", typed], capsys)
    assert code == 1
    assert (
        f"1 of {len(rows) * len(rows[0])} entries differs: [{i}, {j}] (row, column; counted from 0)"
        in out
    )
    assert f"row {i + 1}" not in out  # never 1-based


def test_a_wrong_length_is_graded_wrong_then_the_size_is_said(
    capsys: pytest.CaptureFixture[str],
) -> None:
    q = BANK.get("cnn.corr-valid").instantiate(4)
    code, out, _ = run(["check", q.ref, "--answer", "1 2; 3 4"], capsys)
    assert code == 1 and "✗ Wrong." in out
    assert "The answer is a 3×3 matrix; yours is a 2×2 matrix." in out
    assert out.index("✗ Wrong.") < out.index("The answer is a 3×3 matrix")
    code, out, _ = run(["check", q.ref, "--answer", "1 2; 3 4", "--json"], capsys)
    data = json.loads(out)
    assert data["correct"] is False and data["note"].startswith("the answer is a 3×3 matrix")


# -- bad input: one line, exit 2, no control character reaches the terminal -------------------------


@pytest.mark.parametrize(
    "typed",
    ["0.3\x1b[31m3", "\x1b]0;pwned\x07", "0.33\r999", "1\u202e2", "\x9b2J"],
)
def test_check_never_echoes_control_characters(
    typed: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["check", "cnn.iou:2", "--answer", typed], capsys)
    assert code == 2 and out == ""
    assert not any(c in err for c in "\x1b\x07\r\u202e\x9b"), repr(err)
    assert "control character" in err


def test_check_escapes_control_characters_in_the_template_id(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run(["check", "cnn.iou\x1b[2J:2", "--answer", "1"], capsys)
    assert code == 2 and "\x1b" not in err and "\\x1b" in err


@pytest.mark.parametrize("tol", ["inf", "-inf", "nan", "0", "-1e-3"])
def test_solve_tol_must_be_finite_and_positive(tol: str, capsys) -> None:
    code, _, err = run(
        ["solve", "kl", "p=[1/2,1/2]", "q=[1/4,3/4]", "--answer", "0.1438", "--tol", tol], capsys
    )
    assert code == 2 and "--tol must be a finite positive number" in err


# -- broken templates are the template's fault, said at load ----------------------------------------

ATTRIBUTE_REF = """
[[template]]
id = "h.attr"
section = "convolution"
kind = "matrix"
prompt = "{input}"
params = { input = { type = "int_matrix", shape = [3, 3], low = 0, high = 2 } }
[template.answer]
function = "conv2d"
args = { input = "$input.__class__", kernel = [[1]] }

[[template]]
id = "h.undefined"
section = "activations"
kind = "expression"
symbols = ["x"]
prompt = "a = {a}"
expression = "x/({a} - {a})"
params = { a = { type = "int", low = 1, high = 3 } }
"""


def test_attribute_like_references_and_undefined_expressions_fail_at_load(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "h.toml").write_text(ATTRIBUTE_REF, encoding="utf-8")
    bank = load_bank([tmp_path], builtin=False)
    assert bank.templates == {}
    assert any(
        "h.toml: h.attr: answer.args.input: '$input.__class__' is not a parameter reference" in p
        for p in bank.problems
    ), bank.problems
    assert any(
        "h.undefined: expression: undefined at the test points" in p for p in bank.problems
    ), bank.problems
    code, _, err = run(["check", "h.attr:0", "-a", "1", "--bank", str(tmp_path)], capsys)
    assert code == 2 and "TypeError" not in err and "answer.args.input" in err
    code, _, err = run(["check", "h.undefined:0", "-a", "x", "--bank", str(tmp_path)], capsys)
    assert code == 2 and "simplify it and retry" not in err and "undefined" in err


def test_an_undefined_answer_expression_is_never_the_students_fault() -> None:
    broken = Expected(
        "expression",
        None,
        symbols=("x",),
        expression=read_expression("x/(x - x)", ("x",)).value,
    )
    with pytest.raises(DlstudyError) as info:
        grade_answer(broken, "x")
    assert not isinstance(info.value, AnswerError)  # not "asked again": the question is broken
    assert "simplify" not in info.value.message and "broken" in info.value.message


# -- lint: the precision rules ---------------------------------------------------------------------

INTEGER_SIG = """
[[template]]
id = "l.integers"
section = "convolution"
kind = "matrix"
prompt = "{input}"
params = { input = { type = "int_matrix", shape = [3, 3], low = 0, high = 2 } }
[template.answer]
function = "conv2d"
args = { input = "$input", kernel = [[1, 0], [0, 1]] }
"""


def test_lint_asks_for_exact_when_every_answer_is_an_integer(tmp_path: Path) -> None:
    from dlstudy.bank.lint import lint_bank

    (tmp_path / "l.toml").write_text(INTEGER_SIG, encoding="utf-8")
    report = lint_bank(load_bank([tmp_path], builtin=False), seeds=10)
    assert any(
        "l.integers: precision: the answer is an integer for every one of 10 seeds" in p
        and 'write precision = "exact"' in p
        for p in report.problems
    ), report.problems
    (tmp_path / "l.toml").write_text(
        INTEGER_SIG.replace('kind = "matrix"', 'kind = "matrix"\nprecision = "exact"'),
        encoding="utf-8",
    )
    assert lint_bank(load_bank([tmp_path], builtin=False), seeds=10).ok


def test_the_inside_tolerance_detector_finds_what_a_looser_precision_hides() -> None:
    # tanh'(x) = 1 − tanh²(x) and the mistake "tanh' evaluated at tanh(x)" are within 1 % for some
    # x: at one significant figure the detector flags them (the build resamples such seeds)
    t = BANK.get("activations.tanh-derivative")
    loose = dataclasses.replace(t, precision=Precision("sig", 1))
    flagged = 0
    for seed in range(60):
        q = t.instantiate(seed)
        assert t.mistakes_inside_tolerance(q) == []  # as built: never inside
        flagged += bool(loose.mistakes_inside_tolerance(q))
    assert flagged > 0
