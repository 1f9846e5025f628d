"""``dlstudy bank lint``: the author-side tests of every template.

For each template and each of N seeds: it instantiates without error; the answer is finite and free
of floating-point noise; every placeholder is filled; the worked solution renders and uses only
symbols the question gives or an earlier step defines; the grader accepts the true answer (typed as
text) and the answer rounded at the stated precision, and rejects a perturbed one; every wrong-method
answer lies outside the answer's tolerance (else a student making that mistake is graded right); a
misconception named in the template occurs for some seed (the build resamples seeds where it equals
the true answer); a precision in digits is not asked of answers that are integers for every seed.
Per template: the variants of seeds 0..59 are not trivial and not too few, the texts hold no control
characters, write "−" for a minus sign and state the index base where the prompt names an index, and
its id does not clash with a built-in one. Load problems (TOML errors, unknown functions, missing
fields, impossible constraints) are reported per file. The rules themselves are in
:mod:`dlstudy.bank.lint_rules`.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, field
from typing import Any

from dlstudy.answers.expr_syntax import AnswerError
from dlstudy.answers.precision import rounded
from dlstudy.bank import lint_rules
from dlstudy.bank.loader import Bank
from dlstudy.bank.template import LETTERS, Question, Template, input_text
from dlstudy.errors import DlstudyError

_LEFT_OVER = re.compile(r"\{[A-Za-z_]\w*(?:\[\d+\]|\.\w+)*\}")
MAX_PROBLEMS_PER_TEMPLATE = 3
SYMBOLIC_SEEDS = 2
#: Seeds whose worked solution is checked for symbols the question never gives.
SYMBOL_SEEDS = 20


@dataclass
class TemplateReport:
    id: str
    file: str
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class LintReport:
    seeds: int
    templates: list[TemplateReport] = field(default_factory=list)
    load_problems: list[str] = field(default_factory=list)
    files: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.load_problems and all(not t.problems for t in self.templates)

    @property
    def problems(self) -> list[str]:
        return self.load_problems + [p for t in self.templates for p in t.problems]

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "seeds": self.seeds,
            "templates": len(self.templates),
            "failed": sum(1 for t in self.templates if t.problems),
            "files": self.files,
            "problems": self.problems,
        }


def perturbed(q: Question) -> str:
    """A wrong answer near the true one, as text."""
    kind = q.kind
    e = q.expected
    if kind == "choice":
        return LETTERS[(e.answer + 1) % len(e.options)]
    if kind == "bool":
        return "no" if e.answer else "yes"
    if kind == "expression":
        return f"({q.answer_input}) + 1"
    return input_text(_perturb(e.answer, kind))


def _perturb(value: Any, kind: str) -> Any:
    if isinstance(value, list):
        return [_perturb(value[0], kind), *value[1:]]
    if isinstance(value, str):
        return value + "x"
    if kind == "integer" or isinstance(value, int):
        return int(value) + 1
    return float(value) + max(1.0, abs(float(value)) * 0.25)


def lint_template(t: Template, seeds: int) -> TemplateReport:
    report = TemplateReport(t.id, t.file)
    started = time.perf_counter()
    named = {m.name for m in t.misconceptions if not m.expression}
    seen: set[str] = set()

    seed_failed = False

    def problem(seed: int, message: str) -> bool:
        nonlocal seed_failed
        seed_failed = True
        text = f"{t.file}: {t.id}: seed {seed}: {message}"
        if text not in report.problems:
            report.problems.append(text)
        return len(report.problems) >= MAX_PROBLEMS_PER_TEMPLATE

    def static(message: str) -> None:
        text = f"{t.file}: {t.id}: {message}"
        if text not in report.problems:
            report.problems.append(text)

    for message in (
        lint_rules.control_problems(t)
        + lint_rules.notation_problems(t)
        + [lint_rules.index_base_problem(t)]
    ):
        if message:
            static(message)
    answers: list[Any] = []
    integers = True
    checking = True  # until MAX_PROBLEMS_PER_TEMPLATE problems; the variants are still sampled
    for seed in range(max(seeds, lint_rules.VARIANT_SEEDS)):
        if not checking and seed >= lint_rules.VARIANT_SEEDS:
            break
        checking = checking and seed < seeds
        try:
            q = t.instantiate(seed)
        except DlstudyError as exc:
            if checking and problem(seed, exc.message):
                checking = False
            continue
        except Exception as exc:  # a bug in a reference function or generator: report, go on
            if checking and problem(seed, f"instantiate raised {type(exc).__name__}: {exc}"):
                checking = False
            continue
        if seed < lint_rules.VARIANT_SEEDS:
            answers.append(q.answer)
        if not checking:
            continue
        seen |= {m.name for m in q.expected.mistakes}
        integers = integers and _integers(q.expected.answer)
        message = _check_question(q, symbolic=seed < SYMBOLIC_SEEDS)
        if not message and seed < SYMBOL_SEEDS:
            message = _check_symbols(q)
        if message and problem(seed, message):
            checking = False
            continue
        inside = t.mistakes_inside_tolerance(q)
        if inside and problem(seed, _inside_message(q, inside)):
            checking = False
    for message in lint_rules.variant_problems(t.kind, answers, t.few_answers):
        static(message)
    missing = named - seen
    if missing and not seed_failed and t.function is not None:
        report.problems.append(
            f"{t.file}: {t.id}: misconceptions: {', '.join(sorted(missing))} never returned by "
            f"{t.function} (or always equal to the answer) over {seeds} seeds"
        )
    precision = t.contract
    if integers and precision is not None and precision.kind != "exact" and not report.problems:
        report.problems.append(
            f"{t.file}: {t.id}: precision: the answer is an integer for every one of {seeds} seeds, "
            f'yet the prompt asks for {precision.words}: write precision = "exact"'
        )
    report.seconds = time.perf_counter() - started
    return report


def _integers(x: Any) -> bool:
    if isinstance(x, list):
        return all(_integers(v) for v in x)
    if isinstance(x, bool) or isinstance(x, str):
        return False
    return isinstance(x, (int, float)) and float(x).is_integer()


def _inside_message(q: Question, inside: list[tuple[str, Any]]) -> str:
    from dlstudy.bank.render import inline

    descriptions = {
        m.name: m.message for m in (q.solution.mistakes if q.solution is not None else [])
    }
    feedback = {m.name: m.feedback for m in q.template.misconceptions if m.feedback}
    parts = [
        f"'{feedback.get(name) or descriptions.get(name, name)}' gives {inline(value, 6)}"
        for name, value in inside
    ]
    said = q.precision.describe() if q.precision else ""
    return (
        f"wrong method inside the answer's tolerance ({said[:-1]}): {'; '.join(parts)}, answer "
        f"{inline(q.expected.answer, 6)}; a student making it is graded right"
    )


def rounded_input(q: Question) -> str | None:
    """The answer correctly rounded at the question's precision, as a student types it."""
    precision = q.precision
    if precision is None:
        return None

    def text(x: Any) -> str:
        if isinstance(x, list):
            return "[" + ", ".join(text(v) for v in x) + "]"
        return rounded(float(x), precision)

    return text(q.expected.answer)


def _finite(x: Any) -> bool:
    if isinstance(x, list):
        return all(_finite(v) for v in x)
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return math.isfinite(x)
    return True


def _check_symbols(q: Question) -> str:
    unknown = lint_rules.unknown_symbols(q)
    if unknown:
        return (
            f"worked solution: {', '.join(unknown[:4])} not given in the prompt or hints nor "
            "defined by an earlier step"
        )
    return ""


def _check_question(q: Question, symbolic: bool) -> str:
    try:
        if not _finite(q.expected.answer):
            return f"answer is not finite: {q.expected.answer!r}"
        noise = lint_rules.noise_problem(q.answer) if q.kind in lint_rules.NUMERIC_KINDS else ""
        if noise:
            return noise
        prompt = q.prompt
        left = _LEFT_OVER.search(prompt)
        if left:
            return f"prompt: placeholder {left.group(0)} not filled"
        if not prompt.strip():
            return "prompt is empty"
        q.hints  # noqa: B018 (renders every hint)
        q.solution_text()
        if q.template.derivation:
            from dlstudy.bank.derivation import problems

            wrong_line = problems(q)
            if wrong_line:
                return wrong_line
    except DlstudyError as exc:
        return f"rendering failed: {exc.message}"
    except Exception as exc:
        return f"rendering raised {type(exc).__name__}: {exc}"
    try:
        good = q.grade(q.answer_input, symbolic=symbolic)
    except AnswerError as exc:
        return f"the true answer {q.answer_input!r} is not readable: {exc.message}"
    except Exception as exc:
        return f"grading the true answer raised {type(exc).__name__}: {exc}"
    if not good.correct:
        return f"the true answer {q.answer_input!r} is graded wrong ({good.message})"
    near = rounded_input(q)
    if near is not None:
        try:
            if not q.grade(near, symbolic=False).correct:
                return f"the answer rounded as asked, {near!r}, is graded wrong"
        except AnswerError as exc:
            return f"the answer rounded as asked, {near!r}, is not accepted: {exc.message}"
    if q.kind == "expression":
        try:
            shown = q.grade(q.answer, symbolic=False)
        except AnswerError as exc:
            return f"the answer as shown {q.answer!r} is not readable: {exc.message}"
        if not shown.correct:
            return f"the answer as shown {q.answer!r} is graded wrong"
    wrong = perturbed(q)
    try:
        bad = q.grade(wrong, symbolic=False)
    except AnswerError as exc:
        return f"the perturbed answer {wrong!r} is not readable: {exc.message}"
    except Exception as exc:
        return f"grading a perturbed answer raised {type(exc).__name__}: {exc}"
    if bad.correct:
        return f"the perturbed answer {wrong!r} is accepted (tolerance too loose?)"
    return ""


#: Seeds per template ``bank lint`` tries at most (the default is 200).
MAX_SEEDS = 10_000


def lint_bank(bank: Bank, seeds: int = 200) -> LintReport:
    """Run every check; ``report.ok`` only when all pass."""
    if not 1 <= seeds <= MAX_SEEDS:  # 10**30 seeds would run until killed
        raise DlstudyError(f"--seeds must be from 1 to {MAX_SEEDS:,}, not {seeds}")
    report = LintReport(seeds, load_problems=list(bank.problems))
    builtin = _builtin_templates()
    for bf in bank.files:
        report.files[bf.path] = {"templates": len(bf.templates), "problems": len(bf.problems)}
        for t in bf.templates:
            tr = lint_template(t, seeds)
            other = builtin.get(t.id)
            if other is not None and other.file != t.file:  # not the built-in one itself
                tr.problems.insert(
                    0,
                    f"{t.file}: {t.id}: id: the built-in template in {other.file} has this id "
                    "(quiz and check would not know which one you mean): choose another one, "
                    "e.g. with your own prefix",
                )
            report.templates.append(tr)
            report.files[bf.path]["problems"] += len(tr.problems)
    return report


def _builtin_templates() -> dict[str, Any]:
    """The built-in templates by id (from the parse cache; only their ``file`` is used)."""
    from dlstudy.bank.loader import builtin_files, load_file

    out: dict[str, Template] = {}
    for path in builtin_files():
        for t in load_file(path).templates:
            out.setdefault(t.id, t)
    return out
