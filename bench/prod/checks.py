"""What residents saw, request by request, and whether the stored trackers hold what was sent."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
import yaml

from bot.settings import PROJECT_ROOT

APOLOGY = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"][
    "utter_erreur_technique"
][0]["text"]


def server_errors(level: dict[str, Any]) -> int:
    """Requests of a load level answered with a 5xx, or not at all."""
    return sum(count for status, count in level["statuses"].items() if int(status) >= 500 or int(status) == 0)


def _is_subsequence(wanted: list[str], stored: list[str]) -> bool:
    remaining = iter(stored)
    return all(any(item == text for item in remaining) for text in wanted)


def check_trackers(
    engine: sa.engine.Engine, records: list[dict[str, Any]], sender_prefix: str = "web-"
) -> dict[str, Any]:
    """Every turn a resident got an answer to is stored, once, in the order it was sent; nothing
    is stored that was not sent. Turns that failed (an apology, an empty reply, a 5xx, no answer)
    may or may not be stored."""
    sent: dict[str, list[dict[str, Any]]] = {}
    for entry in sorted(records, key=lambda item: item["sent_at"]):
        sent.setdefault(sender_prefix + entry["sender"], []).append(entry)
    stored: dict[str, list[str]] = {sender: [] for sender in sent}
    query = sa.text("SELECT sender_id, data FROM events WHERE type_name = 'user' AND sender_id = ANY(:ids) ORDER BY id")
    senders = list(sent)
    with engine.connect() as connection:
        for start in range(0, len(senders), 500):
            for sender_id, data in connection.execute(query, {"ids": senders[start : start + 500]}):
                stored[sender_id].append(str(json.loads(data).get("text", "")))
    return compare_turns(sent, stored)


def compare_turns(sent: dict[str, list[dict[str, Any]]], stored: dict[str, list[str]]) -> dict[str, Any]:
    """``sent``: each sender's requests in the order sent; ``stored``: its stored user texts."""
    lost = reordered = extra = answered = 0
    problems: list[str] = []
    for sender, entries in sent.items():
        kept = stored.get(sender, [])
        answered_texts = [entry["message"].strip() for entry in entries if seen_by_resident(entry) == "answered"]
        all_texts = [entry["message"].strip() for entry in entries]
        answered += len(answered_texts)
        missing = [text for text in answered_texts if text not in kept]
        lost += len(missing)
        if not missing and not _is_subsequence(answered_texts, kept):
            reordered += 1
        unexpected = [text for text in kept if text not in all_texts]
        extra += max(len(unexpected), len(kept) - len(all_texts))
        if missing or unexpected or len(kept) > len(all_texts):
            problems.append(f"{sender}: sent {all_texts}, stored {kept}")
    return {
        "conversations": len(sent),
        "answered_turns": answered,
        "stored_turns": sum(len(texts) for texts in stored.values()),
        "lost_turns": lost,
        "reordered_conversations": reordered,
        "turns_stored_but_never_sent": extra,
        "ok": lost == 0 and reordered == 0 and extra == 0,
        "problems": problems[:5],
    }


def seen_by_resident(entry: dict[str, Any]) -> str:
    """answered, silence_200 (an empty reply), apology_200 (the assistant's apology), apology_503
    (nginx's), rate_limited_429, other.

    The recorded body may be cut short (long agent fiches): it is matched as text."""
    status, body = entry["status"], entry["body"]
    if status == 200 and body.replace(" ", "") == "[]":
        return "silence_200"
    if status == 200 and body.startswith("["):
        return "apology_200" if APOLOGY in body or json.dumps(APOLOGY)[1:-1] in body else "answered"
    if status == 503 and '"unavailable"' in body:
        return "apology_503"
    if status == 429:
        return "rate_limited_429"
    return "other"


def classify(records: list[dict[str, Any]]) -> dict[str, Any]:
    """What the residents saw, request by request (warm-up included: they are residents too)."""
    seen = {"answered": 0, "silence_200": 0, "apology_200": 0, "apology_503": 0, "rate_limited_429": 0, "other": 0}
    others: dict[str, int] = {}
    failures: list[float] = []
    for entry in records:
        kind = seen_by_resident(entry)
        seen[kind] += 1
        if kind == "other":
            others[str(entry["status"])] = others.get(str(entry["status"]), 0) + 1
        if kind != "answered":
            failures.append(entry["sent_at"])
    return {**seen, "other_statuses": others, "failure_times": failures}
