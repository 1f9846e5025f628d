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
        # numbered as the solutions number them: the input is layer 0, not counted
        layers = x.layers()
        head = [f"{indent}{layers.pop(0)}"] if layers and layers[0].startswith("input(") else []
        return "\n".join(head + [f"{indent}{i}. {layer}" for i, layer in enumerate(layers, 1)])
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
    """Replace ``{name}`` by the rendered parameter; multi-line values go on their own lines.

    Punctuation right after a multi-line value (``{W},`` or ``{X}.``) closes its last line instead
    of starting a line of its own; control characters are made visible (:func:`safe`)."""
    out: list[str] = []
    after_block = False
    for literal, field, _, _ in string.Formatter().parse(text):
        if after_block and literal and not literal.startswith("\n"):
            punct = re.match(r"[.,;:]+", literal)
            if punct:
                out.append(punct.group(0))
                literal = literal[punct.end() :].lstrip(" ")
            if literal and not literal.startswith("\n"):
                out.append("\n")
                literal = literal.lstrip(" ")
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
    return safe(_tidy("".join(out)))


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
    """Replace ``{name}`` in an answer expression by the parameter as a parenthesized number.

    Right after a letter, digit or ``_`` a non-negative integer parameter completes a symbol's name
    instead: ``z{k}`` with k = 2 is the symbol ``z2``."""
    out: list[str] = []
    for literal, field, _, _ in string.Formatter().parse(text):
        out.append(literal)
        if field is not None:
            m = _FIELD.match(field)
            assert m is not None
            value = _access(values[m.group(1)], m.group(2))
            glued = "".join(out)[-1:]
            if (glued.isalnum() or glued == "_") and _index_like(value):
                out.append(str(int(value)))
            else:
                out.append(expression_literal(value))
    return "".join(out)


def _index_like(x: Any) -> bool:
    """A non-negative integer (an index glued to a name, ``z{k}``)."""
    if isinstance(x, bool):
        return False
    if isinstance(x, Fraction):
        return x.denominator == 1 and x >= 0
    return isinstance(x, int) and x >= 0


# -- text safety and notation -----------------------------------------------------------------------

#: Control characters (C0/C1 except newline and tab) and the bidirectional-override marks: a template
#: or a parameter must never move the cursor, recolour the terminal or reorder what is shown.
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def unsafe_characters(text: str) -> list[str]:
    """The control characters and escape sequences in ``text``, as visible escapes (``\\x1b``)."""
    return [_escape_char(m.group(0)) for m in _UNSAFE.finditer(text)]


def _escape_char(c: str) -> str:
    return f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}"


def safe(text: str) -> str:
    """``text`` with every control character shown as a visible escape (``\\x1b``) instead of being
    sent to the terminal."""
    return _UNSAFE.sub(lambda m: _escape_char(m.group(0)), text)


_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_LETTER = r"A-Za-zΑ-Ωα-ω"
_LEFT_WORD = re.compile(rf"[{_LETTER}]+\Z")
_RIGHT_WORD = re.compile(rf"[{_LETTER}]+")


def is_minus(text: str, i: int) -> bool:
    """Is the ``-`` at ``text[i]`` a minus sign rather than a hyphen (``top-left``, ``ε-greedy``,
    ``1-D``, ``VGG-16``) or part of an arrow (``-->``)?"""
    before = text[i - 1] if i > 0 else " "
    after = text[i + 1] if i + 1 < len(text) else " "
    if before == "-" or after in "->":
        return False
    m = _LEFT_WORD.search(text, 0, i)
    left = m.group(0) if m else ""
    m = _RIGHT_WORD.match(text, i + 1)
    right = m.group(0) if m else ""
    if left and right:  # a word on either side is a hyphen; a−b between single letters is a minus
        return len(left) == 1 and len(right) == 1
    if before.isdigit() and right:  # 4096-wide, 1-D, 2-norm; 1−ε is a minus
        return len(right) == 1 and right != "D"
    if left and after.isdigit():  # VGG-16, top-1; k−1 is a minus
        return len(left) == 1
    return True


def ascii_minus(text: str) -> list[str]:
    """The places where ``text`` writes a minus sign as ``-`` (for ``bank lint``): short excerpts."""
    return [
        text[max(0, i - 8) : i + 8] for i, c in enumerate(text) if c == "-" and is_minus(text, i)
    ]


def notation(text: str) -> str:
    """Working written as in the notes: ``−`` for a minus sign, ``≥ ≤ ≠``, superscript digits
    (``z^1`` → ``z¹``, ``0.5^2`` → ``0.5²``) and ``^(…)`` for a grouped exponent (``δ^{l-1}`` →
    ``δ^(l−1)``). Hyphenated words and arrows are left alone."""
    text = re.sub(r"\^\{([^{}]*)\}", r"^(\1)", text)
    text = re.sub(
        r"(?<=[\w)\]'])\^(\d+)(?![\d.])", lambda m: m.group(1).translate(_SUPERSCRIPT), text
    )
    text = text.replace(">=", "≥").replace("<=", "≤").replace("!=", "≠")
    return "".join("−" if c == "-" and is_minus(text, i) else c for i, c in enumerate(text))


def solution_text(question: Any) -> str:
    """The worked solution of a question (:func:`dlstudy.bank.solution.solution_text`)."""
    from dlstudy.bank.solution import solution_text as worked

    return worked(question)
