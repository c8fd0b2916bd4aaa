"""ELOT 743 (UN 1987) transliteration of Greek, for Latin URLs.

Pelican's own slugify goes through unidecode, which knows no Greek digraph rules
("Ευαγγελίστρια" would become "euaggelistria"); citizens expect the official spelling.
"""

import re
import unicodedata

_SINGLE = {
    "α": "a",
    "β": "v",
    "γ": "g",
    "δ": "d",
    "ε": "e",
    "ζ": "z",
    "η": "i",
    "θ": "th",
    "ι": "i",
    "κ": "k",
    "λ": "l",
    "μ": "m",
    "ν": "n",
    "ξ": "x",
    "ο": "o",
    "π": "p",
    "ρ": "r",
    "σ": "s",
    "ς": "s",
    "τ": "t",
    "υ": "y",
    "φ": "f",
    "χ": "ch",
    "ψ": "ps",
    "ω": "o",
}
_PAIRS = {"γγ": "ng", "γκ": "gk", "γξ": "nx", "γχ": "nch", "ου": "ou"}
_U_DIGRAPH = {"α": "a", "ε": "e", "η": "i"}  # + υ: av/af, ev/ef, iv/if
_VOICELESS = set("θκξπσςτφχψ")
_GREEK = set(_SINGLE)
_TONOS = "\u0301"
_DIAERESIS = "\u0308"


def _letters(text: str) -> list[tuple[str, bool, bool]]:
    """Split into (base letter, has accent, has diaeresis), lower-cased, marks detached."""
    out: list[tuple[str, bool, bool]] = []
    for ch in unicodedata.normalize("NFD", text.lower()):
        if unicodedata.combining(ch):
            if out:
                base, accent, diaeresis = out[-1]
                out[-1] = (base, accent or ch == _TONOS, diaeresis or ch == _DIAERESIS)
            continue
        out.append((ch, False, False))
    return out


def transliterate(text: str) -> str:
    """Greek → Latin by ELOT 743, lower-case, accents dropped; other characters kept."""
    letters = _letters(text)
    n = len(letters)
    out: list[str] = []
    i = 0

    def base(k: int) -> str:
        return letters[k][0] if 0 <= k < n else ""

    while i < n:
        ch, accent, _ = letters[i]
        nxt, nxt_accent, nxt_diaeresis = letters[i + 1] if i + 1 < n else ("", False, False)
        at_start = base(i - 1) not in _GREEK
        at_end = base(i + 2) not in _GREEK
        if (
            ch in _U_DIGRAPH
            and nxt == "υ"
            and not nxt_diaeresis
            and not (accent and not nxt_accent)
        ):
            follow = base(i + 2)
            voiceless = follow in _VOICELESS or follow not in _GREEK
            out.append(_U_DIGRAPH[ch] + ("f" if voiceless else "v"))
            i += 2
        elif ch + nxt == "ου" and not nxt_diaeresis:
            out.append("ou")
            i += 2
        elif ch + nxt == "μπ":
            out.append("b" if at_start or at_end else "mp")
            i += 2
        elif ch + nxt == "ντ":
            out.append("d" if at_start or at_end else "nt")
            i += 2
        elif ch + nxt in _PAIRS:
            out.append(_PAIRS[ch + nxt])
            i += 2
        else:
            out.append(_SINGLE.get(ch, ch))
            i += 1
    return "".join(out)


def slugify(value: str) -> str:
    """A URL segment: ELOT 743, ASCII letters and digits, single hyphens between words."""
    latin = unicodedata.normalize("NFKD", transliterate(value))
    latin = "".join(c for c in latin if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "-", latin.lower()).strip("-")
