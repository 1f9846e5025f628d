"""Typed parameter generators of the question templates (see ``question_bank/FORMAT.md``).

Each generator is checked once when the template is loaded (:func:`check`) and then sampled from the
question's seeded ``numpy.random.Generator`` (:func:`sample`). Values are plain Python: ints,
:class:`~fractions.Fraction` (for ``fraction`` and ``prob_vector``, so prompts show ``3/4``), floats,
lists, dicts (MDPs) and strings (layer stacks).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np

from dlstudy.errors import DlstudyError, did_you_mean

#: type → (required fields, optional fields)
FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "int": (("low", "high"), ("exclude",)),
    "float": (("low", "high", "step"), ("exclude",)),
    "fraction": (("low", "high"), ("denominators", "exclude")),
    "choice": (("values",), ()),
    "int_vector": (("n", "low", "high"), ("exclude", "distinct")),
    "int_matrix": (("shape", "low", "high"), ("exclude",)),
    "float_vector": (("n", "low", "high", "step"), ()),
    "float_matrix": (("shape", "low", "high", "step"), ()),
    "prob_vector": (("n", "denominator"), ("positive",)),
    "const": (("value",), ()),
    "calc": (("expr",), ()),
    "mdp": (
        ("n_states", "n_actions"),
        ("gamma", "rewards", "deterministic"),
    ),
    "gridworld": (("rows", "cols"), ("n_walls", "step_reward", "slip", "gamma")),
    "layer_stack": (
        ("n_layers",),
        (
            "kernels",
            "strides",
            "dilations",
            "paddings",
            "pools",
            "min_pools",
            "channels",
            "input",
            "bias",
        ),
    ),
}

MAX_ENTRIES = 400
#: Widest integer range a generator draws from (numbers for hand work; bounds the sampling cost).
MAX_RANGE = 100_000
#: An MDP a student backs up by hand: states, actions per state.
MAX_MDP_STATES = 50
MAX_MDP_ACTIONS = 10
#: Cells of a gridworld.
MAX_GRID_CELLS = 100
#: A fraction's denominator.
MAX_DENOMINATOR = 1000

#: (type, field) → the largest value it may take (each one of a [lo, hi] range or a list). Checked
#: when the template is loaded (a literal) and again when it is sampled (a "$ref"): a template with
#: n_states = 1000000 is a load problem that names the field, never a command that hangs.
LIMITS: dict[tuple[str, str], int] = {
    **{(kind, "n"): MAX_ENTRIES for kind in ("int_vector", "float_vector", "prob_vector")},
    ("layer_stack", "n_layers"): MAX_ENTRIES,
    ("mdp", "n_states"): MAX_MDP_STATES,
    ("mdp", "n_actions"): MAX_MDP_ACTIONS,
    ("gridworld", "rows"): MAX_GRID_CELLS,
    ("gridworld", "cols"): MAX_GRID_CELLS,
    ("gridworld", "n_walls"): MAX_GRID_CELLS,
    ("prob_vector", "denominator"): MAX_RANGE,
    ("fraction", "denominators"): MAX_DENOMINATOR,
}


class LayerStack(str):
    """A layer-language spec (a ``str``) that prompts show one layer per line."""

    def layers(self) -> list[str]:
        depth, start, out = 0, 0, []
        for i, ch in enumerate(self):
            depth += ch == "("
            depth -= ch == ")"
            if ch == "," and depth == 0:
                out.append(self[start:i].strip())
                start = i + 1
        out.append(self[start:].strip())
        return [layer for layer in out if layer]


class GeneratorError(DlstudyError):
    """A generator spec that cannot be sampled (a template bug, not bad user input)."""


def check(name: str, spec: Any, earlier: list[str]) -> list[str]:
    """Problems with generator ``spec`` of parameter ``name`` (empty when it is well formed)."""
    if not isinstance(spec, dict):
        return [f'params.{name}: expected a table like {{ type = "int", low = 0, high = 3 }}']
    kind = spec.get("type")
    if not isinstance(kind, str) or kind not in FIELDS:
        hint = did_you_mean(str(kind), FIELDS) if isinstance(kind, str) else ""
        return [f"params.{name}.type: unknown generator {kind!r}{hint}; types: {', '.join(FIELDS)}"]
    required, optional = FIELDS[kind]
    problems = [
        f"params.{name}: missing field '{f}' for type {kind}" for f in required if f not in spec
    ]
    for key in spec:
        if key != "type" and key not in required and key not in optional:
            problems.append(f"params.{name}.{key}: unknown field for type {kind}")
    for key, value in spec.items():
        for ref in _refs(value):
            if ref not in earlier:
                problems.append(f"params.{name}.{key}: '${ref}' is not an earlier parameter")
    if kind == "choice" and not (isinstance(spec.get("values"), list) and spec["values"]):
        problems.append(f"params.{name}.values: expected a non-empty list")
    if kind == "calc" and "expr" in spec:
        problems += _check_calc(name, spec["expr"], earlier)
    return problems + size_problems(kind, spec, f"params.{name}")


def size_problems(kind: str, spec: dict[str, Any], label: str) -> list[str]:
    """Fields of generator ``spec`` past their limit (:data:`LIMITS`, matrix shapes, ranges, grid
    cells); ``"$ref"`` values are skipped (they are checked once resolved, when sampled)."""
    problems = []
    for (k, key), limit in LIMITS.items():
        if k != kind or key not in spec:
            continue
        values = spec[key] if isinstance(spec[key], list) else [spec[key]]
        for v in values:
            if _is_number(v) and abs(v) > limit:
                problems.append(f"{label}.{key}: {_shown(v)} is more than {limit:,}, the limit")
                break
    shape = spec.get("shape")
    if kind in ("int_matrix", "float_matrix") and isinstance(shape, list) and len(shape) == 2:
        if all(_is_number(v) for v in shape) and shape[0] * shape[1] > MAX_ENTRIES:
            problems.append(
                f"{label}.shape: {_shown(shape[0])}×{_shown(shape[1])} is more than "
                f"{MAX_ENTRIES} entries, the limit"
            )
    if kind == "gridworld" and all(_is_number(spec.get(k)) for k in ("rows", "cols")):
        if spec["rows"] * spec["cols"] > MAX_GRID_CELLS:
            problems.append(
                f"{label}: rows × cols = {_shown(spec['rows'] * spec['cols'])} cells is more "
                f"than {MAX_GRID_CELLS}, the limit"
            )
    if kind in ("int", "int_vector", "int_matrix", "fraction") and all(
        _is_number(spec.get(k)) for k in ("low", "high")
    ):
        dens = spec.get("denominators", [1]) if kind == "fraction" else [1]
        dens = dens if isinstance(dens, list) else [dens]
        widest = max((d for d in dens if _is_number(d)), default=1)
        if (spec["high"] - spec["low"]) * widest > MAX_RANGE:
            problems.append(
                f"{label}: the range [{_shown(spec['low'])}, {_shown(spec['high'])}] is too wide "
                f"for hand work (at most {MAX_RANGE:,} values)"
            )
    if kind in ("float", "float_vector", "float_matrix") and all(
        _is_number(spec.get(k)) for k in ("low", "high", "step")
    ):
        step = spec["step"]
        if step > 0 and (spec["high"] - spec["low"]) / step > MAX_RANGE:
            problems.append(
                f"{label}: the grid from {_shown(spec['low'])} to {_shown(spec['high'])} in steps "
                f"of {_shown(step)} is too fine for hand work (at most {MAX_RANGE:,} values)"
            )
    return problems


def _shown(v: Any) -> str:
    """A number for a message, short: a 5,000-digit integer is not printed (nor printable), a
    long fraction is shown as a float."""
    if isinstance(v, int) and not isinstance(v, bool):
        return f"{v:,}" if abs(v) < 10**30 else f"a {len(str(abs(v) // 10**30)) + 30}-digit number"
    text = str(v)
    if len(text) <= 30:
        return text
    try:
        return f"{float(v):.6g}"
    except (OverflowError, TypeError, ValueError):
        return "a number too long to show"


def _check_size(kind: str, spec: dict[str, Any], label: str) -> None:
    """:func:`size_problems` of a resolved spec, as the error (a "$ref" past a limit)."""
    problems = size_problems(kind, spec, label)
    if problems:
        raise GeneratorError(problems[0])


def _check_calc(name: str, expr: Any, earlier: list[str]) -> list[str]:
    from dlstudy.answers.expr_syntax import AnswerError, Parser

    if not isinstance(expr, str):
        return [f"params.{name}.expr: expected a string"]
    try:
        Parser(expr, symbols=tuple(earlier)).parse_scalar()
    except AnswerError as exc:
        return [f"params.{name}.expr: {exc.message}"]
    return []


def _refs(value: Any) -> list[str]:
    if isinstance(value, str) and value.startswith("$"):
        return [value[1:].partition(".")[0]]
    if isinstance(value, list):
        return [r for v in value for r in _refs(v)]
    return []


def _int(value: Any, label: str) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float, Fraction))
        or value != int(value)
    ):
        raise GeneratorError(f"{label}: expected an integer, got {value!r}")
    return int(value)


def _num(value: Any, label: str) -> float | Fraction:
    if isinstance(value, bool) or not isinstance(value, (int, float, Fraction)):
        raise GeneratorError(f"{label}: expected a number, got {value!r}")
    return value


def _size(value: Any, rng: np.random.Generator, label: str) -> int:
    """``n`` as an int or an inclusive range ``[lo, hi]``."""
    if isinstance(value, list):
        if len(value) != 2:
            raise GeneratorError(f"{label}: expected n or [lo, hi]")
        lo, hi = _int(value[0], label), _int(value[1], label)
        n = int(rng.integers(lo, hi + 1))
    else:
        n = _int(value, label)
    if n < 1 or n > MAX_ENTRIES:
        raise GeneratorError(f"{label}: size {n} outside 1..{MAX_ENTRIES}")
    return n


def _ints(
    rng: np.random.Generator, low: int, high: int, count: int, exclude: list[Any]
) -> list[int]:
    if high - low > MAX_RANGE:
        raise GeneratorError(
            f"the range [{_shown(low)}, {_shown(high)}] is too wide for hand work "
            f"(at most {MAX_RANGE} values)"
        )
    allowed = [v for v in range(low, high + 1) if v not in exclude]
    if not allowed:
        raise GeneratorError(
            f"no integer in [{_shown(low)}, {_shown(high)}] outside exclude={exclude}"
        )
    idx = rng.integers(0, len(allowed), size=count)
    return [allowed[i] for i in idx]


def _grid(
    rng: np.random.Generator, low: Any, high: Any, step: Any, count: int, label: str
) -> list[float]:
    lo, hi, st = float(_num(low, label)), float(_num(high, label)), float(_num(step, label))
    if st <= 0 or hi < lo:
        raise GeneratorError(f"{label}: need step > 0 and low <= high")
    k_max = math.floor((hi - lo) / st + 1e-9)
    ks = rng.integers(0, k_max + 1, size=count)
    digits = max(0, -math.floor(math.log10(st))) + 2
    return [round(lo + int(k) * st, digits) + 0.0 for k in ks]


def _shape(value: Any, label: str) -> tuple[int, int]:
    if not (isinstance(value, list) and len(value) == 2):
        raise GeneratorError(f"{label}: expected shape = [rows, cols]")
    r, c = _int(value[0], label), _int(value[1], label)
    if r < 1 or c < 1 or r * c > MAX_ENTRIES:
        raise GeneratorError(f"{label}: shape {r}×{c} outside 1..{MAX_ENTRIES} entries")
    return r, c


def sample(
    name: str, spec: dict[str, Any], rng: np.random.Generator, values: dict[str, Any]
) -> Any:
    """One value of generator ``spec`` (its ``$refs`` resolved against earlier ``values``)."""
    s = {k: resolve_tree(v, values) for k, v in spec.items()}
    kind = s["type"]
    label = f"params.{name}"
    _check_size(kind, s, label)
    return _SAMPLERS[kind](s, rng, label, values)


def _s_int(s: dict[str, Any], rng: np.random.Generator, label: str, _: dict[str, Any]) -> int:
    return _ints(rng, _int(s["low"], label), _int(s["high"], label), 1, s.get("exclude", []))[0]


def _s_float(s: dict[str, Any], rng: np.random.Generator, label: str, _: dict[str, Any]) -> float:
    exclude = s.get("exclude", [])
    for _try in range(100):
        v = _grid(rng, s["low"], s["high"], s["step"], 1, label)[0]
        if v not in exclude:
            return v
    raise GeneratorError(f"{label}: every value is excluded")


def _s_fraction(
    s: dict[str, Any], rng: np.random.Generator, label: str, _: dict[str, Any]
) -> Fraction:
    dens = [_int(d, label) for d in s.get("denominators", [2, 3, 4])]
    lo, hi = Fraction(_num(s["low"], label)), Fraction(_num(s["high"], label))
    exclude = [Fraction(e) for e in s.get("exclude", [])]
    options = sorted(
        {
            Fraction(k, d)
            for d in dens
            if d > 0
            for k in range(math.ceil(lo * d), math.floor(hi * d) + 1)
        }
        - set(exclude)
    )
    if not options:
        raise GeneratorError(
            f"{label}: no fraction in [{_shown(lo)}, {_shown(hi)}] with denominators {dens}"
        )
    return options[int(rng.integers(0, len(options)))]


def _s_choice(s: dict[str, Any], rng: np.random.Generator, label: str, _: dict[str, Any]) -> Any:
    return _pick(rng, s["values"])


def _s_int_vector(
    s: dict[str, Any], rng: np.random.Generator, label: str, _: dict[str, Any]
) -> list[int]:
    n = _size(s["n"], rng, f"{label}.n")
    low, high = _int(s["low"], label), _int(s["high"], label)
    exclude = s.get("exclude", [])
    if s.get("distinct"):
        if high - low > MAX_RANGE:
            raise GeneratorError(
                f"the range [{low}, {high}] is too wide for hand work (at most {MAX_RANGE} values)"
            )
        allowed = [v for v in range(low, high + 1) if v not in exclude]
        if len(allowed) < n:
            raise GeneratorError(f"{label}: fewer than {n} distinct integers in [{low}, {high}]")
        return [int(v) for v in rng.choice(allowed, size=n, replace=False)]
    return _ints(rng, low, high, n, exclude)


def _s_int_matrix(
    s: dict[str, Any], rng: np.random.Generator, label: str, _: dict[str, Any]
) -> list[list[int]]:
    r, c = _shape(s["shape"], f"{label}.shape")
    flat = _ints(rng, _int(s["low"], label), _int(s["high"], label), r * c, s.get("exclude", []))
    return [flat[i * c : (i + 1) * c] for i in range(r)]


def _s_float_vector(
    s: dict[str, Any], rng: np.random.Generator, label: str, _: dict[str, Any]
) -> list[float]:
    n = _size(s["n"], rng, f"{label}.n")
    return _grid(rng, s["low"], s["high"], s["step"], n, label)


def _s_float_matrix(
    s: dict[str, Any], rng: np.random.Generator, label: str, _: dict[str, Any]
) -> list[list[float]]:
    r, c = _shape(s["shape"], f"{label}.shape")
    flat = _grid(rng, s["low"], s["high"], s["step"], r * c, label)
    return [flat[i * c : (i + 1) * c] for i in range(r)]


def _s_prob_vector(
    s: dict[str, Any], rng: np.random.Generator, label: str, _: dict[str, Any]
) -> list[Fraction]:
    n = _size(s["n"], rng, f"{label}.n")
    d = _int(s["denominator"], label)
    if s.get("positive", False):
        if d < n:
            raise GeneratorError(
                f"{label}: denominator {d} < n = {n}: cannot make every entry positive"
            )
        cuts = sorted(int(v) for v in rng.choice(np.arange(1, d), size=n - 1, replace=False))
    else:
        if d < 1:
            raise GeneratorError(f"{label}: denominator must be >= 1")
        cuts = sorted(int(v) for v in rng.integers(0, d + 1, size=n - 1))
    bounds = [0, *cuts, d]
    return [Fraction(bounds[i + 1] - bounds[i], d) for i in range(n)]


def _s_const(s: dict[str, Any], rng: np.random.Generator, label: str, _: dict[str, Any]) -> Any:
    return s["value"]


def _s_calc(s: dict[str, Any], rng: np.random.Generator, label: str, values: dict[str, Any]) -> Any:
    from dlstudy.answers.expr import evaluate
    from dlstudy.answers.expr_syntax import AnswerError, Parser

    env = {k: Fraction(v) for k, v in values.items() if _is_number(v)}
    try:
        node = Parser(s["expr"], symbols=tuple(env)).parse_scalar()
        value = evaluate(node, env)
    except AnswerError as exc:
        raise GeneratorError(f"{label}.expr: {exc.message}") from None
    if isinstance(value, Fraction) and value.denominator == 1:
        return int(value)
    return value if isinstance(value, Fraction) else float(value)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float, Fraction)) and not isinstance(v, bool)


def _mdp_module() -> Any:
    try:
        from dlstudy.reference import mdp
    except ImportError:
        raise GeneratorError("the mdp/gridworld generators need dlstudy.reference.mdp") from None
    return mdp


def _s_mdp(s: dict[str, Any], rng: np.random.Generator, label: str, _: dict[str, Any]) -> Any:
    make = getattr(_mdp_module(), "random_mdp", None)
    if make is None:
        raise GeneratorError(f"{label}: dlstudy.reference.mdp has no random_mdp")
    return make(
        rng,
        _int(s["n_states"], label),
        _int(s["n_actions"], label),
        s.get("gamma", [0.5, 0.9]),
        s.get("rewards", [-2, 2]),
        bool(s.get("deterministic", True)),
    )


def _s_gridworld(s: dict[str, Any], rng: np.random.Generator, label: str, _: dict[str, Any]) -> Any:
    make = getattr(_mdp_module(), "random_gridworld", None)
    if make is None:
        raise GeneratorError(f"{label}: dlstudy.reference.mdp has no random_gridworld")
    return make(
        rng,
        _int(s["rows"], label),
        _int(s["cols"], label),
        _int(s.get("n_walls", 0), label),
        s.get("step_reward", -1),
        s.get("slip", 0.0),
        s.get("gamma", 0.9),
    )


def _pick(rng: np.random.Generator, values: list[Any]) -> Any:
    return values[int(rng.integers(0, len(values)))]


def _s_layer_stack(
    s: dict[str, Any], rng: np.random.Generator, label: str, _: dict[str, Any]
) -> str:
    """A spec in the layer language of ``dlstudy rf`` / ``dlstudy params``: an optional
    ``input(c=,h=,w=)`` line, then conv layers (and, with ``pools``, max pools)."""
    n = _size(s["n_layers"], rng, f"{label}.n_layers")
    kernels = s.get("kernels", [1, 3, 5])
    strides = s.get("strides", [1, 2])
    dilations = s.get("dilations", [1])
    paddings = s.get("paddings", [0])
    channels = s.get("channels", [])
    pools = s.get("pools", False)
    layers: list[str] = []
    if s.get("input"):
        c, h, w = (_int(v, f"{label}.input") for v in s["input"])
        layers.append(f"input(c={c},h={h},w={w})")
    for i in range(n):
        if pools and i > 0 and rng.random() < 0.3:
            layers.append("maxpool(k=2)")
            continue
        parts = []
        if channels:
            parts.append(f"c={_pick(rng, channels)}")
        parts.append(f"k={_pick(rng, kernels)}")
        stride = _pick(rng, strides)
        if stride != 1:
            parts.append(f"s={stride}")
        pad = _pick(rng, paddings)
        if pad:
            parts.append(f"p={pad}")
        dil = _pick(rng, dilations)
        if dil != 1:
            parts.append(f"d={dil}")
        if s.get("bias") is False:
            parts.append("bias=false")
        layers.append(f"conv({','.join(parts)})")
    start = 1 if s.get("input") else 0
    convs = [i for i in range(start + 1, len(layers)) if layers[i].startswith("conv(")]
    missing = _int(s.get("min_pools", 0), f"{label}.min_pools") - (
        len(layers) - start - len(convs) - 1
    )
    if pools and missing > 0 and convs:  # at least min_pools max pools (never the first layer)
        for i in rng.choice(convs, size=min(missing, len(convs)), replace=False):
            layers[int(i)] = "maxpool(k=2)"
    return LayerStack(", ".join(layers))


_SAMPLERS: dict[str, Callable[..., Any]] = {
    "int": _s_int,
    "float": _s_float,
    "fraction": _s_fraction,
    "choice": _s_choice,
    "int_vector": _s_int_vector,
    "int_matrix": _s_int_matrix,
    "float_vector": _s_float_vector,
    "float_matrix": _s_float_matrix,
    "prob_vector": _s_prob_vector,
    "const": _s_const,
    "calc": _s_calc,
    "mdp": _s_mdp,
    "gridworld": _s_gridworld,
    "layer_stack": _s_layer_stack,
}


def resolve_tree(value: Any, values: dict[str, Any]) -> Any:
    """``"$name"`` (or ``"$name.key"`` into a table value) replaced by the parameter anywhere
    inside lists and tables."""
    if isinstance(value, str) and value.startswith("$"):
        name, _, key = value[1:].partition(".")
        out = values[name]
        return out[key] if key else out
    if isinstance(value, list):
        return [resolve_tree(v, values) for v in value]
    if isinstance(value, dict):
        return {k: resolve_tree(v, values) for k, v in value.items()}
    return value


def refs_tree(value: Any) -> list[str]:
    """Every ``"$name"`` inside ``value`` (lists and tables included)."""
    if isinstance(value, dict):
        return [r for v in value.values() for r in refs_tree(v)]
    return _refs(value)
