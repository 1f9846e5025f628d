"""DQN targets and loss against torch (mse_loss, smooth_l1_loss, autograd with a detached target),
and replay sampling against a deque simulation of the ring buffer and a chi-square uniformity test."""

from __future__ import annotations

from collections import deque

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from dlstudy.errors import DlstudyError
from dlstudy.grading import grade
from dlstudy.reference.registry import call

batches = st.integers(1, 5).flatmap(
    lambda b: st.tuples(
        st.lists(st.lists(st.floats(-5, 5), min_size=3, max_size=3), min_size=b, max_size=b),
        st.lists(st.lists(st.floats(-5, 5), min_size=3, max_size=3), min_size=b, max_size=b),
        st.lists(st.integers(0, 2), min_size=b, max_size=b),
        st.lists(st.floats(-3, 3), min_size=b, max_size=b),
        st.lists(st.booleans(), min_size=b, max_size=b),
    )
)


def torch_dqn(q, q_next, actions, r, done, gamma, loss):
    qt = torch.tensor(q, dtype=torch.float64, requires_grad=True)
    with torch.no_grad():
        y = (
            torch.tensor(r, dtype=torch.float64)
            + gamma
            * (1 - torch.tensor(done, dtype=torch.float64))
            * torch.tensor(q_next, dtype=torch.float64).max(dim=1).values
        )
    q_sa = qt.gather(1, torch.tensor(actions).unsqueeze(1)).squeeze(1)
    fn = F.mse_loss if loss == "mse" else F.smooth_l1_loss
    value = fn(q_sa, y)
    value.backward()
    return y.numpy(), value.item(), qt.grad.numpy()


@settings(max_examples=100, deadline=None)
@given(batches, st.sampled_from([0.0, 0.9, 1.0]), st.sampled_from(["mse", "huber"]))
def test_dqn_targets_and_loss_match_torch(batch, gamma, loss):
    q, q_next, actions, r, done = batch
    y, value, grad = torch_dqn(q, q_next, actions, r, done, gamma, loss)
    sol = call("dqn-targets", {"r": r, "q_next": q_next, "done": done, "gamma": gamma})
    np.testing.assert_allclose(sol.result, y, rtol=1e-12, atol=1e-12)
    args = {"q": q, "actions": actions, "r": r, "q_next": q_next, "done": done, "gamma": gamma,
            "loss": loss}  # fmt: skip
    sol = call("dqn-loss", args)
    assert sol.result == pytest.approx(value, rel=1e-10, abs=1e-12)
    semi = sol.steps[-1].value  # ∂L/∂Q(s_i, a_i): torch's grad at the taken actions
    taken = grad[np.arange(len(actions)), actions]
    np.testing.assert_allclose(semi, taken, rtol=1e-10, atol=1e-12)


def test_dqn_named_mistakes():
    args = {"r": [1, 2], "q_next": [[0, 4], [1, 3]], "done": [False, True], "gamma": 0.5,
            "q_next_online": [[5, 0], [0, 0]]}  # fmt: skip
    sol = call("dqn-targets", args)
    assert sol.result.tolist() == [3, 2]
    assert grade(sol, [3, 3.5]).mistake.name == "no-done-mask"
    assert grade(sol, [3.5, 2]).mistake.name == "online-target"
    loss = call("dqn-loss", {**args, "q": [[1, 0], [0, 1]], "actions": [0, 1]})
    assert loss.result == pytest.approx(((3 - 1) ** 2 + (2 - 1) ** 2) / 2)
    assert grade(loss, 5).mistake.name == "sum-not-mean"
    assert grade(loss, ((3 - 1) ** 2 + (3.5 - 1) ** 2) / 2).mistake.name == "no-done-mask"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"done": [0, 2]}, "done: expected true/false"),
        ({"q_next": [[0, 1]]}, "q_next: expected 2 rows"),
        ({"gamma": 1.5}, "gamma: expected a discount factor"),
    ],
)
def test_dqn_bad_input(args, message):
    base = {"r": [1, 2], "q_next": [[0, 4], [1, 3]], "done": [0, 1], "gamma": 0.5}
    with pytest.raises(DlstudyError, match=message):
        call("dqn-targets", {**base, **args})
    with pytest.raises(DlstudyError, match="actions: expected integer column indices"):
        call("dqn-loss", {**base, "q": [[1, 0], [0, 1]], "actions": [0, 2]})


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 8), st.integers(1, 30), st.integers(0, 1000), st.booleans(), st.data())
def test_replay_buffer_holds_the_last_transitions(capacity, n_pushed, seed, replace, data):
    held = deque(maxlen=capacity)
    for i in range(n_pushed):
        held.append(i)
    batch = data.draw(st.integers(1, len(held) if not replace else 10))
    sol = call("replay-sample", {"capacity": capacity, "n_pushed": n_pushed, "batch_size": batch,
                                 "seed": seed, "replace": replace})  # fmt: skip
    ids = sol.result["transitions"]
    assert len(ids) == batch and set(ids) <= set(held)
    if not replace:
        assert len(set(ids)) == batch
    ring = sorted(held, key=lambda i: i % capacity)  # slot j holds the id ≡ j (mod capacity)
    assert [ring[s] for s in sol.result["slots"]] == ids
    again = call("replay-sample", {"capacity": capacity, "n_pushed": n_pushed, "batch_size": batch,
                                   "seed": seed, "replace": replace})  # fmt: skip
    assert again.result == sol.result


def test_replay_sampling_is_uniform():
    counts = np.zeros(10)
    for seed in range(2000):
        for i in call("replay-sample", {"capacity": 10, "n_pushed": 25, "batch_size": 3,
                                        "seed": seed}).result["transitions"]:  # fmt: skip
            counts[i - 15] += 1
    assert stats.chisquare(counts).pvalue > 1e-3


def test_replay_batch_larger_than_buffer():
    with pytest.raises(DlstudyError, match="batch_size: 5 is more than the 3 transitions"):
        call("replay-sample", {"capacity": 10, "n_pushed": 3, "batch_size": 5})
