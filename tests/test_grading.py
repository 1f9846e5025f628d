"""Answer comparison shared by `solve --answer`, `check` and the quiz (dlstudy/grading.py)."""

import math

import numpy as np
import pytest

from dlstudy.errors import DlstudyError
from dlstudy.grading import close, grade
from dlstudy.reference.registry import Mistake, Solution


@pytest.mark.parametrize(
    ("expected", "given", "ok"),
    [
        (1.0, 1.0009, True),  # absolute 1e-3
        (1.0, 1.0011, False),
        (1000.0, 1000.9, True),  # relative 1e-3
        (1000.0, 1001.1, False),
        (0.0, 0.0009, True),
        (math.inf, math.inf, True),
        (math.inf, 1e300, False),
    ],
)
def test_close(expected, given, ok):
    assert close(expected, given) is ok


def test_matrix_entries_named():
    sol = Solution(np.array([[1.0, 2.0], [3.0, 4.0]]))
    v = grade(sol, [[1, 2], [3, 5]])
    assert not v.correct
    assert v.wrong_entries == [{"entry": "[1][1]", "expected": 4.0, "given": 5}]
    assert "1 of 4 entries" in v.message
    assert grade(sol, [[1, 2], [3, 4.0004]]).correct


def test_shape_mismatch_is_invalid_input():
    with pytest.raises(DlstudyError, match="expected 2 entries"):
        grade(Solution(np.zeros((2, 2))), [[0, 0, 0], [0, 0, 0], [0, 0, 0]])
    with pytest.raises(DlstudyError, match="expected a number"):
        grade(Solution(1.5), "abc")


def test_mistake_is_named():
    sol = Solution(
        np.array([[-4.0]]),
        mistakes=[
            Mistake(
                "no-flip", "you computed the correlation: convolution flips the kernel", [[4.0]]
            )
        ],
    )
    v = grade(sol, [[4]])
    assert not v.correct and v.mistake.name == "no-flip"
    assert "flips the kernel" in v.message


def test_mistake_equal_to_answer_is_not_named():
    sol = Solution(2.0, mistakes=[Mistake("same", "never shown", 2.0)])
    assert grade(sol, 3.0).mistake is None


def test_dict_results_compare_by_key():
    sol = Solution({"h": [0.5, 0.25], "c": [1.0, 2.0]})
    assert grade(sol, {"h": [0.5, 0.25], "c": [1, 2]}).correct
    v = grade(sol, {"h": [0.5, 0.3], "c": [1, 2]})
    assert [e["entry"] for e in v.wrong_entries] == ["h[1]"]
    with pytest.raises(DlstudyError, match="keys differ"):
        grade(sol, {"h": [0.5, 0.25]})


def test_first_divergent_stage():
    sol = Solution(
        9,
        checkpoints=[("layer 1", 3), ("layer 2", 5), ("layer 3", 9)],
        mistakes=[Mistake("k-not-k-1", "+k instead of +(k-1)", 12)],
    )
    assert grade(sol, [3, 5, 9]).correct
    v = grade(sol, [3, 6, 10])
    assert v.first_wrong_step == "layer 2"
    assert "layer 2" in v.message
    v = grade(sol, [3, 6, 12])
    assert v.mistake.name == "k-not-k-1" and v.first_wrong_step == "layer 2"


def test_strict_shape_rejects_what_lenient_grading_reads_through():
    sol = Solution([1.0, 2.0])
    assert grade(sol, [[1], [2]]).correct  # lenient: a column reads as the vector
    with pytest.raises(DlstudyError):
        grade(sol, [[1], [2]], strict_shape=True)
    assert grade(Solution(3.0), [3], strict_shape=True).correct  # a one-entry answer is a number
    with pytest.raises(DlstudyError):
        grade(Solution([3.0]), 3, strict_shape=True)
