"""REINFORCE and the bandit policy gradient against torch autograd and exact enumeration."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dlstudy.errors import DlstudyError
from dlstudy.grading import grade
from dlstudy.reference.registry import call

N_S, N_A = 3, 2

steps_st = st.tuples(st.integers(0, N_S - 1), st.integers(0, N_A - 1), st.integers(-3, 3))
episode_st = st.lists(steps_st, min_size=1, max_size=5).map(lambda ep: [list(x) for x in ep])
theta_st = st.lists(
    st.lists(st.floats(-2, 2), min_size=N_A, max_size=N_A), min_size=N_S, max_size=N_S
)


def torch_reinforce(theta, episodes, gamma, baseline, reward_to_go):
    th = torch.tensor(theta, dtype=torch.float64, requires_grad=True)
    logp = torch.log_softmax(th, dim=1)
    total = torch.zeros((), dtype=torch.float64)
    for ep in episodes:
        r = [x[2] for x in ep]
        for t, (s, a, _) in enumerate(ep):
            if reward_to_go:
                g = sum(gamma ** (k - t) * r[k] for k in range(t, len(r)))
            else:
                g = sum(gamma**k * r[k] for k in range(len(r)))
            total = total + logp[s, a] * (g - baseline[s])
    (total / len(episodes)).backward()
    return th.grad.numpy()


@settings(max_examples=100, deadline=None)
@given(
    theta_st,
    st.lists(episode_st, min_size=1, max_size=3),
    st.sampled_from([0.5, 0.9, 1.0]),
    st.lists(st.integers(-2, 2), min_size=N_S, max_size=N_S),
    st.booleans(),
)
def test_reinforce_matches_autograd(theta, episodes, gamma, baseline, rtg):
    sol = call("reinforce-gradient", {"theta": theta, "episodes": episodes, "gamma": gamma,
                                      "baseline": baseline, "reward_to_go": rtg})  # fmt: skip
    expected = torch_reinforce(theta, episodes, gamma, baseline, rtg)
    np.testing.assert_allclose(sol.result, expected, rtol=1e-9, atol=1e-10)
    if len(episodes) == 1:  # one episode may be given without the outer list
        single = call("reinforce-gradient", {"theta": theta, "episodes": episodes[0], "gamma": gamma,
                                             "baseline": baseline, "reward_to_go": rtg})  # fmt: skip
        np.testing.assert_allclose(single.result, expected, rtol=1e-9, atol=1e-10)


def test_reinforce_named_mistakes():
    theta = [[0, 0], [1, -1], [0, 0]]
    ep = [[0, 1, 1], [1, 0, 2], [2, 1, 4]]
    sol = call("reinforce-gradient", {"theta": theta, "episodes": ep, "gamma": 0.5,
                                      "reward_to_go": True, "baseline": 1})  # fmt: skip
    wrong = {m.name: m.value for m in sol.mistakes}
    assert set(wrong) == {"descent", "gamma-t-not-t-minus-t", "full-return", "no-baseline"}
    np.testing.assert_allclose(wrong["descent"], -np.asarray(sol.result))
    # γ^{t'} instead of γ^{t'-t}: the weight of step 2 is γ²·4 - b instead of 4 - b
    assert wrong["gamma-t-not-t-minus-t"][2][1] == pytest.approx(0.5 * (0.25 * 4 - 1))
    assert sol.result[2][1] == pytest.approx(0.5 * (4 - 1))
    assert grade(sol, wrong["no-baseline"]).mistake.name == "no-baseline"
    # without b: Ĝ = (1 + ½·2 + ¼·4, 2 + ½·4, 4) = (3, 4, 4); row s of the gradient is (e_a - π(·|s))·Ĝ_t
    p1 = 1 / (1 + np.exp(-2))  # π(0|s1) = softmax(1, -1)_0 = σ(2)
    expected = [[-1.5, 1.5], [4 * (1 - p1), -4 * (1 - p1)], [-2, 2]]
    np.testing.assert_allclose(wrong["no-baseline"], expected, atol=1e-12)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(-3, 3), min_size=2, max_size=5), st.data())
def test_bandit_gradient_by_enumeration_and_autograd(theta, data):
    rewards = data.draw(st.lists(st.integers(-5, 5), min_size=len(theta), max_size=len(theta)))
    sol = call("bandit-gradient", {"theta": theta, "rewards": rewards})
    th = torch.tensor(theta, dtype=torch.float64, requires_grad=True)
    j = (torch.softmax(th, 0) * torch.tensor(rewards, dtype=torch.float64)).sum()
    j.backward()
    np.testing.assert_allclose(sol.result, th.grad.numpy(), rtol=1e-9, atol=1e-12)
    # score function: Σ_a π_a r_a ∇ log π_a, enumerated over the arms
    pi = torch.softmax(th.detach(), 0).numpy()
    score = sum(pi[a] * rewards[a] * (np.eye(len(theta))[a] - pi) for a in range(len(theta)))
    np.testing.assert_allclose(sol.result, score, rtol=1e-9, atol=1e-12)
    # and the expected REINFORCE estimate of a one-step bandit episode equals it (enumeration)
    expected = sum(
        pi[a]
        * np.asarray(
            call("reinforce-gradient", {"theta": theta, "episodes": [[a, rewards[a]]]}).result
        )
        for a in range(len(theta))
    )
    np.testing.assert_allclose(expected, sol.result, rtol=1e-9, atol=1e-12)


def test_baseline_leaves_the_expected_gradient_unchanged():
    theta = [[0.3, -0.2], [1.0, 0.0], [0.0, 0.5]]
    pi = np.exp(theta) / np.exp(theta).sum(axis=1, keepdims=True)
    rewards = {(0, 0): 1, (0, 1): 3, (1, 0): -2, (1, 1): 0}
    # two-step episodes s0 -> s1 with every action pair, weighted by their probabilities
    means = []
    for b in ([0, 0, 0], [5, -1, 2]):
        total = np.zeros((3, 2))
        for a0, a1 in itertools.product(range(2), repeat=2):
            ep = [[0, a0, rewards[(0, a0)]], [1, a1, rewards[(1, a1)]]]
            g = call("reinforce-gradient", {"theta": theta, "episodes": ep, "baseline": b,
                                            "reward_to_go": True}).result  # fmt: skip
            total += pi[0, a0] * pi[1, a1] * np.asarray(g)
        means.append(total)
    np.testing.assert_allclose(means[0], means[1], atol=1e-12)


def test_reinforce_bad_input():
    with pytest.raises(DlstudyError, match=r"episodes\[1\]: action index 2 outside 0..1"):
        call("reinforce-gradient", {"theta": [[0, 0]], "episodes": [[0, 0, 1], [0, 2, 1]]})
    with pytest.raises(DlstudyError, match="baseline: expected one number or 1"):
        call("reinforce-gradient", {"theta": [[0, 0]], "episodes": [[0, 0, 1]], "baseline": [1, 2]})
