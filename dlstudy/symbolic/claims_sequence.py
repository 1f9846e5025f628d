"""Claims of the sequence-model chapter: BPTT, the RNN Jacobian and its norm bounds, LSTM."""

from __future__ import annotations

import sympy as sp
from sympy import tanh

from dlstudy.symbolic.core import Check, claim, notes_version

w, u, v = sp.symbols("w u v", real=True)
h0 = sp.Symbol("h0", real=True)
xs = sp.symbols("x1:4", real=True)
targets = sp.symbols("yhat1:4", real=True)
T = 3


def _states() -> list[sp.Expr]:
    """h_t = w tanh(h_{t-1}) + u x_t (the notes' 'assume' form, scalar), h_0 given."""
    hs = [h0]
    for t in range(T):
        hs.append(w * tanh(hs[-1]) + u * xs[t])
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
    kind="exact symbolic instance (scalar h_t = w tanh(h_{t-1}) + u x_t, T = 3)",
)
def bptt(c: Check) -> None:
    hs = _states()
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


def _step(hv: sp.Matrix) -> sp.Matrix:
    """h_i = W f(h_{i-1}) + b with f = tanh elementwise."""
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
    kind="exact symbolic instance (2×2, f = tanh)",
)
def rnn_jacobian(c: Check) -> None:
    h1 = _step(hprev)
    c.identity(
        "J = W diag f'(h_{i-1})",
        h1.jacobian(hprev),
        W * _diag_fprime(hprev),
        control=W.T * _diag_fprime(hprev),
    )
    h2 = _step(h1)
    J1 = W * _diag_fprime(hprev)
    J2 = W * _diag_fprime(h1)
    c.identity("∂h_2/∂h_0 = J_2 J_1", h2.jacobian(hprev), J2 * J1, control=J1 * J2)


@notes_version("rnn-jacobian", kind="non-zero residual (2×2 symbolic)")
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


@claim(
    "rnn-norm-bound",
    "rnn",
    "‖∂h_i/∂h_{i-1}‖ ≤ ‖W_hhᵀ‖‖diag[f'(h_{i-1})]‖ < ‖W_hhᵀ‖γ",
    corrected="‖∂h_i/∂h_{i-1}‖ ≤ ‖W‖‖diag f'(h_{i-1})‖ ≤ ‖W‖γ (≤, not <), γ = sup|f'|: 1 for tanh, "
    "1/4 for sigmoid",
    verdict="G",
    kind="identities + sign facts + exact equality case",
)
def rnn_norm_bound(c: Check) -> None:
    a = sp.Symbol("a", real=True)
    c.fact(
        "tanh: γ - f'(a) = tanh(a)² ≥ 0",
        1 - sp.diff(tanh(a), a),
        "nonnegative",
        control=-(tanh(a) ** 2) - 1,
    )
    c.identity("tanh: f'(0) = 1 = γ", sp.diff(tanh(a), a).subs(a, 0), 1, control=sp.Rational(1, 2))
    s = _sig(a)
    c.identity(
        "sigmoid: 1/4 - σ(1-σ) = (σ - 1/2)²",
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
    # equality case for f = tanh at h = 0: ‖W diag f'(0)‖ = ‖W‖·1 = ‖W‖γ
    n = _spectral_norm(_Wc)
    c.step("‖W‖₂ for W = [[2,1],[0,1]]", n)
    c.identity(
        "at h = 0: ‖J‖ = ‖W‖γ (so ≤ is attained)",
        _spectral_norm(_Wc * sp.eye(2)),
        n * 1,
        control=n * sp.Rational(1, 2),
    )


@notes_version("rnn-norm-bound", kind="counterexample (equality at h = 0, f = tanh)")
def rnn_norm_bound_notes(c: Check) -> None:
    n = _spectral_norm(_Wc)
    lhs = _spectral_norm(_Wc) * _spectral_norm(sp.eye(2))  # ‖Wᵀ‖‖diag f'(0)‖, tanh'(0) = 1
    c.fact("‖Wᵀ‖γ - ‖Wᵀ‖‖diag f'(0)‖ > 0 (strict <)", n * 1 - lhs, "positive", control=n * 2 - lhs)


@claim(
    "rnn-vanish",
    "rnn",
    "if ‖W_hhᵀ‖ = λ < 1/γ then ‖∂h_i/∂h_{i-1}‖ ≤ η < 1 and ‖∂h_t/∂h_k‖ < η^{t-k}: vanish",
    kind="induction step identity + limit (λγ = 1/(1+a), a > 0)",
)
def rnn_vanish(c: Check) -> None:
    eta, a = sp.symbols("eta a", positive=True)
    n = sp.Symbol("n", positive=True, integer=True)
    c.identity("induction: η · η^n = η^(n+1)", eta * eta**n, eta ** (n + 1), control=eta**n)
    g = sp.Symbol("gamma", positive=True)
    lam = 1 / (g * (1 + a))
    c.identity("η = λγ = 1/(1+a)", lam * g, 1 / (1 + a), control=1 + a)
    c.fact("η < 1", 1 - 1 / (1 + a), "positive", control=1 - (1 + a))
    c.limit("η^n → 0", (1 + a) ** (-n), n, sp.oo, 0, control=sp.oo)


@claim(
    "rnn-explode",
    "rnn",
    "if λ > 1/γ: explode",
    corrected="λ > 1/γ is only NECESSARY for exploding gradients, not sufficient: when λγ ≤ 1 the product "
    "is bounded by (λγ)^{t-k} ≤ 1; with f = id and W = [[0,2],[0,0]], λ = 2 > 1 but W² = 0",
    verdict="I",
    kind="sign facts (bound is non-increasing) + exact counterexample",
)
def rnn_explode(c: Check) -> None:
    a = sp.Symbol("a", nonnegative=True)
    n = sp.Symbol("n", nonnegative=True, integer=True)
    eta = 1 / (1 + a)  # λγ ≤ 1
    c.fact(
        "λγ ≤ 1 ⇒ η^(n+1) - η^n = η^n(η - 1) ≤ 0 (bounded by η^0 = 1)",
        eta**n * (eta - 1),
        "nonpositive",
        control=eta**n * (eta + 1),
    )
    Wn = sp.Matrix([[0, 2], [0, 0]])
    c.identity("W = [[0,2],[0,0]]: W² = 0", Wn**2, sp.zeros(2, 2), control=Wn)


@notes_version("rnn-explode", kind="counterexample (f = id, W = [[0,2],[0,0]])")
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
    kind="exact symbolic instance (2 units, gates from h^{t-1}, x^t)",
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
    cnew = gates["f"].multiply_elementwise(cprev) + gates["i"].multiply_elementwise(gates["g"])
    c.identity(
        "∂c^t/∂c^{t-1} = diag(f^t)",
        cnew.jacobian(cprev),
        sp.diag(*gates["f"]),
        control=sp.diag(*gates["f"]) + sp.diag(*gates["i"]),
    )
    hnew = gates["o"].multiply_elementwise(cnew.applyfunc(tanh))
    c.identity(
        "∂h^t/∂c^{t-1} = diag(o ⊙ (1 - tanh² c^t)) diag(f^t)",
        hnew.jacobian(cprev),
        sp.diag(*[gates["o"][k] * (1 - tanh(cnew[k]) ** 2) for k in range(2)])
        * sp.diag(*gates["f"]),
        control=sp.diag(*[gates["o"][k] * (1 - tanh(cnew[k]) ** 2) for k in range(2)]),
    )
