"""Text clean-up, language detection, the Korean tokenizer and the sentiment features.

One module for training (doum.assist.train) and inference (doum.assist.text), so the features a
model was trained on are exactly the features it sees in production. Plain Python: no
scikit-learn here.
"""

from __future__ import annotations

import html
import itertools
import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kiwipiepy import Kiwi

MAX_CHARS = 5000  # longer text is cut here before any analysis

_TAG_RE = re.compile(r"<[^>]{0,2000}>")
_SCRIPT_RE = re.compile(r"<(script|style)\b[^>]{0,2000}>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_SPACE_RE = re.compile(r"[ \t\r\f\v]+")
_REPEAT_RE = re.compile(r"(.)\1{2,}")


def clean(text: str) -> str:
    """Readable plain text: no HTML, entities decoded, no control characters, at most MAX_CHARS.

    Never raises: anything that is not a str becomes "".
    """
    if not isinstance(text, str) or not text:
        return ""
    text = text[: MAX_CHARS * 4]  # bound the regex work before the markup is removed
    if "<" in text:
        text = _SCRIPT_RE.sub(" ", text)
        text = _TAG_RE.sub(" ", text)
    if "&" in text:
        text = html.unescape(text)
    chars = []
    for ch in text:
        if ch == "\n":
            chars.append(ch)
            continue
        category = unicodedata.category(ch)
        if category in ("Cc", "Cs", "Co", "Cn"):
            chars.append(" ")
        elif category == "Cf" and ch != "\u200d":
            continue  # zero-width and bidi marks; keep the emoji joiner
        else:
            chars.append(ch)
    text = unicodedata.normalize("NFC", "".join(chars))
    text = _SPACE_RE.sub(" ", text).strip()
    return text[:MAX_CHARS]


def _is_hangul(ch: str) -> bool:
    code = ord(ch)
    return (
        0xAC00 <= code <= 0xD7A3  # syllables
        or 0x1100 <= code <= 0x11FF  # jamo
        or 0x3130 <= code <= 0x318F  # compatibility jamo (ㅋㅋ, ㅠㅠ)
        or 0xA960 <= code <= 0xA97F
        or 0xD7B0 <= code <= 0xD7FF
    )


def _is_latin(ch: str) -> bool:
    return ("a" <= ch <= "z") or ("A" <= ch <= "Z") or ("\u00c0" <= ch <= "\u024f" and ch.isalpha())


def has_hangul(text: str) -> bool:
    return any(_is_hangul(ch) for ch in text)


def detect_language(text: str) -> str:
    """ "ko" or "en" by the larger share of Hangul vs Latin letters; "" when there are none."""
    if not isinstance(text, str):
        return ""
    hangul = latin = 0
    for ch in text[:MAX_CHARS]:
        if _is_hangul(ch):
            hangul += 1
        elif _is_latin(ch):
            latin += 1
    if hangul == 0 and latin == 0:
        return ""
    return "ko" if hangul >= latin else "en"


# --- Korean tokenizer ---------------------------------------------------------------------------

_kiwi: Kiwi | None = None
_kiwi_lock = threading.Lock()


def kiwi() -> Kiwi:
    """The process's Kiwi analyser, built once (thread-safe; Kiwi is read-only once built)."""
    global _kiwi
    if _kiwi is None:
        with _kiwi_lock:
            if _kiwi is None:
                from kiwipiepy import Kiwi

                _kiwi = Kiwi(num_workers=1, model_type="cong")
    return _kiwi


@dataclass(frozen=True)
class Morph:
    form: str  # surface form of the morpheme (verb/adjective stems without -다)
    tag: str  # Sejong-style tag from Kiwi: NNG, NNP, VV, VA, SL, ...
    start: int  # character offset in the analysed text
    end: int


def morphs(text: str) -> list[Morph]:
    """Kiwi morphemes of (already cleaned) text; [] for empty text."""
    if not text.strip():
        return []
    return [Morph(t.form, t.tag, t.start, t.start + t.len) for t in kiwi().tokenize(text)]


def morphs_many(texts: Sequence[str]) -> list[list[Morph]]:
    """morphs() of many texts in one Kiwi call (faster than one call per text)."""
    out: list[list[Morph]] = [[] for _ in texts]
    todo = [i for i, t in enumerate(texts) if t.strip()]
    if todo:
        results = kiwi().tokenize([texts[i] for i in todo])
        for i, tokens in zip(todo, results, strict=True):
            out[i] = [Morph(t.form, t.tag, t.start, t.start + t.len) for t in tokens]
    return out


# --- Sentiment features -------------------------------------------------------------------------
# A feature is a string with a group prefix; a model's settings say which groups it uses.
#   Korean:  m: morpheme form/tag   b: morpheme bigram   c: characters 1-3 within a word
#   English: w: word   n: word with negation scope marked   b: word bigram (negation-marked)
#            c: characters 2-5 within a word

_WORD_SPLIT_RE = re.compile(r"\s+")
_EN_TOKEN_RE = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[.,!?;:()]")
_EN_NEGATORS = frozenset(
    {"not", "no", "never", "nothing", "nobody", "none", "neither", "nor", "cannot", "without"}
    | {"hardly", "barely"}
)
_EN_SCOPE_END = frozenset(".,!?;:()")
_EN_CONTRAST = frozenset({"but", "however", "although", "though", "yet"})


def _normalise_for_chars(text: str) -> str:
    return _REPEAT_RE.sub(r"\1\1", text.lower())


def _char_ngrams(text: str, low: int, high: int) -> Iterable[str]:
    for word in _WORD_SPLIT_RE.split(text):
        if not word:
            continue
        padded = f" {word} "
        length = len(padded)
        for n in range(low, high + 1):
            if n > length:
                break
            for i in range(length - n + 1):
                gram = padded[i : i + n]
                if gram != " ":
                    yield "c:" + gram


def korean_features(text: str, tokens: Sequence[Morph], groups: Iterable[str]) -> list[str]:
    wanted = set(groups)
    out: list[str] = []
    keys = [_normalise_for_chars(t.form) + "/" + t.tag for t in tokens]
    if "m" in wanted:
        out.extend("m:" + k for k in keys)
    if "b" in wanted:
        out.extend(f"b:{a} {b}" for a, b in itertools.pairwise(keys))
    if "c" in wanted:
        out.extend(_char_ngrams(_normalise_for_chars(text), 1, 3))
    return out


def english_tokens(text: str) -> tuple[list[str], list[str]]:
    """Lower-case word tokens, and the same tokens with negation scope marked ("NOT_good")."""
    words: list[str] = []
    marked: list[str] = []
    negated = False
    for tok in _EN_TOKEN_RE.findall(_normalise_for_chars(text)):
        if tok in _EN_SCOPE_END or tok in _EN_CONTRAST:
            negated = False
            if tok in _EN_CONTRAST:
                words.append(tok)
                marked.append(tok)
            continue
        words.append(tok)
        marked.append("NOT_" + tok if negated else tok)
        if tok in _EN_NEGATORS or tok.endswith("n't"):
            negated = True
    return words, marked


def english_features(text: str, groups: Iterable[str]) -> list[str]:
    wanted = set(groups)
    words, marked = english_tokens(text)
    out: list[str] = []
    if "w" in wanted:
        out.extend("w:" + w for w in words)
    if "n" in wanted:
        out.extend("n:" + w for w in marked)
    if "b" in wanted:
        out.extend(f"b:{a} {b}" for a, b in itertools.pairwise(marked))
    if "c" in wanted:
        out.extend(_char_ngrams(_normalise_for_chars(text), 2, 5))
    return out


def sentiment_features(
    language: str, text: str, tokens: Sequence[Morph] | None, groups: Iterable[str]
) -> list[str]:
    """The features of cleaned `text` for the model of `language` ("ko" needs its morphemes)."""
    if language == "ko":
        return korean_features(text, tokens if tokens is not None else morphs(text), groups)
    if language == "en":
        return english_features(text, groups)
    return []
