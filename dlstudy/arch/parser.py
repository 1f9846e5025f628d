"""Parse the layer language (see ``LANGUAGE.md``) into a list of layer nodes. Pure Python.

Grammar (whitespace and ``# comments`` are ignored)::

    spec   := item (SEP item)*            SEP is ',' ';' or a newline, outside parentheses
    item   := [INT '*'] atom              '3*conv(k=3)' repeats the atom three times
    atom   := NAME ['(' args ')']         a layer: conv(c=64,k=3,p=1)
            | ('residual'|'concat') '(' spec ('|' spec)* ')'
            | '[' spec ']'                a group, useful with a repeat: 2*[conv(k=3), relu]
    args   := KEY '=' VALUE (',' KEY '=' VALUE)*
    VALUE  := INT | INT 'x' INT | true | false | NUMBER
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from dlstudy.errors import DlstudyError, caret, did_you_mean

#: Keyword arguments of each layer kind and their defaults. ``REQUIRED`` marks a required key and
#: ``None`` a default that depends on the input (``c`` keeps the channels, pool ``s`` equals ``k``).
REQUIRED = object()

KINDS: dict[str, dict[str, Any]] = {
    "input": {"c": None, "h": None, "w": None, "l": None, "t": None, "f": None, "n": None},
    "conv": {"c": None, "k": REQUIRED, "s": 1, "p": 0, "d": 1, "groups": 1, "bias": True},
    "convt": {
        "c": None,
        "k": REQUIRED,
        "s": 1,
        "p": 0,
        "op": 0,
        "d": 1,
        "groups": 1,
        "bias": True,
    },
    "maxpool": {"k": REQUIRED, "s": None, "p": 0, "d": 1, "ceil": False},
    "avgpool": {"k": REQUIRED, "s": None, "p": 0, "ceil": False},
    "adaptiveavgpool": {"h": None, "w": None, "l": None},
    "adaptivemaxpool": {"h": None, "w": None, "l": None},
    "bn": {"affine": True},
    "relu": {},
    "leakyrelu": {},
    "elu": {},
    "gelu": {},
    "sigmoid": {},
    "tanh": {},
    "softmax": {},
    "identity": {},
    "lrn": {},
    "dropout": {"p": 0.5},
    "flatten": {},
    "fc": {"n": REQUIRED, "bias": True},
    "rnn": {"h": REQUIRED, "layers": 1, "bidirectional": False, "bias": True, "last": False},
    "lstm": {"h": REQUIRED, "layers": 1, "bidirectional": False, "bias": True, "last": False},
    "gru": {"h": REQUIRED, "layers": 1, "bidirectional": False, "bias": True, "last": False},
}
BLOCKS = ("residual", "concat")

ALIASES = {
    "conv2d": "conv",
    "conv1d": "conv",
    "convtranspose": "convt",
    "convtranspose2d": "convt",
    "convtranspose1d": "convt",
    "deconv": "convt",
    "linear": "fc",
    "dense": "fc",
    "batchnorm": "bn",
    "batchnorm2d": "bn",
    "batchnorm1d": "bn",
    "maxpool2d": "maxpool",
    "maxpool1d": "maxpool",
    "avgpool2d": "avgpool",
    "avgpool1d": "avgpool",
    "adaptiveavgpool2d": "adaptiveavgpool",
    "adaptiveavgpool1d": "adaptiveavgpool",
    "adaptivemaxpool2d": "adaptivemaxpool",
    "adaptivemaxpool1d": "adaptivemaxpool",
    "dropout2d": "dropout",
    "res": "residual",
    "cat": "concat",
    "inception": "concat",
    "batch_norm": "bn",
    "avg_pool": "avgpool",
    "max_pool": "maxpool",
}

#: The form shown in error messages for each kind.
FORMS: dict[str, str] = {
    "input": "input(c=3,h=224,w=224) · input(c=1,l=100) · input(t=T,f=F) · input(n=N)",
    "conv": "conv(c=OUT,k=K,s=1,p=0,d=1,groups=1,bias=true)",
    "convt": "convT(c=OUT,k=K,s=1,p=0,op=0,d=1,groups=1,bias=true)",
    "maxpool": "maxpool(k=K,s=K,p=0,d=1,ceil=false)",
    "avgpool": "avgpool(k=K,s=K,p=0,ceil=false)",
    "adaptiveavgpool": "adaptiveavgpool(h=H,w=W)",
    "adaptivemaxpool": "adaptivemaxpool(h=H,w=W)",
    "fc": "fc(n=OUT,bias=true)",
    "rnn": "rnn(h=H,layers=1,bidirectional=false,bias=true,last=false)",
    "lstm": "lstm(h=H,layers=1,bidirectional=false,bias=true,last=false)",
    "gru": "gru(h=H,layers=1,bidirectional=false,bias=true,last=false)",
    "residual": "residual(MAIN PATH | SHORTCUT), the shortcut empty for identity",
    "concat": "concat(BRANCH | BRANCH | ...)",
    "dropout": "dropout or dropout(p=0.5)",
    "bn": "bn",
}
SPEC_FORM = "layers separated by ',' ';' or newlines, e.g. input(c=3,h=32,w=32), conv(c=16,k=3,p=1)"

#: Layers after every repeat is expanded (``N*[...]`` nested in blocks and groups included).
_MAX_LAYERS = 20_000
#: Blocks and groups inside one another.
_MAX_DEPTH = 50
#: Digits of one integer (a size, a count): checked before ``int()``, so a 5,000-digit number is a
#: located error, not a conversion that Python refuses (past 4,300 digits) or that costs time.
MAX_DIGITS = 18
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_INT = re.compile(r"\d+")
_VALUE = re.compile(r"[A-Za-z0-9_.+\-]+")
_PAIR = re.compile(r"(\d+)[xX×](\d+)\Z")
_FLOAT = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\Z")


@dataclass
class Node:
    """One layer (``kind`` canonical, ``args`` with defaults filled in except input-dependent ones) or
    a block (``paths``: the main path and the shortcut of a residual block, or the branches of a
    concat). ``pos`` is the offset of the name in ``source``; ``text`` the layer as written."""

    kind: str
    args: dict[str, Any] = field(default_factory=dict)
    paths: list[list[Node]] = field(default_factory=list)
    pos: int = 0
    text: str = ""

    @property
    def is_block(self) -> bool:
        return self.kind in BLOCKS


class _Parser:
    def __init__(self, source: str, origin: str = "") -> None:
        self.s = source
        self.i = 0
        self.origin = origin
        self.count = 0

    # -- errors ---------------------------------------------------------------------------------
    def fail(self, message: str, pos: int | None = None, form: str = SPEC_FORM) -> DlstudyError:
        pos = self.i if pos is None else pos
        pos = min(pos, len(self.s))
        line = self.s.count("\n", 0, pos) + 1
        col = pos - (self.s.rfind("\n", 0, pos) + 1) + 1
        where = f"{self.origin}:" if self.origin else ""
        detail = caret(self.s, pos) + (f"\n  expected form: {form}" if form else "")
        return DlstudyError(f"malformed spec at {where}{line}:{col}: {message}", detail)

    # -- lexing ---------------------------------------------------------------------------------
    def skip_space(self, newlines: bool = True) -> None:
        while self.i < len(self.s):
            ch = self.s[self.i]
            if ch == "#":
                end = self.s.find("\n", self.i)
                self.i = len(self.s) if end == -1 else end
            elif ch in " \t\r" or (newlines and ch == "\n"):
                self.i += 1
            else:
                return

    def peek(self) -> str:
        return self.s[self.i] if self.i < len(self.s) else ""

    # -- grammar --------------------------------------------------------------------------------
    def spec(self, closers: str, depth: int) -> list[Node]:
        """Items up to one of ``closers`` (or the end when ``closers`` is empty)."""
        nodes: list[Node] = []
        while True:
            self.skip_space(newlines=False)
            ch = self.peek()
            if ch in (",", ";", "\n"):
                self.i += 1
                continue
            if ch == "" or ch in closers:
                if ch == "" and closers:
                    raise self.fail(f"missing '{closers[0]}' before the end of the spec")
                return nodes
            nodes.extend(self.item(depth))
            self.skip_space(newlines=False)
            ch = self.peek()
            if ch not in (",", ";", "\n", "") and ch not in closers:
                hint = "a separator (',' ';' or a newline)"
                if ch == "|":
                    raise self.fail("'|' separates paths only inside residual(...) or concat(...)")
                raise self.fail(f"expected {hint} before '{ch}'")

    def too_many(self, pos: int) -> DlstudyError:
        return self.fail(
            f"too many layers: more than {_MAX_LAYERS:,} once the repeats are expanded", pos
        )

    def item(self, depth: int) -> list[Node]:
        if depth > _MAX_DEPTH:
            raise self.fail(f"blocks nested too deeply (more than {_MAX_DEPTH} levels)")
        m = _INT.match(self.s, self.i)
        if m:
            start = self.i
            self.i = m.end()
            self.skip_space()
            if self.peek() != "*":
                raise self.fail(
                    "expected '*' after a repeat count (e.g. 3*conv(k=3)) or a layer name", start
                )
            if len(m.group()) > len(str(_MAX_LAYERS)):  # never int() a 5,000-digit count
                raise self.too_many(start)
            times = int(m.group())
            if times < 1:
                raise self.fail("repeat count must be at least 1", start)
            self.i += 1
            self.skip_space()
            before = self.count
            nodes = self.atom(depth)
            # every layer inside the atom (its nested repeats expanded) is counted once already:
            # the size after expansion is known before a single copy is made
            once = self.count - before
            if self.count + once * (times - 1) > _MAX_LAYERS:
                raise self.too_many(start)
            self.count += once * (times - 1)
            return [_copy(n) for _ in range(times) for n in nodes]
        return self.atom(depth)

    def atom(self, depth: int) -> list[Node]:
        if self.peek() == "[":
            self.i += 1
            nodes = self.spec("]", depth + 1)
            self.i += 1
            return nodes
        start = self.i
        m = _NAME.match(self.s, self.i)
        if not m:
            ch = self.peek()
            raise self.fail(f"expected a layer name, got '{ch}'" if ch else "expected a layer name")
        raw = m.group()
        kind = ALIASES.get(raw.lower(), raw.lower())
        if kind not in KINDS and kind not in BLOCKS:
            names = [*KINDS, *BLOCKS, "convT"]
            raise DlstudyError(
                f"unknown layer '{raw}'{did_you_mean(raw.lower(), names)}; layers: "
                + ", ".join(k if k != "convt" else "convT" for k in [*KINDS, *BLOCKS]),
                caret(self.s, start),
            )
        self.i = m.end()
        self.count += 1
        if self.count > _MAX_LAYERS:
            raise self.too_many(start)
        self.skip_space(newlines=False)
        if kind in BLOCKS:
            if self.peek() != "(":
                raise self.fail(f"expected '(' after {kind}", form=FORMS[kind])
            self.i += 1
            paths = [self.spec("|)", depth + 1)]
            while self.peek() == "|":
                self.i += 1
                paths.append(self.spec("|)", depth + 1))
            self.i += 1  # ')'
            if not paths[0]:
                raise self.fail(
                    f"{kind} needs at least one layer in its first path", start, FORMS[kind]
                )
            if kind == "residual" and len(paths) > 2:
                raise self.fail(
                    "a residual block has a main path and one shortcut", start, FORMS[kind]
                )
            if kind == "concat" and any(not p for p in paths):
                raise self.fail("every concat branch needs at least one layer", start, FORMS[kind])
            return [Node(kind, {}, paths, start, self.s[start : self.i])]
        args: dict[str, Any] = {}
        if self.peek() == "(":
            self.i += 1
            args = self.args(kind, start)
        node = Node(kind, _with_defaults(kind, args), [], start, self.s[start : self.i])
        missing = [k for k, v in node.args.items() if v is REQUIRED]
        if missing:
            raise self.fail(
                f"{raw} needs {' and '.join(k + '=' for k in missing)}", start, _form(kind)
            )
        return [node]

    def args(self, kind: str, start: int) -> dict[str, Any]:
        allowed = KINDS[kind]
        args: dict[str, Any] = {}
        while True:
            self.skip_space()
            if self.peek() == ")":
                self.i += 1
                return args
            key_pos = self.i
            m = _NAME.match(self.s, self.i)
            if not m:
                raise self.fail(
                    "expected key=value" if self.peek() else "missing ')'", form=_form(kind)
                )
            key = m.group().lower()
            if key not in allowed:
                keys = ", ".join(allowed) or "none"
                raise DlstudyError(
                    f"unknown key '{m.group()}' for {kind}{did_you_mean(key, allowed)}; "
                    f"keys: {keys}",
                    caret(self.s, key_pos) + f"\n  expected form: {_form(kind)}",
                )
            if key in args:
                raise self.fail(f"'{key}' given twice", key_pos, _form(kind))
            self.i = m.end()
            self.skip_space()
            if self.peek() != "=":
                raise self.fail(f"expected '=' after '{m.group()}'", form=_form(kind))
            self.i += 1
            self.skip_space()
            value_pos = self.i
            vm = _VALUE.match(self.s, self.i)
            if not vm:
                raise self.fail(f"expected a value for '{key}'", form=_form(kind))
            self.i = vm.end()
            args[key] = self.value(kind, key, vm.group(), value_pos)
            self.skip_space()
            ch = self.peek()
            if ch == ",":
                self.i += 1
            elif ch != ")":
                raise self.fail("expected ',' or ')'" if ch else "missing ')'", form=_form(kind))

    def value(self, kind: str, key: str, text: str, pos: int) -> Any:
        default = KINDS[kind][key]
        low = text.lower()
        if isinstance(default, bool):
            if low in ("true", "yes", "1"):
                return True
            if low in ("false", "no", "0"):
                return False
            raise self.fail(f"'{key}' must be true or false, got '{text}'", pos, _form(kind))
        if kind == "dropout":
            if _FLOAT.match(text) and 0 <= float(text) < 1:
                return float(text)
            raise self.fail(f"dropout p must be a number in [0, 1), got '{text}'", pos, _form(kind))
        long = next((m for m in _INT.finditer(text) if len(m.group()) > MAX_DIGITS), None)
        if long is not None:
            raise self.fail(
                f"'{key}' must be an integer of at most {MAX_DIGITS} digits, "
                f"got one of {len(long.group()):,} digits",
                pos + long.start(),
                _form(kind),
            )
        if _INT.fullmatch(text):
            return int(text)
        pm = _PAIR.match(text)
        if pm and key in ("k", "s", "p", "d", "op"):
            return (int(pm.group(1)), int(pm.group(2)))
        if text.startswith("-") and _INT.fullmatch(text[1:]):
            raise self.fail(f"'{key}' must not be negative, got {text}", pos, _form(kind))
        expected = (
            "an integer or HxW (e.g. 3x5)" if key in ("k", "s", "p", "d", "op") else ("an integer")
        )
        raise self.fail(f"'{key}' must be {expected}, got '{text}'", pos, _form(kind))


def _form(kind: str) -> str:
    return FORMS.get(kind, kind)


def _with_defaults(kind: str, args: dict[str, Any]) -> dict[str, Any]:
    out = dict(KINDS[kind])
    out.update(args)
    return out


def _copy(node: Node) -> Node:
    return Node(
        node.kind, dict(node.args), [[_copy(n) for n in p] for p in node.paths], node.pos, node.text
    )


def parse(source: str, origin: str = "") -> list[Node]:
    """Parse a spec into layer nodes; raises :class:`DlstudyError` with a caret on bad input."""
    if "\x00" in source:
        raise DlstudyError("spec contains a NUL byte")
    parser = _Parser(source, origin)
    nodes = parser.spec("", 0)
    if not nodes:
        raise DlstudyError("empty spec: " + SPEC_FORM)
    for later in nodes[1:]:
        if later.kind == "input":
            raise parser.fail("input(...) must be the first layer", later.pos, FORMS["input"])
    _check_nested_input(nodes, parser)
    return nodes


def _check_nested_input(nodes: list[Node], parser: _Parser) -> None:
    for node in nodes:
        for path in node.paths:
            for inner in path:
                if inner.kind == "input":
                    raise parser.fail(
                        "input(...) cannot appear inside a block", inner.pos, FORMS["input"]
                    )
            _check_nested_input(path, parser)
