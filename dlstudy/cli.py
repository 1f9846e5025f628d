"""Entry point: ``dlstudy`` and ``python -m dlstudy``.

Maps the domain error to a one-line message and exit code 2; ``DLSTUDY_DEBUG=1`` shows tracebacks.
"""

from __future__ import annotations

import importlib
import os
import sys

from dlstudy.app import app
from dlstudy.errors import DlstudyError

# Each module of dlstudy/commands registers its commands on ``app`` when imported, in this order
# (modules not listed come after, alphabetically). Keep them free of heavy imports.
_ORDER = (
    "quiz",
    "exam",
    "review",
    "plan",
    "stats",
    "topics",
    "check",
    "bank",
    "solve",
    "rf",
    "arch",
    "verify",
)


def _command_modules() -> list[str]:
    import pkgutil

    import dlstudy.commands as package

    names = [m.name for m in pkgutil.iter_modules(package.__path__) if not m.name.startswith("_")]
    return sorted(names, key=lambda n: (_ORDER.index(n) if n in _ORDER else len(_ORDER), n))


for _name in _command_modules():
    importlib.import_module(f"dlstudy.commands.{_name}")


def _fail(message: str, detail: str = "", code: int = 2) -> None:
    sys.stderr.write(f"dlstudy: error: {message}\n")
    if detail:
        sys.stderr.write(detail.rstrip("\n") + "\n")
    sys.stderr.flush()
    raise SystemExit(code)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; never show a traceback for bad input."""
    debug = bool(os.environ.get("DLSTUDY_DEBUG"))
    try:
        app(args=argv, prog_name="dlstudy")
    except DlstudyError as exc:
        if debug:
            raise
        _fail(exc.message, exc.detail, exc.exit_code)
    except KeyboardInterrupt:
        sys.stderr.write("\ninterrupted\n")
        raise SystemExit(130) from None
    except BrokenPipeError:
        # stdout closed early (piped into `head`): exit quietly; point stdout at devnull so the
        # interpreter's final flush does not fail again (the recipe of the Python docs on SIGPIPE)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise SystemExit(0) from None
    except Exception as exc:  # a bug in dlstudy, not bad input
        if debug:
            raise
        _fail(
            f"internal error ({type(exc).__name__}: {exc}); this is a bug in dlstudy. "
            "Rerun with DLSTUDY_DEBUG=1 to see the traceback.",
            code=70,
        )
