"""``dlstudy bank list|show|lint`` and ``dlstudy check``: exit codes, JSON shapes, error messages."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dlstudy.cli import main

BANK = """
[[template]]
id = "c.conv"
section = "rf-params"
difficulty = 1
kind = "integer"
prompt = "A {k}×{k} conv from {c_in} to 4 channels: parameters?"
hints = ["(k·k·C_in + 1)·C_out"]
few_answers = "k and C_in from short lists"
params = { k = { type = "choice", values = [1, 3] }, c_in = { type = "int", low = 1, high = 3 } }
[template.answer]
function = "conv-params"
args = { k = "$k", c_in = "$c_in", c_out = 4 }

[[template]]
id = "c.choice"
section = "architectures"
difficulty = 2
kind = "choice"
prompt = "No FC layer?"
options = ["GoogLeNet", "VGG-16"]
correct = 0
"""


@pytest.fixture
def bank_dir(tmp_path: Path) -> Path:
    (tmp_path / "c.toml").write_text(BANK, encoding="utf-8")
    return tmp_path


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def _conv_answer(bank_dir: Path, seed: int, capsys: pytest.CaptureFixture[str]) -> tuple[int, int]:
    code, out, _ = run(
        ["bank", "show", "c.conv", "--seed", str(seed), "--json", "--bank", str(bank_dir)], capsys
    )
    assert code == 0
    data = json.loads(out)
    k, c_in = data["params"]["k"], data["params"]["c_in"]
    assert data["answer"] == (k * k * c_in + 1) * 4  # closed form
    return data["answer"], k * k * c_in * 4


def test_check_exit_codes(bank_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    right, no_bias = _conv_answer(bank_dir, 5, capsys)
    b = ["--bank", str(bank_dir)]
    code, out, _ = run(["check", "c.conv", "--seed", "5", "--answer", str(right), *b], capsys)
    assert code == 0 and "Right" in out and f"read as: {right}" in out
    code, out, _ = run(["check", "c.conv:5", "--answer", str(right), *b], capsys)
    assert code == 0
    code, out, _ = run(["check", "c.conv:5", "--answer", str(no_bias), *b], capsys)
    assert code == 1 and "Wrong" in out and "Correct answer" in out
    assert "Recognised mistake: you forgot the bias: one per filter, (k·k·C_in + 1)·C_out" in out
    assert "bias-forgotten" not in out  # never the internal id
    code, out, err = run(["check", "c.conv:5", "--answer", "12 +", *b], capsys)
    assert code == 2 and out == "" and err.startswith("dlstudy: error:")
    code, _, err = run(["check", "c.conv:5", "--answer", "__import__('os')", *b], capsys)
    assert code == 2 and "unexpected character" in err


def test_check_json_names_the_mistake(bank_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, no_bias = _conv_answer(bank_dir, 2, capsys)
    code, out, _ = run(
        ["check", "c.conv:2", "-a", str(no_bias), "--json", "--bank", str(bank_dir)], capsys
    )
    data = json.loads(out)
    assert code == 1 and data["correct"] is False and data["mistake"]["name"] == "bias-forgotten"
    assert data["mistake"]["description"].startswith("you forgot the bias")


def test_check_unknown_id_and_missing_seed(
    bank_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["check", "c.conb:1", "-a", "1", "--bank", str(bank_dir)], capsys)
    assert code == 2 and "did you mean 'c.conv'" in err
    code, _, err = run(["check", "c.conv", "-a", "1", "--bank", str(bank_dir)], capsys)
    assert code == 2 and "seed" in err


def test_bank_list_json(bank_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["bank", "list", "--json", "--bank", str(bank_dir)], capsys)
    data = json.loads(out)
    rows = {r["id"]: r for r in data["templates"]}
    assert code == 0
    assert rows["c.conv"] == {
        **rows["c.conv"],
        "section": "rf-params",
        "difficulty": 1,
        "answer_kind": "integer",
    }
    assert rows["c.choice"]["answer_kind"] == "choice"
    code, out, _ = run(
        ["bank", "list", "--json", "--section", "architectures", "--bank", str(bank_dir)], capsys
    )
    assert "c.conv" not in {r["id"] for r in json.loads(out)["templates"]}


def test_bank_show_json_and_text(bank_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["bank", "show", "c.choice:3", "--json", "--bank", str(bank_dir)], capsys)
    data = json.loads(out)
    assert code == 0 and {"id", "seed", "prompt", "params", "answer", "solution"} <= set(data)
    assert data["answer"] in ("a", "b") and data["options"][ord(data["answer"]) - 97] == "GoogLeNet"
    code, out, _ = run(["bank", "show", "c.conv", "--bank", str(bank_dir)], capsys)
    assert code == 0 and "Worked solution" in out and "Answer:" in out


def test_bank_lint_exit_codes(
    bank_dir: Path, tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(["bank", "lint", "--seeds", "5", "--file", str(bank_dir / "c.toml")], capsys)
    assert code == 0 and "pass" in out  # the report is on stdout
    broken = tmp_path_factory.mktemp("broken")
    (broken / "x.toml").write_text("[[template]]\nid = 'x.y'\n", encoding="utf-8")
    code, out, _ = run(
        ["bank", "lint", "--seeds", "5", "--file", str(broken / "x.toml"), "--json"], capsys
    )
    data = json.loads(out)
    assert code == 1 and data["ok"] is False
    assert any(p.startswith(f"{broken / 'x.toml'}: x.y: section") for p in data["problems"])


def test_check_runs_as_a_real_process(bank_dir: Path) -> None:
    cmd = [
        sys.executable,
        "-m",
        "dlstudy",
        "check",
        "c.choice:0",
        "--answer",
        "zz",
        "--bank",
        str(bank_dir),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stdout == "" and "letter from a to b" in proc.stderr
