"""Symbolic confirmation of an expression answer by the equivalence engine of ``verify --claim``.

An expression answer is read by the answer parser (:mod:`dlstudy.answers.expr_syntax`, bounded,
nothing evaluated by Python). Both expressions are then written in the claim language by the
converter the quiz's multi-line working uses (:func:`dlstudy.study.working.claim_text`; a symbol the
claim language would read as a function or constant is renamed) and handed to
:func:`dlstudy.symbolic.equivalence.check_pair`, which parses them *inside* a forked child limited
in CPU seconds. Its verdict:

* ``equivalent``: a chain of sympy rewritings took the difference to 0 (a proof);
* ``not-equivalent``: a point with exact coordinates where both sides are real and certainly differ
  (confirmed, never a rounding artefact);
* ``undetermined``: neither within the limit; the caller falls back on agreement at random points
  and says so.

sympy is imported only when a check runs (never by ``dlstudy --help``, ``rf`` or ``params``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from dlstudy.answers.expr_syntax import Node
from dlstudy.errors import DlstudyError

#: The claim parser's length limit (:data:`dlstudy.symbolic.parser.MAX_LENGTH`), without importing it.
_MAX_CLAIM_CHARS = 2000


@dataclass
class Check:
    """The engine's verdict on ``expected == given``: ``status`` (equivalent / not-equivalent /
    undetermined) and, for a counterexample, ``where`` (``x = 1/2, y = 3``, in the question's
    symbols) and the two values."""

    status: str
    where: str = ""
    expected_value: str = ""
    given_value: str = ""


def engine_check(
    expected: Node,
    given: Node,
    symbols: Iterable[str],
    positive: Iterable[str] = (),
    cpu_seconds: float = 2.0,
    negative: Iterable[str] = (),
) -> Check:
    """Decide ``expected == given`` for every real value of ``symbols`` (those in ``positive`` are
    positive, those in ``negative`` negative) with the equivalence engine, in a child limited to
    ``cpu_seconds`` CPU seconds."""
    from dlstudy.study.working import Unsupported, claim_text, safe_names
    from dlstudy.symbolic.equivalence import NOT_EQUIVALENT, UNDETERMINED, check_pair

    names = safe_names(tuple(sorted(set(symbols))))
    back = {v: k for k, v in names.items()}
    try:
        left, right = claim_text(expected, names), claim_text(given, names)
    except Unsupported:  # floor, ceil: no claim-language form
        return Check(UNDETERMINED)
    if max(len(left), len(right)) > _MAX_CLAIM_CHARS:
        return Check(UNDETERMINED)
    assume = {names[s]: {"positive"} for s in positive if s in names}
    assume.update({names[s]: {"negative"} for s in negative if s in names})
    try:
        verdict = check_pair(left, right, assume=assume, cpu_seconds=cpu_seconds)
    except DlstudyError:  # the claim parser's own limits: no proof, the random points decide
        return Check(UNDETERMINED)
    if verdict.status == NOT_EQUIVALENT and verdict.counterexample:
        point = verdict.counterexample.get("values", {})
        where = ", ".join(f"{back.get(k, k)} = {v}" for k, v in point.items())
        return Check(
            NOT_EQUIVALENT,
            where.replace("-", "−"),
            str(verdict.counterexample.get("lhs", "")).replace("-", "−"),
            str(verdict.counterexample.get("rhs", "")).replace("-", "−"),
        )
    return Check(verdict.status)
