"""Find and load the question bank: the built-in ``dlstudy/question_bank`` data plus ``--bank`` dirs.

A file with a TOML error, or a template with a missing field, unknown reference function or impossible
constraint, is reported in :attr:`Bank.problems` ("file: template id: field: message"); every other
template keeps working. Parsed files are cached by path and modification time.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dlstudy.bank.template import Question, Template, parse_template
from dlstudy.errors import DlstudyError, did_you_mean
from dlstudy.sections import SECTION_IDS, check_section

MAX_FILE_BYTES = 2_000_000


@dataclass
class BankFile:
    """One TOML file: its templates (valid ones) and its problems."""

    path: str
    templates: list[Template] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass
class Bank:
    """The loaded bank. ``templates``: only valid templates, by id; ``problems``: one line per
    malformed file or template."""

    templates: dict[str, Template] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    files: list[BankFile] = field(default_factory=list)

    def get(self, template_id: str) -> Template:
        """The template called ``template_id``, or the domain error with a suggestion."""
        key = template_id.strip()
        if key in self.templates:
            return self.templates[key]
        broken = [p for p in self.problems if f": {key}: " in p]
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


_cache: dict[tuple[str, float, int], BankFile] = {}


def builtin_files() -> list[Path]:
    """The ``*.toml`` files of the built-in bank, ``dlstudy/question_bank`` (package data, so a plain
    ``pip install .`` finds it; the repository's top-level ``question_bank`` links to it)."""
    from importlib.resources import files

    root = files("dlstudy") / "question_bank"
    out = []
    for entry in root.iterdir():
        if entry.name.endswith(".toml") and entry.is_file():
            out.append(Path(str(entry)))
    return sorted(out)


def bank_files(extra: Iterable[str | Path] = (), builtin: bool = True) -> list[Path]:
    """Built-in files then the ``*.toml`` files of each extra directory (or the file itself)."""
    paths = builtin_files() if builtin else []
    for item in extra:
        p = Path(item).expanduser()
        if p.is_dir():
            paths += sorted(p.rglob("*.toml"))
        elif p.is_file():
            paths.append(p)
        else:
            raise DlstudyError(f"--bank: {item} is not a directory or file")
    return paths


def load_file(path: Path) -> BankFile:
    """Parse one file (cached by path, mtime and size)."""
    try:
        stat = path.stat()
    except OSError as exc:
        return BankFile(str(path), problems=[f"{path}: cannot read: {exc.strerror}"])
    key = (str(path), stat.st_mtime, stat.st_size)
    if key in _cache:
        return _cache[key]
    result = _parse_file(path, stat.st_size)
    _cache[key] = result
    return result


def _display(path: Path) -> str:
    return path.name if path.parent.name == "question_bank" else str(path)


def _parse_file(path: Path, size: int) -> BankFile:
    name = _display(path)
    out = BankFile(name)
    if size > MAX_FILE_BYTES:
        out.problems.append(f"{name}: file too large ({size} bytes)")
        return out
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        out.problems.append(f"{name}: TOML error: {exc}")
        return out
    except RecursionError:
        out.problems.append(f"{name}: TOML error: arrays or tables nested too deeply")
        return out
    except (OSError, UnicodeDecodeError) as exc:
        out.problems.append(f"{name}: cannot read: {exc}")
        return out
    tables = data.get("template", [])
    unknown = [k for k in data if k != "template"]
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


def load_bank(
    extra_dirs: Iterable[str | Path] | None = None,
    *,
    builtin: bool = True,
    files: Iterable[str | Path] | None = None,
) -> Bank:
    """The built-in bank plus ``extra_dirs`` (``--bank DIR``). ``files`` restricts to those files."""
    paths = bank_files(extra_dirs or (), builtin=builtin and files is None)
    if files is not None:
        paths = []
        for f in files:
            p = Path(f).expanduser()
            if not p.is_file():
                raise DlstudyError(f"--file: {f} is not a file")
            paths.append(p)
    bank = Bank()
    seen: dict[str, str] = {}
    for path in paths:
        bf = load_file(path)
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
    return bank
