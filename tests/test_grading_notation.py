"""Every notation of issue 13, typed as a student types it, both on ``dlstudy check`` and in a piped
quiz (``printf 'answer\\n' | dlstudy quiz ...``): how it is read (the echo), and right / wrong / asked
again.

The typed answers are built from each question's parameters with exact arithmetic
(:class:`fractions.Fraction`, :mod:`math`), never from the grader: the output size
(n + 2p − k)/s + 1, the conv parameter count (k·k·C_in + 1)·C_out, a KL divergence as a sum of
fraction·ln(fraction) terms, IoU as an exact ratio of areas.
"""

from __future__ import annotations

import io
import math
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from dlstudy.bank import load_bank
from dlstudy.cli import main
from dlstudy.study import select
from tests.conftest import dlstudy_cmd, subprocess_env

BANK = load_bank()


def output_size(q: Any) -> int:
    """(n + 2p − k)/s + 1 from the question's parameters."""
    n, k, s, p = (q.params[x] for x in "nksp")
    side = (n + 2 * p - k) // s + 1
    assert side == q.answer
    return side


def conv_params(q: Any) -> int:
    layer = q.params["layer"]
    count = (layer["k"] * layer["k"] * 3 + 1) * layer["c_out"]  # RGB input, biases
    assert count == q.answer
    return count


def kl_terms(q: Any) -> str:
    """D_KL(p ‖ q) = Σ p_i ln(p_i/q_i), written as fraction·ln(fraction) terms: ``1/2 ln 2 + …``."""
    p = [Fraction(x).limit_denominator(64) for x in q.params["p"]]
    r = [Fraction(x).limit_denominator(64) for x in q.params["q"]]
    terms = [(pi, pi / qi) for pi, qi in zip(p, r, strict=True) if pi]
    exact = sum(float(c) * math.log(a) for c, a in terms)
    assert math.isclose(exact, q.answer, rel_tol=1e-12)
    return " + ".join(f"{c.numerator}/{c.denominator} ln({a})" for c, a in terms)


def iou(q: Any) -> Fraction:
    """Intersection over union of the two boxes, as an exact fraction of areas."""
    a = [Fraction(q.params[f"a{c}"]) for c in ("x1", "y1", "x2", "y2")]
    b = [Fraction(q.params[f"b{c}"]) for c in ("x1", "y1", "x2", "y2")]
    inter_w = max(Fraction(0), min(a[2], b[2]) - max(a[0], b[0]))
    inter_h = max(Fraction(0), min(a[3], b[3]) - max(a[1], b[1]))
    inter = inter_w * inter_h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    value = inter / union
    assert math.isclose(float(value), q.answer, rel_tol=1e-12, abs_tol=1e-15)
    return value


def hard_iou(q: Any) -> bool:
    """IoU ≥ 0.1 whose one-decimal rounding is more than a unit (at 3 figures) away (1/3, not 1/2)."""
    x = iou(q)
    return x >= Fraction(1, 10) and abs(float(x) - round(float(x), 1)) > 0.01


def sig3(x: Fraction | float) -> str:
    """x to 3 significant figures, half up, from the exact value."""
    x = Fraction(x)
    e = math.floor(math.log10(abs(x)))
    step = Fraction(10) ** (e - 2)
    k = math.floor(abs(x) / step + Fraction(1, 2)) * (1 if x > 0 else -1)
    decimals = max(0, 2 - e)
    return f"{float(k * step):.{decimals}f}"


@dataclass
class Case:
    name: str
    template: str
    typed: Callable[[Any], str]
    outcome: str  # right | wrong | asked
    echo: Callable[[Any], str] = lambda q: ""
    usable: Callable[[Any], bool] = lambda q: True  # which variants show the notation


def thousands(sep: str) -> Callable[[Any], str]:
    return lambda q: f"{conv_params(q):,}".replace(",", sep)


CASES = [
    # output sizes (a square): 4, 4×4, 4x4, 4 by 4, (4, 4)
    Case("size plain", "rf_params.output-size", lambda q: f"{output_size(q)}", "right"),
    *(
        Case(
            f"size {form}",
            "rf_params.output-size",
            lambda q, form=form: form.format(n=output_size(q)),
            "right",
            lambda q: f"(side {output_size(q)})",
        )
        for form in ("{n}×{n}", "{n}x{n}", "{n} by {n}")
    ),
    Case(
        "size (n, n)",
        "rf_params.output-size",
        lambda q: f"({output_size(q)}, {output_size(q)})",
        "right",
        lambda q: f"(side {output_size(q)})",
    ),
    Case(
        "size not square",
        "rf_params.output-size",
        lambda q: f"{output_size(q)}×{output_size(q) + 1}",
        "wrong",
        lambda q: "(not square)",
    ),
    # shapes [rows, columns]: 3×5, 3x5, (3, 5), [3, 5]
    *(
        Case(
            f"shape {form}",
            "cnn.conv-matrix-shape-1d",
            lambda q, form=form: form.format(*q.answer),
            "right",
            lambda q, form=form: (
                f"{q.answer[0]}×{q.answer[1]}" if "{}x" in form or "×" in form else ""
            ),
        )
        for form in ("{}×{}", "{}x{}", "({}, {})", "[{}, {}]")
    ),
    # thousands separators where one integer is expected
    *(
        Case(
            f"thousands '{sep}'",
            "rf_params.famous-first-layer",
            thousands(sep),
            "right",
            lambda q: f"read as: {conv_params(q)}",
        )
        for sep in (",", " ", "_")
    ),
    # a tuple for a vector
    Case(
        "tuple",
        "activations.softmax",
        lambda q: "(" + ", ".join(sig3(v) for v in _softmax(q)) + ")",
        "right",
        lambda q: "(a vector of 3)",
    ),
    # a leading name =
    Case("x =", "cnn.iou", lambda q: f"x = {sig3(iou(q))}", "right", lambda q: "x = ", hard_iou),
    Case(
        "V(s1) =",
        "cnn.iou",
        lambda q: f"V(s1) = {sig3(iou(q))}",
        "right",
        lambda q: "V(s1) = ",
        hard_iou,
    ),
    # a percentage for a fraction, echoed as a decimal
    Case(
        "percent",
        "cnn.iou",
        lambda q: f"{float(iou(q) * 100):.1f}%",
        "right",
        lambda q: f"= {float(iou(q)):.3f}",
        hard_iou,
    ),
    # a fraction coefficient before a function: 1/2 ln 2 + …
    Case("fraction coefficient", "div.kl-nats", kl_terms, "right", lambda q: "log("),
    # an exact fraction for a decimal question
    Case(
        "exact fraction",
        "cnn.iou",
        lambda q: f"{iou(q).numerator}/{iou(q).denominator}",
        "right",
        lambda q: f"{iou(q).numerator}/{iou(q).denominator}",
        hard_iou,
    ),
    # fewer digits than asked, right as far as it goes: asked again
    Case("too few digits", "cnn.iou", lambda q: f"{float(iou(q)):.1f}", "asked", usable=hard_iou),
    # a decimal comma where one number is expected: asked about, never guessed
    Case(
        "decimal comma",
        "cnn.iou",
        lambda q: sig3(iou(q)).replace(".", ","),
        "asked",
        usable=hard_iou,
    ),
    # well formed, another size: wrong, the mistake named, the size said afterwards
    Case(
        "NMS without suppression",
        "cnn.nms",
        lambda q: " ".join(map(str, _by_score(q))),
        "wrong",
        usable=lambda q: len(q.answer) < len(_by_score(q)),
    ),
]


def _softmax(q: Any) -> list[float]:
    x = [float(v) for v in q.params["x"]]
    z = sum(math.exp(v) for v in x)
    out = [math.exp(v) / z for v in x]
    assert all(math.isclose(a, b, rel_tol=1e-12) for a, b in zip(out, q.answer, strict=True))
    return out


def _by_score(q: Any) -> list[int]:
    """Every box by decreasing score (ties: lower index first): NMS with no suppression."""
    scores = [q.params[f"s{i}"] for i in range(4)]
    return sorted(range(len(scores)), key=lambda i: (-scores[i], i))


def _seed(case: Case) -> int:
    for seed in range(500):
        if case.usable(BANK.get(case.template).instantiate(seed)):
            return seed
    raise AssertionError(f"no variant of {case.template} for {case.name}")


def _check(ref: str, text: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        main(["check", ref, "--answer", text])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


EXIT = {"right": 0, "wrong": 1, "asked": 2}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_notation_on_check(case: Case, capsys: pytest.CaptureFixture[str]) -> None:
    q = BANK.get(case.template).instantiate(_seed(case))
    text = case.typed(q)
    code, out, err = _check(q.ref, text, capsys)
    assert code == EXIT[case.outcome], (text, out, err)
    shown = out if case.outcome != "asked" else err
    assert "Traceback" not in err
    if case.outcome != "asked":
        assert shown.startswith("read as: ") and case.echo(q) in shown.splitlines()[0], shown
    if case.outcome == "wrong":
        assert "✗ Wrong." in out and "Correct answer:" in out
    if case.name == "NMS without suppression":
        assert "Recognised mistake: that is every box by decreasing score" in out
        assert f"The answer has {len(q.answer)} entries; yours is a vector of" in out
        assert "no-suppression" not in out
    if case.name == "too few digits":
        assert "has 1 significant figure: give 3 significant figures" in err
    if case.name == "decimal comma":
        assert "decimal comma" in err and sig3(iou(q)) in err


def _quiz_seed(case: Case) -> tuple[int, Any]:
    """A session seed whose one question (in the template's section) is a usable variant."""
    section = BANK.get(case.template).section
    for seed in range(3000):
        (q,) = select.choose(BANK, n=1, seed=seed, sections=[section])
        if q.template.id == case.template and case.usable(q):
            return seed, q
    raise AssertionError(f"no session seed gives {case.template} for {case.name}")


QUIZ_CASES = CASES


def _quiz(seed: int, section: str, stdin: str, monkeypatch, capsys) -> tuple[int, str, str]:
    """``dlstudy quiz`` with piped input (stdin not a terminal), in this process."""
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    try:
        main(["quiz", "--n", "1", "--seed", str(seed), "--section", section])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("case", QUIZ_CASES, ids=[c.name for c in QUIZ_CASES])
def test_notation_in_a_piped_quiz(
    case: Case, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seed, q = _quiz_seed(case)
    text = case.typed(q)
    code, out, err = _quiz(seed, q.template.section, f"{text}\n", monkeypatch, capsys)
    assert code == 0, err
    assert q.ref in out  # the question we built the answer for
    if case.outcome == "right":
        assert "✓ Right." in out, (text, out[-800:])
    elif case.outcome == "wrong":
        assert "✗ Wrong." in out, (text, out[-800:])
    else:
        assert "Not counted" in out or "Could not read that" in out, (text, out[-800:])
        assert "Right." not in out and "Wrong." not in out  # never graded: end of input ends it
    if case.outcome != "asked":
        assert case.echo(q) in out


def test_notations_through_a_real_pipe(tmp_path: Path) -> None:
    """``printf 'answer\\n…' | dlstudy quiz``: a decimal comma asked about, then the same number
    with a point; a size as 21×21; all in a real shell pipeline."""
    comma = next(c for c in CASES if c.name == "decimal comma")
    seed, q = _quiz_seed(comma)
    right = sig3(iou(q))
    lines = f"{right.replace('.', ',')}\\n{right}\\n"
    command = " ".join(
        [*dlstudy_cmd(), "quiz", "--n", "1", "--seed", str(seed), "--section", q.template.section]
    )
    proc = subprocess.run(
        ["bash", "-c", f"printf '{lines}' | {command}"],
        capture_output=True,
        text=True,
        timeout=120,
        env=subprocess_env(DLSTUDY_HOME=str(tmp_path), TERM="dumb", COLUMNS="100"),
    )
    assert proc.returncode == 0, proc.stderr
    assert "decimal comma" in proc.stdout and "✓ Right." in proc.stdout
    assert proc.stdout.index("decimal comma") < proc.stdout.index("✓ Right.")


def _relu_net(q: Any) -> tuple[list[int], list[int]]:
    """δ² = a² − y and δ¹ = (W²)ᵀδ² ⊙ ReLU'(z¹) (ReLU'(0) = 0), from the parameters, in integers."""
    x, y = q.params["x"], q.params["y"]
    w1, b1, w2, b2 = q.params["W1"], q.params["b1"], q.params["W2"], q.params["b2"]
    z1 = [
        sum(w * xi for w, xi in zip(row, x, strict=True)) + b for row, b in zip(w1, b1, strict=True)
    ]
    a1 = [max(0, z) for z in z1]
    a2 = [
        sum(w * a for w, a in zip(row, a1, strict=True)) + b for row, b in zip(w2, b2, strict=True)
    ]
    d2 = [a - t for a, t in zip(a2, y, strict=True)]
    d1 = [
        sum(w2[i][j] * d2[i] for i in range(len(d2))) * (1 if z1[j] > 0 else 0)
        for j in range(len(z1))
    ]
    assert d1 == q.answer
    return d2, d1


def test_the_offered_layouts_of_delta2_delta1_are_accepted() -> None:
    """backprop.relu-delta1 offers "You may also give [δ², δ¹]": every layout of that pair is read
    as the two stages (and a wrong δ² is named as the first stage that goes wrong)."""
    t = BANK.get("backprop.relu-delta1")
    for seed in range(40):
        q = t.instantiate(seed)
        d2, d1 = _relu_net(q)
        a, b = " ".join(map(str, d2)), " ".join(map(str, d1))
        for typed in (
            f"[{d2}, {d1}]",
            f"{a}; {b}",
            f"{a} {b}",
            f"({', '.join(map(str, d2))}), ({', '.join(map(str, d1))})",
            b,
        ):
            assert q.grade(typed).correct, (seed, typed)
        wrong = [d2[0] + 1, *d2[1:]]
        g = q.grade(f"{' '.join(map(str, wrong))}; {b}")
        assert not g.correct and "first goes wrong at δ^2" in g.message
