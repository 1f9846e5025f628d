"""``dlstudy export sheet``: a printable worksheet or mock exam, with its answer key, as HTML or Markdown.

The questions are drawn as ``dlstudy quiz`` and ``dlstudy exam`` draw them (:func:`dlstudy.study.select.
draw`: the same ``--seed``, ``--n``, sections and difficulty give the same questions). A worksheet
groups them by section in the order of the notes; a mock exam (``--exam``) keeps the exam's order and
gives each question its points (its difficulty: 1, 2 or 3) and the sheet a time.

The answer key gives, under each question's ``ID:SEED`` (so ``dlstudy check ID:SEED --answer …``
grades a hand-written answer later), the reference answer with its precision and the worked
solution: after a page break (``--key``) or alone (``--key-only``, e.g. into a second file).

HTML is one self-contained file for the browser and the printer: inline CSS with print rules (a page
break before the key, no question or matrix cut across pages), matrices and vectors as MathML tables,
no script and nothing loaded from the network. Markdown writes matrices as ``$$…$$`` displays and,
inline, as GitHub's ``$`…`$`` (TeX ``bmatrix``), which GitHub renders.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dlstudy.export import Item, built, section_rank, write_text
from dlstudy.export.markup import (
    BRACKET_CSS,
    answer_html,
    answer_rows,
    blocks,
    clean,
    html_text,
    mathml_matrix,
    mistakes,
    options,
    tex_matrix,
)
from dlstudy.sections import TITLES

#: Minutes of a mock exam when none are given (as ``dlstudy exam``).
DEFAULT_MINUTES = 30.0


@dataclass
class Sheet:
    """What to print: the items, and how."""

    items: list[Item]
    seed: int
    exam: bool = False
    minutes: float | None = None
    key: bool = False
    key_only: bool = False
    sections: Sequence[str] | None = None
    difficulty: int | None = None

    @property
    def title(self) -> str:
        if self.key_only:
            return "Answer key" + (" of the mock exam" if self.exam else " of the worksheet")
        return "Mock exam" if self.exam else "Worksheet"

    def points(self, item: Item) -> int:
        return int(item.template.difficulty)

    @property
    def total_points(self) -> int:
        return sum(self.points(i) for i in self.items)

    def facts(self) -> list[str]:
        """The header line: count, time and points, sections, seed."""
        n = len(self.items)
        out = [f"{n} question{'s' if n != 1 else ''}"]
        if self.exam and self.minutes is not None:
            out.append(f"{self.minutes:g} minutes")
            out.append(f"{self.total_points} points")
        if self.sections:
            out.append("sections: " + ", ".join(self.sections))
        if self.difficulty is not None:
            out.append(f"difficulty {self.difficulty}")
        out.append(f"seed {self.seed}")
        return out

    def key_command(self) -> str:
        """The command that prints this sheet's key alone (the same questions: the same seed)."""
        words = [
            "dlstudy export sheet KEY.html --key-only",
            f"--seed {self.seed}",
            f"--n {len(self.items)}",
        ]
        words += [f"--section {s}" for s in self.sections or ()]
        if self.difficulty is not None:
            words.append(f"--difficulty {self.difficulty}")
        if self.exam:
            words.append("--exam")
        return " ".join(words)


def sheet_items(
    bank: Any,
    *,
    n: int,
    seed: int,
    sections: Sequence[str] | None,
    difficulty: int | None,
    exam: bool,
) -> list[Item]:
    """``n`` questions drawn as the quiz and the exam draw them; a worksheet in the notes' order."""
    from dlstudy.study import select

    draws = select.draw(bank, n=n, seed=seed, sections=sections, difficulty=difficulty)
    items = [Item(d.template, d.seed) for d in draws]
    if not exam:
        items.sort(key=lambda i: section_rank(i.template.section))  # stable: the draw within
    return items


CHECK_LINE = 'Grade a hand-written answer: dlstudy check ID:SEED --answer "your answer"'

# -- HTML ---------------------------------------------------------------------------------------------

CSS = """
:root { color-scheme: light; }
body { font-family: "Latin Modern Roman", Georgia, "Times New Roman", serif; font-size: 12pt;
       line-height: 1.45; color: #111; background: #fff; max-width: 46em; margin: 0 auto; padding: 1.5em; }
h1 { font-size: 1.6em; margin: 0 0 0.2em; }
h2 { font-size: 1.25em; margin: 1.2em 0 0.4em; border-bottom: 1px solid #999; }
h3 { font-size: 1.05em; margin: 0 0 0.4em; }
.meta { color: #444; margin: 0.2em 0; }
.ref { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.85em; color: #555;
       font-weight: normal; }
.points { float: right; font-weight: normal; }
.question { padding: 0.6em 0 0.4em; border-top: 1px solid #ddd;
            break-inside: avoid; page-break-inside: avoid; }
.matrix { margin: 0.35em 0 0.35em 2em; break-inside: avoid; page-break-inside: avoid; }
math { break-inside: avoid; page-break-inside: avoid; }
pre.block { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.9em;
            margin: 0.3em 0 0.3em 2em; white-space: pre-wrap; break-inside: avoid; page-break-inside: avoid; }
ol.options { list-style: none; padding-left: 2em; margin: 0.3em 0; }
.work { border: 1px dashed #bbb; border-radius: 3px; margin-top: 0.5em; }
.key { break-before: page; page-break-before: always; }
.key.alone { break-before: auto; page-break-before: auto; }
.key-entry { padding: 0.6em 0; border-top: 1px solid #ddd; }
.answer { margin: 0.2em 0 0.4em; }
.mistakes { margin: 0.2em 0; padding-left: 1.4em; color: #333; }
.solution { margin-top: 0.3em; }
@page { size: A4; margin: 18mm 16mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; }
  .work { border-color: #999; }
  h2 { break-after: avoid; page-break-after: avoid; }
}
"""


def _attr(text: str) -> str:
    return html.escape(clean(text), quote=True)


def _h(text: str) -> str:
    return html.escape(clean(text), quote=False)


def _question_html(sheet: Sheet, k: int, item: Item, q: Any) -> str:
    points = sheet.points(item)
    badge = (
        f'<span class="points">{points} point{"s" if points != 1 else ""}</span>'
        if sheet.exam
        else ""
    )
    parts = [
        f'<section class="question" id="q{k}" data-ref="{_attr(q.ref)}">',
        f'<h3>{badge}{k}. {_h(q.template.title)} <span class="ref">{_h(q.ref)}</span></h3>',
        f'<div class="prompt">{html_text(q.prompt, mathml_matrix)}</div>',
    ]
    opts = options(q)
    if opts:
        items = "".join(f"<li>{letter}) {_h(text)}</li>" for letter, text in opts)
        parts.append(f'<ol class="options">{items}</ol>')
    height = 3 if q.kind in ("choice", "bool") else 4 + 3 * int(q.template.difficulty)
    parts.append(f'<div class="work" style="height: {height}em"></div>')
    parts.append("</section>")
    return "\n".join(parts)


def _inline_matrix(rows: list[list[str]], after: str = "") -> str:
    return mathml_matrix(rows, after, display="inline")


def _key_html(k: int, q: Any) -> str:
    note = f' <span class="precision">({_h(q.precision.words)})</span>' if q.precision else ""
    wrong = "".join(f"<li>{m.html(_inline_matrix)}</li>" for m in mistakes(q))
    answer = json.dumps(q.answer, ensure_ascii=False)
    return "\n".join(
        [
            f'<section class="key-entry" id="key-{k}" data-ref="{_attr(q.ref)}" '
            f'data-answer="{_attr(answer)}">',
            f'<h3>{k}. <span class="ref">{_h(q.ref)}</span> {_h(q.template.title)}</h3>',
            f'<div class="answer"><b>Answer:</b> {answer_html(q, _inline_matrix)}{note}</div>',
            f'<ul class="mistakes">{wrong}</ul>' if wrong else "",
            f'<div class="solution"><b>Worked solution</b>{html_text(q.solution_text(), mathml_matrix)}</div>',
            "</section>",
        ]
    )


def render_html(sheet: Sheet, questions: list[tuple[Item, Any]]) -> str:
    facts = " · ".join(sheet.facts())
    head = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8"/>',
        '<meta name="viewport" content="width=device-width, initial-scale=1"/>',
        f"<title>dlstudy: {_h(sheet.title)}</title>",
        f"<style>{CSS}{BRACKET_CSS}</style>",
        "</head>",
        "<body>",
        "<header>",
        f"<h1>{_h(sheet.title)}</h1>",
        f'<p class="meta">{_h(facts)}</p>',
    ]
    body: list[str] = []
    if not sheet.key_only:
        head.append('<p class="meta">Name: ____________________________</p>')
        if not sheet.key:
            head.append(f'<p class="meta">Answer key: <code>{_h(sheet.key_command())}</code></p>')
        body.append('<main class="questions">')
        current = None
        for k, (item, q) in enumerate(questions, 1):
            if not sheet.exam and item.template.section != current:
                current = item.template.section
                body.append(f"<h2>{_h(TITLES.get(current, current))}</h2>")
            body.append(_question_html(sheet, k, item, q))
        body.append("</main>")
    head.append("</header>")
    if sheet.key or sheet.key_only:
        alone = " alone" if sheet.key_only else ""
        body.append(f'<section class="key{alone}">')
        if not sheet.key_only:
            body.append("<h1>Answer key</h1>")
        body.append(f'<p class="meta">{_h(CHECK_LINE)}</p>')
        body += [_key_html(k, q) for k, (_, q) in enumerate(questions, 1)]
        body.append("</section>")
    return "\n".join([*head, *body, "</body>", "</html>"]) + "\n"


# -- Markdown -----------------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|$~#])")


def md_escape(text: str) -> str:
    """Text that GitHub's Markdown shows as written: its markup characters escaped."""
    out = _MD_SPECIAL.sub(r"\\\1", clean(text))
    out = out.replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"^(\d+)\.(?=\s)", r"\1\\.", re.sub(r"^([-+])(?=\s)", r"\\\1", out))


def _fence(lines: list[str]) -> str:
    longest = max((len(m) for line in lines for m in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return "\n".join([fence, *(clean(line) for line in lines), fence])


def md_text(text: str) -> str:
    """A prompt or solution as Markdown: lines with hard breaks, matrices as ``$$…$$``, tables and
    layer lists as code blocks."""
    out: list[str] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            out.append(" \\\n".join(run))
            run.clear()

    for kind, value in blocks(text):
        if kind == "line":
            if value.strip():
                run.append(md_escape(value.strip()))
            else:
                flush()
        elif kind == "grid":
            flush()
            # punctuation after a matrix ("K = [...].") goes inside the display, as in print
            out.append("$$\n" + tex_matrix(value.rows) + value.after + "\n$$")
        else:
            flush()
            out.append(_fence(value))
    flush()
    return "\n\n".join(out)


def _md_answer(q: Any) -> str:
    rows = answer_rows(q)
    note = f" ({q.precision.words})" if q.precision is not None else ""
    if rows is not None:
        return f"**Answer**{md_escape(note)}:\n\n$$\n{tex_matrix(rows)}\n$$"
    return f"**Answer:** {md_escape(q.answer_text.strip())}{md_escape(note)}"


def render_markdown(sheet: Sheet, questions: list[tuple[Item, Any]]) -> str:
    out = [f"# {md_escape(sheet.title)}", "", f"*{md_escape(' · '.join(sheet.facts()))}*", ""]
    if not sheet.key_only:
        if not sheet.key:
            out += [f"Answer key: `{sheet.key_command()}`", ""]
        current = None
        for k, (item, q) in enumerate(questions, 1):
            if not sheet.exam and item.template.section != current:
                current = item.template.section
                out += [f"## {md_escape(TITLES.get(current, current))}", ""]
            points = sheet.points(item)
            badge = f" — {points} point{'s' if points != 1 else ''}" if sheet.exam else ""
            out += [f"### {k}. {md_escape(q.template.title)} (`{q.ref}`){badge}", ""]
            out += [md_text(q.prompt), ""]
            for letter, text in options(q):
                out += [f"- {letter}) {md_escape(text)}"]
            if q.options:
                out.append("")
    if sheet.key or sheet.key_only:
        if not sheet.key_only:
            out += ["---", "", "## Answer key", ""]
        out += [md_escape(CHECK_LINE), ""]
        for k, (_, q) in enumerate(questions, 1):
            out += [f"### {k}. `{q.ref}` {md_escape(q.template.title)}", "", _md_answer(q), ""]
            for m in mistakes(q):
                if m.rows is not None:
                    # $`…`$: GitHub's inline math that Markdown never touches (the \\ of a row)
                    shown = f" (gives $`{tex_matrix(m.rows)}`$)"
                else:
                    shown = f" (gives {md_escape(m.shown)})" if m.shown else ""
                out.append(f"- Mistake: {md_escape(m.message)}{shown}")
            if q.expected.mistakes:
                out.append("")
            out += ["**Worked solution**", "", md_text(q.solution_text()), ""]
    return "\n".join(out).rstrip("\n") + "\n"


def export(sheet: Sheet, path: Path, *, quiet: bool = False) -> int:
    """Write ``sheet`` to ``path`` (``.html``, ``.htm`` or ``.md``); returns the size in bytes."""
    questions = list(built(sheet.items, "worksheet", quiet=quiet))
    if path.suffix.lower() == ".md":
        return write_text(path, render_markdown(sheet, questions))
    return write_text(path, render_html(sheet, questions))
