"""``dlstudy export anki``: an Anki deck (``.apkg``, built with genanki).

One deck ``dlstudy`` with a sub-deck per section of the notes (``dlstudy::<section title>``), one note
per (template, variant). The front is the prompt (and the options of a choice question), the back the
answer with its precision, the named misconceptions and the worked solution. Matrices render as
MathJax ``\\[ \\begin{bmatrix} … \\end{bmatrix} \\]``; the rest is escaped text.

Ids are stable, so importing a new export updates the notes instead of duplicating them: the note
type and the decks have ids derived from SHA-256 of their names, and a note's guid is derived from
its ``ID:SEED``. Tags: the section id, ``difficulty::N`` and the ``ID:SEED``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dlstudy.export import Item, built, write_output
from dlstudy.export.markup import (
    answer_html,
    esc,
    html_text,
    mathjax_inline_matrix,
    mathjax_matrix,
    mistakes,
    options,
)

DECK = "dlstudy"
MODEL_NAME = "dlstudy question"
FIELDS = ("Ref", "Section", "Prompt", "Options", "Answer", "Precision", "Mistakes", "Solution")

FRONT = """<div class="ref">{{Section}} · {{Ref}}</div>
<div class="prompt">{{Prompt}}</div>
{{#Options}}<div class="options">{{Options}}</div>{{/Options}}"""

BACK = """{{FrontSide}}
<hr id="answer">
<div class="answer"><b>Answer:</b> {{Answer}}{{#Precision}} <span class="precision">({{Precision}})</span>{{/Precision}}</div>
{{#Mistakes}}<div class="mistakes"><b>Common mistakes</b><ul>{{Mistakes}}</ul></div>{{/Mistakes}}
<div class="solution"><b>Worked solution</b>{{Solution}}</div>"""

CSS = """.card { font-family: sans-serif; font-size: 18px; text-align: left; color: black; background: white; }
.ref { color: #777; font-size: 13px; margin-bottom: 0.6em; }
.lines { margin: 0.3em 0; }
.matrix { margin: 0.4em 0; }
pre.block { font-size: 15px; background: #f5f5f5; padding: 0.4em; white-space: pre-wrap; }
.options div { margin: 0.2em 0 0.2em 1em; }
.precision { color: #555; }
.mistakes li { margin: 0.2em 0; }
.solution { margin-top: 0.8em; }
.nightMode .card, .night_mode .card { color: white; background: #2f2f31; }
.nightMode pre.block, .night_mode pre.block { background: #3a3a3c; }
"""


def stable_id(name: str) -> int:
    """An Anki id (note type, deck) from ``name``: SHA-256, in genanki's recommended range
    [2^30, 2^31), the same on every machine and every export."""
    digest = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big")
    return (1 << 30) + digest % (1 << 30)


def deck_name(section_title: str) -> str:
    # "::" separates sub-decks in Anki: a title never nests by accident
    return f"{DECK}::{section_title.replace('::', ':')}"


def model() -> Any:
    import genanki

    return genanki.Model(
        stable_id(f"model:{MODEL_NAME}"),
        MODEL_NAME,
        fields=[{"name": f} for f in FIELDS],
        templates=[{"name": "Question", "qfmt": FRONT, "afmt": BACK}],
        css=CSS,
    )


def note_fields(q: Any, section_title: str) -> list[str]:
    """The fields of a question's note, in the order of :data:`FIELDS` (HTML)."""
    opts = "".join(f"<div>{letter}) {esc(text)}</div>" for letter, text in options(q))
    wrong = "".join(f"<li>{m.html(mathjax_inline_matrix)}</li>" for m in mistakes(q))
    return [
        esc(q.ref),
        esc(section_title),
        html_text(q.prompt, mathjax_matrix),
        opts,
        answer_html(q, mathjax_matrix),
        esc(q.precision.words) if q.precision is not None else "",
        wrong,
        html_text(q.solution_text(), mathjax_matrix),
    ]


def tags(q: Any) -> list[str]:
    """The section id, ``difficulty::N`` and the ``ID:SEED`` (Anki tags hold no spaces)."""
    return [
        t.replace(" ", "_")
        for t in (q.template.section, f"difficulty::{q.template.difficulty}", q.ref)
    ]


def export(items: Sequence[Item], path: Path, *, quiet: bool = False) -> int:
    """Write the deck of ``items`` to ``path``; returns the file's size in bytes."""
    import genanki

    note_type = model()
    decks: dict[str, Any] = {DECK: genanki.Deck(stable_id(f"deck:{DECK}"), DECK)}
    for item, q in built(items, "Anki deck", quiet=quiet):
        name = deck_name(item.section_title)
        if name not in decks:
            decks[name] = genanki.Deck(stable_id(f"deck:{name}"), name)
        decks[name].add_note(
            genanki.Note(
                model=note_type,
                fields=note_fields(q, item.section_title),
                guid=genanki.guid_for(DECK, q.ref),
                tags=tags(q),
            )
        )
    package = genanki.Package(list(decks.values()))
    return write_output(path, lambda tmp: package.write_to_file(str(tmp)))
