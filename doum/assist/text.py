"""Language, sentiment, key phrases and topics of Korean and English text, offline.

`analyse()` is called on every survey comment inside the request that saves it; `topics()` on
up to a few thousand comments for a dashboard. Both load what they need once per process (the
Kiwi tokenizer and the shipped models in doum/assist/models, thread-safe) and then run in plain
Python. Neither raises on any input: empty, HTML, control characters, emoji, mixed scripts and
very long text (cut at features.MAX_CHARS characters) all give an answer. See docs/assist.md.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from doum.assist import features as feats
from doum.assist.model import LANGUAGES, ModelError, get_model, sigmoid
from doum.assist.phrases import Candidate, candidates, key_phrases, recurring

logger = logging.getLogger(__name__)

SentimentLabel = Literal["positive", "neutral", "negative"]

# Neutral: the model is unsure (P(positive) within this band), or the text has no feature the
# model knows. Chosen on held-out data: outside the band the models are right about 85-89 % of
# the time (docs/assist.md).
NEUTRAL_LOW = 0.4
NEUTRAL_HIGH = 0.6


@dataclass(frozen=True)
class TextAnalysis:
    language: str  # "ko", "en" or "" (unknown / empty)
    sentiment: SentimentLabel
    score: float  # probability that the text is positive, 0..1
    key_phrases: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Topic:
    phrase: str  # the recurring phrase, as people would read it
    count: int  # how many of the texts mention it
    examples: list[int] = field(default_factory=list)  # indexes into the texts given


def detect_language(text: str) -> str:
    """ "ko" or "en" by the majority of Hangul vs Latin letters; "" when there are none."""
    return feats.detect_language(feats.clean(text) if isinstance(text, str) else "")


def label_for(score: float, known_features: int) -> SentimentLabel:
    if known_features == 0 or NEUTRAL_LOW <= score <= NEUTRAL_HIGH:
        return "neutral"
    return "positive" if score > NEUTRAL_HIGH else "negative"


def _needs_morphs(language: str, text: str) -> bool:
    """Korean text, or English text with some Korean in it (for its Korean key phrases)."""
    return language == "ko" or (language == "en" and feats.has_hangul(text))


def _morphs(texts: Sequence[str]) -> list[list[feats.Morph]]:
    try:
        return feats.morphs_many(texts)
    except Exception:  # a tokenizer failure must not break the request that saves a comment
        logger.exception("Korean tokenizer failed; analysing without morphemes")
        return [[] for _ in texts]


def _sentiment(language: str, text: str, tokens: Sequence[feats.Morph] | None) -> tuple[float, int]:
    try:
        model = get_model(language)
    except ModelError:
        logger.exception("sentiment model for %s cannot be loaded", language)
        return 0.5, 0
    z, known = model.decision(feats.sentiment_features(language, text, tokens, model.groups))
    return (sigmoid(z) if known else 0.5), known


def analyse(text: str) -> TextAnalysis:
    """Language, sentiment (with P(positive)) and up to five key phrases of one text."""
    cleaned = feats.clean(text) if isinstance(text, str) else ""
    language = feats.detect_language(cleaned)
    if not language:
        return TextAnalysis(language="", sentiment="neutral", score=0.5, key_phrases=[])
    tokens = _morphs([cleaned])[0] if _needs_morphs(language, cleaned) else []
    score, known = _sentiment(language, cleaned, tokens if language == "ko" else None)
    phrases = key_phrases(candidates(language, cleaned, tokens))
    return TextAnalysis(
        language=language,
        sentiment=label_for(score, known),
        score=round(score, 4),
        key_phrases=phrases,
    )


def topics(texts: Sequence[str], *, limit: int = 8, examples: int = 3) -> list[Topic]:
    """The phrases that recur across `texts` (at least two texts each), most texts first.

    A phrase counts once per text that mentions it, after normalising (Korean nouns from Kiwi,
    English lower-case with the last word singular); a text about "refund request" also
    mentions "refund". A phrase contained in a longer one that most of its texts share is
    reported as the longer one. `examples` gives the indexes of the first texts mentioning it.
    """
    if limit <= 0 or not texts:
        return []
    cleaned = [feats.clean(t) if isinstance(t, str) else "" for t in texts]
    languages = [feats.detect_language(t) for t in cleaned]
    korean = [i for i, lang in enumerate(languages) if _needs_morphs(lang, cleaned[i])]
    tokens: dict[int, list[feats.Morph]] = dict(
        zip(korean, _morphs([cleaned[i] for i in korean]), strict=True)
    )
    found: list[list[Candidate]] = [
        candidates(lang, text, tokens.get(i))
        for i, (lang, text) in enumerate(zip(languages, cleaned, strict=True))
    ]
    return [
        Topic(phrase=t.phrase, count=t.count, examples=t.examples)
        for t in recurring(found, limit=limit, examples=examples)
    ]


def warm_up() -> None:
    """Load the tokenizer and both models now rather than on the first call."""
    feats.morphs_many(["준비 완료"])  # the first analysis is slow; do it now
    for language in LANGUAGES:
        get_model(language)
