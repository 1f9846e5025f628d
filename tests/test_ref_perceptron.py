"""Perceptron learning against an independent hand loop, worked examples, and the convergence
theorem on separable data (every point classified, at most (R/γ)² updates)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlstudy.errors import DlstudyError
from dlstudy.grading import grade
from dlstudy.output import to_jsonable
from dlstudy.reference import registry
from dlstudy.reference.perceptron import perceptron_epoch, perceptron_train


def hand_loop(X, y, w, eta, epochs, zero_is_wrong=True, signed=True):
    """The textbook loop, written plainly: returns w, total mistakes, epochs with a mistake.

    ``zero_is_wrong=False`` treats y·wᵀx = 0 as correct and ``signed=False`` drops y from the
    update (the wrong methods a student may use)."""
    w = [float(v) for v in w]
    total, busy = 0, 0
    for _ in range(epochs):
        mistakes = 0
        for xi, yi in zip(X, y, strict=True):
            score = yi * sum(a * b for a, b in zip(w, xi, strict=True))
            if score < 0 or (score == 0 and zero_is_wrong):
                step = yi if signed else 1
                w = [a + eta * step * b for a, b in zip(w, xi, strict=True)]
                mistakes += 1
        total += mistakes
        if mistakes == 0:
            break
        busy += 1
    return w, total, busy


def test_worked_epoch():
    # point 1: 0 ≤ 0 → w = [1, 2]; point 2: -(−1 + 2) = −1 → w = [1, 2] − [−1, 1] = [2, 1];
    # point 3: 4 − 1 = 3 > 0
    X, y = [[1, 2], [-1, 1], [2, -1]], [1, -1, 1]
    sol = registry.call("perceptron-epoch", {"X": X, "y": y})
    assert list(sol.result["w"]) == [2.0, 1.0]
    assert sol.result["updates"] == 2
    assert "b" not in sol.result
    assert [list(v) for _, v in sol.checkpoints] == [[1, 2], [2, 1], [2, 1]]
    assert "≤ 0" in sol.convention
    # stage grading names the first point that goes wrong
    verdict = grade(sol, [[1, 2], [0, 3], [0, 3]])
    assert not verdict.correct and verdict.first_wrong_step == "after point 2"
    assert grade(sol, [[1, 2], [2, 1], [2, 1]]).correct


def test_epoch_mistakes_are_named():
    X, y = [[1, 2], [-1, 1], [2, -1]], [1, -1, 1]
    sol = perceptron_epoch(X, y)
    # update on every point: [1,2] + [1,-1] + [2,-1] = [4, 0]
    assert grade(sol, {"w": [4, 0], "updates": 3}).mistake.name == "update-all"
    # sign dropped: [1,2]; score −1 → [0,3]; score −3 → [2,2]
    assert grade(sol, {"w": [2, 2], "updates": 3}).mistake.name == "sign-dropped"
    # y·wᵀx = 0 taken as correct: nothing ever updates from w = 0
    assert grade(sol, {"w": [0, 0], "updates": 0}).mistake.name == "zero-as-correct"


@settings(max_examples=100, deadline=None)
@given(
    st.integers(1, 8),
    st.integers(1, 4),
    st.sampled_from([0.5, 1.0, 2.0]),
    st.integers(0, 2**32 - 1),
)
def test_epoch_and_train_match_hand_loop(n, d, eta, seed):
    rng = np.random.default_rng(seed)
    X = rng.integers(-3, 4, size=(n, d)).astype(float)
    y = rng.choice([-1.0, 1.0], size=n)
    w0 = rng.integers(-2, 3, size=d).astype(float)
    w, total, _ = hand_loop(X.tolist(), y.tolist(), w0, eta, 1)
    sol = perceptron_epoch(X, y, w0, eta)
    np.testing.assert_allclose(sol.result["w"], w)
    assert sol.result["updates"] == total
    w, total, busy = hand_loop(X.tolist(), y.tolist(), w0, eta, 20)
    tr = perceptron_train(X, y, w0, eta, max_epochs=20)
    np.testing.assert_allclose(tr.result["w"], w)
    assert tr.result["updates"] == total
    assert tr.result["epochs"] == busy


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 6), st.integers(1, 3), st.integers(0, 2**32 - 1))
def test_train_mistakes_match_the_hand_loop_run_the_wrong_way(n, d, seed):
    rng = np.random.default_rng(seed)
    X = rng.integers(-3, 4, size=(n, d)).astype(float)
    y = rng.choice([-1.0, 1.0], size=n)
    mistakes = {m.name: m.value for m in perceptron_train(X, y, max_epochs=20).mistakes}
    for name, flags in [
        ("zero-as-correct", {"zero_is_wrong": False}),
        ("sign-dropped", {"signed": False}),
    ]:
        w, total, busy = hand_loop(X.tolist(), y.tolist(), [0.0] * d, 1.0, 20, **flags)
        np.testing.assert_allclose(mistakes[name]["w"], w, err_msg=name)
        assert mistakes[name]["updates"] == total, name
        assert mistakes[name]["epochs"] == busy, name


@settings(max_examples=100, deadline=None)
@given(st.integers(2, 30), st.integers(2, 4), st.integers(0, 2**32 - 1))
def test_convergence_theorem_on_separable_data(n, d, seed):
    rng = np.random.default_rng(seed)
    u = rng.normal(size=d)
    u /= np.linalg.norm(u)
    X = rng.normal(size=(n, d)) * 3
    margins = X @ u
    keep = np.abs(margins) > 0.3
    if keep.sum() < 2:
        return
    X, y = X[keep], np.sign(margins[keep])
    gamma = float(np.min(y * (X @ u)))  # margin of the unit separator u
    R = float(np.max(np.linalg.norm(X, axis=1)))
    sol = perceptron_train(X, y, max_epochs=10_000)
    assert sol.result["converged"]
    assert np.all(y * (X @ sol.result["w"]) > 0)  # every point on its side
    assert sol.result["updates"] <= (R / gamma) ** 2


def test_bias_is_the_same_as_a_column_of_ones():
    rng = np.random.default_rng(3)
    for _ in range(20):
        X = rng.integers(-3, 4, size=(6, 2)).astype(float)
        y = rng.choice([-1.0, 1.0], size=6)
        w, total, busy = hand_loop(np.c_[X, np.ones(6)].tolist(), y.tolist(), [0, 0, 0.5], 1.0, 15)
        sol = perceptron_train(X, y, b0=0.5, max_epochs=15)
        np.testing.assert_allclose([*sol.result["w"], sol.result["b"]], w)
        assert sol.result["updates"] == total and sol.result["epochs"] == busy


def test_train_worked_example_and_epoch_convention():
    # AND-like data with a bias: 1D points 0, 1, 2, 3 labelled −, −, +, +
    X, y = [[0], [1], [2], [3]], [-1, -1, 1, 1]
    sol = perceptron_train(X, y, b0=0)
    w, total, busy = hand_loop([[0, 1], [1, 1], [2, 1], [3, 1]], y, [0, 0], 1.0, 100)
    assert [*sol.result["w"], sol.result["b"]] == w
    assert sol.result["updates"] == total
    assert sol.result["converged"] and sol.result["epochs"] == busy and busy > 1
    assert len(sol.checkpoints) == busy
    wrong = dict(sol.result, epochs=busy + 1)
    assert grade(sol, wrong).mistake.name == "epochs-with-check-pass"


def test_xor_does_not_converge():
    sol = perceptron_train(
        [[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]], [-1, 1, 1, -1], max_epochs=50
    )
    assert sol.result["converged"] is False
    assert sol.result["epochs"] == 50


def test_bad_input():
    with pytest.raises(DlstudyError, match="-1 or \\+1"):
        perceptron_epoch([[1, 2]], [0])
    with pytest.raises(DlstudyError, match="y: expected 2 labels"):
        perceptron_epoch([[1, 2], [3, 4]], [1])
    with pytest.raises(DlstudyError, match="w0: expected 2 weights"):
        perceptron_epoch([[1, 2]], [1], [0, 0, 0])
    with pytest.raises(DlstudyError, match="eta"):
        perceptron_epoch([[1, 2]], [1], eta=0)
    with pytest.raises(DlstudyError, match="max_epochs"):
        perceptron_train([[1, 2]], [1], max_epochs=0)
    with pytest.raises(DlstudyError, match="max_epochs"):
        perceptron_train([[1, 2]] * 10, [1] * 10, max_epochs=10**6)
    with pytest.raises(DlstudyError, match="b0"):
        registry.call("perceptron-epoch", {"X": [[1, 2]], "y": [1], "b0": "x"})


def test_results_are_plain_json():
    sol = perceptron_train([[1, 2], [-1, 1]], [1, -1], b0=0)
    payload = json.loads(json.dumps(to_jsonable(sol.to_json())))
    assert payload["result"]["converged"] is True
    assert isinstance(payload["result"]["b"], float)
