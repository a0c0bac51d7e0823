"""The pinning check (bench/prod/pinning.py) passes two turns one after the other and catches
turns that ran into each other, a lost or doubled message, and an empty reply."""

from __future__ import annotations

import json
from typing import Any

from bench.prod.pinning import MESSAGES, check_pairs

BIKE, RAIN = MESSAGES
BIKE_ANSWER, RAIN_ANSWER = "Pour le vélo : …", "Pour l'eau de pluie : …"


def _record(message: str, answer: str | None, status: int = 200) -> dict[str, Any]:
    body = json.dumps([{"text": answer}, {"custom": {"topic": "x"}}] if answer else [])
    return {"sender": "pair-1", "message": message, "status": status, "body": body}


PAIR = [_record(BIKE, BIKE_ANSWER), _record(RAIN, RAIN_ANSWER)]


def test_two_turns_one_after_the_other_pass_in_either_order() -> None:
    for turns in (
        [("user", BIKE), ("bot", BIKE_ANSWER), ("user", RAIN), ("bot", RAIN_ANSWER)],
        [("user", RAIN), ("bot", RAIN_ANSWER), ("user", BIKE), ("bot", BIKE_ANSWER)],
    ):
        result = check_pairs(PAIR, {"web-pair-1": turns})
        assert result["ok"], result


def test_turns_that_ran_into_each_other_fail() -> None:
    # Both messages read the conversation before either answer was stored: what two Rasa
    # instances handling one conversation at once can do.
    raced = [("user", BIKE), ("user", RAIN), ("bot", BIKE_ANSWER), ("bot", RAIN_ANSWER)]
    result = check_pairs(PAIR, {"web-pair-1": raced})
    assert not result["ok"] and result["interleaved_or_mismatched"] == 2


def test_an_answer_stored_after_the_wrong_message_fails() -> None:
    swapped = [("user", BIKE), ("bot", RAIN_ANSWER), ("user", RAIN), ("bot", BIKE_ANSWER)]
    assert check_pairs(PAIR, {"web-pair-1": swapped})["interleaved_or_mismatched"] == 2


def test_a_lost_or_doubled_message_fails() -> None:
    assert check_pairs(PAIR, {"web-pair-1": [("user", BIKE), ("bot", BIKE_ANSWER)]})["lost"] == 1
    doubled = [("user", BIKE), ("bot", BIKE_ANSWER)] * 2 + [("user", RAIN), ("bot", RAIN_ANSWER)]
    result = check_pairs(PAIR, {"web-pair-1": doubled})
    assert not result["ok"] and result["lost"] == 1 and result["stored_but_never_sent"] == 1


def test_an_empty_reply_fails_and_an_apology_is_counted_apart() -> None:
    silent = check_pairs(
        [_record(BIKE, None), _record(RAIN, RAIN_ANSWER)], {"web-pair-1": [("user", RAIN), ("bot", RAIN_ANSWER)]}
    )
    assert not silent["ok"] and silent["residents_saw"]["silence_200"] == 1
    apologised = [{**_record(BIKE, None, 503), "body": '{"error": "rasa_unreachable"}'}, _record(RAIN, RAIN_ANSWER)]
    result = check_pairs(apologised, {"web-pair-1": [("user", RAIN), ("bot", RAIN_ANSWER)]})
    assert result["ok"] and result["residents_saw"]["apology_503"] == 1
