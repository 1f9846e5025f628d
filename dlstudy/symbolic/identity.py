"""Check a student's own identity ``LHS == RHS`` (``dlstudy verify --claim``).

A thin layer over :mod:`dlstudy.symbolic.equivalence` (the engine): parsing and deciding both run in a
forked child limited in CPU seconds. Proven when a chain of rewritings takes ``LHS - RHS`` to 0 (the
chain is shown); refuted only at a point where both sides are real and certainly differ (exact, or
30 guaranteed digits confirmed at 60); otherwise undetermined (exit 3), also when the limit is reached.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dlstudy.symbolic import equivalence as eq

PROVEN, REFUTED, UNDETERMINED, TIMEOUT = "proven", "refuted", "undetermined", "timeout"
EXIT_CODES = {PROVEN: 0, REFUTED: 1, UNDETERMINED: 3, TIMEOUT: 3}
_STATUS = {eq.EQUIVALENT: PROVEN, eq.NOT_EQUIVALENT: REFUTED, eq.UNDETERMINED: UNDETERMINED}


def check_claim(text: str, timeout: float = 10.0, assume: Sequence[str] = ()) -> dict[str, Any]:
    """Parse (errors raise DlstudyError, exit 2) and decide within ``timeout`` CPU seconds.

    ``assume``: texts such as ``"s > 0"`` or ``"n integer"`` (see :func:`eq.parse_assumptions`)."""
    from dlstudy.symbolic.sandbox import CPU_LIMIT, check_seconds

    check_seconds(timeout)
    assumptions = eq.parse_assumptions(assume)
    v = eq.check_claim(text, assume=assumptions, cpu_seconds=timeout)
    status = _STATUS[v.status]
    if v.how == CPU_LIMIT:
        status = TIMEOUT
    out: dict[str, Any] = {
        "claim": text,
        "status": status,
        "assumptions": {k: sorted(p) for k, p in assumptions.items()},
        "lhs": v.lhs,
        "rhs": v.rhs,
        "lhs_evaluated": v.lhs_evaluated,
        "rhs_evaluated": v.rhs_evaluated,
        "steps": v.steps,
        "how": v.how,
        "cpu_seconds": v.cpu_seconds,
    }
    if status == REFUTED:
        out["counterexample"] = v.detail
        if v.counterexample:
            out["point"] = v.counterexample
    elif v.detail:
        out["reason"] = v.detail
    if v.agreeing_points:
        out["agreeing_points"] = v.agreeing_points
    if v.error:
        out["error"] = v.error
    if v.unused_assumptions:
        out["unused_assumptions"] = v.unused_assumptions
    return out
