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
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from dlstudy.answers.expr import evaluate, fold_constants, to_text
from dlstudy.answers.expr_syntax import AnswerError, Node, Parser
from dlstudy.answers.grade import (
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
    inside_tolerance,
    mistakes_inside,
    same_value,
)
from dlstudy.errors import DlstudyError
from dlstudy.output import to_jsonable

MAX_TRIES = 100
LETTERS = "abcdefghijklmnopqrstuvwxyz"


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


def parse_template(raw: Any, file: str, index: int) -> tuple[Template | None, list[str]]:
    """One ``[[template]]`` table → (the template or ``None``, its problems): see
    :func:`dlstudy.bank.template_parse.parse_template` (imported when a file is parsed, not when
    templates come from the cache)."""
    from dlstudy.bank.template_parse import parse_template as parse

    return parse(raw, file, index)
