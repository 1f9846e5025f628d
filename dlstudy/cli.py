"""Entry point: ``dlstudy`` and ``python -m dlstudy`` (:func:`run`); :func:`main` for a caller that
stays (tests).

Maps the domain error to a one-line message and exit code 2; ``DLSTUDY_DEBUG=1`` shows the traceback
first (on stderr), with the same message and exit code.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import NoReturn

from dlstudy.app import app
from dlstudy.errors import DlstudyError

# Each module of dlstudy/commands registers its commands on ``app`` when imported; they are listed in
# this order (modules not listed come after, alphabetically). Keep them free of heavy imports.
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
#: Commands defined in a module of another name (any other lives in dlstudy/commands/<name>.py).
_MODULE_OF = {"rf": "arch", "params": "arch"}


def _command_modules() -> list[str]:
    folder = os.path.dirname(importlib.import_module("dlstudy.commands").__file__ or "")
    names = [n[:-3] for n in os.listdir(folder) if n.endswith(".py") and not n.startswith("_")]
    return sorted(names, key=lambda n: (_ORDER.index(n) if n in _ORDER else len(_ORDER), n))


def load_commands(argv: list[str]) -> None:
    """Register the commands on ``app``: for ``dlstudy NAME ...`` only the module of NAME (typer
    builds every registered command at each start), else all of them (help, a misspelt name)."""
    modules = _command_modules()
    word = argv[0] if argv and not argv[0].startswith("-") else ""
    module = _MODULE_OF.get(word, word)
    for name in [module] if module in modules else modules:
        importlib.import_module(f"dlstudy.commands.{name}")
    rank = {name: i for i, name in enumerate(modules)}
    app.registered_commands.sort(  # the order of _ORDER, however they were imported
        key=lambda c: rank.get(getattr(c.callback, "__module__", "").rpartition(".")[2], len(rank))
    )


def _fail(message: str, detail: str = "", code: int = 2) -> None:
    from dlstudy.bank.render import safe  # every error line: no escape sequence it echoes runs

    sys.stderr.write(f"dlstudy: error: {safe(message)}\n")
    if detail:
        sys.stderr.write(safe(detail.rstrip("\n")) + "\n")
    sys.stderr.flush()
    raise SystemExit(code)


def _traceback() -> None:
    import traceback  # only with DLSTUDY_DEBUG set: not a cost of every start

    traceback.print_exc()
    sys.stderr.flush()


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; never show a traceback for bad input."""
    if "numpy" not in sys.modules:
        # dlstudy computes at hand-calculation sizes: one BLAS thread is all it uses, and starting
        # OpenBLAS's pool of threads costs about 60 ms of every start that imports numpy
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    debug = bool(os.environ.get("DLSTUDY_DEBUG"))
    load_commands(sys.argv[1:] if argv is None else argv)
    try:
        app(args=argv, prog_name="dlstudy")
    except DlstudyError as exc:
        if debug:  # the traceback, then the same message and exit code as without it
            _traceback()
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
            _traceback()
        _fail(
            f"internal error ({type(exc).__name__}: {exc}); this is a bug in dlstudy. "
            "Rerun with DLSTUDY_DEBUG=1 to see the traceback.",
            code=70,
        )


def run() -> NoReturn:
    """The program (``dlstudy``, ``python -m dlstudy``): :func:`main`, then a quick exit.

    Once the command has finished, tearing the interpreter down (freeing every module and object
    one by one) takes longer than many commands do: 70 ms after ``check`` here. Nothing of dlstudy
    needs it: answers are committed as they are made, and every file is closed where it is
    written. So the exit does what Python's own does that can matter (join the remaining threads,
    run the ``atexit`` functions, flush stdout and stderr), then leaves at once."""
    try:
        main()
        code: object = 0
    except SystemExit as exc:
        code = exc.code
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:  # as Python prints a SystemExit("message")
        sys.stderr.write(f"{code}\n")
        status = 1
    if "threading" in sys.modules:
        sys.modules["threading"]._shutdown()  # type: ignore[attr-defined]
    import atexit

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more can be said
            pass
    os._exit(status)
