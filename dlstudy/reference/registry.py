"""The single registry of reference functions.

A reference function is a plain typed Python function that returns a :class:`Solution`: the answer, the
steps a student writes down, and (where the notes invite one) the wrong-method answers that the grader
names. It is registered with :func:`reference`::

    @reference("sigmoid", section="activations", summary="σ(x) = 1/(1+e^-x) and σ'(x) = σ(1-σ)")
    def sigmoid(x: np.ndarray) -> Solution:
        ...

Parameters are described by the signature: the annotation gives the kind (``float`` → number,
``int`` → integer, ``bool``, ``str`` → word, ``np.ndarray`` → numeric array of any shape, anything
else → a raw JSON-like value), the default makes a parameter optional, and ``params_help`` gives a
line of help per parameter. ``dlstudy solve``, the question bank and ``dlstudy check`` all call
functions through :func:`call`, which coerces and validates user values.

Chapters register their functions when imported, and are imported lazily: :func:`get` imports the one
chapter that defines a function (the manifest, :mod:`dlstudy.reference.manifest`, says which), so
a question imports one chapter, not all of them; :func:`load_all` imports every chapter.
"""

from __future__ import annotations

import importlib
import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from dlstudy.errors import DlstudyError, did_you_mean
from dlstudy.output import format_number
from dlstudy.reference import manifest
from dlstudy.sections import check_section

#: Modules of this package that are not chapters.
_NOT_CHAPTERS = frozenset({"registry", "manifest"})


#: The part of a step that is a remark beyond the result (shown by ``dlstudy solve --steps`` only).
ASIDE = "aside"


@dataclass
class Step:
    """One line of working: ``label`` (what is computed), ``value`` and optional ``detail`` (the
    arithmetic written out, e.g. ``"1·2 + 3·4 = 14"``).

    ``part`` names the key(s) of a dict result this step works towards (``"dW"``, or a tuple such as
    ``("delta1", "dW1")``); empty means every part. A question that asks for one part (its template
    picks ``"dW"``) shows only the steps of that part; :data:`ASIDE` marks a remark that no question
    needs. ``dlstudy solve --steps`` shows them all."""

    label: str
    value: Any = None
    detail: str = ""
    part: str | tuple[str, ...] = ""

    @property
    def parts(self) -> tuple[str, ...]:
        return (self.part,) if isinstance(self.part, str) and self.part else tuple(self.part)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"label": self.label, "value": self.value}
        if self.detail:
            out["detail"] = self.detail
        return out


#: Per-entry working built at most: the later entries of a long sequence are computed, not written
#: out (a hand calculation never needs more, and 10^5 steps cost seconds to build).
MAX_ENTRY_STEPS = 100


def steps_left(total: int, what: str, shown: int = MAX_ENTRY_STEPS, part: str = "") -> Step:
    """The step that stands for entries ``shown + 1 .. total``, not written out."""
    return Step("…", None, f"{total - shown:,} more {what} the same way", part)


@dataclass
class Mistake:
    """A wrong-method answer: ``name`` (stable id), ``message`` (feedback naming the mistake, e.g.
    "you computed the correlation: convolution flips the kernel") and the ``value`` it produces."""

    name: str
    message: str
    value: Any

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "message": self.message, "value": self.value}


@dataclass
class Solution:
    """What a reference function returns.

    ``result``: the answer (number, array, or a dict of those). ``steps``: the working.
    ``checkpoints``: optional per-stage values ``(label, value)`` a student may give instead of the
    final answer (per layer, per epoch, per sweep) so the grader can name the first stage that diverges.
    ``mistakes``: wrong-method answers. ``convention``: the conventions that change the number.
    """

    result: Any
    steps: list[Step] = field(default_factory=list)
    mistakes: list[Mistake] = field(default_factory=list)
    checkpoints: list[tuple[str, Any]] = field(default_factory=list)
    convention: str = ""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"result": self.result, "steps": [s.to_json() for s in self.steps]}
        if self.convention:
            out["convention"] = self.convention
        return out


@dataclass
class Param:
    name: str
    kind: str  # "number" | "integer" | "bool" | "word" | "array" | "value"
    default: Any = inspect.Parameter.empty
    help: str = ""

    @property
    def required(self) -> bool:
        return self.default is inspect.Parameter.empty

    @property
    def cli_name(self) -> str:
        return self.name.rstrip("_")


@dataclass
class RefFunc:
    name: str
    section: str
    summary: str
    func: Callable[..., Solution]
    params: list[Param]

    @property
    def doc(self) -> str:
        return inspect.getdoc(self.func) or ""


#: Integer parameters (sizes, sweeps, seeds) beyond this are rejected: no hand calculation needs them.
MAX_INT = 2**31 - 1

_REGISTRY: dict[str, RefFunc] = {}
_loaded = False

_KINDS = {
    "float": "number",
    "int": "integer",
    "bool": "bool",
    "str": "word",
    "np.ndarray": "array",
    "ndarray": "array",
    "numpy.ndarray": "array",
}


def _kind(annotation: Any) -> str:
    """The kind of a parameter from its annotation text; ``X | None`` is an optional ``X``."""
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
    parts = [t.strip() for t in str(text).split("|") if t.strip() != "None"]
    return _KINDS.get(parts[0], "value") if len(parts) == 1 else "value"


def reference(
    name: str,
    *,
    section: str,
    summary: str,
    params_help: dict[str, str] | None = None,
) -> Callable[[Callable[..., Solution]], Callable[..., Solution]]:
    """Register a reference function under ``name`` (kebab-case, e.g. ``conv-transpose2d``)."""
    check_section(section)

    def decorate(func: Callable[..., Solution]) -> Callable[..., Solution]:
        if name in _REGISTRY and _REGISTRY[name].func is not func:
            raise RuntimeError(f"reference function '{name}' registered twice")
        helps = params_help or {}
        params = [
            Param(p.name, _kind(p.annotation), p.default, helps.get(p.name.rstrip("_"), ""))
            for p in inspect.signature(func).parameters.values()
        ]
        _REGISTRY[name] = RefFunc(name, section, summary, func, params)
        return func

    return decorate


def _numbers(x: Any) -> list[float]:
    """Every number in ``x`` (dicts, lists, arrays nested), words and ``None`` left out."""
    if isinstance(x, dict):
        out: list[float] = []
        for value in x.values():
            out.extend(_numbers(value))
        return out
    if isinstance(x, str) or x is None:
        return []
    if isinstance(x, (list, tuple)):
        try:  # a regular array of numbers: one conversion, not one per entry
            arr = np.asarray(x)
        except (TypeError, ValueError, OverflowError):  # ragged
            arr = None
        if arr is not None and arr.dtype.kind in "biuf":
            return arr.astype(np.float64).ravel().tolist()
        out = []
        for value in x:
            out.extend(_numbers(value))
        return out
    try:
        return np.asarray(x, dtype=np.float64).ravel().tolist()
    except (TypeError, ValueError, OverflowError):  # not a number (an object, a word array)
        return []


def load_all() -> dict[str, RefFunc]:
    """Import every chapter module (registering its functions) and return the registry."""
    global _loaded
    if not _loaded:
        for module in chapter_modules():
            importlib.import_module(f"dlstudy.reference.{module}")
        _loaded = True
    return _REGISTRY


def chapter_modules() -> list[str]:
    """Every module of ``dlstudy.reference`` except the registry and its manifest: one per chapter of
    the notes."""
    import pkgutil

    import dlstudy.reference as package

    return sorted(
        m.name
        for m in pkgutil.iter_modules(package.__path__)
        if m.name not in _NOT_CHAPTERS and not m.name.startswith("_")
    )


def _registered(name: str) -> RefFunc | None:
    """The function registered as ``name``, importing only its chapter (named by the manifest)."""
    if name not in _REGISTRY:
        entry = manifest.entries().get(name)
        if entry is not None:
            importlib.import_module(f"dlstudy.reference.{entry.module}")
    return _REGISTRY.get(name)


def get(name: str) -> RefFunc:
    """The reference function called ``name``, or the domain error with a suggestion.

    Imports only the chapter that defines it; every chapter only for a name the manifest does not
    know (a misspelling, or a function added since the manifest was generated)."""
    key = name.strip()
    for candidate in (key, key.replace("_", "-")):
        found = _registered(candidate)
        if found is not None:
            return found
    registry = load_all()
    if key not in registry and key.replace("_", "-") in registry:
        key = key.replace("_", "-")
    if key not in registry:
        raise DlstudyError(
            f"unknown function '{name}'{did_you_mean(name, registry)}; "
            "`dlstudy solve --list` lists them"
        )
    return registry[key]


def call(name: str, values: dict[str, Any]) -> Solution:
    """Call reference function ``name`` with user values (coerced and validated)."""
    ref = get(name)
    by_name = {p.cli_name: p for p in ref.params}
    kwargs: dict[str, Any] = {}
    for key, value in values.items():
        k = key.rstrip("_")
        if k not in by_name:
            raise DlstudyError(
                f"{ref.name}: unknown parameter '{key}'{did_you_mean(k, by_name)}; "
                f"parameters: {', '.join(by_name)}"
            )
        param = by_name[k]
        kwargs[param.name] = coerce(param, value, ref.name)
    missing = [p.cli_name for p in ref.params if p.required and p.name not in kwargs]
    if missing:
        raise DlstudyError(f"{ref.name}: missing required parameter(s): {', '.join(missing)}")
    return finite_call(ref, kwargs)


def finite_call(ref: RefFunc, kwargs: dict[str, Any]) -> Solution:
    """``ref.func(**kwargs)`` with numpy's floating-point warnings off (none reaches stderr), and a
    non-finite answer refused: finite but extreme inputs can overflow float64 (``softmax`` of
    1e308, ``e^1000`` in a box decoding), and ±∞ or NaN is no answer. The message names the input
    that holds the largest number. Wrong-method answers that overflow are dropped (no mistake is
    named after ±∞). Every caller of a reference function (``solve``, the question bank, ``check``)
    comes through here: the one place the check is made."""
    with np.errstate(all="ignore"):
        try:
            sol = ref.func(**kwargs)
        except (np.linalg.LinAlgError, OverflowError):
            raise DlstudyError(
                f"{ref.name}: the numbers are too extreme for float64 arithmetic{_largest(kwargs)}; "
                "use smaller values"
            ) from None
        except MemoryError:  # an array numpy cannot allocate (n² entries of a long input)
            raise DlstudyError(
                f"{ref.name}: the inputs are too large for this computation (out of memory); "
                "use smaller inputs"
            ) from None
        if not _finite(sol.result):
            raise DlstudyError(
                f"{ref.name}: the result overflows float64 (it would be ±∞ or NaN)"
                f"{_largest(kwargs)}; use smaller values"
            )
        sol.mistakes = [m for m in sol.mistakes if _finite(m.value)]
    return sol


def _finite(value: Any) -> bool:
    numbers = _numbers(value)
    return bool(np.isfinite(np.asarray(numbers, dtype=np.float64)).all()) if numbers else True


def _largest(kwargs: dict[str, Any]) -> str:
    """``": deltas is too large (up to 1000)"``: the input(s) holding the largest magnitude."""
    sizes: dict[str, float] = {}
    for name, value in kwargs.items():
        numbers = [] if isinstance(value, bool) else [abs(v) for v in _numbers(value)]
        if numbers:
            sizes[name.rstrip("_")] = max(numbers)
    if not sizes:
        return ""
    top = max(sizes.values())
    names = [n for n, v in sizes.items() if v == top]
    verb = "is" if len(names) == 1 else "are"
    return f": {' and '.join(names)} {verb} too large (up to {format_number(top)})"


def coerce(param: Param, value: Any, where: str = "") -> Any:
    """Turn a parsed user value into what the function's annotation asks for."""
    label = f"{where}: {param.cli_name}" if where else param.cli_name
    kind = param.kind
    if value is None and not param.required and param.default is None:
        return None
    if kind == "number":
        return as_float(value, label)
    if kind == "integer":
        number = as_float(value, label)
        if number != int(number):
            raise DlstudyError(f"{label}: expected an integer, got {value}")
        if abs(number) > MAX_INT:
            raise DlstudyError(f"{label}: {format_number(number)} is too large (at most {MAX_INT})")
        return int(number)
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in (
            "true",
            "yes",
            "t",
            "y",
            "1",
            "false",
            "no",
            "f",
            "n",
            "0",
        ):
            return value.lower() in ("true", "yes", "t", "y", "1")
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        raise DlstudyError(f"{label}: expected true or false, got {value!r}")
    if kind == "word":
        if not isinstance(value, str):
            raise DlstudyError(f"{label}: expected a word, got {value!r}")
        return value
    if kind == "array":
        return as_array(value, label)
    return value


def as_float(value: Any, label: str) -> float:
    """A finite float from an int, float or Fraction (not a bool, string or list)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Fraction, np.number)):
        raise DlstudyError(f"{label}: expected a number, got {_describe(value)}")
    try:
        number = float(value)
    except OverflowError:
        raise DlstudyError(f"{label}: number too large") from None
    if not math.isfinite(number):
        raise DlstudyError(f"{label}: expected a finite number, got {value}")
    return number


def as_array(value: Any, label: str, ndim: int | None = None) -> np.ndarray:
    """A float64 array from a number or (nested) list; ragged or non-numeric input is an error."""
    if isinstance(value, np.ndarray):
        arr = value.astype(np.float64, copy=False)
    else:
        _check_rectangular(value, label)
        try:
            arr = np.array(_floats(value, label), dtype=np.float64)
        except (TypeError, ValueError):
            raise DlstudyError(f"{label}: expected numbers, got {_describe(value)}") from None
    if not np.all(np.isfinite(arr)):
        raise DlstudyError(f"{label}: entries must be finite numbers")
    if ndim is not None and arr.ndim != ndim:
        raise DlstudyError(f"{label}: expected a {_dims(ndim)}, got shape {arr.shape}")
    return arr


def as_vector(value: Any, label: str) -> np.ndarray:
    """A non-empty float64 vector from a number or a flat list (a number becomes a length-1 vector)."""
    arr = np.atleast_1d(as_array(value, label))
    if arr.ndim != 1:
        raise DlstudyError(
            f"{label}: expected a vector (a flat list of numbers), got shape {arr.shape}"
        )
    if arr.size == 0:
        raise DlstudyError(f"{label}: expected at least one number")
    return arr


def require_ndim(arr: np.ndarray, ndim: int, label: str) -> np.ndarray:
    """Raise the domain error unless ``arr.ndim == ndim``; a vector is promoted to a 1×n matrix when
    a matrix is required and a scalar to a length-1 vector when a vector is."""
    if arr.ndim == ndim:
        return arr
    if ndim == 2 and arr.ndim == 1:
        return arr[None, :]
    if ndim == 1 and arr.ndim == 0:
        return arr[None]
    raise DlstudyError(f"{label}: expected a {_dims(ndim)}, got shape {arr.shape}")


def _dims(ndim: int) -> str:
    return {0: "number", 1: "vector", 2: "matrix"}.get(ndim, f"{ndim}-D array")


def _floats(value: Any, label: str) -> Any:
    if isinstance(value, list):
        return [_floats(v, label) for v in value]
    return as_float(value, label)


def _check_rectangular(value: Any, label: str) -> None:
    if not isinstance(value, list):
        return
    if not value:
        raise DlstudyError(f"{label}: empty list")
    kinds = {isinstance(v, list) for v in value}
    if len(kinds) > 1:
        raise DlstudyError(f"{label}: mixes numbers and lists (a ragged array)")
    if kinds == {True}:
        lengths = [len(v) for v in value]
        if len(set(lengths)) > 1:
            raise DlstudyError(
                f"{label}: ragged rows with {', '.join(map(str, lengths))} entries; every row needs the same"
            )
        for v in value:
            _check_rectangular(v, label)


def _describe(value: Any) -> str:
    if isinstance(value, str):
        return f"the word '{value}'"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return repr(value)


def plural(n: int, word: str, words: str = "") -> str:
    """``"1 zero"``, ``"3 zeros"`` (``words`` for an irregular plural)."""
    return f"{n} {word if n == 1 else (words or word + 's')}"
