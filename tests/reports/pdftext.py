"""Text of a reportlab PDF without a PDF library: decode each content stream (ASCII85 and
Flate, as reportlab writes them) and read the strings of its text operators. Doum's reports
draw every text in a CID font with UCS-2 encoding, so strings are UTF-16BE."""

from __future__ import annotations

import base64
import re
import zlib

_STREAM = re.compile(rb"<<((?:(?!<<).)*?)>>\s*stream\r?\n(.*?)\s*endstream", re.S)


def _decode(dictionary: bytes, data: bytes) -> bytes:
    if b"ASCII85Decode" in dictionary:
        data = base64.a85decode(data.strip(), adobe=True)
    if b"FlateDecode" in dictionary:
        data = zlib.decompress(data)
    return data


def _literals(content: bytes) -> list[bytes]:
    out: list[bytes] = []
    i = 0
    while i < len(content):
        if content[i : i + 1] != b"(":
            i += 1
            continue
        depth, i, buf = 1, i + 1, bytearray()
        while i < len(content) and depth:
            ch = content[i : i + 1]
            if ch == b"\\":
                nxt = content[i + 1 : i + 2]
                if nxt.isdigit():
                    octal = re.match(rb"[0-7]{1,3}", content[i + 1 : i + 4])
                    assert octal
                    buf.append(int(octal.group(), 8))
                    i += 1 + len(octal.group())
                    continue
                buf += {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}.get(
                    nxt, nxt
                )
                i += 2
                continue
            if ch == b"(":
                depth += 1
            elif ch == b")":
                depth -= 1
                if not depth:
                    break
            buf += ch
            i += 1
        out.append(bytes(buf))
        i += 1
    return out


def pdf_text(pdf: bytes) -> str:
    parts: list[str] = []
    for dictionary, data in _STREAM.findall(pdf):
        try:
            content = _decode(dictionary, data)
        except (ValueError, zlib.error):
            continue
        if b"BT" not in content:
            continue
        for literal in _literals(content):
            if len(literal) % 2 == 0:
                parts.append(literal.decode("utf-16-be", errors="replace"))
            else:
                parts.append(literal.decode("latin-1"))
    return "\n".join(parts)


def page_count(pdf: bytes) -> int:
    found = re.search(rb"/Type /Pages[^>]*?/Count (\d+)|/Count (\d+)[^>]*?/Type /Pages", pdf)
    assert found, "no page tree"
    return int(found.group(1) or found.group(2))
