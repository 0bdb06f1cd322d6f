"""Korean follows the user's setting, then the browser; and the Korean catalog is complete.

The catalog tests read doum/locale/ko/LC_MESSAGES/django.po with a small parser of their own
(standard library only) and fail when an entry is untranslated or fuzzy, when a translation
loses a placeholder or an HTML tag, when the compiled django.mo is stale, or when the code has
a message the catalog does not know yet (run makemessages, translate, compilemessages).
"""

from __future__ import annotations

import gettext
import re
import shutil
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client, override_settings

from doum.accounts import actions as accounts
from tests.personas import World

DOUM = Path(__file__).resolve().parents[2] / "doum"
LOCALE = DOUM / "locale"
PO = LOCALE / "ko" / "LC_MESSAGES" / "django.po"
MO = LOCALE / "ko" / "LC_MESSAGES" / "django.mo"

# Translations that may read exactly like the English.
SAME_IN_KOREAN = {"API"}
HANGUL = re.compile("[\uac00-\ud7a3]")
# "%(name)s", "%s", and with flags, width and precision: "%(m)02d", "%(d).1f"
PLACEHOLDER = re.compile(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[sdif]|%[sdif]")
HTML_TAG = re.compile(r"<[^>]+>")


# --- a tiny .po reader --------------------------------------------------------------------


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)  # 0 for a singular entry
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def translation(self) -> str:
        return self.msgstr.get(0, "")

    def __str__(self) -> str:
        return f"django.po line {self.line}: {self.msgid!r}"


def _unquote(text: str) -> str:
    text = text.strip()
    assert text.startswith('"') and text.endswith('"'), text
    escapes = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
    return re.sub(r"\\(.)", lambda m: escapes[m.group(1)], text[1:-1])


def parse_po(path: Path) -> list[Entry]:
    """Every entry of a .po file, the header (msgid "") included, obsolete ones (#~) left out."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int] = ("", 0)
    keyword = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")$')
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#~"):
            continue
        if line.startswith("#"):
            if current is not None and current.msgstr:  # a comment starts the next entry
                entries.append(current)
                current = None
            if current is None:
                current = Entry(line=number)
            if line.startswith("#,"):
                current.flags |= {f.strip() for f in line[2:].split(",") if f.strip()}
            continue
        match = keyword.match(line)
        if match:
            name, index, value = match.group(1), match.group(2), _unquote(match.group(3))
            if name in ("msgctxt", "msgid") and current is not None and current.msgstr:
                entries.append(current)
                current = None
            if current is None:
                current = Entry(line=number)
            if name.startswith("msgstr"):
                target = ("msgstr", int(index or 0))
                current.msgstr[target[1]] = value
            else:
                target = (name, 0)
                setattr(current, name, value)
                if name == "msgid":
                    current.line = number
            continue
        assert line.startswith('"') and current is not None, f"{path}:{number}: {raw!r}"
        if target[0] == "msgstr":
            current.msgstr[target[1]] += _unquote(line)
        else:
            setattr(current, target[0], (getattr(current, target[0]) or "") + _unquote(line))
    if current is not None and current.msgstr:
        entries.append(current)
    return entries


def messages(path: Path | None = None) -> list[Entry]:
    return [e for e in parse_po(path or PO) if e.msgid]


def header(path: Path | None = None) -> str:
    return next(e for e in parse_po(path or PO) if not e.msgid).translation


# --- the catalog ----------------------------------------------------------------------------


def test_the_parser_reads_the_catalog() -> None:
    entries = messages()
    assert len(entries) > 500
    assert len({(e.msgctxt, e.msgid) for e in entries}) == len(entries), "duplicate msgids"
    assert any(e.msgid_plural for e in entries)


def test_the_header_declares_korean_with_one_plural_form() -> None:
    head = header()
    assert "Language: ko\\n" in head.replace("\n", "\\n")
    assert "charset=UTF-8" in head
    assert "Plural-Forms: nplurals=1; plural=0;" in head


def test_every_entry_is_translated_and_none_is_fuzzy() -> None:
    untranslated = [str(e) for e in messages() if not e.translation.strip()]
    fuzzy = [str(e) for e in messages() if "fuzzy" in e.flags]
    assert not untranslated, f"{len(untranslated)} untranslated:\n" + "\n".join(untranslated)
    assert not fuzzy, f"{len(fuzzy)} fuzzy:\n" + "\n".join(fuzzy)


def test_plural_entries_have_exactly_the_one_korean_form() -> None:
    for entry in messages():
        if entry.msgid_plural is not None:
            assert sorted(entry.msgstr) == [0], entry
            assert entry.translation, entry


def has_words(msgid: str) -> bool:
    """False for a msgid that is only placeholders and punctuation, like "%(a)s: %(b)s"."""
    return bool(re.search("[A-Za-z]", PLACEHOLDER.sub("", HTML_TAG.sub("", msgid))))


def test_translations_are_korean() -> None:
    """A msgstr copied from the msgid, or with no Hangul at all, was never translated."""
    english = [
        f"{e} -> {e.translation!r}"
        for e in messages()
        if e.msgid not in SAME_IN_KOREAN and has_words(e.msgid)
        if not HANGUL.search(e.translation)
    ]
    assert not english, "\n".join(english)


def test_translations_keep_every_placeholder_and_tag() -> None:
    broken = []
    for entry in messages():
        for pattern in (PLACEHOLDER, HTML_TAG):
            wanted = set(pattern.findall(entry.msgid)) | set(
                pattern.findall(entry.msgid_plural or "")
            )
            for index, text in entry.msgstr.items():
                if set(pattern.findall(text)) != wanted:
                    broken.append(f"{entry} msgstr[{index}] = {text!r}")
        if "python-format" in entry.flags:
            for text in entry.msgstr.values():
                # a lone % that is not a placeholder breaks "%"-formatting at run time
                leftover = PLACEHOLDER.sub("", text).replace("%%", "")
                if "%" in leftover:
                    broken.append(f"{entry}: stray % in {text!r}")
    assert not broken, "\n".join(broken)


def test_the_compiled_catalog_is_up_to_date() -> None:
    assert MO.exists(), "run: python manage.py compilemessages -l ko"
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    assert compiled.info().get("plural-forms", "").startswith("nplurals=1; plural=0")
    stale = []
    for entry in messages():
        if entry.msgctxt is not None:
            if entry.msgid_plural is not None:
                got = compiled.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, 1)
            else:
                got = compiled.pgettext(entry.msgctxt, entry.msgid)
        elif entry.msgid_plural is not None:
            got = compiled.ngettext(entry.msgid, entry.msgid_plural, 1)
            assert compiled.ngettext(entry.msgid, entry.msgid_plural, 5) == got, entry
        else:
            got = compiled.gettext(entry.msgid)
        if got != entry.translation:
            stale.append(f"{entry}: .mo has {got!r}, .po has {entry.translation!r}")
    assert not stale, "django.mo is stale; run compilemessages -l ko:\n" + "\n".join(stale)


def test_no_message_in_the_code_is_missing_from_the_catalog(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run makemessages on a copy of doum/ and compare its msgids with the committed catalog."""
    missing_tools = [t for t in ("xgettext", "msgmerge", "msguniq") if not shutil.which(t)]
    if missing_tools:
        pytest.skip(f"GNU gettext is not installed ({', '.join(missing_tools)} not on PATH)")
    copy = tmp_path / "doum"
    shutil.copytree(DOUM, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo", "static"))
    monkeypatch.chdir(copy)
    with override_settings(LOCALE_PATHS=[copy / "locale"]):
        call_command(
            "makemessages",
            locale=["ko"],
            no_obsolete=True,
            add_location="file",
            ignore_patterns=[".venv/*", "tests/*", "bench/*", "var/*"],
            verbosity=0,
        )
    fresh = {(e.msgctxt, e.msgid) for e in messages(copy / "locale/ko/LC_MESSAGES/django.po")}
    known = {(e.msgctxt, e.msgid) for e in messages()}
    missing = sorted(msgid for _, msgid in fresh - known)
    assert not missing, (
        f"{len(missing)} msgid(s) in the code are not in django.po; run makemessages -l ko "
        "and translate them:\n" + "\n".join(missing)
    )


# --- pages ----------------------------------------------------------------------------------


class _VisibleText(HTMLParser):
    """The text a person reads or hears: body text plus labels carried in attributes."""

    SPOKEN = ("aria-label", "placeholder", "title", "alt")

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._hidden += 1
        shown = dict(attrs)
        if tag == "input" and shown.get("type") in ("submit", "button", "reset"):
            self.parts.append(shown.get("value") or "")
        self.parts += [value for name, value in attrs if value and name in self.SPOKEN]

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def english_words(text: str, allowed: set[str]) -> set[str]:
    return {w for w in re.findall(r"[A-Za-z][A-Za-z'-]+", text) if w not in allowed}


def data_words(world: World) -> set[str]:
    """Words that come from the test's own data (names, teams, brand, subjects), not the UI."""
    texts = [u.name for u in world.by_role().values()]
    texts += [u.name for u in (world.idle_agent, world.admin)]
    texts += [world.billing.name, world.technical.name, world.acme.name, world.brand.name]
    texts += [world.ticket.subject]
    return {w for t in texts for w in re.findall(r"[A-Za-z][A-Za-z'-]+", t)}


# "API", the Esc key and the name of the language English in the language switcher stay as
# they are.
# The glossary keeps SLA in Korean; CSV and XLSX are file formats without Korean names.
ALWAYS_ALLOWED = {"API", "Esc", "English", "SLA", "CSV", "XLSX"}


def test_sign_in_page_follows_the_browser_language(db: None) -> None:
    assert "로그인" in Client(HTTP_ACCEPT_LANGUAGE="ko-KR,ko;q=0.9").get("/login/").text
    assert "Sign in" in Client(HTTP_ACCEPT_LANGUAGE="en-US").get("/login/").text


def test_the_users_setting_wins_over_the_browser(world: World) -> None:
    accounts.do_update_user(world.agent, actor=world.agent, changes={"language": "ko"})
    client = Client(HTTP_ACCEPT_LANGUAGE="en-US")
    client.force_login(world.agent)
    page = client.get("/").text
    assert "환영합니다" in page and "상담원" in page


def test_the_sign_in_page_is_all_korean(db: None) -> None:
    response = Client(HTTP_ACCEPT_LANGUAGE="ko-KR,ko;q=0.9").get("/login/")
    assert response.status_code == 200
    text = visible_text(response.text)
    for word in ("로그인", "이메일", "비밀번호", "비밀번호를 잊으셨나요?"):
        assert word in text, word
    assert not english_words(text, ALWAYS_ALLOWED), text


def test_the_ticket_list_of_a_korean_agent_is_all_korean(world: World) -> None:
    accounts.do_update_user(world.agent, actor=world.agent, changes={"language": "ko"})
    client = Client(HTTP_ACCEPT_LANGUAGE="en-US")
    client.force_login(world.agent)
    response = client.get("/tickets/")
    assert response.status_code == 200
    text = visible_text(response.text)
    for word in (
        "티켓",
        "뷰",
        "제목",
        "요청자",
        "상태",
        "우선순위",
        "담당자",
        "진행 중",
        "새 티켓",
    ):
        assert word in text, word
    for label in ("Tickets", "Status", "Priority", "Assignee", "Requester", "Subject", "Views"):
        assert not re.search(rf"\b{label}\b", text), label
    assert not english_words(text, ALWAYS_ALLOWED | data_words(world)), text


def test_the_portal_home_is_all_korean(world: World) -> None:
    response = Client(HTTP_ACCEPT_LANGUAGE="ko-KR,ko;q=0.9").get("/portal/")
    assert response.status_code == 200
    text = visible_text(response.text)
    for word in ("환영합니다", "문의 접수", "로그인", "회원가입"):
        assert word in text, word
    for label in ("Welcome", "Submit a request", "Sign in", "Sign up"):
        assert label not in text, label
    assert not english_words(text, ALWAYS_ALLOWED | data_words(world)), text
