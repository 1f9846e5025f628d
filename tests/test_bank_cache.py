"""The bank's cached index (dlstudy.bank.index, dlstudy.cache) and the safe reading of bank files
(dlstudy.bank.files): what a start-up loads, counted, never timed.

The oracle of every cached template is the parse of its TOML (``load_bank(cache=False)``): the two
must be equal, and give the same questions.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from dlstudy import cache
from dlstudy.bank import files, index, loader
from dlstudy.bank.loader import load_bank
from dlstudy.errors import DlstudyError
from dlstudy.files import UnreadableFile, read_limited
from tests.conftest import BROKEN_TEMPLATE, subprocess_env

GOOD = """
[[template]]
id = "mine.add"
section = "convolution"
kind = "integer"
title = "{title}"
prompt = "Output size of a {{k}}-wide kernel over {{n}} inputs?"
params.n = {{ type = "int", low = 5, high = 9 }}
params.k = {{ type = "int", low = 1, high = 3 }}
[template.answer]
function = "output-size"
args = {{ n = "$n", k = "$k" }}
"""


@pytest.fixture
def fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache folder, and no parse remembered by this process: as a first launch."""
    monkeypatch.setenv("DLSTUDY_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(index, "_memo", {})
    monkeypatch.setattr(loader, "_told", set())
    return tmp_path / "cache" / "bank"


def _relaunch(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forget what this process parsed, as a new launch would."""
    monkeypatch.setattr(index, "_memo", {})


def _bank_dir(tmp_path: Path, text: str, name: str = "mine.toml") -> Path:
    folder = tmp_path / "bank"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder


def _modules_after(code: str, tmp_path: Path) -> list[str]:
    """Run ``code`` in a fresh interpreter sharing this test's cache; the heavy or parsing modules it
    imported."""
    probe = (
        f"{code}\nimport json, sys\n"
        "watch = ('numpy', 'sympy', 'torch', 'tomllib', 'dlstudy.bank.template')\n"
        "chapters = sorted(m for m in sys.modules if m.startswith('dlstudy.reference.')\n"
        "                  and m.rpartition('.')[2] not in ('registry', 'manifest'))\n"
        "print(json.dumps(sorted(m for m in watch if m in sys.modules) + chapters))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        env=subprocess_env(DLSTUDY_CACHE=os.environ["DLSTUDY_CACHE"]),
        timeout=120,
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


# -- what a launch loads ----------------------------------------------------------------------------


def test_the_second_launch_reads_the_cache_not_the_toml(fresh: Path, tmp_path: Path) -> None:
    code = "from dlstudy.bank import load_bank\nprint(len(load_bank().templates))"
    first = _modules_after(code, tmp_path)
    assert "tomllib" in first and "dlstudy.bank.template" in first  # parsed, and cached
    assert len(list(fresh.glob("*.json"))) == len(loader.builtin_files())
    second = _modules_after(code, tmp_path)
    assert second == []  # no TOML parser, no template code, no numpy, no reference module


def test_listing_and_counting_import_neither_numpy_nor_the_template_code(
    fresh: Path, tmp_path: Path
) -> None:
    load_bank()  # the cache is warm, as for a student's second command
    for argv in (["bank", "list", "--json"], ["stats", "--json"], ["topics", "--json"]):
        code = (
            "import contextlib, io\nfrom dlstudy.cli import main\n"
            f"with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
            f"    main({argv!r})"
        )
        assert _modules_after(code, tmp_path) == [], argv


def test_one_question_imports_one_reference_module(fresh: Path, tmp_path: Path) -> None:
    load_bank()
    code = (
        "from dlstudy.bank import load_bank\n"
        "q = load_bank().get('seq.rnn-regime').instantiate(3)\nassert q.prompt"
    )
    assert _modules_after(code, tmp_path) == [
        "dlstudy.bank.template",
        "numpy",
        "dlstudy.reference.rnn",
    ]


# -- the cache holds what the TOML says ------------------------------------------------------------


def test_cached_templates_equal_their_parse_and_give_the_same_questions(
    fresh: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed = load_bank(cache=False)
    load_bank()  # writes the cache
    _relaunch(monkeypatch)
    cached = load_bank()
    assert list(cached.templates) == list(parsed.templates)
    assert cached.problems == parsed.problems == []
    for tid, template in parsed.templates.items():
        entry = cached.templates[tid]
        assert isinstance(entry, index.TemplateEntry) and entry._template is None  # not decoded
        assert (entry.section, entry.difficulty, entry.kind, entry.title) == (
            template.section,
            template.difficulty,
            template.kind,
            template.title,
        )
        assert cached.get(tid) == template  # every field, decoded from JSON
        for seed in (1, 2):
            a, b = entry.instantiate(seed), template.instantiate(seed)
            assert (a.prompt, a.answer_text, a.solution_text()) == (
                b.prompt,
                b.answer_text,
                b.solution_text(),
            )


def test_the_codec_keeps_types_and_never_runs_code() -> None:
    from fractions import Fraction

    from dlstudy.answers.expr_syntax import Node

    value = {
        "tuple": (1, (2.5, "x")),
        "fraction": Fraction(-7, 4),
        "$not-a-tag": [None, True, {"$dataclass": "os:system"}],
        "node": Node("num", Fraction(1, 3), (), "1/3"),
    }
    encoded = json.loads(json.dumps(index.encode(value)))
    assert index.decode(encoded) == value
    assert type(index.decode(encoded)["tuple"][1]) is tuple
    with pytest.raises(index.Uncacheable):
        index.encode({"when": __import__("datetime").date(2026, 1, 1)})
    deep: list = []
    for _ in range(index.MAX_DEPTH + 1):
        deep = [deep]
    with pytest.raises(index.Uncacheable, match="nested"):  # not cached: decoding must not recurse
        index.encode(deep)
    for forged in ("os:system", "subprocess:Popen", "dlstudy.bank.loader:load_bank"):
        with pytest.raises(ValueError):
            index.decode({"$dataclass": forged, "fields": {}})


def test_a_file_is_parsed_again_when_it_changes(
    fresh: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _bank_dir(tmp_path, GOOD.format(title="First"))
    assert load_bank([folder]).get("mine.add").title == "First"
    (folder / "mine.toml").write_text(GOOD.format(title="Second"), encoding="utf-8")
    _relaunch(monkeypatch)
    assert load_bank([folder]).get("mine.add").title == "Second"
    (folder / "mine.toml").write_text(GOOD.format(title="First"), encoding="utf-8")
    _relaunch(monkeypatch)
    calls = []
    monkeypatch.setattr(loader, "_parse_file", lambda *a: calls.append(a))
    assert load_bank([folder]).get("mine.add").title == "First"  # its parse was kept
    assert calls == []


def test_a_change_to_dlstudy_code_changes_every_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "pkg"
    (package / "bank").mkdir(parents=True)
    parser = package / "bank" / "template.py"
    parser.write_text("FIELDS = ('id',)\n")
    before = cache.fingerprint(package, "1.0")
    assert cache.fingerprint(package, "1.0") == before
    assert cache.fingerprint(package, "1.1") != before  # a new version
    parser.write_text("FIELDS = ('id', 'precision')\n")  # a new template field
    changed = cache.fingerprint(package, "1.0")
    assert changed != before
    (package / "bank" / "extra.py").write_text("")
    assert cache.fingerprint(package, "1.0") != changed
    monkeypatch.setattr(cache, "_code", "a")
    key = index.key_for("cnn.toml", b"data")
    monkeypatch.setattr(cache, "_code", "b")
    assert index.key_for("cnn.toml", b"data") != key
    assert index.key_for("other.toml", b"data") != index.key_for("cnn.toml", b"data")


# -- a cache that cannot be trusted is not used ----------------------------------------------------


@pytest.mark.parametrize("damage", ["garbage", "truncated", "flipped", "empty", "fifo", "folder"])
def test_a_damaged_entry_is_ignored_and_rebuilt(
    damage: str, fresh: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _bank_dir(tmp_path, GOOD.format(title="Kept"))
    load_bank([folder])
    key = index.key_for(str(folder / "mine.toml"), (folder / "mine.toml").read_bytes())
    entry = fresh / f"{key}.json"
    good = entry.read_bytes()
    entry.unlink()
    if damage == "garbage":
        entry.write_bytes(b"\x00\xff not json at all")
    elif damage == "truncated":
        entry.write_bytes(good[: len(good) // 2])
    elif damage == "flipped":  # valid JSON, but not what was written: the checksum says so
        entry.write_bytes(good.replace(b'"Kept"', b'"Kepu"'))
    elif damage == "empty":
        entry.write_bytes(b"")
    elif damage == "fifo":
        os.mkfifo(entry)
    else:
        entry.mkdir()
    _relaunch(monkeypatch)
    assert index.lookup(key) is None
    assert load_bank([folder]).get("mine.add").title == "Kept"
    if damage not in ("fifo", "folder"):  # rewritten in place
        assert entry.read_bytes() == good


def test_the_cache_folder_is_private_and_written_atomically(
    fresh: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_bank()
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o700
    names = [p.name for p in fresh.iterdir()]
    assert names and all(n.endswith(".json") and not n.startswith(".tmp") for n in names)
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in fresh.iterdir())
    fresh.chmod(0o777)  # someone else could have written these: not read, not written
    _relaunch(monkeypatch)
    before = {p: p.stat().st_mtime_ns for p in fresh.iterdir()}
    calls = []
    parse = loader._parse_file
    monkeypatch.setattr(loader, "_parse_file", lambda *a: calls.append(a) or parse(*a))
    assert len(load_bank().templates) == len(load_bank(cache=False).templates)
    assert len(calls) == 2 * len(loader.builtin_files())
    assert {p: p.stat().st_mtime_ns for p in fresh.iterdir()} == before


def test_a_cache_that_cannot_be_written_is_not_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("DLSTUDY_CACHE", str(blocker))
    monkeypatch.setattr(index, "_memo", {})
    assert len(load_bank().templates) == len(load_bank(cache=False).templates)


def test_the_cache_folder_is_the_users_unless_dlstudy_cache_is_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import platformdirs

    monkeypatch.delenv("DLSTUDY_CACHE")
    assert cache.folder("bank") == Path(platformdirs.user_cache_dir("dlstudy", appauthor=False)) / (
        "bank"
    )
    monkeypatch.setenv("DLSTUDY_CACHE", "/somewhere/else")
    assert cache.folder("bank") == Path("/somewhere/else/bank")


def test_old_entries_are_pruned(fresh: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache, "MAX_FILES", 8)
    for k in range(12):
        cache.write(fresh / f"{k:02d}.json", str(k), b"{}")
        os.utime(fresh / f"{k:02d}.json", (1000 + k, 1000 + k))
    left = sorted(p.name for p in fresh.iterdir())
    assert len(left) <= 8 and "11.json" in left and "00.json" not in left


def test_bank_lint_validates_the_toml_not_the_cache(
    fresh: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    """A cache entry that says a broken file is fine (forged here) fools a quiz, not the lint."""
    from dlstudy.cli import main

    folder = _bank_dir(tmp_path, GOOD.format(title="Fine"))
    path = folder / "mine.toml"
    load_bank([folder])
    good_key = index.key_for(str(path), path.read_bytes())
    body = cache.read(fresh / f"{good_key}.json", good_key)
    path.write_text(BROKEN_TEMPLATE, encoding="utf-8")
    bad_key = index.key_for(str(path), path.read_bytes())
    cache.write(fresh / f"{bad_key}.json", bad_key, body)
    _relaunch(monkeypatch)
    assert "mine.add" in load_bank([folder]).templates  # the forged entry is believed
    with pytest.raises(SystemExit) as exit_:
        main(["bank", "lint", "--seeds", "1", "--bank", str(folder), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert exit_.value.code == 1 and not report["ok"]
    assert any("no-such-function" in p for p in report["problems"]), report["problems"]


# -- reading bank files safely (issue 20) -----------------------------------------------------------


def test_only_regular_files_are_read(tmp_path: Path) -> None:
    fifo = tmp_path / "x.toml"
    os.mkfifo(fifo)  # opening it to read would wait for a writer forever
    with pytest.raises(UnreadableFile, match=r"not a regular file \(a FIFO\)"):
        read_limited(fifo, 1000)
    zero = tmp_path / "z.toml"
    zero.symlink_to("/dev/zero")  # endless
    with pytest.raises(UnreadableFile, match="a character device"):
        read_limited(zero, 1000)
    (tmp_path / "d.toml").mkdir()
    with pytest.raises(UnreadableFile, match="a folder"):
        read_limited(tmp_path / "d.toml", 1000)
    (tmp_path / "gone.toml").symlink_to(tmp_path / "nowhere")
    with pytest.raises(UnreadableFile, match="cannot read"):
        read_limited(tmp_path / "gone.toml", 1000)
    (tmp_path / "ok.toml").write_bytes(b"x" * 70_000)  # more than one chunk
    assert read_limited(tmp_path / "ok.toml", 70_000) == b"x" * 70_000


def test_a_large_file_is_refused_after_reading_at_most_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    big = tmp_path / "big.toml"
    with open(big, "wb") as fh:
        fh.truncate(200_000_000)  # sparse: 200 MB that take no disk
    read = []
    real_read = os.read
    monkeypatch.setattr("dlstudy.files.os.read", lambda fd, n: read.append(n) or real_read(fd, n))
    with pytest.raises(UnreadableFile, match=r"file too large \(more than 2,000,000 bytes\)"):
        files.read_bank_file(big)
    assert sum(read) <= files.MAX_FILE_BYTES + 1
    exact = tmp_path / "exact.toml"
    exact.write_bytes(b"#" * files.MAX_FILE_BYTES)
    assert len(files.read_bank_file(exact)) == files.MAX_FILE_BYTES


def test_the_walk_of_a_bank_folder_is_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "bank"
    (root / "a" / "b").mkdir(parents=True)
    (root / "a" / "b" / "t.toml").write_text("")
    (root / "notes.md").write_text("")
    (root / "loop").symlink_to(root)  # a linked folder is followed once
    assert files.toml_files(root) == [root / "a" / "b" / "t.toml"]
    monkeypatch.setattr(files, "MAX_WALK_DEPTH", 1)
    with pytest.raises(DlstudyError, match="nested more than 1 levels deep"):
        files.toml_files(root)
    monkeypatch.setattr(files, "MAX_WALK_DEPTH", 16)
    for k in range(10):
        (root / f"{k}.toml").write_text("")
    monkeypatch.setattr(files, "MAX_WALK_ENTRIES", 8)
    with pytest.raises(DlstudyError, match="more than 8 files and folders"):
        files.toml_files(root)


def test_entries_that_vanish_or_cannot_be_listed_are_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "bank"
    (root / "gone").mkdir(parents=True)
    (root / "t.toml").write_text("")
    real_scandir = os.scandir

    def scandir(path: object) -> object:
        if str(path).endswith("gone"):  # listed, then removed before it is read (as in /proc)
            raise FileNotFoundError(2, "No such file or directory")
        return real_scandir(path)

    monkeypatch.setattr(files.os, "scandir", scandir)
    assert files.toml_files(root) == [root / "t.toml"]
