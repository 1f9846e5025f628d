"""The texts of a question (prompt, answer, worked solution) as HTML with MathML or TeX matrices.

The bank renders everything as readable unicode (:mod:`dlstudy.bank.render`): a matrix is a grid of
lines ``⎡ 1  2 ⎤ / ⎣ 3  4 ⎦``. :func:`blocks` splits such a text into prose lines, matrix grids (their
entries as the renderer wrote them) and preformatted blocks (an MDP's transition table, a layer
list). The exports turn the grids into MathML tables (the worksheet) or TeX ``bmatrix`` (Anki and
Moodle, shown by MathJax) and escape everything else: HTML-escaped, control characters shown as
visible escapes (:func:`dlstudy.bank.render.safe`), and what MathJax or Moodle's cloze syntax would
read disarmed: a word joiner (U+2060) after ``\\`` and ``$`` (MathJax reads the decoded text), ``{``
and ``}`` as character references (the cloze parser reads the source).

Answers are rendered from the reference values themselves, never re-read from text: entries to 6
significant digits as ``dlstudy bank show`` prints them.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dlstudy.bank import render

_OPEN = "⎡⎢⎣"
_GRID_LINE = re.compile(r"(\s*)([⎡⎢⎣\[])\s(.*?)\s([⎤⎥⎦\]])([.,;:]*)\s*\Z")
_NUMBER_CELL = re.compile(r"[−-]?(\d+(\.\d*)?|\.\d+)(e[−+-]?\d+)?(/\d+)?\Z|[−-]?∞\Z")
#: Characters that XML 1.0 forbids (after render.safe has made C0/C1 controls visible).
_NOT_XML = re.compile("[\ud800-\udfff\ufffe\uffff]")


@dataclass
class Grid:
    """A matrix as the renderer wrote it: rows of entry texts, and punctuation after it (``.``)."""

    rows: list[list[str]]
    after: str = ""


Block = tuple[str, Any]  # ("line", str) | ("grid", Grid) | ("pre", list[str])


def blocks(text: str) -> list[Block]:
    """Split ``text`` into prose lines, matrix grids and preformatted blocks (indented 4+ spaces)."""
    lines = text.split("\n")
    out: list[Block] = []
    i = 0
    while i < len(lines):
        grid, i_next = _grid_at(lines, i)
        if grid is not None:
            out.append(("grid", grid))
            i = i_next
            continue
        line = lines[i]
        if line.startswith("    ") and line.strip():
            if out and out[-1][0] == "pre":
                out[-1][1].append(line[4:])
            else:
                out.append(("pre", [line[4:]]))
        else:
            out.append(("line", line))
        i += 1
    return out


def _grid_at(lines: list[str], i: int) -> tuple[Grid | None, int]:
    """The grid starting at line ``i`` (``⎡ … ⎤`` to ``⎣ … ⎦``, or a one-row ``[ … ]`` of
    numbers), and the index after it."""
    m = _GRID_LINE.match(lines[i])
    if not m or m.group(1) == "":
        return None, i
    if m.group(2) == "[":
        cells = m.group(3).split()
        if m.group(4) == "]" and cells and all(_NUMBER_CELL.match(c) for c in cells):
            return Grid([cells], m.group(5)), i + 1
        return None, i
    if m.group(2) != "⎡":
        return None, i
    rows = [m.group(3).split()]
    j = i + 1
    while j < len(lines):
        m = _GRID_LINE.match(lines[j])
        if not m or m.group(2) not in _OPEN[1:]:
            return None, i
        rows.append(m.group(3).split())
        if m.group(2) == "⎣":
            if len({len(r) for r in rows}) != 1:
                return None, i
            return Grid(rows, m.group(5)), j + 1
        j += 1
    return None, i


# -- escaping ---------------------------------------------------------------------------------------


def clean(text: str) -> str:
    """Template text made safe to embed: control characters as visible escapes, no character that
    XML forbids."""
    return _NOT_XML.sub("\ufffd", render.safe(text))


def esc(text: str) -> str:
    """HTML-escaped :func:`clean` text in which neither MathJax (``\\( $$``) nor a Moodle cloze field
    (``{1:NUMERICAL:…}``) can start."""
    out = html.escape(clean(text), quote=True)
    # MathJax reads the decoded text: a word joiner after each \\ and $ keeps \\( and $$ apart
    out = out.replace("\\", "\\\u2060").replace("$", "$\u2060")
    return out.replace("{", "&#123;").replace("}", "&#125;")


# -- matrices -----------------------------------------------------------------------------------------


def tex_cell(cell: str) -> str:
    """An entry as TeX: ``−2`` → ``-2``, ``∞`` → ``\\infty``, a word as ``\\text{…}``."""
    text = cell.replace("−", "-").replace("∞", r"\infty")
    if _NUMBER_CELL.match(cell):
        return text
    return r"\text{" + re.sub(r"[\\{}$&#^_%~]", " ", clean(cell)) + "}"


def tex_matrix(rows: list[list[str]]) -> str:
    """``\\begin{bmatrix} a & b \\\\ c & d \\end{bmatrix}``."""
    body = r" \\ ".join(" & ".join(tex_cell(c) for c in row) for row in rows)
    return r"\begin{bmatrix} " + body + r" \end{bmatrix}"


def mathjax_matrix(rows: list[list[str]], after: str = "") -> str:
    """A matrix as display math for MathJax (Anki, Moodle): ``\\[ … \\]``, HTML-escaped, with the
    punctuation ``after`` it inside (``K = [ … ].``)."""
    tail = re.sub(r"[^.,;:]", "", after)
    return html.escape(r"\[" + tex_matrix(rows) + tail + r"\]", quote=False)


def mathjax_inline_matrix(rows: list[list[str]], after: str = "") -> str:
    """A matrix as inline math for MathJax: ``\\( … \\)`` (inside a sentence)."""
    tail = re.sub(r"[^.,;:]", "", after)
    return html.escape(r"\(" + tex_matrix(rows) + tail + r"\)", quote=False)


def mathml_matrix(rows: list[list[str]], after: str = "", display: str = "block") -> str:
    """A matrix (or a row vector: one row) as a MathML table in square brackets (drawn by the CSS
    of :data:`BRACKET_CSS`)."""
    cells = []
    for row in rows:
        tds = "".join(f"<mtd>{_mathml_cell(c)}</mtd>" for c in row)
        cells.append(f"<mtr>{tds}</mtr>")
    # the brackets are the table's CSS borders (class "bracket"): a stretchy <mo>[</mo> needs a
    # math font, which a printer's machine may lack
    tail = "".join(f"<mo>{c}</mo>" for c in after if c in ".,;:")
    return (
        f'<math display="{display}"><mtable class="bracket">{"".join(cells)}</mtable>{tail}</math>'
    )


#: CSS that draws the square brackets of :func:`mathml_matrix` (borders and four corner ticks).
BRACKET_CSS = """
mtable.bracket { border-left: 1.5px solid currentColor; border-right: 1.5px solid currentColor;
  padding: 0.1em 0.2em; background-repeat: no-repeat; background-size: 0.35em 1.5px;
  background-image: linear-gradient(currentColor, currentColor), linear-gradient(currentColor, currentColor),
    linear-gradient(currentColor, currentColor), linear-gradient(currentColor, currentColor);
  background-position: left top, left bottom, right top, right bottom; }
mtable.bracket mtd { padding: 0.1em 0.45em; }
"""


def _mathml_cell(cell: str) -> str:
    if _NUMBER_CELL.match(cell):
        return f"<mn>{html.escape(cell)}</mn>"
    return f"<mtext>{html.escape(clean(cell))}</mtext>"


# -- texts as HTML --------------------------------------------------------------------------------------


#: Renders a matrix (rows of entry texts, and punctuation after it) as markup.
MatrixMarkup = Callable[..., str]


def html_text(text: str, matrix: MatrixMarkup) -> str:
    """``text`` (a prompt or a worked solution) as HTML: prose lines joined by ``<br/>`` with their
    indentation kept, grids through ``matrix(rows, after)``, indented blocks as ``<pre>``."""
    parts: list[str] = []
    line_run: list[str] = []

    def flush() -> None:
        if line_run:
            parts.append('<div class="lines">' + "<br/>".join(line_run) + "</div>")
            line_run.clear()

    for kind, value in blocks(text):
        if kind == "line":
            stripped = value.lstrip(" ")
            indent = "&#160;" * (len(value) - len(stripped))
            line_run.append(indent + esc(stripped))
        elif kind == "grid":
            flush()
            parts.append(f'<div class="matrix">{matrix(value.rows, value.after)}</div>')
        else:
            flush()
            parts.append('<pre class="block">' + esc("\n".join(value)) + "</pre>")
    flush()
    return "".join(parts)


# -- answers ------------------------------------------------------------------------------------------


def cell_text(value: Any) -> str:
    """One entry of an answer: 6 significant digits, as ``dlstudy bank show`` prints it."""
    return value if isinstance(value, str) else render.number(value, digits=6)


def answer_rows(question: Any) -> list[list[str]] | None:
    """The rows of entry texts of a vector (one row) or matrix answer; ``None`` for other kinds."""
    answer = question.answer
    if question.kind == "matrix" and isinstance(answer, list):
        return [[cell_text(v) for v in row] for row in answer]
    if question.kind == "vector" and isinstance(answer, list):
        return [[cell_text(v) for v in answer]]
    return None


def answer_html(question: Any, matrix: MatrixMarkup) -> str:
    """The reference answer as HTML: a vector or matrix through ``matrix``, else the bank's text."""
    rows = answer_rows(question)
    if rows is not None:
        return matrix(rows)
    return esc(question.answer_text.strip("\n"))


def precision_note(question: Any) -> str:
    """``3 significant figures``, ``exact``, or ``""`` when the answer has no precision."""
    return question.precision.words if question.precision is not None else ""


@dataclass
class Mistake:
    """A named misconception: what the student did wrong, the value it gives on one line (a number,
    a vector, an expression; ``""`` for a choice, whose wrong option is the message's subject) and,
    for a matrix, its rows of entry texts."""

    message: str
    shown: str
    rows: list[list[str]] | None = None

    def html(self, matrix: MatrixMarkup) -> str:
        """``message (gives value)`` as HTML, a matrix through ``matrix``."""
        if self.rows is not None:
            return f"{esc(self.message)} (gives {matrix(self.rows)})"
        return esc(self.message) + (f" (gives {esc(self.shown)})" if self.shown else "")


def mistakes(question: Any) -> list[Mistake]:
    """The named misconceptions of a question (:class:`Mistake`)."""
    out = []
    for m in question.expected.mistakes:
        value = getattr(m, "value", None)
        node = getattr(m, "node", None)
        rows = None
        if node is not None:
            from dlstudy.answers.expr import to_text

            shown = to_text(node)
        elif value is None or isinstance(value, str):
            shown = ""
        else:
            shown = render.inline(value, digits=6)
            if render.is_matrix(value) and len(value) > 1:
                rows = [[cell_text(v) for v in row] for row in value]
        out.append(Mistake(clean(m.message), clean(shown), rows))
    return out


def options(question: Any) -> list[tuple[str, str]]:
    """The options of a choice question as (letter, text)."""
    return [(chr(ord("a") + i), clean(o)) for i, o in enumerate(question.options)]
