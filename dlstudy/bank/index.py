"""The compiled index of the question bank, cached in dlstudy's cache folder (:mod:`dlstudy.cache`).

Parsing and checking the bank's TOML files, which imports every reference module to check the
functions the templates call, costs more than the rest of a quiz's start-up. So the result of
parsing one file (its valid templates, fully parsed, and its problems) is cached, one entry per file
in the ``bank`` sub-folder, keyed by

* the file's bytes and the name it is shown under (a ``--bank`` file as much as a built-in one);
* dlstudy's version and code (:func:`dlstudy.cache.code_fingerprint`), so that a change to the
  parser (a new template field) invalidates every entry.

An entry is rebuilt transparently when either changes, and ignored (then rebuilt) when it cannot be
read or fails its checksum. It holds only JSON data: a parsed template is stored field by field
(dataclasses of dlstudy's own modules, tuples, fractions) and rebuilt from its fields, never by
running code read from the cache. An entry is written only when every template reads back equal to
the one parsed, so a field of a type the codec does not know is never cached wrong, only not cached.
``dlstudy bank lint`` never uses the cache.

Listing or counting templates (``bank list``, ``stats``, ``topics``) needs only their ids, sections,
difficulties, kinds and titles: a :class:`TemplateEntry` holds those and decodes the parsed template
(importing the template code, and numpy with it) on the first use of anything else.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import json
from typing import TYPE_CHECKING, Any

from dlstudy import cache

if TYPE_CHECKING:
    from dlstudy.bank.loader import BankFile
    from dlstudy.bank.template import Question, Template

_META = ("id", "section", "difficulty", "kind", "title")


def key_for(name: str, data: bytes) -> str:
    """The key of the file shown as ``name`` holding ``data``, under this code."""
    h = hashlib.sha256(cache.code_fingerprint().encode())
    h.update(b"\0" + name.encode("utf-8", "surrogateescape") + b"\0")
    h.update(data)
    return h.hexdigest()


# -- parsed templates as JSON ----------------------------------------------------------------------


class Uncacheable(Exception):
    """A value the codec does not store (the file is then parsed at every start)."""


#: Deeper values are not cached (decoding them must not meet Python's recursion limit).
MAX_DEPTH = 64


def encode(value: Any, depth: int = 0) -> Any:
    """``value`` as JSON data; dataclasses of dlstudy's modules are stored field by field."""
    from fractions import Fraction

    kind = type(value)
    if value is None or kind in (bool, int, float, str):
        return value
    if depth > MAX_DEPTH:
        raise Uncacheable(f"nested more than {MAX_DEPTH} levels deep")
    depth += 1
    if kind is list:
        return [encode(v, depth) for v in value]
    if kind is tuple:
        return {"$tuple": [encode(v, depth) for v in value]}
    if kind is Fraction:
        return {"$fraction": [value.numerator, value.denominator]}
    if kind is dict:
        if all(type(k) is str and not k.startswith("$") for k in value):
            return {k: encode(v, depth) for k, v in value.items()}
        return {"$dict": [[encode(k, depth), encode(v, depth)] for k, v in value.items()]}
    if dataclasses.is_dataclass(value) and kind.__module__.startswith("dlstudy."):
        fields = dataclasses.fields(value)
        values = {f.name: encode(getattr(value, f.name), depth) for f in fields if f.init}
        return {"$dataclass": f"{kind.__module__}:{kind.__qualname__}", "fields": values}
    raise Uncacheable(f"{kind.__module__}.{kind.__qualname__}")


_classes: dict[str, type] = {}


def _dataclass(name: str) -> type:
    if name not in _classes:
        module, _, qualname = name.partition(":")
        if not module.startswith("dlstudy."):
            raise ValueError(f"not a dlstudy class: {name}")
        obj: Any = importlib.import_module(module)
        for part in qualname.split("."):
            obj = getattr(obj, part)
        if not (isinstance(obj, type) and dataclasses.is_dataclass(obj)):
            raise ValueError(f"not a dataclass: {name}")
        _classes[name] = obj
    return _classes[name]


def decode(data: Any) -> Any:
    """The value :func:`encode` stored."""
    if type(data) is list:
        return [decode(v) for v in data]
    if type(data) is not dict:
        return data
    if "$dataclass" in data:
        cls = _dataclass(data["$dataclass"])
        return cls(**{k: decode(v) for k, v in data["fields"].items()})
    if "$tuple" in data:
        return tuple(decode(v) for v in data["$tuple"])
    if "$fraction" in data:
        from fractions import Fraction

        return Fraction(*data["$fraction"])
    if "$dict" in data:
        return {decode(k): decode(v) for k, v in data["$dict"]}
    return {k: decode(v) for k, v in data.items()}


# -- one template of the index ---------------------------------------------------------------------


class TemplateEntry:
    """One template as the index knows it: ``id``, ``section``, ``difficulty``, ``kind``, ``title``
    and ``file`` (what listing and selecting need), and the parsed :class:`Template` (``template``),
    decoded on first use. Every other attribute, and :meth:`instantiate`, is the parsed template's,
    so an entry stands wherever a template does."""

    __slots__ = ("_data", "_template", "difficulty", "file", "id", "kind", "section", "title")

    def __init__(
        self, meta: dict[str, Any], file: str, data: Any = None, template: Any = None
    ) -> None:
        self.id: str = meta["id"]
        self.section: str = meta["section"]
        self.difficulty: int = meta["difficulty"]
        self.kind: str = meta["kind"]
        self.title: str = meta["title"]
        self.file = file
        self._data = data
        self._template = template

    @classmethod
    def of(cls, template: Template) -> TemplateEntry:
        return cls({k: getattr(template, k) for k in _META}, template.file, template=template)

    @property
    def template(self) -> Template:
        if self._template is None:
            import dlstudy.bank.template  # noqa: F401  (the classes the entry is made of)

            self._template = decode(self._data)
            self._data = None
        return self._template

    def instantiate(self, seed: int) -> Question:
        return self.template.instantiate(seed)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # dunders, and a slot not yet set (never the template's)
            raise AttributeError(name)
        return getattr(self.template, name)

    def __repr__(self) -> str:
        return f"TemplateEntry({self.id!r}, file={self.file!r})"


# -- reading and writing entries -------------------------------------------------------------------

_memo: dict[str, BankFile] = {}


def lookup(key: str) -> BankFile | None:
    """The cached parse of the file with ``key``, or None (not cached, unreadable or damaged)."""
    if key in _memo:
        return _memo[key]
    body = cache.read(cache.folder("bank") / f"{key}.json", key)
    if body is None:
        return None
    from dlstudy.bank.loader import BankFile

    try:
        entry = json.loads(body)
        name = entry["file"]
        templates = [TemplateEntry(t["meta"], name, data=t["data"]) for t in entry["templates"]]
        result = BankFile(name, templates=templates, problems=[str(p) for p in entry["problems"]])
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    _memo[key] = result
    return result


def store(key: str, parsed: BankFile) -> BankFile:
    """Cache ``parsed`` (a file's templates and problems) under ``key`` when it reads back equal, and
    return it with its templates as :class:`TemplateEntry`."""
    from dlstudy.bank.loader import BankFile

    result = BankFile(
        parsed.path,
        templates=[TemplateEntry.of(t) for t in parsed.templates],
        problems=list(parsed.problems),
    )
    _memo[key] = result
    try:
        rows = [
            {"meta": {k: getattr(t, k) for k in _META}, "data": encode(t)} for t in parsed.templates
        ]
        body = json.dumps(
            {"file": parsed.path, "problems": parsed.problems, "templates": rows},
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode("utf-8")
        back = json.loads(body)["templates"]
        if [decode(row["data"]) for row in back] != parsed.templates:
            return result
    except (Uncacheable, ValueError, TypeError, RecursionError):
        return result
    cache.write(cache.folder("bank") / f"{key}.json", key, body)
    return result
