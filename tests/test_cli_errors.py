"""Every command and subcommand with wrong arguments: exit code 2, a message on stderr, no traceback.

Table-driven and in-process (``dlstudy.cli.main`` with captured output), which is what a subprocess
would see: typer's usage errors and the domain error both go to stderr with exit code 2. A few rows
are also run in a real subprocess to make sure the two agree.
"""

from __future__ import annotations

import json
import os
import resource
import sqlite3
import subprocess
from pathlib import Path

import pytest

from dlstudy.cli import main
from tests.conftest import BROKEN_TEMPLATE, dlstudy_cmd, run_limited, subprocess_env

ID = "cnn.corr-valid"
MISSING = "/nonexistent/dlstudy/nowhere"

#: (command words, why it is wrong). ``{tmp}`` is replaced by a folder holding bad files.
#: (``dlstudy solve`` without a name is not here: it lists the functions, like ``--list``.)
CASES: list[tuple[list[str], str]] = [
    # the root
    ([], "no command (help is the message)"),
    (["frobnicate"], "unknown command"),
    (["--frobnicate"], "unknown option"),
    (["quizz"], "misspelt command"),
    # quiz
    (["quiz", "--nope"], "unknown option"),
    (["quiz", "extra"], "unexpected argument"),
    (["quiz", "--n", "abc"], "--n not a number"),
    (["quiz", "--n", "0"], "--n zero"),
    (["quiz", "--n", "-3"], "--n negative"),
    (["quiz", "--difficulty", "7"], "difficulty out of range"),
    (["quiz", "--seed", "x"], "seed not a number"),
    (["quiz", "--section", "nosuchsection"], "unknown section"),
    (["quiz", "--bank", MISSING], "missing bank folder"),
    (["quiz", "--n"], "option without its value"),
    # exam
    (["exam", "--minutes", "abc"], "minutes not a number"),
    (["exam", "--minutes", "-1"], "negative minutes"),
    (["exam", "--minutes", "0"], "zero minutes"),
    (["exam", "--n", "0"], "--n zero"),
    (["exam", "--section", "nosuchsection"], "unknown section"),
    (["exam", "--difficulty", "0"], "difficulty out of range"),
    (["exam", "--bank", MISSING], "missing bank folder"),
    # review
    (["review", "--limit", "-1"], "negative limit"),
    (["review", "--limit", "x"], "limit not a number"),
    (["review", "--new", "-2"], "negative new"),
    (["review", "--section", "nosuchsection"], "unknown section"),
    (["review", "--bank", MISSING], "missing bank folder"),
    # plan
    (["plan", "--exam-date", "someday"], "malformed exam date"),
    (["plan", "--exam-date", "2001-01-01"], "exam date in the past"),
    (["plan", "--per-day", "abc"], "per-day not a number"),
    (["plan", "--per-day", "0"], "per-day zero"),
    (["plan", "--clear", "--per-day", "3"], "clear with another option"),
    (["plan", "--bogus"], "unknown option"),
    # stats
    (["stats", "--bogus"], "unknown option"),
    (["stats", "--repair"], "--repair without --check"),
    (["stats", "--export", f"{MISSING}/progress.csv"], "export into a missing folder"),
    (["stats", "--export", "{tmp}/progress.xlsx"], "export format unknown"),
    (["stats", "--bank", MISSING], "missing bank folder"),
    # topics
    (["topics", "--bogus"], "unknown option"),
    (["topics", "--bank", MISSING], "missing bank folder"),
    # check
    (["check"], "missing id"),
    (["check", ID], "missing --answer"),
    (["check", "cnn.nosuch", "--answer", "1"], "unknown template"),
    (["check", f"{ID}:abc", "--answer", "1"], "seed not a number"),
    (["check", ID, "--seed", "x", "--answer", "1"], "--seed not a number"),
    (["check", ID, "--answer", ""], "empty answer"),
    (["check", ID, "--answer", "1 2; 3"], "ragged matrix"),
    (["check", ID, "--answer", "__import__('os')"], "hostile answer"),
    (["check", ID, "--answer", "1", "--bank", MISSING], "missing bank folder"),
    (["check", ID, "--answer", "1", "--bank", "{tmp}/broken.toml"], "broken template file"),
    # bank
    (["bank"], "no subcommand (help is the message)"),
    (["bank", "frob"], "unknown subcommand"),
    (["bank", "list", "--difficulty", "9"], "difficulty out of range"),
    (["bank", "list", "--section", "nosuchsection"], "unknown section"),
    (["bank", "list", "--bank", MISSING], "missing bank folder"),
    (["bank", "show"], "missing id"),
    (["bank", "show", "cnn.nosuch"], "unknown template"),
    (["bank", "show", ID, "--seed", "x"], "seed not a number"),
    (["bank", "lint", "--seeds", "0"], "zero seeds"),
    (["bank", "lint", "--seeds", "abc"], "seeds not a number"),
    (["bank", "lint", "--file", MISSING], "missing file"),
    (["bank", "lint", "--bank", MISSING], "missing bank folder"),
    # solve
    (["solve", "no-such-function"], "unknown function"),
    (["solve", "kl", "p"], "argument without ="),
    (["solve", "kl", "p=[1,", "q=[1]"], "bad JSON"),
    (["solve", "kl", "p=[1/2,1/2]", "q=[1/4,3/4]", "zz=1"], "unknown parameter"),
    (["solve", "kl", "p=[1/2,1/2]"], "missing parameter"),
    (["solve", "kl", "p=[1/2,1/2]", "q=[1/4,3/4]", "--tol", "abc"], "tolerance not a number"),
    (["solve", "kl", "p=[1/2,1/2]", "q=[1/4,3/4]", "--answer", "(("], "unreadable answer"),
    (["solve", "kl", f"p=@{MISSING}.json", "q=[1/4,3/4]"], "missing @file"),
    (["solve", "kl", "p=@{tmp}/bad.json", "q=[1/4,3/4]"], "bad JSON file"),
    (["solve", "kl", "p=[NaN, 1]", "q=[1/4,3/4]"], "NaN value"),
    (["solve", "sigmoid", "x=__import__('os')"], "hostile value"),
    (["solve", "--list", "--section", "nosuchsection"], "unknown section"),
    (["solve", "value-iteration", "mdp=@{tmp}/bad-mdp.json", "sweeps=1"], "invalid MDP file"),
    # rf / params
    (["rf"], "missing spec"),
    (["rf", "conv(k=0)"], "kernel 0"),
    (["rf", "conv(k=3"], "unclosed bracket"),
    (["rf", "frobnet"], "unknown layer or preset"),
    (["rf", "conv(k=3)", "--answer", "abc"], "unreadable answer"),
    (["rf", "{tmp}/empty.txt"], "empty spec file"),
    (["rf", "resnet50", "--bogus"], "unknown option"),
    (["params"], "missing spec"),
    (["params", "input(c=3,h=4,w=4), conv(c=8,k=7)"], "kernel larger than input"),
    (["params", "conv(c=8,k=3,s=0)"], "stride 0"),
    (["params", "input(t=5,f=3), conv(c=8,k=3)"], "conv on a sequence"),
    (["params", "vgg16", "--answer", "12x"], "unreadable answer"),
    (["params", "fc(n=10), input(c=3,h=8,w=8)"], "input not first"),
    # verify
    (["verify", "no.such.claim"], "unknown claim"),
    (["verify", "--section", "nosuchsection"], "unknown section"),
    (["verify", "--claim", "x =="], "unfinished claim"),
    (["verify", "--claim", "__import__('os') == 1"], "hostile claim"),
    (["verify", "--claim", "9**9**9**9 == 1"], "huge power"),
    (["verify", "--bogus"], "unknown option"),
]


@pytest.fixture
def bad_files(tmp_path: Path) -> Path:
    (tmp_path / "broken.toml").write_text('[[template]]\nid = "x\n', encoding="utf-8")
    (tmp_path / "bad.json").write_text("[0.5, 0.5", encoding="utf-8")
    (tmp_path / "bad-mdp.json").write_text('{"states": ["a"], "gamma": 2}', encoding="utf-8")
    (tmp_path / "empty.txt").write_text("# nothing but a comment\n", encoding="utf-8")
    return tmp_path


def _fill(args: list[str], folder: Path) -> list[str]:
    return [a.replace("{tmp}", str(folder)) for a in args]


def run_in_process(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(("args", "why"), CASES, ids=[f"{' '.join(a)}|{w}" for a, w in CASES])
def test_wrong_arguments_exit_2_with_a_message(
    args: list[str], why: str, bad_files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_in_process(_fill(args, bad_files), capsys)
    assert "Traceback" not in err and "Traceback" not in out
    assert "internal error" not in err, err
    assert code == 2, f"{why}: exit {code}\nstdout: {out[-500:]}\nstderr: {err[-500:]}"
    if "help is the message" in why:
        assert "Usage" in out + err
    else:
        assert err.strip(), f"{why}: no message on stderr"


@pytest.mark.parametrize(
    "args",
    [
        ["quiz", "--n", "abc"],
        ["check", "cnn.nosuch", "--answer", "1"],
        ["solve", "kl", "p=[1,"],
        ["rf", "conv(k=3"],
        ["verify", "--claim", "x =="],
    ],
)
def test_a_real_process_agrees(args: list[str]) -> None:
    r = subprocess.run(
        [*dlstudy_cmd(), *args], capture_output=True, text=True, env=subprocess_env(), timeout=60
    )
    assert r.returncode == 2, r.stderr
    assert r.stderr.strip() and "Traceback" not in r.stderr


# -- special files in --bank folders (issue 20) ----------------------------------------------------
# In a real process under resource limits (CPU time, address space): a FIFO must not block, a link
# to /dev/zero must not be read, a 200 MB file must be refused without being read whole, `--bank /`
# must not walk the whole disk, and a broken template must be named, once, never vanish silently.

#: (command words, stdin, exit code, what stderr says). ``{x}`` is a folder holding the file ``x``.
SPECIAL_BANKS: list[tuple[list[str], str, int, list[str]]] = [
    (["bank", "list", "--bank", "{fifo}"], "", 0, ["f.toml: not a regular file (a FIFO)"]),
    (["quiz", "--n", "1", "--seed", "1", "--bank", "{zero}"], "q\n", 0, ["a character device"]),
    (
        ["bank", "show", ID, "--bank", "{big}"],
        "",
        0,
        ["big.toml: file too large (more than 2,000,000 bytes)"],
    ),
    (
        ["check", f"{ID}:1", "--answer", "1 2; 3 4", "--bank", "{broken}"],
        "",
        1,  # a well-formed answer of the wrong size is graded wrong
        ["mine.bad: answer.function: unknown function 'no-such-function'"],
    ),
    (
        ["quiz", "--n", "1", "--seed", "1", "--bank", "{broken}"],
        "q\n",
        0,
        ["mine.bad: answer.function: unknown function 'no-such-function'"],
    ),
    (
        ["bank", "list", "--bank", "{broken}"],
        "",
        0,
        ["mine.bad: answer.function: unknown function 'no-such-function'"],
    ),
    (
        ["check", "mine.bad:1", "--answer", "1", "--bank", "{broken}"],
        "",
        2,
        ["unknown function 'no-such-function'", "template 'mine.bad' could not be loaded"],
    ),
    # Which limit `/` meets first depends on the machine's disk: either says to give the folder.
    (["bank", "list", "--bank", "/"], "", 2, ["--bank /: ", "give the folder that holds your"]),
    (["bank", "list", "--bank", "{deep}"], "", 2, ["folders nested more than 16 levels deep"]),
    (["bank", "list", "--bank", "{loop}"], "", 0, ["x.toml: cannot read: Too many levels"]),
    (["bank", "lint", "--file", "{fifo}/f.toml"], "", 2, ["is not a file"]),
]


@pytest.fixture
def special_banks(tmp_path: Path) -> dict[str, Path]:
    folders = {name: tmp_path / name for name in ("fifo", "zero", "big", "broken", "deep", "loop")}
    for folder in folders.values():
        folder.mkdir()
    folders["deep"].joinpath(*["d"] * 17).mkdir(parents=True)
    (folders["loop"] / "x.toml").symlink_to("x.toml")  # a link loop is told, not skipped
    os.mkfifo(folders["fifo"] / "f.toml")
    (folders["zero"] / "z.toml").symlink_to("/dev/zero")
    with open(folders["big"] / "big.toml", "wb") as fh:
        fh.truncate(200_000_000)  # sparse: no disk used
    (folders["broken"] / "b.toml").write_text(BROKEN_TEMPLATE, encoding="utf-8")
    return folders


@pytest.mark.parametrize(
    ("args", "stdin", "code", "says"),
    SPECIAL_BANKS,
    ids=[" ".join(a) for a, *_ in SPECIAL_BANKS],
)
def test_special_files_in_a_bank_folder(
    args: list[str], stdin: str, code: int, says: list[str], special_banks: dict[str, Path]
) -> None:
    filled = [a.format(**special_banks) if "{" in a else a for a in args]
    r = run_limited(filled, stdin=stdin)
    assert r.returncode == code, f"exit {r.returncode}\n{r.stderr[-1000:]}"
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr
    lines = r.stderr.strip().splitlines()
    for fragment in says:
        assert sum(fragment in line for line in lines) == 1, r.stderr  # one line, told once
    warnings = [line for line in lines if line.startswith("dlstudy: warning: ")]
    assert all(line.endswith("(left out)") for line in warnings), r.stderr
    errors = [line for line in lines if not line.startswith("dlstudy: warning: ")]
    assert len(errors) == (1 if code == 2 else 0), r.stderr


def test_the_builtin_bank_is_silent() -> None:
    r = run_limited(["check", f"{ID}:3", "--answer", "1 2 3; 4 5 6; 7 8 9"])
    assert r.returncode in (0, 1) and r.stderr == ""


# -- the progress store and study sessions under hostile input (issue 20) ---------------------------
#
# Each row runs the real CLI in a subprocess under CPU-time and address-space limits (``resource``),
# so a hang or a memory blow-up fails the row instead of the machine: no wall-clock goal.

CPU_SECONDS = 60  # far above the second or two each row needs
ADDRESS_SPACE = 1 << 30  # 1 GiB: the quiz on the real bank needs well under 100 MB resident


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def _foreign(home: Path) -> None:
    with sqlite3.connect(home / "progress.sqlite3") as conn:
        conn.execute("CREATE TABLE recipes (name TEXT)")


def _garbage(home: Path) -> None:
    (home / "progress.sqlite3").write_bytes(b"garbage" * 2000)


def _damaged_rows(home: Path) -> None:
    from dlstudy.study.store import AttemptRecord, Store

    with Store(home / "progress.sqlite3") as store:
        for k in range(3):
            store.record(AttemptRecord(template=ID, section="convolution", seed=k, correct=True))
    with sqlite3.connect(home / "progress.sqlite3") as conn:
        conn.execute("UPDATE cards SET card = '{not json'")
        conn.execute("UPDATE attempts SET ts = 'garbage' WHERE id = 2")


#: (why, setup of the data folder, arguments, stdin, exit code, the message, where it is).
#: ``stdin`` None is /dev/null; "zero" is /dev/zero.
STORE_CASES: list[tuple[str, object, list[str], object, int, str, str]] = [
    (
        "seed too large for SQLite",
        None,
        ["quiz", "--seed", str(10**30)],
        None,
        2,
        "--seed must be",
        "err",
    ),
    (
        "a seed of 4,299 digits is told by its length, not echoed",
        None,
        ["quiz", "--seed", "9" * 4299],
        None,
        2,
        "not a number of 4,299 digits",
        "err",
    ),
    ("minutes inf", None, ["exam", "--minutes", "inf"], None, 2, "--minutes must be", "err"),
    ("minutes 1e308", None, ["exam", "--minutes", "1e308"], None, 2, "--minutes must be", "err"),
    ("minutes nan", None, ["exam", "--minutes", "nan"], None, 2, "--minutes must be", "err"),
    ("minutes 0", None, ["exam", "--minutes", "0"], None, 2, "--minutes must be", "err"),
    ("minutes -1", None, ["exam", "--minutes", "-1"], None, 2, "--minutes must be", "err"),
    ("quiz --n 20000", None, ["quiz", "--n", "20000"], None, 2, "--n must be at most 500", "err"),
    ("quiz --n 10^9", None, ["quiz", "--n", "1000000000"], None, 2, "at most 500", "err"),
    ("exam --n 10^9", None, ["exam", "--n", "1000000000"], None, 2, "at most 500", "err"),
    (
        "review --limit 10^9",
        None,
        ["review", "--limit", "1000000000"],
        None,
        2,
        "at most 500",
        "err",
    ),
    ("review --new 10^9", None, ["review", "--new", "1000000000"], None, 2, "at most 500", "err"),
    ("piped /dev/zero", None, ["quiz"], "zero", 0, "longer than 16,384 bytes", "out"),
    (
        "over-long line, then on",
        None,
        ["quiz", "--n", "1"],
        "x" * 40000 + "\ns\n",
        0,
        "Solution shown",
        "out",
    ),
    ("foreign SQLite file", _foreign, ["stats"], None, 2, "another application's database", "err"),
    ("foreign SQLite file, quiz", _foreign, ["quiz"], None, 2, "Nothing was changed", "err"),
    ("damaged file", _garbage, ["stats"], None, 2, "it is damaged", "err"),
    ("damaged rows: stats", _damaged_rows, ["stats"], None, 0, "skipped a damaged row", "err"),
    (
        "damaged rows: stats --json",
        _damaged_rows,
        ["stats", "--json"],
        None,
        0,
        "stats --check",
        "err",
    ),
    (
        "damaged rows: quiz stores",
        _damaged_rows,
        ["quiz", "--n", "1"],
        "s\n",
        0,
        "counted as not known",
        "out",
    ),
    (
        "damaged rows: check",
        _damaged_rows,
        ["stats", "--check"],
        None,
        1,
        "is not a timestamp",
        "out",
    ),
]


@pytest.mark.parametrize(
    ("why", "setup", "args", "stdin", "code", "message", "where"),
    STORE_CASES,
    ids=[c[0] for c in STORE_CASES],
)
def test_store_and_session_probes(tmp_path, why, setup, args, stdin, code, message, where):
    home = tmp_path / "home"
    home.mkdir()
    if setup is not None:
        setup(home)
    before = (home / "progress.sqlite3").read_bytes() if setup is _foreign else None
    env = subprocess_env(DLSTUDY_HOME=str(home), OPENBLAS_NUM_THREADS="1", COLUMNS="80")
    if stdin == "zero":
        source = open("/dev/zero", "rb")
    elif stdin is None:
        source = subprocess.DEVNULL
    else:
        source = subprocess.PIPE
    try:
        r = subprocess.run(
            [*dlstudy_cmd(), *args],
            input=None if source is not subprocess.PIPE else str(stdin).encode(),
            stdin=None if source is subprocess.PIPE else source,
            capture_output=True,
            env=env,
            preexec_fn=_limited,
            timeout=10 * CPU_SECONDS,  # a hang guard only: the CPU limit ends a busy loop
        )
    finally:
        if stdin == "zero":
            source.close()
    out, err = r.stdout.decode(), r.stderr.decode()
    assert "Traceback" not in err and "internal error" not in err, err
    assert r.returncode == code, f"{why}: exit {r.returncode}\n{err[-800:]}"
    assert message in (err if where == "err" else out), (out[-800:], err[-800:])
    if code == 2:
        first = err.splitlines()[0]
        assert first.startswith("dlstudy: error: ") and message in err
    warnings = [ln for ln in err.splitlines() if ln.startswith("dlstudy: warning:")]
    assert len(warnings) <= 1  # a damaged store is reported once, not once per row
    if setup is _foreign:  # refused untouched: not one byte changed, no table added, no backup
        assert (home / "progress.sqlite3").read_bytes() == before
        assert sorted(p.name for p in home.iterdir()) == ["progress.sqlite3"]
    if why == "damaged rows: quiz stores":
        with sqlite3.connect(home / "progress.sqlite3") as conn:
            assert conn.execute("SELECT COUNT(*) FROM attempts").fetchone()[0] == 4
    if setup is _garbage:  # one backup per damaged file, not one per run
        again = subprocess.run(
            [*dlstudy_cmd(), *args], capture_output=True, env=env, preexec_fn=_limited, timeout=600
        )
        assert again.returncode == 2 and b"made on an earlier run" in again.stderr
        assert len(list(home.glob("progress.sqlite3.damaged-*.bak"))) == 1


# -- every probe of issue 20's second round ----------------------------------------------------------
#
# Each row runs the real CLI in a subprocess under an RLIMIT_CPU and RLIMIT_AS limit (``run_limited``
# of conftest): a hang is killed by the CPU limit and a blow-up fails its allocation, so the row
# fails instead of the machine. The rows of earlier sections (special files in --bank folders, the
# progress store, --seed, --minutes, --n, piped lines) are not repeated; the full disk and read-only
# folder (tests/test_study_store.py) and kill -9 sessions (tests/test_study_cli.py) need a terminal or a
# private mount and live there.

_ZEROS = "1" + "0" * 5000
_TB = "Traceback (most recent call last)"

_MDP_TEMPLATE = """
[[template]]
id = "mine.mdp"
section = "dp"
kind = "number"
prompt = "Bellman backup of s0?"
[template.params]
mdp = { type = "mdp", n_states = 1000000, n_actions = 1000 }
[template.answer]
function = "bellman-backup"
args = { mdp = "$mdp", values = [0, 0], state = "s0" }
"""

_ESCAPE_TEMPLATE = """
[[template]]
id = "mine.esc"
section = "convolution"
kind = "number"
prompt = "Size? \\u001b]0;pwned\\u0007\\u001b[2J"
[template.params]
n = { type = "int", low = 3, high = 5 }
[template.answer]
function = "output-size"
args = { n = "$n", k = 3 }
"""

_BIG_INT_TEMPLATE = f"""
[[template]]
id = "mine.big"
section = "convolution"
kind = "number"
prompt = "n = {{n}}"
[template.params]
n = {{ type = "int", low = 1, high = {_ZEROS} }}
[template.answer]
function = "output-size"
args = {{ n = "$n", k = 1 }}
"""


@pytest.fixture
def probe_files(tmp_path: Path) -> dict[str, Path]:
    from tests.test_grading_feedback import ATTRIBUTE_REF

    folders = {n: tmp_path / n for n in ("mdp", "esc", "attr", "bigint", "fifo", "spec")}
    for folder in folders.values():
        folder.mkdir()
    (folders["mdp"] / "m.toml").write_text(_MDP_TEMPLATE, encoding="utf-8")
    (folders["esc"] / "e.toml").write_text(_ESCAPE_TEMPLATE, encoding="utf-8")
    (folders["attr"] / "h.toml").write_text(ATTRIBUTE_REF, encoding="utf-8")
    (folders["bigint"] / "b.toml").write_text(_BIG_INT_TEMPLATE, encoding="utf-8")
    os.mkfifo(folders["fifo"] / "x.toml")
    with open(folders["spec"] / "spec.txt", "wb") as fh:
        fh.truncate(200_000_000)  # sparse
    m1000 = [[(i * 7 + j * 3) % 9 for j in range(1000)] for i in range(1000)]
    (tmp_path / "m1000.json").write_text(json.dumps(m1000), encoding="utf-8")
    (tmp_path / "k3.json").write_text("[[1,0,-1],[1,0,-1],[1,0,-1]]", encoding="utf-8")
    (tmp_path / "digits.json").write_text(f"[1, {'1' * 4400}]", encoding="utf-8")
    (tmp_path / "boxes.json").write_text(
        json.dumps([[i, i, i + 5, i + 5] for i in range(3000)]), encoding="utf-8"
    )
    (tmp_path / "scores.json").write_text(json.dumps([i / 3000 for i in range(3000)]))
    return {**folders, "tmp": tmp_path}


#: (why, command words, exit code, what stderr says; "" for nothing at all). ``{name}`` is a path of
#: ``probe_files``; stdin is empty.
PROBES: list[tuple[str, list[str], int, str]] = [
    # hangs and memory blow-ups
    (
        "nested repeats, a million layers",
        ["rf", "1000*[residual(1000*[conv(k=1)])]"],
        2,
        "more than 20,000 once the repeats are expanded",
    ),
    (
        "nested repeats, 81 million layers",
        ["rf", "9000*[9000*[conv(k=1)]]"],
        2,
        "more than 20,000 once the repeats are expanded",
    ),
    (
        "nested repeats in params",
        ["params", "9000*[residual(9000*[conv(k=1)])]"],
        2,
        "more than 20,000 once the repeats are expanded",
    ),
    (
        "mdp generator: bank list",
        ["bank", "list", "--bank", "{mdp}"],
        0,
        "params.mdp.n_states: 1,000,000 is more than 50, the limit",
    ),
    (
        "mdp generator: quiz",
        ["quiz", "--n", "1", "--section", "dp", "--bank", "{mdp}"],
        0,
        "params.mdp.n_states: 1,000,000 is more than 50, the limit",
    ),
    (
        "mdp generator: show",
        ["bank", "show", "mine.mdp", "--bank", "{mdp}"],
        2,
        "params.mdp.n_states: 1,000,000 is more than 50",
    ),
    (
        "mdp generator: check",
        ["check", "mine.mdp:1", "--answer", "1", "--bank", "{mdp}"],
        2,
        "params.mdp.n_states: 1,000,000 is more than 50",
    ),
    (
        "mdp generator: lint",
        ["bank", "lint", "--file", "{mdp}/m.toml"],
        1,
        "",
    ),
    (
        "Abs of a costly number",
        ["verify", "--claim", "Abs(sin(exp(exp(20)))) == 0", "--timeout", "2"],
        3,
        "",
    ),
    ("a costly power", ["verify", "--claim", "x**sin(exp(exp(20))) == 1", "--timeout", "2"], 3, ""),
    ("relu of a costly number", ["verify", "--claim", "relu(sin(exp(exp(20)))) == 0"], 3, ""),
    ("sign of a costly number", ["verify", "--claim", "sign(cos(exp(exp(20)))) == 1"], 3, ""),
    ("a power that overflows", ["verify", "--claim", "x**exp(exp(exp(exp(10)))) == 1"], 3, ""),
    (
        "a FIFO in the bank folder: quiz",
        ["quiz", "--n", "1", "--bank", "{fifo}"],
        0,
        "x.toml: not a regular file (a FIFO)",
    ),
    (
        "a 200 MB spec file",
        ["rf", "{spec}/spec.txt"],
        2,
        "file too large (more than 1,000,000 bytes)",
    ),
    (
        "solve conv2d of 1000×1000",
        ["solve", "conv2d", "input=@{tmp}/m1000.json", "kernel=@{tmp}/k3.json", "--steps"],
        0,
        "",
    ),
    # internal errors (exit 70) before
    (
        "5,000-digit channels",
        ["rf", f"conv(c={_ZEROS},k=3)"],
        2,
        "1:8: 'c' must be an integer of at most 18 digits",
    ),
    (
        "5,000-digit repeat",
        ["rf", f"{_ZEROS}*conv(k=3)"],
        2,
        "more than 20,000 once the repeats are expanded",
    ),
    (
        "a count too long to print",
        ["params", "input(c=3,h=8,w=8), 900*convt(c=999999999999999999,k=1,s=999999999999999999)"],
        2,
        "grow past 100 digits",
    ),
    (
        "a 4,400-digit integer in JSON",
        ["solve", "sigmoid", "x=@{tmp}/digits.json"],
        2,
        "an integer of 4,400 digits",
    ),
    (
        "a 5,000-digit integer in a template",
        ["bank", "list", "--bank", "{bigint}"],
        0,
        "TOML error at line 8, column 37: an integer of 5,001 digits",
    ),
    ("--timeout nan", ["verify", "--claim", "x == x", "--timeout", "nan"], 2, "--timeout must be"),
    (
        "--timeout 1e308",
        ["verify", "--claim", "x == x", "--timeout", "1e308"],
        2,
        "--timeout must be",
    ),
    ("--timeout 1e9", ["verify", "--claim", "x == x", "--timeout", "1e9"], 2, "--timeout must be"),
    ("--timeout -1", ["verify", "--claim", "x == x", "--timeout", "-1"], 2, "--timeout must be"),
    (
        "NMS of 3,000 boxes",
        ["solve", "nms", "boxes=@{tmp}/boxes.json", "scores=@{tmp}/scores.json"],
        2,
        "at most 2,000 boxes",
    ),
    (
        "bank lint --seeds 10^30 (found by the option fuzz)",
        ["bank", "lint", "--seeds", str(10**30)],
        2,
        "--seeds must be from 1 to 10,000",
    ),
    # messages
    ("escape sequences in a prompt: lint", ["bank", "lint", "--file", "{esc}/e.toml"], 1, ""),
    (
        "escape sequences in --answer",
        ["check", f"{ID}:1", "--answer", "\x1b]0;pwned\x07\x1b[2J"],
        2,
        "control character",
    ),
    (
        "$input.__class__ in a template",
        ["check", "h.attr:0", "--answer", "1", "--bank", "{attr}"],
        2,
        "answer.args.input",
    ),
    (
        "an answer x/({a}-{a})",
        ["check", "h.undefined:0", "--answer", "x", "--bank", "{attr}"],
        2,
        "undefined",
    ),
    ("rf of a folder", ["rf", "{tmp}"], 2, "not a regular file (a folder)"),
    ("softmax of 1e308: no numpy warning", ["solve", "softmax", "x=[1e308,1e308]"], 0, ""),
    (
        "box-decode that overflows",
        ["solve", "box-decode", "proposal=[0,0,10,10]", "deltas=[0,0,1000,0]"],
        2,
        "deltas is too large (up to 1000)",
    ),
]


@pytest.mark.parametrize(("why", "args", "code", "says"), PROBES, ids=[p[0] for p in PROBES])
def test_every_probe_of_the_second_round(
    why: str, args: list[str], code: int, says: str, probe_files: dict[str, Path]
) -> None:
    filled = [a.format(**probe_files) if "{" in a else a for a in args]
    r = run_limited(filled, cpu_seconds=60, memory_bytes=1_500_000_000)
    err = r.stderr
    assert _TB not in err and "internal error" not in err, err[-1500:]
    assert r.returncode == code, f"{why}: exit {r.returncode}\n{err[-1500:]}"
    assert "\x1b" not in r.stdout + err  # no escape sequence reaches the terminal
    if says:
        assert says in err, err[-1500:]
    elif code != 1:
        assert "RuntimeWarning" not in err and err.strip() == "", err[-1500:]
    if code == 2:
        assert err.startswith("dlstudy: error: ") or err.startswith("dlstudy: warning: "), err
        assert len([ln for ln in err.splitlines() if ln.startswith("dlstudy: error: ")]) == 1
    if why.startswith("solve conv2d"):  # every product once written out: the output stays small
        assert len(r.stdout) < 50_000, len(r.stdout)


@pytest.mark.parametrize(
    "args",
    [
        ["rf", "conv(k=0)"],
        ["quiz", "--n", "0"],
        ["solve", "kl", "p=[1,"],
        ["verify", "--claim", "x =="],
    ],
)
def test_debug_keeps_exit_code_2_and_shows_the_traceback(args: list[str]) -> None:
    plain = run_limited(args)
    debug = run_limited(args, DLSTUDY_DEBUG="1")
    assert plain.returncode == debug.returncode == 2, debug.stderr
    assert _TB not in plain.stderr
    if args[0] != "quiz":  # a usage error of the option parser has no dlstudy traceback
        assert _TB in debug.stderr
        assert debug.stderr.endswith(plain.stderr)  # the same message, after the traceback
