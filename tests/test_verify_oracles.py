"""Independent oracles for the numbers the catalogue relies on: torch modules and autograd, scipy,
numpy, and plain loops. (The catalogue itself is checked symbolically in test_verify_catalogue.py.)"""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from dlstudy.symbolic import claims_autoencoders as ae
from dlstudy.symbolic import claims_autoregressive as ar
from dlstudy.symbolic import claims_cnn as cnn
from dlstudy.symbolic import claims_cnn_layers as layers_
from dlstudy.symbolic import claims_gan as gan
from dlstudy.symbolic import claims_policy as pol
from dlstudy.symbolic import claims_rl as rl
from dlstudy.symbolic.core import CATALOGUE, Check

torch = pytest.importorskip("torch")
nn = torch.nn


def _steps(fn, control: bool = False) -> dict[str, sp.Expr]:
    """The expressions a claim function records, by label (what the catalogue computed)."""
    chk = Check(control=control)
    fn(chk)
    return dict(chk.steps)


def _vgg16_torch() -> nn.Module:
    cfg = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]
    layers, cin = [], 3
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(2))
        else:
            layers += [nn.Conv2d(cin, v, 3, padding=1), nn.ReLU()]
            cin = v
    head = [nn.Linear(512 * 7 * 7, 4096), nn.Linear(4096, 4096), nn.Linear(4096, 1000)]
    return nn.Sequential(*layers, nn.Flatten(), *head)


def _alexnet_torch() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(3, 64, 11, stride=4, padding=2),
        nn.Conv2d(64, 192, 5, padding=2),
        nn.Conv2d(192, 384, 3, padding=1),
        nn.Conv2d(384, 256, 3, padding=1),
        nn.Conv2d(256, 256, 3, padding=1),
        nn.Linear(256 * 6 * 6, 4096),
        nn.Linear(4096, 4096),
        nn.Linear(4096, 1000),
    )


def _numel(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


def test_network_entries_read_the_presets_which_match_torch():
    """vgg-network / googlenet-network take their numbers from the arch engine on the presets; the
    counts are checked against torch, the depths against the published ones (VGG-16: 16 weight layers,
    AlexNet: 8, GoogLeNet: 22 on its longest path)."""
    from dlstudy.arch.engine import analyze

    with torch.device("meta"):
        assert analyze("vgg16").total_params == _numel(_vgg16_torch()) == 138_357_544
        assert analyze("alexnet").total_params == _numel(_alexnet_torch()) == 61_100_840
    facts = {n: layers_._facts(n) for n in ("vgg16", "alexnet", "googlenet")}
    assert {n: f["depth"] for n, f in facts.items()} == {"vgg16": 16, "alexnet": 8, "googlenet": 22}
    assert facts["googlenet"]["fc"] == 1 and facts["vgg16"]["fc"] == 3
    # the numbers the corrected statements print are the presets' (no copy can drift)
    cat = {c: CATALOGUE[c].corrected for c in ("vgg-network", "googlenet-network")}
    for key in ("params", "rf", "depth"):
        assert f"{facts['vgg16'][key]:,}" in cat["vgg-network"]
        assert f"{facts['alexnet'][key]:,}" in cat["vgg-network"]
        assert f"{facts['googlenet'][key]:,}" in cat["googlenet-network"]


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 5), st.integers(1, 5), st.integers(1, 8), st.integers(1, 8))
def test_conv_params_formula_matches_torch(kw, kh, cin, cout):
    with torch.device("meta"):
        conv = nn.Conv2d(cin, cout, (kh, kw))
    assert cnn.conv_params(kw, kh, cin, cout) == _numel(conv)


def _rf_torch(layers) -> int:
    """Receptive field by autograd: input positions with a non-zero gradient of output unit 0."""
    n = 1 + sum((k - 1) * d for k, s, d in layers) * math.prod(s for _, s, _ in layers) + 8
    x = torch.ones(1, 1, n, dtype=torch.float64, requires_grad=True)
    h = x
    for k, s, d in layers:
        h = torch.nn.functional.conv1d(
            h, torch.ones(1, 1, k, dtype=torch.float64), stride=s, dilation=d
        )
    h[0, 0, 0].backward()
    idx = torch.nonzero(x.grad[0, 0]).flatten()
    return int(idx.max() - idx.min() + 1)


layer = st.tuples(st.integers(1, 3), st.integers(1, 2), st.integers(1, 2))


@settings(max_examples=60, deadline=None)
@given(st.lists(layer, min_size=1, max_size=4))
def test_receptive_field_bruteforce_and_recurrence_match_autograd(layers):
    rf = _rf_torch(layers)
    assert cnn.rf_bruteforce(layers) == rf
    assert cnn.rf_recurrence(layers) == rf


def test_rf_jump_counterexample_numbers():
    assert _rf_torch(cnn.RF_EXAMPLE) == 27
    # the notes' rule (j_in = this layer's stride), by hand: 1 + 6·2 + 2·2 + 2·1 + 2·1 = 21
    assert cnn.rf_recurrence(cnn.RF_EXAMPLE, jump_is_layer_stride=True) == 21


def test_dilated_rf_matches_autograd():
    for L in range(1, 6):
        layers = [(2, 1, 2**i) for i in range(L)]
        assert ar.dilated_rf_bruteforce(L) == _rf_torch(layers) == 2**L


def test_full_conv_matrix_and_transposed_conv_match_numpy_and_torch():
    rng = np.random.default_rng(0)
    xv, kv = rng.normal(size=4), rng.normal(size=3)
    ks = sp.symbols("k1:4")
    M = np.array(cnn.toeplitz_full(ks, 4).subs(dict(zip(ks, kv, strict=True))), dtype=float)
    assert np.allclose(M @ xv, np.convolve(xv, kv, mode="full"))
    K = np.array(
        layers_._conv_matrix_valid(ks, 4).subs(dict(zip(ks, kv, strict=True))), dtype=float
    )
    yv = rng.normal(size=2)
    want = (
        torch.nn.functional.conv_transpose1d(
            torch.tensor(yv).view(1, 1, -1), torch.tensor(kv).view(1, 1, -1)
        )
        .flatten()
        .numpy()
    )
    assert np.allclose(K.T @ yv, want)
    # forward: K x equals torch's (correlation) conv1d
    fwd = torch.nn.functional.conv1d(
        torch.tensor(xv).view(1, 1, -1), torch.tensor(kv).view(1, 1, -1)
    )
    assert np.allclose(K @ xv, fwd.flatten().numpy())


def test_pixelcnn_blind_spot_matches_masked_conv_autograd():
    def mask(kind: str) -> torch.Tensor:
        m = torch.zeros(3, 3, dtype=torch.float64)
        for dr, dc in ar.MASK_A if kind == "A" else ar.MASK_B:
            m[dr + 1, dc + 1] = 1
        return m

    n = 15
    x = torch.ones(1, 1, n, n, dtype=torch.float64, requires_grad=True)
    h = torch.nn.functional.conv2d(x, mask("A").view(1, 1, 3, 3), padding=1)
    for _ in range(3):
        h = torch.nn.functional.conv2d(h, mask("B").view(1, 1, 3, 3), padding=1)
    c = n // 2
    h[0, 0, c, c].backward()
    seen = {(int(r) - c, int(q) - c) for r, q in torch.nonzero(x.grad[0, 0])}
    L = 4
    causal = {(dr, dc) for dr in range(-L, 1) for dc in range(-L, L + 1) if dr < 0 or dc < 0}
    assert causal - seen == ar.blind_spot(3)


def test_made_mask_product_matches_path_counting():
    degrees = [1, 2, 2]
    M = np.array(ar.made_masks([1, 2, 3], [degrees], out_strict=True), dtype=int)
    paths = np.zeros((3, 3), dtype=int)  # loop: output i <- hidden k <- input j
    for i in range(3):
        for _k, m in enumerate(degrees):
            for j in range(3):
                paths[i, j] += int(m >= j + 1 and i + 1 > m)
    assert (M == paths).all()


def test_kl_bernoulli_and_gaussian_match_scipy_and_torch():
    from scipy.stats import entropy

    assert math.isclose(
        entropy([0.5, 0.5], [0.25, 0.75]), math.log(2 / math.sqrt(3)), rel_tol=1e-12
    )
    assert float(ae.kl(ae._B1, ae._B2)) == pytest.approx(
        entropy([0.5, 0.5], [0.25, 0.75]), rel=1e-12
    )
    # gauss-kl: the catalogue's integral E[log p - log q] (both sides of its identity are checked
    # against it symbolically), evaluated at a few (μ, σ)
    kl_mu_sd = sp.lambdify((ae._mu, ae._sd), _steps(ae.gauss_kl)["E[log p - log q]"], "math")
    td = torch.distributions
    for mu, sd in ((0.3, 0.7), (-1.2, 2.5), (0.0, 1.0)):
        want = td.kl_divergence(td.Normal(mu, sd), td.Normal(0.0, 1.0)).item()
        assert kl_mu_sd(mu, sd) == pytest.approx(want, rel=1e-6, abs=1e-9)


def test_linear_autoencoder_optimum_is_the_catalogues_pca_error():
    from scipy.optimize import minimize

    S = np.array(ae.SIGMA, dtype=float)
    L = np.linalg.cholesky(S)
    X = math.sqrt(2) * np.vstack([L.T, -L.T])  # rows ±√2 L e_j: mean 0, covariance L Lᵀ = Σ
    assert np.allclose(X.T @ X / len(X), S)

    def error(p: np.ndarray) -> float:  # mean ‖x - w vᵀx‖²: encoder v, decoder w (k = 1)
        return float(np.mean(np.sum((X - np.outer(X @ p[2:], p[:2])) ** 2, axis=1)))

    rng = np.random.default_rng(1)
    best = min(minimize(error, rng.normal(size=4), method="BFGS").fun for _ in range(5))
    err = _steps(ae.linear_ae_pca)[
        "min reconstruction error for Σ = [[3,1],[1,2]] (smallest eigenvalue)"
    ]
    assert float(err) == pytest.approx(best, rel=1e-6)
    assert best == pytest.approx(np.linalg.eigvalsh(S)[0], rel=1e-6)


def test_cgan_expectation_matches_scipy_quadrature():
    from scipy.integrate import quad

    steps = _steps(gan.cgan_notes)
    exact = next(e for label, e in steps.items() if label.endswith(": right side"))
    (y,) = exact.free_symbols
    D = lambda t: t / (1 + t)  # noqa: E731  (the claim's discriminator)
    for yv in (0.3, 1.0, 4.5):  # E_z log(1 - D(G(z|y))), G(z|y) = z·y, z ~ U(0, 1)
        want, _ = quad(lambda z, yv=yv: math.log(1 - D(z * yv)), 0, 1)
        assert float(exact.subs(y, yv)) == pytest.approx(want, rel=1e-10)


def test_ppo_clip_counterexample_numbers_with_torch():
    steps = _steps(pol.ppo_clip_notes)
    r, A, eps = torch.tensor(2.0), torch.tensor(-1.0), 0.2
    notes = torch.minimum(r, torch.clamp(r, 1 - eps, 1 + eps)) * A
    right = torch.minimum(r * A, torch.clamp(r, 1 - eps, 1 + eps) * A)
    assert float(steps["notes: min(r, clip(r)) A"]) == pytest.approx(notes.item())
    assert float(steps["correct: min(rA, clip(r) A)"]) == pytest.approx(right.item())
    case = next(e for label, e in steps.items() if label.endswith(": right side"))
    assert float(case) == pytest.approx(right.item())  # A·max(r, 1-ε), the value both runs meet
    assert notes.item() != pytest.approx(right.item())


def test_value_iteration_never_reaches_v_star_in_the_example():
    V = 0.0
    for k in range(1, 60):
        V = 1 + 0.9 * V
        assert V == pytest.approx(10 - 10 * 0.9**k, rel=1e-12)
        assert V < 10


def test_mdp_optimal_values_match_float_value_iteration():
    _, _, T, g = rl._mdp()
    V = np.zeros(2)
    for _ in range(2000):
        V = np.array(
            [
                max(
                    sum(float(p) * (float(r) + float(g) * V[s2]) for p, s2, r in T[s][a])
                    for a in T[s]
                )
                for s in (0, 1)
            ]
        )
    assert np.allclose(V, [float(v) for v in rl.optimal_values()], atol=1e-9)
