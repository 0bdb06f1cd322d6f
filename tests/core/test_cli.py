"""The `doum` command, run as a real process against a throw-away SQLite database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

COMMANDS = ("run", "demo", "createadmin", "worker", "check", "migrate", "manage")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A fresh var directory (the CLI must create it) and no DATABASE_URL: SQLite there."""
    out = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DOUM_SECRET_KEY")}
    out["DOUM_VAR_DIR"] = str(tmp_path / "var")
    out["DOUM_FAST_PASSWORDS"] = "1"
    out["DJANGO_SETTINGS_MODULE"] = "doum.settings"
    return out


def doum(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "doum.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def test_help_lists_every_command(env: dict[str, str]) -> None:
    result = doum(env, "--help")
    assert result.returncode == 0, result.stderr
    for command in COMMANDS:
        assert command in result.stdout
    assert doum(env).returncode == 2  # no command: usage, and a failing exit code


def test_check_migrate_demo_check(env: dict[str, str]) -> None:
    before = doum(env, "check")
    assert before.returncode == 1, before.stdout + before.stderr
    assert "migrations" in before.stdout and "doum migrate" in before.stdout
    assert (Path(env["DOUM_VAR_DIR"]) / "doum.sqlite3").exists()

    migrated = doum(env, "migrate", "--verbosity", "0")
    assert migrated.returncode == 0, migrated.stderr
    after = doum(env, "check")
    assert after.returncode == 0, after.stdout + after.stderr
    assert "All checks passed." in after.stdout
    assert "PROBLEM" not in after.stdout

    seeded = doum(env, "demo", "--tickets", "50", "--days", "14")
    assert seeded.returncode == 0, seeded.stdout + seeded.stderr
    assert "50 tickets" in seeded.stdout
    assert "admin@doum.example" in seeded.stdout and "doum-demo" in seeded.stdout
    assert doum(env, "check").returncode == 0

    again = doum(env, "demo", "--tickets", "50")
    assert again.returncode == 0
    assert "already has tickets" in again.stdout
    assert "admin@doum.example" in again.stdout  # the logins are shown again

    taken = doum(env, "createadmin", "--no-input", "--email", "admin@doum.example",
                 "--password", "another-long-password-7")  # fmt: skip
    assert taken.returncode == 1
    assert "already uses this e-mail address" in taken.stderr
    created = doum(env, "createadmin", "--no-input", "--email", "owner@example.org",
                   "--password", "another-long-password-7")  # fmt: skip
    assert created.returncode == 0, created.stderr
    assert "owner@example.org" in created.stdout


def test_check_reports_an_unreachable_database(env: dict[str, str], tmp_path: Path) -> None:
    env["DATABASE_URL"] = f"sqlite:///{tmp_path}/missing/dir/doum.sqlite3"
    result = doum(env, "check")
    assert result.returncode == 1
    assert "database" in result.stdout and "PROBLEM" in result.stdout


def test_manage_passes_anything_through(env: dict[str, str]) -> None:
    result = doum(env, "manage", "showmigrations", "--list", "tickets")
    assert result.returncode == 0, result.stderr
    assert "0001_initial" in result.stdout


def test_run_serves_pages_and_starts_the_worker_and_the_scheduler(env: dict[str, str]) -> None:
    import signal
    import socket
    import sqlite3
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "doum.cli", "run", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    database = Path(env["DOUM_VAR_DIR"]) / "doum.sqlite3"
    try:
        deadline = time.monotonic() + 120
        scheduled: list[tuple[str]] = []
        healthy = False
        # The scheduler claims its jobs one after another: wait for the one we look for.
        while time.monotonic() < deadline and not (healthy and ("mail.send_due",) in scheduled):
            time.sleep(0.5)
            assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
                    healthy = r.status == 200
            except OSError:
                continue
            with sqlite3.connect(database) as db:  # the scheduler claimed its first runs
                scheduled = db.execute("SELECT name FROM core_scheduledrun").fetchall()
        assert healthy and ("mail.send_due",) in scheduled
    finally:
        proc.send_signal(signal.SIGINT)
        output = proc.communicate(timeout=60)[0].decode()
    assert "Doum is running at" in output and "task worker and scheduler" in output
    children = subprocess.run(
        ["pgrep", "-f", "doum.cli (worker|scheduler)"], capture_output=True, text=True,
        env=env, check=False,
    )  # fmt: skip
    leftover = [pid for pid in children.stdout.split() if _env_has(pid, env["DOUM_VAR_DIR"])]
    assert leftover == []  # stopping `doum run` stops its children


def _env_has(pid: str, text: str) -> bool:
    try:
        return text in Path(f"/proc/{pid}/environ").read_text(errors="replace")
    except OSError:  # gone already, or not ours
        return False


def test_the_scheduler_enqueues_and_the_worker_runs_every_queue(env: dict[str, str]) -> None:
    import sqlite3

    assert doum(env, "migrate", "--verbosity", "0").returncode == 0
    ticked = doum(env, "scheduler", "--once")
    assert ticked.returncode == 0, ticked.stderr
    assert "enqueued mail.send_due" in ticked.stdout
    ran = doum(env, "worker", "--batch", "--no-startup-delay")  # no --queue-name: all queues
    assert ran.returncode == 0, ran.stderr
    with sqlite3.connect(Path(env["DOUM_VAR_DIR"]) / "doum.sqlite3") as db:
        rows = db.execute(
            "SELECT queue_name, status FROM django_tasks_database_dbtaskresult"
        ).fetchall()
    assert ("mail", "SUCCESSFUL") in rows and all(status == "SUCCESSFUL" for _, status in rows)
