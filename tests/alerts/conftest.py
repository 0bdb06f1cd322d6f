"""The mail tests' real SMTP server (`smtp_sink`), for the alert notices."""

from tests.mail.conftest import smtp_sink  # noqa: F401 - a fixture, used by name
