"""The quality rules of ``dlstudy bank lint`` beyond "it instantiates and grades":

* **variants**: over seeds 0..59 at most 15 % of the answers are trivial (0, or all zeros) and a
  numeric template has at least 10 distinct answers, unless it declares why it cannot
  (``few_answers = "a choice among 4 masks"``);
* **no floating-point noise** in an answer (``4.9e−32`` where the answer is 0);
* **the index base is stated** in a prompt that names an index (``arm {a}``, ``box 0``);
* **the worked solution uses only symbols the question gives** (in the prompt or the hints) or that an
  earlier step defines;
* **no control characters or terminal escape sequences** in any text of a template;
* **a minus sign is written "−"** (and ``≥ ≤``) in the texts a student reads.

Each rule returns messages; :mod:`dlstudy.bank.lint` attaches them to the template's report.
"""

from __future__ import annotations

import json
import re
from typing import Any

from dlstudy.bank import render, solution

#: The seeds the variant rules look at, and their limits.
VARIANT_SEEDS = 60
MAX_TRIVIAL_SHARE = 0.15
MIN_DISTINCT_ANSWERS = 10
NUMERIC_KINDS = ("number", "integer", "vector", "matrix")


# -- variants ---------------------------------------------------------------------------------------


def is_trivial(answer: Any) -> bool:
    """An answer of 0 (or a vector/matrix of zeros): guessable without working."""
    if isinstance(answer, list):
        return bool(answer) and all(is_trivial(v) for v in answer)
    return isinstance(answer, (int, float)) and not isinstance(answer, bool) and answer == 0


def answer_key(answer: Any) -> str:
    """Answers that a student could not tell apart (to 6 significant digits) share a key."""
    return json.dumps(solution.exact(_round(answer)), default=str)


def _round(x: Any) -> Any:
    if isinstance(x, list):
        return [_round(v) for v in x]
    if isinstance(x, float):
        return float(f"{x:.6g}")
    return x


def variant_problems(kind: str, answers: list[Any], few_answers: str = "") -> list[str]:
    """The variant rules over the answers of seeds 0..59 (fewer seeds: no verdict)."""
    if kind not in NUMERIC_KINDS or len(answers) < VARIANT_SEEDS:
        return []
    answers = answers[:VARIANT_SEEDS]
    out = []
    trivial = sum(is_trivial(a) for a in answers)
    if trivial > MAX_TRIVIAL_SHARE * len(answers):
        out.append(
            f"variants: {trivial} of the first {len(answers)} seeds have the answer 0 "
            f"(at most {MAX_TRIVIAL_SHARE:.0%}): constrain the parameters (require = [...])"
        )
    distinct = len({answer_key(a) for a in answers})
    if distinct < MIN_DISTINCT_ANSWERS and not few_answers:
        out.append(
            f"variants: only {distinct} distinct answers in the first {len(answers)} seeds (at "
            f"least {MIN_DISTINCT_ANSWERS}): widen the parameters, or say why in few_answers = "
            '"..."'
        )
    return out


def noise_problem(answer: Any) -> str:
    """An entry that is floating-point noise: non-zero but below 1e-9 of the largest entry."""
    flat = [v for v in _numbers(answer)]
    if not flat:
        return ""
    scale = max(1.0, max(abs(v) for v in flat))
    noise = [v for v in flat if v != 0 and abs(v) < 1e-9 * scale]
    if noise:
        return (
            f"answer holds floating-point noise ({noise[0]:.3g} where the exact value is 0): "
            "return an exact 0 from the reference function"
        )
    return ""


def _numbers(x: Any) -> list[float]:
    if isinstance(x, list):
        return [v for item in x for v in _numbers(item)]
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return [float(x)]
    return []


# -- texts ------------------------------------------------------------------------------------------


def template_texts(t: Any) -> list[tuple[str, str]]:
    """Every text of a template a student can see, or that names it: (field, text)."""
    out = [("id", t.id), ("title", t.title), ("prompt", t.prompt)]
    out += [(f"hints[{i}]", h) for i, h in enumerate(t.hints)]
    out += [(f"options[{i}]", o) for i, o in enumerate(t.options)]
    if t.explanation:
        out.append(("explanation", t.explanation))
    if t.expression:
        out.append(("expression", t.expression))
    out += [(f"derivation[{i}]", line) for i, line in enumerate(t.derivation)]
    for m in t.misconceptions:
        if m.feedback:
            out.append((f"misconceptions.{m.name}.feedback", m.feedback))
    for name, spec in t.params.items():
        for value in _strings(spec):
            out.append((f"params.{name}", value))
    return out


def _strings(x: Any) -> list[str]:
    if isinstance(x, str):
        return [x]
    if isinstance(x, dict):
        return [s for v in x.values() for s in _strings(v)]
    if isinstance(x, list):
        return [s for v in x for s in _strings(v)]
    return []


def control_problems(t: Any) -> list[str]:
    """Control characters or escape sequences in any text of the template."""
    out = []
    for where, text in template_texts(t):
        bad = render.unsafe_characters(text)
        if bad:
            out.append(
                f"{where}: control character {bad[0]} (terminal escape sequences and control "
                "characters are not allowed in a template)"
            )
    return out


_PROSE_FIELDS = ("title", "prompt", "hints", "options", "explanation", "misconceptions")


def notation_problems(t: Any) -> list[str]:
    """A minus sign written ``-`` or ``>=``/``<=`` in a text the student reads."""
    out = []
    for where, text in template_texts(t):
        if not where.startswith(_PROSE_FIELDS):
            continue
        bare = re.sub(r"\{[^{}]*\}", "0", text)  # a placeholder stands for a value
        found = render.ascii_minus(bare)
        if found:
            out.append(f"{where}: write a minus sign as '−', not '-' (near '{found[0].strip()}')")
        for ascii_op, sign in ((">=", "≥"), ("<=", "≤"), ("!=", "≠")):
            if ascii_op in bare:
                out.append(f"{where}: write '{sign}', not '{ascii_op}'")
    return out


#: A noun naming an index followed by a number or a placeholder: "arm {a}", "box 0", "row 2".
_INDEX_USE = re.compile(
    r"\b(arms?|actions?|states?|boxe?s?|rows?|columns?|positions?|entry|entries|elements?|"
    r"index|indices|points?|samples?|transitions?|outputs?|inputs?|steps?|units?)"
    r"\s+(\{[^{}]+\}|\d+\b)(?!\s*[×x]\s*\d)",
    re.IGNORECASE,
)
#: Ways a prompt states the index base.
_BASE_STATED = re.compile(
    r"numbered from [01]|counted from [01]|from 0|0-based|1-based|zero-based|start(s|ing)? at [01]"
    r"|index(es|ices)? (start|from)|\b0, 1\b|\b0 to \d|\b0\.\.|\b0, …|\b0 = the first",
    re.IGNORECASE,
)


def index_base_problem(t: Any) -> str:
    """A prompt that refers to an index ("arm {a}") without saying where counting starts."""
    m = _INDEX_USE.search(t.prompt)
    if m and not _BASE_STATED.search(t.prompt):
        return (
            f"prompt: '{m.group(0)}' names an index but the prompt does not say where counting "
            "starts (e.g. 'arms are numbered from 0')"
        )
    return ""


# -- symbols of the worked solution -----------------------------------------------------------------

_SUB_SUP = solution.SUB_SUP
_SYMBOL = solution.SYMBOL
#: Symbols every solution may use: Euler's e, generic indices, the identity matrix, the sigmoid,
#: sums and products, the expectation and the normal distribution.
ALWAYS_KNOWN = frozenset({"e", "i", "j", "I", "σ", "Σ", "Π", "E", "N"})
#: English one-letter words, and quoted phrases (the notes' '1 − log D').
_WORDS = re.compile(r"\b(a|A|I)\s+[a-z]{2,}")
_QUOTED = re.compile(r"(?<![\w)])'[^'\n]+'(?![\w(])")
#: Σ_k, max_a', argmax_a, min_i: the subscript is a bound variable.
_BOUND = re.compile(r"(?:Σ|Π|max|min|argmax|argmin|E)_\(?([A-Za-zα-ω]['′]?)")
#: A label whose left side is a function of known arguments: ``q(s0, a)``, ``D*(x0)``.
_FUNCTION_LHS = re.compile(r"(?:^|\s)([A-Za-zα-ω][\w*]*)\((?=[^()]*\)\s*$)")
#: Gridworld states r<row>c<col> are named by the layout, not one by one.
_GRID_STATE = re.compile(r"r\d+c\d+\Z")


def symbols(text: str) -> list[tuple[str, str]]:
    """The symbols of ``text`` as (name, modifier): ``z¹`` → ("z", "¹"), ``x1`` → ("x1", "")."""
    text = _WORDS.sub(" ", _QUOTED.sub(" ", text))
    return [(m.group(1), m.group(2)) for m in _SYMBOL.finditer(text)]


def _known_forms(text: str) -> tuple[set[str], set[str]]:
    """(exact symbols, names seen with some sub/superscript) of ``text``."""
    exact, indexed = set(), set()
    for name, mod in symbols(text):
        exact.add(name + mod)
        exact.add(name)
        if mod:
            indexed.add(name)
        if re.fullmatch(r"_[A-Za-z]", mod):  # the index of h_t or ∂h_k is a symbol too
            exact.add(mod[1])
    exact |= set(_BOUND.findall(text))
    return exact, indexed


def unknown_symbols(question: Any) -> list[str]:
    """Symbols of the worked solution that neither the question (prompt, hints, options) gives nor
    an earlier step defines. A step defines the one symbol of its label's left side: ``mixture m =
    (p + q)/2`` defines m, ``y[0,1]`` defines y."""
    sol = question.solution
    if sol is None:
        return []
    seen = "\n".join([question.prompt, *question.hints, *question.options])
    exact, indexed = _known_forms(seen)
    exact |= ALWAYS_KNOWN
    grid_states = "r<row>c<col>" in seen
    unknown: list[str] = []
    steps = solution.relevant_steps(sol.steps, question.template.pick)
    names = question.template.notation
    for step in steps:
        label = solution.rename(render.notation(step.label), names)
        lhs, _, rhs = label.partition(" = ")
        defined = {n + m for n, m in symbols(lhs)}
        function = _FUNCTION_LHS.search(lhs)  # q(s0, a) = … defines q; its arguments must be known
        if function and len(defined) > 1:
            exact.add(function.group(1))
            lhs = lhs[function.end() - 1 :]
        elif len(defined) == 1:
            name = next(iter(defined))
            exact.add(name)
            exact.add(re.sub(rf"[{_SUB_SUP}]+$|[_^].*$", "", name))
            lhs = ""
        for text in (lhs, rhs, solution.rename(render.notation(step.detail or ""), names)):
            bound = set(_BOUND.findall(text))
            for name, mod in symbols(text):
                name = name if name.rstrip("'′") not in exact else name.rstrip("'′")  # σ' after σ
                if name + mod in exact or (not mod and (name in exact or name in bound)):
                    continue
                if mod and name in (exact | indexed):  # V_1 after V_k, h_2 after h_t
                    continue
                if grid_states and _GRID_STATE.match(name):
                    continue
                if name + mod not in unknown:
                    unknown.append(name + mod)
    return unknown
