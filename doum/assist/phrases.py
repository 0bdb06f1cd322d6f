"""Key phrases of one text and recurring topics across many (Korean and English).

Korean: runs of nouns from Kiwi (NNG/NNP, Latin words SL, a prefix XPN joined to its noun), so
"앱 로그인 오류" and "비밀번호 재설정" come out whole; one-character nouns only from a short
list that carries meaning on its own (앱, 폰, 돈, ...); stop nouns dropped; a noun that is the
root of an adjective (친절하다, 불편하다) is a sentiment word, not a subject, and is skipped.

English: content-word runs between stop words and punctuation (a RAKE-style split), up to three
words, lower-cased; evaluative words (good, terrible, ...) split phrases like stop words, and
modifiers (slow, late, ...) may start a phrase but never stand alone; the last word of a phrase
is singularised for matching, so "refunds" and "refund" are one topic.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from doum.assist.features import Morph

MAX_KEY_PHRASES = 5
MAX_WORDS = 3
MERGE_SHARE = 0.6  # a longer phrase replaces a shorter one it contains when it covers 60 % of it

Key = tuple[str, ...]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


@dataclass(frozen=True)
class Candidate:
    key: Key  # normalised words/nouns: what topics() counts
    surface: str  # as written in the text
    position: int  # character offset of its start, for ranking ties


# --- Korean -------------------------------------------------------------------------------------

_KO_NOUN_TAGS = frozenset({"NNG", "NNP", "SL", "SH"})
_KO_ONE_CHAR_OK = _words(
    "앱 폰 돈 값 맛 양 질 차 집 옷 방 팀 책 법 약 밥 빵 물 글 잠 창 표 키 칸 탭 링 핀 캡"
)
_KO_STOP = _words(
    """
    것 수 등 때 거 점 중 데 게 건 줄 분 번 개 년 월 일 시 위 안 말 뭐 왜 꼭 좀 더 또 잘
    정말 진짜 완전 너무 그냥 이번 오늘 내일 어제 지금 요즘 항상 계속 다시 처음 마지막 나중
    생각 느낌 경우 정도 부분 사람 자체 이상 이하 이후 이전 관련 대한 대해 때문 우리 저희
    감사 최고 최악 별로 대박 짱 굿 최선 문제없음 수고 부탁 고생 사용자 고객님 님 씨 쪽 듯
    영화 평점 내용 하나 두번 한번 여기 거기 이거 그거 저거 이것 그것 뭔가 무엇 누구 어디
    ㅋㅋ ㅎㅎ ㅠㅠ ㅜㅜ
    """
)


def korean_candidates(text: str, tokens: Sequence[Morph]) -> list[Candidate]:
    """Maximal noun runs (up to MAX_WORDS nouns) in the order they occur."""
    out: list[Candidate] = []
    run: list[Morph] = []

    def flush() -> None:
        if run:
            out.extend(_korean_run(text, run))
            run.clear()

    previous: Morph | None = None
    for i, tok in enumerate(tokens):
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        is_noun = tok.tag in _KO_NOUN_TAGS
        if is_noun and nxt is not None and nxt.tag.startswith("XSA"):
            is_noun = False  # 친절(하다), 불편(하다): an adjective's root
        if tok.tag == "XPN" and nxt is not None and nxt.tag in _KO_NOUN_TAGS:
            is_noun = True  # 재(설정): the prefix belongs to its noun
        gap = tok.start - previous.end if previous is not None else 0
        if not is_noun or (run and gap > 1):
            flush()
        if is_noun:
            run.append(tok)
        previous = tok
    flush()
    return out


def _korean_run(text: str, run: Sequence[Morph]) -> list[Candidate]:
    # Glue prefixes to their noun, then keep the nouns that are worth a phrase.
    merged: list[tuple[str, int, int]] = []
    prefix: tuple[str, int] | None = None
    for tok in run:
        form = tok.form.lower() if tok.tag == "SL" else tok.form
        start, end = tok.start, tok.end
        if tok.tag == "XPN":
            prefix = (form, start)
            continue
        if prefix is not None:
            form, start = prefix[0] + form, prefix[1]
            prefix = None
        merged.append((form, start, end))
    words: list[tuple[str, int, int]] = []
    out: list[Candidate] = []
    for form, start, end in merged:
        if _korean_keepable(form):
            words.append((form, start, end))
        else:
            out.extend(_korean_chunk(text, words))
            words = []
    out.extend(_korean_chunk(text, words))
    return out


def _korean_keepable(form: str) -> bool:
    if form in _KO_STOP or not form.strip():
        return False
    if form.isdigit():
        return False
    return len(form) > 1 or form in _KO_ONE_CHAR_OK


def _korean_chunk(text: str, words: Sequence[tuple[str, int, int]]) -> list[Candidate]:
    if not words:
        return []
    words = words[-MAX_WORDS:]  # the head noun comes last in Korean
    key = tuple(w[0] for w in words)
    surface = text[words[0][1] : words[-1][2]]
    return [Candidate(key, surface, words[0][1])]


# --- English ------------------------------------------------------------------------------------

_EN_WORD_RE = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-'’][A-Za-z0-9]+)*|[0-9]+|[^\sA-Za-z0-9]")
_EN_STOP = _words(
    """
    a about above after again against all almost also although always am an and another any
    anybody anyone anything anyway are aren't around as at back be became because become been
    before being below between both but by can can't cannot could couldn't did didn't do does
    doesn't doing don't done down during each either else enough even ever every everyone
    everything few for from further get gets getting got gotten had hadn't has hasn't have
    haven't having he her here hers herself him himself his how however i i'd i'll i'm i've if
    in into is isn't it it's its itself just least less let let's like likely made make makes
    making many may me might mine more most much must my myself neither never no nobody none
    nor not nothing now of off often on once one only onto or other others otherwise our ours
    ourselves out over own per perhaps please quite rather really said same say says see seem
    seemed seems several shall she should shouldn't since so some somebody someone something
    sometimes still such than that that's the their theirs them themselves then there there's
    these they they're thing things this those though through thus to too toward under until
    up upon us use used using very via was wasn't way we we're we've were weren't what what's
    whatever when where whether which while who whom whose why will with within without won't
    would wouldn't yet you you'd you'll you're you've your yours yourself yourselves
    ok okay yes yeah hi hello hey dear regards thanks thank thx pls lol omg etc im ive dont
    cant wont didnt doesnt isnt wasnt
    go goes going gone went come comes came take takes took taken give gives gave given tell
    told ask asked want wanted need needed try tried keep kept know knew think thought feel
    felt look looked seem put find found call called let lets wait waited waiting works
    today yesterday tomorrow day days week weeks time times minute minutes hour hours lot lots
    bit kind sort anything one two three four five six seven eight nine ten hundred thousand
    quickly slowly finally actually completely totally easily immediately properly simply
    probably basically certainly definitely absolutely extremely highly fully nearly recently
    currently usually especially exactly clearly seriously honestly literally unfortunately
    fortunately hopefully constantly repeatedly promptly eventually apparently already soon
    """
)
_EN_ADVERB_SUFFIXES = ("ally", "ously", "ively", "fully", "lessly", "ently", "antly", "edly")
_EN_EVALUATIVE = _words(
    """
    good great bad terrible awful horrible excellent poor nice love loved loves hate hated
    hates best worst amazing awesome fantastic wonderful perfect happy unhappy disappointed
    disappointing disappointment helpful unhelpful useless pleased satisfied unsatisfied
    dissatisfied recommend recommended fine cool super glad sad angry annoyed annoying
    frustrated frustrating frustration impressed excellent superb brilliant pathetic
    ridiculous stupid dumb fun funny boring enjoyed enjoy like liked dislike disliked wow
    thanks thank appreciate appreciated sorry well lovely beautiful ugly waste wasted
    """
)
_EN_MODIFIERS = _words(
    """
    slow fast quick late early long short new old wrong right broken missing free extra
    full partial first second last next previous same different easy hard difficult simple
    friendly rude polite clear unclear confusing high low big small cheap expensive online
    mobile customer
    """
)


def _singular(word: str) -> str:
    if len(word) <= 3 or not word.endswith("s"):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "ches", "shes", "xes")):
        return word[:-2]
    if word.endswith(("ss", "us", "is", "os")):
        return word
    return word[:-1]


def _looks_like_verb(word: str) -> bool:
    """A lone past-tense word ("answered", "solved") is no subject; "speed" and "need" stay."""
    return len(word) > 4 and word.endswith("ed") and not word.endswith("eed")


def english_candidates(text: str) -> list[Candidate]:
    out: list[Candidate] = []
    run: list[tuple[str, int]] = []

    def flush() -> None:
        words = run[-MAX_WORDS:]
        run.clear()
        # Strip modifiers from the end: "delivery was late" gives "delivery", not "late".
        while words and words[-1][0] in _EN_MODIFIERS:
            words = words[:-1]
        if not words or all(w[0].isdigit() for w in words):
            return
        key = tuple([w[0] for w in words[:-1]] + [_singular(words[-1][0])])
        if len(key) == 1 and (len(key[0]) < 3 or _looks_like_verb(key[0])):
            return
        out.append(Candidate(key, " ".join(w[0] for w in words), words[0][1]))

    for match in _EN_WORD_RE.finditer(text):
        word = match.group(0).lower().replace("’", "'")
        if (
            not word[0].isascii()
            or not word[0].isalnum()
            or word in _EN_STOP
            or word in _EN_EVALUATIVE
            or (len(word) > 5 and word.endswith(_EN_ADVERB_SUFFIXES))
        ):
            flush()
            continue
        if word.isdigit() and not run:
            continue  # a number starts no phrase ("3 days"); "windows 11" keeps it
        run.append((word, match.start()))
    flush()
    return out


# --- Ranking and topics -------------------------------------------------------------------------


def candidates(language: str, text: str, tokens: Sequence[Morph] | None) -> list[Candidate]:
    """Phrase candidates of cleaned text; English text with Hangul in it (given its morphemes)
    also gets the Korean noun phrases."""
    if language == "ko":
        return korean_candidates(text, tokens or [])
    if language == "en":
        found = english_candidates(text)
        if tokens:
            korean = [m for m in tokens if m.tag != "SL"]
            found.extend(korean_candidates(text, korean))
        return found
    return []


def key_phrases(found: Sequence[Candidate], limit: int = MAX_KEY_PHRASES) -> list[str]:
    """The best `limit` phrases of one text: frequent and specific first, no repeats, and no
    phrase that is part of one already chosen."""
    if limit <= 0:
        return []
    counts = Counter(c.key for c in found)
    first: dict[Key, Candidate] = {}
    for c in found:
        first.setdefault(c.key, c)
    ranked = sorted(first.values(), key=lambda c: (-counts[c.key] - 0.5 * len(c.key), c.position))
    chosen: list[Candidate] = []
    for c in ranked:
        if any(_contains(k.key, c.key) or _contains(c.key, k.key) for k in chosen):
            continue
        chosen.append(c)
        if len(chosen) == limit:
            break
    chosen.sort(key=lambda c: (-counts[c.key] - 0.5 * len(c.key), c.position))
    return [c.surface for c in chosen]


def _contains(longer: Key, shorter: Key) -> bool:
    n = len(shorter)
    if n > len(longer):
        return False
    return any(longer[i : i + n] == shorter for i in range(len(longer) - n + 1))


def _subkeys(c: Candidate) -> list[tuple[Key, str | None]]:
    """The phrase and its contiguous parts (a text about "refund request" mentions "refund")."""
    out: list[tuple[Key, str | None]] = [(c.key, c.surface)]
    n = len(c.key)
    for size in range(n - 1, 0, -1):
        for i in range(n - size + 1):
            part = c.key[i : i + size]
            if size == 1 and len(part[0]) < 2:
                continue
            if size == 1 and part[0] in _EN_MODIFIERS:
                continue
            out.append((part, None))
    return out


@dataclass(frozen=True)
class TopicCount:
    phrase: str
    count: int
    examples: list[int]


def recurring(
    found: Sequence[Sequence[Candidate]], *, limit: int, examples: int, min_count: int = 2
) -> list[TopicCount]:
    """Phrases mentioned by at least `min_count` texts, most texts first, near duplicates merged."""
    if limit <= 0:
        return []
    docs: dict[Key, list[int]] = defaultdict(list)
    surfaces: dict[Key, Counter[str]] = defaultdict(Counter)
    for index, cands in enumerate(found):
        seen: set[Key] = set()
        for c in cands:
            for key, surface in _subkeys(c):
                if surface is not None:
                    surfaces[key][surface] += 1
                if key not in seen:
                    seen.add(key)
                    docs[key].append(index)
    counts = {k: len(v) for k, v in docs.items() if len(v) >= min_count}
    order = sorted(counts, key=lambda k: (-counts[k], -len(k), k))
    longer_by_word: dict[str, list[Key]] = defaultdict(list)
    for k in order:
        if len(k) > 1:
            for word in set(k):
                longer_by_word[word].append(k)
    chosen: list[Key] = []
    for k in order:
        if any(_contains(s, k) or _contains(k, s) for s in chosen):
            continue
        threshold = MERGE_SHARE * counts[k]
        if any(
            len(other) > len(k) and counts[other] >= threshold and _contains(other, k)
            for other in longer_by_word.get(k[0], [])
        ):
            continue  # the longer phrase says the same, more precisely; it comes later
        chosen.append(k)
        if len(chosen) == limit:
            break
    out: list[TopicCount] = []
    for k in chosen:
        phrase = _display(k, surfaces.get(k))
        out.append(TopicCount(phrase, counts[k], docs[k][: max(examples, 0)]))
    return out


def _display(key: Key, seen: Counter[str] | None) -> str:
    if seen:
        return seen.most_common(1)[0][0]
    return " ".join(key)
