"""Text handling shared by every channel."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from doum.core.text import html_to_text, normalize, sanitize_html, single_line, text_to_html

# Any str a Python caller can hand us, lone surrogates and control characters included.
ANY_STR = st.lists(
    st.one_of(
        st.characters(),
        st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF, categories=["Cs"]),
        st.sampled_from(["\x00", "\r", "\n", "\x85", "\u2028", "\u202e", "\x1b", "&#x1b;", "<"]),
    ),
    max_size=60,
).map("".join)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("plain", "plain"),
        ("tab\tnew\nline\rcr", "tab\tnew\nline\rcr"),
        ("nul\x00 bell\x07 esc\x1b del\x7f vt\x0b ff\x0c", "nul bell esc del vt ff"),
        ("c1\x80\x9b[31m\x9f end", "c1[31m end"),
        ("nel\x85kept", "nel\x85kept"),
        (unicodedata.normalize("NFD", "환불 요청"), "환불 요청"),
        ("e\u0301", "é"),
        ("rlo \u202e kept", "rlo \u202e kept"),
        ("zero\u200bwidth", "zero\u200bwidth"),
        ("lone \udcff and \ud800", "lone \ufffd and \ufffd"),
        ("pair \ud83d\ude00", "pair 😀"),
        ("reversed pair \ude00\ud83d", "reversed pair \ufffd\ufffd"),
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Subject  ", "Subject"),
        ("a\r\nb", "a b"),
        ("a\n\n\nb", "a b"),
        ("a\u2028b\u2029c\x85d", "a b c d"),
        ("a\x00\r\x00\nb", "a b"),
        ("tab\tstays", "tab\tstays"),
    ],
)
def test_single_line(raw: str, expected: str) -> None:
    assert single_line(raw) == expected


@given(ANY_STR)
def test_normalized_text_is_storable_anywhere(raw: str) -> None:
    out = normalize(raw)
    out.encode("utf-8")  # no lone surrogates
    assert "\x00" not in out
    assert unicodedata.is_normalized("NFC", out)
    assert normalize(out) == out


@given(ANY_STR)
def test_single_line_is_one_line(raw: str) -> None:
    out = single_line(raw)
    out.encode("utf-8")
    assert len(out.splitlines()) <= 1
    assert out == out.strip()
    assert single_line(out) == out


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("<b>bold</b> <i>it</i>", "<b>bold</b> <i>it</i>"),
        ("<script>alert(1)</script>ok", "ok"),
        ("<style>p{}</style>ok", "ok"),
        ('<img src="cid:logo" alt="Logo" onerror="x()">', '<img src="cid:logo" alt="Logo">'),
        (
            '<a href="mailto:a@b.example">m</a>',
            '<a href="mailto:a@b.example" rel="noopener noreferrer nofollow">m</a>',
        ),
        ('<a href="vbscript:x">v</a>', '<a rel="noopener noreferrer nofollow">v</a>'),
        (
            '<a href="data:text/html;base64,PHNjcmlwdD4=">d</a>',
            '<a rel="noopener noreferrer nofollow">d</a>',
        ),
        ("<!-- secret --><p>x</p>", "<p>x</p>"),
        ('<p dir="rtl" lang="ar" class="x" id="y">r</p>', '<p dir="rtl" lang="ar">r</p>'),
        ("<form><input name=q></form>text", "text"),
        ("<p>a&#0;b&#x1b;c&#xd800;d</p>", "<p>a\ufffdbc\ufffdd</p>"),
    ],
)
def test_sanitize_html(raw: str, expected: str) -> None:
    assert sanitize_html(raw) == expected


@given(ANY_STR)
def test_sanitized_html_has_no_script_and_no_control_characters(raw: str) -> None:
    out = sanitize_html(raw)
    out.encode("utf-8")
    assert "<script" not in out.lower()
    assert not any(unicodedata.category(c) == "Cc" and c not in "\t\n\r\x85" for c in out)


def test_text_to_html_escapes_and_keeps_paragraphs() -> None:
    assert text_to_html("Hi <b>&</b>\nline two\n\n\nnext para") == (
        "<p>Hi &lt;b&gt;&amp;&lt;/b&gt;<br>line two</p><p>next para</p>"
    )
    assert text_to_html("a\r\nb") == "<p>a<br>b</p>"
    assert text_to_html("   \n\n  ") == ""


def test_html_to_text_renders_blocks_as_lines() -> None:
    assert html_to_text("<p>one</p><p>two<br>three</p><ul><li>a</li><li>b</li></ul>") == (
        "one\ntwo\nthree\na\nb"
    )
    assert html_to_text("<p>&lt;script&gt; &amp; co</p>") == "<script> & co"


@given(ANY_STR)
def test_plain_text_words_survive_the_round_trip_through_html(raw: str) -> None:
    text = normalize(raw)
    assert html_to_text(text_to_html(text)).split() == text.split()
