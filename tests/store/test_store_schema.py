"""The file itself: settings, schema, migrations, and the append-only audit table."""

from __future__ import annotations

import sqlite3

import pytest
import sqlite_utils

from canipost.config import Settings
from canipost.store import SCHEMA_VERSION, SchemaTooNew, Store
from canipost.store.db import Database
from canipost.store.schema import MIGRATIONS, migrate, version

from .store_helpers import ADVISOR, ASKER, make_answer


def test_connection_settings(store):
    execute = lambda sql: store.db.execute(sql).fetchone()[0]  # noqa: E731
    assert execute("PRAGMA journal_mode") == "wal"
    assert execute("PRAGMA synchronous") == 2  # FULL
    assert execute("PRAGMA foreign_keys") == 1
    assert execute("PRAGMA busy_timeout") >= 5000
    assert execute("PRAGMA user_version") == SCHEMA_VERSION == len(MIGRATIONS)
    assert store.database.integrity_check() == "ok"


def test_plain_tables_with_declared_foreign_keys(store, db_path):
    store.close()
    db = sqlite_utils.Database(db_path)  # as an analyst would open it
    assert {"escalations", "escalation_provisions", "comments", "audit", "answers", "feedback", "handled_events",
            "precedents", "outbox", "outbox_steps", "rulings", "schema_migrations"} <= set(db.table_names())
    declared = {(t, fk.column, fk.other_table, fk.other_column) for t in db.table_names() for fk in db[t].foreign_keys}
    assert declared == {
        ("escalation_provisions", "escalation_id", "escalations", "id"),
        ("comments", "escalation_id", "escalations", "id"),
        ("audit", "escalation_id", "escalations", "id"),
        ("precedents", "escalation_id", "escalations", "id"),
        ("rulings", "escalation_id", "escalations", "id"),
        ("feedback", "answer_id", "answers", "id"),
        ("outbox_steps", "key", "outbox", "key"),
    }
    assert "ref" in db["escalations"].columns_dict and "status" in db["escalations"].columns_dict


def test_foreign_keys_are_enforced(store):
    with pytest.raises(sqlite3.IntegrityError):
        store.db.execute("INSERT INTO comments (escalation_id, created_at, author_id, text) VALUES (99, 'x', 'y', 'z')")


def test_the_audit_trail_is_append_only(store, case):
    for sql in ("UPDATE audit SET action = 'nothing'", "DELETE FROM audit"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            store.db.execute(sql)
    # ... from any tool, not only through canipost.
    raw = sqlite3.connect(store.path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        raw.execute("DELETE FROM audit")
    raw.close()
    assert [e.action for e in store.escalations.audit(case.ref)] == ["created"]


def test_statuses_are_checked_by_the_file_too(store, case):
    with pytest.raises(sqlite3.IntegrityError):
        store.db.execute("UPDATE escalations SET status = 'lost'")


def test_migrations_from_an_older_version_keep_every_row(db_path):
    # A file as the first version of the schema left it, with a case and its trail.
    old = Database(db_path)
    assert migrate(old, target=1) == 1
    old.db.execute("INSERT INTO escalations (id, ref, status, created_at, updated_at, asker_id, profile, text) "
                   "VALUES (1, 'CP-00001', 'open', '2023-01-01T00:00:00.000Z', '2023-01-01T00:00:00.000Z', 'U1', "
                   "'au-aps', 'Written before precedents existed')")
    old.db.execute("INSERT INTO audit (at, escalation_id, ref, actor_id, action) "
                   "VALUES ('2023-01-01T00:00:00.000Z', 1, 'CP-00001', 'U1', 'created')")
    assert "answers" not in old.db.table_names()
    old.close()

    with Store(db_path) as store:
        assert version(store.database) == SCHEMA_VERSION
        case = store.escalations.get("CP-00001", ADVISOR)
        assert case.text == "Written before precedents existed" and case.status == "open"
        assert [e.action for e in store.escalations.audit("CP-00001")] == ["created"]
        assert store.escalations.create(asker=ASKER, text="New", answer=make_answer()).ref == "CP-00002"
        applied = [row["version"] for row in store.db.query("SELECT version FROM schema_migrations ORDER BY version")]
        assert applied == list(range(1, SCHEMA_VERSION + 1))
    # Opening again finds nothing to do.
    with Store(db_path) as store:
        assert store.db["schema_migrations"].count == SCHEMA_VERSION


def test_a_failed_migration_changes_nothing(db_path, monkeypatch):
    from canipost.store import schema

    def broken(db):
        db.execute("CREATE TABLE half_done (id INTEGER)")
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS + (schema.Migration("broken", broken),))
    monkeypatch.setattr(schema, "LATEST", len(schema.MIGRATIONS))
    database = Database(db_path)
    with pytest.raises(RuntimeError):
        migrate(database)
    assert version(database) == 0 and database.db.table_names() == []
    database.close()


def test_a_newer_file_is_refused(db_path):
    Store(db_path).close()
    raw = sqlite3.connect(db_path)
    raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    raw.close()
    with pytest.raises(SchemaTooNew, match="newer canipost"):
        Store(db_path)


def test_open_from_settings_creates_the_directory(tmp_path):
    settings = Settings.from_env({"CANIPOST_DB": str(tmp_path / "deep" / "er" / "cases.db")}, env_file=tmp_path / "none")
    with Store.open(settings) as store:
        assert store.path == tmp_path / "deep" / "er" / "cases.db" and store.path.exists()


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path):
    from canipost.store import StoreError

    junk = tmp_path / "junk.db"
    junk.write_text("these are not the cases you are looking for" * 100)
    with pytest.raises(StoreError, match="not a database"):
        Store(junk)
