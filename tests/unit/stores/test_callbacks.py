"""Callback requests: storage, masking, the queue's versions and conflicts, retention, on SQLite
and (marked ``prod``) PostgreSQL."""

from __future__ import annotations

import datetime as dt
import logging
import re

import pytest
import sqlalchemy as sa

from bot.stores import retention
from bot.stores.callbacks import (
    DONE,
    IN_PROGRESS,
    NEW,
    CallbackEvent,
    CallbackNotFound,
    CallbackRequest,
    CallbackStore,
    Conflict,
)
from tests.conftest import mask

NAME, PHONE, EMAIL = "Marie Exemple", "06 12 34 56 78", "marie.exemple@example.org"


def _add(store: CallbackStore, **overrides: str | None) -> str:
    values: dict[str, str | None] = {
        "name": NAME,
        "contact": PHONE,
        "contact_kind": "phone",
        "commune_insee": "62119",
        "question": "Je voudrais parler du permis de louer, appelez-moi au 06 12 34 56 78 ou écrivez à a@b.fr",
        "topic": "permis_de_louer",
        "conversation": "web-w0123456789abcdef",
        **overrides,
    }
    return store.add(**values).reference  # type: ignore[arg-type]


@pytest.fixture()
def store(database_url: str) -> CallbackStore:
    return CallbackStore(database_url, mask)


def test_a_request_is_stored_with_a_reference_and_its_question_masked(store: CallbackStore) -> None:
    reference = _add(store)
    assert re.fullmatch(r"[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}", reference)
    stored = store.get(reference.lower())  # read out on the phone: the case does not matter
    assert (stored.name, stored.contact, stored.contact_kind, stored.commune_insee) == (NAME, PHONE, "phone", "62119")
    assert stored.status == NEW and stored.version == 1 and stored.events == []
    assert "06 12 34 56 78" not in stored.question and "a@b.fr" not in stored.question
    assert "[téléphone]" in stored.question and "[e-mail]" in stored.question
    # Neither the representation (logs, tracebacks) nor the log label says anything personal.
    for text in (repr(stored), stored.log_label()):
        assert NAME not in text and PHONE not in text and "permis" not in text
    assert len({_add(store) for _ in range(20)}) == 20


def test_an_agent_takes_notes_and_closes_a_request_who_and_when_kept(store: CallbackStore) -> None:
    reference = _add(store)
    taken = store.set_status(reference, IN_PROGRESS, agent="paul", version=1)
    assert (taken.status, taken.taken_by, taken.version) == (IN_PROGRESS, "paul", 2)
    assert taken.taken_at is not None
    noted = store.add_note(reference, "  Rappelée, message laissé.  ", agent="marie", version=2)
    again = store.add_note(reference, "Rappelée.", agent="marie", version=3)  # same agent, same second
    assert (noted.version, again.version) == (3, 4)
    noted = again
    done = store.set_status(reference, DONE, agent="marie", version=noted.version)
    assert (done.status, done.taken_by, done.done_by, done.version) == (DONE, "paul", "marie", 5)
    assert [(event.kind, event.agent, event.status, event.text) for event in done.events] == [
        ("status", "paul", IN_PROGRESS, None),
        ("note", "marie", None, "Rappelée, message laissé."),
        ("note", "marie", None, "Rappelée."),
        ("status", "marie", DONE, None),
    ]
    reopened = store.set_status(reference, IN_PROGRESS, agent="paul", version=5)
    assert (reopened.done_by, reopened.done_at, reopened.taken_by) == (None, None, "paul")


def test_a_change_based_on_an_old_version_is_a_conflict_with_the_current_state(store: CallbackStore) -> None:
    reference = _add(store)
    store.set_status(reference, IN_PROGRESS, agent="paul", version=1)
    with pytest.raises(Conflict) as conflict:
        store.add_note(reference, "déjà pris ?", agent="marie", version=1)
    current = conflict.value.current
    assert (current.version, current.taken_by, current.status) == (2, "paul", IN_PROGRESS)
    assert [event.kind for event in store.get(reference).events] == ["status"], "nothing was written"


def test_the_same_change_sent_twice_is_applied_once(store: CallbackStore) -> None:
    reference = _add(store)
    first = store.add_note(reference, "appelée", agent="paul", version=1, change_id="c-1")
    again = store.add_note(reference, "appelée", agent="paul", version=1, change_id="c-1")
    assert again.version == first.version == 2
    assert len(store.get(reference).events) == 1


def test_bad_changes_are_refused(store: CallbackStore) -> None:
    reference = _add(store)
    with pytest.raises(ValueError, match="status"):
        store.set_status(reference, "archived", agent="paul", version=1)
    with pytest.raises(ValueError, match="empty"):
        store.add_note(reference, "   ", agent="paul", version=1)
    with pytest.raises(CallbackNotFound):
        store.set_status("ZZZZ-ZZZZ", DONE, agent="paul", version=1)


def test_queue_filters_and_counts(store: CallbackStore) -> None:
    beuvry = _add(store, commune_insee="62119")
    _add(store, commune_insee="62126", contact=EMAIL, contact_kind="email")
    _add(store, commune_insee=None)
    store.set_status(beuvry, DONE, agent="paul", version=1)
    assert [view.reference for view in store.queue(commune_insee="62119")] == [beuvry]
    assert len(store.queue(status=NEW)) == 2
    assert store.counts() == {NEW: 2, IN_PROGRESS: 0, DONE: 1}


def test_rate_counts_per_conversation_and_per_contact(store: CallbackStore) -> None:
    since = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) - dt.timedelta(hours=1)
    _add(store, conversation="web-a")
    _add(store, conversation="web-b", contact=" 06 12 34 56 78")
    assert store.count_since(since, conversation="web-a") == 1
    assert store.count_since(since, contact="06 12 34 56 78") == 2
    assert store.count_since(since + dt.timedelta(hours=2), conversation="web-a") == 0


def test_retention_deletes_old_requests_with_their_history(store: CallbackStore, database_url: str) -> None:
    old, recent = _add(store), _add(store)
    store.add_note(old, "note", agent="paul", version=1)
    engine = sa.create_engine(database_url, future=True)
    table = CallbackRequest.__table__
    with engine.begin() as connection:
        long_ago = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) - dt.timedelta(days=120)
        connection.execute(sa.update(table).where(table.c.reference == old).values(created_at=long_ago))
    result = retention.purge_callbacks(engine, 90, batch_size=1)
    assert (result.deleted, result.batches) == (1, 1)
    assert [view.reference for view in store.queue()] == [recent]
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(CallbackEvent.__table__)).scalar() == 0
    engine.dispose()


def test_one_request_is_deleted_on_request(store: CallbackStore) -> None:
    reference, other = _add(store), _add(store)
    store.add_note(reference, "note", agent="paul", version=1)
    deleted = store.delete(reference)
    assert deleted.reference == reference
    with pytest.raises(CallbackNotFound):
        store.get(reference)
    assert [view.reference for view in store.queue()] == [other]


def test_nothing_personal_is_logged(store: CallbackStore, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    reference = _add(store)
    store.add_note(reference, "Rappeler Marie Exemple au 06 12 34 56 78", agent="paul", version=1)
    assert NAME not in caplog.text and PHONE not in caplog.text
