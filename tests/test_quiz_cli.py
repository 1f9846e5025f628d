"""The real quiz, exam, review, stats and topics commands in subprocesses: piped stdin, a
pseudo-terminal (pexpect), kill -9 durability, two sessions at once.

The commands run through ``tests/study_fakes.py`` (the CLI with a tiny fake bank), so the answers are
known exactly; ``tests/test_quiz_bank.py`` runs the same commands on the real bank.
"""

from __future__ import annotations

import csv
import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pexpect
import pytest

from dlstudy.study import select
from tests.conftest import subprocess_env
from tests.study_fakes import FakeBank

DRIVER = [sys.executable, str(Path(__file__).with_name("study_fakes.py"))]
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def env(home: Path, **extra: str) -> dict[str, str]:
    e = subprocess_env(DLSTUDY_HOME=str(home), TERM="dumb", COLUMNS="80", **extra)
    e.pop("FORCE_COLOR", None)
    return e


def run(
    home: Path, *args: str, stdin: str = "", timeout: float = 60
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*DRIVER, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env(home),
    )


def db_rows(
    home: Path,
    sql: str = "SELECT template, seed, answer, correct, hints_used, "
    "solution_shown, skipped, mode FROM attempts ORDER BY id",
) -> list[tuple]:
    with sqlite3.connect(home / "progress.sqlite3") as conn:
        return conn.execute(sql).fetchall()


def integrity(home: Path) -> str:
    with sqlite3.connect(home / "progress.sqlite3") as conn:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]


def plan(n: int, seed: int, **kw):
    return select.choose(FakeBank(), n=n, seed=seed, **kw)


# -- piped sessions -------------------------------------------------------------------------------


def test_piped_quiz_saves_everything_and_ends_at_eof(tmp_path):
    qs = plan(6, 21)
    lines = [
        qs[0].answer_text,  # right
        "?",  # hint
        "not readable" if qs[1].template.kind != "choice" else "zz",  # explained, asked again
        "",  # empty: explained
        "=" + qs[1].answer_text,  # right after a hint
        "s",  # solution: not known
        "skip",
        "help",
    ]
    proc = run(tmp_path, "quiz", "--n", "6", "--seed", "21", stdin="\n".join(lines) + "\n")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert out.count("✓ Right.") == 1 and out.count("✓ Right, with 1 hint.") == 1
    assert "Could not read that" in out and "Not counted" in out
    assert "Hint 1/" in out and "Worked solution" in out and "Skipped." in out
    assert "Commands:" in out
    assert "Session summary" in out and "Session seed 21" in out
    assert f"{qs[0].ref}" in out and "Question 5/6" in out
    assert not ANSI.search(out)
    assert max(len(line) for line in out.splitlines()) <= 80
    rows = db_rows(tmp_path)
    assert [(r[0], r[1]) for r in rows] == [(q.template.id, q.seed) for q in qs[:4]]
    assert [r[3] for r in rows] == [1, 1, 0, None]
    assert [r[4] for r in rows] == [0, 1, 0, 0]  # hints used
    assert [r[5] for r in rows] == [0, 0, 1, 0]  # solution shown
    assert [r[6] for r in rows] == [0, 0, 0, 1]  # skipped
    assert integrity(tmp_path) == "ok"


def test_piped_wrong_answer_names_the_mistake_and_shows_the_answer(tmp_path):
    qs = plan(1, 3, sections=["perceptron"])
    q = qs[0]
    proc = run(
        tmp_path,
        "quiz",
        "--n",
        "1",
        "--seed",
        "3",
        "--section",
        "perceptron",
        "--solutions",
        stdin=f"{q.mistake_value}\n",
    )
    assert proc.returncode == 0, proc.stderr
    assert "✗ Wrong." in proc.stdout
    assert "Recognised mistake: you subtracted instead of adding" in proc.stdout
    assert "subtracted\n" not in proc.stdout  # the description, never the internal id
    assert f"Correct answer:\n{q.answer}" in proc.stdout
    assert "Worked solution" in proc.stdout  # --solutions
    assert db_rows(tmp_path, "SELECT misconception, correct FROM attempts") == [("subtracted", 0)]


def test_piped_quit_keeps_progress_and_same_seed_repeats(tmp_path):
    qs = plan(5, 8)
    proc = run(tmp_path, "quiz", "--n", "5", "--seed", "8", stdin=f"{qs[0].answer_text}\nq\n")
    assert proc.returncode == 0
    assert len(db_rows(tmp_path)) == 1
    again = run(tmp_path, "quiz", "--n", "5", "--seed", "8", stdin="")
    refs = re.findall(r"fake\.[\w-]+:\d+", again.stdout)
    assert refs[0] == qs[0].ref


def test_bad_options_exit_2(tmp_path):
    for args, message in [
        (["quiz", "--section", "convolutoin"], "did you mean 'convolution'"),
        (["quiz", "--n", "0"], "--n must be at least 1"),
        (["quiz", "--difficulty", "7"], "--difficulty must be 1, 2 or 3"),
        (["quiz", "--section", "rnn"], "no questions match section rnn"),
        (["exam", "--minutes", "0"], "--minutes must be more than 0"),
        (["review", "--limit", "0"], "--limit must be at least 1"),
        (["stats", "--export", str(tmp_path / "x.txt")], "must end in .csv or .json"),
    ]:
        proc = run(tmp_path, *args)
        assert proc.returncode == 2, (args, proc.stderr)
        assert proc.stderr.startswith("dlstudy: error: ") and message in proc.stderr, proc.stderr


def test_piped_exam_grades_at_the_end(tmp_path):
    qs = plan(3, 4)
    proc = run(
        tmp_path,
        "exam",
        "--n",
        "3",
        "--seed",
        "4",
        "--minutes",
        "5",
        stdin=f"{qs[0].answer_text}\n?\nskip\n",
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "Right." not in out.split("Exam report")[0]  # no feedback before the report
    assert "hints are not available in an exam" in out
    assert "left] answer> " in out
    assert "Exam report" in out and "Score: 1/3" in out
    assert "Worked solution" in out  # the missed ones
    rows = db_rows(tmp_path)
    # the third question, never reached, is stored blank at the hand-in: the report's 3 questions
    assert [(r[3], r[6], r[7]) for r in rows] == [
        (1, 0, "exam"),
        (None, 1, "exam"),
        (None, 1, "exam"),
    ]
    assert "1 right, 0 wrong, 2 blank" in out


def test_piped_exam_times_out(tmp_path):
    qs = plan(3, 6)
    read_end, write_end = os.pipe()
    os.write(write_end, (qs[0].answer_text + "\n").encode())  # then silence, input still open
    try:
        proc = subprocess.Popen(
            [*DRIVER, "exam", "--n", "3", "--seed", "6", "--seconds", "1.5"],
            stdin=read_end,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env(tmp_path),
        )
        os.close(read_end)
        out, err = proc.communicate(timeout=30)  # the timer must end the exam
    finally:
        os.close(write_end)
    assert proc.returncode == 0, err
    assert "Time is up." in out and "time ran out" in out
    assert "blank" in out and "Score: 1/3" in out
    rows = db_rows(tmp_path)
    assert [(r[3], r[6]) for r in rows] == [(1, 0), (None, 1), (None, 1)]  # 1 right, 2 blank


# -- stats, export, topics --------------------------------------------------------------------------


def test_stats_json_export_and_topics(tmp_path):
    qs = plan(6, 30)
    answers = [qs[0].answer_text, qs[1].answer_text, "s", "skip", qs[4].answer_text]
    run(tmp_path, "quiz", "--n", "6", "--seed", "30", stdin="\n".join(answers) + "\n")
    proc = run(tmp_path, "stats", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["attempts"] == 4  # answered or solution shown; the skip is not an attempt
    assert data["correct"] == 3 and data["skipped"] == 1
    assert sum(s["attempts"] for s in data["sections"]) == 4
    assert {s["section"] for s in data["sections"]} == {q.template.section for q in qs[:5]}
    for s in data["sections"]:
        assert set(s) >= {"section", "attempts", "accuracy", "last_seen", "retrievability"}

    proc = run(tmp_path, "stats")
    assert "Progress by section" in proc.stdout and "Score by session" in proc.stdout

    csv_path = tmp_path / "out.csv"
    proc = run(tmp_path, "stats", "--export", str(csv_path), "--json")
    assert proc.returncode == 0 and json.loads(proc.stdout)["attempts"] == 4
    with csv_path.open() as fh:
        rows = list(csv.DictReader(fh))
    assert [r["template"] for r in rows] == [q.template.id for q in qs[:5]]
    assert [r["answer"] for r in rows[:2]] == answers[:2]
    json_path = tmp_path / "out.json"
    assert run(tmp_path, "stats", "--export", str(json_path)).returncode == 0
    exported = json.loads(json_path.read_text())
    assert len(exported["attempts"]) == 5 and len(exported["cards"]) == 4

    proc = run(tmp_path, "topics", "--json")
    assert proc.returncode == 0, proc.stderr
    topics = {r["section"]: r for r in json.loads(proc.stdout)["sections"]}
    assert topics["perceptron"]["templates"] == 2 and topics["rnn"]["templates"] == 0
    assert topics["perceptron"]["title"] == "Perceptron Learning"
    proc = run(tmp_path, "topics")
    assert "Topics of the notes" in proc.stdout
    assert max(len(line) for line in proc.stdout.splitlines()) <= 80


# -- a pseudo-terminal -----------------------------------------------------------------------------


def spawn(home: Path, *args: str, timeout: float = 20) -> pexpect.spawn:
    child = pexpect.spawn(
        DRIVER[0],
        [*DRIVER[1:], *args],
        env=env(home),
        encoding="utf-8",
        dimensions=(24, 80),
        timeout=timeout,
    )
    return child


def test_pty_full_quiz(tmp_path):
    qs = plan(4, 12, sections=["perceptron", "activations"])
    child = spawn(
        tmp_path, "quiz", "--n", "4", "--seed", "12", "--section", "perceptron,activations"
    )
    child.expect_exact("answer> ")
    child.sendline("help")
    child.expect_exact("Commands:")
    child.expect_exact("answer> ")
    child.sendline(qs[0].answer_text)
    child.expect_exact("Right.")
    child.expect_exact("answer> ")
    # a wrong answer: feedback, then a pause offering the worked solution
    wrong = "z" if qs[1].template.kind == "choice" else "9999"
    child.sendline(wrong)
    if qs[1].template.kind == "choice":
        child.expect_exact("Could not read that")
        child.expect_exact("answer> ")
        wrong = next(x for x in "abc" if x != qs[1].answer)
        child.sendline(wrong)
    child.expect_exact("Wrong.")
    child.expect_exact("Enter: next")
    child.sendline("s")
    child.expect_exact("Worked solution")
    child.expect_exact("Enter: next")
    child.sendline("")
    child.expect_exact("Question 3/4")
    child.expect_exact("answer> ")
    child.sendline("?")
    child.expect(r"Hint 1/\d|No hints")
    child.sendline("q")
    child.expect_exact("Session summary")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert not ANSI.search(child.before or "")
    rows = db_rows(tmp_path)
    assert [r[3] for r in rows] == [1, 0]
    # every non-empty line typed at a prompt is kept for readline, commands included
    history = (tmp_path / "answer_history").read_text().splitlines()
    assert history[-4:] == [wrong, "s", "?", "q"]


def test_pty_exam_times_out(tmp_path):
    qs = plan(3, 14)
    child = spawn(tmp_path, "exam", "--n", "3", "--seed", "14", "--minutes", "0.02")
    child.expect(r"\[00:0\d left\] answer> ")
    child.sendline(qs[0].answer_text)
    child.expect_exact("recorded")
    child.expect_exact("answer> ")
    # now wait without typing: the timer interrupts the answer line
    child.expect_exact("Time is up.")
    child.expect_exact("Exam report")
    child.expect_exact("Score: 1/3")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert [r[3] for r in db_rows(tmp_path)] == [1, None, None]  # the two others blank


def test_pty_review_session(tmp_path):
    child = spawn(tmp_path, "review", "--new", "3", "--limit", "10", "--seed", "2")
    child.expect_exact("Review: 0 due, 3 new")
    refs = []
    for _ in range(3):
        child.expect(r"(fake\.[\w-]+):(\d+)")
        refs.append((child.match.group(1), int(child.match.group(2))))
        child.expect_exact("answer> ")
        q = FakeBank().get(refs[-1][0]).instantiate(refs[-1][1])
        child.sendline(q.answer_text)
        child.expect_exact("Right.")
    child.expect_exact("Session summary")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    # new templates in the order of the notes: perceptron first, then activations
    assert [r[0] for r in refs] == ["fake.add1", "fake.add2", "fake.add3"]
    cards = db_rows(tmp_path, "SELECT template FROM cards ORDER BY template")
    assert cards == [("fake.add1",), ("fake.add2",), ("fake.add3",)]
    # right away: nothing due, and today's new templates are used up
    proc = run(tmp_path, "review", "--new", "3")
    assert proc.returncode == 0
    assert "Nothing to review now" in proc.stdout and "new templates are done" in proc.stdout


# -- durability ------------------------------------------------------------------------------------


def _kill_run(home: Path, rng: random.Random) -> None:
    n = 8
    seed = rng.randint(1, 10**6)
    qs = plan(n, seed)
    child = spawn(home, "quiz", "--n", str(n), "--seed", str(seed))
    stop_after = rng.randint(0, n - 2)  # the session never completes before the kill
    graded = 0
    for q in qs[:stop_after]:
        child.expect_exact("answer> ")
        if rng.random() < 0.25:
            child.sendline("s")
            child.expect_exact("counted as not known")
            child.expect_exact("Enter: next question")
            child.sendline("")
        else:
            child.sendline(q.answer_text)
            child.expect_exact("Right.")
        graded += 1
    in_flight = 0
    if rng.random() < 0.5 and stop_after < n:
        child.expect_exact("answer> ")
        child.sendline(qs[stop_after].answer_text)  # killed while (maybe) saving this one
        in_flight = 1
        time.sleep(rng.random() * 0.05)
    os.kill(child.pid, signal.SIGKILL)
    child.expect(pexpect.EOF)
    child.close(force=True)
    assert child.signalstatus == signal.SIGKILL
    before = getattr(_kill_run, "total", 0)
    rows = db_rows(home, "SELECT template, seed FROM attempts ORDER BY id")
    new_rows = rows[before:]
    assert graded <= len(new_rows) <= graded + in_flight
    assert new_rows[:graded] == [(q.template.id, q.seed) for q in qs[:graded]]
    assert integrity(home) == "ok"
    _kill_run.total = len(rows)


def _kill_many(tmp_path: Path, times: int) -> None:
    rng = random.Random(20240501)
    _kill_run.total = 0
    for _ in range(times):
        _kill_run(tmp_path, rng)
    proc = run(tmp_path, "stats", "--json")
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["attempts"] == _kill_run.total


def test_kill_9_loses_no_graded_answer(tmp_path):
    _kill_many(tmp_path, 10)


@pytest.mark.slow
def test_kill_9_loses_no_graded_answer_50_times(tmp_path):
    _kill_many(tmp_path, 50)


def test_two_sessions_at_once(tmp_path):
    procs = []
    for seed in (101, 202):
        qs = plan(6, seed)
        p = subprocess.Popen(
            [*DRIVER, "quiz", "--n", "6", "--seed", str(seed)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env(tmp_path),
        )
        procs.append((p, qs))
    # interleave the answers of the two sessions line by line
    for k in range(6):
        for p, qs in procs:
            assert p.stdin is not None
            p.stdin.write(qs[k].answer_text + "\n")
            p.stdin.flush()
    for p, _ in procs:
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
        assert out.count("Right.") == 6
    rows = db_rows(tmp_path, "SELECT session_id, template, seed, correct FROM attempts")
    assert len(rows) == 12 and all(r[3] == 1 for r in rows)
    by_session: dict[int, list] = {}
    for sid, tid, seed, _ in rows:
        by_session.setdefault(sid, []).append((tid, seed))
    assert sorted(by_session.values()) == sorted(
        [[(q.template.id, q.seed) for q in qs] for _, qs in procs]
    )
    assert len(db_rows(tmp_path, "SELECT id FROM sessions WHERE ended IS NOT NULL")) == 2
    assert integrity(tmp_path) == "ok"
