"""CLI conventions every command follows: help, version, exit codes, no traceback, lean start-up."""

import json
import subprocess
import sys

import pytest

from dlstudy import __version__
from tests.conftest import dlstudy_cmd, subprocess_env


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*dlstudy_cmd(), *args],
        capture_output=True,
        text=True,
        input=stdin,
        env=subprocess_env(),
        timeout=120,
    )


def test_help_has_example():
    r = run("--help")
    assert r.returncode == 0
    assert "Example" in r.stdout and "dlstudy" in r.stdout


def test_version_matches_package():
    r = run("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"dlstudy {__version__}"


def test_unknown_command_exit_2_without_traceback():
    r = run("frobnicate")
    assert r.returncode == 2
    assert "Traceback" not in r.stderr


def test_help_imports_no_heavy_modules():
    code = (
        "import sys\n"
        "from dlstudy.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('numpy', 'sympy', 'torch') if m in sys.modules]\n"
        "sys.stderr.write(repr(heavy))\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=subprocess_env()
    )
    assert r.stderr.strip().endswith("[]"), r.stderr


def test_the_quick_exit_keeps_the_exit_code_the_output_and_the_atexit_functions(tmp_path):
    """`dlstudy` leaves without tearing the interpreter down (cli.run): what Python's own exit does
    that can matter must still happen."""
    mark = tmp_path / "atexit-ran"
    code = (
        "import atexit, sys\n"
        f"atexit.register(lambda: open({str(mark)!r}, 'w').close())\n"
        "sys.argv = ['dlstudy', 'check', 'cnn.corr-valid:1', '--answer', '0 0 0; 0 0 0; 0 0 0',"
        " '--json']\n"
        "from dlstudy.cli import run\nrun()\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=subprocess_env()
    )
    assert r.returncode == 1, r.stderr  # a wrong answer
    assert json.loads(r.stdout)["correct"] is False  # all of stdout, flushed
    assert mark.exists()
    r = run("quizz")
    assert r.returncode == 2 and "No such command" in r.stderr


@pytest.mark.parametrize(
    ("args", "loaded"),
    [
        (["check", "cnn.corr-valid:1", "--answer", "0"], ["check"]),
        (["params", "conv(k=3)"], ["arch"]),
        (["bank", "list", "--json"], ["bank"]),
        (["--help"], "all"),
        (["quizz"], "all"),  # a misspelt command: every name, for "did you mean"
    ],
)
def test_a_command_loads_only_its_own_module(args, loaded):
    """typer builds every registered command at each start: `dlstudy NAME` registers NAME only."""
    import dlstudy.cli

    code = (
        "import json, sys\nfrom dlstudy.cli import main\n"
        f"try:\n    main({args!r})\nexcept SystemExit:\n    pass\n"
        "print(json.dumps(sorted(m.rpartition('.')[2] for m in sys.modules\n"
        "                        if m.startswith('dlstudy.commands.'))))\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=subprocess_env()
    )
    got = json.loads(r.stdout.strip().splitlines()[-1])
    assert got == (sorted(dlstudy.cli._command_modules()) if loaded == "all" else loaded)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["solve", "no-such-function"], "unknown function"),
        (["solve", "--list", "--section", "cnnn"], "unknown section"),
    ],
)
def test_solve_errors(args, fragment):
    r = run(*args)
    assert r.returncode == 2, r.stderr
    assert fragment in r.stderr and "Traceback" not in r.stderr
    assert r.stderr.startswith("dlstudy: error:")


def test_solve_list_json_is_one_object():
    r = run("solve", "--list", "--json")
    assert r.returncode == 0
    data = json.loads(r.stdout)
    assert isinstance(data["functions"], list)
    assert r.stderr == ""


@pytest.mark.parametrize("args", ["solve --list", "solve --list --json", "params resnet50"])
def test_reader_closing_the_pipe_is_not_an_error(args):
    """`dlstudy ... | head -1`: exit 0 and nothing on stderr (rich's own default would exit 1)."""
    cmd = " ".join(dlstudy_cmd()) + f" {args} | head -c 1 > /dev/null"
    r = subprocess.run(
        ["bash", "-o", "pipefail", "-c", cmd], capture_output=True, text=True, env=subprocess_env()
    )
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
