"""The checks of `make test-prod` (bench/prod/) catch what they are meant to catch."""

from __future__ import annotations

import json
from typing import Any

from bench.prod.checks import APOLOGY, compare_turns, seen_by_resident

ANSWER = json.dumps([{"text": "Une réponse."}])


def _sent(*turns: tuple[str, int]) -> list[dict[str, Any]]:
    return [{"message": text, "status": status, "body": ANSWER if status == 200 else "{}"} for text, status in turns]


def test_a_complete_conversation_in_order_passes() -> None:
    result = compare_turns(
        {"web-a": _sent(("bonjour", 200), ("et à Gosnay ?", 200))}, {"web-a": ["bonjour", "et à Gosnay ?"]}
    )
    assert result["ok"] and result["answered_turns"] == 2


def test_a_lost_turn_a_reordered_conversation_and_an_invented_turn_fail() -> None:
    sent = {"web-a": _sent(("un", 200), ("deux", 200)), "web-b": _sent(("un", 200), ("deux", 200))}
    assert compare_turns(sent, {"web-a": ["un"], "web-b": ["un", "deux"]})["lost_turns"] == 1
    assert compare_turns(sent, {"web-a": ["deux", "un"], "web-b": ["un", "deux"]})["reordered_conversations"] == 1
    invented = compare_turns(sent, {"web-a": ["un", "deux", "trois"], "web-b": ["un", "deux"]})
    assert not invented["ok"] and invented["turns_stored_but_never_sent"] == 1
    duplicated = compare_turns(sent, {"web-a": ["un", "un", "deux"], "web-b": ["un", "deux"]})
    assert not duplicated["ok"]


def test_a_failed_turn_may_or_may_not_be_stored() -> None:
    sent = {"web-a": _sent(("un", 200), ("deux", 503), ("trois", 200), ("quatre", 200))}
    sent["web-a"][3]["body"] = "[]"  # an empty reply is no answer
    assert compare_turns(sent, {"web-a": ["un", "trois"]})["ok"]
    assert compare_turns(sent, {"web-a": ["un", "deux", "trois", "quatre"]})["ok"]
    assert compare_turns(sent, {"web-a": ["un"]})["lost_turns"] == 1


def test_what_residents_saw_is_classified() -> None:
    answer = json.dumps([{"text": "La mutuelle pour tous…"}])
    apology = json.dumps([{"text": APOLOGY}])
    assert seen_by_resident({"status": 200, "body": answer}) == "answered"
    assert seen_by_resident({"status": 200, "body": "[]"}) == "silence_200"
    assert seen_by_resident({"status": 200, "body": apology}) == "apology_200"
    assert seen_by_resident({"status": 200, "body": apology[:50] + json.dumps(APOLOGY)[1:-1]}) == "apology_200"
    assert seen_by_resident({"status": 503, "body": '{"error": "unavailable", "message": "…"}'}) == "apology_503"
    assert seen_by_resident({"status": 429, "body": "{}"}) == "rate_limited_429"
    assert seen_by_resident({"status": 502, "body": "<html>"}) == "other"
