"""Full-text index over SearchEntry.document: FTS5 on SQLite, GIN tsvector on PostgreSQL."""

from django.db import migrations

from doum.tickets.migrations_sql import (
    POSTGRES_FORWARD,
    POSTGRES_REVERSE,
    SQLITE_FORWARD,
    SQLITE_REVERSE,
)


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        statements = statements_by_vendor.get(schema_editor.connection.vendor, [])
        for sql in statements:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_REVERSE, "postgresql": POSTGRES_REVERSE}),
        ),
    ]
