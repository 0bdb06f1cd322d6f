"""Which mail must never be answered automatically (RFC 3834), and which is Doum's own.

`classify` reads only the parsed message and Doum's own addresses. Its verdict:
- drop: mail carrying Doum's own loop header, or sent from one of Doum's own addresses. It is
  kept (its raw bytes are stored like all mail) but never processed, and a log line says why;
- automatic: auto-replies, bulk and list mail, bounces, mail from mailer-daemon/no-reply and
  the like. It becomes a ticket or comment as usual, but nothing answers it automatically
  (no acknowledgement, no trigger mail): `metadata["email"]["automatic"]` says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings

from doum.mail.addresses import is_own_address
from doum.mail.message import ParsedMail

AUTOMATIC_SENDERS = re.compile(
    r"^(mailer-daemon|postmaster|no-?reply|do-?not-?reply|donotreply|bounces?|"
    r"auto-?reply|autoresponder|notifications?-noreply)([+._-].*)?$"
)
BULK_PRECEDENCE = frozenset({"bulk", "list", "junk"})


@dataclass(frozen=True)
class Verdict:
    drop: bool
    automatic: bool
    reason: str  # why it is dropped or automatic; "" for ordinary mail


ORDINARY = Verdict(drop=False, automatic=False, reason="")


def classify(parsed: ParsedMail) -> Verdict:
    headers = parsed.headers
    loop = headers.get("x-doum-loop", "").strip()
    if loop and loop.lower() == settings.DOUM_MAIL_LOOP_ID.lower():
        return Verdict(True, True, "carries Doum's own loop header (X-Doum-Loop)")
    sender = parsed.from_.address if parsed.from_ else ""
    if sender and is_own_address(sender):
        return Verdict(True, True, f"sent from Doum's own address {sender}")
    reason = automatic_reason(parsed)
    return Verdict(False, True, reason) if reason else ORDINARY


def automatic_reason(parsed: ParsedMail) -> str:
    """Why this mail is automatic, or "" when a person wrote it."""
    headers = parsed.headers
    auto = headers.get("auto-submitted", "").strip().lower()
    if auto and auto.split(";", 1)[0].strip() != "no":
        return f"Auto-Submitted: {auto[:60]}"
    precedence = headers.get("precedence", "").strip().lower()
    if precedence in BULK_PRECEDENCE:
        return f"Precedence: {precedence}"
    if parsed.bounce is not None:
        return "delivery status notification (bounce)"
    for name in ("x-loop", "x-auto-response-suppress", "x-autoreply", "x-autorespond"):
        if name in headers:
            return f"{name} header present"
    if headers.get("x-doum-loop"):
        return "another Doum's loop header (X-Doum-Loop)"
    if parsed.return_path == "":
        return "empty Return-Path (null sender)"
    sender = parsed.from_.address if parsed.from_ else ""
    local = sender.partition("@")[0]
    if local and AUTOMATIC_SENDERS.match(local):
        return f"sent by an automatic address ({local})"
    if "list-id" in headers or "list-unsubscribe" in headers:
        return "mailing-list mail (List-Id)"
    return ""
