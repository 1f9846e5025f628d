"""``dlstudy derive`` end to end: exit codes 0/1/2/3, FILE, ``-`` and piped stdin, ``--json`` alone on
stdout, unreadable lines named by line and column on one stderr line, input bounds, hostile input
under resource limits, and the interactive prompt in a pseudo-terminal (pexpect).

Every verdict asserted is a hand-derived identity or non-identity (the comments give the algebra).
Time limits are hang guards only; CPU is bounded with ``resource`` limits."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys

import pexpect
import pytest
from conftest import ROOT, dlstudy_cmd, run_limited, subprocess_env

GUARD = 120  # seconds: a hang guard, far above what a run takes

RIGHT = """\
# d/dx sigma(x), by the quotient rule
diff(sigmoid(x), x)
= diff(1/(1 + exp(-x)), x)
exp(-x)/(1 + exp(-x))**2   # (1 + e^-x)^-2 * e^-x
sigmoid(x)*(1 - sigmoid(x))
"""
# line 5 by hand: σ(1 + σ) ≠ e^-x/(1 + e^-x)² = σ(1 - σ) (at x = 0: 3/4 vs 1/4)
WRONG = RIGHT.replace("1 - sigmoid(x))", "1 + sigmoid(x))")


def run(*args: str, stdin: str = "", cpu: int = 120) -> subprocess.CompletedProcess:
    return run_limited(["derive", *args], stdin=stdin, cpu_seconds=cpu, timeout=GUARD)


def write(tmp_path, text: str, name: str = "d.txt") -> str:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return str(p)


def test_exit_0_when_every_step_is_proven(tmp_path):
    p = run(write(tmp_path, RIGHT))
    assert p.returncode == 0, p.stderr
    assert p.stdout.count("✓") == 3 and "✗" not in p.stdout
    assert "Every step proven" in p.stdout and p.stderr == ""


def test_exit_1_names_the_first_wrong_step_its_counterexample_and_slip(tmp_path):
    p = run(write(tmp_path, WRONG))
    assert p.returncode == 1, p.stderr
    assert "line 5 does not equal line 4" in p.stdout
    assert "at x = " in p.stdout and "line 4 = " in p.stdout and "line 5 = " in p.stdout
    assert "likely slip: a sign" in p.stdout
    assert "First wrong step: line 5 (expression line 4)" in p.stdout


def test_json_is_the_only_output_and_follows_the_contract(tmp_path):
    p = run(write(tmp_path, WRONG), "--json")
    assert p.returncode == 1
    data = json.loads(p.stdout)  # the whole of stdout is one object
    assert set(data) == {"steps", "first_wrong"} and data["first_wrong"] == 4
    assert [s["line"] for s in data["steps"]] == [2, 3, 4, 5]
    assert [s["status"] for s in data["steps"]] == ["equivalent"] * 3 + ["not-equivalent"]
    assert data["steps"][1]["text"] == "= diff(1/(1 + exp(-x)), x)"
    assert all(set(s) == {"line", "text", "status", "counterexample"} for s in data["steps"])
    assert data["steps"][3]["counterexample"]["values"].keys() == {"x"}


@pytest.mark.parametrize(
    "text, where",
    [
        ("x\n(x + 1\n", "line 2, column 7"),  # expected ')' at the end
        ("x\n\n# fine\n2*x + $\n", "line 4, column 7"),
        ("x\nsigmoid x\n", "line 2, column 1"),  # a function must be called: sigmoid(x)
    ],
)
def test_exit_2_an_unreadable_line_on_one_stderr_line(tmp_path, text, where):
    path = write(tmp_path, text)
    p = run(path)
    assert p.returncode == 2 and p.stdout == ""
    assert p.stderr.count("\n") == 1, p.stderr  # one line, no traceback
    assert p.stderr.startswith(f"dlstudy: error: {path}: {where}: "), p.stderr


def test_exit_3_when_a_step_is_undetermined(tmp_path):
    # sin(e^(e^20)) cannot be evaluated within the limit: neither a proof nor a counterexample
    p = run(write(tmp_path, "x\nAbs(sin(exp(exp(20))))\n"), "--timeout", "1", "--json")
    assert p.returncode == 3, p.stderr
    assert json.loads(p.stdout)["steps"][1]["status"] == "undetermined"


def test_stdin_dash_and_piped_stdin_without_argument():
    text = "diff(x*exp(x), x)\nexp(x) + x*exp(x)\n(1 + x)*exp(x)\n"  # the product rule
    for args in (["-"], []):
        p = run(*args, "--json", stdin=text)
        assert p.returncode == 0, p.stderr
        assert [s["line"] for s in json.loads(p.stdout)["steps"]] == [1, 2, 3]
    p = run(stdin=text)  # no argument, piped: read to the end, the same report
    assert p.returncode == 0 and "<stdin>" in p.stdout and p.stdout.count("✓") == 2


def test_assume_is_repeatable_and_needed(tmp_path):
    # log(s2/s1) = log s2 - log s1 only for s1, s2 > 0
    path = write(tmp_path, "log(s2/s1)\nlog(s2) - log(s1)\n")
    p = run(path, "--assume", "s1 > 0", "--assume", "s2 > 0")
    assert p.returncode == 0, p.stdout + p.stderr
    assert run(path, "--timeout", "2").returncode == 3
    p = run(path, "--assume", "s1 > 0", "--assume", "s2 > 0", "--assume", "q > 0")
    assert "note: --assume names q" in p.stderr


@pytest.mark.parametrize("value", ["nan", "0", "-1", "601", "inf"])
def test_timeout_is_validated(tmp_path, value):
    p = run(write(tmp_path, "x\n"), "--timeout", value)
    assert p.returncode == 2 and "--timeout" in p.stderr


def test_only_regular_files_and_bounded_input(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    p = run(str(fifo))  # never opened: it would wait for a writer
    assert p.returncode == 2 and "not a regular file (a FIFO)" in p.stderr
    assert run(str(tmp_path)).returncode == 2
    assert "No such file" in run(str(tmp_path / "missing")).stderr
    big = write(tmp_path, "x\n" * 200_000, "big.txt")
    p = run(big)
    assert p.returncode == 2 and "too large (more than 262,144 bytes)" in p.stderr
    many = write(tmp_path, "x\n" * 1001, "many.txt")
    p = run(many)
    assert p.returncode == 2 and "too many lines (1001; at most 1000)" in p.stderr
    long = write(tmp_path, "x\n" + "x+" * 1100 + "x\n", "long.txt")
    p = run(long)
    assert p.returncode == 2 and "line 2 is too long" in p.stderr and "at most 2000" in p.stderr
    bad = tmp_path / "latin1.txt"
    bad.write_bytes(b"x\nx + \xe9\n")
    p = run(str(bad))
    assert p.returncode == 2 and "line 2, column 5: not UTF-8" in p.stderr


def test_control_characters_never_reach_the_terminal(tmp_path):
    # \x0b and \x0c are whitespace to the parser: the line is read, and shown without them
    p = run(write(tmp_path, "x\x0b+ 1\n1 +\x0cx\n"))
    assert p.returncode == 0, p.stderr
    assert "\x0b" not in p.stdout and "\x0c" not in p.stdout


def _cpu_children() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


@pytest.mark.parametrize(
    "hostile", ["Abs(sin(exp(exp(20))))", "x**exp(exp(exp(exp(10))))", "9**9**9**9"]
)
def test_hostile_lines_end_within_the_cpu_limit(tmp_path, hostile):
    path = write(tmp_path, f"x\n{hostile}\n{hostile} = 1\n")
    before = _cpu_children()
    p = run(path, "--timeout", "1", "--json", cpu=90)  # RLIMIT_CPU on the command itself
    spent = _cpu_children() - before
    assert p.returncode in (2, 3), p.stderr
    if p.returncode == 2:
        assert "exponent too large" in p.stderr
    assert spent < 60  # start-up + three 1 s steps; a runaway would hit the limit


def test_help_does_not_import_sympy():
    code = (
        "import sys\nfrom dlstudy.cli import main\n"
        "try:\n    main(['derive', '--help'])\nexcept SystemExit:\n    pass\n"
        "sys.stderr.write(repr([m for m in ('numpy', 'sympy', 'torch') if m in sys.modules]))\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=subprocess_env()
    )
    assert r.stderr.strip().endswith("[]"), r.stderr
    assert "Check a derivation line by line" in r.stdout


def test_the_interactive_prompt_checks_each_line_as_it_is_typed(tmp_path):
    env = subprocess_env(DLSTUDY_HOME=str(tmp_path / "home"), COLUMNS="120")
    child = pexpect.spawn(
        dlstudy_cmd()[0],
        [*dlstudy_cmd()[1:], "derive"],
        cwd=str(ROOT),
        env=env,
        encoding="utf-8",
        timeout=GUARD,
        dimensions=(40, 120),
    )
    child.expect(r"1 > ")
    child.sendline("diff(x**2/2, x)")
    child.expect("·")  # the starting point
    child.expect(r"2 > ")
    child.sendline("x + (")  # unreadable: asked again, with the column
    child.expect(r"cannot read that: line 2, column 6")
    child.expect(r"2 > ")
    child.sendline("x")  # d/dx x²/2 = x
    child.expect("✓")
    child.expect(r"3 > ")
    child.sendline("2*x")  # by hand: 2x ≠ x
    child.expect("likely slip: a missing factor 1/2")
    child.expect(r"4 > ")
    child.sendline("")  # an empty line ends
    child.expect("First wrong step: line 3")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1
    history = (tmp_path / "home" / "derive_history").read_text()
    assert "diff(x**2/2, x)" in history  # readline history kept for the next session


def test_bundled_examples_are_right_and_named_ones_only():
    """Every bundled example derivation is proven step by step (with the assumptions its first
    comment states); an unknown name lists them; FILE and --example together are refused."""
    from dlstudy.symbolic.derive_report import examples

    assert set(examples()) >= {"sigmoid-prime", "bce-gradient", "kl-gaussians"}
    for name in examples():
        extra = ["--assume", "s1 > 0", "--assume", "s2 > 0"] if name == "kl-gaussians" else []
        p = run("--example", name, *extra, "--json")
        assert p.returncode == 0, (name, p.stdout, p.stderr)
        assert json.loads(p.stdout)["first_wrong"] is None
    p = run("--example", "sigmoid-prim")
    assert p.returncode == 2 and "did you mean 'sigmoid-prime'" in p.stderr
    p = run("x.txt", "--example", "bce-gradient")
    assert p.returncode == 2 and "not both" in p.stderr
