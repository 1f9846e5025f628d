"""Check a student's own identity ``LHS == RHS`` (``dlstudy verify --claim``).

Proven when a chain of rewritings takes ``LHS - RHS`` to 0 (the chain is shown); refuted when a point
with exact rational coordinates gives a non-zero difference evaluated to 50 digits; otherwise
undetermined. The check runs in a forked child under a time limit.
"""

from __future__ import annotations

from typing import Any

from dlstudy.symbolic.core import PROVEN, REFUTED, UNDETERMINED, prove_equal
from dlstudy.symbolic.parser import parse_claim

EXIT_CODES = {PROVEN: 0, REFUTED: 1, UNDETERMINED: 3, "timeout": 3}


def _evaluate(expr: Any) -> Any:
    """Carry out derivatives, integrals, sums and limits the student wrote."""
    return expr.doit() if hasattr(expr, "doit") else expr


def decide(lhs: Any, rhs: Any) -> dict[str, Any]:
    """Decide ``lhs == rhs``; returns plain data (strings) so it can cross a process boundary."""
    import sympy as sp

    L, Rv = _evaluate(lhs), _evaluate(rhs)
    out: dict[str, Any] = {
        "lhs": sp.sstr(lhs),
        "rhs": sp.sstr(rhs),
        "lhs_evaluated": sp.sstr(L),
        "rhs_evaluated": sp.sstr(Rv),
        "steps": [],
    }
    pretty = lambda e: sp.pretty(e, use_unicode=True)  # noqa: E731
    if isinstance(L, sp.MatrixBase):
        entries = list(zip(L, Rv, strict=True))
    else:
        entries = [(L, Rv)]
    status = PROVEN
    for k, (a, b) in enumerate(entries):
        res = prove_equal(a, b)
        d = sp.sympify(a) - sp.sympify(b)
        label = f"entry {k}: " if len(entries) > 1 else ""
        out["steps"].append(
            {"label": f"{label}left - right", "expr": sp.sstr(d), "pretty": pretty(d)}
        )
        out["steps"].append(
            {
                "label": f"{label}{res.how}",
                "expr": sp.sstr(res.residual),
                "pretty": pretty(res.residual),
            }
        )
        if res.outcome == REFUTED:
            out["counterexample"] = res.detail
            status = REFUTED
            break
        if res.outcome == UNDETERMINED:
            status = UNDETERMINED
    out["status"] = status
    return out


def check_claim(text: str, timeout: float = 10.0) -> dict[str, Any]:
    """Parse (errors raise DlstudyError, exit 2) and decide within ``timeout`` seconds."""
    from dlstudy.symbolic.runner import run_with_limit

    lhs, rhs = parse_claim(text)
    try:
        finished, result = run_with_limit(lambda: decide(lhs, rhs), timeout)
    except RuntimeError as exc:  # sympy failed on this input: cannot decide
        return {"claim": text, "status": UNDETERMINED, "error": str(exc), "steps": []}
    if not finished:
        return {
            "claim": text,
            "status": "timeout",
            "steps": [],
            "error": f"no decision within {timeout:g} s",
        }
    return {"claim": text, **result}
