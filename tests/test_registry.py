"""The reference registry: parameter kinds, coercion and the errors users see."""

import json

import numpy as np
import pytest

from dlstudy.errors import DlstudyError
from dlstudy.reference import registry
from dlstudy.reference.registry import Solution, Step, reference


@reference(
    "test-affine", section="activations", summary="a·x + b (test only)", params_help={"a": "slope"}
)
def _affine(
    x: np.ndarray, a: float = 2.0, b: int = 0, clip: bool = False, mode: str = "plain"
) -> Solution:
    y = a * x + b
    if clip:
        y = np.maximum(y, 0)
    return Solution(y, [Step("a·x + b", y)])


def test_kinds_from_annotations():
    ref = registry.get("test-affine")
    assert [(p.name, p.kind, p.required) for p in ref.params] == [
        ("x", "array", True),
        ("a", "number", False),
        ("b", "integer", False),
        ("clip", "bool", False),
        ("mode", "word", False),
    ]
    assert ref.params[1].help == "slope"


def test_call_coerces_values():
    from fractions import Fraction

    sol = registry.call(
        "test-affine", {"x": [[1, -2]], "a": Fraction(1, 2), "b": 3.0, "clip": "yes"}
    )
    np.testing.assert_allclose(sol.result, [[3.5, 2.0]])


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        ({}, "missing required parameter"),
        ({"x": 1, "slope": 2}, "unknown parameter 'slope'"),
        ({"x": [[1, 2], [3]]}, "ragged"),
        ({"x": [1, "a"]}, "expected a number"),
        ({"x": 1, "b": 1.5}, "expected an integer"),
        ({"x": 1, "clip": "maybe"}, "expected true or false"),
        ({"x": 1, "a": [1, 2]}, "expected a number"),
        ({"x": 1, "mode": 3}, "expected a word"),
    ],
)
def test_bad_values(values, fragment):
    with pytest.raises(DlstudyError, match=fragment):
        registry.call("test-affine", values)


def test_unknown_function_suggests():
    with pytest.raises(DlstudyError, match="did you mean 'test-affine'"):
        registry.get("test-afine")


def test_suggestion_ignores_case():
    from dlstudy.errors import did_you_mean

    assert did_you_mean("S1", ["s0", "s1"]) == " (did you mean 's1'?)"  # difflib alone misses it
    assert did_you_mean("zzz", ["s0", "s1"]) == ""


# -- the lazy registry: a chapter is imported on the first use of one of its functions -------------


def test_the_manifest_is_in_sync_with_the_chapters():
    from dlstudy.reference import manifest

    built = manifest.build()  # imports every chapter
    assert manifest.entries() == built, (
        "dlstudy/reference/manifest.json is out of date: run `python -m dlstudy.reference.manifest`"
    )
    assert len(built) == len([f for f in registry.load_all().values() if f.name in built]) > 50


def _chapters_imported_by(code: str) -> list[str]:
    import subprocess
    import sys

    probe = (
        f"{code}\nimport json, sys\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('dlstudy.reference.')\n"
        "                        and m.rpartition('.')[2] not in ('registry', 'manifest'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_get_imports_only_the_chapter_that_defines_the_function():
    from dlstudy.reference import manifest

    code = "from dlstudy.reference import registry\nregistry.get('{name}')"
    for name in ("kl", "rnn_gradient_regime"):  # an underscore spelling finds the same function
        chapter = manifest.entries()[name.replace("_", "-")].module
        assert _chapters_imported_by(code.format(name=name)) == [f"dlstudy.reference.{chapter}"]


def test_a_name_the_manifest_does_not_know_is_looked_up_in_every_chapter(monkeypatch):
    from dlstudy.reference import manifest

    monkeypatch.setattr(manifest, "_entries", {})  # a function added since it was generated
    assert registry.get("kl").name == "kl"
    with pytest.raises(DlstudyError, match="did you mean 'kl'"):
        registry.get("klx")
