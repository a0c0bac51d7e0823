"""Retention: ``python -m bot purge`` deletes old tracker events and feedback, in bounded batches."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore

from bot.settings import PROJECT_ROOT
from bot.stores import retention
from bot.stores.feedback import Feedback, FeedbackStore
from tests.conftest import mask

DAY = 86400


@pytest.fixture()
def events_engine(database_url: str) -> Iterator[sa.engine.Engine]:
    """Rasa's own events table, empty."""
    engine = sa.create_engine(database_url, future=True)
    SQLTrackerStore.Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


def _add_events(engine: sa.engine.Engine, ages_in_days: list[float]) -> None:
    now = time.time()
    rows = [
        {
            "sender_id": f"resident-{index % 3}",
            "type_name": "user",
            "timestamp": now - age * DAY,
            "data": json.dumps({"event": "user", "text": f"message {index}"}),
        }
        for index, age in enumerate(ages_in_days)
    ]
    with engine.begin() as connection:
        connection.execute(SQLTrackerStore.SQLEvent.__table__.insert(), rows)


def _event_ages(engine: sa.engine.Engine) -> list[float]:
    with engine.connect() as connection:
        timestamps = connection.execute(sa.text("SELECT timestamp FROM events ORDER BY id")).scalars().all()
    return [(time.time() - timestamp) / DAY for timestamp in timestamps]


class _Transactions:
    """Counts the transactions begun on an engine and the rows each DELETE removed."""

    def __init__(self, engine: sa.engine.Engine) -> None:
        self.begun = 0
        self.deleted_per_statement: list[int] = []
        sa.event.listen(engine, "begin", self._begin)
        sa.event.listen(engine, "after_cursor_execute", self._executed)

    def _begin(self, connection: Any) -> None:
        self.begun += 1

    def _executed(self, connection: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("DELETE"):
            self.deleted_per_statement.append(cursor.rowcount)


def test_old_events_go_in_bounded_batches_and_new_ones_stay(events_engine: sa.engine.Engine) -> None:
    _add_events(events_engine, [40, 5, 35, 31, 1, 60, 90, 33, 0.1, 45, 32, 2, 100, 50, 0.5])  # 10 older than 30
    transactions = _Transactions(events_engine)
    cutoff = time.time() - 30 * DAY
    result = retention.purge_rows(events_engine, retention.EVENTS, retention.EVENTS.c.timestamp, cutoff, 3)
    assert (result.deleted, result.batches) == (10, 4)
    assert transactions.begun == 4  # 3 + 3 + 3 + 1 rows, one transaction each
    assert transactions.deleted_per_statement == [3, 3, 3, 1]
    remaining = _event_ages(events_engine)
    assert len(remaining) == 5 and all(age < 30 for age in remaining)


def test_a_purge_with_nothing_to_delete_is_one_short_transaction(events_engine: sa.engine.Engine) -> None:
    _add_events(events_engine, [1, 2, 3])
    transactions = _Transactions(events_engine)
    result = retention.purge_events(events_engine, 30, batch_size=3)
    assert (result.deleted, result.batches) == (0, 0)
    assert transactions.deleted_per_statement == []
    assert len(_event_ages(events_engine)) == 3


def test_purge_events_creates_the_timestamp_index(events_engine: sa.engine.Engine) -> None:
    retention.purge_events(events_engine, 30)
    names = {index["name"] for index in sa.inspect(events_engine).get_indexes("events")}
    assert retention.EVENTS_TIMESTAMP_INDEX in names


def test_old_feedback_goes_and_new_feedback_stays(database_url: str) -> None:
    store = FeedbackStore(database_url, mask)
    for number in range(7):
        store.add(rating="up", message=f"question {number}", answer="réponse", topic=None, comment=None)
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    engine = sa.create_engine(database_url, future=True)
    table = Feedback.__table__
    with engine.begin() as connection:
        for row_id, age in zip(range(1, 8), [100, 10, 91, 89, 365, 0, 95], strict=True):
            connection.execute(
                sa.update(table).where(table.c.id == row_id).values(created_at=now - dt.timedelta(days=age))
            )
    result = retention.purge_feedback(engine, 90, batch_size=2)
    assert (result.deleted, result.batches) == (4, 2)
    assert [row.message for row in store.all()] == ["question 1", "question 3", "question 5"]
    engine.dispose()


# Settings of the purge the test's own environment must not bring in.
_PURGE_SETTINGS = ("AGGLO_TRACKER_DATABASE_URL", "AGGLO_FEEDBACK_DATABASE_URL", "AGGLO_RETENTION_DAYS")


def _purge_command(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "purge", *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**{name: value for name, value in os.environ.items() if name not in _PURGE_SETTINGS}, **env},
    )


def test_the_command_purges_both_databases_and_says_what_it_deleted(tmp_path: Path) -> None:
    tracker_file, feedback_url = tmp_path / "tracker.sqlite3", f"sqlite:///{tmp_path / 'feedback.sqlite3'}"
    engine = sa.create_engine(f"sqlite:///{tracker_file}", future=True)
    SQLTrackerStore.Base.metadata.create_all(engine)
    _add_events(engine, [400, 200, 10, 1])
    FeedbackStore(feedback_url, mask).add(rating="down", message="q", answer="r", topic=None, comment=None)
    env = {
        "AGGLO_TRACKER_DATABASE_URL": f"sqlite:///{tracker_file}",
        "AGGLO_FEEDBACK_DATABASE_URL": feedback_url,
        "AGGLO_RETENTION_DAYS": "30",
    }
    result = _purge_command(env=env)
    assert result.returncode == 0, result.stderr
    assert "tracker events: 2 row(s) older than 30 day(s) deleted" in result.stdout
    assert "feedback: 0 row(s) older than 30 day(s) deleted" in result.stdout
    assert len(_event_ages(engine)) == 2
    again = _purge_command("--older-than", "5", env=env)
    assert "tracker events: 1 row(s) older than 5 day(s)" in again.stdout
    engine.dispose()


def test_a_missing_database_is_said_and_never_created(tmp_path: Path) -> None:
    tracker_file = tmp_path / "nothing-here.sqlite3"
    env = {
        "AGGLO_TRACKER_DATABASE_URL": f"sqlite:///{tracker_file}",
        "AGGLO_FEEDBACK_DATABASE_URL": f"sqlite:///{tmp_path / 'none.sqlite3'}",
    }
    result = _purge_command("--older-than", "30", env=env)
    assert result.returncode == 2
    assert f"tracker events: no database file at {tracker_file}; nothing purged there" in result.stderr
    assert "feedback: no database file at" in result.stderr
    assert not tracker_file.exists()


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    for args, env in (
        (("--older-than", "-3"), {}),
        (("--older-than", "trois"), {}),
        (("--batch-size", "0"), {}),
        ((), {"AGGLO_RETENTION_DAYS": "beaucoup"}),
    ):
        result = _purge_command(*args, env={"AGGLO_VAR_DIR": str(tmp_path), **env})
        assert result.returncode == 2, (args, env)
        assert "error" in result.stderr


def test_purged_rows_are_not_left_readable_in_the_sqlite_file(tmp_path: Path) -> None:
    """Deleted rows would otherwise stay in the WAL (while Rasa keeps the database open) and, on
    SQLite builds without secure_delete by default, in the file's free pages."""
    path = tmp_path / "tracker.sqlite3"
    engine = sa.create_engine(f"sqlite:///{path}", future=True)
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA journal_mode=WAL")
    SQLTrackerStore.Base.metadata.create_all(engine)
    now = time.time()
    rows = [
        {"sender_id": "old", "type_name": "user", "timestamp": now - 100 * DAY, "data": f"OLD-MESSAGE-{n:03d}"}
        for n in range(50)
    ] + [{"sender_id": "new", "type_name": "user", "timestamp": now, "data": "KEPT-MESSAGE"}]
    rasa_connection = engine.connect()  # the live server keeps its connections: no checkpoint on close
    rasa_connection.execute(SQLTrackerStore.SQLEvent.__table__.insert(), rows)
    rasa_connection.commit()
    purging = retention.open_database(f"sqlite:///{path}", "events")
    with purging.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
    assert retention.purge_events(purging, 30, batch_size=20).deleted == 50
    purging.dispose()
    stored = b"".join(file.read_bytes() for file in tmp_path.glob("tracker.sqlite3*"))
    rasa_connection.close()
    engine.dispose()
    assert b"KEPT-MESSAGE" in stored
    assert b"OLD-MESSAGE" not in stored


def test_the_command_purges_old_callback_requests_and_one_on_request(tmp_path: Path) -> None:
    from bot.stores.callbacks import CallbackRequest, CallbackStore

    tracker_file, feedback_url = tmp_path / "tracker.sqlite3", f"sqlite:///{tmp_path / 'feedback.sqlite3'}"
    engine = sa.create_engine(f"sqlite:///{tracker_file}", future=True)
    SQLTrackerStore.Base.metadata.create_all(engine)
    store = CallbackStore(feedback_url, mask)
    details = {"contact_kind": "phone", "commune_insee": None, "question": "q", "topic": None}
    old = store.add(name="A", contact="0612345678", conversation="web-old", **details)
    kept = store.add(name="B", contact="0612345679", conversation="web-kept", **details)
    erased = store.add(name="C", contact="0612345670", conversation="web-erased", **details)
    feedback_engine = sa.create_engine(feedback_url, future=True)
    with feedback_engine.begin() as connection:
        table = CallbackRequest.__table__
        long_ago = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) - dt.timedelta(days=100)
        connection.execute(sa.update(table).where(table.c.reference == old.reference).values(created_at=long_ago))
    feedback_engine.dispose()
    with engine.begin() as connection:
        for sender in ("web-erased", "web-erased", "web-kept"):
            connection.execute(
                SQLTrackerStore.SQLEvent.__table__.insert(),
                {"sender_id": sender, "type_name": "user", "timestamp": time.time(), "data": "{}"},
            )
    env = {"AGGLO_TRACKER_DATABASE_URL": f"sqlite:///{tracker_file}", "AGGLO_FEEDBACK_DATABASE_URL": feedback_url}
    result = _purge_command("--older-than", "90", env=env)
    assert "callback requests: 1 row(s) older than 90 day(s) deleted" in result.stdout, result.stdout
    erase = _purge_command("--callback", erased.reference.lower(), env=env)
    assert erase.returncode == 0, erase.stderr
    assert f"Callback request {erased.reference} and its notes deleted." in erase.stdout
    assert "Its conversation: 2 tracker event(s) deleted." in erase.stdout
    assert [view.reference for view in store.queue()] == [kept.reference]
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT sender_id FROM events")).scalars().all() == ["web-kept"]
    unknown = _purge_command("--callback", "ZZZZ-ZZZZ", env=env)
    assert unknown.returncode == 2 and "no callback request 'ZZZZ-ZZZZ'" in unknown.stderr
    engine.dispose()
