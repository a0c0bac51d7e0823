"""A moving-window limit per key, in this process's memory (the callback form's per-address limit).

Hand-written because the maintained library for this (``limits``) needs ``packaging>=21``, which
Rasa 3.6 forbids. Each web front counts on its own: with N fronts an address gets at most N times
the limit; nginx limits every address across the fronts in production (ops/prod/templates/nginx.conf.j2).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable

from aiohttp import web

# Beyond this many addresses, the least recently seen are forgotten (memory stays bounded).
MAX_KEYS = 50_000
_LOOPBACK = ("127.0.0.1", "::1")


class MovingWindow:
    """At most ``limit`` hits per key in any ``seconds``-long window."""

    def __init__(self, limit: int, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.seconds = seconds
        self._clock = clock
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def hit(self, key: str) -> bool:
        """Count a hit for ``key`` if the limit allows it; False (and nothing counted) if not."""
        now = self._clock()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            self._hits.move_to_end(key)
            while hits and hits[0] <= now - self.seconds:
                hits.popleft()
            if len(hits) >= self.limit:
                return False
            hits.append(now)
            while len(self._hits) > MAX_KEYS:
                self._hits.popitem(last=False)
            return True


def client_address(request: web.Request) -> str:
    """The resident's address: the peer's, or, from a proxy on this machine (nginx), the
    ``X-Real-IP`` it sets. Never stored."""
    peer = request.remote or ""
    forwarded = request.headers.get("X-Real-IP", "").strip()
    return forwarded if forwarded and peer in _LOOPBACK else peer
