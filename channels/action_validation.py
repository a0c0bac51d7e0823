"""Check the action server's answers with a validator built once, instead of once per answer.

Rasa 3.6 checks every answer of the action server with ``jsonschema.validate(answer, schema)``
(``RemoteAction._validate_action_result``). That function first checks the schema itself
against JSON Schema's meta-schema, then builds a validator, on every call: with jsonschema 4
that is 30 to 100 ms of CPU per custom action, as much as the rest of the turn (spaCy, DIET,
policies, tracker store) together. The schema is a constant of Rasa, so this builds the
validator once and runs the same checks on each answer, raising the same ``ValidationError``
with the same message.

Most answers are of one shape: responses (objects) and ``slot`` events. Each event goes through
the event schema's ``oneOf`` of 23 kinds, every kind tried to prove that exactly one fits: a
third of a millisecond per turn. An answer of that shape is checked by hand
(:func:`plainly_valid`: what the schema requires of it, and nothing it lets through is
refused); any other answer goes to the validator, which gives the verdict and the error.

Installed by the REST channel (channels/rest.py), which Rasa imports in the server process.
Only Rasa 3.6's method is replaced: with any other version this does nothing.
"""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

from jsonschema import exceptions, validators
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

_ORIGINAL = RemoteAction._validate_action_result
_validators: dict[type, Any] = {}


def _validator(action: RemoteAction) -> Any:
    kind = type(action)
    validator = _validators.get(kind)
    if validator is None:
        schema = action.action_response_format_spec()
        cls = validators.validator_for(schema)
        cls.check_schema(schema)  # once, as jsonschema.validate does on every call
        validator = _validators[kind] = cls(schema)
    return validator


def _number_or_null(value: Any) -> bool:
    # JSON Schema's "number": an int or a float, never a bool.
    return value is None or (isinstance(value, (int, float)) and not isinstance(value, bool))


def _plain_slot(event: Any) -> bool:
    """A ``slot`` event the schema accepts: only the ``slot`` branch of its ``oneOf`` can fit
    (every other one wants another ``event``), and it needs a text name and a value."""
    return (
        type(event) is dict
        and event.get("event") == "slot"
        and type(event.get("name")) is str
        and "value" in event
        and _number_or_null(event.get("timestamp"))
        and (event.get("metadata") is None or type(event["metadata"]) is dict)
    )


def plainly_valid(result: Any) -> bool:
    """True for an answer the schema accepts that is made of responses (objects) and ``slot``
    events only; False says nothing (the validator decides)."""
    if type(result) is not dict:
        return False
    responses, events = result.get("responses", []), result.get("events", [])
    return (
        type(responses) is list
        and all(type(response) is dict for response in responses)
        and type(events) is list
        and all(_plain_slot(event) for event in events)
    )


def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    """``RemoteAction._validate_action_result`` with the validator built once, and not needed
    for the usual answers."""
    if plainly_valid(result):
        return True
    error = exceptions.best_match(_validator(self).iter_errors(result))
    if error is not None:
        error.message += (
            ". Failed to validate Action server response from API, "
            "make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise error
    return True


def install() -> bool:
    """Replace Rasa 3.6's validation of action server answers; True if it was replaced."""
    if not version("rasa").startswith("3.6."):
        return False
    RemoteAction._validate_action_result = validate_action_result
    return True


def uninstall() -> None:
    RemoteAction._validate_action_result = _ORIGINAL
