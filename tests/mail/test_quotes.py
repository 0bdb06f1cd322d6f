"""Splitting replies into what the sender wrote and what they quoted (English and Korean
clients), and keeping everything when the signs are not clear."""

from __future__ import annotations

import pytest

from doum.mail.quotes import split_reply, split_reply_html, unflow, without_elements


def split(text: str) -> tuple[str, str]:
    return split_reply(text)


# --- attribution lines -----------------------------------------------------------------------


def test_gmail_english_attribution() -> None:
    new, quoted = split(
        "Thanks, it works.\n\n"
        "On Mon, Nov 23, 2026 at 10:15 AM Doum Support <support@doum.example> wrote:\n\n"
        "> Hi Kim,\n> Please try again.\n"
    )
    assert new == "Thanks, it works."
    assert quoted.startswith("On Mon, Nov 23, 2026 at 10:15 AM")
    assert quoted.endswith("> Please try again.")


def test_english_attribution_wrapped_over_two_lines() -> None:
    new, quoted = split(
        "Thanks.\n\nOn Mon, Nov 23, 2026 at 10:15 AM Doum Support <\n"
        "support+t43-0123456789ab@doum.example> wrote:\n\n> Hi\n"
    )
    assert new == "Thanks."
    assert quoted.startswith("On Mon, Nov 23, 2026")


def test_outlook_mac_attribution_without_quote_marks() -> None:
    new, quoted = split(
        'Done.\n\nOn 11/24/26, 3:00 PM, "Doum Support" <support@doum.example> wrote:\n\n'
        "Hello, here is the answer.\n"
    )
    assert new == "Done."
    assert "Hello, here is the answer." in quoted


@pytest.mark.parametrize(
    "attribution",
    [
        "2026년 11월 22일 (일) 오후 3:00, 홍길동 <hong@example.co.kr>님이 작성:",
        "2026년 11월 22일 일요일, 홍길동<hong@example.co.kr>님이 작성한 메시지:",
        "2026. 11. 22. 오후 3:00, 홍길동 <hong@example.co.kr> 작성:",
    ],
)
def test_korean_attributions(attribution: str) -> None:
    new, quoted = split(f"확인했습니다.\n\n{attribution}\n\n> 안녕하세요.\n> 답변드립니다.\n")
    assert new == "확인했습니다."
    assert quoted.startswith(attribution)


def test_korean_gmail_attribution_wrapped() -> None:
    new, quoted = split(
        "감사합니다!\n\n2026년 11월 22일 (일) 오후 3:00, 도움 고객지원 "
        "<support+t42-0123456789ab@doum.example>님이\n작성:\n\n> 안녕하세요\n"
    )
    assert new == "감사합니다!"
    assert quoted.startswith("2026년 11월 22일") and "> 안녕하세요" in quoted


# --- separators and header blocks ------------------------------------------------------------


@pytest.mark.parametrize(
    "separator",
    [
        "-----Original Message-----",
        "----- Original Message -----",
        "----- 원본 메시지 -----",
        "----- 원본 메일 -----",
        "-------- original message --------",
    ],
)
def test_separators(separator: str) -> None:
    new, quoted = split(f"답장입니다.\n\n{separator}\nFrom: a@example.com\n\n이전 내용\n")
    assert new == "답장입니다."
    assert quoted.startswith(separator)


def test_naver_original_message_block() -> None:
    text = (
        "답변 감사합니다.\n\n-----Original Message-----\n"
        'From: "도움 고객지원"<support@doum.example>\nTo: "김민지"<minji@naver.example>;\n'
        "Cc:\nSent: 2026-11-24 (화) 10:20:31 (GMT+09:00)\nSubject: [도움 #44] 앱 오류\n\n본문\n"
    )
    new, quoted = split(text)
    assert new == "답변 감사합니다."
    assert quoted.startswith("-----Original Message-----")


def test_outlook_english_block_without_separator() -> None:
    text = (
        "That worked.\n\nJohn\n\nFrom: Doum Support <support@doum.example>\n"
        "Sent: Tuesday, November 24, 2026 9:41 AM\nTo: John Smith <john@acme.example>\n"
        "Subject: RE: [Doum #46] VPN access\n\nHi John,\n"
    )
    new, quoted = split(text)
    assert new == "That worked.\n\nJohn"
    assert quoted.startswith("From: Doum Support")


def test_outlook_web_rule_is_part_of_the_quote() -> None:
    text = (
        "OK\n\n________________________________\nFrom: Doum <support@doum.example>\n"
        "Sent: Tuesday, November 24, 2026 9:41 AM\nTo: John <john@acme.example>\n"
        "Subject: VPN\n\nHi\n"
    )
    new, quoted = split(text)
    assert new == "OK"
    assert quoted.startswith("________________")


def test_outlook_korean_block() -> None:
    text = (
        "내일 연락드리겠습니다.\n\n보낸 사람: 도움 고객지원 <support@doum.example>\n"
        "보낸 날짜: 2026년 11월 24일 화요일 오후 3:12\n받는 사람: 최수진 <sujin@example.co.kr>\n"
        "제목: RE: [도움 #47] 계정 잠금 해제\n\n안녕하세요.\n"
    )
    new, quoted = split(text)
    assert new == "내일 연락드리겠습니다."
    assert quoted.startswith("보낸 사람:")


def test_daum_block_with_korean_labels_without_spaces() -> None:
    text = (
        "취소해 주세요.\n\n보낸사람: 도움 <support@doum.example>\n받는사람: <sujin@daum.example>\n"
        "날짜: 2026년 11월 24일(화) 오후 2:10:11\n제목: 안내\n\n본문\n"
    )
    assert split(text)[0] == "취소해 주세요."


# --- ">" blocks and signatures ---------------------------------------------------------------


def test_trailing_quote_block_with_a_plain_attribution() -> None:
    new, quoted = split("Yes please.\n\nJohn Smith wrote:\n> Shall we close it?\n>\n> Doum\n")
    assert new == "Yes please."
    assert quoted.startswith("John Smith wrote:")


def test_trailing_quote_block_alone() -> None:
    new, quoted = split("Yes please.\n> Shall we close it?\n")
    assert (new, quoted) == ("Yes please.", "> Shall we close it?")


def test_interleaved_reply_stays_new() -> None:
    text = "> Is it broken?\nYes.\n> Since when?\nSince Monday.\n"
    assert split(text) == (text, "")


def test_signature_goes_with_the_quote() -> None:
    new, quoted = split("Works now.\n\n-- \nLee Minho\nAcme\n")
    assert new == "Works now."
    assert quoted == "-- \nLee Minho\nAcme"


def test_signature_separator_without_trailing_space() -> None:
    assert split("Works now.\n--\nLee\n")[0] == "Works now."


def test_crlf_text() -> None:
    new, quoted = split("Works.\r\n\r\n-- \r\nLee\r\n")
    assert (new, quoted) == ("Works.", "-- \nLee")


# --- when unsure, everything is new ----------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "As the manager wrote: please restart the router first.\nThen call us.\n",
        "Our log says this.\nOn Monday the system wrote:\nerror 500 everywhere\n",
        "On 3 servers the agent wrote:\ndisk full\n",
        "The invoice came\nFrom: the billing team, not from sales.\nPlease check.\n",
        "Order 2026년 11월 22일 was wrong, as 홍길동 said in his 작성:\nplease fix it\n",
        "Just text without any quote at all.",
        "",
    ],
)
def test_no_split(text: str) -> None:
    assert split(text) == (text, "")


def test_only_a_quote_stays_new() -> None:
    text = "On Mon, Nov 23, 2026 at 10:15 AM Doum <support@doum.example> wrote:\n> Hi\n"
    assert split(text) == (text, "")


def test_only_a_signature_stays_new() -> None:
    assert split("-- \nLee Minho\n") == ("-- \nLee Minho\n", "")


def test_attribution_mid_paragraph_needs_quoted_lines_after_it() -> None:
    text = "Status update:\nOn 2026-11-23 at 10:00 the robot wrote:\nall green\n"
    assert split(text) == (text, "")
    quoted = "Status update:\nOn 2026-11-23 at 10:00 Kim <k@acme.example> wrote:\n> all green\n"
    assert split(quoted)[0] == "Status update:"


def test_forwarded_message_is_content() -> None:
    text = (
        "See below.\n\n---------- Forwarded message ---------\nFrom: Shop <noreply@shop.example>\n"
        "Date: Fri, Nov 20, 2026 at 9:00 AM\nSubject: Delay\nTo: <kim@acme.example>\n\nDelayed.\n"
    )
    assert split(text) == (text, "")


def test_korean_forward_is_content() -> None:
    text = (
        "확인 부탁드립니다.\n\n---------- 전달된 메일 ----------\n보낸사람: 쇼핑 <a@shop.example>\n"
        "날짜: 2026년 11월 20일\n제목: 지연\n받는사람: <kim@acme.example>\n\n지연 안내\n"
    )
    assert split(text) == (text, "")


def test_apple_forward_is_content() -> None:
    text = "FYI\n\nBegin forwarded message:\n\nFrom: A <a@example.com>\nDate: 1 Dec 2026\nTo: b\n"
    assert split(text) == (text, "")


# --- HTML ------------------------------------------------------------------------------------


def test_html_gmail_quote() -> None:
    html = (
        '<div dir="ltr">Thanks!</div><br><div class="gmail_quote gmail_quote_container">'
        '<div class="gmail_attr">On Mon, Nov 23, 2026 Doum wrote:</div>'
        '<blockquote class="gmail_quote">Hi</blockquote></div>'
    )
    new, quoted = split_reply_html(html)
    assert new == '<div dir="ltr">Thanks!</div><br>'
    assert quoted.startswith('<div class="gmail_quote')


def test_html_apple_blockquote_cite() -> None:
    new, quoted = split_reply_html('<div>OK</div><blockquote type="cite">old</blockquote>')
    assert (new, quoted) == ("<div>OK</div>", '<blockquote type="cite">old</blockquote>')


def test_html_thunderbird_cite_prefix() -> None:
    html = '<p>OK</p><div class="moz-cite-prefix">On 11/24/26 Doum wrote:<br></div><blockquote type="cite">x</blockquote>'
    assert split_reply_html(html)[0] == "<p>OK</p>"


def test_html_outlook_reply_header() -> None:
    html = (
        '<div>Fine.</div><hr style="display:inline-block;width:98%" tabindex="-1">'
        '<div id="divRplyFwdMsg" dir="ltr"><b>From:</b> Doum</div><div>old</div>'
    )
    new, quoted = split_reply_html(html)
    assert new.startswith("<div>Fine.</div>") and quoted.startswith('<div id="divRplyFwdMsg"')


def test_html_without_marker_or_new_text_stays_whole() -> None:
    assert split_reply_html("<p>Hello</p>") == ("<p>Hello</p>", "")
    only_quote = '<div>&nbsp;</div><blockquote type="cite">old</blockquote>'
    assert split_reply_html(only_quote) == (only_quote, "")


def test_html_gmail_forward_stays_whole() -> None:
    html = (
        '<div>FYI</div><div class="gmail_quote"><div class="gmail_attr">'
        "---------- Forwarded message ---------<br>From: Shop</div>content</div>"
    )
    assert split_reply_html(html) == (html, "")


# --- format=flowed ---------------------------------------------------------------------------


def test_unflow_joins_soft_breaks() -> None:
    text = "A long line that was \nwrapped by the client.\nHard break.\n"
    assert unflow(text) == "A long line that was wrapped by the client.\nHard break.\n"


def test_unflow_delsp_and_space_stuffing() -> None:
    assert unflow("Hang \nul\n From here", delsp=True) == "Hangul\nFrom here"


def test_unflow_keeps_quote_depth_and_signature() -> None:
    text = "> quoted that was \n> wrapped\n>> deeper\nmine\n-- \nsig"
    assert unflow(text) == "> quoted that was wrapped\n>> deeper\nmine\n-- \nsig"


def test_hostile_html_is_linear() -> None:
    html = "<p>x</p>" + "<div class=" * 50_000 + "<style>" * 50_000 + "<" * 50_000
    assert split_reply_html(html) == (html, "")
    assert without_elements("<head>" * 50_000 + "<b>kept</b>", ("head",)) == "<b>kept</b>"


def test_without_elements() -> None:
    html = '<HEAD><title>t</title></head><p>a</p><style type="x">p{}</style><p>b</p><script>'
    assert without_elements(html, ("head", "style", "script")) == "<p>a</p><p>b</p>"
