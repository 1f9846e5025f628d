"""Which chapter module defines each reference function, with its section and summary: what the
registry knows without importing the chapters.

Importing a chapter costs its numpy code and helpers; importing all of them (about 25) costs more
than the rest of a quiz's start-up. So the registry imports a chapter on the first use of one of its
functions (:func:`dlstudy.reference.registry.get`), finding it here, and ``dlstudy solve --list``
lists the functions from here alone.

``manifest.json`` is generated from the chapters (``python -m dlstudy.reference.manifest``) and a
test keeps it in sync with them. A function it does not list is still found: the registry then
imports every chapter (slower, same answers).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

PATH = Path(__file__).with_name("manifest.json")
_PACKAGE = "dlstudy.reference."


@dataclass(frozen=True)
class Entry:
    """One reference function: ``module`` is its chapter, e.g. ``convolution`` for ``conv2d``."""

    name: str
    module: str
    section: str
    summary: str


_entries: dict[str, Entry] | None = None


def entries() -> dict[str, Entry]:
    """name → :class:`Entry`, read once from ``manifest.json`` (built from the chapters when the
    file cannot be read)."""
    global _entries
    if _entries is None:
        try:
            data = json.loads(PATH.read_text(encoding="utf-8"))
            _entries = {
                name: Entry(name, module, section, summary)
                for name, (module, section, summary) in data["functions"].items()
            }
        except (OSError, ValueError, KeyError, TypeError):
            _entries = build()
    return _entries


def build() -> dict[str, Entry]:
    """The manifest as the chapters define it (imports every chapter)."""
    from dlstudy.reference.registry import load_all

    out = {}
    for name, ref in sorted(load_all().items()):
        module = ref.func.__module__
        if module.startswith(_PACKAGE):  # not a function registered by a test or a plug-in
            out[name] = Entry(name, module[len(_PACKAGE) :], ref.section, ref.summary)
    return out


def write(path: Path = PATH) -> int:
    """Regenerate ``manifest.json`` from the chapters; returns the number of functions."""
    found = build()
    rows = [  # one line per function: a change to one is a one-line diff
        f"  {json.dumps(e.name)}: {json.dumps([e.module, e.section, e.summary], ensure_ascii=False)}"
        for e in found.values()
    ]
    text = '{"functions": {\n' + ",\n".join(rows) + "\n}}\n"
    path.write_text(text, encoding="utf-8")
    global _entries
    _entries = None
    return len(found)


if __name__ == "__main__":
    print(f"{PATH}: {write()} reference functions")
