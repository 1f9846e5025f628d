"""Help that never swallows text and examples that run as printed.

Every command's help is rendered by typer through rich: a bracketed formula such as ``[a, b]`` would be
read as markup and vanish, and a hard line break inside a paragraph breaks the sentence wherever the
terminal is wider. Every line ``dlstudy ...`` that a help shows as an example is run here exactly as
printed (from an empty folder, with no input) and must succeed.
"""

from __future__ import annotations

import inspect
import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from dlstudy.app import app
from tests.conftest import dlstudy_cmd, subprocess_env


def _commands() -> list[tuple[list[str], Any]]:
    """(path, command) for the root, every command and every subcommand (click objects)."""
    from dlstudy.cli import load_commands

    load_commands([])  # every command (the CLI registers only the one it runs)

    root = typer.main.get_command(app)
    out: list[tuple[list[str], Any]] = [([], root)]

    def walk(group: Any, path: list[str]) -> None:
        for name, cmd in group.commands.items():
            out.append(([*path, name], cmd))
            if hasattr(cmd, "commands"):
                walk(cmd, [*path, name])

    walk(root, [])
    return out


COMMANDS = _commands()


def _texts(cmd: Any) -> list[str]:
    """The strings a command's help is made of: its help, epilog and every parameter's help."""
    texts = [inspect.cleandoc(cmd.help or ""), cmd.epilog or ""]
    texts += [getattr(p, "help", None) or "" for p in cmd.params if not getattr(p, "hidden", False)]
    return [t for t in texts if t]


def _help(path: list[str]) -> str:
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "300", "NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize(
    "path,cmd", COMMANDS, ids=lambda x: " ".join(x) if isinstance(x, list) else ""
)
def test_help_shows_every_word(path: list[str], cmd: Any) -> None:
    shown = re.sub(r"\s+", " ", _help(path))
    for text in _texts(cmd):
        for word in text.split():
            assert word in shown, f"dlstudy {' '.join(path)} --help lost {word!r} of {text!r}"


@pytest.mark.parametrize(
    "path,cmd", COMMANDS, ids=lambda x: " ".join(x) if isinstance(x, list) else ""
)
def test_help_paragraphs_have_no_hard_line_breaks(path: list[str], cmd: Any) -> None:
    """typer keeps a single newline of a later paragraph or an epilog: the sentence would break
    there at any terminal width. Write each paragraph on one line (blank lines separate them)."""
    paragraphs = inspect.cleandoc(cmd.help or "").split("\n\n")[1:] + (cmd.epilog or "").split(
        "\n\n"
    )
    for paragraph in paragraphs:
        assert "\n" not in paragraph.strip(), f"dlstudy {' '.join(path)}: {paragraph!r}"


def _examples() -> list[str]:
    lines = []
    for path, _ in COMMANDS:
        for line in _help(path).splitlines():
            m = re.match(r"\s*(?:Example:\s+)?(dlstudy\s.*?)\s*$", line.strip(" │"))
            if m and m.group(1) not in lines:
                lines.append(m.group(1))
    return lines


EXAMPLES = _examples()


def _marked(example: str):
    """The whole derivation catalogue takes 10-30 s and its per-claim time limit depends on the
    machine's load: it runs with the slow tests (pytest -m slow), every other example by default."""
    if shlex.split(example, comments=True)[1:] == ["verify"]:
        return pytest.param(example, marks=pytest.mark.slow)
    return example


def test_every_command_shows_an_example() -> None:
    shown = {shlex.split(e, comments=True)[1] for e in EXAMPLES}
    missing = [p[0] for p, _ in COMMANDS if len(p) == 1 and p[0] not in shown]
    assert not missing, f"no example in the help of: {missing}"


@pytest.mark.parametrize("example", [_marked(e) for e in EXAMPLES])
def test_help_example_runs_as_printed(example: str, tmp_path: Path) -> None:
    args = shlex.split(example, comments=True)
    proc = subprocess.run(
        [*dlstudy_cmd(), *args[1:]],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
        env=subprocess_env(DLSTUDY_HOME=str(tmp_path / "home"), COLUMNS="100"),
    )
    assert proc.returncode == 0, f"{example}\nstdout: {proc.stdout[-2000:]}\nstderr: {proc.stderr}"
    assert "error" not in proc.stderr.lower(), proc.stderr
