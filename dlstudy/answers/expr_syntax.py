"""The syntax of the answer language: tokenizer, precedence-climbing parser, tiny AST.

What a student types is only read here, never evaluated by Python: the text is normalized (``−`` →
``-``, ``²`` → ``^2``), tokenized and parsed into :class:`Node` objects; :mod:`dlstudy.answers.expr`
evaluates, shows and converts them. Sizes are bounded (input length, nesting depth, number
literals), so that ten thousand brackets fail fast with :class:`AnswerError`, which says where and
what was expected.

Grammar (``^`` and ``**`` are powers, right-associative; ``-2^2 = -(2^2)``)::

    sum     := term (("+" | "-") term)*
    term    := unary (("*" | "/") unary | implicit-product unary)*
    unary   := ("+" | "-") unary | power
    power   := atom ("^" unary)?
    atom    := number | constant | symbol | function call | "(" sum ")" | "[" rows "]"
    call    := name "(" sum ")" | name unary            (``log 4``, ``-log 4``, ``sqrt 3/2``)

In *list mode* (vectors and matrices) entries are separated by commas or whitespace (MATLAB rule:
``1 -2`` is two entries, ``1 - 2`` is one) and rows by ``;`` or newlines.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from dlstudy.errors import DlstudyError, caret, did_you_mean

MAX_CHARS = 5000
MAX_DEPTH = 60
MAX_NUMBER_CHARS = 60


class AnswerError(DlstudyError):
    """Input that cannot be read (malformed or ambiguous): explained and asked again, never wrong."""

    heading = "Could not read that"


class AskAgain(AnswerError):
    """Input that was read but is not gradable as given (a correctly rounded value with fewer
    digits than asked): explained and asked again, never counted."""

    heading = "Not counted"


#: Functions of the answer language (each of one argument): name as typed → canonical name.
FUNCTIONS: dict[str, str] = {
    "log": "log",
    "ln": "log",
    "log2": "log2",
    "log10": "log10",
    "exp": "exp",
    "sqrt": "sqrt",
    "sigma": "σ",
    "sigmoid": "σ",
    "σ": "σ",
    "tanh": "tanh",
    "relu": "relu",
    "abs": "abs",
    "floor": "floor",
    "ceil": "ceil",
    "sin": "sin",
    "cos": "cos",
}
_CANONICAL = {"ln": "log", "sigmoid": "sigma", "σ": "sigma"}
CONSTANTS = {"e": math.e, "pi": math.pi, "π": math.pi}

_TRANSLATE = str.maketrans(
    {
        "−": "-",
        "–": "-",
        "—": "-",
        "×": "*",
        "·": "*",
        "⋅": "*",
        "∗": "*",
        "÷": "/",
        "，": ",",
        "；": ";",
        "（": "(",
        "）": ")",
    }
)
_SUPERSCRIPTS = {"²": "2", "³": "3", "⁴": "4", "¹": "1", "⁰": "0"}

_NUMBER = re.compile(r"(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_NAME = re.compile(r"[^\W\d_][^\W_]*(?:_[^\W_]+)*")


@dataclass(frozen=True)
class Token:
    kind: str  # num | name | op | ( | ) | [ | ] | , | ; | end
    text: str
    pos: int
    space_before: bool


@dataclass(frozen=True)
class Node:
    """``op`` is one of: num, const, sym, neg, +, -, *, /, ^, call. ``value`` holds the number, the
    name of the constant/symbol/function; ``args`` the operands."""

    op: str
    value: Any = None
    args: tuple[Node, ...] = ()
    text: str = ""  # the literal as typed, for numbers


def visible(text: str) -> str:
    """``text`` with every control or format character (escape sequences, bidi overrides) written
    as an escape (``\\x1b``, ``\\u202e``), so echoing it cannot drive the terminal. Newlines and
    tabs are kept."""
    if text.isprintable():
        return text
    out = []
    for ch in text:
        if ch in "\n\t" or ch.isprintable() or ch == " ":
            out.append(ch)
        elif ord(ch) < 0x100:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(f"\\u{ord(ch):04x}" if ord(ch) < 0x10000 else f"\\U{ord(ch):08x}")
    return "".join(out)


def _fail(text: str, pos: int, message: str) -> AnswerError:
    pos = min(pos, len(text))
    shown = visible(text)
    return AnswerError(message, caret(shown, len(visible(text[:pos]))))


def normalize(text: str) -> str:
    """Unicode operators to ASCII (``−`` → ``-``, ``×`` → ``*``) and superscripts to powers."""
    out = text.translate(_TRANSLATE)
    if any(ch in out for ch in _SUPERSCRIPTS):
        out = "".join(f"^{_SUPERSCRIPTS[ch]}" if ch in _SUPERSCRIPTS else ch for ch in out)
    return out.replace("**", "^")


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens; unknown characters are an :class:`AnswerError` with a caret."""
    if len(text) > MAX_CHARS:
        raise AnswerError(f"answer too long ({len(text)} characters; at most {MAX_CHARS})")
    tokens: list[Token] = []
    i, n = 0, len(text)
    space = False
    depth = 0
    while i < n:
        ch = text[i]
        if ch == "\n":
            tokens.append(Token(";", "\n", i, space))
            space = True
            i += 1
            continue
        if ch.isspace():
            space = True
            i += 1
            continue
        if ch.isdigit() or (ch == "." and i + 1 < n and text[i + 1].isdigit()):
            m = _NUMBER.match(text, i)
            assert m is not None
            if len(m.group(0)) > MAX_NUMBER_CHARS:
                raise _fail(text, i, f"number too long (more than {MAX_NUMBER_CHARS} characters)")
            end = m.end() + (m.end() < n and text[m.end()] == "%")  # 30% is 30/100
            tokens.append(Token("num", text[i:end], i, space))
            i = end
        elif ch == "√":
            tokens.append(Token("name", "sqrt", i, space))
            i += 1
        elif ch in "+-*/^":
            tokens.append(Token("op", ch, i, space))
            i += 1
        elif ch in "([":
            depth += 1
            if depth > MAX_DEPTH:
                raise _fail(text, i, f"brackets nested too deeply (more than {MAX_DEPTH})")
            tokens.append(Token(ch, ch, i, space))
            i += 1
        elif ch in ")]":
            depth -= 1
            tokens.append(Token(ch, ch, i, space))
            i += 1
        elif ch in ",;":
            tokens.append(Token(ch, ch, i, space))
            i += 1
        else:
            m = _NAME.match(text, i)
            if m is None:
                raise _fail(text, i, f"unexpected character '{visible(ch)}'")
            tokens.append(Token("name", m.group(0), i, space))
            i = m.end()
        space = False
    tokens.append(Token("end", "", n, space))
    return tokens


def _number(text: str) -> Fraction:
    if text.endswith("%"):
        return _number(text[:-1]) / 100
    mantissa, _, exponent = text.lower().partition("e")
    mantissa = mantissa.rstrip(".") or "0"
    if exponent and abs(int(exponent)) > 400:
        raise AnswerError(f"exponent too large in '{text}'")
    return Fraction(mantissa) * (Fraction(10) ** int(exponent or "0"))


class Parser:
    """Parse one answer. ``symbols``: names allowed as variables (expression answers);
    ``list_mode``: read vectors and matrices (whitespace separates entries)."""

    def __init__(self, text: str, symbols: tuple[str, ...] = (), list_mode: bool = False) -> None:
        self.text = normalize(text)
        self.symbols = tuple(s for s in symbols if is_name(s))
        self.list_mode = list_mode
        self.tokens = tokenize(self.text)
        self.i = 0
        self.depth = 0

    # -- token helpers ---------------------------------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def _peek(self, k: int = 1) -> Token:
        return self.tokens[min(self.i + k, len(self.tokens) - 1)]

    def _advance(self) -> Token:
        tok = self.tokens[self.i]
        self.i = min(self.i + 1, len(self.tokens) - 1)
        return tok

    def _error(self, message: str, tok: Token | None = None) -> AnswerError:
        t = tok or self.tok
        return _fail(self.text, t.pos, message)

    def _enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self._error(f"expression nested too deeply (more than {MAX_DEPTH} levels)")

    # -- entry points ----------------------------------------------------------------------------
    def parse_scalar(self) -> Node:
        if self.tok.kind == "end":
            raise AnswerError("empty answer")
        node = self.sum()
        if self.tok.kind != "end":
            raise self._unexpected()
        return node

    def parse_rows(self) -> Any:
        """A scalar ``Node``, or nested lists of nodes (vector / matrix)."""
        if self.tok.kind == "end":
            raise AnswerError("empty answer")
        rows = self.rows(closing="end")
        if self.tok.kind != "end":
            raise self._unexpected()
        return _shape(rows, bracketed=False)

    def _unexpected(self) -> AnswerError:
        tok = self.tok
        if tok.kind in (")", "]"):
            return self._error(f"unmatched '{tok.text}'")
        if tok.kind == "num":
            return self._error(f"missing operator before '{tok.text}'")
        if tok.kind in (",", ";"):
            return self._error(
                f"'{tok.text}' separates entries: this question expects a single value"
            )
        return self._error(f"unexpected '{tok.text}'")

    # -- list mode -------------------------------------------------------------------------------
    def rows(self, closing: str) -> list[list[Any]]:
        rows: list[list[Any]] = [[]]
        while True:
            tok = self.tok
            if tok.kind == closing or (closing != "end" and tok.kind == "end"):
                break
            if tok.kind == ";":
                self._advance()
                if rows[-1]:
                    rows.append([])
                continue
            if tok.kind == ",":
                if not rows[-1]:
                    raise self._error("missing entry before ','")
                self._advance()
                if self.tok.kind in (",", ";", closing, "end"):
                    raise self._error("missing entry after ','")
                continue
            if tok.kind == "[" or (tok.kind == "(" and self._tuple_ahead()):
                close = "]" if tok.kind == "[" else ")"  # (0.15, 0.05) is a vector too
                self._enter()
                self._advance()
                inner = self.rows(closing=close)
                if self.tok.kind != close:
                    raise self._error(f"missing '{close}'")
                self._advance()
                self.depth -= 1
                rows[-1].append(_shape(inner, bracketed=True))
                continue
            if tok.kind in (")", "]", "end"):
                raise self._unexpected()
            rows[-1].append(self.sum())
        if not rows[-1]:
            rows.pop()
        return rows

    def _tuple_ahead(self) -> bool:
        """Whether the parenthesis at the current token holds a top-level ',' (a tuple)."""
        depth = 0
        for tok in self.tokens[self.i :]:
            if tok.kind in ("(", "["):
                depth += 1
            elif tok.kind in (")", "]"):
                depth -= 1
                if depth == 0:
                    return False
            elif tok.kind in (",", ";") and depth == 1:
                return True
            elif tok.kind == "end":
                return False
        return False

    def _entry_boundary(self) -> bool:
        """In list mode, whitespace before an operand starts a new entry; so does a sign written
        right against its operand after whitespace (``1 -2``)."""
        if not self.list_mode:
            return False
        tok = self.tok
        if not tok.space_before:
            return False
        if tok.kind == "op" and tok.text in "+-":
            return not self._peek().space_before
        return tok.kind in ("num", "name", "(", "[")

    # -- expressions -----------------------------------------------------------------------------
    def sum(self) -> Node:
        self._enter()
        node = self.term()
        while self.tok.kind == "op" and self.tok.text in "+-" and not self._entry_boundary():
            op = self._advance().text
            node = Node(op, None, (node, self.term()))
        self.depth -= 1
        return node

    def term(self) -> Node:
        node = self.unary()
        after_division = False
        while True:
            tok = self.tok
            if tok.kind == "op" and tok.text in "*/":
                self._advance()
                node = Node(tok.text, None, (node, self.unary()))
                after_division = tok.text == "/"
            elif tok.kind in ("name", "(") and not self._entry_boundary():
                if after_division and not (
                    tok.kind == "name" and tok.space_before and _is_ratio(node)
                ):
                    # 1/2x: (1/2)·x or 1/(2x)? (but 3/2 ln 2, with a space, is (3/2)·ln 2)
                    raise self._error(
                        "ambiguous product after '/': write (1/2)*x or 1/(2*x) (parentheses or '*')"
                    )
                after_division = False
                node = Node("*", None, (node, self.unary()))  # implicit product: 2x, 2(x+1), x y
            elif tok.kind == "num" and not self._entry_boundary():
                raise self._error(f"missing operator before '{tok.text}'")
            else:
                return node

    def unary(self) -> Node:
        self._enter()
        tok = self.tok
        if tok.kind == "op" and tok.text in "+-":
            self._advance()
            operand = self.unary()
            node = Node("neg", None, (operand,)) if tok.text == "-" else operand
        else:
            node = self.power()
        self.depth -= 1
        return node

    def power(self) -> Node:
        base = self.atom()
        if self.tok.kind == "op" and self.tok.text == "^":
            self._advance()
            if self.tok.kind == "end":
                raise self._error("missing exponent after '^'")
            return Node("^", None, (base, self.unary()))
        return base

    def atom(self) -> Node:
        tok = self.tok
        if tok.kind == "num":
            self._advance()
            try:
                return Node("num", _number(tok.text), (), tok.text)
            except (ValueError, ZeroDivisionError):
                raise self._error(f"cannot read the number '{tok.text}'", tok) from None
        if tok.kind == "(":
            self._enter()
            self._advance()
            if self.tok.kind == ")":
                raise self._error("empty parentheses")
            saved, self.list_mode = self.list_mode, False
            node = self.sum()
            self.list_mode = saved
            if self.tok.kind != ")":
                raise self._error("missing ')'" if self.tok.kind == "end" else "expected ')'")
            self._advance()
            self.depth -= 1
            return node
        if tok.kind == "name":
            return self.name()
        if tok.kind == "end":
            raise self._error("the answer ends too early: a value is missing")
        if tok.kind == "[":
            raise self._error("a vector or matrix is not allowed here")
        if tok.kind == "op":
            raise self._error(f"'{tok.text}' needs a value before it")
        raise self._unexpected()

    def name(self) -> Node:
        tok = self._advance()
        word = tok.text
        if word in self.symbols:
            return Node("sym", word)
        if word in FUNCTIONS:
            return self.call(word, tok)
        lower = word.lower()
        if lower in FUNCTIONS and word not in CONSTANTS:
            return self.call(lower, tok)
        if word in CONSTANTS:
            return Node("const", "pi" if word == "π" else word)
        parts = _split(word, self.symbols)
        if parts:
            node = parts[0]
            for part in parts[1:]:
                node = Node("*", None, (node, part))
            return node
        known = list(self.symbols) + list(FUNCTIONS) + list(CONSTANTS)
        hint = did_you_mean(word, known)
        allowed = f"; variables here: {', '.join(self.symbols)}" if self.symbols else ""
        raise self._error(f"unknown name '{word}'{hint}{allowed}", tok)

    def call(self, word: str, tok: Token) -> Node:
        name = _CANONICAL.get(word, word)
        self._enter()
        if self.tok.kind == "(":
            arg = self.atom()
        elif self.tok.kind in ("end", ",", ";", ")", "]") or (
            self.tok.kind == "op" and self.tok.text in "*/^"
        ):
            raise self._error(f"'{word}' needs an argument, e.g. {word}(2)", tok)
        else:
            saved, self.list_mode = self.list_mode, False
            arg = self.unary()
            self.list_mode = saved
        self.depth -= 1
        return Node("call", name, (arg,))


def _is_integer_literal(node: Node) -> bool:
    if node.op == "neg":
        return _is_integer_literal(node.args[0])
    return node.op == "num" and node.text.isdigit()


def _is_ratio(node: Node) -> bool:
    """``3/2`` or ``-3/4``: a fraction of integer literals (a coefficient in ``3/2 ln 2``)."""
    return node.op == "/" and all(_is_integer_literal(a) for a in node.args)


def is_name(text: str) -> bool:
    """A variable name of the answer language: a non-empty identifier (``x``, ``w_1``, ``σ``)."""
    return isinstance(text, str) and _NAME.fullmatch(text) is not None


def _split(word: str, symbols: tuple[str, ...]) -> list[Node] | None:
    """``xy`` → x·y when x and y are variables (or constants); ``None`` if no unique split.

    Only non-empty names take part: an empty one would match without consuming anything."""
    names = sorted({s for s in symbols if s} | {"pi"}, key=len, reverse=True)
    names += [c for c in ("e",) if c not in names]
    out: list[Node] = []
    rest = word
    while rest:
        for name in names:
            if rest.startswith(name):
                out.append(Node("sym", name) if name in symbols else Node("const", name))
                rest = rest[len(name) :]
                break
        else:
            return None
    return out if len(out) > 1 and any(n.op == "sym" for n in out) else None


def _shape(rows: list[list[Any]], bracketed: bool) -> Any:
    """Rows of entries → a scalar node, a vector (list) or a matrix (list of lists)."""
    if not rows:
        raise AnswerError("empty brackets: a value is missing")
    if len(rows) == 1:
        row = rows[0]
        if len(row) == 1 and not bracketed:
            return row[0]
        return row
    widths = [len(r) for r in rows]
    if len(set(widths)) > 1:
        raise AnswerError(
            f"ragged matrix: rows have {', '.join(map(str, widths))} entries; every row needs the same"
        )
    return rows
