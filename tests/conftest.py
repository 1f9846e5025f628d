import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session", autouse=True)
def _bank_cache(tmp_path_factory):
    """One bank cache for the whole run (and the processes it starts), never the user's: keyed by
    contents, so tests cannot see each other's entries, only reuse the built-in bank's parse."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DLSTUDY_CACHE", str(tmp_path_factory.mktemp("dlstudy-cache")))
        yield


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
