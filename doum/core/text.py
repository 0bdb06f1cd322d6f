"""Text handling shared by every channel: normalisation, HTML sanitising, plain-text bodies."""

from __future__ import annotations

import html
import re
import unicodedata

import nh3

# Tags and attributes an agent or customer message may keep. Everything else is dropped;
# links are forced to open safely.
ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "ol", "p",
    "pre", "q", "s", "small", "span", "strong", "sub", "sup", "table", "tbody", "td",
    "tfoot", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    "*": {"dir", "lang"},
}
URL_SCHEMES = {"http", "https", "mailto", "tel", "cid"}

# C0 controls but tab, LF and CR; DEL; C1 controls but NEL (U+0085, a line break).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f]")
_SINGLE_LINE_BREAKS = re.compile(r"[\r\n\x85\u2028\u2029]+")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _without_surrogates(value: str) -> str:
    """Join UTF-16 surrogate pairs some decoders leave behind; lone halves become U+FFFD.

    A str holding a lone surrogate cannot be encoded as UTF-8, so no database can store it.
    """
    if not _SURROGATE.search(value):
        return value
    return value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def normalize(value: str) -> str:
    """NFC-normalise and drop NUL and other control characters (tabs/line breaks stay).

    Lone surrogates are replaced with U+FFFD (see `_without_surrogates`).
    """
    return _CONTROL.sub("", unicodedata.normalize("NFC", _without_surrogates(value)))


def single_line(value: str) -> str:
    """For subjects and names: NFC, no control characters, CR/LF folded into one space."""
    return _SINGLE_LINE_BREAKS.sub(" ", normalize(value)).strip()


# Characters that take no room on screen: zero-width space, non-joiner and joiner, word
# joiner, and the zero-width no-break space (BOM). Legitimate inside some names (joiners in
# emoji and some scripts), but a name made of only these reads as empty.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))


def is_blank(value: str) -> bool:
    """True when nothing visible is left once invisible characters and whitespace are gone."""
    return not value.translate(_INVISIBLE).strip()


def sanitize_html(value: str) -> str:
    """Allow-list sanitising of user HTML (no scripts, handlers, styles or unsafe URLs)."""
    cleaned = nh3.clean(
        normalize(value),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    # Character references such as "&#x1b;" come out of the parser as raw control characters.
    return normalize(cleaned)


def text_to_html(value: str) -> str:
    """Plain text to safe HTML: escaped, paragraphs and line breaks kept."""
    escaped = html.escape(normalize(value))
    paragraphs = [p for p in re.split(r"\n\s*\n", escaped.replace("\r\n", "\n")) if p.strip()]
    return "".join("<p>" + p.replace("\n", "<br>") + "</p>" for p in paragraphs)


_BLOCK_END = re.compile(r"</(p|div|li|tr|h[1-6]|blockquote|pre)>|<br\s*/?>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")


def html_to_text(value: str) -> str:
    """A readable plain-text rendering of sanitised HTML (for search, previews and mail)."""
    text = _BLOCK_END.sub("\n", value)
    text = html.unescape(_TAG.sub("", text))
    lines = [line.rstrip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
