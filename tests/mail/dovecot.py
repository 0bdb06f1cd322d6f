"""A real Dovecot IMAP server on 127.0.0.1 for the inbound mail tests.

`dovecot` starts Debian's Dovecot in the foreground (`dovecot -F -c <conf>`) with a throwaway
configuration, one user (`doum` / `secret`) and a Maildir under a temporary directory; it is
killed at teardown. `dovecot_tls` is the same with a self-signed certificate (made with the
`openssl` command), so that IMAPS and STARTTLS are exercised for real; the test trusts the
certificate through SSL_CERT_FILE.

`append_message(server, raw)` is how "a customer mail arrives" in these tests.

Tests run as root here (as in CI): Dovecot starts as root and runs its mail and login
processes as nobody (uid 65534), so the directory is made readable and writable for it. As
another user, everything runs as that user (no chroot).
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from imapclient import IMAPClient

from tests.mail.conftest import free_port

if TYPE_CHECKING:
    from doum.mail.models import Mailbox

DOVECOT = "/usr/sbin/dovecot"
USER = "doum"
PASSWORD = "secret"
START_TIMEOUT_S = 15.0


@dataclass
class Dovecot:
    host: str
    port: int  # plain IMAP (STARTTLS too when tls)
    imaps_port: int  # 0 unless tls
    user: str
    password: str
    root: Path
    cert: Path | None = None

    @property
    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def connect(self) -> IMAPClient:
        """A logged-in plain-text IMAP session (the test's own view of the mailbox)."""
        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=10)
        client.login(self.user, self.password)
        return client


def _run_as() -> tuple[str, int, int, str]:
    """(user, uid, gid, group) the mail processes run as."""
    if os.geteuid() == 0:
        return "nobody", 65534, 65534, "nogroup"
    entry = pwd.getpwuid(os.geteuid())
    return entry.pw_name, entry.pw_uid, entry.pw_gid, grp.getgrgid(entry.pw_gid).gr_name


def _config(root: Path, port: int, imaps_port: int, cert: Path | None, key: Path | None) -> str:
    user, uid, gid, group = _run_as()
    as_root = os.geteuid() == 0
    if cert is not None and key is not None:
        ssl = f"ssl = yes\nssl_cert = <{cert}\nssl_key = <{key}\n"
    else:
        ssl = "ssl = no\n"
    chroot = "" if as_root else "  chroot =\n"
    return f"""\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
{ssl}auth_mechanisms = plain
disable_plaintext_auth = no
auth_failure_delay = 0
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
first_valid_uid = {uid}
first_valid_gid = {gid}
mail_uid = {uid}
mail_gid = {gid}
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = {root}/users
}}
userdb {{
  driver = passwd-file
  args = {root}/users
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
  }}
{chroot}}}
service auth {{
{chroot}}}
service anvil {{
{chroot}}}
service stats {{
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
namespace inbox {{
  inbox = yes
  separator = /
}}
"""


def _self_signed(root: Path) -> tuple[Path, Path]:
    cert, key = root / "cert.pem", root / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-days", "1",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def _wait_for_port(port: int, process: subprocess.Popen[bytes], root: Path) -> None:
    """Until Dovecot greets on the port; its logs in the failure if it never does."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                if s.recv(64).startswith(b"* OK"):
                    return
        except OSError:
            time.sleep(0.05)
    _stop(process)
    logs = [
        p.read_text(errors="replace")
        for p in (root / "output.log", root / "dovecot.log")
        if p.exists()
    ]
    pytest.fail(f"Dovecot did not start on 127.0.0.1:{port}\n" + "\n".join(filter(None, logs)))


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Kill Dovecot's process group (master, login, auth, imap processes) at once: a test
    server keeps nothing worth a graceful shutdown, which takes Dovecot a second."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


@contextmanager
def run_dovecot(*, tls: bool = False) -> Iterator[Dovecot]:
    """Start Dovecot (plain, or with TLS) and stop it afterwards."""
    if not os.path.exists(DOVECOT):
        pytest.skip(f"Dovecot is not installed (apt-get install dovecot-imapd): no {DOVECOT}")
    if tls and shutil.which("openssl") is None:
        pytest.skip("the TLS variant needs the openssl command to make a test certificate")
    # Not under pytest's tmp_path: its parents are private to root (the mail processes run
    # as nobody) and Dovecot's socket paths must stay short.
    root = Path(tempfile.mkdtemp(prefix="doum-dovecot-"))
    _user, uid, gid, _group = _run_as()
    process: subprocess.Popen[bytes] | None = None
    try:
        root.chmod(0o755)
        (root / "mail").mkdir()
        if os.geteuid() == 0:
            os.chown(root / "mail", uid, gid)
        cert = key = None
        if tls:
            cert, key = _self_signed(root)
        port = free_port()
        imaps_port = free_port() if tls else 0
        (root / "users").write_text(
            f"{USER}:{{PLAIN}}{PASSWORD}:{uid}:{gid}::{root}/mail/{USER}::\n"
        )
        conf = root / "dovecot.conf"
        conf.write_text(_config(root, port, imaps_port, cert, key))
        with open(root / "output.log", "wb") as output:  # start-up errors (config, say)
            process = subprocess.Popen(
                [DOVECOT, "-F", "-c", str(conf)],
                stdout=output,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group: stopped as a whole below
            )
        _wait_for_port(port, process, root)
        yield Dovecot("127.0.0.1", port, imaps_port, USER, PASSWORD, root, cert)
    finally:
        if process is not None:
            _stop(process)
        shutil.rmtree(root, ignore_errors=True)


# Named fixtures, so that a test module imports `dovecot_fixture` (registering `dovecot`)
# without its parameters shadowing the import.
@pytest.fixture(name="dovecot")
def dovecot_fixture() -> Iterator[Dovecot]:
    with run_dovecot() as server:
        yield server


@pytest.fixture(name="dovecot_tls")
def dovecot_tls_fixture(monkeypatch: pytest.MonkeyPatch) -> Iterator[Dovecot]:
    with run_dovecot(tls=True) as server:
        assert server.cert is not None
        # The default SSL context (what the poller uses) reads the trusted certificates from
        # SSL_CERT_FILE when it is created: trust only the test certificate.
        monkeypatch.setenv("SSL_CERT_FILE", str(server.cert))
        yield server


def append_message(
    server: Dovecot, raw: bytes, *, folder: str = "INBOX", flags: Sequence[str] = ()
) -> None:
    """A message arrives in the mailbox (as an MTA would deliver it)."""
    client = server.connect()
    try:
        client.append(folder, raw, flags=tuple(flags))
    finally:
        client.logout()


def folder_flags(server: Dovecot, folder: str = "INBOX") -> list[set[str]]:
    """The flags of every message in the folder, oldest first."""
    client = server.connect()
    try:
        client.select_folder(folder, readonly=True)
        uids = sorted(client.search("ALL"))
        fetched = client.fetch(uids, ["FLAGS"]) if uids else {}
        return [
            {f.decode() if isinstance(f, bytes) else str(f) for f in fetched[uid][b"FLAGS"]}
            for uid in uids
        ]
    finally:
        client.logout()


def create_folder(server: Dovecot, folder: str) -> None:
    client = server.connect()
    try:
        client.create_folder(folder)
    finally:
        client.logout()


def imap_mailbox(
    server: Dovecot,
    *,
    brand_id: int,
    address: str = "help@acme.test",
    password: str | None = None,
    **imap: object,
) -> Mailbox:
    """A support mailbox polling the test server's INBOX, set up through the real action."""
    from doum.mail.mailboxes import do_create_mailbox

    settings: dict[str, object] = {
        "imap_host": server.host,
        "imap_port": server.port,
        "imap_security": "none",
        "imap_username": server.user,
        "imap_password": server.password if password is None else password,
    }
    settings.update(imap)
    return do_create_mailbox(
        actor=None,
        name="Acme Help",
        address=address,
        brand_id=brand_id,
        **settings,  # type: ignore[arg-type]
    )
