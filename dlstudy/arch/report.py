"""What ``dlstudy rf`` and ``dlstudy params`` do: resolve the SPEC argument (inline text, a file, a
preset or ``-`` for stdin), analyse it, print a per-layer table or one JSON object, and check
``--answer``. Pure Python (no numpy, sympy, torch, nor rich)."""

from __future__ import annotations

import os
import re
import shutil
import sys
import textwrap
from pathlib import Path
from typing import Any

from dlstudy.arch.analysis import Analysis, LayerResult
from dlstudy.arch.engine import analyze_nodes
from dlstudy.arch.parser import ALIASES, BLOCKS, KINDS, parse
from dlstudy.arch.presets import PRESETS, preset_path
from dlstudy.errors import DlstudyError, did_you_mean

_MAX_STDIN = 1_000_000
_BARE_WORD = re.compile(r"[A-Za-z0-9_\-]+\Z")
_PATHISH = re.compile(r"[\w.\-~/\\]+\Z")


def resolve_spec(arg: str) -> tuple[str, str]:
    """``(spec text, origin)`` for a SPEC argument: ``-`` (stdin), a preset name, a file, or inline
    text. ``origin`` names the file for error messages (empty for inline text)."""
    text = arg.strip()
    if text == "-":
        data = sys.stdin.read(_MAX_STDIN + 1)
        if len(data) > _MAX_STDIN:
            raise DlstudyError(f"spec on stdin is too large (more than {_MAX_STDIN:,} bytes)")
        return data, "<stdin>"
    path = preset_path(text) if _BARE_WORD.match(text) else None
    if path is not None:
        return path.read_text(encoding="utf-8"), path.name
    if "(" not in text and _PATHISH.match(text):
        if _is_file(text):
            return _read(text), text
        word = text.lower()
        if _BARE_WORD.match(text) and (word in KINDS or word in ALIASES or word in BLOCKS):
            return arg, ""
        if _exists(text):  # a folder, a FIFO, a device: reading says which, and never blocks
            return _read(text), text
        if _BARE_WORD.match(text) and "." not in text:
            suggestion = did_you_mean(word, [*PRESETS, *KINDS])
            raise DlstudyError(
                f"unknown preset, layer or file '{text}'{suggestion}; presets: "
                f'{", ".join(PRESETS)} (or give a spec such as "conv(c=16,k=3), relu" or a file)'
            )
        raise DlstudyError(f"file not found: {text}")
    if "(" not in text and "\n" not in text and _is_file(text):
        return _read(text), text
    return arg, ""


def _is_file(text: str) -> bool:
    """Whether ``text`` names a file; a name the file system refuses (too long, ...) does not."""
    try:
        return Path(text).expanduser().is_file()
    except (OSError, ValueError):
        return False


def _exists(text: str) -> bool:
    """Whether ``text`` names anything in the file system (a folder, a FIFO, a link, ...)."""
    try:
        return os.path.lexists(Path(text).expanduser())
    except (OSError, ValueError):
        return False


def _read(text: str) -> str:
    from dlstudy.values import read_file_text  # its tomllib/json imports only when a file is read

    return read_file_text(text, _MAX_STDIN)


def run(
    spec_arg: str,
    what: str,
    *,
    answer: str | None = None,
    as_json: bool = False,
    single_bias: bool = False,
) -> int:
    """The ``rf`` (``what="rf"``) or ``params`` command; returns the exit code."""
    text, origin = resolve_spec(spec_arg)
    nodes = parse(text, origin)
    analysis = analyze_nodes(nodes, single_bias=single_bias)
    verdict = None
    if answer is not None:
        from dlstudy.arch.check import check_answer

        verdict = check_answer(nodes, what, answer, single_bias)
    if as_json:
        from dlstudy.output import print_json

        out = analysis.to_json()
        if verdict is not None:
            out["check"] = verdict.to_json()
        print_json(out)
    else:
        _print_table(analysis, what, origin, verdict)
    return 0 if verdict is None else verdict.exit_code


# -- rendering ------------------------------------------------------------------------------------
# A plain torchinfo-style table written straight to stdout: drawing a 270-row table with rich costs
# more than the rest of ``dlstudy rf resnet50`` put together (see tests/benchmarks/bench_startup.py).
# Styles are ANSI codes, used only on a terminal and never with NO_COLOR set.


def _fmt(value: Any) -> str:
    if value is None:
        return "?"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _axes(values: list[Any]) -> str:
    def one(v: Any) -> str:
        return str(int(v)) if float(v).is_integer() else str(float(v))

    if len(set(values)) == 1:
        return one(values[0])
    return "×".join(one(v) for v in values)


def _label(layer: LayerResult) -> str:
    """``conv3 3×3 s2 p1 → 64``: the layer's name, then its settings, indented by nesting."""
    _head, _, rest = (layer.summary or layer.kind).partition(" ")
    return "  " * layer.depth + f"{layer.name} {rest}".rstrip()


class _Out:
    def __init__(self) -> None:
        self.color = (
            sys.stdout.isatty()
            and not os.environ.get("NO_COLOR")
            and os.environ.get("TERM") != "dumb"
        )
        self.width = max(40, shutil.get_terminal_size((80, 24)).columns)
        self.lines: list[str] = []

    def style(self, text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.color and code else text

    def para(self, text: str, code: str = "", indent: str = "") -> None:
        for line in textwrap.wrap(text, self.width - 1, subsequent_indent=indent) or [""]:
            self.lines.append(self.style(line, code))

    def flush(self) -> None:
        sys.stdout.write("\n".join(self.lines) + "\n")
        sys.stdout.flush()


def _print_table(analysis: Analysis, what: str, origin: str, verdict: Any = None) -> None:
    out = _Out()
    show_rf = what == "rf"
    headers = ["#", "layer", "output", "params"] + (["r", "j", "start"] if show_rf else [])
    right = [True, False, False, True] + [True] * (3 if show_rf else 0)
    rows: list[list[str]] = []
    dims: list[bool] = []
    marks: list[tuple[str, LayerResult]] = []
    for layer in analysis.layers:
        shape = "×".join("?" if v is None else str(v) for v in layer.output_shape)
        if layer.note:
            mark = "*" * (len(marks) + 1) if len(marks) < 3 else f"[{len(marks) + 1}]"
            marks.append((mark, layer))
            shape += mark
        params = "" if layer.kind == "input" else ("-" if layer.params == 0 else _fmt(layer.params))
        row = [layer.index, _label(layer), shape, params]
        if show_rf:
            rf = layer.rf
            row += (
                [
                    _axes([a.r for a in rf]),
                    _axes([a.j for a in rf]),
                    _axes([float(a.start) for a in rf]),
                ]
                if rf
                else ["-"] * 3
            )
        rows.append(row)
        dims.append(layer.block)
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    spare = out.width - 1 - (sum(widths) + 2 * (len(widths) - 1))
    if spare < 0:  # shorten the layer column first
        widths[1] = max(16, widths[1] + spare)

    def line(cells: list[str]) -> str:
        parts = []
        for cell, width, r in zip(cells, widths, right, strict=True):
            if len(cell) > width:
                cell = cell[: width - 1] + "…"
            parts.append(cell.rjust(width) if r else cell.ljust(width))
        return "  ".join(parts).rstrip()

    if origin:
        out.lines.append(out.style(origin, "1"))
    out.lines.append(out.style(line(headers), "1"))
    out.lines.append("─" * min(out.width - 1, sum(widths) + 2 * (len(widths) - 1)))
    for row, dim in zip(rows, dims, strict=True):
        out.lines.append(out.style(line(row), "2" if dim else ""))
    invalid = " (exam problems call this invalid)"
    said = False
    for mark, layer in marks:  # the remark once, not after every layer of a stock network
        note = layer.note.replace(invalid, "")
        said = said or note != layer.note
        out.para(f"{mark} layer {layer.index} {layer.name}: {note}", indent="  ")
    if said:
        out.para(
            "(Exam problems call a size that does not divide exactly invalid; PyTorch accepts it.)",
            indent="  ",
        )
    total = analysis.total_params
    if total is not None:
        text = (
            f"Total parameters: {total:,} (weights {analysis.total_weights:,}, "
            f"biases {analysis.total_biases:,})"
        )
    else:
        text = "Total parameters: unknown (start the spec with input(c=...,h=...,w=...))"
    out.para(text, "1")
    if analysis.rf is not None:
        rf = analysis.rf
        out.para(
            f"Receptive field: {_axes([a.r for a in rf])} px (at {analysis.rf_layer}), "
            f"effective stride {_axes([a.j for a in rf])}, effective padding "
            f"{_axes([a.P for a in rf])}, first unit centred at pixel "
            f"{_axes([float(a.start) for a in rf])}",
            "1" if show_rf else "",
        )
    elif show_rf:
        out.para("Receptive field: none (no layer with a spatial output is tracked)")
    if show_rf:
        out.para("r = r_in + (k-1)·d·j_in,  j = j_in·s,  start = (r-1)/2 - P", "2")
    if analysis.convention:
        out.para(f"Convention: {analysis.convention}", "2")
    for note in analysis.notes:
        out.para(f"Note: {note}", "2")
    if verdict is not None:
        out.para(f"Your answer: {verdict.message}", "1;32" if verdict.correct else "1;31")
    out.flush()
