"""Where the student's data lives: ``$DLSTUDY_HOME`` when set, else the platform's user data folder."""

from __future__ import annotations

import os
from pathlib import Path

STORE_NAME = "progress.sqlite3"
HISTORY_NAME = "answer_history"


def data_home() -> Path:
    """The data folder (not created here)."""
    home = os.environ.get("DLSTUDY_HOME")
    if home:
        return Path(home).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("dlstudy", appauthor=False))


def store_path() -> Path:
    """The progress database file."""
    return data_home() / STORE_NAME


def history_path() -> Path:
    """The readline history of answers typed at the quiz prompt."""
    return data_home() / HISTORY_NAME
