"""Take the bank beyond the terminal: an Anki deck, a Moodle quiz, a printable worksheet or mock exam.

Every exported question is a :class:`~dlstudy.bank.template.Question` of the bank, named by its
``ID:SEED`` (so ``dlstudy check ID:SEED --answer ...`` grades a hand-written answer later), and every
exported answer is its reference answer (``dlstudy bank show ID --seed S``).

* :mod:`dlstudy.export.anki`: ``.apkg`` (genanki), a note per (template, variant).
* :mod:`dlstudy.export.moodle`: Moodle XML, a category per section.
* :mod:`dlstudy.export.sheet`: a worksheet or mock exam as self-contained HTML or Markdown.
* :mod:`dlstudy.export.markup`: the prompt, answer and solution texts as HTML, MathML and TeX.

This module chooses the questions (the selection flags of ``quiz`` and ``exam``), writes the output
file (all or nothing: a temporary file in the same folder, renamed at the end) and shows a progress
bar on stderr when an export takes more than a second.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dlstudy.errors import DlstudyError
from dlstudy.sections import SECTION_IDS, TITLES

#: The most variants per template of an Anki or Moodle export.
MAX_VARIANTS = 100
#: Seconds an export runs before its progress bar appears.
PROGRESS_AFTER = 1.0


@dataclass(frozen=True)
class Item:
    """One question to export: the template and its question seed (built by :meth:`build`)."""

    template: Any
    seed: int

    @property
    def ref(self) -> str:
        return f"{self.template.id}:{self.seed}"

    @property
    def section_title(self) -> str:
        return TITLES.get(self.template.section, self.template.section)

    def build(self) -> Any:
        return self.template.instantiate(self.seed)


def check_variants(variants: int) -> int:
    if not 1 <= variants <= MAX_VARIANTS:
        raise DlstudyError(f"--variants must be from 1 to {MAX_VARIANTS}, not {variants}")
    return variants


def variant_items(
    bank: Any,
    *,
    sections: Sequence[str] | None,
    difficulty: int | None,
    variants: int,
    seed: int,
) -> list[Item]:
    """Every template of the selection with ``variants`` question seeds ``seed + 1 … seed + K``, in
    the order of the notes (sections, then the bank's order within a section)."""
    from dlstudy.study import select

    wanted = select.check_sections(sections)
    difficulty = select.check_difficulty(difficulty)
    check_variants(variants)
    select.check_seed(seed)
    templates = select._selection(bank, wanted, difficulty)  # the quiz's checks and messages
    order = {tid: k for k, tid in enumerate(bank.templates)}
    templates.sort(key=lambda t: (section_rank(t.section), order.get(t.id, len(order))))
    return [Item(t, seed + k) for t in templates for k in range(1, variants + 1)]


def section_rank(section: str) -> int:
    return SECTION_IDS.index(section) if section in SECTION_IDS else len(SECTION_IDS)


# -- the output file --------------------------------------------------------------------------------


def check_output(path: Path, suffixes: Sequence[str], what: str) -> Path:
    """``path`` if it can be written as ``what`` (its suffix one of ``suffixes``, its folder there
    and writable, not itself a folder), else the domain error (exit 2, one line)."""
    if path.suffix.lower() not in suffixes:
        wanted = (
            suffixes[0] if len(suffixes) == 1 else ", ".join(suffixes[:-1]) + " or " + suffixes[-1]
        )
        got = f"'{path.suffix}'" if path.suffix else "no extension"
        raise DlstudyError(f"{what} goes to a {wanted} file; '{path}' has {got}")
    if path.is_dir():
        raise DlstudyError(f"cannot write '{path}': it is a folder")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise DlstudyError(f"cannot write '{path}': the folder '{folder}' does not exist")
    if path.exists() and not os.access(path, os.W_OK):
        raise DlstudyError(f"cannot write '{path}': permission denied")
    try:  # a real probe: permissions, a read-only file system, /proc (before any work is done)
        fd, probe = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise DlstudyError(f"cannot write '{path}': {exc.strerror or exc}") from None
    os.close(fd)
    os.unlink(probe)
    return path


def write_output(path: Path, write: Callable[[Path], None]) -> int:
    """Call ``write(tmp)`` on a temporary file beside ``path`` and rename it to ``path`` (an
    interrupted export leaves the old file as it was). Returns the size in bytes."""
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise DlstudyError(f"cannot write '{path}': {exc.strerror or exc}") from None
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        if path.exists():  # keep the permissions of the file replaced
            os.chmod(tmp, path.stat().st_mode & 0o777)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except OSError as exc:
        raise DlstudyError(f"cannot write '{path}': {exc.strerror or exc}") from None
    finally:
        if tmp.exists():
            tmp.unlink()
    return path.stat().st_size


def write_text(path: Path, text: str) -> int:
    return write_output(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


# -- progress -----------------------------------------------------------------------------------------


def built(items: Sequence[Item], label: str, *, quiet: bool = False) -> Iterator[tuple[Item, Any]]:
    """``(item, question)`` for every item; a transient progress bar on stderr (a terminal, not
    ``quiet``) once this has taken more than :data:`PROGRESS_AFTER` seconds."""
    from dlstudy.output import err_console

    console = err_console()
    show = not quiet and console.is_terminal
    start = time.monotonic()
    progress = None
    task = None
    try:
        for k, item in enumerate(items):
            if show and progress is None and time.monotonic() - start > PROGRESS_AFTER:
                from rich.progress import Progress

                progress = Progress(console=console, transient=True)
                progress.start()
                task = progress.add_task(label, total=len(items), completed=k)
            yield item, item.build()
            if progress is not None and task is not None:
                progress.advance(task)
    finally:
        if progress is not None:
            progress.stop()


def summary(path: Path, fmt: str, questions: int, size: int, **extra: Any) -> dict[str, Any]:
    """The ``--json`` object of an export."""
    return {"file": str(path), "format": fmt, "questions": questions, "bytes": size, **extra}
