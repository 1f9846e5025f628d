"""Claims of the sequence-model chapter: BPTT, the RNN Jacobian and its norm bounds, LSTM."""

from __future__ import annotations

import sympy as sp
from sympy import tanh

from dlstudy.symbolic.core import GENERAL, INSTANCE, Check, claim, notes_version

w, u, v = sp.symbols("w u v", real=True)
h0 = sp.Symbol("h0", real=True)
xs = sp.symbols("x1:4", real=True)
targets = sp.symbols("yhat1:4", real=True)
T = 3


def _states(leak: sp.Expr = 0) -> list[sp.Expr]:
    """h_t = w tanh(h_{t-1}) + u x_t (the notes' 'assume' form, scalar), h_0 given; ``leak`` adds
    leak·h_{t-1} (a different recurrence)."""
    hs = [h0]
    for t in range(T):
        hs.append(w * tanh(hs[-1]) + u * xs[t] + leak * hs[-1])
    return hs


def _bptt_formula(hs: list[sp.Expr], shift: int = 0) -> sp.Expr:
    """Σ_t ∂L_t/∂y_t ∂y_t/∂h_t Σ_{k≤t} (Π_{i=k+1}^t ∂h_i/∂h_{i-1}) ∂⁺h_k/∂w."""
    total = sp.Integer(0)
    for t in range(1, T + 1):
        dL_dy = 2 * (v * hs[t] - targets[t - 1])
        inner = sp.Integer(0)
        for k in range(1, t + 1):
            prod = sp.Mul(*[w * (1 - tanh(hs[i - 1]) ** 2) for i in range(k + 1 + shift, t + 1)])
            inner += prod * tanh(hs[k - 1])  # ∂⁺h_k/∂w = f(h_{k-1})
        total += dL_dy * v * inner
    return total


@claim(
    "bptt",
    "rnn",
    "∂L_t/∂W = ∂L_t/∂y_t ∂y_t/∂h_t Σ_{k=1}^t ∂h_t/∂h_k ∂⁺h_k/∂W, ∂h_t/∂h_k = Π_{i=k+1}^t ∂h_i/∂h_{i-1}",
    kind="exact symbolic instance: dL/dw by sympy vs the formula",
    scope=INSTANCE,
    case="scalar RNN h_t = w tanh(h_{t-1}) + u x_t, ŷ_t = v h_t, squared loss, T = 3",
)
def bptt(c: Check) -> None:
    leak = c.premise(
        "the recurrence is h_t = w f(h_{t-1}) + u x_t (so ∂h_i/∂h_{i-1} = w f'(h_{i-1}))",
        0,
        broken=sp.Rational(1, 2),
    )
    hs = _states(leak)
    L = sum((v * hs[t] - targets[t - 1]) ** 2 for t in range(1, T + 1))
    c.identity(
        "dL/dw (sympy) = BPTT formula",
        sp.diff(L, w),
        _bptt_formula(hs),
        control=_bptt_formula(hs, shift=-1),
    )


W = sp.Matrix(2, 2, sp.symbols("W11 W12 W21 W22", real=True))
bvec = sp.Matrix(sp.symbols("b1 b2", real=True))
hprev = sp.Matrix(sp.symbols("h1 h2", real=True))


def _step(hv: sp.Matrix, inside: bool = False) -> sp.Matrix:
    """h_i = W f(h_{i-1}) + b with f = tanh elementwise (``inside``: f(W h_{i-1}) + b instead)."""
    if inside:
        return (W * hv).applyfunc(tanh) + bvec
    return W * hv.applyfunc(tanh) + bvec


def _diag_fprime(hv: sp.Matrix) -> sp.Matrix:
    return sp.diag(*[1 - tanh(e) ** 2 for e in hv])


@claim(
    "rnn-jacobian",
    "rnn",
    "∂h_i/∂h_{i-1} = W_hhᵀ diag[f'(h_{i-1})]",
    corrected="for h_i = W f(h_{i-1}) + …: ∂h_i/∂h_{i-1} = W·diag f'(h_{i-1}) (no transpose in numerator "
    "layout); ∂h_t/∂h_k = J_t J_{t-1} … J_{k+1} (later factors on the left)",
    verdict="G",
    kind="exact symbolic instance",
    scope=INSTANCE,
    case="2 hidden units, f = tanh, W and h symbolic",
)
def rnn_jacobian(c: Check) -> None:
    inside = c.premise("the notes' form h_i = W f(h_{i-1}) + ...", False, broken=True)
    h1 = _step(hprev, inside)
    c.identity(
        "J = W diag f'(h_{i-1})",
        h1.jacobian(hprev),
        W * _diag_fprime(hprev),
        control=W.T * _diag_fprime(hprev),
    )
    h2 = _step(h1, inside)
    J1 = W * _diag_fprime(hprev)
    J2 = W * _diag_fprime(h1)
    c.identity("∂h_2/∂h_0 = J_2 J_1", h2.jacobian(hprev), J2 * J1, control=J1 * J2)


@notes_version(
    "rnn-jacobian",
    kind="non-zero residual (2×2 symbolic)",
    quote="W_{hh}^T \\operatorname{diag}[f'(h_{i-1})]",
    case="2 hidden units, f = tanh: Wᵀ diag f' ≠ W diag f'",
)
def rnn_jacobian_notes(c: Check) -> None:
    c.identity(
        "J = Wᵀ diag f'(h_{i-1})",
        _step(hprev).jacobian(hprev),
        W.T * _diag_fprime(hprev),
        control=W * _diag_fprime(hprev),
    )


def _sig(a: sp.Expr) -> sp.Expr:
    return 1 / (1 + sp.exp(-a))


_Wc = sp.Matrix([[2, 1], [0, 1]])


def _spectral_norm(M: sp.Matrix) -> sp.Expr:
    return sp.sqrt(max((M.T * M).eigenvals(), key=lambda e: sp.N(e)))


_i = sp.Symbol("i", integer=True)
_n = sp.Symbol("n", integer=True, positive=True)
_xv = sp.IndexedBase("x", real=True)
_e = sp.IndexedBase("e", nonnegative=True)


@claim(
    "rnn-norm-bound",
    "rnn",
    "‖∂h_i/∂h_{i-1}‖ ≤ ‖W_hhᵀ‖‖diag[f'(h_{i-1})]‖ < ‖W_hhᵀ‖γ",
    corrected="‖∂h_i/∂h_{i-1}‖ = ‖W D‖ ≤ ‖W‖‖D‖ ≤ ‖W‖γ (≤, not <) for the spectral norm, with "
    "D = diag f'(h_{i-1}) and γ = sup|f'|: 1 for tanh, 1/4 for sigmoid",
    verdict="G",
    kind="chain of symbolic facts for n units (symbolic n): ‖WDx‖ ≤ ‖W‖‖Dx‖ (definition of the "
    "operator norm) and γ²‖x‖² - ‖Dx‖² = Σ(γ² - d_i²)x_i² ≥ 0; γ for tanh and sigmoid",
    scope=GENERAL,
)
def rnn_norm_bound(c: Check) -> None:
    a = sp.Symbol("a", real=True)
    g_tanh = c.premise("γ = sup|tanh'| = 1", 1, broken=sp.Rational(1, 2))
    c.fact(
        "tanh: γ - f'(a) ≥ 0 for all a",
        sp.simplify(g_tanh - sp.diff(tanh(a), a)),
        "nonnegative",
        control=-(tanh(a) ** 2) - 1,
    )
    c.identity("tanh: f'(0) = 1 = γ", sp.diff(tanh(a), a).subs(a, 0), 1, control=sp.Rational(1, 2))
    s = _sig(a)
    c.identity(
        "sigmoid: 1/4 - σ(1-σ) = (σ - 1/2)² ≥ 0",
        sp.Rational(1, 4) - sp.diff(s, a),
        (s - sp.Rational(1, 2)) ** 2,
        control=(s - sp.Rational(1, 4)) ** 2,
    )
    c.identity(
        "sigmoid: f'(0) = 1/4 = γ",
        sp.diff(s, a).subs(a, 0),
        sp.Rational(1, 4),
        control=sp.Rational(1, 2),
    )
    # ‖D x‖ ≤ γ ‖x‖ for D = diag(d_i) with |d_i| ≤ γ: write d_i² = γ² - e_i, e_i ≥ 0
    gam = sp.Symbol("gamma", positive=True)
    d2 = c.premise(
        "every diagonal entry |d_i| = |f'(h_i)| ≤ γ (d_i² = γ² - e_i, e_i ≥ 0)",
        gam**2 - _e[_i],
        broken=gam**2 + _e[_i],
    )
    gap = sp.Sum(gam**2 * _xv[_i] ** 2, (_i, 1, _n)) - sp.Sum(d2 * _xv[_i] ** 2, (_i, 1, _n))
    c.step("‖Jx‖ = ‖W(Dx)‖ ≤ ‖W‖ ‖Dx‖ (definition of ‖W‖ = sup ‖Wy‖/‖y‖)", sp.true)
    c.fact(
        "γ²‖x‖² - ‖Dx‖² = Σ (γ² - d_i²) x_i² ≥ 0, so ‖Dx‖ ≤ γ‖x‖ and ‖J‖ ≤ ‖W‖γ",
        sp.simplify(gap.doit()),
        "nonnegative",
        control=-gap - 1,
    )


@notes_version(
    "rnn-norm-bound",
    kind="counterexample: equality at h = 0 for tanh (D = I)",
    quote="< \\|W_{hh}^T\\|\\gamma",
    case="f = tanh, h_{i-1} = 0, W = [[2,1],[0,1]]: ‖J‖ = ‖W‖ = ‖W‖γ",
)
def rnn_norm_bound_notes(c: Check) -> None:
    D = sp.eye(2) * sp.diff(tanh(a0), a0).subs(a0, 0)  # diag f'(0) = I for tanh
    J = _Wc * D
    c.step("J = W·diag(tanh'(0)) = W", J)
    c.fact(
        "‖W‖γ - ‖J‖ > 0 (strict <)",
        _spectral_norm(_Wc) * 1 - _spectral_norm(J),
        "positive",
        control=_spectral_norm(_Wc) * 2 - _spectral_norm(J),
    )


a0 = sp.Symbol("a0", real=True)


@claim(
    "rnn-vanish",
    "rnn",
    "if ‖W_hhᵀ‖ = λ < 1/γ then ‖∂h_i/∂h_{i-1}‖ ≤ η < 1 and ‖∂h_t/∂h_k‖ < η^{t-k}: vanish",
    corrected="‖∂h_t/∂h_k‖ ≤ η^{t-k} with η = λγ < 1 (≤, not <: equality is reached), so the "
    "gradient vanishes geometrically",
    verdict="G",
    kind="η = λγ < 1 from 0 < λ < 1/γ; induction with ‖AB‖ ≤ ‖A‖‖B‖; η^n → 0 (symbolic λ, γ, n)",
    scope=GENERAL,
)
def rnn_vanish(c: Check) -> None:
    g, v = sp.symbols("gamma v", positive=True)
    # every λ in (0, 1/γ) is 1/(γ(1+v)) for exactly one v > 0
    lam = c.premise(
        "0 < λ < 1/γ: λ = 1/(γ(1+v)) for some v > 0", 1 / (g * (1 + v)), broken=(1 + v) / g
    )
    eta = c.step("η = λγ (bounds each ‖∂h_i/∂h_{i-1}‖, see rnn-norm-bound)", sp.simplify(lam * g))
    c.fact("1 - η > 0, i.e. η < 1", sp.simplify(1 - eta), "positive", control=eta - 1)
    n = sp.Symbol("n", positive=True, integer=True)
    c.step(
        "‖J_{k+n+1} (J_{k+n}⋯J_{k+1})‖ ≤ ‖J_{k+n+1}‖ ‖J_{k+n}⋯J_{k+1}‖ ≤ η · η^n", eta ** (n + 1)
    )
    c.identity("induction: η · η^n = η^(n+1)", eta * eta**n, eta ** (n + 1), control=eta**n)
    c.limit("η^n → 0: the bound on ‖∂h_t/∂h_k‖ vanishes", eta**n, n, sp.oo, 0, control=sp.oo)


@notes_version(
    "rnn-vanish",
    kind="counterexample: equality for f = id, W = I/2",
    quote="\\|\\frac{\\partial h_t}{\\partial h_k}\\| < \\eta^{t-k}",
    case="f = id (γ = 1), W = I/2 (λ = η = 1/2), t - k = 2: ‖W²‖ = 1/4 = η²",
)
def rnn_vanish_notes(c: Check) -> None:
    Wh = sp.eye(2) / 2
    eta = _spectral_norm(Wh) * 1  # λγ with γ = 1 for f = id
    c.differ(
        "strict <: the bound η^(t-k) is never attained (t - k = 2)",
        _spectral_norm(Wh**2),
        eta**2,
        control=eta,
    )


@claim(
    "rnn-explode",
    "rnn",
    "if λ > 1/γ: explode",
    corrected="λ > 1/γ is only NECESSARY for exploding gradients, not sufficient: when λγ ≤ 1 the product "
    "is bounded by (λγ)^{t-k} ≤ 1; with f = id and W = [[0,2],[0,0]], λ = 2 > 1 but W² = 0",
    verdict="I",
    kind="sign facts (the bound is non-increasing when λγ ≤ 1) + exact counterexample",
    scope=GENERAL,
)
def rnn_explode(c: Check) -> None:
    a = sp.Symbol("a", nonnegative=True)
    n = sp.Symbol("n", nonnegative=True, integer=True)
    eta = c.premise("λγ ≤ 1: η = λγ = 1/(1+a), a ≥ 0", 1 / (1 + a), broken=1 + a)
    c.fact(
        "λγ ≤ 1 ⇒ η^(n+1) - η^n = η^n(η - 1) ≤ 0 (bounded by η^0 = 1: no explosion)",
        eta**n * (eta - 1),
        "nonpositive",
        control=eta**n * (eta + 1),
    )
    Wn = sp.Matrix([[0, 2], [0, 0]])
    c.identity("W = [[0,2],[0,0]]: W² = 0", Wn**2, sp.zeros(2, 2), control=Wn)


@notes_version(
    "rnn-explode",
    kind="counterexample (f = id, W = [[0,2],[0,0]])",
    quote="\\text{if } \\lambda > \\frac{1}{\\gamma} \\text{ explode}",
    case="f = id (γ = 1), W = [[0,2],[0,0]]: λ = 2 > 1 but W² = 0",
)
def rnn_explode_notes(c: Check) -> None:
    Wn = sp.Matrix([[0, 2], [0, 0]])
    c.step("‖W‖₂ = λ (γ = 1 for f = id)", _spectral_norm(Wn))
    c.fact(
        "λ = 2 > 1/γ ⇒ ‖W^n‖ ≥ 1 at n = 2",
        _spectral_norm(Wn**2) - 1,
        "nonnegative",
        control=_spectral_norm((2 * sp.eye(2)) ** 2) - 1,
    )


@claim(
    "lstm-additive",
    "lstm",
    "c^t = f^t ⊙ c^{t-1} + i^t ⊙ g^t,  h^t = o^t ⊙ tanh(c^t): additive cell update",
    kind="exact symbolic instance",
    scope=INSTANCE,
    case="2 units, gates computed from symbolic h^{t-1}, x^t and weights",
)
def lstm_additive(c: Check) -> None:
    cprev = sp.Matrix(sp.symbols("c1 c2", real=True))
    hv = sp.Matrix(sp.symbols("hp1 hp2", real=True))
    xv = sp.Symbol("x", real=True)
    gates = {}
    for name in ("f", "i", "o", "g"):
        Wg = sp.Matrix(2, 2, sp.symbols(f"W{name}1:5", real=True))
        pre = Wg * hv + sp.Matrix(sp.symbols(f"U{name}1:3", real=True)) * xv
        gates[name] = pre.applyfunc(tanh if name == "g" else _sig)
    f_, i_, g_ = gates["f"], gates["i"], gates["g"]
    additive = c.premise(
        "additive cell update c^t = f ⊙ c^{t-1} + i ⊙ g", True, broken=False
    )  # broken: the multiplicative c^t = (f + i ⊙ g) ⊙ c^{t-1}
    if additive:
        cnew = f_.multiply_elementwise(cprev) + i_.multiply_elementwise(g_)
    else:
        cnew = (f_ + i_.multiply_elementwise(g_)).multiply_elementwise(cprev)
    c.identity(
        "∂c^t/∂c^{t-1} = diag(f^t)",
        cnew.jacobian(cprev),
        sp.diag(*f_),
        control=sp.diag(*f_) + sp.diag(*i_),
    )
    hnew = gates["o"].multiply_elementwise(cnew.applyfunc(tanh))
    c.identity(
        "∂h^t/∂c^{t-1} = diag(o ⊙ (1 - tanh² c^t)) diag(f^t)",
        hnew.jacobian(cprev),
        sp.diag(*[gates["o"][k] * (1 - tanh(cnew[k]) ** 2) for k in range(2)]) * sp.diag(*f_),
        control=sp.diag(*[gates["o"][k] * (1 - tanh(cnew[k]) ** 2) for k in range(2)]),
    )
