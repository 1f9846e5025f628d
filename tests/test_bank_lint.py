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
tolerance = { rtol = 1.0, atol = 1.0 }
params = { k = { type = "int", low = 1, high = 3 } }
[template.answer]
function = "conv-params"
args = { k = "$k", c_in = 1, c_out = 1 }

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
    assert any("perturbed answer" in p for p in by_id["l.loose"])
    assert any("no usable sample" in p for p in by_id["l.never-valid"])
    assert any("no-such-mistake never returned" in p for p in by_id["l.unused-misconception"])
    assert any("expected a matrix" in p for p in by_id["l.wrong-kind"])
    assert by_id["l.fine"] == []
    assert report.files[str(tmp_path / "broken.toml")]["templates"] == 5
