"""Activations and derivatives against torch (values and autograd) and exact closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from dlstudy.errors import DlstudyError
from dlstudy.grading import grade
from dlstudy.reference import activations as A
from dlstudy.reference import registry

finite = st.floats(-30, 30, allow_nan=False, allow_infinity=False)
vectors = arrays(np.float64, st.integers(1, 6), elements=finite)
matrices = arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 4)), elements=finite)


def _grad(fn, x: np.ndarray) -> np.ndarray:
    """Elementwise derivative by torch autograd."""
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    fn(t).sum().backward()
    return t.grad.numpy()


@settings(max_examples=100, deadline=None)
@given(st.one_of(vectors, matrices))
def test_sigmoid_tanh_relu_values_match_torch(x):
    t = torch.tensor(x, dtype=torch.float64)
    np.testing.assert_allclose(
        A.sigmoid(x).result, torch.sigmoid(t).numpy(), rtol=1e-12, atol=1e-15
    )
    np.testing.assert_allclose(A.tanh(x).result, torch.tanh(t).numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(A.relu(x).result, torch.relu(t).numpy())


@settings(max_examples=100, deadline=None)
@given(st.one_of(vectors, matrices))
def test_derivatives_match_autograd(x):
    np.testing.assert_allclose(
        A.sigmoid_derivative(x).result, _grad(torch.sigmoid, x), rtol=1e-10, atol=1e-15
    )
    np.testing.assert_allclose(
        A.tanh_derivative(x).result, _grad(torch.tanh, x), rtol=1e-10, atol=1e-15
    )
    # torch's ReLU has gradient 0 at 0: the default convention
    np.testing.assert_array_equal(A.relu_derivative(x).result, _grad(torch.relu, x))


def test_relu_derivative_at_zero_is_a_stated_convention():
    x = np.array([-1.0, 0.0, 2.0])
    assert list(A.relu_derivative(x).result) == [0.0, 0.0, 1.0]
    sol = A.relu_derivative(x, at_zero=0.5)
    assert list(sol.result) == [0.0, 0.5, 1.0]
    assert "0.5" in sol.convention
    with pytest.raises(DlstudyError, match="at_zero"):
        A.relu_derivative(x, at_zero=2.0)


def test_closed_forms_at_simple_points():
    assert A.sigmoid(0.0).result == 0.5
    assert A.sigmoid_derivative(0.0).result == 0.25  # max of σ' is 1/4
    assert A.tanh(0.0).result == 0.0
    assert A.tanh_derivative(0.0).result == 1.0
    # σ(ln 3) = 3/4 exactly; σ'(ln 3) = 3/16
    assert A.sigmoid(math.log(3)).result == pytest.approx(0.75, rel=1e-14)
    assert A.sigmoid_derivative(math.log(3)).result == pytest.approx(3 / 16, rel=1e-14)
    # tanh(ln 2) = (2 - 1/2)/(2 + 1/2) = 3/5; tanh' = 16/25
    assert A.tanh(math.log(2)).result == pytest.approx(0.6, rel=1e-14)
    assert A.tanh_derivative(math.log(2)).result == pytest.approx(16 / 25, rel=1e-14)


def test_scalar_in_scalar_out_and_shape_kept():
    assert isinstance(A.sigmoid(1.0).result, float)
    assert A.tanh([[1, 2], [3, 4]]).result.shape == (2, 2)
    assert registry.call("sigmoid", {"x": 0}).result == 0.5


def test_sigmoid_is_stable_for_large_inputs():
    with np.errstate(over="raise", invalid="raise"):
        prim = A.sigma(np.array([-800.0, 800.0]))
    out = A.sigmoid(np.array([-800.0, 800.0])).result
    for values in (prim, out):
        assert 0.0 <= values[0] < 1e-300
        assert values[1] == 1.0


def test_named_mistakes():
    x = math.log(3)
    d = A.sigmoid_derivative(x)
    s = 0.75
    # σ'(σ(x)) = σ(3/4)(1 - σ(3/4)), computed by torch
    wrong = torch.sigmoid(torch.tensor(s, dtype=torch.float64))
    v = grade(d, float(wrong * (1 - wrong)))
    assert not v.correct and v.mistake.name == "sigma-prime-at-sigma"
    t = A.tanh_derivative(math.log(2))
    v = grade(t, 1 - 0.6)
    assert not v.correct and v.mistake.name == "one-minus-tanh"
    assert grade(t, 16 / 25).correct


@settings(max_examples=100, deadline=None)
@given(vectors)
def test_softmax_matches_torch_and_jacobian_matches_autograd(x):
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    p = torch.softmax(t, dim=0)
    np.testing.assert_allclose(A.softmax(x).result, p.detach().numpy(), rtol=1e-12, atol=1e-15)
    jac = torch.autograd.functional.jacobian(lambda u: torch.softmax(u, dim=0), t.detach())
    np.testing.assert_allclose(A.softmax_jacobian(x).result, jac.numpy(), rtol=1e-9, atol=1e-15)


def test_softmax_stable_and_closed_form():
    # softmax([0, ln 2, ln 5]) = [1, 2, 5]/8
    np.testing.assert_allclose(
        A.softmax([0, math.log(2), math.log(5)]).result, [1 / 8, 2 / 8, 5 / 8]
    )
    with np.errstate(over="raise", invalid="raise"):
        p = A.softmax([1000.0, 1000.0]).result
    np.testing.assert_array_equal(p, [0.5, 0.5])
    jac = A.softmax_jacobian([0.0, 0.0]).result
    np.testing.assert_allclose(jac, [[0.25, -0.25], [-0.25, 0.25]])
    v = grade(A.softmax_jacobian([0.0, 0.0]), [[0.25, 0], [0, 0.25]])
    assert v.mistake.name == "diagonal-only"


def test_softmax_rejects_a_matrix():
    with pytest.raises(DlstudyError, match="x: expected a vector"):
        A.softmax([[1, 2], [3, 4]])


def test_bad_input_is_a_domain_error():
    with pytest.raises(DlstudyError, match="x"):
        registry.call("sigmoid", {"x": "abc"})
    with pytest.raises(DlstudyError, match="ragged"):
        registry.call("tanh", {"x": [[1, 2], [3]]})
    with pytest.raises(DlstudyError, match="did you mean 'relu'"):
        A.check_activation("reul")
