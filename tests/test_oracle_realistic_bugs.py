"""Oracle tests for three realistic bugs that once survived the whole suite (issue 18).

Each test names the one-character mutation it catches; each was tried in a scratch copy of the code
and fails there:

* ``ReLU'(0) = 1``: ``(z > 0)`` → ``(z >= 0)`` in :func:`dlstudy.reference.activations.act_prime`,
  the derivative ``mlp-backward`` uses. Oracle: torch autograd, whose ReLU has derivative 0 at 0,
  the convention the notes' questions state (``use ReLU'(0) = 0``).
* one bias for the whole stack in ``stack-vs-large``: ``n·(k²c² + b)`` → ``n·k²c² + b``. Oracle:
  ``numel`` of torch ``Conv2d`` layers with biases.
* ceil-mode pooling without torch's rule that the last window must start inside the input (or its
  left padding) in :func:`dlstudy.arch.sizes.pool_output_size`. Oracle: the output shape of torch's
  ``max_pool2d(ceil_mode=True)`` on sizes where the rule changes the answer.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from dlstudy.arch import analyze_nodes, parse
from dlstudy.arch.sizes import pool_output_size
from dlstudy.reference import registry


def _torch_deltas(x, y, Ws, bs):
    """δ¹ and ∂C/∂W¹ of z¹ = W¹x + b¹, a¹ = ReLU(z¹), a² = W²a¹ + b², C = ½‖a² − y‖² by autograd."""
    W = [torch.tensor(np.asarray(w, dtype=np.float64), requires_grad=True) for w in Ws]
    b = [torch.tensor(np.asarray(v, dtype=np.float64)) for v in bs]
    z1 = W[0] @ torch.tensor(np.asarray(x, dtype=np.float64)) + b[0]
    z1.retain_grad()
    a2 = W[1] @ torch.relu(z1) + b[1]
    (0.5 * ((a2 - torch.tensor(np.asarray(y, dtype=np.float64))) ** 2).sum()).backward()
    return z1.detach().numpy(), z1.grad.numpy(), W[0].grad.numpy()


@pytest.mark.parametrize(
    "x,y,W1,b1,W2,b2",
    [
        # z¹ = [0, 3]: the first hidden unit sits exactly at the kink
        ([1, 1], [0, 0], [[1, -1], [2, 1]], [0, 0], [[1, 2], [-1, 1]], [0, 0]),
        # z¹ = [0, 0]: both units at the kink, a² = b² ≠ y
        ([2, 1], [1, -1], [[1, -2], [0, 0]], [0, 0], [[2, 1], [1, 3]], [0, 1]),
        # z¹ = [−1, 0, 2]
        ([1, 2], [1], [[1, -1], [2, -1], [0, 1]], [0, 0, 0], [[1, -2, 3]], [0]),
    ],
)
def test_relu_derivative_at_zero_is_torchs_zero(x, y, W1, b1, W2, b2) -> None:
    z1, delta1, dW1 = _torch_deltas(x, y, [W1, W2], [b1, b2])
    assert np.any(z1 == 0)  # the case the convention decides
    sol = registry.call(
        "mlp-backward",
        {
            "x": x,
            "y": y,
            "weights": [W1, W2],
            "biases": [b1, b2],
            "activation": "relu",
            "output_activation": "linear",
            "loss": "squared",
        },
    )
    np.testing.assert_allclose(sol.result["delta1"], delta1, atol=1e-12)
    np.testing.assert_allclose(sol.result["dW1"], dW1, atol=1e-12)
    assert "ReLU'(0) = 0" in sol.convention  # the convention is stated with the number


@pytest.mark.parametrize("c,n,k", [(1, 3, 3), (2, 3, 3), (4, 2, 5), (3, 4, 3), (8, 3, 3)])
def test_stack_vs_large_counts_a_bias_per_layer(c: int, n: int, k: int) -> None:
    stack = torch.nn.Sequential(*[torch.nn.Conv2d(c, c, k, bias=True) for _ in range(n)])
    r = n * (k - 1) + 1
    large = torch.nn.Conv2d(c, c, r, bias=True)
    result = registry.call("stack-vs-large", {"c": c, "n": n, "k": k, "bias": True}).result
    assert result["stack_params"] == sum(p.numel() for p in stack.parameters())
    assert result["large_params"] == sum(p.numel() for p in large.parameters())
    assert result["receptive_field"] == r
    no_bias = registry.call("stack-vs-large", {"c": c, "n": n, "k": k}).result
    weights = sum(p.numel() for name, p in stack.named_parameters() if name.endswith("weight"))
    assert no_bias["stack_params"] == weights


def _torch_pool_length(n: int, k: int, s: int, p: int, d: int) -> int:
    x = torch.zeros(1, 1, n, n)
    return F.max_pool2d(x, k, stride=s, padding=p, dilation=d, ceil_mode=True).shape[-1]


def _cases() -> list[tuple[int, int, int, int, int]]:
    out = []
    for n, k, s, d in itertools.product(range(1, 14), range(1, 5), range(1, 5), range(1, 3)):
        for p in range(0, k // 2 + 1):  # torch: padding at most half the kernel
            if n + 2 * p >= d * (k - 1) + 1:
                out.append((n, k, s, p, d))
    return out


CASES = _cases()
#: Where ceil division alone starts a window past the input: the rule has to drop it.
BITES = [
    c
    for c in CASES
    if ((c[0] + 2 * c[3] - c[4] * (c[1] - 1) - 1 + c[2] - 1) // c[2]) * c[2] >= c[0] + c[3]
]


def test_the_ceil_rule_is_exercised() -> None:
    assert len(BITES) >= 20, "the oracle must cover sizes where the last-window rule decides"
    assert (5, 2, 2, 1, 1) in BITES


@pytest.mark.parametrize("n,k,s,p,d", BITES)
def test_ceil_mode_pooling_matches_torch_where_the_rule_bites(n, k, s, p, d) -> None:
    assert pool_output_size(n, k, s, p, d, ceil=True) == _torch_pool_length(n, k, s, p, d)


def test_ceil_mode_pooling_matches_torch_everywhere() -> None:
    wrong = [c for c in CASES if pool_output_size(*c, ceil=True) != _torch_pool_length(*c)]
    assert wrong == []


def test_the_layer_language_uses_the_rule() -> None:
    """``params``/``rf`` go through the engine: maxpool(k=2, p=1, ceil) on 5×5 gives 3×3 as torch."""
    analysis = analyze_nodes(parse("input(c=1,h=5,w=5), maxpool(k=2,s=2,p=1,ceil=true)"))
    assert analysis.layers[-1].output_shape[-2:] == [3, 3]
    assert _torch_pool_length(5, 2, 2, 1, 1) == 3
