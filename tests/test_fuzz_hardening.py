"""Fuzzing what issue 20's second round of probes found, beyond the parsers (tests/test_fuzz_parsers.py):
generator sizes in question templates, special files in --bank folders, option values, and damaged
rows in the progress store.

Each target gets only the domain error (or a warning for a template left out), never another
exception, within a CPU-time bound (``deadline`` of test_fuzz_parsers: ITIMER_PROF, not a wall-clock
goal). A few examples run in the default suite; ``pytest -m fuzz`` runs many.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlstudy.bank import generators
from dlstudy.bank.loader import load_bank
from dlstudy.cli import main
from tests.conftest import run_limited
from tests.test_fuzz_parsers import BASES, _document, deadline

ID = "cnn.corr-valid"
_SETTINGS = {"deadline": None, "database": None, "suppress_health_check": list(HealthCheck)}

# -- generator sizes: a load problem naming the field, never a hang -------------------------------

#: (type, required fields with small values): a generator of each type that loads.
_GENERATORS: dict[str, dict[str, Any]] = {
    "int": {"low": 0, "high": 3},
    "float": {"low": 0, "high": 1, "step": 0.25},
    "fraction": {"low": 0, "high": 1, "denominators": [2, 4]},
    "int_vector": {"n": 3, "low": 0, "high": 3},
    "int_matrix": {"shape": [2, 2], "low": 0, "high": 3},
    "float_vector": {"n": 3, "low": 0, "high": 1, "step": 0.5},
    "float_matrix": {"shape": [2, 2], "low": 0, "high": 1, "step": 0.5},
    "prob_vector": {"n": 3, "denominator": 8},
    "mdp": {"n_states": 2, "n_actions": 2},
    "gridworld": {"rows": 3, "cols": 3, "n_walls": 0},
    "layer_stack": {"n_layers": 3},
}
_HUGE = st.sampled_from([401, 10**3, 10**6, 10**9, 10**18, 2**63, -(10**9), 10**300, 1e308, 1e-300])


@st.composite
def big_generators(draw: st.DrawFn) -> tuple[str, str]:
    kind = draw(st.sampled_from(sorted(_GENERATORS)))
    spec = dict(_GENERATORS[kind], type=kind)
    for _ in range(draw(st.integers(1, 3))):
        key = draw(st.sampled_from([k for k in spec if k != "type"]))
        value = draw(_HUGE)
        if key == "shape":
            spec[key] = [draw(_HUGE), draw(st.sampled_from([1, 2, 10**6]))]
        elif key == "denominators":
            spec[key] = [value]
        else:
            spec[key] = value if not isinstance(spec[key], list) else [1, value]
    template = {
        "id": "f.big",
        "section": "convolution",
        "kind": "number",
        "prompt": "x = {x}?",
        "params": {"x": spec},
        "answer": {"function": "output-size", "args": {"n": 5, "k": 3}},
    }
    return kind, _document(template)


def _load_big(case: tuple[str, str]) -> None:
    kind, text = case
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "f.toml").write_text(text, encoding="utf-8")
        with deadline(f"loading a {kind} generator"):
            bank = load_bank([Path(folder)], builtin=False)
    if "f.big" not in bank.templates:  # left out: a problem that says so, on one short line
        assert any("f.big" in p for p in bank.problems), bank.problems
        assert all(len(p) < 500 for p in bank.problems), bank.problems


def _big_property(examples: int) -> None:
    @settings(max_examples=examples, **_SETTINGS)
    @given(big_generators())
    def run(case: tuple[str, str]) -> None:
        _load_big(case)

    run()


def test_large_generator_parameters_are_load_problems() -> None:
    _big_property(30)


@pytest.mark.fuzz
def test_fuzz_large_generator_parameters() -> None:
    _big_property(1500)


@pytest.mark.parametrize(("kind", "key"), sorted(generators.LIMITS))
def test_every_limit_is_a_load_problem_naming_the_field(
    kind: str, key: str, tmp_path: Path
) -> None:
    spec = dict(_GENERATORS[kind], type=kind)
    limit = generators.LIMITS[(kind, key)]
    spec[key] = [limit + 1] if key == "denominators" else limit + 1
    template = {
        "id": "f.big",
        "section": "convolution",
        "kind": "number",
        "prompt": "x = {x}?",
        "params": {"x": spec},
        "answer": {"function": "output-size", "args": {"n": 5, "k": 3}},
    }
    (tmp_path / "f.toml").write_text(_document(template), encoding="utf-8")
    bank = load_bank([tmp_path], builtin=False)
    assert "f.big" not in bank.templates
    assert any(f"params.x.{key}: {limit + 1:,} is more than {limit:,}" in p for p in bank.problems)


def test_a_reference_past_a_limit_is_refused_when_sampled() -> None:
    import numpy as np

    spec = {"type": "mdp", "n_states": "$n", "n_actions": 2}
    assert generators.check("m", spec, ["n"]) == []  # a $ref: known only once sampled
    with pytest.raises(generators.GeneratorError, match="n_states: 1,000,000 is more than 50"):
        generators.sample("m", spec, np.random.default_rng(0), {"n": 10**6})


# -- special files in a --bank folder: skipped with a warning, never read or waited on -------------


def _special(folder: Path, kind: str, name: str) -> None:
    path = folder / name
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "zero":
        path.symlink_to("/dev/zero")
    elif kind == "null":
        path.symlink_to("/dev/null")
    elif kind == "dir":
        path.mkdir()
    elif kind == "dangling":
        path.symlink_to(folder / "nowhere")
    elif kind == "loop":
        path.symlink_to(path)
    elif kind == "big":
        with open(path, "wb") as fh:
            fh.truncate(50_000_000)
    elif kind == "binary":
        path.write_bytes(bytes(range(256)) * 4)
    elif kind == "template":
        path.write_text(_document(BASES[0]), encoding="utf-8")


_KINDS = ["fifo", "zero", "null", "dir", "dangling", "loop", "big", "binary", "template"]


def _special_property(examples: int) -> None:
    @settings(max_examples=examples, **_SETTINGS)
    @given(st.lists(st.sampled_from(_KINDS), min_size=1, max_size=6))
    def run(kinds: list[str]) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            for i, kind in enumerate(kinds):
                _special(folder, kind, f"f{i}.toml")
            with deadline("loading a folder of special files"):
                bank = load_bank([folder], builtin=False)
            for i, kind in enumerate(kinds):  # each unreadable file is named, none vanishes
                if kind in ("fifo", "zero", "big", "binary"):
                    assert any(f"f{i}.toml" in p for p in bank.problems), (kinds, bank.problems)
            assert ("template" in kinds) == bool(bank.templates)

    run()


def test_special_files_in_a_bank_folder_are_skipped() -> None:
    _special_property(15)


@pytest.mark.fuzz
def test_fuzz_special_files_in_a_bank_folder() -> None:
    _special_property(300)


# -- option values: exit 0, 1 or 2, never an internal error -----------------------------------------
# (not ``bank lint --seeds``: a valid 1_000 lints every template a thousand times, long but no hang;
# its bound is a row of tests/test_cli_errors.py)

_OPTIONS: list[tuple[list[str], str]] = [
    (["quiz", "--n"], "1"),
    (["quiz", "--seed"], "1"),
    (["quiz", "--difficulty"], "1"),
    (["exam", "--minutes"], "1"),
    (["exam", "--n"], "1"),
    (["review", "--limit"], "1"),
    (["review", "--new"], "1"),
    (["plan", "--per-day"], "5"),
    (["bank", "show", ID, "--seed"], "1"),
    (["verify", "--claim", "x == x", "--timeout"], "1"),
    (["solve", "kl", "p=[1/2,1/2]", "q=[1/4,3/4]", "--tol"], "0.1"),
    (["rf", "conv(k=3)", "--answer"], "3"),
    (["check", f"{ID}:1", "--answer"], "1"),
]
_VALUES = st.one_of(
    st.sampled_from(
        [
            *("nan", "inf", "-inf", "1e308", "-1", "0", "10**30", str(10**30), "1" * 5000, ""),
            *(" ", "1e9", "0x10", "1_000", "١", "１", "\x1b[2J", "-0", "+1", "1.5", "501", "2**63"),
        ]
    ),
    st.text(max_size=12).filter(lambda t: "\x00" not in t),  # no process argument holds NUL
)


def _option_property(examples: int) -> None:
    @settings(max_examples=examples, **_SETTINGS)
    @given(st.sampled_from(_OPTIONS), _VALUES)
    def run(option: tuple[list[str], str], value: str) -> None:
        words, _ = option
        r = run_limited([*words, value], cpu_seconds=60, stdin="")
        assert r.returncode in (0, 1, 2, 3), (words, value, r.returncode, r.stderr[-500:])
        assert "Traceback" not in r.stderr and "internal error" not in r.stderr, r.stderr[-800:]
        assert "\x1b" not in r.stdout + r.stderr

    run()


@pytest.mark.fuzz
def test_fuzz_option_values() -> None:
    _option_property(150)


# -- damaged store rows: reported and skipped, never a crash ------------------------------------------

_COLUMNS: list[tuple[str, str]] = [
    ("attempts", "ts"),
    ("attempts", "correct"),
    ("attempts", "seed"),
    ("attempts", "score"),
    ("attempts", "seconds"),
    ("attempts", "template"),
    ("attempts", "section"),
    ("attempts", "answer"),
    ("cards", "card"),
    ("cards", "due"),
    ("review_log", "rating"),
    ("review_log", "ts"),
    ("sessions", "started"),
    ("sessions", "ended"),
]
_GARBAGE = st.one_of(
    st.sampled_from(["garbage", "{not json", "", "2024-13-45", "null", "[]", "{}", "1e999"]),
    st.text(max_size=30),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.binary(max_size=20),
    st.none(),
)


def _store(home: Path) -> None:
    from dlstudy.study.store import AttemptRecord, Store

    with Store(home / "progress.sqlite3") as store:
        for k in range(3):
            store.record(
                AttemptRecord(template=ID, section="convolution", seed=k, correct=bool(k % 2))
            )


def _damaged_property(examples: int) -> None:
    @settings(max_examples=examples, **_SETTINGS)
    @given(st.lists(st.tuples(st.sampled_from(_COLUMNS), _GARBAGE), min_size=1, max_size=3))
    def run(damage: list[tuple[tuple[str, str], Any]]) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            home = Path(tmp)
            _store(home)
            with sqlite3.connect(home / "progress.sqlite3") as conn:
                for (table, column), value in damage:
                    with contextlib.suppress(sqlite3.IntegrityError):  # NOT NULL: not damage
                        conn.execute(f"UPDATE {table} SET {column} = ?", (value,))
            old = os.environ.get("DLSTUDY_HOME")
            os.environ["DLSTUDY_HOME"] = str(home)
            try:
                for args in (["stats"], ["stats", "--json"], ["stats", "--check"]):
                    out, err = io.StringIO(), io.StringIO()
                    code = 0
                    with (
                        deadline(f"dlstudy {' '.join(args)} on a damaged store", 10),
                        contextlib.redirect_stdout(out),
                        contextlib.redirect_stderr(err),
                    ):
                        try:
                            main(args)
                        except SystemExit as exc:
                            code = exc.code if isinstance(exc.code, int) else 1
                    assert code in (0, 1, 2), (damage, args, code, err.getvalue()[-800:])
                    assert "internal error" not in err.getvalue(), (damage, err.getvalue())
                    if args == ["stats", "--json"] and code == 0:
                        json.loads(out.getvalue())
            finally:
                if old is None:
                    os.environ.pop("DLSTUDY_HOME", None)
                else:
                    os.environ["DLSTUDY_HOME"] = old
            from dlstudy.output import _consoles

            _consoles.clear()

    run()


def test_damaged_rows_keep_stats_working() -> None:
    _damaged_property(10)


@pytest.mark.fuzz
def test_fuzz_damaged_rows() -> None:
    _damaged_property(300)
