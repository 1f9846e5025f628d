"""The quiz on the real built-in bank: the README's first command, start-up time and imports, the
correct answer of every question read back as right, and an exam/review through a pseudo-terminal."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from pathlib import Path

import pexpect
import pytest

from dlstudy.study import select
from tests.conftest import dlstudy_cmd, subprocess_env


def _bank():
    from dlstudy.bank import load_bank

    return load_bank(extra_dirs=[])


try:
    BANK = _bank()
except Exception:  # the bank is another part: without it these tests have nothing to run on
    BANK = None

pytestmark = pytest.mark.skipif(
    BANK is None or not BANK.templates, reason="the built-in question bank has no templates yet"
)


def typable(q) -> str | None:
    """The correct answer as a student types it (a letter for choices, JSON for arrays, one line),
    or None when it is not a single typed value (the test then asks for the solution)."""
    if q.template.kind == "choice":
        return q.answer_text.split(")")[0]
    if q.template.kind == "bool":
        return q.answer_text.split()[0]
    if isinstance(q.answer, dict):
        return None
    if isinstance(q.answer, list):
        return json.dumps(q.answer)
    return q.answer_text.replace("\n", " ")


def env(home: Path) -> dict[str, str]:
    return subprocess_env(DLSTUDY_HOME=str(home), TERM="dumb", COLUMNS="80")


def test_right_answers_are_graded_right_and_saved(tmp_path):
    n = min(12, len(BANK.templates))
    qs = select.choose(_bank(), n=n, seed=777)
    typed = [typable(q) for q in qs]
    stdin = "\n".join(t if t is not None else "s" for t in typed) + "\n"
    proc = subprocess.run(
        [*dlstudy_cmd(), "quiz", "--n", str(n), "--seed", "777"],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env=env(tmp_path),
    )
    assert proc.returncode == 0, proc.stderr
    assert all(q.ref in proc.stdout for q in qs)
    with sqlite3.connect(tmp_path / "progress.sqlite3") as conn:
        rows = conn.execute("SELECT template, seed, correct FROM attempts ORDER BY id").fetchall()
    assert [(t, s) for t, s, _ in rows] == [(q.template.id, q.seed) for q in qs]
    assert [r[2] for r in rows] == [int(t is not None) for t in typed], proc.stdout
    stats = subprocess.run(
        [*dlstudy_cmd(), "stats", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env(tmp_path),
    )
    assert json.loads(stats.stdout)["attempts"] == n


def test_first_question_imports_no_torch_and_shows_in_a_terminal(tmp_path):
    code = (
        "import sys, io; sys.argv = ['dlstudy', 'quiz', '--n', '1', '--seed', '5', "
        "'--section', 'rf-params']; sys.stdin = io.StringIO('');\n"
        "from dlstudy.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('MODULES', 'torch' in sys.modules, 'sympy' in sys.modules, file=sys.stderr)"
    )
    if not BANK.select(sections=["rf-params"]):
        pytest.skip("no rf-params templates")
    proc = subprocess.run(
        [os.sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env=env(tmp_path),
    )
    assert "MODULES False False" in proc.stderr, proc.stderr
    # how fast it shows is measured in tests/benchmarks/run.py, not here: a slow machine is no defect
    child = pexpect.spawn(
        dlstudy_cmd()[0],
        [*dlstudy_cmd()[1:], "quiz", "--n", "3"],
        env=env(tmp_path),
        encoding="utf-8",
        dimensions=(24, 80),
        timeout=30,
    )
    child.expect_exact("answer> ")
    child.sendline("q")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_pty_exam_on_the_real_bank(tmp_path):
    child = pexpect.spawn(
        dlstudy_cmd()[0],
        [*dlstudy_cmd()[1:], "exam", "--n", "2", "--seed", "9", "--seconds", "60"],
        env=env(tmp_path),
        encoding="utf-8",
        dimensions=(24, 80),
        timeout=30,
    )
    child.expect_exact("left] answer> ")
    child.sendline("skip")
    child.expect_exact("left] answer> ")
    child.sendline("q")
    child.expect_exact("Hand in now?")  # q asks before handing in
    child.sendline("y")
    child.expect_exact("Exam report")
    child.expect_exact("Score: 0/2")
    child.expect_exact("Worked solution")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_ctrl_c_keeps_answers_and_exits_130(tmp_path):
    qs = select.choose(_bank(), n=3, seed=31)
    child = pexpect.spawn(
        dlstudy_cmd()[0],
        [*dlstudy_cmd()[1:], "quiz", "--n", "3", "--seed", "31"],
        env=env(tmp_path),
        encoding="utf-8",
        dimensions=(24, 80),
        timeout=30,
    )
    child.expect_exact("answer> ")
    child.sendline(typable(qs[0]) or "s")
    child.expect(r"Right\.|counted as not known")
    child.expect_exact("answer> ")
    child.sendintr()
    child.expect_exact("Session summary")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    with sqlite3.connect(tmp_path / "progress.sqlite3") as conn:
        assert conn.execute("SELECT COUNT(*) FROM attempts").fetchone()[0] == 1


def test_matrix_answers_show_the_banks_six_digit_grid():
    """The correct answer of a matrix question is the bank's grid (one line per row, 6 significant
    digits, as in ``dlstudy check``), shown once at the end of the worked solution."""
    import io

    from rich.console import Console

    from dlstudy.bank.render import is_matrix
    from dlstudy.ui import render

    def fractional(m: list[list[float]]) -> bool:
        return any(abs(x - round(x)) > 1e-3 for row in m for x in row)

    qs = [t.instantiate(3) for t in BANK.templates.values()]
    q = next(
        (q for q in qs if is_matrix(q.answer) and len(q.answer) > 1 and fractional(q.answer)), None
    )
    if q is None:
        pytest.skip("no matrix answer with fractional entries in the bank")
    buf = io.StringIO()
    render.solution(Console(file=buf, width=80, no_color=True), q)
    # the worked solution ends with the answer: its grid follows the last "Answer:" line
    shown = buf.getvalue().rpartition("\nAnswer")[2].partition("\n")[2]
    rows = [
        [float(x) for x in line.strip(" ⎡⎢⎣⎤⎥⎦").replace("−", "-").split()]
        for line in shown.strip("\n").splitlines()
    ]
    # 6 significant digits: each entry within half a unit of its 6th digit (relative 5e-6); the
    # reference function's own numbers are the oracle
    assert rows == [pytest.approx(row, rel=5e-6) for row in q.answer]


def test_bank_option_takes_a_folder_or_a_file_and_names_a_missing_one(tmp_path):
    """quiz/exam/review/stats/topics read --bank as the bank loader does (dlstudy check, bank lint)."""
    from dlstudy.errors import DlstudyError
    from dlstudy.ui.sessions import load_bank

    mine = tmp_path / "mine.toml"
    mine.write_text(
        '[[template]]\nid = "mine.sarsa"\nsection = "td"\ndifficulty = 1\nkind = "choice"\n'
        'title = "On-policy"\nprompt = "Which TD control method is on-policy?"\n'
        'options = ["SARSA", "Q-learning"]\ncorrect = 0\n',
        encoding="utf-8",
    )
    for extra in (mine, tmp_path):
        bank = load_bank([extra])
        assert bank.templates["mine.sarsa"].section == "td"
        assert set(BANK.templates) < set(bank.templates)
    with pytest.raises(DlstudyError, match="--bank"):
        load_bank([tmp_path / "missing"])
