"""Templates (parsed and checked once) and the questions they instantiate.

A :class:`Template` is built from one ``[[template]]`` table by :func:`parse_template`, which returns
the problems it finds ("field: message") instead of raising, so that one malformed template never
stops the others. :meth:`Template.instantiate` samples the parameters from a generator seeded with
SHA-256 of ``f"{id}:{seed}"`` (never Python's ``hash()``), resamples when a ``require`` constraint
fails or the reference function rejects the sample, and returns a :class:`Question`.
"""

from __future__ import annotations

import hashlib
import math
import re
import textwrap
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from dlstudy.answers.expr import AnswerError, Node, Parser, evaluate, fold_constants, to_text
from dlstudy.answers.grade import (
    KINDS,
    Expected,
    ExprMistake,
    Grade,
    _has_words,
    defined_points,
    grade_answer,
    numerically_equal,
)
from dlstudy.answers.precision import (
    EXACT,
    Precision,
    default_precision,
)
from dlstudy.bank import derivation, generators, render
from dlstudy.bank.contract import (
    NUMERIC_KINDS,
    PARAM_NAME_RULE,
    bad_refs,
    inside_tolerance,
    is_param_name,
    mistakes_inside,
    parse_precision_field,
    same_value,
    shown_name,
)
from dlstudy.errors import DlstudyError, did_you_mean
from dlstudy.output import to_jsonable
from dlstudy.sections import check_section

MAX_TRIES = 100
LETTERS = "abcdefghijklmnopqrstuvwxyz"
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


class TemplateError(DlstudyError):
    """A template that cannot produce a question (reported with file, template id and field)."""


class Resample(Exception):
    """This sample of the parameters is unusable; draw another."""


def seed_for(template_id: str, seed: int) -> int:
    """The generator seed: SHA-256 of ``"{id}:{seed}"`` (stable on every machine)."""
    digest = hashlib.sha256(f"{template_id}:{seed}".encode()).digest()
    return int.from_bytes(digest[:16], "big")


@dataclass
class Misconception:
    name: str
    feedback: str | None = None
    expression: str | None = None


@dataclass
class Requirement:
    text: str
    left: Node
    op: str
    right: Node


@dataclass
class Template:
    """One question template (see ``question_bank/FORMAT.md``)."""

    id: str
    section: str
    difficulty: int
    kind: str
    title: str
    prompt: str
    file: str = ""
    hints: list[str] = field(default_factory=list)
    precision: Precision | None = None
    size: bool = False
    require: list[Requirement] = field(default_factory=list)
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    function: str | None = None
    args: dict[str, Any] = field(default_factory=dict)
    pick: str = ""
    options: list[str] = field(default_factory=list)
    correct: Any = None
    symbols: tuple[str, ...] = ()
    expression: str | None = None
    misconceptions: list[Misconception] = field(default_factory=list)
    explanation: str = ""
    partial: bool = False
    few_answers: str = ""
    notation: dict[str, str] = field(default_factory=dict)
    derivation: list[str] = field(default_factory=list)
    domain: dict[str, tuple[float, float]] = field(default_factory=dict)

    def where(self, what: str = "") -> str:
        return f"{self.file}: {self.id}" + (f": {what}" if what else "")

    @property
    def contract(self) -> Precision | None:
        """The precision of a numeric answer (the template's, else the bank default); ``None`` for
        choice, bool and expression questions."""
        if self.kind not in NUMERIC_KINDS:
            return None
        return self.precision or default_precision(self.kind)

    # -- sampling --------------------------------------------------------------------------------
    def sample_params(self, rng: np.random.Generator) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, spec in self.params.items():
            try:
                values[name] = generators.sample(name, spec, rng, values)
            except DlstudyError as exc:
                raise TemplateError(f"{self.where()}: {exc.message}") from None
            except Exception as exc:  # a generator given values it cannot use
                raise TemplateError(
                    self.where(f"params.{name}: {type(exc).__name__}: {exc}")
                ) from None
        return values

    def satisfied(self, values: dict[str, Any]) -> bool:
        env = _numeric_env(values)
        for req in self.require:
            try:
                a, b = evaluate(req.left, env), evaluate(req.right, env)
            except AnswerError as exc:
                raise TemplateError(self.where(f"require: '{req.text}': {exc.message}")) from None
            if not _compare(a, req.op, b):
                return False
        return True

    def instantiate(self, seed: int) -> Question:
        """The question for ``seed`` (the same on every machine)."""
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise DlstudyError(f"seed: expected an integer, got {seed!r}")
        rng = np.random.default_rng(seed_for(self.id, seed))
        last = "every sample violated the require constraints"
        for _ in range(MAX_TRIES):
            values = self.sample_params(rng)
            if not self.satisfied(values):
                continue
            try:
                return self._build(seed, values, rng)
            except Resample as exc:
                last = str(exc)
            except TemplateError:
                raise
            except DlstudyError as exc:
                last = f"{self.function}: {exc.message}"
            except Exception as exc:  # a bug in a reference function: report it, do not crash
                raise TemplateError(
                    self.where(f"answer: {self.function} raised {type(exc).__name__}: {exc}")
                ) from None
        raise TemplateError(self.where(f"no usable sample in {MAX_TRIES} tries ({last})"))

    def _build(self, seed: int, values: dict[str, Any], rng: np.random.Generator) -> Question:
        solution = None
        checkpoints: list[tuple[str, Any]] = []
        mistakes: list[Any] = []
        expression_node: Node | None = None
        answer: Any
        options: list[str] = []
        if self.kind == "expression":
            expression_node = self._parse_expression(self.expression or "", values, "expression")
            if defined_points(expression_node, sorted(set(self.symbols)), domain=self.domain) < 4:
                raise Resample("the answer expression is undefined at the test points")
            answer = None
            for m in self.misconceptions:
                if m.expression:
                    node = self._parse_expression(m.expression, values, f"misconceptions.{m.name}")
                    symbols = sorted(set(self.symbols))
                    if numerically_equal(node, expression_node, symbols, domain=self.domain):
                        raise Resample(f"misconception {m.name} equals the answer")
                    message = render.fill(m.feedback or m.name, values)
                    mistakes.append(ExprMistake(m.name, render.safe(message), node))
        elif self.function is not None:
            from dlstudy.reference import registry

            args = _call_values(generators.resolve_tree(self.args, values))
            solution = registry.call(self.function, args)
            path = _fill_path(self.pick, values)
            picked = self._pick(to_jsonable(solution.result), "answer.pick", path)
            answer = self._coerce(picked, "answer")
            mistakes = self._mistakes(solution, answer, path)
            if self.kind in NUMERIC_KINDS and solution.checkpoints:
                checkpoints = [
                    (label, _as_list(to_jsonable(v))) for label, v in solution.checkpoints
                ]
                # with a pick, stages are offered only when the last one is the picked answer
                # (δ¹ of [δ², δ¹]); otherwise they are stages of something else
                if self.pick and not same_value(checkpoints[-1][1], answer):
                    checkpoints = []
        else:
            answer = self.correct
        if self.kind == "choice":
            correct = answer
            if self.function is not None:
                correct = _option_index(self.options, answer)
                if correct is None:
                    raise TemplateError(
                        self.where(
                            f"answer: result {answer!r} is not one of the options {self.options}"
                        )
                    )
            order = [int(i) for i in rng.permutation(len(self.options))]
            options = [render.safe(self.options[i]) for i in order]
            answer = order.index(int(correct))
        expected = Expected(
            kind=self.kind,
            answer=answer,
            mistakes=mistakes,
            checkpoints=checkpoints,
            symbols=self.symbols,
            options=options,
            expression=expression_node,
            partial=self.partial,
            precision=self.contract,
            size=self.size,
            domain=self.domain,
        )
        question = Question(self, seed, values, expected, solution)
        try:
            question.prompt  # noqa: B018 (render now: a bad placeholder is the template's fault)
            question.hints  # noqa: B018
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise TemplateError(
                self.where(f"prompt: cannot fill a placeholder ({exc!r})")
            ) from None
        return question

    def _parse_expression(self, text: str, values: dict[str, Any], label: str) -> Node:
        try:
            filled = render.fill_expression(text, values)
            return Parser(filled, symbols=self.symbols).parse_scalar()
        except (AnswerError, ValueError, KeyError) as exc:
            raise TemplateError(self.where(f"{label}: {exc}")) from None

    def _pick(self, value: Any, label: str, path: str) -> Any:
        if not path:
            return value
        try:
            return pick_path(value, path)
        except (KeyError, IndexError, TypeError, ValueError):
            raise TemplateError(self.where(f"{label}: '{path}' is not in the result")) from None

    def _coerce(self, value: Any, label: str) -> Any:
        kind = self.kind
        value = _as_list(value) if kind in ("vector", "matrix") else value
        if kind == "number":
            if isinstance(value, list) and len(value) == 1:
                value = value[0]
            if not _is_num(value):
                raise TemplateError(
                    self.where(
                        f"{label}: expected a number from {self.function}, got {_kind_of(value)}"
                    )
                )
            if not math.isfinite(float(value)):
                raise Resample("the answer is not finite")
            return float(value) if not isinstance(value, int) else value
        if kind == "integer":
            if not _is_num(value) or not math.isfinite(float(value)):
                raise TemplateError(
                    self.where(
                        f"{label}: expected an integer from {self.function}, got {_kind_of(value)}"
                    )
                )
            if abs(float(value) - round(float(value))) > 1e-9:
                raise TemplateError(
                    self.where(f"{label}: {self.function} gave {value}, not an integer")
                )
            return round(float(value))
        if kind == "vector":
            if not (
                isinstance(value, list)
                and value
                and all(_is_num(v) or isinstance(v, str) for v in value)
            ):
                raise TemplateError(
                    self.where(
                        f"{label}: expected a vector from {self.function}, got {_kind_of(value)}"
                    )
                )
            if any(_is_num(v) and not math.isfinite(float(v)) for v in value):
                raise Resample("the answer is not finite")
            return value
        if kind == "matrix":
            if not render.is_matrix(value):
                raise TemplateError(
                    self.where(
                        f"{label}: expected a matrix from {self.function}, got {_kind_of(value)}"
                    )
                )
            if any(not math.isfinite(float(v)) for row in value for v in row):
                raise Resample("the answer is not finite")
            return value
        if kind == "bool":
            if isinstance(value, str) and value.lower() in ("true", "false"):
                return value.lower() == "true"
            if not isinstance(value, bool):
                raise TemplateError(
                    self.where(
                        f"{label}: expected true/false from {self.function}, got {_kind_of(value)}"
                    )
                )
            return value
        return value  # choice: matched against the options later

    def _mistakes(self, solution: Any, answer: Any, path: str) -> list[Any]:
        from dlstudy.reference.registry import Mistake

        feedback = {m.name: m.feedback for m in self.misconceptions}
        listed = set(feedback)
        precision = self.contract or EXACT
        out = []
        for m in solution.mistakes:
            try:
                value = self._pick(to_jsonable(m.value), "mistake", path)
                if self.kind in ("vector", "matrix"):
                    value = _as_list(value)
            except TemplateError:
                continue
            # within the answer's tolerance a wrong method cannot be told from the answer: a
            # student making it would be graded right, so draw another sample, unless the method
            # gives the very answer here (then it is no mistake on this sample; a listed one must
            # be distinguishable, so that resamples too)
            inside = inside_tolerance(precision, value, answer)
            if inside and (m.name in listed or not same_value(value, answer)):
                raise Resample(f"misconception {m.name} is within the answer's tolerance")
            if inside:
                continue
            out.append(Mistake(m.name, render.safe(feedback.get(m.name) or m.message), value))
        return out

    def mistakes_inside_tolerance(self, question: Question) -> list[tuple[str, Any]]:
        """The wrong-method answers of ``question`` that differ from its answer yet lie within its
        tolerance (see :func:`dlstudy.bank.contract.mistakes_inside`); ``bank lint`` reports them."""
        if question.solution is None or self.kind not in NUMERIC_KINDS:
            return []
        picked = []
        for m in question.solution.mistakes:
            try:
                value = self._pick(
                    to_jsonable(m.value), "mistake", _fill_path(self.pick, question.values)
                )
            except TemplateError:
                continue
            picked.append((m.name, _as_list(value) if self.kind in ("vector", "matrix") else value))
        return mistakes_inside(self.contract or EXACT, picked, question.expected.answer)


_PATH_REF = re.compile(r"\$([A-Za-z_]\w*)")


def _fill_path(path: str, values: dict[str, Any]) -> str:
    """``"values.$state"`` → ``"values.s2"``: ``$name`` in a pick path is a parameter's value."""
    return _PATH_REF.sub(lambda m: str(values[m.group(1)]), path) if "$" in path else path


def pick_path(value: Any, path: str) -> Any:
    """``"values.s0"``, ``"h"``, ``"0"``, ``"[1]"``, ``"values[2]"``: a key or index path."""
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        key = part.strip("[]")
        if isinstance(value, dict):
            if key not in value:
                raise KeyError(key)
            value = value[key]
        elif isinstance(value, list):
            value = value[int(key)]
        else:
            raise TypeError(part)
    return value


def _as_list(value: Any) -> Any:
    """A dict of numbers (state → value) becomes the list of its values, in order."""
    if (
        isinstance(value, dict)
        and value
        and all(_is_num(v) or isinstance(v, str) for v in value.values())
    ):
        return list(value.values())
    return value


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _kind_of(v: Any) -> str:
    if isinstance(v, dict):
        return f"an object with keys {', '.join(map(str, v))}"
    if isinstance(v, list):
        return f"a list of {len(v)}"
    return repr(v)


def _option_index(options: list[str], value: Any) -> int | None:
    for i, option in enumerate(options):
        if str(option).strip().casefold() == str(value).strip().casefold():
            return i
    return None


def _numeric_env(values: dict[str, Any]) -> dict[str, Any]:
    env: dict[str, Any] = {}
    for k, v in values.items():
        if isinstance(v, bool):
            env[k] = Fraction(int(v))
        elif isinstance(v, (int, Fraction)):
            env[k] = Fraction(v)
        elif isinstance(v, float):
            env[k] = v
        if isinstance(v, (list, str, dict)):
            env[f"len_{k}"] = Fraction(len(v))
    return env


def _compare(a: Any, op: str, b: Any) -> bool:
    return {
        "<": a < b,
        "<=": a <= b,
        ">": a > b,
        ">=": a >= b,
        "==": a == b,
        "!=": a != b,
    }[op]


def _call_values(x: Any) -> Any:
    """Fractions → floats for the reference functions (recursively)."""
    if isinstance(x, Fraction):
        return float(x)
    if isinstance(x, list):
        return [_call_values(v) for v in x]
    if isinstance(x, dict):
        return {k: _call_values(v) for k, v in x.items()}
    return x


# -- questions -----------------------------------------------------------------------------------


@dataclass
class Question:
    """One instantiated question. ``answer`` is plain JSON; ``grade(text)`` raises
    :class:`~dlstudy.answers.AnswerError` for input that cannot be read."""

    template: Template
    seed: int
    values: dict[str, Any]
    expected: Expected
    solution: Any = None
    _prompt: str | None = field(default=None, repr=False)

    @property
    def ref(self) -> str:
        return f"{self.template.id}:{self.seed}"

    @property
    def kind(self) -> str:
        return self.template.kind

    @property
    def params(self) -> dict[str, Any]:
        return to_jsonable(self.values)

    @property
    def options(self) -> list[str]:
        return list(self.expected.options)

    @property
    def precision(self) -> Precision | None:
        """The precision of a numeric answer; ``None`` for other kinds and for words."""
        if self.template.contract is None or _has_words(self.expected.answer):
            return None
        return self.expected.precision or self.template.contract

    @property
    def prompt(self) -> str:
        """The question text, ending with the precision asked (stated by the renderer)."""
        if self._prompt is None:
            precision = self.precision
            # an exact answer needs no sentence (a rounded decimal is asked again, with the why)
            said = precision.describe() if precision and precision.kind != "exact" else ""
            self._prompt = render.with_precision(
                render.fill(self.template.prompt, self.values), said
            )
        return self._prompt

    @property
    def hints(self) -> list[str]:
        return [render.fill(h, self.values) for h in self.template.hints]

    @property
    def answer(self) -> Any:
        """Plain JSON: a number, (nested) list, bool, an option letter, or an expression string."""
        e = self.expected
        if self.kind == "choice":
            return LETTERS[e.answer]
        if self.kind == "expression":
            assert e.expression is not None
            return to_text(fold_constants(e.expression))  # unicode the answer parser reads back
        return to_jsonable(e.answer)

    @property
    def answer_text(self) -> str:
        """How the correct answer is shown to the student."""
        e = self.expected
        if self.kind == "choice":
            return f"{LETTERS[e.answer]}) {e.options[e.answer]}"
        if self.kind == "bool":
            return "yes (true)" if e.answer else "no (false)"
        if self.kind == "expression":
            assert e.expression is not None
            return to_text(fold_constants(e.expression))
        if render.is_matrix(e.answer):
            return "\n" + render.grid(e.answer, digits=6)
        return render.inline(e.answer, digits=6)

    @property
    def answer_input(self) -> str:
        """The correct answer as text the answer parser accepts (used by ``bank lint``)."""
        e = self.expected
        if self.kind == "choice":
            return LETTERS[e.answer]
        if self.kind == "bool":
            return "yes" if e.answer else "no"
        if self.kind == "expression":
            return render.fill_expression(self.template.expression or "", self.values)
        return input_text(e.answer)

    def grade(self, text: str, *, symbolic: bool = True) -> Grade:
        """Read and grade ``text`` (see :func:`dlstudy.answers.grade_answer`)."""
        return grade_answer(self.expected, text, symbolic=symbolic)

    def solution_text(self) -> str:
        """The worked solution (:func:`dlstudy.bank.solution.solution_text`): the steps towards what
        is asked, in the prompt's notation, and the answer once at the end."""
        return render.solution_text(self)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.template.id,
            "seed": self.seed,
            "ref": self.ref,
            "section": self.template.section,
            "difficulty": self.template.difficulty,
            "answer_kind": self.kind,
            "title": self.template.title,
            "prompt": self.prompt,
            "params": self.params,
            "answer": self.answer,
            "answer_text": self.answer_text.strip("\n"),
            "hints": self.hints,
            "solution": self.solution_text(),
        }
        if self.options:
            out["options"] = self.options
        if self.template.derivation:  # lines `dlstudy derive -` reads back
            out["derivation"] = derivation.claim_lines(self.template.derivation, self.values)
        if self.precision is not None:
            out["precision"] = self.precision.to_json()
        return out


def input_text(value: Any) -> str:
    """``value`` (plain JSON) as text the answer parser reads back: ``[1, 2.5]``, ``true``."""
    if isinstance(value, list):
        return "[" + ", ".join(input_text(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    return str(value)


# -- parsing a template table ----------------------------------------------------------------------


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
