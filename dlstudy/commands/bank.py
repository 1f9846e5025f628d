"""``dlstudy bank list|show|lint``: browse the question bank and test every template."""

from __future__ import annotations

from pathlib import Path

import typer

from dlstudy.app import app

bank_app = typer.Typer(
    help="Browse the question bank and test its templates (list, show, lint).",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(bank_app, name="bank")

_BANK_HELP = "Extra folder (or file) of question templates; repeatable."


def _load(bank: list[Path] | None):
    from dlstudy.bank import load_bank

    return load_bank(extra_dirs=bank or [])


@bank_app.command("list")
def bank_list(
    section: list[str] = typer.Option(
        None, "--section", "-s", help="Only this section (repeatable)."
    ),
    difficulty: int = typer.Option(None, "--difficulty", "-d", help="Only difficulty 1, 2 or 3."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object on stdout."),
    bank: list[Path] = typer.Option(None, "--bank", help=_BANK_HELP),
) -> None:
    """List the templates: id, section, difficulty, answer kind.

    Example:  dlstudy bank list --section convolution
    """
    from dlstudy.output import console, print_json

    b = _load(bank)
    sections = [s for item in (section or []) for s in item.split(",") if s.strip()] or None
    templates = b.select(sections=sections, difficulty=difficulty)
    rows = [
        {
            "id": t.id,
            "section": t.section,
            "difficulty": t.difficulty,
            "answer_kind": t.kind,
            "title": t.title,
        }
        for t in templates
    ]
    if as_json:
        print_json({"templates": rows, "problems": b.problems})
        return
    from rich.table import Table
    from rich.text import Text

    from dlstudy.bank.render import safe

    table = Table(title=f"{len(rows)} templates", title_justify="left")
    for col in ("id", "section", "diff", "kind", "title"):
        table.add_column(col, overflow="fold")
    for r in rows:  # Text: a title is not rich markup
        table.add_row(
            r["id"], r["section"], str(r["difficulty"]), r["answer_kind"], Text(safe(r["title"]))
        )
    console().print(table)


@bank_app.command("show")
def bank_show(
    template_id: str = typer.Argument(..., metavar="ID", help="Template id, or ID:SEED."),
    seed: int = typer.Option(None, "--seed", help="Which variant (default 0)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object on stdout."),
    bank: list[Path] = typer.Option(None, "--bank", help=_BANK_HELP),
) -> None:
    """Show one question: the prompt, the answer and the worked solution.

    Example:  dlstudy bank show cnn.corr-valid --seed 3
    """
    from dlstudy.bank import split_ref
    from dlstudy.output import console, print_json

    b = _load(bank)
    if ":" not in template_id and seed is None:
        seed = 0
    tid, s = split_ref(template_id, seed)
    q = b.get(tid).instantiate(s)
    if as_json:
        print_json(q.to_json())
        return
    from rich.markup import escape

    out = console()
    t = q.template
    precision = f", precision: {q.precision.words}" if q.precision is not None else ""
    out.print(
        f"[bold]{escape(t.title)}[/bold]  ({escape(q.ref)}, {t.section}, difficulty {t.difficulty}, {t.kind}{precision})"
    )
    out.print(escape(q.prompt))
    for letter, option in zip("abcdefghijklmnopqrstuvwxyz", q.options, strict=False):
        out.print(f"  {letter}) {escape(option)}")
    for i, hint in enumerate(q.hints, 1):
        out.print(f"[dim]hint {i}: {escape(hint)}[/dim]")
    out.print("\n[bold]Worked solution[/bold]")
    out.print(escape(q.solution_text()))


@bank_app.command("lint")
def bank_lint(
    seeds: int = typer.Option(200, "--seeds", help="Seeds per template."),
    bank: list[Path] = typer.Option(None, "--bank", help=_BANK_HELP),
    file: list[Path] = typer.Option(None, "--file", "-f", help="Only these template files."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object on stdout."),
) -> None:
    """Test every template for N seeds: it instantiates, the answer is finite and noise-free, placeholders are filled, the worked solution renders with symbols the question gives, the true answer is accepted and a perturbed one rejected, and misconceptions differ from the answer.

    Per template over seeds 0..59: at most 15 % trivial answers and at least 10 distinct ones (or a few_answers reason); no control characters; − for a minus sign; the index base stated; an id that no built-in template has. The report goes to stdout; exit 0 only when everything passes.

    Example:  dlstudy bank lint --seeds 20
    """
    from dlstudy.bank import load_bank
    from dlstudy.bank.lint import lint_bank
    from dlstudy.output import console, print_json

    loaded = load_bank(extra_dirs=bank or [], files=file or None, cache=False, tell=False)
    report = lint_bank(loaded, seeds)
    if as_json:
        print_json(report.to_json())
    else:
        from rich.markup import escape

        out = console()  # the report is the output: stdout, so that | grep finds it
        for path, counts in report.files.items():
            mark = (
                "[green]ok[/green]"
                if counts["problems"] == 0
                else f"[red]{counts['problems']} problem(s)[/red]"
            )
            out.print(f"{escape(path)}: {counts['templates']} templates, {mark}")
        for p in report.problems:
            out.print(f"  [red]✗[/red] {escape(p)}")
        n = len(report.templates)
        if report.ok:
            out.print(f"[green]all {n} templates pass for {seeds} seeds[/green]")
        else:
            failed = sum(1 for t in report.templates if t.problems)
            out.print(
                f"[red]{failed} of {n} templates fail; {len(report.load_problems)} load problem(s)[/red]"
            )
    if not report.ok:
        raise typer.Exit(1)
