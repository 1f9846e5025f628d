"""Actor-critic, TRPO, PPO and DDPG against torch (autograd, clamp/minimum, lerp) and scipy's entropy."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats

from dlstudy.errors import DlstudyError
from dlstudy.grading import grade
from dlstudy.reference.registry import call

# ---------------------------------------------------------------------------------------------
# Actor-critic
# ---------------------------------------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.lists(st.floats(-2, 2), min_size=3, max_size=3), min_size=2, max_size=2),
    st.lists(st.floats(-5, 5), min_size=2, max_size=2),
    st.integers(0, 1), st.integers(0, 2), st.floats(-3, 3), st.integers(0, 1),
    st.sampled_from([0.0, 0.9, 1.0]), st.booleans(),
)  # fmt: skip
def test_actor_critic_update_matches_autograd(theta, v, s, a, r, s_next, gamma, done):
    sol = call("actor-critic-update", {"theta": theta, "v": v, "s": s, "a": a, "r": r,
                                       "s_next": s_next, "gamma": gamma, "alpha_actor": 0.1,
                                       "alpha_critic": 0.5, "done": done})  # fmt: skip
    th = torch.tensor(theta, dtype=torch.float64, requires_grad=True)
    vt = torch.tensor(v, dtype=torch.float64, requires_grad=True)
    target = (r + gamma * (0.0 if done else 1.0) * vt[s_next]).detach()
    delta = target - vt[s]
    (0.5 * delta**2).backward()  # critic: semi-gradient descent on ½δ²
    log_pi = torch.log_softmax(th, dim=1)[s, a]
    log_pi.backward()  # actor: ascent along δ ∇ log π
    v_new = vt.detach() - 0.5 * vt.grad
    th_new = th.detach() + 0.1 * delta.detach() * th.grad
    assert sol.result["delta"] == pytest.approx(delta.item(), abs=1e-12)
    np.testing.assert_allclose(sol.result["v"], v_new.numpy(), atol=1e-12)
    np.testing.assert_allclose(sol.result["theta"], th_new.numpy(), atol=1e-12)
    td = call("actor-critic-td", {"r": r, "v_s": v[s], "v_next": v[s_next], "gamma": gamma,
                                  "done": done})  # fmt: skip
    assert td.result == pytest.approx(delta.item(), abs=1e-12)


def test_actor_critic_td_bootstrapping_from_terminal_is_named():
    sol = call("actor-critic-td", {"r": 1, "v_s": 2, "v_next": 5, "gamma": 0.9, "done": True})
    assert sol.result == -1
    assert grade(sol, 1 + 4.5 - 2).mistake.name == "bootstrap-terminal"


# ---------------------------------------------------------------------------------------------
# TRPO
# ---------------------------------------------------------------------------------------------

dist = st.lists(st.integers(1, 9), min_size=3, max_size=3).map(lambda w: [x / sum(w) for x in w])


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 4).flatmap(lambda b: st.tuples(
    st.lists(dist, min_size=b, max_size=b), st.lists(dist, min_size=b, max_size=b),
    st.lists(st.integers(0, 2), min_size=b, max_size=b),
    st.lists(st.floats(-3, 3), min_size=b, max_size=b))),
    st.sampled_from([0.01, 0.05, 0.5]))  # fmt: skip
def test_trpo_matches_scipy_and_torch(batch, delta):
    old, new, acts, adv = batch
    sol = call("trpo-step", {"pi_old": old, "pi_new": new, "actions": acts, "advantage": adv,
                             "delta": delta})  # fmt: skip
    kls = [stats.entropy(p, q) for p, q in zip(old, new, strict=True)]
    assert sol.result["mean_kl"] == pytest.approx(np.mean(kls), rel=1e-9, abs=1e-12)
    assert sol.result["feasible"] == (np.mean(kls) <= delta)
    po, pn = torch.tensor(old, dtype=torch.float64), torch.tensor(new, dtype=torch.float64)
    idx = torch.tensor(acts).unsqueeze(1)
    ratio = pn.gather(1, idx).squeeze(1) / po.gather(1, idx).squeeze(1)
    surrogate = (ratio * torch.tensor(adv, dtype=torch.float64)).mean().item()
    assert sol.result["surrogate"] == pytest.approx(surrogate, rel=1e-9, abs=1e-12)


def test_trpo_bad_distributions():
    with pytest.raises(DlstudyError, match="pi_old: every row must be a probability distribution"):
        call("trpo-step", {"pi_old": [[0.5, 0.6]], "pi_new": [[0.5, 0.5]], "actions": [0],
                           "advantage": [1], "delta": 0.1})  # fmt: skip


# ---------------------------------------------------------------------------------------------
# PPO
# ---------------------------------------------------------------------------------------------

ppo_batch = st.integers(1, 6).flatmap(lambda b: st.tuples(
    st.lists(st.floats(0.05, 3), min_size=b, max_size=b),
    st.lists(st.floats(-3, 3), min_size=b, max_size=b)))  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(ppo_batch, st.sampled_from([0.1, 0.2, 0.3]))
def test_ppo_objective_and_gradient_match_torch(batch, eps):
    ratio, adv = batch
    assume(all(abs(r - (1 + eps)) > 1e-9 and abs(r - (1 - eps)) > 1e-9 for r in ratio))
    r = torch.tensor(ratio, dtype=torch.float64, requires_grad=True)
    a = torch.tensor(adv, dtype=torch.float64)
    obj = torch.minimum(r * a, torch.clamp(r, 1 - eps, 1 + eps) * a)
    obj.sum().backward()
    sol = call("ppo-clip", {"ratio": ratio, "advantage": adv, "epsilon": eps})
    np.testing.assert_allclose(sol.result, obj.detach().numpy(), atol=1e-12)
    grad = call("ppo-clip-gradient", {"ratio": ratio, "advantage": adv, "epsilon": eps}).result
    np.testing.assert_allclose(grad["grad_ratio"], r.grad.numpy(), atol=1e-12)
    assert grad["mean_objective"] == pytest.approx(obj.mean().item(), abs=1e-12)
    # batch mean and the gradient w.r.t. log π (r = exp(log π - log π_old))
    logp = torch.log(torch.tensor(ratio, dtype=torch.float64)).requires_grad_(True)
    rr = torch.exp(logp)
    torch.minimum(rr * a, torch.clamp(rr, 1 - eps, 1 + eps) * a).mean().backward()
    np.testing.assert_allclose(
        np.asarray(grad["grad_logprob"]) / len(ratio), logp.grad.numpy(), atol=1e-12
    )
    np.testing.assert_allclose(grad["mean_grad_ratio"], r.grad.numpy() / len(ratio), atol=1e-12)


def test_ppo_negative_advantage_and_the_notes_typo():
    # claims.md: ε = 0.2, A = -1, r = 2 → -2 (the notes' min(r, clip r)·A gives -1.2)
    sol = call("ppo-clip", {"ratio": [2], "advantage": [-1], "epsilon": 0.2})
    assert sol.result.tolist() == [-2.0]
    assert grade(sol, [-1.2]).mistake.name == "notes-min-then-times-a"
    grad = call(
        "ppo-clip-gradient", {"ratio": [2, 1.5, 0.5], "advantage": [-1, 1, -1], "epsilon": 0.2}
    )
    assert grad.result["grad_ratio"].tolist() == [-1.0, 0.0, 0.0]


# ---------------------------------------------------------------------------------------------
# DDPG
# ---------------------------------------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.floats(-5, 5), min_size=1, max_size=6).flatmap(
        lambda t: st.tuples(
            st.just(t), st.lists(st.floats(-5, 5), min_size=len(t), max_size=len(t))
        )
    ),
    st.sampled_from([0.0, 0.005, 0.1, 0.5, 1.0]),
)
def test_soft_update_matches_torch_lerp(pair, tau):
    target, online = pair
    sol = call("ddpg-soft-update", {"target": target, "online": online, "tau": tau})
    expected = torch.lerp(torch.tensor(target, dtype=torch.float64),
                          torch.tensor(online, dtype=torch.float64), tau)  # fmt: skip
    np.testing.assert_allclose(sol.result, expected.numpy(), atol=1e-12)


def test_soft_update_swapped_tau_and_critic_target():
    sol = call("ddpg-soft-update", {"target": [0, 10], "online": [10, 0], "tau": 0.1})
    assert sol.result.tolist() == [1, 9]
    assert grade(sol, [9, 1]).mistake.name == "tau-swapped"
    y = call("ddpg-critic-target", {"r": [1, 2], "q_next": [10, 20], "done": [0, 1], "gamma": 0.9})
    assert y.result.tolist() == [10, 2]
    assert grade(y, [10, 20]).mistake.name == "no-done-mask"
