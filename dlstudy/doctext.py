"""Reference docstrings (numpydoc with RST and LaTeX) as readable text for ``dlstudy solve NAME --help``.

``.. math::`` blocks and ``:math:`…``` roles become unicode formulas (``\\frac{a}{b}`` → ``a/b``,
``\\sum_{i}`` → ``Σ_i``, ``\\delta^{l-1}`` → ``δ^(l−1)``), double backquotes are dropped, section
underlines go, and prose lines are joined into paragraphs so that the terminal wraps them between
words, never inside a formula. Pure string work: no import of sympy or the reference chapters.
"""

from __future__ import annotations

import re

_SYMBOLS = {
    "alpha": "α",
    "beta": "β",
    "gamma": "γ",
    "delta": "δ",
    "epsilon": "ε",
    "varepsilon": "ε",
    "zeta": "ζ",
    "eta": "η",
    "theta": "θ",
    "iota": "ι",
    "kappa": "κ",
    "lambda": "λ",
    "mu": "μ",
    "nu": "ν",
    "xi": "ξ",
    "pi": "π",
    "rho": "ρ",
    "sigma": "σ",
    "tau": "τ",
    "phi": "φ",
    "varphi": "φ",
    "chi": "χ",
    "psi": "ψ",
    "omega": "ω",
    "Gamma": "Γ",
    "Delta": "Δ",
    "Theta": "Θ",
    "Lambda": "Λ",
    "Sigma": "Σ",
    "Pi": "Π",
    "Phi": "Φ",
    "Psi": "Ψ",
    "Omega": "Ω",
    "sum": "Σ",
    "prod": "Π",
    "partial": "∂",
    "nabla": "∇",
    "odot": "⊙",
    "otimes": "⊗",
    "cdot": "·",
    "times": "×",
    "le": "≤",
    "leq": "≤",
    "ge": "≥",
    "geq": "≥",
    "ne": "≠",
    "neq": "≠",
    "approx": "≈",
    "sim": "~",
    "in": "∈",
    "to": "→",
    "rightarrow": "→",
    "leftarrow": "←",
    "Rightarrow": "⇒",
    "iff": "⇔",
    "infty": "∞",
    "lfloor": "⌊",
    "rfloor": "⌋",
    "lceil": "⌈",
    "rceil": "⌉",
    "mid": "|",
    "dots": "…",
    "ldots": "…",
    "cdots": "⋯",
    "pm": "±",
    "circ": "∘",
    "top": "ᵀ",
    "ell": "ℓ",
    "langle": "⟨",
    "rangle": "⟩",
    "forall": "∀",
    "exists": "∃",
    "log": "log",
    "exp": "exp",
    "max": "max",
    "min": "min",
    "arg": "arg",
    "tanh": "tanh",
    "sin": "sin",
    "cos": "cos",
    "det": "det",
}
_SPACES = {",": " ", ";": " ", "!": "", " ": " ", "quad": "  ", "qquad": "    "}
_DROP = ("left", "right", "big", "Big", "bigl", "bigr", "Bigl", "Bigr", "mathrel", "displaystyle")
_ACCENTS = {"hat": "\u0302", "bar": "\u0304", "overline": "\u0304", "tilde": "\u0303"}
_FONTS = ("text", "mathrm", "mathbf", "mathit", "operatorname", "mathcal", "mathsf", "mathbb")
_SUPERSCRIPT = str.maketrans("0123456789+-−", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻")
_GROUP = r"\{((?:[^{}]|\{[^{}]*\})*)\}"


def latex_to_text(tex: str) -> str:
    """A LaTeX formula as unicode text (a readable approximation, not a typesetter)."""
    s = tex
    s = re.sub(r"\\begin\{cases\}(.*?)\\end\{cases\}", _cases, s, flags=re.S)
    s = re.sub(r"\\begin\{\w+\}|\\end\{\w+\}", "", s)
    s = re.sub(r"\\mathsf\{T\}|\^\{?\\top\}?|\^T\b", "ᵀ", s)
    s = re.sub(r"\\mathbb\{R\}", "ℝ", s)
    s = re.sub(r"\\t?frac\s*([A-Za-z0-9])\s*([A-Za-z0-9])", _digit_fraction, s)
    for _ in range(3):  # nested groups, inside out
        s = re.sub(r"\\t?frac\s*" + _GROUP + r"\s*" + _GROUP, _fraction, s)
        s = re.sub(r"\\sqrt\s*" + _GROUP, lambda m: f"√({m.group(1)})", s)
        s = re.sub(
            r"\\(" + "|".join(_ACCENTS) + r")\s*" + _GROUP,
            lambda m: m.group(2) + _ACCENTS[m.group(1)],
            s,
        )
        s = re.sub(r"\\(?:" + "|".join(_FONTS) + r")\s*" + _GROUP, r"\1", s)
    s = re.sub(
        r"\\(" + "|".join(_ACCENTS) + r")\s*(\\?\w)", lambda m: m.group(2) + _ACCENTS[m.group(1)], s
    )
    s = re.sub(r"\\(" + "|".join(_DROP) + r")(?![A-Za-z])", "", s)
    s = re.sub(r"\\\|", "‖", s)
    s = re.sub(r"\\([{}_#%&])", r"\1", s)
    s = re.sub(r"\\\\", "; ", s)
    s = re.sub(r"\\(quad|qquad|[,;! ])", lambda m: _SPACES[m.group(1)], s)
    s = re.sub(r"\\([A-Za-z]+)", lambda m: _SYMBOLS.get(m.group(1), m.group(1)), s)
    s = re.sub(r"\^\{([0-9+\-−]+)\}|\^([0-9])(?![0-9])", _power, s)
    s = re.sub(r"([_^])" + _GROUP, _script, s)
    s = s.replace("{", "").replace("}", "")
    s = re.sub(r"∂\s+(?=\w)", "∂", s)
    s = re.sub(r"\b(log|exp)\s+([^\s()]+/[^\s()]+)", r"\1(\2)", s)  # log p/q → log(p/q)
    return re.sub(r"[ \t]{3,}", "   ", s).strip()


def _cases(m: re.Match[str]) -> str:
    rows = [r.strip() for r in m.group(1).split("\\\\") if r.strip()]
    return "; ".join(" if ".join(p.strip() for p in r.split("&", 1)) for r in rows)


def _digit_fraction(m: re.Match[str]) -> str:
    a, b = m.group(1), m.group(2)
    return {("1", "2"): "½", ("1", "4"): "¼", ("3", "4"): "¾"}.get((a, b), f"{a}/{b}")


def _wrap(x: str) -> str:
    x = x.strip()
    return x if re.fullmatch(r"[\w.·′'∂\u0302\u0304\u0303^_()]+", x) and "(" not in x else f"({x})"


def _fraction(m: re.Match[str]) -> str:
    return f"{_wrap(latex_to_text(m.group(1)))}/{_wrap(latex_to_text(m.group(2)))}"


def _power(m: re.Match[str]) -> str:
    return (m.group(1) or m.group(2)).translate(_SUPERSCRIPT)


def _script(m: re.Match[str]) -> str:
    body = m.group(2).strip()
    if len(body) <= 1 or (re.fullmatch(r"\w+", body) and m.group(1) == "_"):
        return f"{m.group(1)}{body}"
    return f"{m.group(1)}({body})"


_ROLE = re.compile(r":math:`([^`]*)`")
_LITERAL = re.compile(r"``([^`]*)``")


def _inline(text: str) -> str:
    text = _ROLE.sub(lambda m: latex_to_text(m.group(1)), text)
    return _LITERAL.sub(r"\1", text)


def doc_to_text(doc: str) -> list[tuple[str, str]]:
    """Like :func:`_blocks`, with the notes' notation (− for a minus sign, ≤ ≥) in every block."""
    from dlstudy.bank.render import notation

    return [(kind, notation(text)) for kind, text in _blocks(doc)]


def _blocks(doc: str) -> list[tuple[str, str]]:
    """A docstring as blocks ``(kind, text)``: ``"para"`` (prose, one line, to be wrapped),
    ``"formula"`` (one formula line, indented), ``"heading"`` or ``"item"`` (a parameter line)."""
    lines = doc.replace("\r\n", "\n").split("\n")
    out: list[tuple[str, str]] = []
    para: list[str] = []

    def flush() -> None:
        if para:
            out.append(("para", _inline(" ".join(p.strip() for p in para))))
            para.clear()

    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if stripped.startswith(".. math::"):
            flush()
            first = stripped[len(".. math::") :].strip()
            body = [first] if first else []
            i += 1
            while i < len(lines) and (not lines[i].strip() or lines[i].startswith((" ", "\t"))):
                body.append(lines[i])
                i += 1
            for paragraph in _math_paragraphs(body):
                paragraph = re.sub(r"\\begin\{cases\}(.*?)\\end\{cases\}", _cases, paragraph)
                for piece in re.split(r"\\\\", paragraph):  # a LaTeX line break: a new line
                    if piece.strip():
                        out.append(("formula", latex_to_text(piece)))
            continue
        if re.fullmatch(r"-{3,}|={3,}", stripped):
            if para:
                out.append(("heading", para.pop().strip()))
                flush()
            i += 1
            continue
        if not stripped:
            flush()
        elif re.match(r"[A-Za-z_][\w, ]*\s:\s", stripped) and not line.startswith(" "):
            flush()
            out.append(("item", _inline(stripped)))
        elif line.startswith((" ", "\t")) and out and out[-1][0] == "item" and not para:
            joiner = " — " if " — " not in out[-1][1] else " "
            out[-1] = ("item", out[-1][1] + joiner + _inline(stripped))
        else:
            para.append(stripped)
        i += 1
    flush()
    return out


def _math_paragraphs(body: list[str]) -> list[str]:
    """The formulas of a math block: blank-line separated paragraphs, each joined into one line."""
    paragraphs, current = [], []
    for line in body:
        if line.strip():
            current.append(line.strip())
        elif current:
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    return paragraphs
