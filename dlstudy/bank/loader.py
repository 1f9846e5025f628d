"""Find and load the question bank: the built-in ``dlstudy/question_bank`` data plus ``--bank`` dirs.

A file with a TOML error, or a template with a missing field, unknown reference function or impossible
constraint, is reported in :attr:`Bank.problems` ("file: template id: field: message"); every other
template keeps working. The problems of ``--bank`` files are also told once on stderr, so that a
broken template of the user's never vanishes without a word (the built-in bank's are for
``dlstudy bank lint``).

Files are read safely (:mod:`dlstudy.bank.files`: regular files only, bounded) and their parse is
cached (:mod:`dlstudy.bank.index`): a start-up reads the cached index instead of parsing every file
and importing every reference module. ``cache=False`` parses everything from the TOML.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dlstudy.bank import files as bank_files_io
from dlstudy.bank import index
from dlstudy.errors import DlstudyError, did_you_mean, long_integer
from dlstudy.sections import SECTION_IDS, check_section

if TYPE_CHECKING:
    from dlstudy.bank.template import Question, Template


@dataclass
class BankFile:
    """One TOML file: its templates (valid ones) and its problems. From the cache, the templates
    are :class:`~dlstudy.bank.index.TemplateEntry` objects (they stand for templates)."""

    path: str
    templates: list[Any] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass
class Bank:
    """The loaded bank. ``templates``: only valid templates, by id (index entries that decode the
    parsed template on first use, unless loaded with ``cache=False``); ``problems``: one line per
    malformed file or template."""

    templates: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    files: list[BankFile] = field(default_factory=list)

    def get(self, template_id: str) -> Template:
        """The parsed template called ``template_id``, or the domain error with a suggestion."""
        key = template_id.strip()
        if key in self.templates:
            found = self.templates[key]
            return found.template if isinstance(found, index.TemplateEntry) else found
        broken = [p for p in self.problems if f": {key}: " in p]
        if broken and all(p in _told for p in broken):  # the warning above already says why
            why = "the warning above says" if len(broken) == 1 else "the warnings above say"
            raise DlstudyError(f"template '{key}' could not be loaded ({why} why)")
        if broken:  # it exists but did not load: say why (file, id, field)
            raise DlstudyError(
                f"template '{key}' could not be loaded: {broken[0]}", "\n".join(broken[1:])
            )
        hint = did_you_mean(key, self.templates)
        if not hint:
            close = [t for t in self.templates if key and key in t]
            if close:
                hint = f" (did you mean '{close[0]}'?)"
        raise DlstudyError(
            f"unknown template '{template_id}'{hint}; `dlstudy bank list` lists them"
        )

    def select(
        self,
        sections: str | Iterable[str] | None = None,
        difficulty: int | Iterable[int] | None = None,
    ) -> list[Template]:
        """Templates in the given sections and difficulties, in the order of the notes."""
        wanted_sections = None
        if sections is not None:
            wanted_sections = {
                check_section(s) for s in ([sections] if isinstance(sections, str) else sections)
            }
            if not wanted_sections:
                wanted_sections = None
        wanted_difficulty = None
        if difficulty is not None:
            wanted_difficulty = {difficulty} if isinstance(difficulty, int) else set(difficulty)
            bad = [d for d in wanted_difficulty if d not in (1, 2, 3)]
            if bad:
                raise DlstudyError(f"difficulty: expected 1, 2 or 3, got {bad[0]}")
        out = [
            t
            for t in self.templates.values()
            if (wanted_sections is None or t.section in wanted_sections)
            and (wanted_difficulty is None or t.difficulty in wanted_difficulty)
        ]
        return sorted(out, key=lambda t: (SECTION_IDS.index(t.section), t.difficulty, t.id))

    def question(self, ref: str, seed: int | None = None) -> Question:
        """``question("cnn.rf-stack:7")`` or ``question("cnn.rf-stack", 7)``."""
        template_id, seed = split_ref(ref, seed)
        return self.get(template_id).instantiate(seed)


def split_ref(ref: str, seed: int | None = None) -> tuple[str, int]:
    """``"id:seed"`` → (id, seed); a separate ``seed`` wins over none in the ref."""
    text = ref.strip()
    if ":" in text:
        tid, _, seed_text = text.rpartition(":")
        try:
            ref_seed = int(seed_text)
        except ValueError:
            raise DlstudyError(f"'{ref}': expected ID:SEED with an integer seed") from None
        if seed is not None and seed != ref_seed:
            raise DlstudyError(f"'{ref}' names seed {ref_seed} but --seed is {seed}")
        return tid, ref_seed
    if seed is None:
        raise DlstudyError(f"'{ref}': no seed; give --seed S or write ID:SEED")
    return text, seed


def builtin_files() -> list[Path]:
    """The ``*.toml`` files of the built-in bank, ``dlstudy/question_bank`` (package data, so a plain
    ``pip install .`` finds it; the repository's top-level ``question_bank`` links to it)."""
    root = Path(__file__).resolve().parents[1] / "question_bank"
    return sorted(p for p in root.iterdir() if p.name.endswith(".toml") and p.is_file())


def bank_files(extra: Iterable[str | Path] = (), builtin: bool = True) -> list[Path]:
    """Built-in files then the ``*.toml`` files of each extra directory (or the file itself)."""
    paths = builtin_files() if builtin else []
    for item in extra:
        p = Path(item).expanduser()
        if p.is_dir():
            paths += bank_files_io.toml_files(p)
        elif p.is_file():
            paths.append(p)
        else:
            raise DlstudyError(f"--bank: {item} is not a directory or file")
    return paths


def load_file(path: Path, *, cache: bool = True) -> BankFile:
    """Read and parse one file: from the cache when its contents were parsed before (then its
    templates are index entries), else from the TOML."""
    name = _display(path)
    try:
        data = bank_files_io.read_bank_file(path)
    except bank_files_io.UnreadableFile as exc:
        return BankFile(name, problems=[f"{name}: {exc.reason}"])
    if not cache:
        return _parse_file(name, data)
    key = index.key_for(name, data)
    cached = index.lookup(key)
    if cached is not None:
        return cached
    return index.store(key, _parse_file(name, data))


def _display(path: Path) -> str:
    return path.name if path.parent.name == "question_bank" else str(path)


def _parse_file(name: str, data: bytes) -> BankFile:
    import tomllib

    from dlstudy.bank.template import parse_template

    out = BankFile(name)
    try:
        parsed: dict[str, Any] = tomllib.loads(data.decode("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        out.problems.append(f"{name}: TOML error: {exc}")
        return out
    except RecursionError:
        out.problems.append(f"{name}: TOML error: arrays or tables nested too deeply")
        return out
    except UnicodeDecodeError as exc:
        out.problems.append(f"{name}: cannot read: {exc}")
        return out
    except ValueError:  # an integer past the 4,300 digits Python converts
        out.problems.append(f"{name}: TOML error at {long_integer(data.decode('utf-8'))}")
        return out
    tables = parsed.get("template", [])
    unknown = [k for k in parsed if k != "template"]
    if unknown:
        out.problems.append(
            f"{name}: unknown top-level key(s) {', '.join(unknown)}; use [[template]] tables"
        )
    if not isinstance(tables, list):
        out.problems.append(f"{name}: 'template' must be an array of tables ([[template]])")
        return out
    for i, raw in enumerate(tables):
        template, problems = parse_template(raw, name, i)
        out.problems += problems
        if template is not None:
            out.templates.append(template)
    return out


_told: set[str] = set()
_TOLD_AT_MOST = 10


def _tell(problems: list[str]) -> None:
    """Say on stderr, once per process and one line each, which ``--bank`` templates (or files) are
    left out and why."""
    new = [p for p in problems if p not in _told]
    _told.update(new)
    lines = [f"dlstudy: warning: {_printable(p)} (left out)" for p in new[:_TOLD_AT_MOST]]
    if len(new) > _TOLD_AT_MOST:
        lines.append(
            f"dlstudy: warning: {len(new) - _TOLD_AT_MOST} more problem(s) in --bank files; "
            "`dlstudy bank lint --bank DIR` lists them all"
        )
    if lines:
        sys.stderr.write("\n".join(lines) + "\n")
        sys.stderr.flush()


def _printable(text: str) -> str:
    """``text`` with control characters written as escapes (a file name or a value from a template
    file must not move the terminal's cursor or retitle its window)."""
    return "".join(
        ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text
    )


def load_bank(
    extra_dirs: Iterable[str | Path] | None = None,
    *,
    builtin: bool = True,
    files: Iterable[str | Path] | None = None,
    cache: bool = True,
    tell: bool = True,
) -> Bank:
    """The built-in bank plus ``extra_dirs`` (``--bank DIR``). ``files`` restricts to those files.

    ``cache=False`` parses every file from its TOML (``bank lint``); ``tell=False`` keeps the
    problems of ``--bank`` files off stderr (for a caller that reports them itself)."""
    paths = bank_files(extra_dirs or (), builtin=builtin and files is None)
    if files is not None:
        paths = []
        for f in files:
            p = Path(f).expanduser()
            if not p.is_file():
                raise DlstudyError(f"--file: {f} is not a file")
            paths.append(p)
    builtin_paths = set(builtin_files()) if builtin else set()
    bank = Bank()
    seen: dict[str, str] = {}
    outside: list[str] = []
    for path in paths:
        bf = load_file(path, cache=cache)
        kept = BankFile(bf.path, problems=list(bf.problems))
        for t in bf.templates:
            if t.id in seen:
                kept.problems.append(
                    f"{bf.path}: {t.id}: id: duplicate id (already defined in {seen[t.id]})"
                )
                continue
            seen[t.id] = bf.path
            bank.templates[t.id] = t
            kept.templates.append(t)
        bank.files.append(kept)
        bank.problems += kept.problems
        if path not in builtin_paths:
            outside += kept.problems
    if tell and outside:
        _tell(outside)
    return bank
