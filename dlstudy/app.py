"""The typer application object. Command modules in ``dlstudy/commands/`` attach to it.

Keep this module and the command modules light: they are imported by every ``dlstudy`` run, including
``--help``. Heavy imports (numpy, sympy, torch) go inside the command functions.
"""

from __future__ import annotations

import typer

from dlstudy import __version__

HELP = """dlstudy: a terminal study companion for a deep learning exam.

Quizzes with worked solutions and spaced review, checked hand calculations, receptive fields and parameter counts, and a symbolic check of every derivation in the notes.

Example:  dlstudy params vgg16
"""

app = typer.Typer(
    help=HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"dlstudy {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False,
        "--version",
        "-V",
        callback=_version,
        is_eager=True,
        help="Show the version and exit.",
    ),
) -> None:
    """dlstudy: a terminal study companion for a deep learning exam."""
