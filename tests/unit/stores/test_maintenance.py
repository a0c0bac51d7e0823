"""The maintenance switch: recorded with who, when and why; read through a short cache."""

from __future__ import annotations

import pytest

from bot.stores.maintenance import COMMAND_LINE, CONSOLE, MaintenanceStore


def test_each_switch_is_recorded_and_the_latest_wins(database_url: str) -> None:
    store = MaintenanceStore(database_url)
    assert store.state().on is False
    store.switch(True, by="admin.agglo", source=CONSOLE, reason="  Mise à jour des tarifs  ")
    store.switch(False, by="root", source=COMMAND_LINE, reason=None)
    store.switch(True, by="root", source=COMMAND_LINE, reason="Incident")
    state = MaintenanceStore(database_url).read()
    assert (state.on, state.switched_by, state.source, state.reason) == (True, "root", COMMAND_LINE, "Incident")
    assert [(entry.on, entry.switched_by, entry.reason) for entry in store.history()] == [
        (True, "root", "Incident"),
        (False, "root", None),
        (True, "admin.agglo", "Mise à jour des tarifs"),
    ]
    assert all(entry.switched_at is not None for entry in store.history())


def test_switching_on_needs_a_reason(database_url: str) -> None:
    with pytest.raises(ValueError, match="reason"):
        MaintenanceStore(database_url).switch(True, by="root", source=COMMAND_LINE, reason="  ")


def test_another_process_sees_a_switch_once_its_cache_expires(database_url: str) -> None:
    now = [0.0]
    reader = MaintenanceStore(database_url, cache_seconds=2, clock=lambda: now[0])
    assert reader.state().on is False
    MaintenanceStore(database_url).switch(True, by="root", source=COMMAND_LINE, reason="Incident")
    now[0] = 1.0
    assert reader.state().on is False, "cached"
    now[0] = 2.5
    assert reader.state().on is True


def test_the_fresh_state_is_the_cached_one_until_it_expires(database_url: str) -> None:
    now = [0.0]
    store = MaintenanceStore(database_url, cache_seconds=2, clock=lambda: now[0])
    assert store.fresh_state() is None  # never read: the web front reads it off its loop
    assert store.state().on is False
    MaintenanceStore(database_url).switch(True, by="root", source=COMMAND_LINE, reason="Incident")
    now[0] = 1.0
    fresh = store.fresh_state()
    assert fresh is not None and fresh.on is False
    now[0] = 2.5
    assert store.fresh_state() is None
    assert store.state().on is True


def test_an_unreadable_database_keeps_the_last_state(tmp_path: object) -> None:
    store = MaintenanceStore("postgresql://nobody:x@127.0.0.1:1/none", cache_seconds=0)
    assert store.state().on is False  # logged, not raised: the assistant keeps answering
