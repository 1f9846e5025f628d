"""``bank lint`` over the whole built-in bank, and on broken templates it must catch."""

from __future__ import annotations

from pathlib import Path

from dlstudy.bank import load_bank
from dlstudy.bank.lint import lint_bank
from dlstudy.bank.loader import builtin_files

SEEDS = 12


def test_builtin_bank_passes_lint() -> None:
    bank = load_bank()
    report = lint_bank(bank, seeds=SEEDS)
    assert report.problems == [], "\n".join(report.problems)
    assert report.ok and len(report.templates) == len(bank.templates) >= 1
    assert len(report.files) == len(builtin_files())  # every built-in file was linted


BROKEN = """
[[template]]
id = "l.loose"
section = "rf-params"
kind = "number"
prompt = "k = {k}"
precision = { sig = 1 }
params = { k = { type = "int", low = 1, high = 3 } }
[template.answer]
function = "conv-params"
args = { k = "$k", c_in = 1, c_out = 1 }

[[template]]
id = "l.loose-no-mistakes"
section = "activations"
kind = "number"
prompt = "relu({x})"
precision = { sig = 1 }
params = { x = { type = "int", low = 1, high = 3 } }
[template.answer]
function = "relu"
args = { x = "$x" }

[[template]]
id = "l.never-valid"
section = "rf-params"
kind = "integer"
prompt = "n = {n}"
params = { n = { type = "int", low = 1, high = 2 } }
[template.answer]
function = "output-size"
args = { n = "$n", k = 9 }

[[template]]
id = "l.unused-misconception"
section = "rf-params"
kind = "integer"
prompt = "k = {k}, C_in = 2"
hints = ["(k·k·C_in + 1)·C_out"]
few_answers = "k from 1 to 3"
params = { k = { type = "int", low = 1, high = 3 } }
[template.answer]
function = "conv-params"
args = { k = "$k", c_in = 2, c_out = 2 }
[[template.misconceptions]]
name = "no-such-mistake"

[[template]]
id = "l.wrong-kind"
section = "rf-params"
kind = "matrix"
prompt = "k = {k}"
params = { k = { type = "int", low = 1, high = 3 } }
[template.answer]
function = "conv-params"
args = { k = "$k", c_in = 2, c_out = 2 }

[[template]]
id = "l.fine"
section = "rf-params"
kind = "integer"
prompt = "k = {k}, C_in = 2"
hints = ["(k·k·C_in + 1)·C_out"]
few_answers = "k from 1 to 3"
params = { k = { type = "int", low = 1, high = 3 } }
[template.answer]
function = "conv-params"
args = { k = "$k", c_in = 2, c_out = 2 }
"""


def test_lint_catches_broken_templates(tmp_path: Path) -> None:
    (tmp_path / "broken.toml").write_text(BROKEN, encoding="utf-8")
    report = lint_bank(load_bank([tmp_path], builtin=False), seeds=5)
    assert not report.ok
    by_id = {t.id: t.problems for t in report.templates}
    # one significant figure: the forgotten bias ((k²+1) vs k²) is inside the tolerance of every
    # sample, so no question can tell it from the answer
    assert any("within the answer's tolerance" in p for p in by_id["l.loose"])
    assert any("perturbed answer" in p for p in by_id["l.loose-no-mistakes"])
    assert any("no usable sample" in p for p in by_id["l.never-valid"])
    assert any("no-such-mistake never returned" in p for p in by_id["l.unused-misconception"])
    assert any("expected a matrix" in p for p in by_id["l.wrong-kind"])
    assert by_id["l.fine"] == []
    assert report.files[str(tmp_path / "broken.toml")]["templates"] == 6


# -- the quality rules (issue 18): each catches the defect it is for --------------------------------

RULES = """
[[template]]
id = "q.trivial"
section = "perceptron"
kind = "vector"
prompt = "Give the derivative of ReLU at every entry of z = {z} (use g'(0) = 0)."
hints = ["g'(z) is 1 for z > 0 and 0 for z < 0."]
params = { z = { type = "int_vector", n = 2, low = -3, high = 1 } }
[template.answer]
function = "relu-derivative"
args = { x = "$z", at_zero = 0 }

[[template]]
id = "q.few"
section = "rf-params"
kind = "integer"
prompt = "A 3×3 convolution from C_in = {c} to 4 channels: how many parameters?"
hints = ["(k·k·C_in + 1)·C_out"]
params = { c = { type = "choice", values = [1, 2, 3] } }
[template.answer]
function = "conv-params"
args = { k = 3, c_in = "$c", c_out = 4 }

[[template]]
id = "q.few-declared"
section = "rf-params"
kind = "integer"
prompt = "A 3×3 convolution from C_in = {c} to 4 channels: how many parameters?"
hints = ["(k·k·C_in + 1)·C_out"]
few_answers = "a choice among 3 channel counts"
params = { c = { type = "choice", values = [1, 2, 3] } }
[template.answer]
function = "conv-params"
args = { k = 3, c_in = "$c", c_out = 4 }

[[template]]
id = "q.noise"
section = "hmax"
kind = "number"
prompt = "An S-cell with prototype w = {w}, σ = 1, sees x = [0, 0]: its response y?"
hints = ["y = exp(−Σ(w_j − x_j)² / 2σ²)"]
params = { w = { type = "int_vector", n = 2, low = 9, high = 12 } }
[template.answer]
function = "hmax-s-cell"
args = { w = "$w", x = [0, 0], sigma = 1 }

[[template]]
id = "q.index"
section = "policy-gradient"
kind = "vector"
prompt = "A softmax bandit with θ = [0, 0, 0] pulls arm {a} and gets reward 1. What is ∇_θ log π(a)·r?"
hints = ["∇_θ log π(a) = e_a − π"]
params = { a = { type = "int", low = 0, high = 2 } }
[template.answer]
function = "reinforce-gradient"
args = { theta = [0, 0, 0], episodes = [["$a", 1]] }

[[template]]
id = "q.symbols"
section = "divergences"
kind = "number"
prompt = "P = [{a}, {b}] and Q = [1/2, 1/2]. Compute D_KL(Q ‖ P) in nats."
hints = ["Σ_i Q_i log(Q_i / P_i)"]
params = { a = { type = "fraction", low = 0.1, high = 0.9, denominators = [10] }, b = { type = "calc", expr = "1 - a" } }
[template.answer]
function = "kl"
args = { p = [0.5, 0.5], q = ["$a", "$b"] }

[[template]]
id = "q.control"
section = "gan"
kind = "bool"
prompt = "Is mode collapse a lack of diversity? \\u001b[2J"
correct = true

[[template]]
id = "q.minus"
section = "mle"
kind = "number"
prompt = "What is a - b for a = {a} and b >= 1, b = 2?"
params = { a = { type = "int", low = 3, high = 30 } }
[template.answer]
function = "uat-step-weights"
args = { s = "$a", w = 1 }
pick = "w"

[[template]]
id = "cnn.corr-valid"
section = "convolution"
kind = "bool"
prompt = "Copied from FORMAT.md without changing the id."
correct = true
"""


def test_quality_rules_catch_what_they_are_for(tmp_path: Path) -> None:
    (tmp_path / "rules.toml").write_text(RULES, encoding="utf-8")
    report = lint_bank(load_bank([tmp_path], builtin=False), seeds=60)
    found = {t.id: " | ".join(t.problems) for t in report.templates}
    assert "have the answer 0" in found["q.trivial"]  # z ≤ 0 in 4 of 5 entries: mostly all zeros
    assert "only 3 distinct answers" in found["q.few"]
    assert "distinct" not in found["q.few-declared"]  # the reason is declared
    assert "floating-point noise" in found["q.noise"]
    assert "where counting starts" in found["q.index"]
    assert "p, p_i" in found["q.symbols"] or "not given in the prompt" in found["q.symbols"]
    assert "control character \\x1b" in found["q.control"]
    assert "minus sign" in found["q.minus"] and "'≥', not '>='" in found["q.minus"]
    assert "the built-in template in cnn.toml has this id" in found["cnn.corr-valid"]


def test_the_format_example_passes_lint_and_a_copy_with_a_builtin_id_does_not(
    tmp_path: Path,
) -> None:
    import re

    from dlstudy.bank.loader import builtin_files

    fmt = (builtin_files()[0].parent / "FORMAT.md").read_text(encoding="utf-8")
    example = re.search(r"```toml\n(.*?)```", fmt, re.S).group(1)
    (tmp_path / "example.toml").write_text(example, encoding="utf-8")
    report = lint_bank(load_bank(files=[tmp_path / "example.toml"]), seeds=20)
    assert report.ok, report.problems
    clash = example.replace('id = "mynotes.corr-valid"', 'id = "cnn.corr-valid"')
    (tmp_path / "copy.toml").write_text(clash, encoding="utf-8")
    report = lint_bank(load_bank(files=[tmp_path / "copy.toml"]), seeds=5)
    assert not report.ok and "has this id" in report.problems[0]
    builtin = lint_bank(load_bank(files=[builtin_files()[0]]), seeds=1)
    assert not any("has this id" in p for p in builtin.problems)  # a built-in file is itself
