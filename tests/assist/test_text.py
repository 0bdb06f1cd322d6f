"""doum.assist.text with the shipped models, on short sentences written for these tests."""

from __future__ import annotations

import threading

import pytest

from doum.assist.features import MAX_CHARS, clean
from doum.assist.text import (
    NEUTRAL_HIGH,
    NEUTRAL_LOW,
    TextAnalysis,
    Topic,
    analyse,
    detect_language,
    label_for,
    topics,
)

KO_POSITIVE = [
    "상담원분이 친절하게 안내해주셔서 정말 좋았어요!",
    "빠르게 해결해 주셔서 감사합니다. 최고예요",
    "답변도 빠르고 정말 만족스러웠어요 ^^",
    "문제가 바로 해결됐어요. 정말 감사해요 ㅎㅎ",
    "너무 좋아요 추천합니다",
]
KO_NEGATIVE = [
    "배송이 너무 늦어서 환불 요청했는데 답변이 없네요 ㅠㅠ",
    "최악이에요. 다시는 이용 안 합니다",
    "상담원이 불친절하고 짜증나요",
    "일주일째 연락이 없어서 너무 실망했습니다",
    "돈 아깝고 시간 낭비였어요",
]
EN_POSITIVE = [
    "Great support, the agent was friendly and fixed it fast.",
    "Excellent service, thank you so much!",
    "I love how easy this was, highly recommend.",
    "Very good experience, quick and helpful answer.",
    "Works great, I am very happy with the result.",
]
EN_NEGATIVE = [
    "Terrible service, nobody answered my emails for a week.",
    "The worst support I have ever had, a complete waste of time.",
    "Very disappointed, the problem is still not fixed.",
    "Awful experience, rude agent and no refund.",
    "This is not good at all.",
]


@pytest.mark.parametrize("text", KO_POSITIVE + EN_POSITIVE)
def test_clearly_positive_comments_are_positive(text: str) -> None:
    result = analyse(text)
    assert result.sentiment == "positive", result
    assert result.score > NEUTRAL_HIGH


@pytest.mark.parametrize("text", KO_NEGATIVE + EN_NEGATIVE)
def test_clearly_negative_comments_are_negative(text: str) -> None:
    result = analyse(text)
    assert result.sentiment == "negative", result
    assert result.score < NEUTRAL_LOW


def test_a_known_miss_stays_documented() -> None:
    # Listed in docs/assist.md (limitations): movie-review training data rarely says 만족합니다.
    result = analyse("답변이 빠르고 친절해서 만족합니다")
    assert result.language == "ko"
    assert result.sentiment in ("neutral", "positive")


def test_language_of_the_analysis() -> None:
    assert all(analyse(t).language == "ko" for t in KO_POSITIVE + KO_NEGATIVE)
    assert all(analyse(t).language == "en" for t in EN_POSITIVE + EN_NEGATIVE)


def test_negation_turns_english_around() -> None:
    assert analyse("The agent was good.").score > analyse("The agent was not good.").score


def test_neutral_band_and_no_evidence() -> None:
    assert label_for(0.5, 10) == "neutral"
    assert label_for(NEUTRAL_LOW, 10) == "neutral"
    assert label_for(NEUTRAL_HIGH, 10) == "neutral"
    assert label_for(NEUTRAL_HIGH + 0.01, 10) == "positive"
    assert label_for(NEUTRAL_LOW - 0.01, 10) == "negative"
    # No feature the model knows: neutral whatever the score says.
    assert label_for(0.99, 0) == "neutral"


def test_scores_are_probabilities_and_labels_agree() -> None:
    for text in KO_POSITIVE + KO_NEGATIVE + EN_POSITIVE + EN_NEGATIVE + ["ok", "음"]:
        result = analyse(text)
        assert 0.0 <= result.score <= 1.0
        assert result.sentiment == label_for(result.score, 1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("배송이 늦어요", "ko"),
        ("The delivery was late", "en"),
        ("ㅋㅋㅋㅋ", "ko"),
        ("앱 login 오류가 계속 나요", "ko"),  # Hangul majority
        ("my 앱 keeps crashing on login", "en"),  # Latin majority
        ("Café très agréable", "en"),  # Latin letters count as "en": no other model
        ("", ""),
        ("   ", ""),
        ("😀😀👍", ""),
        ("12345 !!! ???", ""),
        ("これは日本語です", ""),
    ],
)
def test_detect_language(text: str, expected: str) -> None:
    assert detect_language(text) == expected


def test_empty_and_emoji_only_text_is_neutral_without_language() -> None:
    for text in ["", "  \n ", "😀😀", "👍🏻👍🏻", "...!!!"]:
        assert analyse(text) == TextAnalysis(
            language="", sentiment="neutral", score=0.5, key_phrases=[]
        )


def test_korean_key_phrases_are_nouns_and_compounds() -> None:
    phrases = analyse("앱 로그인 오류가 계속 납니다. 비밀번호 재설정도 안돼요").key_phrases
    assert "앱 로그인 오류" in phrases
    assert "비밀번호 재설정" in phrases
    phrases = analyse("배송이 너무 늦어서 환불 요청했는데 답변이 없네요 ㅠㅠ").key_phrases
    assert set(phrases) == {"환불 요청", "배송", "답변"}
    # Stop nouns, one-letter nouns and adjective roots (친절하다) are no key phrases.
    phrases = analyse("상담원분이 친절하게 안내해주셔서 정말 좋았어요!").key_phrases
    assert "상담원" in phrases
    assert not {"친절", "정말", "분"} & set(phrases)


def test_english_key_phrases_are_content_words() -> None:
    phrases = analyse("Please update my shipping address before the delivery.").key_phrases
    assert "shipping address" in phrases
    assert "delivery" in phrases
    phrases = analyse("I waited three days for a refund and nobody answered my emails.").key_phrases
    assert phrases == ["refund", "emails"]
    assert analyse("Great great great!").key_phrases == []


def test_key_phrases_are_few_and_unique() -> None:
    text = (
        "The invoice, the invoice again, password reset, billing address, order status, "
        "tracking number, account settings, gift card, mobile app and the invoice."
    )
    phrases = analyse(text).key_phrases
    assert len(phrases) == 5
    assert len(set(phrases)) == 5
    assert phrases[0] == "invoice"  # mentioned three times


def test_mixed_text_gets_phrases_of_both_scripts() -> None:
    result = analyse("고객센터 연결이 안 돼요. customer service is terrible")
    assert result.language == "en"
    assert set(result.key_phrases) == {"고객센터 연결", "customer service"}
    assert result.sentiment == "negative"


TOPIC_TEXTS = [
    "배송이 너무 늦어요",  # 0
    "배송 지연이 심해요",  # 1
    "배송 지연 때문에 화나요",  # 2
    "환불 요청했는데 답이 없어요",  # 3
    "환불 처리가 느려요",  # 4
    "Refund took two weeks",  # 5
    "refunds are slow",  # 6
    "The refund request was ignored",  # 7
    "great agent",  # 8
    "agent was rude",  # 9
    "배송 지연 또 발생",  # 10
    "",  # 11
    "<p>😀</p>",  # 12
    "The password reset link is broken",  # 13
]


def test_topics_count_texts_and_give_examples() -> None:
    found = topics(TOPIC_TEXTS)
    by_phrase = {t.phrase: t for t in found}
    # "배송" is in 4 texts, "배송 지연" in 3 of them: the longer phrase says it better.
    assert by_phrase["배송 지연"] == Topic("배송 지연", 3, [1, 2, 10])
    assert "배송" not in by_phrase
    # "refunds" and "refund request" are mentions of "refund".
    assert by_phrase["refund"] == Topic("refund", 3, [5, 6, 7])
    assert by_phrase["환불"] == Topic("환불", 2, [3, 4])
    assert by_phrase["agent"] == Topic("agent", 2, [8, 9])
    # A phrase in one text only is no topic.
    assert "password reset link" not in by_phrase
    assert [t.count for t in found] == sorted((t.count for t in found), reverse=True)


def test_topics_limit_and_examples() -> None:
    texts = ["refund please"] * 5 + ["the invoice is wrong"] * 4 + ["login error"] * 3
    found = topics(texts, limit=2, examples=2)
    assert found == [Topic("refund", 5, [0, 1]), Topic("invoice", 4, [5, 6])]
    assert topics(texts, limit=0) == []
    assert topics([]) == []
    assert all(t.examples == [] for t in topics(texts, examples=0))


def test_topics_every_example_mentions_its_phrase() -> None:
    for topic in topics(TOPIC_TEXTS, examples=10):
        assert len(topic.examples) == topic.count
        for index in topic.examples:
            assert topic.phrase.split()[0].lower()[:2] in TOPIC_TEXTS[index].lower()


HOSTILE = [
    "<script>alert('x')</script><b>환불</b> 해주세요 &lt;3 &amp;",
    "\x00\x01\x02 control \x1b[31m characters \x7f",
    "\ud800 lone surrogate \udfff",
    "zero\u200bwidth\u200e marks \u202e reversed",
    "👨‍👩‍👧 family emoji 🇰🇷 flags 😀😀😀",
    "ㅋ" * 20_000,
    "환불 " * 10_000,
    "refund " * 10_000,
    "a" * 100_000,
    "<" * 5_000 + ">" * 5_000,
    "<div" + " x" * 10_000,
    "한국어와 English가 mixed 된 문장 ㅠㅠ 😡",
    "\n\n\t\t   \r\n",
    "１２３ ＡＢＣ 全角",
    "&#x1F600; &#0; &#xD800; &bogus;",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_input_never_raises(text: str) -> None:
    result = analyse(text)
    assert result.language in ("ko", "en", "")
    assert result.sentiment in ("positive", "neutral", "negative")
    assert 0.0 <= result.score <= 1.0
    assert len(result.key_phrases) <= 5
    assert all(len(p) <= MAX_CHARS for p in result.key_phrases)
    found = topics([text, text, ""])
    assert all(t.count == 2 and t.examples == [0, 1] for t in found)


def test_html_is_read_as_text() -> None:
    assert clean("<p>환불 <b>요청</b></p><script>evil()</script>") == "환불 요청"
    assert analyse("<b>환불</b> 요청합니다").key_phrases == ["환불 요청"]
    assert "script" not in " ".join(analyse("<script>var refund = 1</script> refund").key_phrases)


def test_long_text_is_cut() -> None:
    assert len(clean("환불 " * 10_000)) <= MAX_CHARS


def test_not_a_string_is_empty() -> None:
    assert analyse(None).language == ""  # type: ignore[arg-type]
    assert detect_language(42) == ""  # type: ignore[arg-type]
    assert topics([None, 3, "refund", "refund"]) == [Topic("refund", 2, [2, 3])]  # type: ignore[list-item]


def test_threads_share_one_model() -> None:
    texts = KO_POSITIVE + KO_NEGATIVE + EN_POSITIVE + EN_NEGATIVE
    expected = [analyse(t) for t in texts]
    results: list[list[TextAnalysis]] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            results.append([analyse(t) for t in texts])
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert results == [expected] * 4
