"""nginx's rate limit: a burst from an address it limits gets 429s with the French message."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import yaml

from bench.prod import CHAT_PATH
from bot.settings import PROJECT_ROOT
from ops.prod.run import ProdStack

# The load generator's 127.0.0.1 is exempt for the run; this address is not.
LIMITED_SOURCE = "127.0.0.2"


async def _burst(url: str, count: int, source: str) -> list[tuple[int, dict[str, Any]]]:
    connector = aiohttp.TCPConnector(local_addr=(source, 0), force_close=True)
    answers: list[tuple[int, dict[str, Any]]] = []
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=90)) as session:
        for index in range(count):
            body = {"sender": f"ratelimit-{index:04d}", "message": "bonjour"}
            async with session.post(url + CHAT_PATH, json=body) as response:
                data = await response.json(content_type=None)
                answers.append((response.status, data if isinstance(data, dict) else {}))
    return answers


def check_rate_limit(stack: ProdStack, count: int = 20) -> dict[str, Any]:
    answers = asyncio.run(_burst(stack.public_url, count, LIMITED_SOURCE))
    limited = [data for status, data in answers if status == 429]
    expected = yaml.safe_load((PROJECT_ROOT / "kb" / "messages.yml").read_text(encoding="utf-8"))["proxy"]
    return {
        "requests": count,
        "from": LIMITED_SOURCE,
        "rate": stack.settings.chat_rate,
        "burst": stack.settings.chat_burst,
        "answered_200": sum(1 for status, _ in answers if status == 200),
        "limited_429": len(limited),
        "french_message": bool(limited) and all(data.get("message") == expected["rate_limited"] for data in limited),
    }
