"""The plain functions behind ``dlstudy solve`` (the typer command only parses options)."""

from __future__ import annotations

import math
from typing import Any

from dlstudy.errors import DlstudyError
from dlstudy.output import console, print_json, to_jsonable
from dlstudy.sections import SECTION_IDS, TITLES, check_section

_KIND_TEXT = {
    "number": "number",
    "integer": "integer",
    "bool": "true/false",
    "word": "word",
    "array": "number or array",
    "value": "JSON / @file",
}


def show_list(section: str | None = None, as_json: bool = False) -> None:
    """``dlstudy solve --list``: name, section of the notes, one-line summary."""
    from dlstudy.reference import manifest

    if section:
        check_section(section)
    funcs = sorted(
        (f for f in manifest.entries().values() if section in (None, f.section)),
        key=lambda f: (SECTION_IDS.index(f.section), f.name),
    )
    if as_json:
        print_json(
            {
                "functions": [
                    {"name": f.name, "section": f.section, "summary": f.summary} for f in funcs
                ]
            }
        )
        return
    from rich.table import Table
    from rich.text import Text

    table = Table(title=f"{len(funcs)} reference functions", title_justify="left")
    table.add_column("name", style="bold", no_wrap=True)
    table.add_column("section", no_wrap=True)
    table.add_column("summary")
    for f in funcs:  # Text: a formula such as [r + γV(s′) − V(s)] is not rich markup
        table.add_row(Text(f.name), Text(f.section), Text(f.summary))
    console().print(table)
    console().print("Parameters of one: dlstudy solve NAME --help", markup=False)


def show_function_help(name: str, as_json: bool = False) -> None:
    """``dlstudy solve NAME --help``: the parameters with types and defaults, and the docstring."""
    from dlstudy.reference.registry import get

    ref = get(name)
    params = [
        {
            "name": p.cli_name,
            "kind": p.kind,
            "required": p.required,
            "default": None if p.required else to_jsonable(p.default),
            "help": p.help,
        }
        for p in ref.params
    ]
    if as_json:
        print_json(
            {
                "name": ref.name,
                "section": ref.section,
                "summary": ref.summary,
                "params": params,
                "doc": ref.doc,
            }
        )
        return
    from rich.table import Table
    from rich.text import Text

    out = console()
    head = Text(ref.name, style="bold")
    head.append(f"  ({TITLES[ref.section]})", style="")
    out.print(head)
    out.print(Text(ref.summary))
    out.print()
    table = Table(show_header=True, header_style="bold")
    table.add_column("parameter", no_wrap=True)
    table.add_column("type", no_wrap=True)
    table.add_column("default", no_wrap=True)
    table.add_column("description")
    for p in params:
        default = (
            "required"
            if p["required"]
            else value_text(p["default"])
            if p["default"] is not None
            else "-"
        )
        table.add_row(
            Text(p["name"]),
            Text(_KIND_TEXT.get(p["kind"], p["kind"])),
            Text(default),
            Text(p["help"]),
        )
    out.print(table)
    if ref.doc:
        out.print()
        _print_doc(ref.doc)
    example = " ".join(f"{p['name']}=..." for p in params if p["required"])
    out.print()
    out.print(
        f"Usage: dlstudy solve {ref.name} {example} [--steps] [--answer VALUE] [--json]",
        markup=False,
    )


def _print_doc(doc: str) -> None:
    """A reference docstring as readable text: prose wrapped between words, formulas in unicode on
    their own indented lines, no RST (:func:`dlstudy.doctext.doc_to_text`)."""
    from rich.text import Text

    from dlstudy.doctext import doc_to_text

    out = console()
    for kind, text in doc_to_text(doc):
        if kind == "heading":
            out.print()
            out.print(Text(text, style="bold"))
        elif kind == "formula":
            out.print(Text("    " + text), overflow="fold")
        elif kind == "item":
            out.print(Text("  " + text))
        else:
            out.print(Text(text))


def run(
    name: str,
    assignments: list[str],
    *,
    steps: bool = False,
    answer: str | None = None,
    tol: float = 1e-3,
    as_json: bool = False,
) -> int:
    """Solve, print, and (with ``answer``) grade. Returns the exit code (0 right / 1 wrong)."""
    from dlstudy.grading import grade
    from dlstudy.reference.registry import call, get

    ref = get(name)
    values: dict[str, Any] = {}
    for arg in assignments:
        if arg.startswith("-"):
            raise DlstudyError(f"unknown option '{arg}'; see dlstudy solve {ref.name} --help")
        key, value = _assignment(ref, arg)
        if key in values:
            raise DlstudyError(f"parameter '{key}' given twice")
        values[key] = value
    if not (math.isfinite(tol) and tol > 0):  # --tol inf would make every answer right
        raise DlstudyError(f"--tol must be a finite positive number, got {tol}")
    given, read_as = (None, None) if answer is None else _read_answer(answer)
    solution = call(ref.name, values)
    # an integer result (a count, a size) is exact: a forgotten bias is not within 0.1%
    exact = isinstance(solution.result, int) and not isinstance(solution.result, bool)
    rtol = atol = 0.0 if exact else tol
    verdict = grade(solution, given, rtol=rtol, atol=atol) if answer is not None else None
    if as_json:
        out = solution.to_json()
        if verdict is not None:
            out["check"] = verdict.to_json()
            if read_as:
                out["check"]["read_as"] = read_as
        print_json(out)
    else:
        _print_solution(solution, steps)
        if verdict is not None:
            if read_as:
                console().print(read_as, markup=False, highlight=False)
            _print_verdict(verdict)
    if verdict is None:
        return 0
    return 0 if verdict.correct else 1


def _read_answer(text: str) -> tuple[Any, str | None]:
    """A hand-worked answer: numbers, ``log(4)``, ``−2``, vectors and matrices through the answer
    parser (with how it was read); anything else (a JSON object, ``@file``) as a value."""
    from dlstudy.answers import AnswerError, read_numeric
    from dlstudy.answers.reading import to_plain
    from dlstudy.values import parse_value

    try:
        reading = read_numeric(text)
        return to_plain(reading.value), reading.read_as
    except AnswerError:
        pass
    try:
        return parse_value(text), None
    except DlstudyError as exc:
        raise DlstudyError(f"--answer: {exc.message}", exc.detail) from None


#: Entries of an array shown whole; a larger one shows its corners (numpy's threshold). The whole
#: of it is in ``--json``: a terminal does not need a million numbers, and rendering them is what
#: made ``solve conv2d`` of a 1000×1000 input take 20 s.
MAX_SHOWN_ENTRIES = 1000
_EDGE = 4
#: Steps shown by ``--steps`` (``--json`` lists every one), and characters of one step's working.
MAX_SHOWN_STEPS = 200
_MAX_DETAIL = 2000


def value_text(value: Any, digits: int = 6) -> str:
    """A value as a student writes it: one line, or a grid for a matrix; a value of more than
    :data:`MAX_SHOWN_ENTRIES` entries by its first and last rows and columns around ``…``."""
    from dlstudy.bank.render import block, grid, inline, is_matrix

    plain = value.tolist() if hasattr(value, "tolist") else value
    size = _size(plain)
    if size <= MAX_SHOWN_ENTRIES:
        return block(plain, digits, indent="")
    if is_matrix(plain):
        width = len(_ends(plain[0], "⋯"))
        rows = [["⋮"] * width if r is None else _ends(r, "⋯") for r in _ends(plain, None)]
        note = f"({len(plain)}×{len(plain[0])}: the corners; --json prints every entry)"
        return grid(rows, digits, indent="") + "\n" + note
    if isinstance(plain, list) and all(not isinstance(v, (list, dict)) for v in plain):
        shown = ", ".join(inline(v, digits) if v is not None else "…" for v in _ends(plain, None))
        return f"[{shown}]  ({len(plain)} entries; --json prints every one)"
    return f"{size:,} numbers (--json prints them)"


def _size(value: Any) -> int:
    if isinstance(value, list):
        return sum(_size(v) for v in value) if value and isinstance(value[0], list) else len(value)
    if isinstance(value, dict):
        return sum(_size(v) for v in value.values())
    return 1


def _ends(items: list[Any], gap: Any) -> list[Any]:
    """The first and last :data:`_EDGE` items with ``gap`` between them, or all of them."""
    if len(items) <= 2 * _EDGE + 1:
        return list(items)
    return [*items[:_EDGE], gap, *items[-_EDGE:]]


def is_matrix(value: Any) -> bool:
    from dlstudy.bank.render import is_matrix as matrix

    return matrix(value.tolist() if hasattr(value, "tolist") else value)


def _assignment(ref: Any, arg: str) -> tuple[str, Any]:
    """``key=value``; a text parameter (a word, e.g. a layer spec) keeps its raw text."""
    from dlstudy.values import parse_assignment, read_file_text

    key, sep, raw = arg.partition("=")
    kinds = {p.cli_name: p.kind for p in ref.params}
    name = key.strip().replace("-", "_")
    if sep and kinds.get(name) == "word":
        text = raw.strip()
        if text.startswith("@"):
            text = read_file_text(text[1:]).strip()
        if not text:
            raise DlstudyError(f"{name}: empty value")
        return name, text
    return parse_assignment(arg)


def _print_solution(solution: Any, show_steps: bool) -> None:
    from rich.markup import escape

    from dlstudy.bank.render import notation, safe

    out = console()
    if show_steps and solution.steps:
        out.print("[bold]Working[/bold]")
        for step in solution.steps[:MAX_SHOWN_STEPS]:
            text = value_text(step.value) if step.value is not None else ""
            line = f"  {notation(safe(step.label))}"
            if step.detail:
                detail = step.detail
                if len(detail) > _MAX_DETAIL:
                    detail = detail[:_MAX_DETAIL] + "…"
                line += f": {notation(safe(detail))}"
            if text and not is_matrix(step.value):
                if not step.detail:
                    line += f" = {text}"
                elif not step.detail.replace("−", "-").rstrip().endswith(text.replace("−", "-")):
                    line += f"  ({text})"
            out.print(line, markup=False, highlight=False)
            if text and is_matrix(step.value):
                out.print(_indent(text, 4), markup=False, highlight=False)
        if len(solution.steps) > MAX_SHOWN_STEPS:
            more = len(solution.steps) - MAX_SHOWN_STEPS
            out.print(f"  … {more:,} more steps (--json lists every one)", markup=False)
        out.print()
    result = solution.result
    if isinstance(result, dict) and not is_matrix(result):
        out.print("[bold]Result[/bold]")
        for key, value in result.items():
            text = value_text(value)
            if "\n" in text:
                out.print(f"  {key}:", markup=False)
                out.print(_indent(text, 4), markup=False, highlight=False)
            else:
                out.print(f"  {key}: {text}", markup=False, highlight=False)
    else:
        text = value_text(result)
        if "\n" in text:
            out.print("[bold]Result[/bold]")
            out.print(_indent(text, 2), markup=False, highlight=False)
        else:
            out.print(f"[bold]Result[/bold]: {escape(text)}", highlight=False)
    if solution.convention:
        out.print(f"[dim]Convention: {escape(solution.convention)}[/dim]", highlight=False)


def _print_verdict(verdict: Any) -> None:
    out = console()
    style = "bold green" if verdict.correct else "bold red"
    out.print(f"[{style}]Your answer: {verdict.message}[/{style}]", highlight=False)
    for entry in verdict.wrong_entries[:20]:
        out.print(
            f"  {entry['entry']}: expected {value_text(entry['expected'])}, you gave {value_text(entry['given'])}",
            markup=False,
            highlight=False,
        )
    if len(verdict.wrong_entries) > 20:
        out.print(f"  ... and {len(verdict.wrong_entries) - 20} more", markup=False)


def _indent(text: str, n: int) -> str:
    return "\n".join(" " * n + line for line in text.splitlines())
