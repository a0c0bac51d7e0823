"""One conversation, one Rasa instance: two messages of one conversation sent at the same instant
through two different web fronts, many times, with one Rasa instance killed during the run.

Each pair is a new conversation: one message goes to the first web front, the other to the
second, at once. Both must be answered (no empty reply), and the stored conversation must hold
each answered message once, each followed by the very answers its sender got, one turn after
the other (never two turns interleaved). The web fronts are driven directly (nginx's public
side would choose the web front itself); ``kill -9`` of the first Rasa server, restarted by
supervisord, comes a third of the way through.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import aiohttp
import sqlalchemy as sa

from bench.prod import CHAT_PATH, log
from bench.prod.checks import seen_by_resident
from ops.prod.run import ProdStack

# Two questions whose answers differ, so that an answer given to the wrong message shows.
MESSAGES = ("je voudrais une aide pour acheter un vélo électrique", "aide récupérateur d'eau de pluie")


async def _pairs(urls: tuple[str, str], count: int, in_flight: int, run_id: str) -> list[dict[str, Any]]:
    """``count`` pairs, ``in_flight`` at a time; what each message got back."""
    results: list[dict[str, Any]] = []
    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    timeout = aiohttp.ClientTimeout(total=90)
    pending = iter(range(count))

    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def send(url: str, sender: str, message: str) -> dict[str, Any]:
            status, body = 0, ""
            try:
                async with session.post(url + CHAT_PATH, json={"sender": sender, "message": message}) as response:
                    status, body = response.status, await response.text()
            except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                body = repr(error)
            return {"sender": sender, "message": message, "status": status, "body": body}

        async def worker() -> None:
            for index in pending:
                sender = f"pin-{run_id}-{index:05d}"
                sent_at = time.perf_counter()
                answers = await asyncio.gather(
                    *(send(url, sender, text) for url, text in zip(urls, MESSAGES, strict=True))
                )
                for answer in answers:
                    results.append({**answer, "sent_at": sent_at, "answered_at": time.perf_counter()})

        await asyncio.gather(*(worker() for _ in range(in_flight)))
    return results


def seen(record: dict[str, Any]) -> str:
    """What the resident saw (bench/prod/checks.py): a web front's 502 or 503 reaches residents
    as nginx's apology (ops/prod/templates/nginx.conf.j2, error_page 502 503 504)."""
    if record["status"] in (502, 503) and ('"rasa_unreachable"' in record["body"] or '"rasa_error"' in record["body"]):
        return "apology_503"
    return seen_by_resident(record)


def _texts(body: str) -> list[str]:
    return [str(reply["text"]) for reply in json.loads(body) if isinstance(reply, dict) and "text" in reply]


def check_pairs(records: list[dict[str, Any]], stored: dict[str, list[tuple[str, str]]]) -> dict[str, Any]:
    """``stored``: each conversation's ``(type, text)`` events in order (user and bot only)."""
    counts = {"answered": 0, "silence_200": 0, "apology_200": 0, "apology_503": 0, "rate_limited_429": 0, "other": 0}
    by_sender: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        counts[seen(record)] += 1
        by_sender.setdefault("web-" + record["sender"], []).append(record)
    lost = interleaved = mismatched = extra = 0
    problems: list[str] = []
    for sender, sent in by_sender.items():
        events = stored.get(sender, [])
        turns: list[tuple[str, list[str]]] = []
        for kind, text in events:
            if kind == "user":
                turns.append((text, []))
            elif turns:
                turns[-1][1].append(text)
            else:
                interleaved += 1  # an answer before any message
        stored_messages = [message for message, _ in turns]
        extra += max(0, len(stored_messages) - len(sent)) + sum(
            1 for message in stored_messages if message not in MESSAGES
        )
        for record in sent:
            if seen(record) != "answered":
                continue
            matches = [answers for message, answers in turns if message == record["message"]]
            if len(matches) != 1:
                lost += 1
                problems.append(f"{sender}: {record['message']!r} stored {len(matches)} times")
            elif matches[0] != _texts(record["body"]):
                # The answers stored after this message are not the ones its sender got: the
                # two turns ran into each other.
                mismatched += 1
                problems.append(f"{sender}: stored {events}, sent back {_texts(record['body'])}")
    return {
        "pairs": len(by_sender),
        "messages": len(records),
        "residents_saw": counts,
        "lost": lost,
        "interleaved_or_mismatched": interleaved + mismatched,
        "stored_but_never_sent": extra,
        "ok": lost == 0
        and interleaved + mismatched == 0
        and extra == 0
        and counts["silence_200"] == 0
        and counts["other"] == 0,
        "problems": problems[:5],
    }


def stored_turns(engine: sa.engine.Engine, senders: list[str]) -> dict[str, list[tuple[str, str]]]:
    query = sa.text(
        "SELECT sender_id, type_name, data FROM events "
        "WHERE type_name IN ('user', 'bot') AND sender_id = ANY(:ids) ORDER BY id"
    )
    stored: dict[str, list[tuple[str, str]]] = {}
    with engine.connect() as connection:
        for start in range(0, len(senders), 500):
            for sender_id, kind, data in connection.execute(query, {"ids": senders[start : start + 500]}):
                text = json.loads(data).get("text")
                if kind == "user" or text:  # a bot event without text is the answer's payload
                    stored.setdefault(sender_id, []).append((kind, str(text)))
    return stored


def pinning_run(
    stack: ProdStack, engine: sa.engine.Engine, count: int, in_flight: int, kill: Callable[[], str] | None
) -> dict[str, Any]:
    """``count`` pairs through the first two web fronts; ``kill`` injected a third of the way."""
    urls = (f"http://127.0.0.1:{stack.ports.web[0]}", f"http://127.0.0.1:{stack.ports.web[1]}")
    injected: dict[str, Any] = {}
    # About 25 pairs a second on two cores: a third of the way through, roughly.
    delay = count / 25 / 3

    def inject() -> None:
        time.sleep(delay)
        if kill is not None:
            injected["what"] = kill()

    thread = threading.Thread(target=inject)
    started = time.perf_counter()
    thread.start()
    records = asyncio.run(_pairs(urls, count, in_flight, uuid.uuid4().hex[:8]))
    thread.join()
    seconds = round(time.perf_counter() - started, 1)
    senders = sorted({"web-" + record["sender"] for record in records})
    result = check_pairs(records, stored_turns(engine, senders))
    result |= {"fault": injected.get("what", "none"), "seconds": seconds, "in_flight": in_flight}
    log(
        f"pinning: {result['pairs']} pairs in {seconds} s, {result['fault']}; residents saw {result['residents_saw']}; "
        f"lost {result['lost']}, interleaved or mismatched {result['interleaved_or_mismatched']}"
    )
    stack.wait_healthy(180)
    return result
