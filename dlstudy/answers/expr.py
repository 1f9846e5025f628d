"""A small, safe reader for what a student types: tokenizer, precedence-climbing parser, tiny AST.

Nothing is ever evaluated by Python: the text is tokenized, parsed into :class:`Node` objects and
evaluated by :func:`evaluate` (exactly with :class:`fractions.Fraction` where possible, floats after a
function such as ``log``). Sizes are bounded: input length, nesting depth, number literals and the
size of powers, so that ``9^9^9^9`` or ten thousand brackets fail fast with :class:`AnswerError`.

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
MAX_EXPONENT_BITS = 20_000

Number = Fraction | float


class AnswerError(DlstudyError):
    """Input that cannot be read (malformed or ambiguous): explained and asked again, never wrong."""

    heading = "Could not read that"


class AskAgain(AnswerError):
    """Input that was read but is not gradable as given (a correctly rounded value with fewer
    digits than asked): explained and asked again, never counted."""

    heading = "Not counted"


#: Functions of the answer language: name → (display name, arity 1).
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


# -- evaluation ----------------------------------------------------------------------------------


def _as_float(x: Number) -> float:
    try:
        value = float(x)
    except OverflowError:
        raise AnswerError("number too large") from None
    if not math.isfinite(value):
        raise AnswerError("number too large")
    return value


def _power(base: Number, exponent: Number) -> Number:
    if isinstance(exponent, Fraction) and exponent.denominator == 1 and isinstance(base, Fraction):
        k = exponent.numerator
        bits = max(abs(base.numerator).bit_length(), base.denominator.bit_length())
        if bits * abs(k) <= MAX_EXPONENT_BITS:
            if base == 0 and k < 0:
                raise AnswerError("division by zero (0 to a negative power)")
            return base**k
    b, x = _as_float(base), _as_float(exponent)
    if b < 0 and x != int(x):
        raise AnswerError("a negative number to a fractional power is not a real number")
    if b == 0 and x < 0:
        raise AnswerError("division by zero (0 to a negative power)")
    try:
        return _finite(math.pow(b, x))
    except OverflowError:
        raise AnswerError("number too large") from None


def _finite(x: float) -> float:
    if not math.isfinite(x):
        raise AnswerError("number too large")
    return x


def _call(name: str, x: Number) -> Number:
    if name in ("log", "log2", "log10"):
        if x <= 0:
            raise AnswerError(f"{name} of a non-positive number ({_fmt(x)}) is undefined")
        if x == 1:
            return Fraction(0)
        if isinstance(x, Fraction):  # exact logs of large integers without overflow
            value = math.log(x.numerator) - math.log(x.denominator)
        else:
            value = math.log(x)
        if name == "log2":
            value /= math.log(2)
            if round(value) == value or abs(value - round(value)) < 1e-12:
                return Fraction(round(value)) if _exact_pow(x, 2, round(value)) else value
        if name == "log10":
            value /= math.log(10)
            if abs(value - round(value)) < 1e-12 and _exact_pow(x, 10, round(value)):
                return Fraction(round(value))
        return value
    if name == "exp":
        if x == 0:
            return Fraction(1)
        try:
            return _finite(math.exp(_as_float(x)))
        except OverflowError:
            raise AnswerError("number too large") from None
    if name == "sqrt":
        if x < 0:
            raise AnswerError(f"square root of a negative number ({_fmt(x)})")
        if isinstance(x, Fraction):
            n, d = math.isqrt(x.numerator), math.isqrt(x.denominator)
            if n * n == x.numerator and d * d == x.denominator:
                return Fraction(n, d)
        return math.sqrt(_as_float(x))
    if name == "sigma":
        v = _as_float(x)
        if x == 0:
            return Fraction(1, 2)
        return 1.0 / (1.0 + math.exp(-v)) if v > -700 else 0.0
    if name == "tanh":
        return Fraction(0) if x == 0 else math.tanh(_as_float(x))
    if name == "relu":
        return x if x > 0 else Fraction(0)
    if name == "abs":
        return abs(x)
    if name == "floor":
        return Fraction(math.floor(x))
    if name == "ceil":
        return Fraction(math.ceil(x))
    if name == "sin":
        return Fraction(0) if x == 0 else math.sin(_as_float(x))
    if name == "cos":
        return Fraction(1) if x == 0 else math.cos(_as_float(x))
    raise AnswerError(f"unknown function '{name}'")


def _exact_pow(x: Number, base: int, k: int) -> bool:
    return isinstance(x, Fraction) and abs(k) <= 4000 and x == Fraction(base) ** k


def evaluate(node: Node, env: dict[str, Number] | None = None) -> Number:
    """The value of ``node``: a Fraction when exact, else a float. ``env`` gives symbol values."""
    try:
        return _evaluate(node, env)
    except OverflowError:  # e.g. a huge exact fraction times a float
        raise AnswerError("a number in this answer is too large") from None


def _evaluate(node: Node, env: dict[str, Number] | None) -> Number:
    op = node.op
    if op == "num":
        return node.value
    if op == "const":
        return CONSTANTS[node.value]
    if op == "sym":
        if env is None or node.value not in env:
            raise AnswerError(f"'{node.value}' is a variable: a number is expected here")
        return env[node.value]
    if op == "neg":
        return -_evaluate(node.args[0], env)
    if op == "call":
        return _call(node.value, _evaluate(node.args[0], env))
    a = _evaluate(node.args[0], env)
    b = _evaluate(node.args[1], env)
    if op == "+":
        return _mix(a + b)
    if op == "-":
        return _mix(a - b)
    if op == "*":
        return _mix(a * b)
    if op == "/":
        if b == 0:
            raise AnswerError("division by zero")
        return _mix(a / b)
    if op == "^":
        return _power(a, b)
    raise AnswerError(f"unknown operation '{op}'")


def _mix(x: Number) -> Number:
    if isinstance(x, float):
        return _finite(x)
    if max(x.numerator.bit_length(), x.denominator.bit_length()) > MAX_EXPONENT_BITS:
        return _as_float(x)
    return x


def symbols_in(node: Node) -> set[str]:
    if node.op == "sym":
        return {node.value}
    out: set[str] = set()
    for arg in node.args:
        out |= symbols_in(arg)
    return out


def has_float(node: Node) -> bool:
    """Whether evaluating ``node`` goes through a function or constant (so the value is rounded)."""
    if node.op in ("call", "const"):
        return True
    return any(has_float(a) for a in node.args)


# -- display -------------------------------------------------------------------------------------

_PREC = {"+": 1, "-": 1, "*": 2, "/": 2, "neg": 3, "^": 4}


def to_text(node: Node) -> str:
    """Readable unicode: ``−log(4)``, ``√3/2``, ``2·x``, ``e^(−1)``."""
    op = node.op
    if op == "num":
        return node.text if node.text and len(node.text) <= 24 else _fmt(node.value)
    if op == "const":
        return "π" if node.value == "pi" else node.value
    if op == "sym":
        return node.value
    if op == "call":
        shown = FUNCTIONS.get(node.value, node.value)
        inner = to_text(node.args[0])
        if shown == "sqrt":
            arg = node.args[0]
            return f"√{inner}" if arg.op in ("num", "sym", "const") else f"√({inner})"
        return f"{shown}({inner})"
    if op == "neg":
        return "−" + _wrap(node.args[0], 3, right=True)
    a, b = node.args
    p = _PREC[op]
    if op == "^":
        return f"{_wrap(a, p + 1)}^{_wrap(b, p, right=True, always_simple=True)}"
    symbol = {"+": " + ", "-": " − ", "*": "·", "/": "/"}[op]
    return f"{_wrap(a, p)}{symbol}{_wrap(b, p, right=op in '-/')}"


def _wrap(node: Node, prec: int, right: bool = False, always_simple: bool = False) -> str:
    text = to_text(node)
    inner = _PREC.get(node.op, 5)
    if node.op == "num" and (node.value < 0 or "/" in text or "e" in text.lower()):
        inner = 2
    if always_simple and node.op not in ("num", "sym", "const", "call"):
        return f"({text})"
    if inner < prec or (right and inner == prec and node.op not in ("^",)):
        return f"({text})"
    return text


def _fmt(x: Number) -> str:
    if isinstance(x, Fraction):
        if x.denominator == 1:
            s = str(x.numerator) if x.numerator.bit_length() < 4000 else "a huge integer"
            if (len(s) > 20 and s[0].isdigit()) or (s[:1] == "-" and len(s) > 21):
                sign, digits = ("−", s[1:]) if s[0] == "-" else ("", s)
                s = f"{sign}{digits[0]}.{digits[1:6]}e{len(digits) - 1}"
            return s.replace("-", "−")
        if len(str(x)) <= 24:
            return str(x).replace("-", "−")
        try:
            x = float(x)
        except OverflowError:
            return "a huge fraction"
    return f"{x:.6g}".replace("-", "−")


def format_value(x: Number) -> str:
    """A number as shown in ``read as``: exact fractions as ``−7/4``, floats to 4 significant digits."""
    if isinstance(x, Fraction):
        return _fmt(x)
    return f"{x:.4g}".replace("-", "−")


# -- conversion to sympy (only for expression answers) -----------------------------------------


def to_sympy(node: Node, symbols: dict[str, Any]) -> Any:
    """The sympy expression of ``node`` (sympy is imported here only)."""
    import sympy as sp

    op = node.op
    if op == "num":
        return sp.Rational(node.value.numerator, node.value.denominator)
    if op == "const":
        return sp.E if node.value == "e" else sp.pi
    if op == "sym":
        return symbols[node.value]
    if op == "neg":
        return -to_sympy(node.args[0], symbols)
    if op == "call":
        x = to_sympy(node.args[0], symbols)
        table = {
            "log": sp.log,
            "log2": lambda t: sp.log(t, 2),
            "log10": lambda t: sp.log(t, 10),
            "exp": sp.exp,
            "sqrt": sp.sqrt,
            "sigma": lambda t: 1 / (1 + sp.exp(-t)),
            "tanh": sp.tanh,
            "relu": lambda t: sp.Max(0, t),
            "abs": sp.Abs,
            "floor": sp.floor,
            "ceil": sp.ceiling,
            "sin": sp.sin,
            "cos": sp.cos,
        }
        return table[node.value](x)
    a = to_sympy(node.args[0], symbols)
    b = to_sympy(node.args[1], symbols)
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "/":
        return a / b
    return a**b


# -- constant folding for display -------------------------------------------------------------------


def _num(value: Fraction) -> Node:
    return Node("num", value, (), "")


def _exact(node: Node) -> Fraction | None:
    return node.value if node.op == "num" and isinstance(node.value, Fraction) else None


def _terms(node: Node, sign: int, out: list[tuple[int, Node]]) -> None:
    if node.op == "+":
        _terms(node.args[0], sign, out)
        _terms(node.args[1], sign, out)
    elif node.op == "-":
        _terms(node.args[0], sign, out)
        _terms(node.args[1], -sign, out)
    elif node.op == "neg":
        _terms(node.args[0], -sign, out)
    else:
        out.append((sign, node))


def _factors(node: Node, out: list[Node]) -> None:
    if node.op == "*":
        _factors(node.args[0], out)
        _factors(node.args[1], out)
    else:
        out.append(node)


def fold_constants(node: Node) -> Node:
    """Combine the exact numbers of sums and products (``n + 2·1 − 7 + 1`` → ``n − 4``), for
    showing an answer; the value is unchanged and functions are kept (σ stays σ)."""
    if node.op in ("num", "sym", "const"):
        return node
    args = tuple(fold_constants(a) for a in node.args)
    node = Node(node.op, node.value, args, node.text)
    if node.op in ("+", "-", "neg"):
        terms: list[tuple[int, Node]] = []
        _terms(node, 1, terms)
        constant = Fraction(0)
        rest: list[tuple[int, Node]] = []
        for sign, term in terms:
            value = _exact(term)
            if value is not None:
                constant += sign * value
            else:
                rest.append((sign, term))
        if not rest:
            return _num(constant)
        out: Node | None = None
        if constant > 0 and rest[0][0] < 0:  # 1 − σ(x), not −σ(x) + 1
            out, constant = _num(constant), Fraction(0)
        for sign, term in rest:
            if out is None:
                out = term if sign > 0 else Node("neg", None, (term,))
            else:
                out = Node("+" if sign > 0 else "-", None, (out, term))
        assert out is not None
        if constant > 0:
            out = Node("+", None, (out, _num(constant)))
        elif constant < 0:
            out = Node("-", None, (out, _num(-constant)))
        return out
    if node.op == "*":
        factors: list[Node] = []
        _factors(node, factors)
        coefficient = Fraction(1)
        others = []
        for f in factors:
            value = _exact(f)
            if value is not None:
                coefficient *= value
            else:
                others.append(f)
        if coefficient == 0 or not others:
            return _num(coefficient)
        product = others[0]
        for f in others[1:]:
            product = Node("*", None, (product, f))
        if coefficient == 1:
            return product
        if coefficient == -1:
            return Node("neg", None, (product,))
        if coefficient < 0:
            return Node("neg", None, (Node("*", None, (_num(-coefficient), product)),))
        return Node("*", None, (_num(coefficient), product))
    if node.op in ("/", "^") and all(_exact(a) is not None for a in args):
        try:
            value = evaluate(node)
        except AnswerError:
            return node
        if isinstance(value, Fraction) and len(str(value)) <= 24:
            return _num(value)
    return node
