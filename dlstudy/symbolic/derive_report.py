"""``dlstudy derive``: read a derivation (a file, ``-`` for stdin, or a prompt), check it with
:func:`dlstudy.symbolic.derivation.check_derivation`, and show every step with ✓ / ✗ / ?.

Output: the steps to stdout (rich; ``NO_COLOR`` respected), or with ``--json`` one object
``{"steps": [...], "first_wrong": K | null}``; notes to stderr. Exit codes: 0 every step equal, 1 a
step is not, 2 a line cannot be read (or bad options), 3 a step undetermined.

Input bounds: a regular file (or stdin) of at most :data:`MAX_BYTES`, at most
:data:`~dlstudy.symbolic.derivation.MAX_LINES` lines of at most
:data:`~dlstudy.symbolic.derivation.MAX_LINE_LENGTH` characters each.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text

from dlstudy.errors import DlstudyError
from dlstudy.output import console, err_console, print_json
from dlstudy.symbolic import derivation as dv
from dlstudy.ui.render import unicode_ok
from dlstudy.ui.terminal import clean

if TYPE_CHECKING:
    from rich.console import Console

#: The largest input read (bytes).
MAX_BYTES = 256 * 1024
HISTORY_NAME = "derive_history"
_MARKS = {
    dv.EQUIVALENT: ("✓", "[ok]"),
    dv.NOT_EQUIVALENT: ("✗", "[x]"),
    dv.UNDETERMINED: ("?", "?"),
}
_STYLES = {dv.EQUIVALENT: "green", dv.NOT_EQUIVALENT: "bold red", dv.UNDETERMINED: "yellow"}


# -- input ------------------------------------------------------------------------------------
def decode(data: bytes, origin: str) -> list[str]:
    """The lines of ``data`` (UTF-8; ``\\r\\n`` or ``\\n``), bounded; numbered from 1 by the caller."""
    if len(data) > MAX_BYTES:
        raise DlstudyError(f"{origin}: too large (more than {MAX_BYTES:,} bytes)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise DlstudyError(
            f"{origin}: line {line}, column {column}: not UTF-8 text (byte {data[exc.start]:#04x})"
        ) from None
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    if lines and lines[-1] == "":
        lines.pop()
    if len(lines) > dv.MAX_LINES:
        raise DlstudyError(f"{origin}: too many lines ({len(lines)}; at most {dv.MAX_LINES})")
    return lines


def read_source(source: str) -> tuple[list[str], str]:
    """``(lines, origin)`` of a FILE argument, or of stdin for ``-``."""
    if source == "-":
        data = sys.stdin.buffer.read(MAX_BYTES + 1)
        return decode(data, "<stdin>"), "<stdin>"
    from dlstudy.files import UnreadableFile, read_limited

    try:
        data = read_limited(source, MAX_BYTES)
    except UnreadableFile as exc:
        raise DlstudyError(f"{source}: {exc.reason}") from None
    return decode(data, source), source


EXAMPLES_DIR = Path(__file__).resolve().parents[1] / "examples" / "derive"


def examples() -> list[str]:
    """The names of the bundled example derivations (``dlstudy derive --example NAME``)."""
    return sorted(p.stem for p in EXAMPLES_DIR.glob("*.txt"))


def example_path(name: str) -> str:
    """The file of the bundled example ``name``, or the domain error listing them."""
    from dlstudy.errors import did_you_mean

    if name not in examples():
        hint = did_you_mean(name, examples())
        raise DlstudyError(
            f"--example: no example derivation '{name}'"
            + (f" {hint.strip()}" if hint else "")
            + f" (bundled: {', '.join(examples())})"
        )
    return str(EXAMPLES_DIR / f"{name}.txt")


# -- showing ----------------------------------------------------------------------------------
def _mark(out: Console, status: str, start: bool) -> Text:
    if start:
        return Text("·", style="dim")
    mark = _MARKS[status][0 if unicode_ok(out) else 1]
    return Text(mark, style=_STYLES[status])


def counterexample_text(step: dv.Step, before: int | None) -> str:
    """The refuting point in words: the symbols' values and both sides."""
    ce = step.counterexample
    if ce is None:
        return step.detail
    if ce.get("compared") == dv.SIDES or before is None:
        left, right = "left side", "right side"
    else:
        left, right = f"line {before}", f"line {step.line}"
    values = ", ".join(f"{k} = {v}" for k, v in ce["values"].items()) or "every value"
    how = "exact" if ce.get("exact") else "certain to 30 digits"
    return (
        f"at {values}: {left} = {ce['lhs']}, {right} = {ce['rhs']} "
        f"(difference {ce['difference']}, {how})"
    )


def show_step(out: Console, step: dv.Step, before: int | None, first_wrong: bool) -> None:
    """One row: line number, ✓ / ✗ / ? (· for the starting line), the text; for a wrong step what
    was refuted and, for the first one, the counterexample and the likely slip."""
    row = Text(f"{step.line:>4}  ")
    row.append_text(_mark(out, step.status, step.start))
    row.append("  " + clean(step.text))
    out.print(row, soft_wrap=True)
    pad = " " * 9
    if step.status == dv.NOT_EQUIVALENT:
        if step.compared == dv.SIDES:
            what = f"the two sides of line {step.line} differ"
        else:
            what = f"line {step.line} does not equal line {before}"
        out.print(Text(f"{pad}{what}", style="red"))
        if first_wrong:
            out.print(Text(f"{pad}{counterexample_text(step, before)}"), soft_wrap=True)
            if step.slip:
                out.print(Text(f"{pad}likely slip: {step.slip}", style="bold"), soft_wrap=True)
    elif step.status == dv.UNDETERMINED:
        where = {dv.SIDES: " against its two sides", dv.PREVIOUS: f" against line {before}"}
        reason = step.detail or "neither proven nor refuted"
        said = f"{pad}not decided{where.get(step.compared, '')}: {reason}"
        out.print(Text(said, style="dim"), soft_wrap=True)


def summary(out: Console, d: dv.Derivation) -> None:
    steps = [s for s in d.steps if not s.start]
    k = d.first_wrong
    if k is not None:
        step = d.steps[k - 1]
        line = Text(f"First wrong step: line {step.line} (expression line {k}).", style="bold red")
    elif d.status == dv.UNDETERMINED:
        n = sum(s.status == dv.UNDETERMINED for s in d.steps)
        line = Text(
            f"{n} of {len(steps)} step(s) undetermined: neither proven nor refuted "
            "(a larger --timeout or an --assume may help).",
            style="yellow",
        )
    elif not steps:
        line = Text("Nothing to compare: one expression line.", style="dim")
    else:
        line = Text(f"Every step proven equal to the line before ({len(steps)}).", style="green")
    out.print(line)


def show(d: dv.Derivation, origin: str) -> None:
    out = console()
    out.print(Text(clean(origin), style="bold"))
    before: int | None = None
    k = d.first_wrong
    for i, step in enumerate(d.steps, start=1):
        show_step(out, step, before, first_wrong=i == k)
        before = step.line
    summary(out, d)


def _note_unused(d: dv.Derivation) -> None:
    if d.unused_assumptions:
        names = ", ".join(d.unused_assumptions)
        err_console().print(f"note: --assume names {names}, which the derivation does not use")


# -- the command ------------------------------------------------------------------------------
def run(
    source: str | None,
    *,
    assume: Sequence[str] = (),
    timeout: float = 5.0,
    as_json: bool = False,
    example: str | None = None,
) -> int:
    """``dlstudy derive [FILE | - | --example NAME]``: the exit code. No ``source`` and stdin a
    terminal (and no ``--json``): the interactive prompt; else ``source`` or stdin is read to its
    end. ``example``: a bundled derivation (``dlstudy/examples/derive/NAME.txt``)."""
    dv.sandbox.check_seconds(timeout)
    if example is not None:
        if source is not None:
            raise DlstudyError("give either FILE or --example NAME, not both")
        source = example_path(example)
    if source is None and not as_json and sys.stdin.isatty():
        return interactive(assume=assume, timeout=timeout)
    lines, origin = read_source(source or "-")
    try:
        d = dv.check_derivation(lines, assume=assume, cpu_seconds=timeout)
    except DlstudyError as exc:
        if origin != "<stdin>" and exc.message.startswith("line "):
            raise DlstudyError(f"{origin}: {exc.message}", exc.detail) from None
        raise
    if as_json:
        print_json(d.to_json())
    else:
        show(d, origin)
    _note_unused(d)
    return d.exit_code


def interactive(*, assume: Sequence[str] = (), timeout: float = 5.0) -> int:
    """The prompt: each line is checked as it is typed (readline editing and a history kept in the
    data folder); an unreadable line is asked again; an empty line or Ctrl-D ends with a summary."""
    from dlstudy.study.paths import data_home
    from dlstudy.ui.terminal import LineReader, LineTooLong

    out = console()
    checker = dv.Checker(assume=assume, cpu_seconds=timeout)
    reader = LineReader(history=data_home() / HISTORY_NAME)
    out.print(
        Text(
            "One expression per line, each checked against the line before "
            "(a relation 'a = b' is checked as an equation). An empty line or Ctrl-D ends.",
            style="dim",
        )
    )
    number = 1
    while True:
        try:
            line = reader.read(f"{number:>3} > ")
        except LineTooLong as long:
            err_console().print(f"that line is too long (at most {dv.MAX_LINE_LENGTH} characters)")
            if long.stop:
                break
            continue
        except KeyboardInterrupt:
            out.print()
            break
        if line is None or not line.strip():
            break
        before = checker.derivation.steps[-1].line if checker.derivation.steps else None
        try:
            step = checker.add(number, line)
        except DlstudyError as exc:
            err_console().print(Text(f"cannot read that: {exc.message}; type the line again"))
            continue
        number += 1
        if step is not None:
            show_step(out, step, before, first_wrong=step.slip is not None or _first(checker, step))
    summary(out, checker.derivation)
    _note_unused(checker.derivation)
    return checker.derivation.exit_code


def _first(checker: dv.Checker, step: dv.Step) -> bool:
    k = checker.derivation.first_wrong
    return k is not None and checker.derivation.steps[k - 1] is step
