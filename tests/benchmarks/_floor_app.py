"""A floor for bench_startup.py: the minimal typer app of ``_baseline_app.py`` running a command that
only imports the given modules: what a dlstudy command cannot avoid (numpy for a question, sympy for
a proof), so a ratio can be read against the least it could be."""

import importlib

import typer

app = typer.Typer(add_completion=False)


@app.command()
def hello(imports: str = "") -> None:
    """Import the comma-separated modules, then say hello."""
    for name in filter(None, imports.split(",")):
        importlib.import_module(name)
    typer.echo("hello")


if __name__ == "__main__":
    app()
