"""Turning the bytes of real mail into text: body charsets, raw 8-bit header bytes, RFC 2047
encoded words, RFC 2231 parameter values, and the structured header fields made of them
(address lists, Message-ID lists, Return-Path).

Korean mail is the reason this module exists. Its facts of life:

- "EUC-KR" in a label almost always means CP949 (Windows' Unified Hangul Code, a superset that
  adds the 8,822 syllables EUC-KR lacks, such as 똠 and 쀍). Every EUC-KR spelling, and
  ``ks_c_5601-1987`` (what Outlook writes) with its many variants, is decoded as CP949.
- Old clients put raw EUC-KR/CP949 bytes in headers and filenames without any encoding, and
  some mislabel UTF-8 as EUC-KR or the reverse; undeclared bytes are tried as UTF-8 (strict),
  then CP949, then Windows-1252/Latin-1.
- RFC 2047 encoders often split one Hangul syllable's bytes across two encoded words, so
  adjacent encoded words in the same charset are joined as bytes before decoding.

Every function returns NFC text and never raises on bad input: what could not be decoded
cleanly is decoded with replacement characters and reported as a defect string for the log.
"""

from __future__ import annotations

import binascii
import codecs
import re
import unicodedata
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import lru_cache
from urllib.parse import unquote_to_bytes

from doum.core.text import normalize
from doum.core.text import single_line as _single_line
from doum.mail.message import Address

_KOREAN = {
    "euc-kr", "euc_kr", "euckr", "x-euc-kr", "cseuckr", "korean", "ks_c_5601-1987",
    "ks_c_5601_1987", "ks_c_5601", "ks-c-5601", "ks-c-5601-1987", "ks_c_5601-1989", "ksc5601",
    "ksc_5601", "ksc-5601", "ks_x_1001", "ks-x-1001", "ksx1001", "cp949", "ms949", "949",
    "windows-949", "x-windows-949", "windows949", "uhc", "x-uhc", "iso-ir-149", "csksc56011987",
}  # fmt: skip
# Labels whose Python codec is a smaller relative of what senders really use (WHATWG's
# choices): decoding with the superset never hurts and saves many messages.
_SUPERSETS = {
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030",
    "shift_jis": "cp932", "shift-jis": "cp932", "sjis": "cp932", "x-sjis": "cp932",
    "windows-31j": "cp932", "big5": "big5hkscs", "iso-2022-jp": "iso2022_jp_ext",
    "iso-8859-1": "cp1252", "iso8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252",
    "us-ascii": "ascii", "ascii": "ascii", "iso-8859-9": "cp1254", "tis-620": "cp874",
    "iso-2022-kr": "iso2022_kr", "csiso2022kr": "iso2022_kr", "utf8": "utf-8",
}  # fmt: skip
# Text codecs Python has but mail never means: they interpret escapes or are not charsets.
_REFUSED = {"unicode-escape", "raw-unicode-escape", "punycode", "idna", "undefined", "mbcs",
            "oem", "utf-7", "cp65001"}  # fmt: skip
_MAX_LABEL = 40


@lru_cache(maxsize=256)
def codec_for(label: str) -> str | None:
    """The Python codec to decode a MIME charset label with, or None when it is unknown.

    Korean labels map to "cp949"; "us-ascii" maps to "ascii" (decoders treat 8-bit data under
    it as undeclared); RFC 2231 language suffixes ("utf-8*ko") are ignored.
    """
    # A quote left open swallows the parameters after it ("utf-8; format=flowed"): the label
    # is the first word; RFC 2231 language suffixes ("utf-8*ko") go too.
    name = re.split(r"[;,\s*]", label.strip().strip("\"'").strip(), maxsplit=1)[0].lower()
    if not name or len(name) > _MAX_LABEL:
        return None
    if name in _KOREAN:
        return "cp949"
    name = _SUPERSETS.get(name, name)
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name.replace("_", "-") in _REFUSED:
        return None
    return info.name


def _strip_bom(text: str) -> str:
    return text[1:] if text.startswith("\ufeff") else text


def guess_decode(data: bytes) -> tuple[str, bool]:
    """Undeclared bytes: UTF-8 if valid, else CP949 if valid, else Windows-1252 (Latin-1 for
    its five holes). The flag is False when every strict attempt failed."""
    for codec in ("utf-8", "cp949"):
        try:
            return data.decode(codec), True
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("cp1252"), False
    except UnicodeDecodeError:
        return data.decode("latin-1"), False


def decode_text(data: bytes, charset: str | None) -> tuple[str, str | None]:
    """Decode a body (or any labelled bytes). Returns NFC text and a defect, or None.

    A missing label is not a defect for ASCII data; an unknown label, or data that does not
    decode under its label, falls back to `guess_decode`. Data labelled as a Korean charset
    (or any other) that is really UTF-8 (a common mislabelling) is decoded as UTF-8.
    """
    codec = codec_for(charset) if charset else None
    defect: str | None = None
    if codec is not None and codec != "ascii":
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            try:
                text = data.decode("utf-8")
                defect = f"charset {charset!r} mislabels UTF-8 data"
            except UnicodeDecodeError:
                text = data.decode(codec, "replace")
                defect = f"bytes invalid in charset {charset!r} were replaced"
    elif data.isascii():
        text = data.decode("ascii")
        if charset and codec is None:
            defect = f"unknown charset {charset[:_MAX_LABEL]!r}"
    else:
        text, clean = guess_decode(data)
        if charset and codec is None:
            defect = f"unknown charset {charset[:_MAX_LABEL]!r}"
        elif codec == "ascii":
            defect = "8-bit data in a part labelled US-ASCII"
        elif not clean:
            defect = "undeclared 8-bit text decoded as Windows-1252"
    return unicodedata.normalize("NFC", _strip_bom(text)), defect


def decode_header_bytes(value: str) -> str:
    """A raw header value as the `email` package holds it (8-bit bytes as surrogate escapes)
    to text: undeclared 8-bit bytes are guessed (UTF-8, then CP949, then Windows-1252)."""
    if value.isascii():
        return value
    try:
        data = value.encode("ascii", "surrogateescape")
    except UnicodeEncodeError:  # already text (not from BytesParser)
        return value
    return guess_decode(data)[0]


# RFC 2047 encoded words. Tolerant: lower-case b/q, spaces inside Q words (Outlook),
# language suffixes on the charset.
_ENCODED_WORD = re.compile(r"=\?([^?\s]{1,60})\?([bBqQ])\?([^?]*)\?=")
_WHITESPACE = re.compile(r"[ \t\r\n]*")
_UNFOLD = re.compile(r"\r\n|[\r\n]")


def _decode_b(text: str) -> bytes:
    data = re.sub(r"[^A-Za-z0-9+/]", "", text)
    data = data[: len(data) - len(data) % 4] if len(data) % 4 == 1 else data
    try:
        return binascii.a2b_base64((data + "===")[: len(data) + (-len(data) % 4)])
    except binascii.Error:  # pragma: no cover - the input was cleaned above
        return b""


def _decode_q(text: str) -> bytes:
    return binascii.a2b_qp(text.encode("utf-8", "surrogateescape"), header=True)


def decode_words(value: str) -> str:
    """Decode RFC 2047 encoded words in an (unfolded) header value; text between them stays.

    Whitespace between two encoded words is dropped (RFC 2047 section 6.2); the bytes of
    adjacent words in one charset are decoded together, so a character split across two
    words survives. Unknown charsets fall back to `guess_decode`.
    """
    if "=?" not in value:
        return value
    out: list[str] = []
    pending: list[bytes] = []
    pending_charset = ""
    pos = 0

    def flush() -> None:
        nonlocal pending_charset
        if pending:
            out.append(decode_text(b"".join(pending), pending_charset)[0])
            pending.clear()
        pending_charset = ""

    for match in _ENCODED_WORD.finditer(value):
        gap = value[pos : match.start()]
        if gap and not (pending and _WHITESPACE.fullmatch(gap)):
            flush()
            out.append(gap)
        charset = match.group(1).split("*", 1)[0].lower()
        raw = match.group(3)
        data = _decode_b(raw) if match.group(2) in "bB" else _decode_q(raw)
        if pending and charset != pending_charset:
            flush()
        pending.append(data)
        pending_charset = charset
        pos = match.end()
    flush()
    out.append(value[pos:])
    return "".join(out)


def unfold(value: str) -> str:
    """RFC 5322 unfolding: line breaks inside a header value are removed."""
    return _UNFOLD.sub("", value) if ("\n" in value or "\r" in value) else value


def decode_header(value: str) -> str:
    """A raw header value to NFC text: unfolded, undeclared 8-bit bytes guessed, encoded
    words decoded. Not yet stripped or cleaned of control characters (see `single_line`)."""
    return unicodedata.normalize("NFC", decode_words(decode_header_bytes(unfold(value))))


# Tokens of a parameter list: a quoted string (perhaps unterminated), ";", or other text. Each
# character belongs to one token, so the scan is linear whatever the input.
_PARAM_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"?|;|[^;"]+', re.DOTALL)
_EXTENDED = re.compile(r"(.+?)\*(?:(\d{1,3})(\*)?|)")
_QUOTED_PAIR = re.compile(r"\\(.)", re.DOTALL)
_MAX_SECTIONS = 64


def parse_params(value: str) -> tuple[str, dict[str, str]]:
    """Split a raw Content-Type or Content-Disposition value into its lower-case main value and
    its parameters, decoded: RFC 2231 (charset, percent-encoding, continuations "name*0*=",
    in any order), RFC 2047 encoded words in quoted values (what most mailers still send for
    filenames), and raw 8-bit bytes. Names are lower-cased; the first occurrence wins."""
    value = unfold(value)
    main, _sep, rest = value.partition(";")
    simple: dict[str, str] = {}
    sections: dict[str, dict[int, tuple[str, bool]]] = {}
    for name, raw in _param_pairs(rest):
        if raw.startswith('"'):
            raw = raw[1:-1] if len(raw) > 1 and raw.endswith('"') else raw[1:]
            raw = _QUOTED_PAIR.sub(r"\1", raw)
        extended = _EXTENDED.fullmatch(name) if "*" in name else None
        if extended is None:
            simple.setdefault(name, raw)
            continue
        number = int(extended.group(2)) if extended.group(2) else 0
        encoded = extended.group(3) is not None or extended.group(2) is None
        parts = sections.setdefault(extended.group(1), {})
        if len(parts) < _MAX_SECTIONS:
            parts.setdefault(number, (raw, encoded))
    params = {
        name: unicodedata.normalize("NFC", decode_words(decode_header_bytes(raw)))
        for name, raw in simple.items()
    }
    for name, parts in sections.items():
        params[name] = _join_sections([parts[n] for n in sorted(parts)])
    return main.strip().lower(), params


def _param_pairs(rest: str) -> list[tuple[str, str]]:
    segments: list[str] = []
    current: list[str] = []
    for token in _PARAM_TOKEN.findall(rest):
        if token == ";":
            segments.append("".join(current))
            current = []
        else:
            current.append(token)
    segments.append("".join(current))
    pairs: list[tuple[str, str]] = []
    for segment in segments:
        name, equals, raw = segment.partition("=")
        name = name.strip().lower()
        if equals and name and not any(c in name for c in ' \t"'):
            pairs.append((name, raw.strip()))
    return pairs


def _join_sections(parts: list[tuple[str, bool]]) -> str:
    charset = ""
    data = bytearray()
    for index, (raw, encoded) in enumerate(parts):
        if encoded and index == 0 and raw.count("'") >= 2:
            charset, _lang, raw = raw.split("'", 2)
        chunk = raw.encode("ascii", "surrogateescape")
        data += unquote_to_bytes(chunk) if encoded else chunk
    text = decode_text(bytes(data), charset or None)[0]
    return decode_words(text) if "=?" in text else text


# --- structured header fields ----------------------------------------------------------------


def header_text(raw: str) -> str:
    """A structured header value (addresses, ids) as text, unfolded, 8-bit bytes guessed and
    control characters dropped; encoded words are left alone (decoded per display name once
    the structure is split, so an encoded comma cannot split an address)."""
    return normalize(decode_header_bytes(unfold(raw)))


_BRACKETED = re.compile(r"<([^<>]{1,1000})>")
_ID_SEPARATORS = re.compile(r"[\s,;]+")


def message_ids(raw: str) -> list[str]:
    """Message-IDs from In-Reply-To/References, without brackets, in header order: the
    bracketed ones, or, when there are none, separated tokens holding an "@". Junk, comments
    and duplicates are dropped."""
    value = header_text(raw)
    found = _BRACKETED.findall(value) or [t for t in _ID_SEPARATORS.split(value) if "@" in t]
    ids: list[str] = []
    for item in found:
        mid = "".join(item.split()).strip("<>")
        if mid and mid not in ids:
            ids.append(mid)
    return ids


def first_message_id(raw: str) -> str:
    """The Message-ID of a Message-ID header (brackets optional); "" when there is none."""
    ids = message_ids(raw)
    if ids:
        return ids[0]
    tokens = header_text(raw).strip().strip("<>").split()
    return tokens[0] if tokens else ""


def return_path(raw: str | None) -> str | None:
    """None without the header; "" for the null sender "<>"; else the lower-cased address."""
    if raw is None:
        return None
    value = header_text(raw).strip()
    bracketed = re.search(r"<([^<>]*)>", value)
    return (bracketed.group(1) if bracketed else value).strip().lower()


def header_date(raw: str | None) -> tuple[datetime | None, str]:
    """The Date header as an aware datetime (no zone or "-0000": UTC), or None and why."""
    if raw is None:
        return None, "no Date header"
    value = _single_line(header_text(raw))
    try:
        date = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None, f"unparseable Date {value[:60]!r}"
    return (date if date.tzinfo is not None else date.replace(tzinfo=UTC)), ""


_ATOM = r"[^@\s<>()\[\],;:\"\\]+"
VALID_ADDRESS = re.compile(rf"{_ATOM}@{_ATOM}\.{_ATOM}")
_ADDRESS_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"?|\([^()]*\)?|<[^<>]*>?|[,;:]|[^",;:(<]+')
_COMMENT = re.compile(r"\(([^()]*)\)")
_ANGLE = re.compile(r"<([^<>]*)>")
_MAX_ADDRESSES = 1000


def _split_addresses(value: str) -> list[str]:
    """An address list split at top-level commas and semicolons; group names ("team:") go;
    an unquoted "Kim, Minsu <m@example.com>" split at its comma is joined again."""
    pieces: list[str] = []
    current: list[str] = []
    for token in _ADDRESS_TOKEN.findall(value):
        if token in (",", ";"):
            pieces.append("".join(current))
            current = []
        elif token == ":":
            current = []  # "undisclosed-recipients:" and other group names
        else:
            current.append(token)
    pieces.append("".join(current))
    merged: list[str] = []
    for piece in (p.strip() for p in pieces):
        if not piece:
            continue
        previous = merged[-1] if merged else "@"
        if "<" in piece and not piece.startswith("<") and not ("@" in previous or "<" in previous):
            merged[-1] = previous + ", " + piece
        else:
            merged.append(piece)
    return merged


def _display_name(name: str) -> str:
    name = name.strip()
    if len(name) > 1 and name[0] == name[-1] == '"':
        name = _QUOTED_PAIR.sub(r"\1", name[1:-1])
    elif len(name) > 1 and name[0] == name[-1] == "'":
        name = name[1:-1]
    return _single_line(decode_words(name.replace('"', "")))


def address_list(raw: str | None) -> list[Address]:
    """Mailboxes of an address header: names decoded (RFC 2047, NFC, one line), addresses
    lower-cased; a piece without a valid address gives Address(name or the raw text, "")."""
    if not raw:
        return []
    result: list[Address] = []
    for piece in _split_addresses(header_text(raw))[:_MAX_ADDRESSES]:
        comments = " ".join(_COMMENT.findall(piece))
        angle = _ANGLE.search(piece)
        if angle:
            address = angle.group(1)
            name = _COMMENT.sub("", piece[: angle.start()]) or comments
        else:
            rest = _COMMENT.sub("", piece).strip()
            address, name = (rest, comments) if "@" in rest else ("", rest or comments)
        address = "".join(address.split()).rsplit(":", 1)[-1].lower()  # no route, no spaces
        name = _display_name(name)
        if not VALID_ADDRESS.fullmatch(address):
            name, address = name or _display_name(piece), ""
        if name or address:
            result.append(Address(name, address))
    return result
