"""The `doum` command: run, seed, check and administer a Doum installation.

doum run [--host H] [--port P] [--demo]   migrate, (seed), collect static files, serve
doum demo [--tickets N] [--days N]        seed demo data into an empty help desk
doum createadmin [--email ...]            create an administrator
doum worker [...]                         run the background task worker
doum scheduler [--once]                   enqueue periodic jobs (SLA sweeps, automations)
doum mail-server [--port P] [--lmtp]      receive mail by SMTP or LMTP
doum fetch-mail [--once] [--interval S]   fetch mail from the mailboxes' IMAP servers
doum check [--deploy]                     is this installation ready? (exit 1 if not)
doum import tickets FILE [--dry-run]      import tickets with their history (docs/import.md)
doum import responses|mentions FILE       import survey answers or social mentions from CSV
                                          (docs/feedback-import.md)
doum metrics rebuild|refresh|status       recompute metrics and rollups from the events
doum migrate [...]                        apply database migrations
doum manage <command> [...]               any Django management command
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

COMMANDS = {
    "run": "migrate, collect static files and serve the web app (add --demo for demo data)",
    "demo": "seed realistic demo data into an empty help desk and print the logins",
    "createadmin": "create an administrator (asks for what is missing)",
    "worker": "run the background task worker (django-tasks database backend)",
    "scheduler": "enqueue periodic jobs (SLA sweeps, automations, retries) for the worker",
    "mail-server": "receive mail for the support mailboxes by SMTP or LMTP (until Ctrl+C)",
    "fetch-mail": "fetch mail from the mailboxes' IMAP servers (every minute, or --once)",
    "check": "check settings, database, migrations and storage; exit 1 on problems",
    "import": "import tickets (JSON, docs/import.md), survey responses or social mentions "
    "(CSV, docs/feedback-import.md)",
    "metrics": "recompute metrics and rollups from the ticket events (rebuild, refresh, status)",
    "migrate": "apply database migrations",
    "manage": "run any Django management command, e.g. `doum manage shell`",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="doum",
        description="Doum (도움): the customer support help desk.",
        epilog="Configuration comes from environment variables; see README.md.",
    )
    parser.add_argument("--version", action="version", version=f"doum {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="<command>")

    run = sub.add_parser("run", help=COMMANDS["run"], description=COMMANDS["run"])
    run.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    run.add_argument("--port", type=int, default=8000, help="port to listen on (8000)")
    run.add_argument(
        "--demo", action="store_true", help="seed demo data first if the help desk has no tickets"
    )
    run.add_argument(
        "--web-only",
        action="store_true",
        help="serve pages only; do not start the task worker and the scheduler beside it",
    )

    demo = sub.add_parser("demo", help=COMMANDS["demo"], description=COMMANDS["demo"])
    demo.add_argument("--tickets", type=int, default=3000, help="number of tickets (3000)")
    demo.add_argument("--days", type=int, default=90, help="days of history (90)")
    demo.add_argument("--seed", type=int, default=7, help="random seed (7)")

    admin = sub.add_parser(
        "createadmin", help=COMMANDS["createadmin"], description=COMMANDS["createadmin"]
    )
    admin.add_argument("--email")
    admin.add_argument("--name")
    admin.add_argument("--password", help="prefer DOUM_ADMIN_PASSWORD or the prompt")
    admin.add_argument("--no-input", action="store_true", help="never prompt")

    mail_server = sub.add_parser(
        "mail-server", help=COMMANDS["mail-server"], description=COMMANDS["mail-server"]
    )
    mail_server.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    mail_server.add_argument("--port", type=int, default=2525, help="port to listen on (2525)")
    mail_server.add_argument("--lmtp", action="store_true", help="speak LMTP instead of SMTP")

    fetch = sub.add_parser(
        "fetch-mail", help=COMMANDS["fetch-mail"], description=COMMANDS["fetch-mail"]
    )
    fetch.add_argument("--once", action="store_true", help="fetch once, print a summary, exit")
    fetch.add_argument(
        "--interval", type=float, help="seconds between fetches (DOUM_MAIL_POLL_INTERVAL_S)"
    )
    fetch.add_argument("--mailbox", metavar="ADDRESS", help="only this mailbox")

    check = sub.add_parser("check", help=COMMANDS["check"], description=COMMANDS["check"])
    check.add_argument("--deploy", action="store_true", help="add production readiness checks")

    for name in ("worker", "scheduler", "import", "metrics", "migrate", "manage"):
        # Listed for --help only: main() hands these to Django before argparse sees them.
        sub.add_parser(name, help=COMMANDS[name], add_help=False)
    return parser


PASSTHROUGH = {
    "worker": "db_worker",
    "migrate": "migrate",
    "scheduler": "scheduler",
    "import": "import_data",  # doum import tickets FILE
    "metrics": "metrics",  # doum metrics rebuild
}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in (*PASSTHROUGH, "manage"):
        # Everything after the command word belongs to Django (argparse would eat options).
        _setup()
        if argv[0] == "manage":
            return _django(*(argv[1:] or ["help"]))
        extra = argv[1:]
        if argv[0] == "worker" and not any(a.startswith("--queue-name") for a in extra):
            extra = ["--queue-name", "*", *extra]  # db_worker alone serves only "default"
        return _django(PASSTHROUGH[argv[0]], *extra)
    args = build_parser().parse_args(argv)
    if args.command is None:
        build_parser().print_help()
        return 2
    _setup()
    if args.command == "run":
        return _run(args.host, args.port, demo=args.demo, background=not args.web_only)
    if args.command == "demo":
        _django("migrate", "--no-input", "--verbosity", "0")
        return _django(
            "demo", "--tickets", str(args.tickets), "--days", str(args.days),
            "--seed", str(args.seed),
        )  # fmt: skip
    if args.command == "createadmin":
        _django("migrate", "--no-input", "--verbosity", "0")
        extra = [f"--{k}={v}" for k in ("email", "name", "password") if (v := getattr(args, k))]
        return _django("createadmin", *extra, *(["--no-input"] if args.no_input else []))
    if args.command == "mail-server":
        lmtp = ["--lmtp"] if args.lmtp else []
        return _django("mail_server", "--host", args.host, "--port", str(args.port), *lmtp)
    if args.command == "fetch-mail":
        extra = [*(["--once"] if args.once else [])]
        if args.interval is not None:
            extra += ["--interval", str(args.interval)]
        if args.mailbox:
            extra += ["--mailbox", args.mailbox]
        return _django("fetch_mail", *extra)
    return _django("selfcheck", *(["--deploy"] if args.deploy else []))


def _version() -> str:
    try:
        return metadata.version("doum")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "unknown"


def _setup() -> None:
    """Settings, the var directory (SQLite file, media, static files), then Django."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "doum.settings")
    import django
    from django.conf import settings

    var_dir = getattr(settings, "VAR_DIR", None)
    if var_dir is not None:
        Path(var_dir).mkdir(parents=True, exist_ok=True)
    django.setup()


def _django(*argv: str) -> int:
    """Run one management command as if typed after `doum manage`; its exit code."""
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(["doum", *argv])
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0


def _background() -> list[subprocess.Popen[bytes]]:
    """The task worker (every queue) and the scheduler, as child processes of `doum run`."""
    me = [sys.executable, "-m", "doum.cli"]
    commands = [
        [*me, "worker", "--no-startup-delay"],
        [*me, "scheduler"],
    ]
    return [subprocess.Popen(command) for command in commands]  # noqa: S603 - our own CLI


def _run(host: str, port: int, *, demo: bool, background: bool = True) -> int:
    from django.core.management import call_command
    from django.core.management.base import CommandError

    from doum.accounts.models import User
    from doum.core.demo import existing_demo_logins, format_logins, has_tickets

    try:
        print("Applying database migrations...", flush=True)
        call_command("migrate", interactive=False, verbosity=0)
        if demo and not has_tickets():
            call_command("demo")
        call_command("collectstatic", interactive=False, verbosity=0)
    except CommandError as exc:
        print(f"doum run: {exc}", file=sys.stderr)
        return 1
    shown = "localhost" if host in ("0.0.0.0", "") else host  # noqa: S104 - a display name
    url = f"http://{shown}:{port}/"
    rule = "-" * 72
    lines = ["", rule, f"  Doum is running at {url}", f"  API docs: {url}api/docs", ""]
    logins = existing_demo_logins()
    if logins:
        lines += ["  " + line for line in format_logins(logins).splitlines()]
    elif not User.objects.filter(is_active=True).exclude(role="customer").exists():
        lines.append("  No staff accounts yet: create one with `doum createadmin`.")
    if host not in ("127.0.0.1", "localhost"):
        lines.append("  Listening beyond this machine: set DOUM_ALLOWED_HOSTS to its host name.")
    if background:
        lines.append("  Background: task worker and scheduler (SLA sweeps, mail, webhooks).")
    lines += ["", "  Press Ctrl+C to stop.", rule, ""]
    print("\n".join(lines), flush=True)
    children = _background() if background else []
    try:
        call_command("runserver", f"{host}:{port}", use_reloader=False, skip_checks=True)
    except KeyboardInterrupt:
        return 0
    except CommandError as exc:
        print(f"doum run: {exc}", file=sys.stderr)
        return 1
    finally:
        for child in children:
            child.terminate()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
