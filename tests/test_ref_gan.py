"""GAN reference functions against torch (BCE, l1_loss, autograd) and closed forms."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import jensenshannon

from dlstudy.errors import DlstudyError
from dlstudy.grading import grade
from dlstudy.reference.registry import call

T = lambda x: torch.tensor(x, dtype=torch.float64)  # noqa: E731


def dist(n):
    return st.lists(st.integers(0, 20), min_size=n, max_size=n).filter(lambda v: sum(v) > 0)


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 6).flatmap(lambda n: st.tuples(dist(n), dist(n))))
def test_value_at_optimal_d_is_2jsd_minus_log4(pq):
    a, b = (np.array(v, float) / sum(v) for v in pq)
    if np.any(a + b == 0):
        return
    v = call("gan-value", {"p_data": a.tolist(), "p_g": b.tolist()}).result
    js = jensenshannon(a, b) ** 2  # scipy returns the distance: its square is the divergence
    assert v == pytest.approx(2 * js - math.log(4), abs=1e-9)
    assert v >= -math.log(4) - 1e-12


def test_optimal_d_maximises_the_pointwise_objective():
    pd, pg = np.array([0.1, 0.5, 0.4]), np.array([0.3, 0.3, 0.4])
    d = call("gan-optimal-d", {"p_data": pd.tolist(), "p_g": pg.tolist()}).result
    # brute force over a grid: a log y + b log(1 − y) is maximal at D*
    ys = np.linspace(1e-4, 1 - 1e-4, 200_001)
    for a, b, di in zip(pd, pg, d, strict=True):
        assert ys[np.argmax(a * np.log(ys) + b * np.log(1 - ys))] == pytest.approx(di, abs=1e-4)
    v = grade(
        call("gan-optimal-d", {"p_data": pd.tolist(), "p_g": pg.tolist()}),
        (pg / (pd + pg)).tolist(),
    )
    assert v.mistake.name == "inverted"


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(0.01, 0.99), min_size=1, max_size=6),
    st.lists(st.floats(0.01, 0.99), min_size=1, max_size=6),
)
def test_d_loss_is_bce(real, fake):
    got = call("gan-d-loss", {"d_real": real, "d_fake": fake}).result
    preds = T(real + fake)
    labels = T([1.0] * len(real) + [0.0] * len(fake))
    assert got == pytest.approx(F.binary_cross_entropy(preds, labels).item(), rel=1e-9)
    got = call("gan-d-loss", {"d_real": real, "d_fake": fake, "reduction": "sum"}).result
    assert got == pytest.approx(
        F.binary_cross_entropy(preds, labels, reduction="sum").item(), rel=1e-9
    )


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-20, 20), min_size=1, max_size=5))
def test_generator_gradients_by_autograd(logits):
    a = T(logits).requires_grad_()
    torch.log1p(-torch.sigmoid(a)).sum().backward()
    sat = a.grad.clone()
    a.grad = None
    (-F.logsigmoid(a)).sum().backward()
    res = call("gan-g-gradient", {"a": logits}).result
    np.testing.assert_allclose(res["saturating"], sat.numpy(), atol=1e-9)
    np.testing.assert_allclose(res["non_saturating"], a.grad.numpy(), atol=1e-9)


def test_saturation_limits():
    res = call("gan-g-gradient", {"a": [-30.0]}).result
    assert abs(res["saturating"][0]) < 1e-12  # vanishes when D rejects the fakes
    assert res["non_saturating"][0] == pytest.approx(-1.0)


def test_pix2pix_and_cycle_losses_match_torch():
    y, g = [[1.0, 2.0], [0.0, -1.0]], [[0.5, 2.5], [0.0, 1.0]]
    res = call(
        "pix2pix-loss",
        {"d_real": [0.9, 0.8], "d_fake": [0.2, 0.4], "y": y, "g_out": g, "lambda": 10},
    ).result
    gan = torch.log(T([0.9, 0.8])).mean() + torch.log(1 - T([0.2, 0.4])).mean()
    assert res["l1"] == pytest.approx(F.l1_loss(T(g), T(y)).item())
    assert res["total"] == pytest.approx(gan.item() + 10 * F.l1_loss(T(g), T(y)).item())
    x, yy = [1.0, 2.0, 3.0], [0.0, 1.0, 0.0]
    fgx, gfy = [1.5, 2.0, 2.0], [0.0, 0.0, 1.0]
    sol = call("cyclegan-cycle-loss", {"x": x, "y": yy, "f_g_x": fgx, "g_f_y": gfy, "lambda": 2})
    expected = 2 * (F.l1_loss(T(fgx), T(x)) + F.l1_loss(T(gfy), T(yy))).item()
    assert sol.result == pytest.approx(expected)
    notes = 2 * (F.l1_loss(T(fgx), T(x)) + F.l1_loss(T(gfy), T(x))).item()
    assert grade(sol, notes).mistake.name == "against-x"


@pytest.mark.parametrize(
    ("name", "args", "fragment"),
    [
        ("gan-value", {"p_data": [0.5, 0.6], "p_g": [0.5, 0.5]}, "sum to 1"),
        ("gan-optimal-d", {"p_data": [0, 1], "p_g": [0, 1]}, "undefined"),
        ("gan-optimal-d", {"p_data": [1, 1], "p_g": [1]}, "shape"),
        ("gan-d-loss", {"d_real": [1.0], "d_fake": [0.5]}, "strictly between 0 and 1"),
        ("gan-d-loss", {"d_real": [0.5], "d_fake": [0.5], "reduction": "avg"}, "reduction"),
        ("cyclegan-cycle-loss", {"x": [1, 2], "y": [1], "f_g_x": [1], "g_f_y": [1]}, "shape"),
    ],
)
def test_bad_input(name, args, fragment):
    with pytest.raises(DlstudyError, match=fragment):
        call(name, args)
