"""What ``dlstudy rf`` and ``dlstudy params`` do: resolve the SPEC argument (inline text, a file, a
preset or ``-`` for stdin), analyse it, print a rich table or one JSON object, and check ``--answer``.
Pure Python; rich is imported only to draw tables."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from dlstudy.arch.engine import Analysis, LayerResult, analyze_nodes
from dlstudy.arch.parser import ALIASES, BLOCKS, KINDS, parse
from dlstudy.arch.presets import PRESETS, preset_path
from dlstudy.errors import DlstudyError, did_you_mean

_MAX_BYTES = 1_000_000
_BARE_WORD = re.compile(r"[A-Za-z0-9_\-]+\Z")
_PATHISH = re.compile(r"[\w.\-~/\\]+\Z")


def resolve_spec(arg: str) -> tuple[str, str]:
    """``(spec text, origin)`` for a SPEC argument: ``-`` (stdin), a preset name, a file, or inline
    text. ``origin`` names the file for error messages (empty for inline text)."""
    text = arg.strip()
    if text == "-":
        data = sys.stdin.read(_MAX_BYTES + 1)
        if len(data) > _MAX_BYTES:
            raise DlstudyError("spec on stdin is too large (over 1 MB)")
        return data, "<stdin>"
    path = preset_path(text) if _BARE_WORD.match(text) else None
    if path is not None:
        return path.read_text(encoding="utf-8"), path.name
    if "(" not in text and _PATHISH.match(text):
        candidate = Path(text).expanduser()
        if candidate.is_file():
            return _read(candidate, text), text
        word = text.lower()
        if _BARE_WORD.match(text) and (word in KINDS or word in ALIASES or word in BLOCKS):
            return arg, ""
        if _BARE_WORD.match(text) and "." not in text:
            suggestion = did_you_mean(word, [*PRESETS, *KINDS])
            raise DlstudyError(
                f"unknown preset, layer or file '{text}'{suggestion}; presets: "
                f'{", ".join(PRESETS)} (or give a spec such as "conv(c=16,k=3), relu" or a file)'
            )
        raise DlstudyError(f"file not found: {text}")
    candidate = Path(text).expanduser() if len(text) < 4096 and "\n" not in text else None
    if candidate is not None and "(" not in text and candidate.is_file():
        return _read(candidate, text), text
    return arg, ""


def _read(path: Path, label: str) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DlstudyError(f"cannot read {label}: {exc.strerror}") from None
    if len(raw) > _MAX_BYTES:
        raise DlstudyError(f"{label} is too large ({len(raw)} bytes)")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise DlstudyError(f"{label} is not UTF-8 text") from None


def run(
    spec_arg: str,
    what: str,
    *,
    answer: str | None = None,
    as_json: bool = False,
    single_bias: bool = False,
) -> int:
    """The ``rf`` (``what="rf"``) or ``params`` command; returns the exit code."""
    from dlstudy.arch.check import check_answer

    text, origin = resolve_spec(spec_arg)
    nodes = parse(text, origin)
    analysis = analyze_nodes(nodes, single_bias=single_bias)
    verdict = check_answer(nodes, what, answer, single_bias) if answer is not None else None
    if as_json:
        from dlstudy.output import print_json

        out = analysis.to_json()
        if verdict is not None:
            out["check"] = verdict.to_json()
        print_json(out)
    else:
        _print_table(analysis, what, origin)
        if verdict is not None:
            from dlstudy.output import console

            style = "bold green" if verdict.correct else "bold red"
            console().print(f"Your answer: {verdict.message}", style=style, markup=False)
    return 0 if verdict is None else verdict.exit_code


# -- rendering ------------------------------------------------------------------------------------
def _fmt(value: Any) -> str:
    if value is None:
        return "?"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _axes(values: list[Any]) -> str:
    if len(set(values)) == 1:
        v = values[0]
        return str(int(v)) if float(v).is_integer() else str(float(v))
    return "×".join(str(int(v)) if float(v).is_integer() else str(float(v)) for v in values)


def _label(layer: LayerResult) -> str:
    """``conv3 3×3 s2 p1 → 64``: the layer's name, then its settings, indented by nesting."""
    _head, _, rest = (layer.summary or layer.kind).partition(" ")
    return "  " * layer.depth + f"{layer.name} {rest}".rstrip()


def _print_table(analysis: Analysis, what: str, origin: str) -> None:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    from dlstudy.output import console

    show_rf = what == "rf"
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, padding=(0, 1))
    table.add_column("#", justify="right", style="dim", no_wrap=True)
    table.add_column("layer", overflow="fold")
    table.add_column("output", no_wrap=True)
    table.add_column("params", justify="right", no_wrap=True)
    if show_rf:
        table.add_column("r", justify="right", no_wrap=True)
        table.add_column("j", justify="right", no_wrap=True)
        table.add_column("start", justify="right", no_wrap=True)
    marks: list[tuple[str, LayerResult]] = []
    for layer in analysis.layers:
        shape = "×".join("?" if v is None else str(v) for v in layer.output_shape)
        if layer.note:
            marks.append(
                ("*" * (len(marks) + 1) if len(marks) < 3 else f"[{len(marks) + 1}]", layer)
            )
            shape += marks[-1][0]
        params = "" if layer.kind == "input" else _fmt(layer.params)
        if layer.params == 0:
            params = "-"
        style = "dim" if layer.block else ""
        cells = [
            Text(layer.index),
            Text(_label(layer), style=style),
            Text(shape),
            Text(params, style=style),
        ]
        if show_rf:
            rf = layer.rf
            if rf:
                cells += [
                    Text(_axes([a.r for a in rf])),
                    Text(_axes([a.j for a in rf])),
                    Text(_axes([float(a.start) for a in rf])),
                ]
            else:
                cells += [Text("-")] * 3
        table.add_row(*cells)
    out = console()
    if origin:
        out.print(Text(f"{origin}", style="bold"))
    out.print(table)
    for mark, layer in marks:
        out.print(Text(f"{mark} layer {layer.index} {layer.name}: {layer.note}"))
    total = analysis.total_params
    if total is not None:
        line = (
            f"Total parameters: {total:,} (weights {analysis.total_weights:,}, "
            f"biases {analysis.total_biases:,})"
        )
    else:
        line = "Total parameters: unknown (start the spec with input(c=...,h=...,w=...))"
    out.print(Text(line, style="bold"))
    if analysis.rf is not None:
        rf = analysis.rf
        start = _axes([float(a.start) for a in rf])
        out.print(
            Text(
                f"Receptive field: {_axes([a.r for a in rf])} px (at {analysis.rf_layer}), "
                f"effective stride {_axes([a.j for a in rf])}, effective padding "
                f"{_axes([a.P for a in rf])}, first unit centred at pixel {start}",
                style="bold" if show_rf else "",
            )
        )
    elif show_rf:
        out.print(Text("Receptive field: none (no layer with a spatial output is tracked)"))
    if show_rf:
        out.print(Text("r = r_in + (k-1)·d·j_in,  j = j_in·s,  start = (r-1)/2 - P", style="dim"))
    if analysis.convention:
        out.print(Text(f"Convention: {analysis.convention}", style="dim"))
    for note in analysis.notes:
        out.print(Text(f"Note: {note}", style="dim"))
