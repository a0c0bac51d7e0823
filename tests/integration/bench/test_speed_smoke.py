"""The speed benchmark's load generator and report, against a tiny in-process aiohttp server.

No Rasa here: `make bench-speed` runs the real servers. These check that what it computes
(latency, throughput, the time and count bounds, warm-up, errors, ratios) is right; the
percentiles and the process figures are tested in tests/unit/bench/common/.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from bench.speed.load import load_conversations, run_load, run_paced
from bench.speed.report import evaluate_targets, markdown, table_rows

DELAY_S = 0.02


@dataclass
class FakeRasa:
    """Answers like Rasa's REST channel after ``delay`` seconds; "boom" gets an HTTP 500."""

    url: str = ""
    delay: float = DELAY_S
    received: list[tuple[str, str]] = field(default_factory=list)


@pytest.fixture()
async def fake_rasa() -> AsyncIterator[FakeRasa]:
    fake = FakeRasa()

    async def webhook(request: web.Request) -> web.Response:
        body = await request.json()
        fake.received.append((body["sender"], body["message"]))
        await asyncio.sleep(fake.delay)
        if body["message"] == "boom":
            return web.Response(status=500, text="oops")
        return web.json_response([{"recipient_id": body["sender"], "text": "ok"}])

    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    fake.url = f"http://127.0.0.1:{port}"
    yield fake
    await runner.cleanup()


def test_the_benchmark_messages_are_realistic_conversations() -> None:
    conversations = load_conversations()
    messages = [message for conversation in conversations for message in conversation]
    assert 35 <= len(messages) <= 60
    assert any("Gosnay" in message for message in messages)
    assert any(len(conversation) > 1 for conversation in conversations)


async def test_latency_and_throughput_of_concurrent_conversations(fake_rasa: FakeRasa) -> None:
    result = await run_load(fake_rasa.url, conversations=4, duration=1.0, warmup=1, messages=[["a", "b", "c"]])
    summary = result.summary()
    assert summary["errors"] == 0 and summary["warmup_messages"] == 4
    # Every answer takes at least the server's delay, and not much more on a local socket.
    assert DELAY_S * 1000 <= summary["p50_ms"] <= summary["p95_ms"] <= summary["p99_ms"] <= summary["max_ms"]
    assert summary["p50_ms"] < 200
    # 4 residents waiting 20 ms per answer: at most 200 messages/s, and well above 1 resident's pace.
    assert 4 / 0.2 < summary["throughput_msg_s"] <= 4 / DELAY_S * 1.05
    assert summary["messages"] == pytest.approx(summary["throughput_msg_s"] * summary["elapsed_s"], abs=1)
    assert 0.95 <= summary["elapsed_s"] < 1.5
    # Each resident replays the conversation in order, under a new sender id for each one.
    senders: dict[str, list[str]] = {}
    for sender, text in fake_rasa.received:
        senders.setdefault(sender, []).append(text)
    assert all(texts == ["a", "b", "c"][: len(texts)] for texts in senders.values())
    assert len(senders) >= len(fake_rasa.received) / 3


async def test_count_bound_stops_before_the_time_bound(fake_rasa: FakeRasa) -> None:
    result = await run_load(fake_rasa.url, conversations=3, duration=30.0, max_messages=7, warmup=2)
    assert result.messages == 7
    assert result.warmup_messages == 6 and len(fake_rasa.received) == 13
    assert result.elapsed_s < 5


async def test_time_bound_waits_for_messages_in_flight_but_sends_no_more(fake_rasa: FakeRasa) -> None:
    fake_rasa.delay = 0.2
    result = await run_load(fake_rasa.url, conversations=2, duration=0.5, warmup=0, messages=[["x"]])
    # 0.5 s at 0.2 s per answer: 3 rounds start before the deadline (at 0, 0.2, 0.4 s), the last
    # one ends after it, and none starts after it.
    assert result.messages in (4, 6)
    assert 0.5 <= result.elapsed_s < 0.5 + 0.2 + 0.3


async def test_failed_requests_are_counted_not_timed(fake_rasa: FakeRasa) -> None:
    result = await run_load(
        fake_rasa.url, conversations=1, duration=30.0, max_messages=10, warmup=0, messages=[["ok", "boom"]]
    )
    assert result.messages == 5 and result.errors == 5
    assert "HTTP 500" in result.summary()["error_samples"][0]


async def test_a_server_that_is_down_gives_errors_not_a_crash() -> None:
    result = await run_load("http://127.0.0.1:9", conversations=2, duration=30.0, max_messages=4, warmup=0)
    assert result.messages == 0 and result.errors == 4
    assert result.summary()["p95_ms"] is None and result.throughput == 0


def _report(default_at_10: float, workers_at_10: float, base_at_10: float) -> dict[str, Any]:
    def level(throughput: float, p95: float) -> dict[str, Any]:
        return {"throughput_msg_s": throughput, "p50_ms": p95 / 2, "p95_ms": p95, "p99_ms": p95, "errors": 0}

    def profile(at_1: float, at_10: float, rss: float) -> dict[str, Any]:
        return {
            "description": "test",
            "ready_s": 30.0,
            "levels": {"1": level(at_1, 80.0), "10": level(at_10, 300.0)},
            "memory": {"rasa": {"max_mb": rss, "total_mb": rss, "processes": []}},
        }

    return {
        "machine": {
            "date": "2026-01-01",
            "nproc": 2,
            "cpu": "test",
            "memory_gb": 1,
            "load_average_at_start": [0, 0, 0],
            "python": "3.10",
            "rasa": "3.6.21",
            "rasa_sdk": "3.6",
        },
        "settings": {"conversations": [1, 10], "duration": 1, "max_messages": 10, "warmup": 1},
        "profiles": {
            "default": profile(20, default_at_10, 1000),
            "workers2": profile(20, workers_at_10, 2000),
            "baseline": profile(40, base_at_10, 800),
        },
        "kb": {"answer": {"p50_ms": 0.1, "p95_ms": 0.3}},
    }


def test_targets_are_ratios_to_the_baseline_of_the_same_run() -> None:
    report = _report(default_at_10=24, workers_at_10=45, base_at_10=30)
    targets = {target["target"]: target for target in evaluate_targets(report)}
    assert targets["default msg/s @10 ÷ baseline ≥ 0.8×"] == {
        "target": "default msg/s @10 ÷ baseline ≥ 0.8×",
        "value": 0.8,
        "met": True,
    }
    assert targets["workers2 msg/s @10 ÷ baseline ≥ 1.5×"]["value"] == 1.5
    assert targets["default p95 @1 (ms) ≤ 100"]["met"]
    assert not targets["workers2 Rasa RSS per process (MB) ≤ 1536"]["met"]
    slower = {target["target"]: target for target in evaluate_targets(_report(20, 40, 30))}
    assert not slower["default msg/s @10 ÷ baseline ≥ 0.8×"]["met"]
    assert not slower["workers2 msg/s @10 ÷ baseline ≥ 1.5×"]["met"]


def test_the_table_shows_figures_side_by_side_with_ratios() -> None:
    report = _report(default_at_10=24, workers_at_10=45, base_at_10=30)
    report["targets"] = evaluate_targets(report)
    rows = {row[0]: row[1:] for row in table_rows(report)}
    assert rows["@10 conv: msg/s"] == ["24.0", "45.0", "30.0", "0.80×", "1.50×"]
    assert rows["Rasa RSS, max per process (MB)"] == ["1000", "2000", "800", "1.25×", "2.50×"]
    text = markdown(report)
    assert "| @10 conv: msg/s | 24.0 | 45.0 | 30.0 | 0.80× | 1.50× |" in text
    assert "**no**" in text


async def test_paced_load_sends_at_the_rate_asked_whatever_the_answers_speed(fake_rasa: FakeRasa) -> None:
    fake_rasa.delay = 0.3  # slower than the arrivals: an open loop does not wait for answers
    result = await run_paced(fake_rasa.url, rate=40.0, duration=2.0, messages=[["a", "b", "c"]], seed=7)
    assert 50 <= result.messages <= 110  # about 80 Poisson arrivals
    assert result.errors == 0 and result.conversations >= 8  # ~12 waiting at once
    # A conversation's messages follow each other, in order, never two at once.
    by_sender: dict[str, list[str]] = {}
    for sender, message in fake_rasa.received:
        by_sender.setdefault(sender, []).append(message)
    assert all(messages == ["a", "b", "c"][: len(messages)] for messages in by_sender.values())
    # Every answer took the fake's delay at least; asyncio may wake a timer up to its clock's
    # resolution early, so a millisecond of leeway (299.88 ms was seen).
    assert min(result.latencies_ms) >= 300 - 1
