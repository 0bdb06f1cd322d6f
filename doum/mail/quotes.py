"""Splitting a reply into what the sender wrote and what they quoted; with `unflow`, which
rejoins format=flowed text before it is split, and `without_elements`, a linear-time remover
of HTML elements (head, title, style) used before sanitising and by the HTML splitter.

`split_reply` works on the plain text of a message; `split_reply_html` on its HTML *before*
sanitising (the markers it looks for, such as Gmail's ``gmail_quote`` class, are attributes
the sanitiser removes; sanitise both halves afterwards).

Both are conservative: when a marker is not clearly a quote header, or the new part would be
empty, everything stays in the new part. A wrong "quoted" hides a customer's words from the
agent's first glance; a wrong "new" only shows some extra history.

Recognised in text, the earliest wins:
- attribution lines: "On <date>, <name> wrote:" (also wrapped over two lines), Gmail Korean
  "2026년 11월 22일 (일) 오후 3:00, 홍길동 <a@b.com>님이 작성:", Apple Mail Korean
  "2026. 11. 22. 오후 3:00, 홍길동 <a@b.com> 작성:";
- separators: "-----Original Message-----", "----- 원본 메시지 -----", "----- 원본 메일 -----";
- header blocks (Outlook, Naver, Daum): "From:/보낸 사람:" followed by a date line
  ("Sent:/Date:/보낸 날짜:/날짜:") and a "To:/받는 사람:" or "Subject:/제목:" line, with an
  optional underscore rule or separator above;
- a block of ">" lines that ends the message, with its attribution line;
- the signature separator ("-- "): the signature goes with the quoted part.
A forwarded message ("---------- Forwarded message ---------", "전달된 메일") is content, not
a quote: nothing after such a marker is split off.
"""

from __future__ import annotations

import re

from doum.core.text import is_blank

_MAX_ATTRIBUTION = 400

_SEPARATOR = re.compile(
    r"^\s*-{2,}\s*(original\s+message|원본\s*메시지|원본\s*메일|원본\s*편지)\s*-{2,}\s*$",
    re.IGNORECASE,
)
_RULE = re.compile(r"^\s*_{16,}\s*$")
_FORWARD = re.compile(
    r"^\s*(-{3,}\s*(forwarded\s+message|전달된\s*(메일|메시지)|전달\s*메일)\s*-{3,}"
    r"|begin\s+forwarded\s+message\s*:|-{3,}\s*forwarded\s+message\s*-{3,})",
    re.IGNORECASE,
)
_EN_ATTRIBUTION = re.compile(r"^On\s.*\S.*\swrote\s?:$", re.DOTALL)
_DATE_OR_ADDRESS = re.compile(r"\d{1,2}:\d{2}|\b(19|20)\d{2}\b|\d{1,2}/\d{1,2}/\d{2}|@")
_KO_ATTRIBUTION = re.compile(
    r"^(\d{4}\s*년|\d{4}\s*[./-]\s*\d{1,2}\s*[./-]).*(님이\s*작성|작성|님이\s*쓴\s*글|님의\s*메시지)"
    r"(한\s*메시지)?\s*:$",
    re.DOTALL,
)
_LABEL = r"^\s*\*?\s*({})\s*\*?\s*:\s*\*?"
_FROM = re.compile(_LABEL.format("from|보낸\\s*사람|보낸이|발신자|발신인|발신"), re.IGNORECASE)
_DATE = re.compile(
    _LABEL.format("sent|date|sent date|보낸\\s*날짜|날짜|발송일|발송\\s*날짜|작성일|보낸\\s*시간"),
    re.IGNORECASE,
)
_TO = re.compile(_LABEL.format("to|받는\\s*사람|받는이|수신자|수신인|수신"), re.IGNORECASE)
_SUBJECT = re.compile(_LABEL.format("subject|제목"), re.IGNORECASE)
_CC = re.compile(_LABEL.format("cc|참조"), re.IGNORECASE)
_HEADER_WINDOW = 8


def _is_blank(text: str) -> bool:
    # Visible text is usually near the start: the full scan only runs when it is not.
    return is_blank(text[:256]) and is_blank(text)


def _is_signature(line: str) -> bool:
    return line in ("-- ", "--")


def _is_attribution(line: str) -> bool:
    line = line.strip()
    if len(line) > _MAX_ATTRIBUTION:
        return False
    if _KO_ATTRIBUTION.match(line):
        return True
    # English needs a sign of a date, a time or an address: "On Monday the log wrote:" is prose.
    return bool(_EN_ATTRIBUTION.match(line) and _DATE_OR_ADDRESS.search(line))


def _prev_nonblank(lines: list[str], i: int) -> int | None:
    i -= 1
    while i >= 0 and not lines[i].strip():
        i -= 1
    return i if i >= 0 else None


def _next_nonblank(lines: list[str], i: int) -> int | None:
    i += 1
    while i < len(lines) and not lines[i].strip():
        i += 1
    return i if i < len(lines) else None


def _attribution_at(lines: list[str], i: int) -> bool:
    """An attribution line at i (alone, or wrapped onto line i+1) that starts a paragraph or
    is followed by quoted lines."""
    line = lines[i].strip()
    if not (line.startswith("On ") or line[:1].isdigit()):  # every shape starts so
        return False
    starts_paragraph = i == 0 or not lines[i - 1].strip()
    if _is_attribution(line):
        if starts_paragraph:
            return True
        nxt = _next_nonblank(lines, i)
        return nxt is not None and lines[nxt].lstrip().startswith(">")
    if i + 1 < len(lines) and starts_paragraph:
        second = lines[i + 1].strip()
        if second and not second.startswith(">") and _is_attribution(line + " " + second):
            return True
    return False


def _header_block_at(lines: list[str], i: int) -> bool:
    if not _FROM.match(lines[i]):
        return False
    seen_date = seen_other = False
    blanks = 0
    for line in lines[i + 1 : i + 1 + _HEADER_WINDOW]:
        if not line.strip():
            blanks += 1
            if blanks > 1 or (seen_date and seen_other):
                break
            continue
        if _DATE.match(line):
            seen_date = True
        elif _TO.match(line) or _SUBJECT.match(line):
            seen_other = True
        elif not _CC.match(line) and seen_date and seen_other:
            break
    return seen_date and seen_other


def _trailing_quote_start(lines: list[str]) -> int | None:
    last = _prev_nonblank(lines, len(lines))
    if last is None or not lines[last].lstrip().startswith(">"):
        return None
    start = last
    i = last
    while i >= 0 and (lines[i].lstrip().startswith(">") or not lines[i].strip()):
        if lines[i].strip():
            start = i
        i -= 1
    before = _prev_nonblank(lines, start)
    if before is not None:
        line = lines[before].strip()
        if line.endswith(":") and len(line) <= _MAX_ATTRIBUTION:
            start = before
            above = _prev_nonblank(lines, before)
            if (
                above is not None
                and above == before - 1
                and not line.startswith("On ")
                and _is_attribution(lines[above].strip() + " " + line)
            ):
                start = above
    return start


def _quote_start(lines: list[str]) -> int | None:
    for i, line in enumerate(lines):
        if _FORWARD.match(line):
            return None
        if _is_signature(line) or _SEPARATOR.match(line) or _attribution_at(lines, i):
            return i
        if _header_block_at(lines, i):
            above = _prev_nonblank(lines, i)
            if above is not None and _FORWARD.match(lines[above]):
                return None
            if above is not None and (_RULE.match(lines[above]) or _SEPARATOR.match(lines[above])):
                return above
            return i
    return _trailing_quote_start(lines)


def split_reply(text: str) -> tuple[str, str]:
    """Split a reply into (what the sender wrote, the quoted rest with its quote header and
    any signature). When unsure, returns (text, "")."""
    lines = text.replace("\r\n", "\n").split("\n")
    start = _quote_start(lines)
    if start is None:
        return text, ""
    new = "\n".join(lines[:start]).rstrip()
    if _is_blank(new):
        return text, ""
    return new, "\n".join(lines[start:]).strip("\n")


# --- format=flowed --------------------------------------------------------------------------


def unflow(text: str, *, delsp: bool = False) -> str:
    """RFC 3676 format=flowed text (Apple Mail, Thunderbird) as the sender typed it: lines that
    end in a space were wrapped by the mail client and are joined again, per quote depth; the
    space-stuffing is removed; with DelSp=yes the wrapping space goes too."""
    out: list[str] = []
    current: str | None = None
    depth = 0
    for line in text.split("\n"):
        line_depth = len(line) - len(line.lstrip(">"))
        content = line[line_depth:]
        content = content[1:] if content.startswith(" ") else content
        if current is not None and line_depth != depth:
            out.append(">" * depth + (" " if depth else "") + current)
            current = None
        current = content if current is None else current + content
        depth = line_depth
        if content.endswith(" ") and content != "-- ":
            current = current[:-1] if delsp else current
            continue
        out.append(">" * depth + (" " if depth else "") + current)
        current = None
    if current is not None:
        out.append(">" * depth + (" " if depth else "") + current)
    return "\n".join(out)


# --- HTML ------------------------------------------------------------------------------------

# Opening tags that can carry a quote marker; "[^<>]" keeps every scan linear.
_OPEN_TAG = re.compile(r"<(?:div|blockquote|hr)\b[^<>]{0,2000}>", re.IGNORECASE)
_MARKERS = ("gmail_quote", "moz-cite-prefix", "yahoo_quoted", "outlookmessageheader",
            "divrplyfwdmsg", "appendonsend", "stopspelling")  # fmt: skip
_CITE = re.compile(r"""\btype\s*=\s*["']?cite""")
_HTML_TAG = re.compile(r"<[^<>]*>")
_HTML_FORWARD = re.compile(r"forwarded message|전달된 (메일|메시지)", re.IGNORECASE)


def without_elements(html: str, names: tuple[str, ...]) -> str:
    """HTML without the named elements and what they hold (an element never closed loses
    only its opening tag). Linear in the length of the HTML."""
    opening = re.compile(r"<({})\b[^<>]*>?".format("|".join(names)), re.IGNORECASE)
    out: list[str] = []
    pos = 0
    unclosed: set[str] = set()  # no closing tag after this point: never search again
    while found := opening.search(html, pos):
        out.append(html[pos : found.start()])
        name = found.group(1).lower()
        closing = None
        if name not in unclosed:
            closing = re.compile(rf"</{name}\s*>", re.IGNORECASE).search(html, found.end())
            if closing is None:
                unclosed.add(name)
        pos = closing.end() if closing else found.end()
    out.append(html[pos:])
    return "".join(out)


def _html_is_blank(fragment: str) -> bool:
    visible = without_elements(fragment, ("style", "script", "head", "title"))
    return _is_blank(_HTML_TAG.sub("", visible).replace("&nbsp;", " "))


def _marker(tag: str) -> bool:
    lower = tag.lower()
    if lower.startswith("<blockquote"):
        return bool(_CITE.search(lower))
    return any(marker in lower for marker in _MARKERS)


def split_reply_html(html: str) -> tuple[str, str]:
    """Split *unsanitised* reply HTML at the first quote container (Gmail ``gmail_quote``,
    Apple Mail/Thunderbird ``<blockquote type="cite">`` and ``moz-cite-prefix``, Outlook's
    ``divRplyFwdMsg``/``appendonsend``, Yahoo's ``yahoo_quoted``). The halves are fragments
    with unbalanced tags: sanitise each (the sanitiser closes what is open). When unsure
    (no marker, nothing before it, or a forwarded message) returns (html, "")."""
    match = next((m for m in _OPEN_TAG.finditer(html) if _marker(m.group(0))), None)
    if match is None:
        return html, ""
    start = match.start()
    new, quoted = html[:start], html[start:]
    if _html_is_blank(new):
        return html, ""
    head = _HTML_TAG.sub(" ", quoted[:2000])
    if _HTML_FORWARD.search(head):
        return html, ""
    return new, quoted
