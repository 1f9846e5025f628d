"""``dlstudy export anki|moodle|sheet``: the bank as an Anki deck, a Moodle quiz or a printable sheet."""

from __future__ import annotations

from pathlib import Path

import typer

from dlstudy.app import app

export_app = typer.Typer(
    help="Export questions: an Anki deck, a Moodle XML quiz, a printable worksheet or mock exam.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(export_app, name="export")

_SECTION = "Only this section (repeat, or comma-separate); see dlstudy topics."
_DIFFICULTY = "Only difficulty 1, 2 or 3."
_VARIANTS = "Variants per template: question seeds SEED+1 … SEED+K."
_BANK = "Extra folder (or file) of question templates."
_JSON = "Print one JSON object (file, format, questions, bytes) on stdout."


def _load(bank: list[Path] | None):
    from dlstudy.bank import load_bank

    return load_bank(extra_dirs=bank or [])


def _done(as_json: bool, path: Path, fmt: str, questions: int, size: int, **extra) -> None:
    from dlstudy.export import summary
    from dlstudy.output import console, print_json

    data = summary(path, fmt, questions, size, **extra)
    if as_json:
        print_json(data)
        return
    from rich.markup import escape

    plural = "s" if questions != 1 else ""
    seed = f", seed {extra['seed']}" if "seed" in extra else ""
    console().print(
        f"wrote {escape(str(path))}: {questions} question{plural}{seed} ({size:,} bytes)"
    )


def _variant_export(fmt, out, section, difficulty, variants, seed, bank, as_json) -> None:
    from dlstudy.export import check_output, variant_items

    what = {"anki": "an Anki deck", "moodle": "a Moodle XML file"}[fmt]
    path = check_output(out, [".apkg"] if fmt == "anki" else [".xml"], what)
    items = variant_items(
        _load(bank), sections=section, difficulty=difficulty, variants=variants, seed=seed
    )
    if fmt == "anki":
        from dlstudy.export.anki import export
    else:
        from dlstudy.export.moodle import export
    size = export(items, path, quiet=as_json)
    _done(as_json, path, fmt, len(items), size)


@export_app.command("anki")
def export_anki(
    out: Path = typer.Argument(..., metavar="OUT.apkg", help="The deck file to write."),
    section: list[str] = typer.Option(None, "--section", help=_SECTION),
    difficulty: int = typer.Option(None, "--difficulty", "-d", help=_DIFFICULTY),
    variants: int = typer.Option(3, "--variants", "-k", help=_VARIANTS),
    seed: int = typer.Option(0, "--seed", help="Base seed of the variants (0 to 10^18)."),
    bank: list[Path] = typer.Option(None, "--bank", help=_BANK),
    as_json: bool = typer.Option(False, "--json", help=_JSON),
) -> None:
    """An Anki deck: dlstudy with a sub-deck per section, one note per template and variant.

    The front is the prompt (and the options), the back the answer, the common mistakes and the worked solution; matrices render with Anki's MathJax. Tags: the section, difficulty::N and ID:SEED. Importing a new export updates the notes of the last one instead of duplicating them.

    Example:  dlstudy export anki dlstudy.apkg --section convolution
    """
    _variant_export("anki", out, section, difficulty, variants, seed, bank, as_json)


@export_app.command("moodle")
def export_moodle(
    out: Path = typer.Argument(..., metavar="OUT.xml", help="The Moodle XML file to write."),
    section: list[str] = typer.Option(None, "--section", help=_SECTION),
    difficulty: int = typer.Option(None, "--difficulty", "-d", help=_DIFFICULTY),
    variants: int = typer.Option(3, "--variants", "-k", help=_VARIANTS),
    seed: int = typer.Option(0, "--seed", help="Base seed of the variants (0 to 10^18)."),
    bank: list[Path] = typer.Option(None, "--bank", help=_BANK),
    as_json: bool = typer.Option(False, "--json", help=_JSON),
) -> None:
    """A Moodle XML quiz file with a question category per section.

    Numbers are numerical questions whose tolerance follows the question's precision (integers exact), vectors and matrices cloze questions with one field per entry, choices multichoice, yes/no questions true/false, expressions short answer; the general feedback is the worked solution and each question's name starts with its ID:SEED. Import it in Moodle under Question bank, Import, Moodle XML format.

    Example:  dlstudy export moodle quiz.xml --section pooling --variants 2
    """
    _variant_export("moodle", out, section, difficulty, variants, seed, bank, as_json)


@export_app.command("sheet")
def export_sheet(
    out: Path = typer.Argument(
        ..., metavar="OUT.html|OUT.md", help="The sheet to write: HTML to print, or Markdown."
    ),
    n: int = typer.Option(10, "--n", "-n", help="Number of questions (at most 500)."),
    seed: int = typer.Option(
        None, "--seed", help="Sheet seed (0 to 10^18): the same seed gives the same questions."
    ),
    section: list[str] = typer.Option(None, "--section", help=_SECTION),
    difficulty: int = typer.Option(None, "--difficulty", "-d", help=_DIFFICULTY),
    key: bool = typer.Option(False, "--key", help="Add the answer key, on pages of its own."),
    key_only: bool = typer.Option(
        False, "--key-only", help="Write only the answer key (give the sheet's --seed)."
    ),
    exam: bool = typer.Option(
        False, "--exam", help="A mock exam: questions across sections as dlstudy exam draws them."
    ),
    minutes: float = typer.Option(
        None, "--minutes", "-m", help="Time of the mock exam in minutes (default 30)."
    ),
    bank: list[Path] = typer.Option(None, "--bank", help=_BANK),
    as_json: bool = typer.Option(False, "--json", help=_JSON),
) -> None:
    """A printable worksheet or mock exam (HTML or Markdown), with its answer key.

    The questions are drawn as dlstudy quiz and dlstudy exam draw them: the same seed gives the same questions. A worksheet groups them by section; --exam keeps the exam's order and shows points per question (its difficulty) and the time. The key gives each answer and worked solution under its ID:SEED, so that dlstudy check ID:SEED --answer grades a hand-written answer. HTML is one self-contained file with print rules and MathML matrices; Markdown uses $ math as GitHub renders it.

    Example:  dlstudy export sheet exam.html --exam --n 8 --seed 7 --key
    """
    from dlstudy.errors import DlstudyError
    from dlstudy.export import check_output
    from dlstudy.export.sheet import DEFAULT_MINUTES, Sheet, export, sheet_items
    from dlstudy.study import select

    path = check_output(out, [".html", ".htm", ".md"], "a sheet")
    wanted = select.check_sections(section)
    difficulty = select.check_difficulty(difficulty)
    select.check_count("--n", n)
    select.check_seed(seed)
    if key and key_only:
        raise DlstudyError(
            "--key and --key-only exclude each other: --key adds the key to the sheet"
        )
    if minutes is not None and not exam:
        raise DlstudyError("--minutes is the time of a mock exam: add --exam")
    if exam:
        from dlstudy.ui.sessions import check_seconds

        minutes = check_seconds((DEFAULT_MINUTES if minutes is None else minutes) * 60.0) / 60.0
    if seed is None:
        if key_only:
            raise DlstudyError(
                "--key-only needs the --seed of the sheet (its header shows it), "
                "or the key would be of other questions"
            )
        seed = select.new_session_seed()
    items = sheet_items(
        _load(bank), n=n, seed=seed, sections=wanted, difficulty=difficulty, exam=exam
    )
    sheet = Sheet(
        items,
        seed=seed,
        exam=exam,
        minutes=minutes,
        key=key,
        key_only=key_only,
        sections=wanted,
        difficulty=difficulty,
    )
    size = export(sheet, path, quiet=as_json)
    fmt = "markdown" if path.suffix.lower() == ".md" else "html"
    _done(as_json, path, fmt, len(items), size, seed=seed)
