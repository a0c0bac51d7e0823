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
    for answer in VALID * 3:
        patched._validate_action_result(answer)
    RemoteAction("action_incompris", None)._validate_action_result(VALID[0])
    assert list(action_validation._validators) == [RemoteAction]


def test_the_rest_channel_installs_it() -> None:
    try:
        AggloRestInput()
        assert RemoteAction._validate_action_result is action_validation.validate_action_result
    finally:
        action_validation.uninstall()
