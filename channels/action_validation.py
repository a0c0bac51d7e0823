"""Check the action server's answers with a validator built once, instead of once per answer.

Rasa 3.6 checks every answer of the action server with ``jsonschema.validate(answer, schema)``
(``RemoteAction._validate_action_result``). That function first checks the schema itself
against JSON Schema's meta-schema, then builds a validator, on every call: with jsonschema 4
that is 30 to 100 ms of CPU per custom action, as much as the rest of the turn (spaCy, DIET,
policies, tracker store) together. The schema is a constant of Rasa, so this builds the
validator once and runs the same checks on each answer, raising the same ``ValidationError``
with the same message.

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


def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    """``RemoteAction._validate_action_result`` with the validator built once."""
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
