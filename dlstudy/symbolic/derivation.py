"""Check a hand derivation line by line (``dlstudy derive``): where did it go wrong?

A derivation is a list of lines in the claim language of ``verify --claim``
(:mod:`dlstudy.symbolic.parser`). Blank lines and ``#`` comments (whole lines, or the end of a line)
are ignored. Every other line is an *expression line*, one of

* an expression ``E``: it must equal the expression carried from the line before;
* a continuation ``= E`` (or ``== E``), as written on paper under the line before: the same as ``E``;
* a relation ``L = R`` (or ``L == R``): checked as an equation (``L`` equal to ``R``); when a line
  comes before it, ``L`` must also equal the expression carried from it. ``R`` is carried forward.
  So ``diff(sigmoid(x), x) = exp(-x)/(1 + exp(-x))**2`` followed by ``= sigmoid(x)*(1 - sigmoid(x))``
  checks both steps.

The first expression line has no predecessor: an expression there is the starting point (status
``equivalent``, nothing to compare); a relation there is checked as an equation.

Each step is decided by the equivalence engine (:mod:`dlstudy.symbolic.equivalence`): *equivalent*
only by a chain of sympy rewritings taking the difference to 0 (a proof); *not-equivalent* only with a
confirmed counterexample (exact, or 30 digits confirmed at 60: never an unconfirmed one); else
*undetermined*. Everything symbolic, parsing included, runs in a forked child limited in CPU seconds.

For the first wrong step the likely slip is sought (:func:`find_slip`): candidate corrections of the
wrong line (minus the line before, a constant factor such as 2 or 1/2, the line before divided by the
derivative of an inner function, with two symbols exchanged, upside down, without one of its terms,
shifted by a constant) are screened at two points and then *proven* equal to the wrong line by the
same engine; a slip is named only when that proof succeeds.

Public API: :func:`check_derivation` ``(lines, *, assume=(), cpu_seconds=5.0)`` → :class:`Derivation`
and, one line at a time (the interactive prompt), :class:`Checker`.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from dlstudy.errors import DlstudyError, caret
from dlstudy.symbolic import equivalence as eq
from dlstudy.symbolic import numeric, sandbox
from dlstudy.symbolic.parser import MAX_LENGTH, parse_claim, parse_expression, tokenize

#: The longest line read (characters): the parser's own limit.
MAX_LINE_LENGTH = MAX_LENGTH
#: The most lines a derivation may have (blank and comment lines included).
MAX_LINES = 1000
#: The most expression lines (steps) a derivation may have.
MAX_STEPS = 200

EQUIVALENT, NOT_EQUIVALENT, UNDETERMINED = eq.EQUIVALENT, eq.NOT_EQUIVALENT, eq.UNDETERMINED
PREVIOUS, SIDES = "previous line", "the two sides"
_CONTINUATION = re.compile(r"^(\s*)(==?)")


class DerivationError(DlstudyError):
    """A line that cannot be read; the message names the line and the column (both 1-based)."""

    def __init__(self, line: int, column: int, message: str, detail: str = "") -> None:
        super().__init__(f"line {line}, column {column}: {message}", detail)
        self.line = line
        self.column = column


@dataclass
class Step:
    """One expression line: ``line`` its 1-based number in the input, ``text`` the expression as
    written (comment removed), ``status`` the verdict on it, ``counterexample`` (when refuted: the
    symbols' ``values``, ``lhs`` the earlier expression's value, ``rhs`` this line's, ``difference``,
    ``exact``, ``compared`` and ``slip``), ``slip`` the likely slip in words (first wrong step only)."""

    line: int
    text: str
    status: str
    counterexample: dict[str, Any] | None = None
    slip: str | None = None
    compared: str = ""  # PREVIOUS or SIDES (what was refuted or left open); "" for a start
    relation: bool = False
    detail: str = ""  # the engine's words: the counterexample, or why undetermined
    cpu_seconds: float = 0.0

    @property
    def start(self) -> bool:
        """The first expression line, a plain expression: nothing was compared."""
        return self.compared == "" and self.status == EQUIVALENT and not self.relation

    def to_json(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "text": self.text,
            "status": self.status,
            "counterexample": self.counterexample,
        }


@dataclass
class Derivation:
    """The verdict on every expression line; ``first_wrong`` is the 1-based index (among the
    expression lines) of the first one not equal to the line before, or ``None``."""

    steps: list[Step] = field(default_factory=list)
    unused_assumptions: list[str] = field(default_factory=list)

    @property
    def first_wrong(self) -> int | None:
        for k, step in enumerate(self.steps, start=1):
            if step.status == NOT_EQUIVALENT:
                return k
        return None

    @property
    def status(self) -> str:
        """``not-equivalent`` if a step is, else ``undetermined`` if a step is, else ``equivalent``."""
        found = {s.status for s in self.steps}
        for status in (NOT_EQUIVALENT, UNDETERMINED):
            if status in found:
                return status
        return EQUIVALENT

    @property
    def exit_code(self) -> int:
        """0 every step equal, 1 a step is not, 3 a step undetermined (2 is for unreadable lines)."""
        return {EQUIVALENT: 0, NOT_EQUIVALENT: 1, UNDETERMINED: 3}[self.status]

    def to_json(self) -> dict[str, Any]:
        return {"steps": [s.to_json() for s in self.steps], "first_wrong": self.first_wrong}


# -- reading lines (no sympy: plain text) ---------------------------------------------------------
def expression_text(line: str) -> str | None:
    """The expression part of a line, positions kept (a ``# comment`` cut off, a leading ``=`` or
    ``==`` of a continuation blanked out), or ``None`` for a blank or comment line."""
    text = line.split("#", 1)[0].rstrip()
    m = _CONTINUATION.match(text)
    if m:
        text = m.group(1) + " " * len(m.group(2)) + text[m.end() :]
    return text if text.strip() or m else None


def _check_line_bounds(number: int, line: str) -> None:
    if len(line) > MAX_LINE_LENGTH:
        raise DlstudyError(
            f"line {number} is too long ({len(line)} characters; at most {MAX_LINE_LENGTH})"
        )


def _located(number: int, text: str, exc: DlstudyError) -> DerivationError:
    """The parser's error, placed: the caret's column (or the first non-blank character)."""
    column = len(text) - len(text.lstrip())
    lines = exc.detail.split("\n") if exc.detail else []
    if len(lines) >= 2 and "^" in lines[1]:
        column = lines[1].index("^") - 2
    column = max(0, min(column, len(text)))
    return DerivationError(number, column + 1, exc.message)


def _is_relation(text: str) -> bool:
    return any(t.kind == "op" and t.text in ("=", "==") for t in tokenize(text))


def _parse(text: str, symbols: dict[str, sp.Symbol]) -> tuple[Any, Any | None]:
    """``(E, None)`` for an expression, ``(L, R)`` for a relation (inside a limited child)."""
    if not text.strip():
        raise DlstudyError("expected an expression after '='", caret(text, len(text)))
    if _is_relation(text):
        return parse_claim(text, symbols)
    return parse_expression(text, symbols), None


def _parse_line(number: int, text: str, symbols: dict[str, sp.Symbol]) -> tuple[Any, Any | None]:
    try:
        return _parse(text, symbols)
    except DlstudyError as exc:
        raise _located(number, text, exc) from None


def _carried(parsed: tuple[Any, Any | None]) -> Any:
    """The expression a line passes on: a relation's right side, else the expression."""
    first, second = parsed
    return first if second is None else second


# -- the limited jobs ---------------------------------------------------------------------------
@dataclass
class _StepResult:
    status: str
    compared: str
    relation: bool
    verdict: eq.Verdict


def _step_job(
    previous: tuple[int, str] | None, current: tuple[int, str], assume: eq.Assumptions
) -> _StepResult:
    """Parse the line before and this one, then decide the step (runs in the limited child)."""
    syms = eq.symbols_for(assume)
    cur = _parse_line(*current, syms)
    before = _carried(_parse_line(*previous, syms)) if previous is not None else None
    relation = cur[1] is not None
    parts = [p for p in (before, *cur) if p is not None]
    unified = eq.unify_symbols(*parts)
    before = unified[0] if before is not None else None
    this = unified[-2:] if relation else unified[-1:]
    checks: list[tuple[str, Any, Any]] = []
    if before is not None:
        checks.append((PREVIOUS, before, this[0]))
    if relation:
        checks.append((SIDES, this[0], this[1]))
    if not checks:  # the start of the derivation
        return _StepResult(EQUIVALENT, "", False, eq.Verdict(EQUIVALENT, how="start"))
    results = [(what, eq.decide(a, b)) for what, a, b in checks]
    for status in (NOT_EQUIVALENT, UNDETERMINED):
        for what, v in results:
            if v.status == status:
                return _StepResult(status, what, relation, v)
    return _StepResult(EQUIVALENT, results[-1][0], relation, results[-1][1])


def _names_job(numbered: Sequence[tuple[int, str]], assume: eq.Assumptions) -> list[str]:
    """Parse every line (raising for the first unreadable one); the names they use."""
    syms = eq.symbols_for(assume)
    names: set[str] = set()
    for number, text in numbered:
        for part in _parse_line(number, text, syms):
            names.update(s.name for s in getattr(part, "free_symbols", set()))
    return sorted(names)


_LOCATED = re.compile(r"line (\d+), column (\d+): (.*)", re.S)


def _limited(job: Any, cpu_seconds: float) -> sandbox.Outcome:
    """Run ``job`` in the limited child; an unreadable line comes back as :class:`DerivationError`."""
    eq.warm_up()
    try:
        return sandbox.run_limited(job, cpu_seconds)
    except DerivationError:
        raise
    except DlstudyError as exc:  # the child's error crosses the pipe as the base class
        m = _LOCATED.fullmatch(exc.message)
        if m is None:
            raise
        raise DerivationError(int(m[1]), int(m[2]), m[3], exc.detail) from None


# -- the likely slip ----------------------------------------------------------------------------
def _inner_arguments(e: Any) -> list[Any]:
    """Arguments of function applications and bases of powers that are not a bare symbol or
    number: the inner functions of a chain rule."""
    found: list[Any] = []
    for node in sp.preorder_traversal(e):
        if isinstance(node, sp.Pow):
            inner = [node.base]
        elif isinstance(node, sp.Function) and not isinstance(node, sp.core.function.AppliedUndef):
            inner = list(node.args)
        else:
            continue
        for u in inner:
            if not (u.is_Symbol or u.is_number) and u not in found:
                found.append(u)
    return found


def _variables(e: Any) -> list[sp.Symbol]:
    """Variables of the derivatives written in ``e``, else all its symbols."""
    ds = [v for d in e.atoms(sp.Derivative) for v, _ in d.variable_count]
    chosen = ds or sorted(e.free_symbols, key=lambda s: s.name)
    return list(dict.fromkeys(chosen))


def _swaps(symbols: Iterable[sp.Symbol]) -> list[tuple[str, dict[Any, Any]]]:
    """Exchanges to try: the same name with indices 1 and 2 exchanged all at once (mu1 ↔ mu2 and
    s1 ↔ s2: the two distributions of a divergence), then every pair of symbols."""
    syms = sorted(symbols, key=lambda s: s.name)
    by_name = {s.name: s for s in syms}
    out: list[tuple[str, dict[Any, Any]]] = []
    indexed: dict[Any, Any] = {}
    for s in syms:
        m = re.fullmatch(r"(.*?)(_?)1", s.name)
        if m and f"{m[1]}{m[2]}2" in by_name:
            other = by_name[f"{m[1]}{m[2]}2"]
            indexed.update({s: other, other: s})
    if len(indexed) > 2:
        names = ", ".join(f"{a} and {b}" for a, b in indexed.items() if a.name < b.name)
        out.append((names, indexed))
    for a, b in itertools.combinations(syms, 2):
        out.append((f"{a} and {b}", {a: b, b: a}))
    return out


_SIGMOID = sp.Function("sigmoid")


def as_written(words: str, typed: str) -> str:
    """The checker's ``words`` (which say ``sigmoid(u)``) with σ(u) when the student ``typed`` σ."""
    return words.replace("sigmoid(", "σ(") if "σ" in typed else words


def _shown(e: Any) -> str:
    """``e`` as text, with 1/(1 + exp(-u)) written sigmoid(u) as the student typed it."""

    def is_sigmoid(n: Any) -> bool:
        return (
            isinstance(n, sp.Pow)
            and n.exp == -1
            and isinstance(n.base, sp.Add)
            and len(n.base.args) == 2
            and 1 in n.base.args
            and any(isinstance(a, sp.exp) for a in n.base.args)
        )

    def sigmoid(n: Any) -> Any:
        (inner,) = next(a for a in n.base.args if isinstance(a, sp.exp)).args
        return _SIGMOID(-inner)

    try:
        return sp.sstr(e.replace(is_sigmoid, sigmoid))
    except Exception:  # a form replace cannot handle: the plain text
        return sp.sstr(e)


def _factor_words(c: Any) -> str:
    if c == 2:
        return "a missing factor 1/2: {this} is 2 × {that}"
    if c == sp.Rational(1, 2):
        return "a missing factor 2 (or an extra 1/2): {this} is half of {that}"
    return f"a wrong constant factor: {{this}} is {sp.sstr(c)} × {{that}}"


def _flipped_terms(e: Any) -> Iterable[tuple[Any, Any]]:
    """``(term, e with that term's sign flipped)`` for each term of each sum inside ``e``."""
    for node in sp.preorder_traversal(e):
        if isinstance(node, sp.Add):
            for t in node.args:
                yield t, e.xreplace({node: node - 2 * t})


def _candidates(that: Any, this: Any, written: Any) -> Iterable[tuple[str, Any, Any]]:
    """``(slip in words, a, b)``: that slip explains {this} when ``a`` equals ``b``; ``written`` is
    {that} before evaluation (its derivatives say which variable a chain rule is about)."""
    yield "a sign: {this} is minus {that}", this, -that
    for u in _inner_arguments(written) + _inner_arguments(that):
        for v, inner in itertools.product(_variables(written), (u, -u)):
            g = sp.diff(inner, v)  # -u too: sigmoid(w*x) is written 1/(1 + exp(-w*x))
            if g.is_number and g in (1, -1, 0):
                continue
            yield (
                "a dropped chain-rule factor: {this} is {that} without the inner derivative "
                f"d({_shown(inner)})/d{v} = {_shown(g)}",
                this,
                that / g,
            )
    for t, flipped in _flipped_terms(this):
        words = f"a sign: in {{this}} the term {_shown(t)} should have the opposite sign"
        yield words, flipped, that
    ratio = sp.cancel(sp.together(this / that))
    if ratio.is_number and ratio.is_Rational and ratio not in (0, 1, -1):
        yield _factor_words(ratio), this, ratio * that
    for names, swap in _swaps(that.free_symbols | this.free_symbols):
        words = f"swapped arguments: {{this}} is {{that}} with {names} exchanged"
        yield words, this, that.xreplace(swap)
    yield "numerator and denominator swapped: {this} is 1 / ({that})", this, 1 / that
    terms = sp.Add.make_args(sp.expand(that))
    if 1 < len(terms) <= 8:
        for t in terms:
            words = f"a dropped term: {{this}} is {{that}} without the term {_shown(t)}"
            yield words, this, that - t
    shift = sp.cancel(sp.together(this - that))
    if shift.is_number and shift.is_Rational and shift != 0:
        yield (
            f"a wrong constant term: {{this}} is {{that}} + ({sp.sstr(shift)})",
            this,
            that + shift,
        )


def _close(a: Any, b: Any, point: dict[Any, Any]) -> bool | None:
    """Do ``a`` and ``b`` agree (about 10 digits) at ``point``? ``None`` where either is undefined."""
    try:
        va = complex(a.xreplace(point).evalf(15))
        vb = complex(b.xreplace(point).evalf(15))
    except (TypeError, ValueError, ZeroDivisionError, ArithmeticError):
        return None
    if va.imag or vb.imag or va != va or vb != vb:
        return None
    return abs(va - vb) <= 1e-10 * (1 + abs(va) + abs(vb))


def find_slip(that: Any, this: Any, written: Any | None = None, limit: int = 60) -> str | None:
    """The likely slip that turned ``that`` (the earlier expression) into ``this`` (a wrong one), as
    a template with ``{this}`` and ``{that}``, or ``None``. Runs in this process (call it inside a
    limited child). A candidate is screened at two points, then proven equal to ``this`` by the
    engine's rewritings; only a proven one is named."""
    that, this = eq._evaluate(that), eq._evaluate(this)
    written = that if written is None else written
    if isinstance(that, sp.MatrixBase) or isinstance(this, sp.MatrixBase):
        return None
    syms = sorted(that.free_symbols | this.free_symbols, key=lambda s: s.name)
    pts = list(itertools.islice(numeric.points(syms, 4), 4))
    for words, a, b in itertools.islice(_candidates(that, this, written), limit):
        screened = [_close(a, b, p) for p in pts]
        if False in screened or not any(screened):
            continue
        if eq.decide_entry(a, b, trials=6).status == EQUIVALENT:
            return words
    return None


def _slip_job(
    previous: tuple[int, str] | None,
    current: tuple[int, str],
    compared: str,
    assume: eq.Assumptions,
) -> str | None:
    """The slip's words with ``{this}`` and ``{that}`` left to fill (runs in the limited child)."""
    syms = eq.symbols_for(assume)
    cur = _parse_line(*current, syms)
    if compared == SIDES:
        that, this = eq.unify_symbols(*cur)
        return find_slip(that, this)
    assert previous is not None
    that, this = eq.unify_symbols(_carried(_parse_line(*previous, syms)), cur[0])
    return find_slip(that, this)


# -- the checker --------------------------------------------------------------------------------
class Checker:
    """Checks a derivation one line at a time (the interactive prompt; :func:`check_derivation`).

    :meth:`add` takes the line's number and text: ``None`` for a blank or comment line, else the
    :class:`Step`; an unreadable line raises :class:`DerivationError` and is not taken."""

    def __init__(
        self,
        *,
        assume: Sequence[str] = (),
        cpu_seconds: float = 5.0,
        label: Callable[[int], str] | None = None,
    ) -> None:
        self.cpu_seconds = sandbox.check_seconds(cpu_seconds)
        self.label = label or (lambda number: f"line {number}")
        self.assumptions = eq.parse_assumptions(assume)
        self.derivation = Derivation()
        self._previous: tuple[int, str] | None = None

    def add(self, number: int, line: str) -> Step | None:
        _check_line_bounds(number, line)
        text = expression_text(line)
        if text is None:
            return None
        if len(self.derivation.steps) >= MAX_STEPS:
            raise DlstudyError(
                f"line {number}: too many steps (at most {MAX_STEPS} expression lines)"
            )
        current, previous, assume = (number, text), self._previous, self.assumptions
        outcome = _limited(lambda: _step_job(previous, current, assume), self.cpu_seconds)
        written = line.split("#", 1)[0].strip()
        step = Step(number, written, UNDETERMINED, cpu_seconds=round(outcome.cpu_seconds, 3))
        if outcome.status == sandbox.OK:
            r: _StepResult = outcome.value
            step.status, step.compared, step.relation = r.status, r.compared, r.relation
            step.detail = r.verdict.detail
            if r.verdict.counterexample is not None:
                step.counterexample = {**r.verdict.counterexample, "compared": r.compared}
        else:
            step.compared = PREVIOUS if previous is not None else ""
            why = outcome.error or "the check did not finish"
            if outcome.status == sandbox.FAILED:
                why = f"sympy could not process the expressions ({why})"
            step.detail = why
        if step.status == NOT_EQUIVALENT and self.derivation.first_wrong is None:
            step.slip = self._slip(previous, current, step.compared)
            if step.counterexample is not None:
                step.counterexample["slip"] = step.slip
        self.derivation.steps.append(step)
        self._previous = current
        return step

    def _slip(
        self, previous: tuple[int, str] | None, current: tuple[int, str], compared: str
    ) -> str | None:
        assume = self.assumptions
        outcome = _limited(lambda: _slip_job(previous, current, compared, assume), self.cpu_seconds)
        if outcome.status != sandbox.OK or outcome.value is None:
            return None
        words = as_written(str(outcome.value), current[1] + (previous[1] if previous else ""))
        if compared == SIDES:
            return words.format(this="the right side", that="the left side")
        assert previous is not None
        return words.format(this=self.label(current[0]), that=self.label(previous[0]))


def read_all(lines: Sequence[str], *, assume: eq.Assumptions, cpu_seconds: float) -> list[str]:
    """Check the bounds and parse every line in one limited child, before any step is decided (an
    unreadable line is reported at once). Returns the names the lines use."""
    if len(lines) > MAX_LINES:
        raise DlstudyError(f"too many lines ({len(lines)}; at most {MAX_LINES})")
    numbered = []
    for number, line in enumerate(lines, start=1):
        _check_line_bounds(number, line)
        text = expression_text(line)
        if text is not None:
            numbered.append((number, text))
    if len(numbered) > MAX_STEPS:
        raise DlstudyError(
            f"too many steps ({len(numbered)} expression lines; at most {MAX_STEPS})"
        )
    outcome = _limited(lambda: _names_job(numbered, assume), cpu_seconds)
    return outcome.value if outcome.status == sandbox.OK else []  # a limit: each step parses again


def check_derivation(
    lines: list[str],
    *,
    assume: Sequence[str] = (),
    cpu_seconds: float = 5.0,
    label: Callable[[int], str] | None = None,
) -> Derivation:
    """Check ``lines`` (the input's lines, numbered from 1) step by step, each step within
    ``cpu_seconds`` CPU seconds. ``assume``: texts such as ``"s > 0"`` (as ``verify --claim``).
    An unreadable line raises :class:`DerivationError` (line and column in its message).
    ``label``: how the slip names a line by its number (default ``line N``)."""
    checker = Checker(assume=assume, cpu_seconds=cpu_seconds, label=label)
    names = read_all(lines, assume=checker.assumptions, cpu_seconds=checker.cpu_seconds)
    for number, line in enumerate(lines, start=1):
        checker.add(number, line)
    d = checker.derivation
    if names:
        d.unused_assumptions = sorted(n for n in checker.assumptions if n not in names)
    return d
