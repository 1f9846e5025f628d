"""The learning record through the real commands (issue 16): exam keys in a pseudo-terminal, review
schedules, the plan, cram, named mistakes, variants and leeches, one set of figures, damaged stores and
sessions ended by signals. The store's rows are the oracle for every count.

Time limits here are hang guards (pexpect timeouts), never goals.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
from datetime import date, datetime, timedelta
from pathlib import Path

import pexpect
import pytest

from dlstudy.study import select
from dlstudy.study.store import AttemptRecord, Store
from tests.study_fakes import FakeBank
from tests.test_quiz_cli import ANSI, db_rows, plan, run, spawn

GUARD = 60  # seconds: a hang guard for pexpect, far above what any step takes


def rows(home: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(home / "progress.sqlite3") as conn:
        return conn.execute(sql).fetchall()


def question(child: pexpect.spawn) -> tuple[str, int]:
    child.expect(r"(fake\.[\w-]+):(\d+)")
    return child.match.group(1), int(child.match.group(2))


def answer_of(ref: tuple[str, int]) -> str:
    return FakeBank().get(ref[0]).instantiate(ref[1]).answer_text


def wrong_for(ref: tuple[str, int]) -> str:
    return wrong_answer(FakeBank().get(ref[0]).instantiate(ref[1]))


def wrong_answer(q) -> str:
    """A readable wrong answer to a fake question."""
    if q.template.kind == "choice":
        return next(x for x in "abc" if x != q.answer)
    if q.template.kind == "matrix":
        return "9 9; 9 9"
    return "9999"


# -- exam mode in a terminal ----------------------------------------------------------------------


def test_pty_exam_back_goto_flag_overview_and_hand_in(tmp_path):
    child = spawn(tmp_path, "exam", "--n", "3", "--seed", "4", "--seconds", "600", timeout=GUARD)
    q1 = question(child)
    child.expect(r"\[(09:5\d|10:00) left\] answer> ")
    child.sendline(wrong_for(q1))
    child.expect_exact("(recorded)")
    q2 = question(child)
    child.expect_exact("answer> ")
    child.sendline("flag")
    child.expect_exact("Question 2 flagged")
    child.expect_exact("answer> ")
    child.sendline("back")
    assert question(child) == q1
    child.expect_exact(f"Your answer so far: {wrong_for(q1)}")
    child.expect_exact("answer> ")
    child.sendline(answer_of(q1))
    child.expect_exact("replaces your earlier answer")
    assert question(child) == q2
    child.expect_exact("answer> ")
    child.sendline("goto 3")
    q3 = question(child)
    child.expect_exact("answer> ")
    child.sendline(answer_of(q3))
    # past the last question: the overview before handing in
    child.expect_exact("Before you hand in")
    child.expect_exact("2 answered · 1 blank · flagged: 2")
    child.expect_exact("Hand in now?")
    child.sendline("n")  # back to the first open question: the flagged one
    assert question(child) == q2
    child.expect_exact("answer> ")
    child.sendline("q")  # q asks
    child.expect_exact("Before you hand in")
    child.expect_exact("Hand in now?")
    child.sendline("y")
    child.expect_exact("Exam report")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    report = child.before
    for ref in (q1, q2, q3):  # titles with ID:SEED
        assert f"{ref[0]}:{ref[1]}" in report
        assert FakeBank().get(ref[0]).title in report
    assert "Score: 2/3" in report and "3 questions: 2 right, 0 wrong, 1 blank" in report
    # the store: one row per question, the revised answer in place, the blank one stored
    got = rows(
        tmp_path, "SELECT template, seed, answer, correct, skipped, mode FROM attempts ORDER BY id"
    )
    assert got == [
        (q1[0], q1[1], answer_of(q1), 1, 0, "exam"),
        (q3[0], q3[1], answer_of(q3), 1, 0, "exam"),
        (q2[0], q2[1], None, None, 1, "exam"),
    ]
    # FSRS: the two answers reviewed once each, at the hand-in, with the final answer (Good)
    assert sorted(rows(tmp_path, "SELECT template, rating FROM review_log")) == sorted(
        [(q1[0], 3), (q3[0], 3)]
    )
    assert rows(tmp_path, "SELECT ended_by FROM sessions") == [("quit",)]


def test_pty_exam_ctrl_c_asks_and_a_second_ctrl_c_hands_in(tmp_path):
    child = spawn(tmp_path, "exam", "--n", "3", "--seed", "5", "--seconds", "600", timeout=GUARD)
    q1 = question(child)
    child.expect_exact("answer> ")
    child.sendline(answer_of(q1))
    child.expect_exact("(recorded)")
    child.expect_exact("answer> ")
    child.sendintr()  # asks
    child.expect_exact("Before you hand in")
    child.expect_exact("Hand in now?")
    child.sendline("")  # Enter: back to where the student was
    child.expect_exact("Question 2/3")
    child.expect_exact("answer> ")
    child.sendintr()
    child.expect_exact("Hand in now?")
    child.expect_exact("goto N > ")  # the whole prompt is drawn: the program is reading
    child.sendintr()  # the second Ctrl-C hands in
    child.expect_exact("Exam report")
    child.expect_exact("handed in with Ctrl-C")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    assert rows(tmp_path, "SELECT correct, skipped FROM attempts ORDER BY id") == [
        (1, 0),
        (None, 1),
        (None, 1),
    ]
    assert rows(tmp_path, "SELECT ended_by FROM sessions") == [("interrupted",)]


def test_pty_exam_warning_redraws_the_prompt_and_keeps_the_typed_text(tmp_path):
    """302 s: the 5-minute warning comes after 2 s; the prompt is drawn again with the time left
    then, and what was typed before the warning is still there."""
    child = spawn(tmp_path, "exam", "--n", "1", "--seed", "6", "--seconds", "302", timeout=GUARD)
    q1 = question(child)
    child.expect_exact("[05:02 left] answer> ")
    text = answer_of(q1)
    child.send(text[0])
    child.expect_exact("5 minutes left")
    child.expect(r"\[(05:00|04:5\d) left\] answer> ")
    child.sendline(text[1:])
    child.expect_exact("Hand in now?")
    child.sendline("y")
    child.expect_exact("Score: 1/1")
    child.expect(pexpect.EOF)
    child.close()
    assert rows(tmp_path, "SELECT answer, correct FROM attempts") == [(text, 1)]


def test_pty_exam_one_minute_warning(tmp_path):
    child = spawn(tmp_path, "exam", "--n", "1", "--seed", "6", "--seconds", "61.5", timeout=GUARD)
    child.expect_exact("answer> ")
    child.expect_exact("1 minute left")
    child.expect(r"\[(01:00|00:5\d) left\] answer> ")
    child.sendline("q")
    child.expect_exact("Hand in now?")
    child.sendline("y")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert "5 minutes left" not in child.before


def test_pty_exam_the_answer_being_typed_at_the_deadline_is_submitted(tmp_path):
    child = spawn(tmp_path, "exam", "--n", "2", "--seed", "7", "--seconds", "2", timeout=GUARD)
    q1 = question(child)
    child.expect_exact("answer> ")
    child.send(answer_of(q1))  # no Enter: the time runs out while it is being typed
    child.expect_exact(f"Submitted what you were typing: {answer_of(q1)}")
    child.expect_exact("Time is up.")
    child.expect_exact("Exam report")
    child.expect_exact("Score: 1/2")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert rows(tmp_path, "SELECT answer, correct, skipped FROM attempts ORDER BY id") == [
        (answer_of(q1), 1, 0),
        (None, None, 1),
    ]


# -- quiz and review in a terminal ---------------------------------------------------------------


def test_pty_solution_pauses_and_n_gives_another_variant(tmp_path):
    child = spawn(
        tmp_path, "quiz", "--n", "2", "--seed", "8", "--section", "perceptron", timeout=GUARD
    )
    q1 = question(child)
    child.expect_exact("answer> ")
    child.sendline("s")
    child.expect_exact("Worked solution")
    child.expect_exact("Enter: next question > ")  # a pause before the next question
    child.sendline("")
    q2 = question(child)
    child.expect_exact("answer> ")
    child.sendline("9999")
    child.expect_exact("Wrong.")
    child.expect_exact("n: another variant")
    child.sendline("n")
    child.expect_exact("Question 3/3")
    q3 = question(child)
    assert q3[0] == q2[0] and q3[1] != q2[1]  # same template, another variant
    child.expect_exact("answer> ")
    child.sendline(answer_of(q3))
    child.expect_exact("Right.")
    child.expect_exact("Session summary")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    got = rows(tmp_path, "SELECT template, seed, correct, solution_shown FROM attempts ORDER BY id")
    assert got == [(q1[0], q1[1], 0, 1), (q2[0], q2[1], 0, 0), (q3[0], q3[1], 1, 0)]


def test_pty_a_leech_shows_a_worked_example_first(tmp_path):
    with Store(tmp_path / "progress.sqlite3") as store:
        for k in range(6):
            store.record(
                AttemptRecord(template="fake.add-rl", section="mdp", seed=k + 1, correct=False)
            )
    child = spawn(tmp_path, "quiz", "--n", "1", "--seed", "3", "--section", "mdp", timeout=GUARD)
    child.expect_exact("Leech: you have missed")
    child.expect_exact("6 times")
    child.expect(r"Worked solution of fake\.add-rl:(\d+)")
    example_seed = int(child.match.group(1))
    child.expect_exact("Enter: try the question > ")
    child.sendline("")
    q = question(child)
    assert q[0] == "fake.add-rl" and q[1] != example_seed
    child.expect_exact("answer> ")
    child.sendline(answer_of(q))
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_review_says_when_templates_come_back_and_when_the_next_is_due(tmp_path):
    proc = run(tmp_path, "review", "--new", "0")
    assert proc.returncode == 0
    assert "No template has been studied yet." in proc.stdout
    assert "--new 0: no new templates today (6 not studied yet)" in proc.stdout
    assert "new templates are done" not in proc.stdout
    first = FakeBank().get("fake.add1")  # new templates come in the order of the notes
    ref = (first.id, select.review_draws([first], 1)[0].seed)
    proc = run(tmp_path, "review", "--new", "1", "--seed", "1", stdin=answer_of(ref) + "\n")
    # a fast right answer to a difficulty-1 template: Easy, back in 8 days (the fsrs package's
    # first Easy interval, checked here against the stored card)
    ((due,),) = rows(tmp_path, "SELECT due FROM cards")
    ((ts,),) = rows(tmp_path, "SELECT ts FROM review_log WHERE rating = 4")
    assert datetime.fromisoformat(due) - datetime.fromisoformat(ts) == timedelta(days=8)
    assert re.search(r"Comes back in 8 days \(\w{3} \d+ \w{3}\)\.", proc.stdout), proc.stdout
    assert re.search(r"Next review due in 8 days \(.*\): fake\.add1\.", proc.stdout)
    proc = run(tmp_path, "review", "--new", "1")
    assert "Nothing to review now." in proc.stdout
    assert re.search(r"Next review due in 8 days \(.*\): fake\.add1\.", proc.stdout)
    assert "Today's new templates are done (1 a day; 5 not studied yet)" in proc.stdout


def test_plan_cli_is_remembered_and_review_follows_it(tmp_path):
    today = date.today()
    exam = today + timedelta(days=4)
    proc = run(tmp_path, "plan", "--exam-date", exam.isoformat(), "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["exam_date"] == exam.isoformat()
    assert [(d["date"], d["new"]) for d in data["days"]] == [
        ((today + timedelta(days=k)).isoformat(), n) for k, n in enumerate([2, 2, 2, 0])
    ]
    assert set(data["days"][0]) == {"date", "new", "reviews"}
    again = json.loads(run(tmp_path, "plan", "--json").stdout)  # remembered in the store
    assert again == data
    assert rows(tmp_path, "SELECT value FROM settings WHERE key = 'exam_date'") == [
        (exam.isoformat(),)
    ]
    human = run(tmp_path, "plan").stdout
    assert "last day: review only" in human and "today" in human
    proc = run(tmp_path, "review", "--seed", "2", stdin="")
    assert "Review: 0 due, 2 new (today's share of the exam plan)" in proc.stdout
    stats = json.loads(run(tmp_path, "stats", "--json").stdout)
    assert stats["horizon"] == exam.isoformat()
    topics = " ".join(run(tmp_path, "topics").stdout.split())
    assert f"mastery: predicted chance of a right answer on {exam.isoformat()}" in topics
    for bad, message in [
        ("2024-13-01", "--exam-date"),
        ("next week", "expected a date like"),
        ((today - timedelta(days=1)).isoformat(), "in the past"),
    ]:
        proc = run(tmp_path, "plan", "--exam-date", bad)
        assert proc.returncode == 2 and message in proc.stderr, proc.stderr
        assert proc.stderr.count("\n") == 1
    assert run(tmp_path, "plan", "--clear").returncode == 0
    assert json.loads(run(tmp_path, "plan", "--json").stdout) == {"exam_date": None, "days": []}


def test_cram_counts_the_answers_and_leaves_fsrs_alone(tmp_path):
    qs = plan(3, 40)
    run(
        tmp_path,
        "quiz",
        "--n",
        "3",
        "--seed",
        "40",
        stdin="\n".join(q.answer_text for q in qs) + "\n",
    )
    cards = rows(tmp_path, "SELECT template, card, due FROM cards ORDER BY template")
    log = rows(tmp_path, "SELECT COUNT(*) FROM review_log")
    proc = run(tmp_path, "review", "--cram", "--limit", "2", "--seed", "1", stdin="s\ns\n")
    assert proc.returncode == 0, proc.stderr
    assert "Cram: the 2 questions of lowest mastery" in proc.stdout
    assert rows(tmp_path, "SELECT template, card, due FROM cards ORDER BY template") == cards
    assert rows(tmp_path, "SELECT COUNT(*) FROM review_log") == log
    assert rows(tmp_path, "SELECT COUNT(*) FROM attempts WHERE mode = 'cram'") == [(2,)]
    crammed = {r[0] for r in rows(tmp_path, "SELECT template FROM attempts WHERE mode = 'cram'")}
    assert crammed.isdisjoint({q.template.id for q in qs})  # never practised ones (mastery 0)


def test_named_mistakes_in_stats_and_quiz_mistakes(tmp_path):
    qs = plan(4, 11, sections=["perceptron"])
    answers = [str(q.mistake_value) for q in qs[:3]] + [q.answer_text for q in qs[3:]]
    run(
        tmp_path,
        "quiz",
        "--n",
        "4",
        "--seed",
        "11",
        "--section",
        "perceptron",
        stdin="\n".join(answers) + "\n",
    )
    data = json.loads(run(tmp_path, "stats", "--json").stdout)
    (m,) = data["mistakes"]
    assert m["name"] == "subtracted" and m["count"] == 3
    assert m["description"] == "you subtracted instead of adding"
    counts: dict[str, int] = {}
    for q in qs[:3]:
        counts[q.template.id] = counts.get(q.template.id, 0) + 1
    assert {t["template"]: t["count"] for t in m["templates"]} == counts
    human = run(tmp_path, "stats").stdout
    assert "×3 you subtracted instead of adding" in human
    assert "Add two integers (fake.add" in human
    proc = run(tmp_path, "quiz", "--mistakes", "--n", "3", "--seed", "2", stdin="")
    asked = {r[0] for r in re.findall(r"(fake\.[\w-]+):(\d+)", proc.stdout)}
    assert asked and asked <= set(counts)
    fresh = tmp_path / "fresh"
    proc = run(fresh, "quiz", "--mistakes")
    assert proc.returncode == 0 and "No named mistakes recorded yet" in proc.stdout


def test_one_set_of_figures_summary_report_stats_and_rows(tmp_path):
    """A quiz of 8 (4 right, 1 solution shown, 1 skipped, 2 wrong) and an exam of 4 (1 right, 3
    blank): the summary, the exam report, stats and the store's rows say the same."""
    qs = plan(8, 50)
    lines = [q.answer_text for q in qs[:4]] + ["s", "skip"] + [wrong_answer(q) for q in qs[6:]]
    quiz = run(tmp_path, "quiz", "--n", "8", "--seed", "50", stdin="\n".join(lines) + "\n").stdout
    assert "8 questions: 4 right, 3 wrong (1 solution shown), 1 skipped; score 50%" in quiz
    eq = plan(4, 51)
    exam = run(
        tmp_path,
        "exam",
        "--n",
        "4",
        "--seed",
        "51",
        "--minutes",
        "5",
        stdin=eq[0].answer_text + "\n",
    ).stdout
    assert "Score: 1/4 = 25%" in exam and "4 questions: 1 right, 0 wrong, 3 blank" in exam
    sessions = rows(tmp_path, "SELECT id FROM sessions ORDER BY id")
    per_session = rows(
        tmp_path,
        "SELECT session_id, COUNT(*), SUM(correct = 1 AND solution_shown = 0), SUM(skipped), "
        "SUM(solution_shown) FROM attempts GROUP BY session_id ORDER BY session_id",
    )
    assert per_session == [(sessions[0][0], 8, 4, 1, 1), (sessions[1][0], 4, 1, 3, 0)]
    data = json.loads(run(tmp_path, "stats", "--json").stdout)
    assert [
        (h["questions"], h["correct"], h["skipped"], h["solutions"]) for h in data["history"]
    ] == [
        (8, 4, 1, 1),
        (4, 1, 3, 0),
    ]
    assert [h["fraction"] for h in data["history"]] == [0.5, 0.25]
    assert data["attempts"] == 8 and data["correct"] == 5 and data["skipped"] == 4
    assert all(h["date"] for h in data["history"])
    # time spent: the sessions' real durations as stored, not the sum of answer times
    stored = rows(tmp_path, "SELECT SUM(seconds) FROM sessions")[0][0]
    assert data["seconds"] == pytest.approx(stored, abs=0.1)
    human = run(tmp_path, "stats").stdout
    assert re.search(
        r"\d{4}-\d\d-\d\d \d\d:\d\d  quiz   4 of 8 right, 1 shown, 1 skipped; score 50%", human
    )
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d  exam   1 of 4 right, 3 blank; score 25%", human)
    assert not ANSI.search(human)


# -- damaged stores, signals ----------------------------------------------------------------------


def test_a_store_with_damaged_rows_keeps_working(tmp_path):
    qs = plan(3, 60)
    run(
        tmp_path,
        "quiz",
        "--n",
        "3",
        "--seed",
        "60",
        stdin="\n".join(q.answer_text for q in qs) + "\n",
    )
    with sqlite3.connect(tmp_path / "progress.sqlite3") as conn:
        conn.execute("UPDATE cards SET card = '{not json'")
        conn.execute("UPDATE attempts SET ts = 'garbage' WHERE id = 1")
    proc = run(tmp_path, "stats", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["attempts"] == 2 and json.loads(proc.stdout)["damaged_rows"] >= 2
    warnings = [ln for ln in proc.stderr.splitlines() if ln.startswith("dlstudy: warning:")]
    assert len(warnings) == 1 and "dlstudy stats --check" in warnings[0]  # once, not per row
    # the quiz stores its answers on such a store (answering the same questions again)
    proc = run(
        tmp_path,
        "quiz",
        "--n",
        "3",
        "--seed",
        "60",
        stdin="\n".join(q.answer_text for q in qs) + "\n",
    )
    assert proc.returncode == 0, proc.stderr
    assert len(db_rows(tmp_path)) == 6
    assert not list(tmp_path.glob("*.bak"))  # the file is not refused
    proc = run(tmp_path, "stats", "--check")
    assert proc.returncode == 1 and "attempts id 1: ts: 'garbage' is not a timestamp" in proc.stdout
    proc = run(tmp_path, "stats", "--check", "--repair")
    assert proc.returncode == 0 and "quarantine" in proc.stdout
    proc = run(tmp_path, "stats", "--check")
    assert proc.returncode == 0 and "no damaged rows" in proc.stdout and not proc.stderr
    assert json.loads(run(tmp_path, "stats", "--json").stdout)["attempts"] == 5


@pytest.mark.parametrize(
    ("sig", "name"), [(signal.SIGTERM, "terminated"), (signal.SIGHUP, "terminated")]
)
def test_term_and_hup_end_the_session(tmp_path, sig, name):
    qs = plan(4, 70)
    child = spawn(tmp_path, "quiz", "--n", "4", "--seed", "70", timeout=GUARD)
    child.expect_exact("answer> ")
    child.sendline(qs[0].answer_text)
    child.expect_exact("Right.")
    child.expect_exact("answer> ")
    os.kill(child.pid, sig)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 128 + sig
    assert rows(tmp_path, "SELECT ended_by FROM sessions") == [(name,)]
    assert len(db_rows(tmp_path)) == 1


def test_kill_9_sessions_are_marked_ended_on_the_next_start(tmp_path):
    qs = plan(4, 71)
    child = spawn(tmp_path, "quiz", "--n", "4", "--seed", "71", timeout=GUARD)
    child.expect_exact("answer> ")
    child.sendline(qs[0].answer_text)
    child.expect_exact("Right.")
    child.expect_exact("answer> ")
    os.kill(child.pid, signal.SIGKILL)
    child.expect(pexpect.EOF)
    child.close(force=True)
    assert rows(tmp_path, "SELECT ended FROM sessions") == [(None,)]
    assert run(tmp_path, "stats", "--json").returncode == 0
    ((ended, by, seconds),) = rows(tmp_path, "SELECT ended, ended_by, seconds FROM sessions")
    (ts,) = rows(tmp_path, "SELECT ts FROM attempts")
    assert by == "killed" and ended == ts[0] and 0 <= seconds  # a duration, not a speed goal


def test_stats_and_topics_show_the_same_mastery(tmp_path):
    qs = plan(6, 80)
    answers = [q.answer_text if k % 2 else wrong_answer(q) for k, q in enumerate(qs)]
    run(tmp_path, "quiz", "--n", "6", "--seed", "80", stdin="\n".join(answers) + "\n")
    stats = {
        s["section"]: s for s in json.loads(run(tmp_path, "stats", "--json").stdout)["sections"]
    }
    topics = json.loads(run(tmp_path, "topics", "--json").stdout)
    by = {r["section"]: r for r in topics["sections"]}
    assert topics["mastery_date"] == json.loads(run(tmp_path, "stats", "--json").stdout)["horizon"]
    for section, s in stats.items():
        assert s["mastery"] == pytest.approx(
            by[section]["mastery"], rel=1e-3
        )  # a few seconds apart
        assert 0 <= s["mastery"] < 1 and s["accuracy"] is not None
