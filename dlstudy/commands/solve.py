"""``dlstudy solve``: the calculator over the reference registry, with working and answer checking."""

from __future__ import annotations

import typer

from dlstudy.app import app

EPILOG = (
    "Examples:\n\n"
    "  dlstudy solve --list\n\n"
    "  dlstudy solve conv2d --help\n\n"
    '  dlstudy solve conv2d input="1 2 3; 4 5 6; 7 8 9" kernel="1 0; 0 -1" --steps\n\n'
    "  dlstudy solve kl p=[1/2,1/2] q=[1/4,3/4] --answer 0.1438\n\n"
    "  dlstudy solve value-iteration mdp=two-state sweeps=3 --json\n\n"
    "An MDP is a bundled example (sutton-barto-4x4, corridor, two-state) or @file.json / @file.toml."
)


@app.command(
    context_settings={"help_option_names": [], "ignore_unknown_options": True},
    epilog=EPILOG,
)
def solve(
    ctx: typer.Context,
    name: str = typer.Argument(None, help="Reference function (see --list)."),
    assignments: list[str] = typer.Argument(
        None,
        metavar="KEY=VALUE...",
        help='Parameters: a number, fraction (7/4), JSON ([[1,2],[3,4]]), matrix ("1 2; 3 4"), word, or @file.',
    ),
    list_: bool = typer.Option(False, "--list", "-l", help="List the reference functions."),
    steps: bool = typer.Option(False, "--steps", "-s", help="Show the working."),
    answer: str = typer.Option(
        None, "--answer", "-a", help="Check a hand-worked answer: exit 0 right, 1 wrong, 2 invalid."
    ),
    tol: float = typer.Option(1e-3, "--tol", help="Relative and absolute tolerance for --answer."),
    json_: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
    section: str = typer.Option(
        None, "--section", help="With --list: only this section of the notes."
    ),
    help_: bool = typer.Option(
        False, "--help", "-h", help="Show this message (or NAME's parameters)."
    ),
) -> None:
    """Compute any model or algorithm of the notes, show the working, and check your answer."""
    from dlstudy import solving

    if help_ and not name:
        typer.echo(ctx.get_help())
        raise typer.Exit()
    if list_ or not name:
        solving.show_list(section=section, as_json=json_)
        return
    if help_:
        solving.show_function_help(name, as_json=json_)
        return
    code = solving.run(name, assignments or [], steps=steps, answer=answer, tol=tol, as_json=json_)
    raise typer.Exit(code)
