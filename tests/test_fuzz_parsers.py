"""Hardening: every parser of user input, fed generated and hostile text, either returns or raises
the project's own error (a :class:`~dlstudy.errors.DlstudyError` subclass) with a message, within
2 seconds of CPU time (SIGPROF). Nothing is ever evaluated by Python: the hostile strings below are rejected.

Parsers: layer specs and ``--answer`` of rf/params (``dlstudy.arch``), typed answers of every kind
(``dlstudy.answers``), ``solve`` values (``dlstudy.values``), claims of ``verify --claim``
(``dlstudy.symbolic.parser``), question templates (TOML files through the bank loader, then
instantiated and graded), and MDP objects and files (``dlstudy.reference.mdp``).

The default run tries a modest number of examples per parser (whole file well under a minute);
``pytest -m fuzz tests/test_fuzz_parsers.py`` runs the same properties with example counts that add
up to more than 100,000 and prints the total on stderr.
"""

from __future__ import annotations

import itertools
import json
import math
import signal
import time
import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlstudy.answers import Expected, Parser, grade_answer
from dlstudy.arch.check import check_answer, parse_answer
from dlstudy.arch.engine import analyze
from dlstudy.arch.parser import parse as parse_spec
from dlstudy.bank.loader import load_file
from dlstudy.errors import DlstudyError
from dlstudy.reference.mdp import load_mdp
from dlstudy.reference.registry import Mistake, as_float, call
from dlstudy.values import parse_assignment, parse_value, read_file_value

ROOT = Path(__file__).resolve().parents[1]
SECONDS = 2.0

# -- the guard ------------------------------------------------------------------------------------


class _Timeout(BaseException):
    """Raised by SIGPROF; a BaseException so that no ``except Exception`` in the code swallows it."""


@contextmanager
def deadline(what: str, seconds: float = SECONDS) -> Iterator[None]:
    """Fail when the block uses more than ``seconds`` of CPU time (ITIMER_PROF): a bound on the
    work, hundreds of times what a parser call takes, that load on the machine does not reach."""

    def _raise(signum: int, frame: Any) -> None:
        raise _Timeout

    old = signal.signal(signal.SIGPROF, _raise)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    except _Timeout:
        pytest.fail(f"{what} used more than {seconds} s of CPU time")
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, old)


EXAMPLES = {"count": 0, "started": time.perf_counter()}


def outcome(fn: Callable[[Any], Any], arg: Any, what: str) -> tuple[bool, Any]:
    """``(True, result)`` or ``(False, DlstudyError)``; anything else fails the test (it propagates,
    so hypothesis shrinks it and shows the traceback)."""
    EXAMPLES["count"] += 1
    with deadline(f"{what}({_short(arg)})"):
        try:
            return True, fn(arg)
        except DlstudyError as exc:
            assert isinstance(exc.message, str) and exc.message.strip(), (
                "an error without a message"
            )
            return False, exc


def _short(arg: Any, n: int = 120) -> str:
    text = repr(arg)
    return text if len(text) <= n else f"{text[:n]}… ({len(text)} chars)"


@pytest.fixture(scope="module", autouse=True)
def _sympy_loaded() -> None:
    """sympy imported before the first claim: its import is not the parse's CPU time."""
    from dlstudy.symbolic.equivalence import check_claim

    check_claim("x == x")


@pytest.fixture(scope="module", autouse=True)
def _report_count(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    seconds = time.perf_counter() - EXAMPLES["started"]
    line = f"test_fuzz_parsers: {EXAMPLES['count']:,} parser calls in {seconds:.1f} s "
    plugins = request.config.pluginmanager
    reporter = plugins.get_plugin("terminalreporter")
    capture = plugins.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line("\n" + line)


# -- the parsers under test -----------------------------------------------------------------------

NODES = parse_spec("input(c=3,h=32,w=32), conv(c=8,k=3,p=1), relu, maxpool(k=2), flatten, fc(n=10)")
SYMBOLS = ("x", "a")
EXPECTED: dict[str, Expected] = {
    "number": Expected(
        "number", 0.6931471805599453, mistakes=[Mistake("log2", "bits, not nats", 1.0)]
    ),
    "integer": Expected("integer", 34944, mistakes=[Mistake("no-bias", "bias", 34848)]),
    "vector": Expected(
        "vector", [1, 2, 3], checkpoints=[("first", [1, 1, 1]), ("second", [1, 2, 2])]
    ),
    "matrix": Expected("matrix", [[1.5, -2], [0, 4]], partial=True),
    "expression": Expected(
        "expression",
        None,
        symbols=SYMBOLS,
        expression=Parser("x^2 + a x", symbols=SYMBOLS).parse_scalar(),
    ),
    "choice": Expected("choice", 1, options=["ReLU", "sigmoid", "tanh"]),
    "bool": Expected("bool", True),
    "words": Expected("vector", ["left", "up", "up"]),
}


def _grader(kind: str) -> Callable[[str], Any]:
    def grade(text: str) -> Any:
        g = grade_answer(EXPECTED[kind], text, symbolic=False)
        json.dumps(g.to_json())
        return (g.correct, g.mistake)

    return grade


def _arch_spec(text: str) -> Any:
    a = analyze(text)
    json.dumps(a.to_json(), default=str)
    return (a.receptive_field, a.total_params)


def _arch_answer(text: str) -> Any:
    return check_answer(NODES, "params", text).correct


def _solve_value(text: str) -> Any:
    return parse_value(text, allow_file=False)


#: CPU seconds of the child that reads (and decides) a claim: hostile claims (sympy numbers such
#: as sin(exp(exp(20))) inside Abs, relu or sign) end there, and ``deadline`` bounds the parent.
CLAIM_SECONDS = 0.5


def _in_child(fn: Callable[[], Any]) -> Any:
    """``fn()`` in the CPU-limited child of :mod:`dlstudy.symbolic.sandbox` (a DlstudyError comes
    back as itself); a parse that reaches the child's limit fails the test."""
    from dlstudy.symbolic import sandbox

    result = sandbox.run_limited(fn, CLAIM_SECONDS)
    assert result.status == sandbox.OK, f"the parse itself ran out: {result.error}"
    return result.value


def _claim(text: str) -> Any:
    """A claim decided the way ``dlstudy verify --claim`` does: read and decided in the limited
    child (:func:`check_claim`), never parsed in this process (the work that once ran past 120 s
    outside the limit was sympy evaluating numbers while the claim was read)."""
    from dlstudy.symbolic.equivalence import check_claim

    verdict = check_claim(text, cpu_seconds=CLAIM_SECONDS)
    assert verdict.status in ("equivalent", "not-equivalent", "undetermined"), verdict
    return verdict


def _plain_claim(text: str) -> bool:
    """Whether a claim reads as plain symbols (:func:`_plain_symbolic`), decided in the limited
    child: only the answer comes back, never the expressions (unpickling Abs(sin(exp(exp(20))))
    in this process would evaluate it again, outside every limit)."""
    from dlstudy.symbolic.parser import parse_claim

    return _in_child(lambda: _plain_symbolic(parse_claim(text)))


def _expression(text: str) -> bool:
    """An expression read in the limited child; whether it reads as plain symbols."""
    from dlstudy.symbolic.parser import parse_expression

    return _in_child(lambda: _plain_symbolic(parse_expression(text)))


TEXT_TARGETS: dict[str, Callable[[str], Any]] = {
    "arch.spec": _arch_spec,
    "arch.answer": _arch_answer,
    **{f"answers.{kind}": _grader(kind) for kind in EXPECTED},
    "values.parse_value": _solve_value,
    "values.assignment": parse_assignment,
    "symbolic.claim": _claim,
    "symbolic.expression": _expression,
}

# -- generated text -------------------------------------------------------------------------------

HOSTILE: list[str] = [
    "__import__('os')",
    "__import__('os').system('true')",
    "().__class__",
    "().__class__.__bases__[0].__subclasses__()",
    "lambda: 0",
    "(lambda: 0)()",
    "9**9**9**9",
    "9^9^9^9",
    "[" * 10_000 + "]" * 10_000,
    "(" * 10_000 + "1" + ")" * 10_000,
    "{" * 10_000,
    "@" + "x" * 5000,  # a file name too long for the file system
    "1\x002",
    "\x00",
    "1" * 1_000_000,
    "1 " * 500_000,
    "1" + "0" * 5000,  # past the 4,300 digits Python converts to int
    "[" + "1" * 4400 + "]",
    "1" * 4400 + "*conv(k=3)",
    "conv(c=1" + "0" * 5000 + ",k=3)",
    "1000*[residual(1000*[conv(k=1)])]",  # nested repeats: a million layers
    "9000*[9000*[conv(k=1)]]",
    "Abs(sin(exp(exp(20)))) == 0",  # sympy numbers that cost minutes to evaluate
    "relu(sin(exp(exp(20)))) == 0",
    "sign(cos(exp(exp(20)))) == 1",
    "x**exp(exp(exp(exp(10)))) == 1",
    "nan",
    "NaN",
    "inf",
    "-inf",
    "Infinity",
    "1e999",
    "-1e999",
    "１２",
    "−3",
    "𝟑",
    "٣",
    "а",
    "2а",
]
#: The hostile strings short enough to splice into generated text (no megabyte ones).
SHORT_HOSTILE = [h for h in HOSTILE if len(h) <= 20_000]
#: Unicode look-alikes: either rejected with a message or read exactly as the ASCII text.
LOOKALIKES = {"１２": "12", "−3": "-3", "𝟑": "3", "٣": "3"}
NON_FINITE = {"nan", "NaN", "inf", "-inf", "Infinity", "1e999", "-1e999"}

TOKENS: dict[str, list[str]] = {
    "arch": [
        *("input(", "conv(", "convT(", "maxpool(", "avgpool(", "adaptiveavgpool(", "fc("),
        *("rnn(", "lstm(", "gru(", "residual(", "concat(", "bn", "relu", "flatten", "dropout"),
        *("c=", "h=", "w=", "k=", "s=", "p=", "d=", "op=", "t=", "f=", "n=", "groups=", "bias="),
        *("ceil=", "true", "false", "0", "1", "2", "3", "7", "64", "224", "-1", "10**9", "3x5"),
        *("99999999999999999999", "1.5", "x", ",", ";", "\n", "|", ")", "(", "*", "[", "]"),
        *(" ", "#", "nan", "inf", "=", "resnet50", "vgg16"),
        *("1000*[", "9000*", "20000*", "residual(1000*[", "]", "1" * 4301, "9" * 19),
    ],
    "answer": [
        *"0123456789",
        *(".", "e", "E", "+", "-", "*", "/", "^", "**", "(", ")", "[", "]", ",", ";", " ", "\n"),
        *("log", "ln", "exp", "sqrt", "sigma", "tanh", "relu", "abs", "floor", "pi", "π", "x"),
        *("a", "y", "−", "×", "·", "²", "1/2", "0.5", "1e308", "9^9", "yes", "no", "b)", "(c)"),
        *("left", "up", "A", "_", "x", "7x5", "1_000"),
    ],
    "value": [
        *"0123456789",
        *("/", ".", "e", "-", "+", " ", ";", "\n", ",", "[", "]", "{", "}", '"', ":", "true"),
        *("false", "null", "NaN", "Infinity", "a", "_", "@", "1e999", "x=", "=", "k", "uniform"),
        *("1" * 4301, "[1e308, 1e308]"),
    ],
    "claim": [
        *("x", "y", "n", "sigmoid(", "tanh(", "exp(", "log(", "diff(", "integrate(", "Sum("),
        *("limit(", "softmax(", "Max(", "sqrt(", "relu(", "(", ")", "[", "]", ",", "+", "-"),
        *("*", "/", "**", "^", "==", "=", "0", "1", "2", "10", "1000", "1001", "0.5", "pi"),
        *("oo", "inf", "e", " ", "__", ".", "foo(", "E", "σ"),
        *("Abs(", "sign(", "sin(", "cos(", "exp(exp(20))", "exp(exp(exp(10)))", "1" * 4301),
    ],
}
_FAMILY = {
    "arch.spec": "arch",
    "arch.answer": "answer",
    "values.parse_value": "value",
    "values.assignment": "value",
    "symbolic.claim": "claim",
    "symbolic.expression": "claim",
}


def texts(family: str) -> st.SearchStrategy[str]:
    grammar = st.lists(st.sampled_from(TOKENS[family]), max_size=30).map("".join)
    hostile = st.sampled_from(HOSTILE)
    spliced = st.tuples(grammar, st.sampled_from(SHORT_HOSTILE), grammar).map("".join)
    return st.one_of(grammar, grammar, grammar, st.text(max_size=40), hostile, spliced)


# -- hostile strings: rejected with a message ------------------------------------------------------


def _hostile_cases() -> Iterator[Any]:
    for name, h in itertools.product(TEXT_TARGETS, HOSTILE):
        yield pytest.param(name, h, id=f"{name}-{HOSTILE.index(h)}")


def _wrap(name: str, text: str) -> str:
    return f"x={text}" if name == "values.assignment" else text


def _allowed(name: str, h: str, result: Any) -> bool:
    """A hostile string that parsed is fine only where reading it is the documented behaviour."""
    if h in LOOKALIKES:
        ok, ascii_result = outcome(TEXT_TARGETS[name], _wrap(name, LOOKALIKES[h]), name)
        return ok and _same(result, ascii_result)
    if name.startswith("values.") and h in ("nan", "NaN", "inf", "Infinity"):
        # a bare word stays a word (like policy=uniform): it never becomes a number
        with pytest.raises(DlstudyError):
            as_float(result[1] if name == "values.assignment" else result, "x")
        return True
    if name == "symbolic.claim":
        return _plain_claim(h)
    if name == "symbolic.expression":
        return result is True
    if name == "answers.words":
        # any word is a word ("nan" is not a number there): read, and graded wrong
        return result == (False, None)
    return False


def _plain_symbolic(result: Any) -> bool:
    """Words are real symbols in the claim language (``nan`` is a variable named nan, never a
    floating NaN) and ``inf``/``oo`` its documented ∞ (integrals, limits): no NaN, no complex ∞."""
    import sympy as sp

    parts = result if isinstance(result, tuple) else (result,)
    return not any(p.has(sp.nan) or p.has(sp.zoo) for p in parts)


def _same(a: Any, b: Any) -> bool:
    return repr(a) == repr(b)


@pytest.mark.parametrize(("name", "hostile"), list(_hostile_cases()))
def test_hostile_strings_are_rejected_with_a_message(name: str, hostile: str) -> None:
    ok, result = outcome(TEXT_TARGETS[name], _wrap(name, hostile), name)
    if ok:
        assert _allowed(name, hostile, result), (
            f"{name} accepted {_short(hostile)} as {_short(result)}"
        )


def test_cyrillic_a_is_not_read_as_the_latin_option_or_variable() -> None:
    ok, result = outcome(TEXT_TARGETS["answers.choice"], "а", "choice")
    assert not ok or result == (False, None)
    ok, _ = outcome(TEXT_TARGETS["answers.expression"], "x^2 + а x", "expression")
    assert not ok


@pytest.mark.parametrize("hostile", [h for h in HOSTILE if len(h) < 100])
def test_hostile_strings_inside_a_layer_spec_and_a_claim(hostile: str) -> None:
    for text in (f"conv(k={hostile})", f"input(c=3,h={hostile},w=8), conv(k=3)"):
        ok, result = outcome(_arch_spec, text, "arch.spec")
        if ok:
            assert hostile in LOOKALIKES, f"{text!r} accepted"
            assert _same(result, _arch_spec(text.replace(hostile, LOOKALIKES[hostile])))
    ok, result = outcome(_plain_claim, f"x == {hostile}", "claim")
    if ok:
        assert result, f"claim x == {hostile!r} read as NaN or complex ∞"


# -- generated text: only the domain error, within 2 s of CPU --------------------------------------

DEFAULT_EXAMPLES = 400
FUZZ_EXAMPLES = 7000  # × 14 text parsers = 98,000; with templates and MDPs: 107,000


def _text_property(name: str, examples: int) -> None:
    family = _FAMILY.get(name, "answer")

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(texts(family))
    def run(text: str) -> None:
        outcome(TEXT_TARGETS[name], text, name)

    run()


@pytest.mark.parametrize("name", list(TEXT_TARGETS))
def test_generated_text_gets_only_the_domain_error(name: str) -> None:
    _text_property(name, DEFAULT_EXAMPLES)


@pytest.mark.fuzz
@pytest.mark.parametrize("name", list(TEXT_TARGETS))
def test_fuzz_text(name: str) -> None:
    _text_property(name, FUZZ_EXAMPLES)


# -- question templates: generated TOML through the bank loader -----------------------------------


def _builtin_templates() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for path in sorted((ROOT / "question_bank").glob("*.toml")):
        out += tomllib.loads(path.read_text(encoding="utf-8")).get("template", [])
    return out


BASES = _builtin_templates()
_json_leaf = st.one_of(
    st.integers(-3, 10),
    st.sampled_from([0, 10**6, 10**20, 2**63, -(2**63) - 1]),
    st.floats(allow_nan=True, allow_infinity=True, width=32),
    st.sampled_from(["", "$n", "$missing", "$n.key", "{n}", "{missing}", "\\frac{1}{2}", "int"]),
    st.sampled_from([*HOSTILE[:8], "number", "matrix", "expression", "convolution", "x"]),
    st.booleans(),
)
_json = st.recursive(
    _json_leaf,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.sampled_from(["type", "low", "high", "n", "shape", "values", "x"]), inner, max_size=4
        ),
    ),
    max_leaves=10,
)
_TEMPLATE_KEYS = [
    *("id", "section", "difficulty", "kind", "title", "prompt", "hints", "tolerance"),
    *("require", "params", "answer", "options", "correct", "symbols", "expression"),
    *("misconceptions", "explanation", "partial", "sectoin"),
]


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        return repr(value) if math.isfinite(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return (
            "{ " + ", ".join(f"{json.dumps(str(k))} = {_toml(v)}" for k, v in value.items()) + " }"
        )
    raise TypeError(type(value))


def _document(template: dict[str, Any]) -> str:
    lines = ["[[template]]"]
    lines += [f"{json.dumps(k)} = {_toml(v)}" for k, v in template.items()]
    return "\n".join(lines) + "\n"


@st.composite
def template_files(draw: st.DrawFn) -> str:
    template = json.loads(json.dumps(draw(st.sampled_from(BASES))))  # a deep copy
    for _ in range(draw(st.integers(1, 3))):
        where = draw(st.sampled_from(["top", "param", "answer", "delete"]))
        if where == "top":
            template[draw(st.sampled_from(_TEMPLATE_KEYS))] = draw(_json)
        elif where == "param" and isinstance(template.get("params"), dict) and template["params"]:
            name = draw(st.sampled_from(sorted(template["params"])))
            spec = template["params"][name]
            if isinstance(spec, dict) and spec:
                spec[draw(st.sampled_from([*sorted(spec), "low", "shape", "expr"]))] = draw(_json)
            else:
                template["params"][name] = draw(_json)
        elif where == "answer" and isinstance(template.get("answer"), dict):
            key = draw(st.sampled_from(["function", "args", "pick", "x"]))
            template["answer"][key] = draw(_json)
        elif template:
            template.pop(draw(st.sampled_from(sorted(template))))
    text = _document(template)
    if draw(st.booleans()) and draw(st.booleans()):  # corrupt the TOML itself now and then
        at = draw(st.integers(0, len(text)))
        text = (
            text[:at]
            + draw(st.sampled_from(['"', "[", "]]", "=", "\n", "{", "\\", "x"]))
            + text[at:]
        )
    return text


_file_counter = itertools.count()


def _load_and_use(text: str, folder: Path) -> Any:
    path = folder / f"t{next(_file_counter)}.toml"  # a new name each time: no cached parse
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    loaded = load_file(path)
    assert all(isinstance(p, str) and p for p in loaded.problems)
    for template in loaded.templates:
        for seed in (0, 1):
            try:
                q = template.instantiate(seed)
                _ = (q.prompt, q.hints, q.answer_text, q.solution_text)
                json.dumps(q.to_json(), default=str)
                q.grade("1/2")
            except DlstudyError as exc:
                assert exc.message
    return loaded


def _template_property(examples: int, folder: Path) -> None:
    @settings(
        max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(template_files())
    def run(text: str) -> None:
        outcome(lambda t: _load_and_use(t, folder), text, "bank template")

    run()


def test_generated_templates_are_reported_not_raised(tmp_path: Path) -> None:
    _template_property(200, tmp_path)


@pytest.mark.fuzz
def test_fuzz_templates(tmp_path: Path) -> None:
    _template_property(3000, tmp_path)


@pytest.mark.parametrize("hostile", [h for h in HOSTILE if len(h) < 100])
def test_hostile_template_expressions_are_reported(tmp_path: Path, hostile: str) -> None:
    base = {
        "id": "fuzz.calc",
        "section": "convolution",
        "difficulty": 1,
        "kind": "integer",
        "prompt": "n = {n}",
        "params": {"n": {"type": "int", "low": 1, "high": 5}, "m": {"type": "calc", "expr": "n"}},
        "answer": {"function": "conv-output-size", "args": {"n": "$n", "k": 1}},
    }
    for field in ("require", "calc"):
        template = json.loads(json.dumps(base))
        if field == "require":
            template["require"] = [hostile]
        else:
            template["params"]["m"]["expr"] = hostile
        ok, loaded = outcome(lambda t: _load_and_use(t, tmp_path), _document(template), "bank")
        assert ok
        if hostile in LOOKALIKES and field == "calc":
            continue  # read as the ASCII number: a valid constant
        assert loaded.problems, f"{field} = {hostile[:40]!r} was accepted"


# -- MDP objects and files ------------------------------------------------------------------------

_names = st.sampled_from(["s0", "s1", "s2", "T", "", " ", "left", "right", "go", 0, 1, True, None])
_probs = st.one_of(
    st.sampled_from([1, 1.0, 0.5, 0, -0.5, 2, "1/2", "1/3", "1/0", "2/3", "nan", "x", None]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.fractions(max_denominator=6).map(str),
)
_transition = st.dictionaries(
    st.sampled_from(["state", "action", "next", "prob", "reward", "p", "r"]),
    st.one_of(_names, _probs),
    max_size=6,
)
_mdp_dicts = st.fixed_dictionaries(
    {
        "states": st.one_of(st.lists(_names, max_size=4), _names),
        "actions": st.one_of(st.lists(_names, max_size=3), _names),
        "transitions": st.one_of(st.lists(_transition, max_size=8), _probs),
    },
    optional={
        "gamma": _probs,
        "terminal": st.one_of(st.lists(_names, max_size=2), _names),
        "start": _names,
        "foo": _names,
    },
)
_grid_text = st.lists(
    st.sampled_from(["S", ".", "#", "+1", "-1", "+10", "G", " ", "\n", "x", "1e999", "nan"]),
    max_size=20,
).map("".join)
_grid_dicts = st.fixed_dictionaries(
    {"grid": st.one_of(_grid_text, st.lists(_grid_text, max_size=4), _probs)},
    optional={
        "gamma": _probs,
        "slip": _probs,
        "step_reward": _probs,
        "terminal_reward": _probs,
        "grid_size": _probs,
    },
)


def _load_and_solve(value: Any) -> Any:
    mdp = load_mdp(value)
    solution = call("policy-value-exact", {"mdp": mdp})
    json.dumps(solution.to_json(), default=str)
    return mdp


def _mdp_property(examples: int) -> None:
    @settings(
        max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(st.one_of(_mdp_dicts, _grid_dicts, st.sampled_from(SHORT_HOSTILE)))
    def run(value: Any) -> None:
        outcome(_load_and_solve, value, "load_mdp")

    run()


def _mdp_file_property(examples: int, folder: Path) -> None:
    @settings(
        max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(
        st.one_of(_mdp_dicts, _grid_dicts), st.sampled_from([".json", ".toml", ".txt"]), st.data()
    )
    def run(value: dict[str, Any], suffix: str, data: st.DataObject) -> None:
        if suffix == ".json":
            text = json.dumps(value)  # NaN / Infinity appear as JSON does write them
        else:
            body = {k: v for k, v in value.items() if v is not None}
            text = "\n".join(f"{json.dumps(k)} = {_toml(_no_none(v))}" for k, v in body.items())
        if data.draw(st.booleans()):
            at = data.draw(st.integers(0, len(text)))
            text = text[:at] + data.draw(st.sampled_from(SHORT_HOSTILE)) + text[at:]
        path = folder / f"m{next(_file_counter)}{suffix}"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        outcome(lambda p: _load_and_solve(read_file_value(str(p))), path, "mdp file")

    run()


def _no_none(value: Any) -> Any:
    if isinstance(value, list):
        return [_no_none(v) for v in value if v is not None]
    if isinstance(value, dict):
        return {k: _no_none(v) for k, v in value.items() if v is not None}
    return value


def test_generated_mdps_get_only_the_domain_error(tmp_path: Path) -> None:
    _mdp_property(400)
    _mdp_file_property(200, tmp_path)


@pytest.mark.fuzz
def test_fuzz_mdps(tmp_path: Path) -> None:
    _mdp_property(4000)
    _mdp_file_property(2000, tmp_path)


@pytest.mark.parametrize(
    "bad", [math.nan, math.inf, -math.inf, "nan", "1/0", 1e309, Fraction(3, 2)]
)
def test_non_finite_and_impossible_numbers_in_an_mdp_are_rejected(bad: Any) -> None:
    base = {
        "states": ["a", "b"],
        "actions": ["go"],
        "terminal": ["b"],
        "transitions": [{"state": "a", "action": "go", "next": "b", "prob": 1, "reward": 1}],
    }
    for where in ("gamma", "prob", "reward"):
        spec = json.loads(json.dumps(base))
        if where == "gamma":
            spec["gamma"] = bad
        else:
            spec["transitions"][0][where] = bad
        ok, _ = outcome(_load_and_solve, spec, f"mdp {where}")
        if where == "reward" and isinstance(bad, Fraction):
            continue  # 3/2 is a fine reward
        assert not ok, f"{where} = {bad!r} was accepted"


@pytest.mark.parametrize("text", ['{"gamma": NaN}', "gamma = nan", "gamma = inf", "[[[" * 5000])
def test_non_finite_numbers_in_mdp_files_are_rejected(tmp_path: Path, text: str) -> None:
    for suffix in (".json", ".toml"):
        path = tmp_path / f"bad{suffix}"
        path.write_text(
            text if suffix == ".toml" or text.startswith(("{", "[")) else "{}", encoding="utf-8"
        )
        ok, _ = outcome(lambda p: _load_and_solve(read_file_value(str(p))), path, "mdp file")
        assert not ok


# -- rf/params --answer: every number it reads is bounded -----------------------------------------


def test_rf_answer_with_thousands_of_digits_is_the_domain_error() -> None:
    for text in ("1" * 5000, "7x" + "1" * 5000):
        with pytest.raises(DlstudyError):
            parse_answer(text)


def test_generator_type_that_is_a_table_is_reported(tmp_path: Path) -> None:
    template = {
        "id": "fuzz.type",
        "section": "convolution",
        "difficulty": 1,
        "kind": "integer",
        "prompt": "n = {n}",
        "params": {"n": {"type": {"a": 1}, "low": 1, "high": 5}},
        "answer": {"function": "conv-output-size", "args": {"n": "$n", "k": 1}},
    }
    path = tmp_path / "bad.toml"
    path.write_text(_document(template), encoding="utf-8")
    assert load_file(path).problems


@pytest.mark.parametrize("text", ["11e308pi", "40.5²00"])
def test_answer_beyond_the_float_range_is_the_domain_error(text: str) -> None:
    for kind in ("number", "matrix"):
        with pytest.raises(DlstudyError):
            _grader(kind)(text)


def test_deeply_nested_template_file_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "deep.toml"
    path.write_text("x = " + "[" * 5000, encoding="utf-8")
    assert load_file(path).problems


def test_int_generator_over_a_huge_range_is_reported_quickly(tmp_path: Path) -> None:
    (template,) = [json.loads(json.dumps(t)) for t in BASES if t["id"] == "cnn.corr-valid"]
    template["params"]["input"]["high"] = 10**20
    ok, _ = outcome(lambda t: _load_and_use(t, tmp_path), _document(template), "bank")
    assert ok


def test_product_beyond_the_float_range_is_the_domain_error() -> None:
    with pytest.raises(DlstudyError):
        _grader("integer")("11e308pi")
