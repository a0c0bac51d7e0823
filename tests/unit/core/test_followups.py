"""Reading short replies to the assistant's own question, and the buttons it offered."""

from __future__ import annotations

import pytest

from bot.core.followups import Payload, chosen_option, offered_buttons, read_payload

BUTTONS = [{"title": f"Option {number}", "payload": f"/option_{number}"} for number in (1, 2, 3)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("la 2e", 1),
        ("le deuxième", 1),
        ("la seconde svp", 1),
        ("le premier", 0),
        ("la 1ère", 0),
        ("le 3", 2),
        ("la troisième", 2),
        ("le dernier", 2),
        ("la dernière", 2),
        ("la 5e", None),
        ("oui", None),
        ("je ne sais pas", None),
    ],
)
def test_the_option_a_reply_picks(text: str, expected: int | None) -> None:
    assert chosen_option(text, 3) == expected


def test_no_option_without_buttons() -> None:
    assert chosen_option("la 2e", 0) is None


def test_the_buttons_of_the_latest_question_only() -> None:
    events = [
        {"event": "user", "text": "vélo ?"},
        {"event": "bot", "data": {"buttons": BUTTONS}},
        {"event": "user", "text": "la 2e"},
    ]
    assert offered_buttons(events) == BUTTONS
    # An answer without buttons in between: the older question no longer stands.
    later = [*events, {"event": "bot", "data": {"buttons": []}}, {"event": "user", "text": "le premier"}]
    assert offered_buttons(later) == []


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ("/aide_velo", Payload("aide_velo", {})),
        ('/demander_conditions{"dispositif": "mutuelle"}', Payload("demander_conditions", {"dispositif": "mutuelle"})),
        ("Béthune", None),
        ('/x{"broken": }', None),
    ],
)
def test_reading_a_button_payload(payload: str, expected: Payload | None) -> None:
    assert read_payload(payload) == expected
