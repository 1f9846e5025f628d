"""The session state machine (no I/O) and question selection."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlstudy.errors import DlstudyError
from dlstudy.study import select
from dlstudy.study.session import (
    Answered,
    Flagged,
    HandedIn,
    HelpShown,
    Hint,
    Invalid,
    Moved,
    Overview,
    Quit,
    Refused,
    Session,
    Skipped,
    SolutionShown,
    TimeUp,
)
from tests.study_fakes import FakeBank, FakeTemplate


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def questions(n: int = 3, kind: str = "integer"):
    t = FakeTemplate("fake.t", "perceptron", kind=kind)
    return [t.instantiate(s) for s in range(1, n + 1)]


def test_answer_flow_hints_time_and_summary():
    clock = Clock()
    qs = questions(3)
    s = Session(qs, clock=clock)
    assert s.position == (1, 3)
    s.present()
    clock.t += 5
    ev = s.handle("?")
    assert isinstance(ev, Hint) and ev.text == "Add them." and (ev.number, ev.total) == (1, 2)
    s.handle("hint")
    ev = s.handle("?")
    assert isinstance(ev, Hint) and ev.text is None
    clock.t += 7
    ev = s.handle(str(qs[0].answer))
    assert isinstance(ev, Answered) and ev.item.correct
    assert ev.item.hints_shown == 2 and ev.item.seconds == 12
    assert s.position == (2, 3)
    # wrong with the named mistake
    s.present()
    clock.t += 3
    ev = s.handle(str(qs[1].mistake_value))
    assert isinstance(ev, Answered) and not ev.item.correct
    assert ev.item.grade.mistake == "subtracted"
    # solution: counts as not known
    s.present()
    ev = s.handle("s")
    assert isinstance(ev, SolutionShown) and not ev.item.correct and ev.item.answered
    assert s.finished
    (row,) = s.summary()
    assert (row.section, row.asked, row.answered, row.correct) == ("perceptron", 3, 3, 1)
    assert row.fraction == pytest.approx(1 / 3)
    assert [i.question.ref for i in s.missed()] == [qs[1].ref, qs[2].ref]
    assert s.to_review() == ["perceptron"]


def test_invalid_input_is_explained_and_not_counted():
    s = Session(questions(1))
    for text in ("", "   ", "abc", "= "):
        ev = s.handle(text)
        assert isinstance(ev, Invalid) and ev.message
        assert s.position == (1, 1) and not s.items[0].done
    ev = s.handle(f"={s.items[0].question.answer}")  # '=' forces an answer
    assert isinstance(ev, Answered) and ev.item.correct


def test_commands_skip_help_quit():
    s = Session(questions(3))
    assert isinstance(s.handle("HELP"), HelpShown)
    assert isinstance(s.handle("skip"), Skipped)
    assert s.items[0].skipped and not s.items[0].answered
    assert isinstance(s.handle("q"), Quit)
    assert s.finished and s.ended_by == "quit"
    # a quit session summarises the finished questions only
    assert [r.asked for r in s.summary()] == [1]


def test_exam_refuses_hints_and_solutions_and_times_out():
    clock = Clock()
    qs = questions(3)
    s = Session(qs, mode="exam", time_limit=60, clock=clock)
    assert not s.feedback
    assert isinstance(s.handle("?"), Refused)
    assert isinstance(s.handle("s"), Refused)
    assert isinstance(s.handle(str(qs[0].answer)), Answered)
    clock.t += 30
    assert s.remaining() == 30
    clock.t += 31
    ev = s.handle(str(qs[1].answer))  # too late: not graded
    assert isinstance(ev, TimeUp)
    assert s.items[1].grade is None and s.ended_by == "time"
    # the report counts the blank questions as missed
    (row,) = s.summary()
    assert (row.asked, row.correct) == (3, 1)
    assert [i.question.ref for i in s.missed()] == [qs[1].ref, qs[2].ref]


def test_unknown_mode():
    with pytest.raises(DlstudyError, match="mode"):
        Session([], mode="bogus")


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(max_size=12), max_size=25))
def test_any_input_keeps_the_session_consistent(lines):
    qs = questions(4)
    s = Session(qs)
    for line in lines:
        before = s.index
        ev = s.handle(line)
        finished_now = isinstance(ev, Answered | SolutionShown | Skipped)
        assert s.index == before + int(finished_now)
        if s.finished:
            break
    done = [i for i in s.items if i.done]
    assert len(done) == min(s.index, len(qs))
    assert all(i.answered or i.skipped for i in done)


# -- selection ------------------------------------------------------------------------------------


def test_choose_is_reproducible_and_covers_templates():
    bank = FakeBank()
    a = select.choose(bank, n=6, seed=11)
    b = select.choose(bank, n=6, seed=11)
    c = select.choose(bank, n=6, seed=12)
    assert [q.ref for q in a] == [q.ref for q in b]
    assert [q.ref for q in a] != [q.ref for q in c]
    assert len({q.template.id for q in a}) == 6  # n ≤ templates: no repeats


def test_choose_repeats_templates_when_n_exceeds_the_selection():
    bank = FakeBank()
    qs = select.choose(bank, n=5, seed=1, sections=["perceptron"])
    assert len(qs) == 5
    assert {q.template.id for q in qs} == {"fake.add1", "fake.add2"}
    assert all(1 <= q.seed <= select.QUESTION_SEEDS for q in qs)


def test_choose_filters_and_errors():
    bank = FakeBank()
    qs = select.choose(bank, n=3, seed=1, difficulty=3)
    assert {q.template.id for q in qs} == {"fake.add-rl"}
    with pytest.raises(DlstudyError, match="no questions match section rnn"):
        select.choose(bank, n=3, seed=1, sections=["rnn"])
    with pytest.raises(DlstudyError, match="--n"):
        select.choose(bank, n=0, seed=1)
    with pytest.raises(DlstudyError, match="did you mean 'convolution'"):
        select.check_sections(["convolutoin"])
    assert select.check_sections(["mdp,td", "dqn"]) == ["mdp", "td", "dqn"]
    with pytest.raises(DlstudyError, match="difficulty"):
        select.check_difficulty(4)


# -- exam navigation, the overview, the deadline; draws and variants --------------------------------


def test_exam_back_goto_flag_and_a_new_answer_replaces_the_old():
    clock = Clock()
    qs = questions(3)
    s = Session(qs, mode="exam", time_limit=600, clock=clock)
    s.present()
    clock.t += 10
    ev = s.handle("1")  # wrong
    assert isinstance(ev, Answered) and not ev.revised and s.position == (2, 3)
    ev = s.handle("flag")
    assert isinstance(ev, Flagged) and ev.item.flagged and s.position == (2, 3)
    ev = s.handle("b")
    assert isinstance(ev, Moved) and s.position == (1, 3)
    s.present()
    clock.t += 5
    ev = s.handle(str(qs[0].answer))
    assert isinstance(ev, Answered) and ev.revised and ev.item.correct
    assert s.items[0].seconds == 15  # both visits
    ev = s.handle("goto 3")
    assert isinstance(ev, Moved) and s.position == (3, 3)
    assert isinstance(s.handle("goto 9"), Invalid) and s.position == (3, 3)
    assert isinstance(s.handle("g 2"), Moved) and s.position == (2, 3)
    ev = s.handle("flag")  # toggles off
    assert isinstance(ev, Flagged) and not ev.item.flagged
    assert isinstance(s.handle("skip"), Skipped) and s.position == (3, 3)
    ev = s.handle(str(qs[2].answer))
    assert isinstance(ev, Answered)
    # past the last question: the overview, and nothing is handed in yet
    assert s.confirming == "end" and not s.finished
    assert s.overview() == {"answered": [1, 3], "blank": [2], "flagged": []}
    ev = s.handle("n")  # back to the first question still open
    assert isinstance(ev, Moved) and s.position == (2, 3) and s.confirming is None
    s.handle("q")
    assert s.confirming == "quit"
    assert isinstance(s.handle("maybe"), Invalid)
    assert isinstance(s.handle("y"), HandedIn)
    assert s.finished and s.ended_by == "quit"
    assert [i.blank for i in s.items] == [False, False, False]  # question 2 was skipped
    (row,) = s.summary()
    assert (row.asked, row.answered, row.correct, row.skipped) == (3, 2, 2, 1)


def test_exam_b_is_an_answer_on_a_choice_question():
    qs = questions(2, kind="choice")
    s = Session(qs, mode="exam", time_limit=60)
    s.handle("a")
    ev = s.handle("b")
    assert isinstance(ev, Answered) and ev.item.answer == "b"
    s.handle("back")
    assert s.confirming is None and s.position == (2, 2)


def test_exam_interrupt_asks_then_hands_in_with_blanks():
    qs = questions(3)
    s = Session(qs, mode="exam", time_limit=60)
    s.handle(str(qs[0].answer))
    ev = s.ask_hand_in("interrupt")
    assert isinstance(ev, Overview) and s.confirming == "interrupt"
    ev = s.handle("")  # Enter: back where the student was
    assert isinstance(ev, Moved) and s.position == (2, 3)
    s.ask_hand_in("interrupt")
    s.hand_in("interrupted")
    assert s.ended_by == "interrupted"
    assert [(i.answered, i.blank) for i in s.items] == [(True, False), (False, True), (False, True)]
    assert [r.asked for r in s.summary()] == [3]


def test_exam_deadline_submits_the_answer_being_typed():
    clock = Clock()
    qs = questions(2)
    s = Session(qs, mode="exam", time_limit=60, clock=clock)
    s.present()
    clock.t += 61
    ev = s.submit_at_deadline(f" {qs[0].answer}")
    assert isinstance(ev, Answered) and ev.item.correct and ev.item.answer == str(qs[0].answer)
    assert isinstance(s.submit_at_deadline("not a number"), Invalid)
    assert s.submit_at_deadline("   ") is None
    assert isinstance(s.expire(), TimeUp)
    assert s.ended_by == "time" and s.items[1].blank


def test_draws_are_built_only_when_shown():
    built: list[int] = []

    class Counting(FakeTemplate):
        def instantiate(self, seed: int):
            built.append(seed)
            return super().instantiate(seed)

    t = Counting("fake.count", "perceptron")
    draws = select.draws_from([t], 500, seed=3)
    s = Session(draws)
    assert built == []  # a long session starts at once
    assert s.present().question.ref == draws[0].ref
    assert built == [draws[0].seed]
    assert s.items[1].ref == draws[1].ref and built == [draws[0].seed]


def test_choose_is_draw_instantiated():
    bank = FakeBank()
    assert [q.ref for q in select.choose(bank, n=7, seed=5)] == [
        d.ref for d in select.draw(bank, n=7, seed=5)
    ]


def test_a_variant_is_the_same_template_with_another_seed_asked_next():
    qs = questions(2)
    s = Session(qs)
    s.handle("1")  # wrong
    d = select.variant(s.items[0].source, seed=9)
    assert d.template is qs[0].template and d.seed != qs[0].seed
    s.insert_variant(d)
    assert s.current.ref == d.ref and s.position == (2, 3)


def test_count_and_seed_limits():
    with pytest.raises(DlstudyError, match="at most 500"):
        select.check_count("--n", 501)
    assert select.check_count("--n", 500) == 500
    with pytest.raises(DlstudyError, match="10\\^18"):
        select.check_seed(10**30)
    with pytest.raises(DlstudyError, match="10\\^18"):
        select.check_seed(-1)
    assert select.check_seed(10**18) == 10**18
