"""Load generator for Rasa's REST channel: N concurrent conversations, bounded in time and count.

Each simulated resident replays one of the conversations of ``bench/speed/messages.yml`` under its
own sender id, waiting for each answer before typing the next message, then starts a new
conversation with a new sender id. The first ``warmup`` messages of every resident are sent
before the clock starts and are not measured.

Runs in its own process (``python -m bench.speed.load --url … --conversations 10``, JSON on
stdout), so the client's CPU is not charged to the servers; :func:`run_in_child` starts it, for
the speed and the production benchmarks.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import yaml

from bench.common.stats import percentile
from bot.settings import PROJECT_ROOT

MESSAGES_FILE = Path(__file__).resolve().parent / "messages.yml"
WEBHOOK_PATH = "/webhooks/rest/webhook"


def load_conversations(path: Path = MESSAGES_FILE) -> list[list[str]]:
    """The conversations of ``bench/speed/messages.yml``: lists of messages typed in a row."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    conversations = [[str(message) for message in conversation] for conversation in data["conversations"]]
    if not conversations or not all(conversations):
        raise ValueError(f"{path}: every conversation needs at least one message")
    return conversations


@dataclass
class LoadResult:
    """What one load level measured (warm-up excluded)."""

    conversations: int
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    empty_replies: int = 0
    elapsed_s: float = 0.0
    warmup_messages: int = 0
    error_samples: list[str] = field(default_factory=list)
    # HTTP status of every measured request (0: no answer at all), and, with ``record``, one
    # entry per request, warm-up included: what each simulated resident sent and got back.
    statuses: dict[int, int] = field(default_factory=dict)
    record: list[dict[str, Any]] | None = None

    @property
    def messages(self) -> int:
        return len(self.latencies_ms)

    @property
    def throughput(self) -> float:
        """Answered messages per second of wall-clock time."""
        return self.messages / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def summary(self) -> dict[str, Any]:
        lat = self.latencies_ms
        return {
            "conversations": self.conversations,
            "messages": self.messages,
            "errors": self.errors,
            "empty_replies": self.empty_replies,
            "warmup_messages": self.warmup_messages,
            "elapsed_s": round(self.elapsed_s, 3),
            "throughput_msg_s": round(self.throughput, 2),
            "p50_ms": round(percentile(lat, 50), 1) if lat else None,
            "p95_ms": round(percentile(lat, 95), 1) if lat else None,
            "p99_ms": round(percentile(lat, 99), 1) if lat else None,
            "mean_ms": round(sum(lat) / len(lat), 1) if lat else None,
            "max_ms": round(max(lat), 1) if lat else None,
            "error_samples": self.error_samples[:5],
            "statuses": {str(status): count for status, count in sorted(self.statuses.items())},
        }


class _Resident:
    """One simulated resident: conversations drawn at random, one sender id per conversation."""

    def __init__(self, index: int, conversations: list[list[str]], run_id: str, seed: int) -> None:
        self.index = index
        self.conversations = conversations
        self.run_id = run_id
        self.random = random.Random(seed * 1_000_003 + index)
        self.count = 0
        self.pending: list[str] = []
        self.sender = ""

    def next_message(self) -> tuple[str, str]:
        if not self.pending:
            self.count += 1
            self.sender = f"bench-{self.run_id}-{self.index}-{self.count}"
            self.pending = list(self.random.choice(self.conversations))
        return self.sender, self.pending.pop(0)


class _Budget:
    """How many measured messages may still be sent (shared by the residents of one level)."""

    def __init__(self, count: int | None) -> None:
        self.left = count

    def take(self) -> bool:
        if self.left is None:
            return True
        if self.left <= 0:
            return False
        self.left -= 1
        return True


def _remember(
    result: LoadResult, sender: str, text: str, status: int, body: bytes, started: float, measured: bool
) -> None:
    if measured:
        result.statuses[status] = result.statuses.get(status, 0) + 1
    if result.record is not None:
        result.record.append(
            {
                "sender": sender,
                "message": text,
                "status": status,
                "body": body[:4000].decode("utf-8", "replace"),
                "sent_at": started,
                "answered_at": time.perf_counter(),
                "measured": measured,
            }
        )


async def _send(
    session: aiohttp.ClientSession, url: str, sender: str, text: str, result: LoadResult, measured: bool
) -> float | None:
    """POST one message; the latency in ms, or None on error (counted in ``result``)."""
    started = time.perf_counter()
    status, body = 0, b""
    try:
        async with session.post(url, json={"sender": sender, "message": text}) as response:
            status = response.status
            body = await response.read()
            latency = (time.perf_counter() - started) * 1000
            if response.status != 200:
                raise RuntimeError(f"HTTP {response.status}: {body[:120]!r}")
            replies = json.loads(body)
            if not isinstance(replies, list):
                raise RuntimeError(f"unexpected reply: {body[:120]!r}")
    except (aiohttp.ClientError, asyncio.TimeoutError, RuntimeError, ValueError) as error:
        _remember(result, sender, text, status, body, started, measured)
        if measured:
            result.errors += 1
            if len(result.error_samples) < 5:
                result.error_samples.append(f"{type(error).__name__}: {error}"[:200])
        return None
    _remember(result, sender, text, status, body, started, measured)
    if measured and not replies:
        result.empty_replies += 1
    return latency


async def run_load(
    base_url: str,
    *,
    conversations: int,
    duration: float,
    max_messages: int | None = None,
    warmup: int = 1,
    messages: list[list[str]] | None = None,
    seed: int = 2032,
    timeout: float = 60.0,
    path: str = WEBHOOK_PATH,
    keep_alive: bool = False,
    record: bool = False,
) -> LoadResult:
    """Drive ``conversations`` residents against ``base_url`` until ``duration`` seconds have
    passed or ``max_messages`` measured messages were sent, whichever comes first.

    A message already sent when the time is up is still waited for and counted; none is sent
    after. Throughput is measured messages over the wall time from the end of the warm-up to
    the last answer.

    Each message opens its own connection unless ``keep_alive``: residents pause longer than
    Sanic's 5 s keep-alive between messages, and with several Sanic workers a kept-alive
    connection would stay with whichever worker accepted it first.
    """
    if conversations < 1:
        raise ValueError("at least one conversation")
    scripts = messages if messages is not None else load_conversations()
    url = base_url.rstrip("/") + path
    run_id = uuid.uuid4().hex[:8]
    residents = [_Resident(index, scripts, run_id, seed) for index in range(conversations)]
    result = LoadResult(conversations=conversations, record=[] if record else None)
    connector = aiohttp.TCPConnector(limit=0, force_close=not keep_alive)
    client_timeout = aiohttp.ClientTimeout(total=timeout)
    async with aiohttp.ClientSession(connector=connector, timeout=client_timeout) as session:

        async def warm(resident: _Resident) -> None:
            for _ in range(warmup):
                sender, text = resident.next_message()
                await _send(session, url, sender, text, result, measured=False)
                result.warmup_messages += 1

        await asyncio.gather(*(warm(resident) for resident in residents))

        budget = _Budget(max_messages)
        started = time.perf_counter()
        deadline = started + duration
        last_answer = started

        async def measure(resident: _Resident) -> None:
            nonlocal last_answer
            while time.perf_counter() < deadline and budget.take():
                sender, text = resident.next_message()
                latency = await _send(session, url, sender, text, result, measured=True)
                last_answer = max(last_answer, time.perf_counter())
                if latency is not None:
                    result.latencies_ms.append(latency)

        await asyncio.gather(*(measure(resident) for resident in residents))
        result.elapsed_s = last_answer - started
    return result


async def run_paced(
    base_url: str,
    *,
    rate: float,
    duration: float,
    messages: list[list[str]] | None = None,
    seed: int = 2032,
    timeout: float = 60.0,
    path: str = WEBHOOK_PATH,
    record: bool = False,
) -> LoadResult:
    """Open loop: messages arrive ``rate`` times a second on average (Poisson arrivals) for
    ``duration`` seconds, however fast they are answered, as residents' messages do. Each
    arrival is the next message of a resident who is not waiting for an answer (a new resident
    when every one is waiting), so a conversation's messages still follow each other. Every
    message is measured; ``conversations`` in the result counts the residents it took."""
    if rate <= 0:
        raise ValueError("a positive rate")
    scripts = messages if messages is not None else load_conversations()
    url = base_url.rstrip("/") + path
    run_id = uuid.uuid4().hex[:8]
    arrivals = random.Random(seed)
    residents: list[_Resident] = []
    idle: list[_Resident] = []
    result = LoadResult(conversations=0, record=[] if record else None)
    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=timeout)) as session:

        async def send_next(resident: _Resident) -> None:
            sender, text = resident.next_message()
            latency = await _send(session, url, sender, text, result, measured=True)
            if latency is not None:
                result.latencies_ms.append(latency)
            idle.append(resident)

        started = time.perf_counter()
        deadline, next_at = started + duration, started
        tasks: list[asyncio.Task[None]] = []
        while True:
            next_at += arrivals.expovariate(rate)
            if next_at > deadline:
                break
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
            if not idle:
                residents.append(_Resident(len(residents), scripts, run_id, seed))
                idle.append(residents[-1])
            tasks.append(asyncio.create_task(send_next(idle.pop())))
        await asyncio.gather(*tasks)
        result.elapsed_s = time.perf_counter() - started
    result.conversations = len(residents)
    return result


def run_in_child(
    url: str,
    conversations: int,
    duration: float,
    *,
    warmup: int,
    seed: int | None = None,
    max_messages: int | None = None,
    path: str | None = None,
    timeout: float | None = None,
    record: Path | None = None,
    rate: float | None = None,
) -> dict[str, Any]:
    """One load level from a separate process (``python -m bench.speed.load``), so that the
    client's CPU is not charged to the servers; its JSON summary. An option left None keeps the
    generator's default; with ``rate``, messages arrive at that rate (:func:`run_paced`) and
    ``conversations`` and ``warmup`` are not used."""
    command = [sys.executable, "-m", "bench.speed.load", "--url", url, "--conversations", str(conversations)]
    command += ["--duration", str(duration), "--warmup", str(warmup)]
    options = {
        "--seed": seed,
        "--max-messages": max_messages,
        "--path": path,
        "--timeout": timeout,
        "--record": record,
        "--rate": rate,
    }
    for option, value in options.items():
        if value is not None:
            command += [option, str(value)]
    completed = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"load generator failed: {completed.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.speed.load", description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:5005", help="Rasa server (REST channel)")
    parser.add_argument("--conversations", type=int, default=1)
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of measurement")
    parser.add_argument("--max-messages", type=int, default=None, help="stop after this many measured messages")
    parser.add_argument("--warmup", type=int, default=1, help="unmeasured messages per conversation first")
    parser.add_argument("--seed", type=int, default=2032)
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds before a request counts as failed")
    parser.add_argument("--messages", type=Path, default=MESSAGES_FILE)
    parser.add_argument("--keep-alive", action="store_true", help="reuse connections between messages")
    parser.add_argument("--path", default=WEBHOOK_PATH, help="the chat endpoint (the web front's is /api/chat)")
    parser.add_argument("--record", type=Path, default=None, help="write every request and its answer here (JSON)")
    parser.add_argument("--rate", type=float, default=None, help="open loop: messages per second (Poisson arrivals)")
    args = parser.parse_args(argv)
    cpu_before = _cpu_seconds()
    common: dict[str, Any] = {
        "duration": args.duration,
        "messages": load_conversations(args.messages),
        "seed": args.seed,
        "timeout": args.timeout,
        "path": args.path,
        "record": args.record is not None,
    }
    if args.rate is not None:
        result = asyncio.run(run_paced(args.url, rate=args.rate, **common))
    else:
        closed = {"conversations": args.conversations, "max_messages": args.max_messages, "warmup": args.warmup}
        result = asyncio.run(run_load(args.url, keep_alive=args.keep_alive, **closed, **common))
    if args.record is not None and result.record is not None:
        args.record.write_text(json.dumps(result.record, ensure_ascii=False))
    summary = result.summary()
    summary["client_cpu_s"] = round(_cpu_seconds() - cpu_before, 2)
    json.dump(summary, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
