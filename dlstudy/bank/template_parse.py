"""Parsing one ``[[template]]`` table into a :class:`~dlstudy.bank.template.Template`: every field
checked, the problems returned ("file: id: field: message") instead of raised, so that one malformed
template never stops the others; then a check that its ``require`` constraints can be met.
"""

from __future__ import annotations

import re
import textwrap
from typing import Any

import numpy as np

from dlstudy.answers.expr_syntax import AnswerError, Parser
from dlstudy.answers.grade import (
    KINDS,
    defined_points,
)
from dlstudy.bank import derivation, generators, render
from dlstudy.bank.contract import (
    PARAM_NAME_RULE,
    bad_refs,
    is_param_name,
    parse_precision_field,
    shown_name,
)
from dlstudy.bank.template import (
    _PATH_REF,
    LETTERS,
    Misconception,
    Requirement,
    Template,
    TemplateError,
    seed_for,
)
from dlstudy.errors import DlstudyError, did_you_mean
from dlstudy.sections import check_section

#: The fields of a ``[[template]]`` table.
KEYS = (
    "id",
    "section",
    "difficulty",
    "kind",
    "title",
    "prompt",
    "hints",
    "precision",
    "size",
    "require",
    "params",
    "answer",
    "misconceptions",
    "options",
    "correct",
    "expression",
    "symbols",
    "explanation",
    "partial",
    "few_answers",
    "notation",
    "derivation",
    "domain",
)
_ID = re.compile(r"[a-z0-9][a-z0-9_\-]*(\.[a-z0-9][a-z0-9_\-]*)+\Z")
_REQUIRE = re.compile(r"(.+?)\s*(<=|>=|==|!=|<|>)\s*(.+)\Z")
_LEN = re.compile(r"len\(\s*([A-Za-z]\w*)\s*\)")
_LATEX = re.compile(
    r"\\(frac|sum|sigma|mathbb|mathcal|left|right|cdot|log|exp|partial|alpha|beta|gamma)\b"
)


# -- parsing a template table


def parse_template(raw: Any, file: str, index: int) -> tuple[Template | None, list[str]]:
    """A :class:`Template` from one ``[[template]]`` table and its problems ("id: field: message").

    The template is ``None`` when any problem was found."""
    if not isinstance(raw, dict):
        return None, [f"{file}: template #{index + 1}: expected a table"]
    tid = raw.get("id")
    label = tid if isinstance(tid, str) and tid else f"template #{index + 1}"
    problems: list[str] = []

    def bad(field_name: str, message: str) -> None:
        problems.append(f"{file}: {label}: {field_name}: {message}")

    for key in raw:
        if key == "tolerance":
            bad(key, 'replaced by precision = "exact" | { sig = N } | { dp = N } (see FORMAT.md)')
        elif key not in KEYS:
            bad(key, f"unknown field{did_you_mean(key, KEYS)}")
    if not isinstance(tid, str) or not _ID.match(tid):
        bad(
            "id",
            "expected <chapter>.<name> in lowercase letters, digits, '-' and '_' (e.g. cnn.rf-stack)",
        )
    section = raw.get("section")
    try:
        check_section(section if isinstance(section, str) else "")
    except DlstudyError as exc:
        bad("section", exc.message)
    difficulty = raw.get("difficulty", 1)
    if isinstance(difficulty, bool) or difficulty not in (1, 2, 3):
        bad("difficulty", f"expected 1, 2 or 3, got {difficulty!r}")
    kind = raw.get("kind")
    if kind not in KINDS:
        hint = did_you_mean(kind, KINDS) if isinstance(kind, str) else ""
        bad("kind", f"expected one of {', '.join(KINDS)}, got {kind!r}{hint}")
    prompt = raw.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        bad("prompt", "missing (the question text)")
        prompt = ""
    prompt = textwrap.dedent(prompt).strip("\n")
    title = raw.get("title", label)
    if not isinstance(title, str):
        bad("title", "expected a string")
        title = label

    params = raw.get("params", {})
    if not isinstance(params, dict):
        bad("params", "expected a table of generators")
        params = {}
    names: list[str] = []
    for name, spec in params.items():
        if not is_param_name(name):
            bad(f"params.{shown_name(name)}", PARAM_NAME_RULE)
            continue
        for p in generators.check(name, spec, names):
            problems.append(f"{file}: {label}: {p}")
        for key, value in spec.items() if isinstance(spec, dict) else ():
            for ref in bad_refs(value, tables=False):
                bad(f"params.{name}.{key}", ref)
        names.append(name)

    _check_placeholders(prompt, names, "prompt", bad)
    hints = raw.get("hints", [])
    if not (isinstance(hints, list) and all(isinstance(h, str) for h in hints)):
        bad("hints", "expected a list of strings")
        hints = []
    for i, h in enumerate(hints):
        _check_placeholders(h, names, f"hints[{i}]", bad)
    explanation = raw.get("explanation", "")
    if not isinstance(explanation, str):
        bad("explanation", "expected a string")
        explanation = ""
    _check_placeholders(explanation, names, "explanation", bad)

    precision = parse_precision_field(raw, kind, bad)
    size = raw.get("size", False)
    if not isinstance(size, bool):
        bad("size", "expected true or false")
        size = False
    elif size and kind != "integer":
        bad("size", f"only integer answers are square sizes (this one is {kind})")

    requirements = _parse_require(raw.get("require", []), names, params, bad)
    function, args, pick = _parse_answer(raw, kind, names, bad)
    options, correct = _parse_choice(raw, kind, function, bad)
    symbols, expression = _parse_expression_fields(raw, kind, names, bad)
    misconceptions = _parse_misconceptions(raw.get("misconceptions", []), kind, bad)
    derivation_lines, domain = derivation.parse_fields(raw, kind, names, symbols, bad)
    for m in misconceptions if kind == "expression" else ():  # filled like the prompt
        _check_placeholders(m.feedback or "", names, f"misconceptions.{m.name}.feedback", bad)
    partial = raw.get("partial", False)
    if not isinstance(partial, bool):
        bad("partial", "expected true or false")
        partial = False
    few_answers = raw.get("few_answers", "")
    if not isinstance(few_answers, str) or ("few_answers" in raw and not few_answers.strip()):
        bad("few_answers", 'expected the reason as a string, e.g. "a choice among 4 masks"')
        few_answers = ""
    notation = raw.get("notation", {})
    if not (
        isinstance(notation, dict)
        and all(isinstance(k, str) and re.fullmatch(r"[^\W\d_]\w*", k) for k in notation)
        and all(isinstance(v, str) and v.strip() for v in notation.values())
    ):
        bad("notation", 'expected a table of symbol renames, e.g. { p = "Q", q = "P" }')
        notation = {}

    if problems:
        return None, problems
    template = Template(
        id=tid,
        section=section,
        difficulty=difficulty,
        kind=kind,
        title=title,
        prompt=prompt,
        file=file,
        hints=hints,
        precision=precision,
        size=size,
        require=requirements,
        params=params,
        function=function,
        args=args,
        pick=pick,
        options=options,
        correct=correct,
        symbols=symbols,
        expression=expression,
        misconceptions=misconceptions,
        explanation=explanation,
        partial=partial,
        few_answers=few_answers,
        notation=notation,
        derivation=derivation_lines,
        domain=domain,
    )
    problems += _check_satisfiable(template)
    return (None, problems) if problems else (template, [])


def _check_placeholders(text: str, names: list[str], where: str, bad: Any) -> None:
    if not text:
        return
    m = _LATEX.search(text)
    if m:
        bad(where, f"LaTeX command '{m.group(0)}': write readable unicode (σ, Σ, ∂, x²) instead")
        return
    try:
        found = render.fields(text)
    except ValueError as exc:
        bad(where, str(exc))
        return
    for name, _ in found:
        if name not in names:
            bad(where, f"placeholder {{{name}}} is not a parameter{did_you_mean(name, names)}")


def _parse_require(
    raw: Any, names: list[str], params: dict[str, Any], bad: Any
) -> list[Requirement]:
    if not isinstance(raw, list) or not all(isinstance(r, str) for r in raw):
        bad("require", 'expected a list of comparisons like ["k <= n", "len(x) > 2"]')
        return []
    symbols = tuple(names) + tuple(f"len_{n}" for n in names)
    out = []
    for text in raw:
        m = _REQUIRE.match(text.strip())
        if not m:
            bad("require", f"'{text}': expected A op B with op one of < <= > >= == !=")
            continue
        try:
            left = Parser(_LEN.sub(r"len_\1", m.group(1)), symbols=symbols).parse_scalar()
            right = Parser(_LEN.sub(r"len_\1", m.group(3)), symbols=symbols).parse_scalar()
        except AnswerError as exc:
            bad("require", f"'{text}': {exc.message}")
            continue
        out.append(Requirement(text, left, m.group(2), right))
    return out


def _parse_answer(
    raw: dict[str, Any], kind: Any, names: list[str], bad: Any
) -> tuple[str | None, dict[str, Any], str]:
    answer = raw.get("answer")
    if answer is None:
        if kind in ("number", "integer", "vector", "matrix"):
            bad("answer", 'missing: a table with function = "..." and args = { ... }')
        if kind == "bool" and "correct" not in raw:
            bad("answer", "a bool template needs correct = true/false or an answer function")
        return None, {}, ""
    if not isinstance(answer, dict):
        bad("answer", "expected a table with function and args")
        return None, {}, ""
    for key in answer:
        if key not in ("function", "args", "pick"):
            bad(f"answer.{key}", f"unknown field{did_you_mean(key, ('function', 'args', 'pick'))}")
    function = answer.get("function")
    args = answer.get("args", {})
    pick = answer.get("pick", "")
    if not isinstance(pick, str):
        bad("answer.pick", 'expected a string path like "values.s0"')
        pick = ""
    for ref in _PATH_REF.findall(pick):
        if ref not in names:
            bad("answer.pick", f"'${ref}' is not a parameter{did_you_mean(ref, names)}")
    if not isinstance(args, dict):
        bad("answer.args", "expected a table of arguments")
        args = {}
    for key, value in args.items():
        problems = bad_refs(value)
        for problem in problems:
            bad(f"answer.args.{key}", problem)
        if problems:
            continue
        for ref in generators.refs_tree(value):
            if ref not in names:
                bad(f"answer.args.{key}", f"'${ref}' is not a parameter{did_you_mean(ref, names)}")
    if not isinstance(function, str):
        bad("answer.function", "missing: the name of a registered reference function")
        return None, args, pick
    from dlstudy.reference import registry

    try:
        ref = registry.get(function)
    except DlstudyError as exc:
        bad("answer.function", exc.message)
        return function, args, pick
    by_name = {p.cli_name: p for p in ref.params}
    for key in args:
        if key.rstrip("_") not in by_name:
            bad(
                f"answer.args.{key}",
                f"{function} has no parameter '{key}'{did_you_mean(key, by_name)}; parameters: {', '.join(by_name)}",
            )
    missing = [
        p.cli_name
        for p in ref.params
        if p.required and p.cli_name not in {k.rstrip("_") for k in args}
    ]
    if missing:
        bad("answer.args", f"{function} needs {', '.join(missing)}")
    return ref.name, args, pick


def _parse_choice(
    raw: dict[str, Any], kind: Any, function: str | None, bad: Any
) -> tuple[list[str], Any]:
    options = raw.get("options", [])
    correct = raw.get("correct")
    if kind == "choice":
        if not (
            isinstance(options, list)
            and len(options) >= 2
            and all(isinstance(o, str) and o.strip() for o in options)
        ):
            bad("options", 'a choice template needs options = ["...", "..."] (at least 2)')
            return [], None
        if len({o.strip().casefold() for o in options}) != len(options):
            bad("options", "two options are the same")
        if len(options) > len(LETTERS):
            bad("options", "too many options")
        if function is None:
            if (
                isinstance(correct, bool)
                or not isinstance(correct, int)
                or not 0 <= correct < len(options)
            ):
                bad("correct", f"expected the index of the right option, 0..{len(options) - 1}")
        return options, correct
    if kind == "bool" and function is None:
        if not isinstance(correct, bool):
            bad("correct", "expected true or false")
        return [], correct
    if "options" in raw:
        bad("options", f"only choice templates have options (this one is {kind})")
    if "correct" in raw:
        bad("correct", "only choice and bool templates have correct")
    return [], None


def _parse_expression_fields(
    raw: dict[str, Any], kind: Any, names: list[str], bad: Any
) -> tuple[tuple[str, ...], str | None]:
    symbols = raw.get("symbols", [])
    expression = raw.get("expression")
    if kind != "expression":
        if "expression" in raw:
            bad("expression", f"only expression templates have expression (this one is {kind})")
        return (), None
    if not (
        isinstance(symbols, list)
        and all(isinstance(s, str) and re.fullmatch(r"[^\W\d_]\w*", s) for s in symbols)
    ):
        bad("symbols", 'expected a list of variable names, e.g. ["x", "w"]')
        symbols = []
    if not isinstance(expression, str) or not expression.strip():
        bad(
            "expression",
            'missing: the answer in the answer language, e.g. "sigma(x)*(1 - sigma(x))"',
        )
        return tuple(symbols), None
    try:
        for name, _ in render.fields(expression):
            if name not in names:
                bad("expression", f"placeholder {{{name}}} is not a parameter")
        dummy = re.sub(r"\{[^{}]*\}", "(1)", expression)
        Parser(dummy, symbols=tuple(symbols)).parse_scalar()
    except (ValueError, AnswerError) as exc:
        bad("expression", str(exc))
    return tuple(symbols), expression


def _parse_misconceptions(raw: Any, kind: Any, bad: Any) -> list[Misconception]:
    if not isinstance(raw, list):
        bad("misconceptions", "expected [[template.misconceptions]] tables")
        return []
    out = []
    for i, m in enumerate(raw):
        if not isinstance(m, dict) or not isinstance(m.get("name"), str):
            bad(f"misconceptions[{i}]", 'expected a table with name = "..."')
            continue
        for key in m:
            if key not in ("name", "feedback", "expression"):
                bad(f"misconceptions[{i}].{key}", "unknown field")
        feedback = m.get("feedback")
        if feedback is not None and not isinstance(feedback, str):
            bad(f"misconceptions[{i}].feedback", "expected a string")
        expr = m.get("expression")
        if expr is not None and kind != "expression":
            bad(
                f"misconceptions[{i}].expression",
                "only expression templates give misconceptions as expressions",
            )
        if kind == "expression" and not isinstance(expr, str):
            bad(f"misconceptions[{i}].expression", "expected the wrong expression as a string")
        if kind == "expression" and not (isinstance(feedback, str) and feedback.strip()):
            # no reference function describes it: without feedback the student would see the name
            bad(
                f"misconceptions[{i}].feedback", "an expression misconception needs its description"
            )
        out.append(Misconception(m["name"], feedback, expr))
    return out


def _expression_defined(t: Template, values: dict[str, Any]) -> bool:
    try:
        node = t._parse_expression(t.expression or "", values, "expression")
    except TemplateError:
        return True  # reported when a question is built
    return defined_points(node, sorted(set(t.symbols)), domain=t.domain) >= 4


def _check_satisfiable(t: Template) -> list[str]:
    """Sample the parameters (not the answer) to catch impossible constraints and broken generators."""
    rng = np.random.default_rng(seed_for(t.id, -1))
    satisfied = False
    try:
        for _ in range(200):
            values = t.sample_params(rng)
            if t.satisfied(values):
                satisfied = True
                if t.kind != "expression" or _expression_defined(t, values):
                    return []
    except TemplateError as exc:
        return [exc.message]
    if satisfied:
        return [
            t.where(
                "expression: undefined at the test points for every sample of the parameters "
                "(e.g. a division by zero such as x/(a - a)); students could never be graded"
            )
        ]
    texts = "; ".join(r.text for r in t.require)
    return [t.where(f"require: no sample of the parameters satisfies [{texts}] in 200 tries")]
