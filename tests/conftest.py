import os
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


#: A question template whose answer calls a function that does not exist.
BROKEN_TEMPLATE = """
[[template]]
id = "mine.bad"
section = "convolution"
kind = "number"
prompt = "?"
[template.answer]
function = "no-such-function"
"""


def pytest_configure(config: pytest.Config) -> None:
    """One bank cache for the whole run and every process it starts, never the user's: set before
    the test modules are imported, so that an environment one copies at import has it too. Entries
    are keyed by contents: tests cannot see each other's, only reuse the built-in bank's parse."""
    folder = tempfile.mkdtemp(prefix="dlstudy-test-cache-")
    config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))
    os.environ["DLSTUDY_CACHE"] = folder


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    """Every test gets its own progress store; nothing touches the real data folder."""
    monkeypatch.setenv("DLSTUDY_HOME", str(tmp_path / "dlstudy-home"))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("DLSTUDY_DEBUG", raising=False)


def dlstudy_cmd() -> list[str]:
    """The command that runs the installed CLI in a subprocess."""
    return [sys.executable, "-m", "dlstudy"]


def subprocess_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"NO_COLOR": "1", "COLUMNS": "100"})
    env.pop("DLSTUDY_DEBUG", None)
    env.update(extra)
    return env


def run_limited(
    args: list[str],
    *,
    cpu_seconds: int = 30,
    memory_bytes: int = 1_500_000_000,
    timeout: float = 120,
    stdin: str = "",
    **extra_env: str,
) -> subprocess.CompletedProcess:
    """``dlstudy ARGS`` in a subprocess limited to ``cpu_seconds`` of CPU time and ``memory_bytes``
    of address space (``resource`` limits: a runaway loop is killed, an unbounded read fails),
    with a wall-clock ``timeout`` only as a guard against blocking (a FIFO), far above the second
    or so a command takes."""

    def limits() -> None:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))

    return subprocess.run(
        [*dlstudy_cmd(), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=subprocess_env(**extra_env),
        timeout=timeout,
        preexec_fn=limits,
    )
