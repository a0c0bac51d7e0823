"""Rasa's check of the action server's answers, with the validator built once (channels/action_validation.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

from channels import action_validation
from channels.rest import AggloRestInput

VALID: list[dict[str, Any]] = [
    {"events": [], "responses": []},
    {
        "events": [{"event": "slot", "timestamp": None, "name": "topic", "value": "aide_velo"}],
        "responses": [{"text": "Réponse", "buttons": [], "custom": {"topic": "aide_velo", "sources": []}}],
    },
    {},
]
INVALID: list[dict[str, Any]] = [
    {"events": "not a list"},
    {"events": [{"name": "topic"}]},  # an event without its type
    {"events": [{"event": "slot", "name": "topic", "value": "x"}], "responses": "text"},
]


@pytest.fixture()
def patched() -> Iterator[RemoteAction]:
    assert action_validation.install()
    yield RemoteAction("action_repondre_sujet", None)
    action_validation.uninstall()


def _accepts(action: RemoteAction, answer: dict[str, Any]) -> bool:
    try:
        return action._validate_action_result(answer)
    except ValidationError:
        return False


@pytest.mark.parametrize("answer", VALID + INVALID)
def test_same_verdict_as_rasa(patched: RemoteAction, answer: dict[str, Any]) -> None:
    patched_verdict = _accepts(patched, answer)
    action_validation.uninstall()
    original_verdict = _accepts(RemoteAction("action_repondre_sujet", None), answer)
    assert patched_verdict == original_verdict == (answer in VALID)


def test_same_error_as_rasa(patched: RemoteAction) -> None:
    with pytest.raises(ValidationError, match="Failed to validate Action server response") as error:
        patched._validate_action_result(INVALID[0])
    assert "custom-actions" in error.value.message


def test_the_validator_is_built_once(patched: RemoteAction) -> None:
    action_validation._validators.clear()
    unusual = {"events": [{"event": "followup", "name": "action_listen"}]}  # not a slot: the validator's
    for _ in range(3):
        patched._validate_action_result(unusual)
    RemoteAction("action_incompris", None)._validate_action_result(unusual)
    assert list(action_validation._validators) == [RemoteAction]


def test_the_rest_channel_installs_it() -> None:
    try:
        AggloRestInput()
        assert RemoteAction._validate_action_result is action_validation.validate_action_result
    finally:
        action_validation.uninstall()


# Answers close to the usual shape, each a different way of being (in)valid: the hand check
# must never accept what the schema refuses.
EDGES: list[Any] = [
    [],
    {"responses": [{"text": "x"}, "text"]},
    {"responses": None},
    {"events": None},
    {"events": [{"event": "slot", "name": "topic"}]},  # no value
    {"events": [{"event": "slot", "name": 3, "value": "x"}]},
    {"events": [{"event": "slot", "name": "topic", "value": None, "timestamp": True}]},
    {"events": [{"event": "slot", "name": "topic", "value": None, "timestamp": "now"}]},
    {"events": [{"event": "slot", "name": "topic", "value": None, "timestamp": 1.5, "metadata": {}}]},
    {"events": [{"event": "slot", "name": "topic", "value": None, "metadata": []}]},
    {"events": [{"event": "slot", "name": "topic", "value": [1], "extra": "kept"}], "other": 1},
    {"events": [{"event": "followup", "name": "action_listen"}]},
    {"events": [{"event": "bot", "text": "x"}, {"event": "slot", "name": "topic", "value": 1}]},
    {"events": [{"event": "user", "parse_data": {"entities": [{"entity": "x"}]}}]},
]


@pytest.mark.parametrize("answer", VALID + INVALID + EDGES)
def test_the_hand_check_accepts_only_what_the_schema_accepts(patched: RemoteAction, answer: Any) -> None:
    patched_verdict = _accepts(patched, answer)
    action_validation.uninstall()
    schema_verdict = _accepts(RemoteAction("action_repondre_sujet", None), answer)
    assert action_validation.plainly_valid(answer) <= schema_verdict
    assert patched_verdict == schema_verdict


def test_the_usual_answer_needs_no_validator(patched: RemoteAction) -> None:
    action_validation._validators.clear()
    patched._validate_action_result(VALID[1])
    assert not action_validation._validators
