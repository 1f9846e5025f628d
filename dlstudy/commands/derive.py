"""``dlstudy derive``: check a hand derivation line by line and point at the first wrong step.

Thin: the work is in :mod:`dlstudy.symbolic.derive_report` (imported, with sympy, only when the command
runs)."""

from __future__ import annotations

import typer

from dlstudy.app import app

EPILOG = (
    "One expression per line in the language of verify --claim; blank lines and # comments are "
    "ignored. Each line is checked equal to the line before. A line '= E' continues the line before; "
    "a relation 'L = R' is checked as an equation, L against the line before, and R is carried on. "
    "The first line is the starting point. For the first wrong step: a counterexample (the "
    "symbols' values and both sides) and the likely slip (a sign, a missing 1/2 or factor, a "
    "dropped chain-rule factor, exchanged symbols, a dropped term).\n\n"
    "Write your own in a text file and run dlstudy derive FILE. Examples:\n\n"
    "  dlstudy derive --example sigmoid-prime          # a bundled derivation, to see the format\n\n"
    "  printf 'diff(x*exp(x), x)\\nexp(x) + x*exp(x)\\n' | dlstudy derive -\n\n"
    "  dlstudy derive                                 # a prompt: each line is checked as you type it\n\n"
    "  dlstudy derive --example kl-gaussians --assume 's1 > 0' --assume 's2 > 0' --json\n\n"
    "Bundled examples: bce-gradient, kl-gaussians, sigmoid-prime.\n\n"
    "Exit codes: 0 every step proven equal, 1 a step is not equal (a confirmed counterexample), "
    "2 a line cannot be read (its line and column are named), 3 a step undetermined."
)


@app.command(epilog=EPILOG)
def derive(
    file: str = typer.Argument(
        None,
        metavar="FILE",
        help="The derivation: a file, '-' for stdin; none: a prompt (stdin when it is piped).",
        show_default=False,
    ),
    assume: list[str] = typer.Option(
        None,
        "--assume",
        help="What a symbol is, e.g. 's > 0', 'x >= 0', 'n integer' (positive, nonnegative, "
        "nonzero, integer, real); repeatable.",
    ),
    timeout: float = typer.Option(
        5.0, "--timeout", help="CPU seconds allowed per step (above 0, at most 600)."
    ),
    json_: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
    example: str = typer.Option(
        None, "--example", help="Check a bundled example derivation instead of FILE (by name)."
    ),
) -> None:
    """Check a derivation line by line: where does it go wrong, and what is the likely slip?"""
    from dlstudy.symbolic.derive_report import run

    raise typer.Exit(
        run(file, assume=assume or (), timeout=timeout, as_json=json_, example=example)
    )
