"""Render parameter values, prompts and worked solutions as readable unicode (never LaTeX).

Integers plainly, fractions as ``3/4``, floats to 4 significant digits, vectors as ``[1, 2, 3]``,
matrices as aligned grids on their own lines, MDPs as a transition table, layer stacks one per line.
"""

from __future__ import annotations

import math
import re
import string
from fractions import Fraction
from typing import Any

_FIELD = re.compile(r"([A-Za-z_]\w*)((?:\[\d+\]|\.\w+)*)\Z")


def number(x: Any, digits: int = 4) -> str:
    """One number: ``3``, ``3/4``, ``0.1235``, ``−2`` (unicode minus)."""
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, int):
        text = str(x)
    elif isinstance(x, Fraction):
        text = str(x.numerator) if x.denominator == 1 else f"{x.numerator}/{x.denominator}"
    else:
        try:
            f = float(x)
        except (TypeError, ValueError):
            return str(x)
        if not math.isfinite(f):
            text = "∞" if f > 0 else ("−∞" if f < 0 else "nan")
        elif f == round(f) and abs(f) < 1e15:
            text = str(round(f))
        else:
            text = f"{f:.{digits}g}"
    return text.replace("-", "−")


def _is_number(x: Any) -> bool:
    return (isinstance(x, (int, float, Fraction)) and not isinstance(x, bool)) or hasattr(
        x, "dtype"
    )


def is_matrix(x: Any) -> bool:
    return (
        isinstance(x, list)
        and len(x) > 0
        and all(isinstance(r, list) and r and all(_is_number(v) for v in r) for r in x)
        and len({len(r) for r in x}) == 1
    )


def grid(rows: list[list[Any]], digits: int = 4, indent: str = "    ") -> str:
    """Aligned matrix, one row per line, entries right-aligned in columns."""
    cells = [[number(v, digits) for v in row] for row in rows]
    widths = [max(len(r[j]) for r in cells) for j in range(len(cells[0]))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in cells]
    if len(lines) == 1:
        return f"{indent}[ {lines[0]} ]"
    out = []
    for i, line in enumerate(lines):
        left, right = ("⎡", "⎤") if i == 0 else (("⎣", "⎦") if i == len(lines) - 1 else ("⎢", "⎥"))
        out.append(f"{indent}{left} {line} {right}")
    return "\n".join(out)


def inline(x: Any, digits: int = 4) -> str:
    """A value on one line (vectors ``[1, 2]``, nested lists, dicts ``{s0: 1, s1: 2}``)."""
    if hasattr(x, "tolist"):
        x = x.tolist()
    if isinstance(x, str):
        return x
    if isinstance(x, dict):
        return "{" + ", ".join(f"{k}: {inline(v, digits)}" for k, v in x.items()) + "}"
    if isinstance(x, (list, tuple)):
        return "[" + ", ".join(inline(v, digits) for v in x) + "]"
    return number(x, digits)


def is_mdp(x: Any) -> bool:
    return isinstance(x, dict) and "transitions" in x and "states" in x


def mdp_table(m: dict[str, Any], indent: str = "    ") -> str:
    """An MDP as lines ``s0 --left--> s1   p = 1   r = −1`` plus γ and the terminal states."""
    lines = [f"{indent}states: {', '.join(map(str, m.get('states', [])))}"]
    if m.get("actions"):
        lines.append(f"{indent}actions: {', '.join(map(str, m['actions']))}")
    if "gamma" in m:
        lines.append(f"{indent}γ = {number(m['gamma'])}")
    if m.get("terminal"):
        lines.append(f"{indent}terminal (value 0): {', '.join(map(str, m['terminal']))}")
    rows = []
    for t in m.get("transitions", []):
        rows.append(
            (
                f"{t.get('state')} --{t.get('action')}--> {t.get('next')}",
                f"p = {number(t.get('prob', 1))}",
                f"r = {number(t.get('reward', 0))}",
            )
        )
    if rows:
        w0 = max(len(r[0]) for r in rows)
        w1 = max(len(r[1]) for r in rows)
        lines += [f"{indent}{a.ljust(w0)}   {b.ljust(w1)}   {c}" for a, b, c in rows]
    return "\n".join(lines)


def gridworld_text(m: dict[str, Any], indent: str = "    ") -> str:
    """A compiled gridworld by its layout (``#`` wall, numbers are terminal rewards) and its rules."""
    rows = [str(r).split() for r in m["layout"]]
    width = max((len(c) for r in rows for c in r), default=1)
    lines = [indent + " ".join(c.replace("-", "−").rjust(width) for c in r) for r in rows]
    lines.append(
        f"{indent}(cells are states r<row>c<col>; # is a wall; a number is a terminal reward)"
    )
    if "step_reward" in m:
        lines.append(f"{indent}reward per step: {number(m['step_reward'])}")
    if m.get("slip"):
        lines.append(f"{indent}slip probability: {number(m['slip'])}")
    if "gamma" in m:
        lines.append(f"{indent}γ = {number(m['gamma'])}")
    lines.append(f"{indent}actions: {', '.join(map(str, m.get('actions', [])))}")
    return "\n".join(lines)


def block(x: Any, digits: int = 4, indent: str = "    ") -> str:
    """A value for display: multi-line (grid, MDP table, layer list) or a single line."""
    if hasattr(x, "tolist"):
        x = x.tolist()
    if is_matrix(x) and len(x) > 1:
        return grid(x, digits, indent)
    if hasattr(x, "layers") and isinstance(x, str):
        return "\n".join(f"{indent}{i}. {layer}" for i, layer in enumerate(x.layers(), 1))
    if is_mdp(x) and isinstance(x.get("layout"), list):
        return gridworld_text(x, indent)
    if is_mdp(x):
        return mdp_table(x, indent)
    if isinstance(x, dict) and "grid" in x and isinstance(x["grid"], str):
        return "\n".join(indent + line for line in x["grid"].strip("\n").splitlines())
    return inline(x, digits)


def fields(text: str) -> list[tuple[str, str]]:
    """The ``{placeholders}`` of ``text`` as (name, access path); raises ValueError if malformed."""
    out = []
    for _, field, spec, conversion in string.Formatter().parse(text):
        if field is None:
            continue
        if spec or conversion:
            raise ValueError(f"placeholder '{{{field}}}' has a format spec; write just {{name}}")
        m = _FIELD.match(field)
        if not m:
            raise ValueError(f"placeholder '{{{field}}}' is not a parameter name")
        out.append((m.group(1), m.group(2)))
    return out


def _access(value: Any, path: str) -> Any:
    for part in re.findall(r"\[(\d+)\]|\.(\w+)", path):
        index, key = part
        if index:
            value = value[int(index)]
        elif isinstance(value, dict):
            value = value[key]
        else:
            value = value[int(key)]
    return value


def fill(text: str, values: dict[str, Any]) -> str:
    """Replace ``{name}`` by the rendered parameter; multi-line values go on their own lines."""
    out: list[str] = []
    after_block = False
    for literal, field, _, _ in string.Formatter().parse(text):
        if after_block and literal and not literal.startswith("\n"):
            out.append("\n")
        out.append(literal)
        after_block = False
        if field is None:
            continue
        m = _FIELD.match(field)
        assert m is not None
        shown = block(_access(values[m.group(1)], m.group(2)))
        if "\n" in shown or shown.startswith("    "):
            if out and not "".join(out).endswith("\n"):
                out.append("\n")
            out.append(shown)
            after_block = True
        else:
            out.append(shown)
    return _tidy("".join(out))


def _tidy(text: str) -> str:
    """Strip trailing spaces, collapse a blank line left after a grid, reflow prose, trim the ends."""
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n\n(?=[.,;:])", "\n", text)
    return _reflow(text.strip("\n"))


_ITEM = re.compile(r"([a-z][).]|[-•*]|\d+[.)])\s")


def _prose(line: str) -> bool:
    return bool(line.strip()) and not line[0].isspace() and not any(c in line for c in "⎡⎢⎣│┌└")


def _reflow(text: str) -> str:
    """Join prose lines broken in the template file so the terminal wraps them at its own width;
    grids (indented lines), blank lines and list items keep their line breaks."""
    out: list[str] = []
    for line in text.split("\n"):
        if out and _prose(out[-1]) and _prose(line) and not _ITEM.match(line):
            out[-1] = f"{out[-1].rstrip()} {line.lstrip()}"
        else:
            out.append(line)
    return "\n".join(out)


def with_precision(prompt: str, sentence: str) -> str:
    """The prompt followed, on its own line, by the precision asked (``Give 3 significant
    figures.``); the bank's prompt texts never state it themselves."""
    if not sentence:
        return prompt
    return f"{prompt.rstrip()}\n{sentence}"


def expression_literal(x: Any) -> str:
    """A parameter value as it appears inside an answer expression (``(3/4)``, ``(-2)``)."""
    if isinstance(x, Fraction):
        return f"({x.numerator}/{x.denominator})" if x.denominator != 1 else f"({x.numerator})"
    if isinstance(x, bool):
        return "1" if x else "0"
    if isinstance(x, int):
        return f"({x})"
    if isinstance(x, float):
        return f"({x!r})"
    raise ValueError(f"only numbers can appear in an expression, got {x!r}")


def fill_expression(text: str, values: dict[str, Any]) -> str:
    """Replace ``{name}`` in an answer expression by the parameter as a parenthesized number."""
    out: list[str] = []
    for literal, field, _, _ in string.Formatter().parse(text):
        out.append(literal)
        if field is not None:
            m = _FIELD.match(field)
            assert m is not None
            out.append(expression_literal(_access(values[m.group(1)], m.group(2))))
    return "".join(out)
