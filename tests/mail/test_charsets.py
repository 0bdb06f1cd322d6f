"""Decoding what real (Korean) mail holds: charset labels, bodies, raw 8-bit headers, RFC 2047
encoded words, RFC 2231 parameters, address and Message-ID lists."""

from __future__ import annotations

import base64
import unicodedata

import pytest

from doum.mail.charsets import (
    address_list,
    codec_for,
    decode_header,
    decode_text,
    first_message_id,
    message_ids,
    parse_params,
    return_path,
)
from doum.mail.message import Address


def raw8(text: str, codec: str) -> str:
    """A header value as the parser holds it: bytes as surrogate escapes."""
    return text.encode(codec).decode("ascii", "surrogateescape")


def b_word(text: str, charset: str, codec: str | None = None) -> str:
    return f"=?{charset}?B?{base64.b64encode(text.encode(codec or charset)).decode()}?="


# --- labels ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "label",
    [
        "euc-kr", "EUC-KR", '"euc-kr"', "euckr", "x-euc-kr", "ks_c_5601-1987", "KS_C_5601-1987",
        "ks_c_5601", "ksc5601", "ksc_5601", "x-windows-949", "windows-949", "cp949", "ms949",
        "uhc", "korean", "ks_x_1001",
    ],
)  # fmt: skip
def test_every_korean_label_is_cp949(label: str) -> None:
    assert codec_for(label) == "cp949"


@pytest.mark.parametrize(
    ("label", "codec"),
    [
        ("utf-8", "utf-8"), ("UTF8", "utf-8"), ("utf-8*ko", "utf-8"), ("utf-8; format=flowed", "utf-8"),
        ("iso-2022-kr", "iso2022_kr"), ("ISO-2022-JP", "iso2022_jp_ext"), ("shift_jis", "cp932"),
        ("gb2312", "gb18030"), ("big5", "big5hkscs"), ("iso-8859-1", "cp1252"), ("us-ascii", "ascii"),
        ("koi8-r", "koi8-r"), ("windows-1251", "cp1251"),
    ],
)  # fmt: skip
def test_other_labels(label: str, codec: str) -> None:
    assert codec_for(label) == codec


@pytest.mark.parametrize(
    "label",
    ["", "bogus", "x-unknown", "unicode_escape", "raw-unicode-escape", "utf-7", "idna", "rot13",
     "base64", "zlib", "hex", "punycode", "x" * 100],
)  # fmt: skip
def test_unknown_and_refused_labels(label: str) -> None:
    assert codec_for(label) is None


# --- bodies ----------------------------------------------------------------------------------


def test_cp949_labelled_euc_kr() -> None:
    assert decode_text("똠 쀍 햏 똠방각하".encode("cp949"), "euc-kr") == ("똠 쀍 햏 똠방각하", None)


def test_ks_c_5601_1987() -> None:
    assert decode_text("견적서".encode("cp949"), "ks_c_5601-1987") == ("견적서", None)


def test_utf8_labelled_euc_kr_is_utf8() -> None:
    text, defect = decode_text("한국어 본문입니다".encode(), "euc-kr")
    assert text == "한국어 본문입니다" and defect is not None and "mislabels UTF-8" in defect


def test_iso_2022_kr() -> None:
    data = "안녕하세요, 고객님".encode("iso2022_kr")
    assert data.isascii()
    assert decode_text(data, "ISO-2022-KR") == ("안녕하세요, 고객님", None)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("한국어".encode(), "한국어"),  # UTF-8 first
        ("한국어".encode("cp949"), "한국어"),  # then CP949
        (b"caf\xe9 \x80", "café €"),  # then Windows-1252
    ],
)
def test_unknown_label_falls_back_with_a_defect(data: bytes, expected: str) -> None:
    text, defect = decode_text(data, "x-bogus")
    assert text == expected
    assert defect == "unknown charset 'x-bogus'"


def test_no_label_ascii_is_not_a_defect() -> None:
    assert decode_text(b"plain", None) == ("plain", None)


def test_no_label_utf8_is_guessed_quietly() -> None:
    assert decode_text("홍길동".encode(), None) == ("홍길동", None)


def test_us_ascii_label_with_8bit_data() -> None:
    text, defect = decode_text("홍길동".encode("cp949"), "us-ascii")
    assert text == "홍길동" and defect is not None and "US-ASCII" in defect


def test_invalid_bytes_are_replaced() -> None:
    text, defect = decode_text(b"ok \xc3\x28 \xed\xa0\x80", "utf-8")
    assert text.startswith("ok \ufffd(") and defect is not None
    text.encode("utf-8")


def test_latin1_label_reads_windows_1252() -> None:
    assert decode_text(b"\x93quoted\x94 \x80", "iso-8859-1")[0] == "\u201cquoted\u201d €"


def test_bom_is_dropped_and_text_is_nfc() -> None:
    decomposed = unicodedata.normalize("NFD", "한글 café")
    text, _ = decode_text(b"\xef\xbb\xbf" + decomposed.encode(), "utf-8")
    assert text == "한글 café"


def test_japanese_and_chinese_just_work() -> None:
    assert decode_text("日本語".encode("shift_jis"), "Shift_JIS")[0] == "日本語"
    assert decode_text("中文".encode("gbk"), "gb2312")[0] == "中文"


# --- header values ---------------------------------------------------------------------------


def test_encoded_words_split_inside_a_character_are_joined() -> None:
    data = "홍길동 고객님".encode()
    words = [base64.b64encode(data[i : i + 4]).decode() for i in range(0, len(data), 4)]
    value = "\r\n ".join(f"=?UTF-8?B?{w}?=" for w in words)
    assert decode_header(value) == "홍길동 고객님"


def test_whitespace_between_words_goes_but_text_stays() -> None:
    value = f"[문의] {b_word('결제', 'utf-8')} {b_word('오류', 'utf-8')} 입니다"
    assert decode_header(value) == "[문의] 결제오류 입니다"


def test_mixed_charsets_and_q_encoding() -> None:
    value = b_word("견적", "ks_c_5601-1987", "cp949") + " =?utf-8?q?caf=C3=A9_ok?="
    assert decode_header(value) == "견적café ok"


def test_lowercase_and_unpadded_and_language_suffix() -> None:
    unpadded = base64.b64encode("도움".encode()).decode().rstrip("=")
    assert decode_header(f"=?utf-8*ko?b?{unpadded}?=") == "도움"


def test_raw_8bit_headers() -> None:
    assert decode_header(raw8("환불 요청", "cp949")) == "환불 요청"
    assert decode_header(raw8("환불 요청", "utf-8")) == "환불 요청"
    assert decode_header(raw8("café", "latin-1")) == "café"


def test_malformed_words_are_left_alone() -> None:
    assert decode_header("=?utf-8?X?abc?= and =?broken") == "=?utf-8?X?abc?= and =?broken"


def test_unknown_charset_in_a_word_is_guessed() -> None:
    assert decode_header(b_word("안녕", "x-unknown", "cp949")) == "안녕"


def test_nfc_in_headers() -> None:
    decomposed = unicodedata.normalize("NFD", "한글")
    assert decode_header(f"=?utf-8?B?{base64.b64encode(decomposed.encode()).decode()}?=") == "한글"


# --- parameters ------------------------------------------------------------------------------


def test_rfc2231_with_continuations_out_of_order() -> None:
    value = (
        "attachment; filename*1*=%EB%AC%B8%EC%84%9C; filename*0*=UTF-8''%ED%95%9C%EA%B8%80; "
        'filename*2=".hwp"'
    )
    assert parse_params(value) == ("attachment", {"filename": "한글문서.hwp"})


def test_rfc2231_korean_charsets() -> None:
    assert parse_params("attachment; filename*=euc-kr''%B0%DF%C0%FB.pdf")[1] == {
        "filename": "견적.pdf"
    }
    assert parse_params("attachment; filename*=ks_c_5601-1987'ko'%B0%DF%C0%FB.pdf")[1] == {
        "filename": "견적.pdf"
    }


def test_rfc2231_wins_over_the_plain_parameter() -> None:
    value = "attachment; filename=\"fallback.pdf\"; filename*=UTF-8''%EA%B2%AC.pdf"
    assert parse_params(value)[1]["filename"] == "견.pdf"


def test_encoded_word_and_raw_bytes_in_names() -> None:
    assert parse_params(f'application/pdf; name="{b_word("견적서.pdf", "utf-8")}"')[1] == {
        "name": "견적서.pdf"
    }
    assert parse_params(f'image/jpeg; name="{raw8("영수증.jpg", "cp949")}"')[1] == {
        "name": "영수증.jpg"
    }


def test_garbage_parameters() -> None:
    main, params = parse_params(
        'Text/Plain; ;;; =junk; charset="utf-8; format=flowed; name*99999*=%ZZ; x="a\\"b'
    )
    assert main == "text/plain"
    assert params["charset"].startswith("utf-8")
    assert codec_for(params["charset"]) == "utf-8"


def test_quoted_pairs_and_folding() -> None:
    assert parse_params('multipart/mixed;\r\n\tboundary="a\\"b c"')[1] == {"boundary": 'a"b c'}


# --- address lists, ids ----------------------------------------------------------------------


def test_addresses() -> None:
    value = (
        f'"Support, Team" <Support@Doum.example>, {b_word("홍길동", "utf-8")} <hong@example.co.kr>,'
        " plain@example.com (Plain Person), Kim, Minsu <minsu@example.com>;"
        " undisclosed-recipients:;, <@route.example:routed@example.com>, not valid, <x@@y>"
    )
    assert address_list(value) == [
        Address("Support, Team", "support@doum.example"),
        Address("홍길동", "hong@example.co.kr"),
        Address("Plain Person", "plain@example.com"),
        Address("Kim, Minsu", "minsu@example.com"),
        Address("", "routed@example.com"),
        Address("not valid", ""),
        Address("<x@@y>", ""),
    ]


def test_encoded_word_inside_quotes_and_raw_korean_names() -> None:
    assert address_list(f'"{b_word("도움", "utf-8")}" <a@example.com>') == [
        Address("도움", "a@example.com")
    ]
    assert address_list(raw8('"박지성" <p@example.co.kr>', "cp949")) == [
        Address("박지성", "p@example.co.kr")
    ]


def test_empty_address_headers() -> None:
    assert address_list(None) == [] and address_list("") == [] and address_list(" ; , ") == []


def test_message_ids() -> None:
    value = "<a@x> junk (comment) <b@y>,<a@x>\r\n <c @ z>"
    assert message_ids(value) == ["a@x", "b@y", "c@z"]
    assert message_ids("a@x, b@y junk") == ["a@x", "b@y"]
    assert message_ids("Your message of Monday") == []


def test_first_message_id() -> None:
    assert first_message_id("<abc@example.com>") == "abc@example.com"
    assert first_message_id("  abc@example.com  ") == "abc@example.com"
    assert first_message_id("no-at-sign") == "no-at-sign"
    assert first_message_id("") == ""


def test_return_path() -> None:
    assert return_path(None) is None
    assert return_path("<>") == ""
    assert return_path(" <Bounce+X@Example.com> ") == "bounce+x@example.com"
    assert return_path("bare@example.com") == "bare@example.com"


def test_hostile_values_are_linear() -> None:
    assert parse_params("text/plain; " + "x" * 300_000) == ("text/plain", {})
    assert address_list("(" * 100_000 + "<" * 100_000 + '"' * 100_000) is not None
    assert message_ids("<" * 300_000) == []
    assert decode_header("=?a?b?" * 100_000).startswith("=?a?b?")
