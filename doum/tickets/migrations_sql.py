"""Database-specific DDL for the search index (used by migration 0002)."""

SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE tickets_searchentry_fts USING fts5("
    "document, content='tickets_searchentry', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 0')",
    "CREATE TRIGGER tickets_searchentry_ai AFTER INSERT ON tickets_searchentry BEGIN "
    "INSERT INTO tickets_searchentry_fts(rowid, document) VALUES (new.id, new.document); END",
    "CREATE TRIGGER tickets_searchentry_ad AFTER DELETE ON tickets_searchentry BEGIN "
    "INSERT INTO tickets_searchentry_fts(tickets_searchentry_fts, rowid, document) "
    "VALUES ('delete', old.id, old.document); END",
    "CREATE TRIGGER tickets_searchentry_au AFTER UPDATE ON tickets_searchentry BEGIN "
    "INSERT INTO tickets_searchentry_fts(tickets_searchentry_fts, rowid, document) "
    "VALUES ('delete', old.id, old.document); "
    "INSERT INTO tickets_searchentry_fts(rowid, document) VALUES (new.id, new.document); END",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS tickets_searchentry_au",
    "DROP TRIGGER IF EXISTS tickets_searchentry_ad",
    "DROP TRIGGER IF EXISTS tickets_searchentry_ai",
    "DROP TABLE IF EXISTS tickets_searchentry_fts",
]
POSTGRES_FORWARD = [
    "CREATE INDEX tickets_searchentry_document_gin ON tickets_searchentry "
    "USING gin (to_tsvector('simple'::regconfig, document))",
]
POSTGRES_REVERSE = ["DROP INDEX IF EXISTS tickets_searchentry_document_gin"]
