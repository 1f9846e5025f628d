"""Every expression template's answer against an independent oracle, at points of its symbols.

Derivatives and gradients: torch autograd (and torch.distributions, torch.nn modules). Sizes and
parameter counts: torch layers built with those sizes (their output shapes, their parameters, the
receptive field as the footprint of a gradient). Returns and values: exact loops in Fractions.
Optima: a golden-section search. Never the template's own expression compared with itself: the
template's answer is evaluated by the answer language, the oracle computes the quantity the prompt
asks for.
"""

from __future__ import annotations

import math
import random
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from dlstudy.answers.expr import evaluate
from dlstudy.bank.loader import load_bank

BANK = load_bank([])
SEEDS = (0, 1, 2)
D = torch.float64


def t(x: Any, grad: bool = False) -> torch.Tensor:
    return torch.tensor(float(x), dtype=D, requires_grad=grad)


def grad(f: Any, env: dict[str, float], wrt: str) -> float:
    """d f(**env)/d env[wrt] by autograd."""
    xs = {k: t(v, grad=(k == wrt)) for k, v in env.items()}
    (g,) = torch.autograd.grad(f(**xs), xs[wrt])
    return g.item()


def f(v: Any) -> float:
    return float(v)


def golden_max(fn: Any, lo: float = 1e-12, hi: float = 1 - 1e-12) -> float:
    """argmax of a unimodal fn on (lo, hi), by golden-section search (no calculus)."""
    r = (math.sqrt(5) - 1) / 2
    a, b = lo, hi
    for _ in range(200):
        c, d = b - r * (b - a), a + r * (b - a)
        if fn(c) > fn(d):
            b = d
        else:
            a = c
    return (a + b) / 2


# -- sizes, counts and receptive fields by building the layers ---------------------------------------


def rf_1d(kernels: list[int], strides: list[int], dilations: list[int] | None = None) -> int:
    """Receptive field of one output of a 1-D conv stack: the input positions its gradient reaches."""
    dilations = dilations or [1] * len(kernels)
    n = 1 + sum((k - 1) * d for k, d in zip(kernels, dilations, strict=True)) * math.prod(strides)
    n *= 4
    x = torch.zeros(1, 1, n, dtype=D, requires_grad=True)
    y = x
    for k, s, d in zip(kernels, strides, dilations, strict=True):
        y = F.conv1d(y, torch.ones(1, 1, k, dtype=D), stride=s, dilation=d)
    y[0, 0, 0].backward()
    return int((x.grad != 0).sum())


def conv_out(n: int, k: int, s: int = 1, p: int = 0, d: int = 1) -> int:
    x = torch.zeros(1, 1, n, n)
    return F.conv2d(x, torch.zeros(1, 1, k, k), stride=s, padding=p, dilation=d).shape[-1]


def tconv_out(n: int, k: int, s: int, p: int) -> int:
    x = torch.zeros(1, 1, n, n)
    return F.conv_transpose2d(x, torch.zeros(1, 1, k, k), stride=s, padding=p).shape[-1]


def n_params(*modules: torch.nn.Module) -> int:
    return sum(p.numel() for m in modules for p in m.parameters())


# -- the oracles: (points of the symbols, value of what the prompt asks) -------------------------------


def _reals(*names: str, lo: float = -1.5, hi: float = 1.5, **ranges: tuple[float, float]):
    def points(rng: random.Random, values: dict[str, Any]) -> list[dict[str, float]]:
        return [{n: rng.uniform(*ranges.get(n, (lo, hi))) for n in names} for _ in range(3)]

    return points


def _ints(**ranges: tuple[int, int]):
    def points(rng: random.Random, values: dict[str, Any]) -> list[dict[str, Fraction]]:
        return [{n: Fraction(rng.randint(*r)) for n, r in ranges.items()} for _ in range(3)]

    return points


def _rationals(*names: str, lo: int = 1, hi: int = 19, den: int = 20):
    def points(rng: random.Random, values: dict[str, Any]) -> list[dict[str, Fraction]]:
        return [{n: Fraction(rng.randint(lo, hi), den) for n in names} for _ in range(3)]

    return points


def _sigmoid_chain(v, e):
    return grad(lambda x: torch.sigmoid(f(v["a"]) * x + f(v["b"])), e, "x")


def _softmax_ce(v, e):
    z = torch.tensor([e["z0"], e["z1"], e["z2"]], dtype=D, requires_grad=True)
    F.cross_entropy(z[None], torch.tensor([v["k"]])).backward()
    return z.grad[1].item()


def _two_layer(values, e):
    x0 = f(values["x0"])
    return grad(lambda w, v: torch.sigmoid(v * torch.sigmoid(x0 * w)), e, "w")


def _tanh_jacobian(v, e):
    W = torch.tensor(v["W"], dtype=D)
    x = torch.tensor([e["x0"], e["x1"]], dtype=D)
    return torch.autograd.functional.jacobian(lambda x: torch.tanh(W @ x), x)[1, 0].item()


def _corr_kernel(v, e):
    x = torch.tensor(v["x"], dtype=D)[None, None]
    k = torch.zeros(1, 1, 3, dtype=D, requires_grad=True)
    g = torch.tensor([e["g0"], e["g1"], e["g2"]], dtype=D)
    (F.conv1d(x, k)[0, 0] * g).sum().backward()
    return k.grad[0, 0, 1].item()


def _rnn_two_step(v, e, rng=random.Random(5)):
    """Pick h0, x1, x2, u at random; the oracle is autograd's ∂h2/∂h0, the answer is evaluated at
    the h1, h2 the same forward pass gives (so the point is found, not chosen)."""
    a = f(v["a"])
    u, x1, x2 = rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(-1, 1)
    h0 = t(e["h0"], grad=True)
    h1 = torch.tanh(a * h0 + u * x1)
    h2 = torch.tanh(a * h1 + u * x2)
    (g,) = torch.autograd.grad(h2, h0)
    e.update(h1=h1.item(), h2=h2.item())
    return g.item()


def _rnn_bptt(v, e):
    u = f(v["u"])

    def h2(w, h0, x1):
        h1 = w * h0 + u * x1
        return w * h1 + u * 0.7  # x2 = 0.7: it drops out of dh2/dw

    return grad(h2, e, "w")


def _lstm_cell(v, e):
    fg, ig = f(v["f"]), f(v["i"])
    return grad(lambda o, c, g: o * torch.tanh(fg * c + ig * g), e, "c")


def _recurrent_params(v, e):
    d, h = int(e["d"]), int(e["h"])
    cls = torch.nn.LSTM if v["cell"]["g"] == 4 else torch.nn.GRU
    if v["bias"]["nb"] == 2:  # torch's own convention: b_ih and b_hh
        return n_params(cls(d, h))
    return n_params(cls(d, h, bias=False)) + v["cell"]["g"] * h  # one bias vector per gate


def _gaussian_kl(v, e):
    p = torch.distributions.Normal(t(e["mu"]), t(e["s"]))
    q = torch.distributions.Normal(t(v["m"]), t(v["t"]))
    return torch.distributions.kl_divergence(p, q).item()


def _bernoulli_kl(v, e):
    p = torch.distributions.Bernoulli(probs=t(e["p"]))
    q = torch.distributions.Bernoulli(probs=t(v["q"]))
    return torch.distributions.kl_divergence(p, q).item()


def _vae_kl(v, e):
    p = torch.distributions.Normal(t(e["mu"]), t(e["s"]))
    prior = torch.distributions.Normal(t(0), t(1))
    return f(v["beta"]) * torch.distributions.kl_divergence(p, prior).item()


def _vae_logvar(v, e):
    prior = torch.distributions.Normal(t(0), t(1))

    def kl(v_):
        q = torch.distributions.Normal(t(0.3), torch.exp(v_ / 2))
        return f(v["beta"]) * torch.distributions.kl_divergence(q, prior)

    return grad(kl, {"v_": e["v"]}, "v_")


def _weighted_d(v, e):
    a, b, pd, pg = f(v["a"]), f(v["b"]), e["pd"], e["pg"]
    return golden_max(lambda D: a * pd * math.log(D) + b * pg * math.log(1 - D))


def _gan_value(v, e):
    pd, pg = e["pd"], f(v["c"]) * e["pd"]

    def value(D: float) -> float:
        return pd * math.log(D) + pg * math.log(1 - D)

    return value(golden_max(value))


def _autoregressive(v, e):
    c, x2 = f(v["c"]), f(v["x2"])

    def log_p(b, w):
        p1 = torch.distributions.Bernoulli(logits=t(0.4)).log_prob(t(1))
        return p1 + torch.distributions.Bernoulli(logits=b + c * w * 1).log_prob(t(x2))

    return grad(log_p, e, "w")


def _return(v, e):
    return sum(e["gamma"] ** k * e["r"] for k in range(v["n"]))


def _bellman(v, e):
    g = float(e["gamma"])
    P = np.array([[0.0, 1.0], [1.0, 0.0]])  # A → B, B → A
    r = np.array([v["ra"], v["rb"]], dtype=float)
    return float(np.linalg.solve(np.eye(2) - g * P, r)[0])


def _sweeps(v, e):
    V = Fraction(0)
    for _ in range(v["k"]):
        V = v["r"] + e["gamma"] * Fraction(v["p"]).limit_denominator() * V  # one sweep
    return V


def _td0(v, e):
    V = {"s": e["v"], "s2": e["v2"]}
    alpha, gamma = (
        Fraction(v["alpha"]).limit_denominator(),
        Fraction(v["gamma"]).limit_denominator(),
    )
    V["s"] += alpha * (v["r"] + gamma * V["s2"] - V["s"])
    return V["s"]


def _n_step(v, e):
    G = e["v"]
    for r in (v["r2"], v["r1"], v["r0"]):
        G = r + e["gamma"] * G
    return G


def _dqn(v, e):
    phi = torch.tensor([f(v["f0"]), f(v["f1"])], dtype=D)
    w = torch.tensor([e["w0"], e["w1"]], dtype=D, requires_grad=True)
    y = torch.tensor(e["y"], dtype=D)  # the target network's output: no gradient
    F.mse_loss(w @ phi, y, reduction="sum").backward()
    return w.grad[1].item()


def _softmax_score(v, e):
    h = torch.tensor([e["h0"], e["h1"], e["h2"]], dtype=D, requires_grad=True)
    torch.log_softmax(h, 0)[v["a"]].backward()
    return h.grad[1].item()


def _gaussian_score(v, e):
    x = f(v["x"])

    def log_pi(a, theta, s):
        return torch.distributions.Normal(theta * x, s).log_prob(a)

    return grad(log_pi, e, "theta")


def _actor_critic(v, e):
    """Two actions; the other preference is set so that π(a) = p, then autograd's score."""
    h_a, p = e["h"], e["p"]
    prefs = torch.tensor([h_a, h_a - math.log(p / (1 - p))], dtype=D, requires_grad=True)
    torch.log_softmax(prefs, 0)[0].backward()
    delta = f(v["r"]) + f(v["gamma"]) * e["v2"] - e["v"]
    return h_a + f(v["alpha"]) * delta * prefs.grad[0].item()


ORACLES: dict[str, tuple[Any, Any]] = {
    "derivations.sigmoid-chain": (_reals("x"), _sigmoid_chain),
    "derivations.tanh-chain": (
        _reals("x"),
        lambda v, e: grad(lambda x: torch.tanh(f(v["a"]) * x), e, "x"),
    ),
    "derivations.softplus-derivative": (
        _reals("z"),
        lambda v, e: grad(lambda z: F.softplus(f(v["a"]) * z), e, "z"),
    ),
    "derivations.tanh-from-sigmoid": (_reals("x"), lambda v, e: math.tanh(f(v["a"]) * e["x"])),
    "derivations.bce-gradient": (
        _reals("w", "y", y=(0.0, 1.0)),
        lambda v, e: grad(
            lambda w, y: F.binary_cross_entropy_with_logits(f(v["c"]) * w, y), e, "w"
        ),
    ),
    "derivations.mse-gradient": (
        _reals("w", "x", "y"),
        lambda v, e: grad(
            lambda w, x, y: f(v["c"]) * F.mse_loss(w * x, y, reduction="sum"), e, "w"
        ),
    ),
    "derivations.softmax-ce-gradient": (_reals("z0", "z1", "z2"), _softmax_ce),
    "derivations.two-layer-chain": (_reals("w", "v"), _two_layer),
    "derivations.tanh-layer-jacobian": (_reals("x0", "x1"), _tanh_jacobian),
    "derivations.conv-output-entry": (
        _ints(**{f"x{i}": (-5, 5) for i in range(5)}),
        lambda v, e: int(
            np.convolve(
                [int(e[f"x{i}"]) for i in range(5)], [v["k0"], v["k1"], v["k2"]], mode="valid"
            )[1]
        ),
    ),
    "derivations.corr-kernel-gradient": (_reals("g0", "g1", "g2"), _corr_kernel),
    "derivations.rf-strided-stack": (
        _ints(k=(2, 5), s=(2, 3)),
        lambda v, e: rf_1d([int(e["k"])] * v["n"], [int(e["s"])] * v["n"]),
    ),
    "derivations.depthwise-separable-params": (
        _ints(k=(1, 5), C=(1, 6)),
        lambda v, e: n_params(
            torch.nn.Conv2d(int(e["C"]), int(e["C"]), int(e["k"]), groups=int(e["C"])),
            torch.nn.Conv2d(int(e["C"]), v["m"] * int(e["C"]), 1),
        ),
    ),
    "derivations.dilated-output-size": (
        _ints(n=(20, 40), k=(1, 4)),
        lambda v, e: conv_out(int(e["n"]), int(e["k"]), p=v["p"], d=v["d"]),
    ),
    "derivations.tconv-output-size": (
        _ints(n=(3, 12), k=(2, 5)),
        lambda v, e: tconv_out(int(e["n"]), int(e["k"]), v["s"], v["p"]),
    ),
    "derivations.rnn-two-step-jacobian": (_reals("h0"), _rnn_two_step),
    "derivations.rnn-bptt-weight": (_reals("w", "h0", "x1"), _rnn_bptt),
    "derivations.lstm-cell-gradient": (_reals("o", "c", "g", o=(0.0, 1.0)), _lstm_cell),
    "derivations.recurrent-params": (_ints(d=(1, 12), h=(1, 12)), _recurrent_params),
    "derivations.gaussian-kl": (_reals("mu", "s", s=(0.2, 3.0)), _gaussian_kl),
    "derivations.bernoulli-kl": (_reals("p", p=(0.05, 0.95)), _bernoulli_kl),
    "derivations.vae-kl": (_reals("mu", "s", s=(0.2, 3.0)), _vae_kl),
    "derivations.vae-logvar-gradient": (_reals("v"), _vae_logvar),
    "derivations.reparameterisation-gradient": (
        _reals("mu", "s", "eps", s=(0.2, 3.0)),
        lambda v, e: grad(lambda mu, s, eps: (mu + s * eps - f(v["t"])) ** 2, e, "s"),
    ),
    "derivations.weighted-optimal-discriminator": (
        _reals("pd", "pg", pd=(0.05, 2.0), pg=(0.05, 2.0)),
        _weighted_d,
    ),
    "derivations.gan-value-at-optimum": (_reals("pd", pd=(0.05, 2.0)), _gan_value),
    "derivations.non-saturating-gradient": (
        _reals("theta"),
        lambda v, e: grad(lambda theta: -F.logsigmoid(f(v["a"]) * theta + f(v["b"])), e, "theta"),
    ),
    "derivations.autoregressive-gradient": (_reals("b", "w"), _autoregressive),
    "derivations.truncated-return": (_rationals("gamma", "r"), _return),
    "derivations.bellman-two-state": (_rationals("gamma"), _bellman),
    "derivations.policy-evaluation-sweeps": (_rationals("gamma"), _sweeps),
    "derivations.td0-update": (_rationals("v", "v2", lo=-40, hi=40, den=4), _td0),
    "derivations.n-step-return": (_rationals("gamma", "v", lo=-19), _n_step),
    "derivations.dqn-semi-gradient": (_reals("w0", "w1", "y"), _dqn),
    "derivations.softmax-policy-score": (_reals("h0", "h1", "h2"), _softmax_score),
    "derivations.gaussian-policy-score": (
        _reals("a", "theta", "s", s=(0.2, 3.0)),
        _gaussian_score,
    ),
    "derivations.actor-critic-update": (
        _reals("h", "v", "v2", "p", p=(0.05, 0.95)),
        _actor_critic,
    ),
    "rf_params.rf-stack-formula": (
        _ints(n=(1, 5), k=(1, 7)),
        lambda v, e: rf_1d([int(e["k"])] * int(e["n"]), [1] * int(e["n"])),
    ),
    "rf_params.output-size-formula": (
        _ints(n=(10, 40)),
        lambda v, e: conv_out(int(e["n"]), v["k"], p=v["p"]),
    ),
    "rf_params.wavenet-rf-formula": (
        _ints(L=(1, 7)),
        lambda v, e: rf_1d(
            [2] * int(e["L"]), [1] * int(e["L"]), [2**i for i in range(int(e["L"]))]
        ),
    ),
    "rf_params.conv-params-formula": (
        _ints(k=(1, 5), C_in=(1, 6), C_out=(1, 6)),
        lambda v, e: n_params(torch.nn.Conv2d(int(e["C_in"]), int(e["C_out"]), int(e["k"]))),
    ),
}


def test_every_expression_template_has_an_oracle() -> None:
    expression = {t.id for t in BANK.templates.values() if t.kind == "expression"}
    assert expression == set(ORACLES)


@pytest.mark.parametrize("tid", sorted(ORACLES))
def test_the_answer_agrees_with_an_independent_oracle(tid: str) -> None:
    points, oracle = ORACLES[tid]
    template = BANK.templates[tid]
    rng = random.Random(tid)
    for seed in SEEDS:
        q = template.instantiate(seed)
        for env in points(rng, q.values):
            want = oracle(q.values, env)  # may add symbols it found (the RNN's h1, h2)
            env = {k: val for k, val in env.items() if k in template.symbols}
            got = evaluate(q.expected.expression, env)
            if isinstance(want, (int, Fraction)) and isinstance(got, Fraction):
                assert got == want, (tid, seed, env)
            else:
                assert float(got) == pytest.approx(float(want), rel=1e-7, abs=1e-9), (
                    tid,
                    seed,
                    env,
                )


def test_the_oracles_tell_a_wrong_answer_apart() -> None:
    """Control: a template's misconception disagrees with the oracle (the comparison can fail)."""
    for tid in (
        "derivations.sigmoid-chain",
        "derivations.gaussian-kl",
        "derivations.bellman-two-state",
    ):
        points, oracle = ORACLES[tid]
        q = BANK.templates[tid].instantiate(0)
        wrong = q.expected.mistakes[0].node
        env = points(random.Random(1), q.values)[0]
        assert float(evaluate(wrong, env)) != pytest.approx(float(oracle(q.values, env)), rel=1e-6)
