"""Full-text search over ticket subjects and comments, for Korean as well as English.

Korean words carry particles and endings ("환불을", "환불해", "환불이요"), so whole-word
matching finds little. Text is tokenised here, the same way for documents and queries:
Latin, digit and other word runs become lower-cased words; runs of Hangul (and other CJK
scripts) become overlapping two-character pieces (bigrams), so "환불" matches "환불을"
and "환불 요청" matches "환불요청이". The database indexes the space-joined pieces:
SQLite with an FTS5 table, PostgreSQL with a GIN index on to_tsvector('simple', ...).
"""

from __future__ import annotations

import re
import unicodedata

from django.db import connection
from django.db.models.expressions import RawSQL

_WORD = re.compile(r"\w+")
# Hangul syllables and jamo, CJK ideographs, kana.
_CJK = "\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af"
_RUNS = re.compile(f"[{_CJK}]+|[^{_CJK}]+")
_IS_CJK = re.compile(f"[{_CJK}]")
MAX_QUERY_TOKENS = 16
MAX_DOCUMENT_CHARS = 200_000


def tokens(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text[:MAX_DOCUMENT_CHARS]).lower()
    out: list[str] = []
    for word in _WORD.findall(text):
        for run in _RUNS.findall(word):
            if _IS_CJK.match(run):
                if len(run) == 1:
                    out.append(run)
                else:
                    out.extend(run[i : i + 2] for i in range(len(run) - 1))
            elif run.strip("_"):
                out.append(run.strip("_")[:64])
    return out


def document(*parts: str) -> str:
    return " ".join(t for part in parts for t in tokens(part))


# Particles and common endings a searcher types after a noun ("환불을", "배송이요", "앱에서").
# Documents keep them (their bigrams are harmless); queries drop them so that the noun's
# bigrams alone must match.
_JOSA_WORDS = (
    "을 를 이 가 은 는 에 의 도 와 과 로 으로 에서 에게 께 한테 까지 부터 만 이요 요 "
    "이에요 예요 입니다 이나 나 랑 이랑 하고 처럼 보다 이란 란"
)
_JOSA = sorted(_JOSA_WORDS.split(), key=len, reverse=True)


def _strip_josa(word: str) -> str:
    for ending in _JOSA:
        if word.endswith(ending) and len(word) - len(ending) >= 2:
            return word[: -len(ending)]
    return word


def query_tokens(query: str) -> list[str]:
    text = unicodedata.normalize("NFKC", query[:1000])
    stripped = _WORD.sub(lambda m: _strip_josa(m.group()), text)
    return list(dict.fromkeys(tokens(stripped)))[:MAX_QUERY_TOKENS]


def matching_ticket_ids(query: str, *, public_only: bool) -> RawSQL | None:
    """A subquery of ticket ids whose subject or one comment holds every query token.

    None when the query has no searchable token.
    """
    terms = query_tokens(query)
    if not terms:
        return None
    public_clause = " AND e.is_public" if public_only else ""
    if connection.vendor == "postgresql":
        # The only variable part is bound as a parameter; public_clause is a constant.
        return RawSQL(  # noqa: S611
            "SELECT e.ticket_id FROM tickets_searchentry e WHERE "  # noqa: S608
            "to_tsvector('simple'::regconfig, e.document) @@ "
            "plainto_tsquery('simple'::regconfig, %s)" + public_clause,
            (" ".join(terms),),
        )
    # FTS5: quote every term so nothing in the query is read as FTS syntax.
    match = " AND ".join('"' + t.replace('"', '""') + '"' for t in terms)
    return RawSQL(  # noqa: S611
        "SELECT e.ticket_id FROM tickets_searchentry_fts f "  # noqa: S608
        "JOIN tickets_searchentry e ON e.id = f.rowid "
        "WHERE tickets_searchentry_fts MATCH %s" + public_clause,
        (match,),
    )
