"""Which Rasa instance answers a conversation: the same one for all its messages.

Rasa Open Source's Redis lock store does not fully protect one conversation handled by two Rasa
instances at once (fixed upstream only in the commercial edition), so two messages of one
conversation sent through two web fronts could race. Every web front therefore sends every
message of a conversation to the same instance: the first *ready* one in the conversation's
order on a consistent-hash ring (uhashring: md5 of the conversation id, 160 points per
instance). All the web fronts build the same ring from the same list (``AGGLO_RASA_URLS``), so
they agree without talking to each other; adding or removing an instance moves only the
conversations on the arcs that change, about one in N.

An instance is skipped while it is not ready: its readiness endpoint
(``GET /webhooks/rest/ready``, channels/rest.py: the model is loaded and a parse answers) says
so at the last check (every second), or a connection to it was just refused. Its conversations
go to the next instance of their order, with their history (the tracker store is shared), and
come back when it is ready again.

A message that never reached its instance (the connection was refused) goes to the next one. A
message that reached an instance that then broke off (killed mid-turn: the connection dropped)
may or may not have been handled: Rasa saves a turn in one write at its end, so either the
whole turn is stored or nothing is. It goes to the next instance only when it carries an id
(``message_id``, sent in the trusted metadata under ``DELIVERY_KEY``) and is marked as sent
again: that instance first waits for the conversation's lock (Rasa's Redis lock store: the
first instance's turn, if still running, finishes or its ticket expires), then looks the id up
in the stored conversation; if the turn is stored it answers with the replies stored with it,
without handling the message again, otherwise it handles it (channels/rest.py). No message is
handled twice, and the resident gets the answer rather than an apology. Without an id (no
channel secret, so the metadata would not be trusted) the resident gets the apology.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import aiohttp
from uhashring import HashRing

from bot.core.payloads import DELIVERY_KEY

logger = logging.getLogger(__name__)

READY_PATH = "/webhooks/rest/ready"
WEBHOOK_PATH = "/webhooks/rest/webhook"
# What the language model makes of a message, without a turn (channels/rest.py; trusted only).
PARSE_PATH = "/webhooks/rest/parse"
# How often each web front asks each instance whether it is ready, and how long it waits.
CHECK_SECONDS = 1.0
CHECK_TIMEOUT_SECONDS = 2.0
# Below Sanic's 5 s keep-alive, so that a connection Rasa is closing is never reused.
KEEPALIVE_SECONDS = 2.0


class RasaUnavailable(RuntimeError):
    """No instance could be reached, or the one that had the message broke off."""


# Conversations whose order on the ring is kept (a few hundred bytes each).
ORDERS_KEPT = 4096


class RasaError(RuntimeError):
    """The instance answered, but not with a JSON answer (an HTTP error, something else)."""


class RasaInstances:
    """The Rasa instances behind this web front, on a consistent-hash ring, with their readiness."""

    def __init__(self, urls: Sequence[str]) -> None:
        if not urls:
            raise ValueError("at least one Rasa instance")
        self.urls = tuple(url.rstrip("/") for url in urls)
        if len(set(self.urls)) != len(self.urls):
            raise ValueError(f"a Rasa instance is listed twice: {', '.join(self.urls)}")
        self._ring = HashRing(nodes=list(self.urls))
        # The ring never changes: a conversation's order is computed once (160 points per
        # instance walked on every message otherwise), for the conversations of the moment.
        self._orders = functools.lru_cache(maxsize=ORDERS_KEPT)(self._ring_order)
        # Ready until a check says otherwise: a web front that starts beside its Rasa
        # instances must not refuse the first messages.
        self._ready = dict.fromkeys(self.urls, True)

    def _ring_order(self, conversation: str) -> tuple[str, ...]:
        return tuple(str(url) for url in self._ring.iterate_nodes(conversation))

    def order(self, conversation: str) -> list[str]:
        """Every instance, in the conversation's order on the ring (its own first)."""
        return list(self._orders(conversation))

    def candidates(self, conversation: str) -> list[str]:
        """The instances to try for ``conversation``, in order: the ready ones; when none is
        ready (checks can lag), all of them, a refused connection costing next to nothing."""
        order = self.order(conversation)
        return [url for url in order if self._ready[url]] or order

    def is_ready(self, url: str) -> bool:
        return self._ready[url]

    def mark(self, url: str, ready: bool) -> None:
        if self._ready[url] != ready:
            logger.warning("Rasa instance %s is %s", url, "ready" if ready else "not ready: its conversations move on")
        self._ready[url] = ready

    @property
    def watched(self) -> bool:
        """Readiness is checked only when there is another instance to move to."""
        return len(self.urls) > 1

    async def check(self, session: aiohttp.ClientSession) -> None:
        """Ask every instance whether it is ready, all at once."""

        async def one(url: str) -> None:
            timeout = aiohttp.ClientTimeout(total=CHECK_TIMEOUT_SECONDS)
            try:
                async with session.get(url + READY_PATH, timeout=timeout) as response:
                    self.mark(url, response.status == 200)
            except (aiohttp.ClientError, asyncio.TimeoutError):
                self.mark(url, False)

        await asyncio.gather(*(one(url) for url in self.urls))

    async def watch(self, session: aiohttp.ClientSession, interval: float = CHECK_SECONDS) -> None:
        while True:
            await self.check(session)
            await asyncio.sleep(interval)

    async def post(
        self,
        session: aiohttp.ClientSession,
        conversation: str,
        body: Mapping[str, Any],
        headers: Mapping[str, str],
        timeout: float,
        path: str = WEBHOOK_PATH,
        message_id: str | None = None,
    ) -> Any:
        """Send a message to the conversation's instance (the next one while it cannot be
        reached) and return Rasa's JSON answer. With ``message_id``, a message whose instance
        broke off mid-request goes to the next one marked as sent again (the module's docstring
        says why that is safe). RasaUnavailable when no instance could take it or the one that
        took it broke off (without ``message_id``), RasaError when it answered something else."""
        again = False
        for url in self.candidates(conversation):
            sent = dict(body)
            if message_id is not None:
                sent["metadata"] = {**body.get("metadata", {}), DELIVERY_KEY: {"id": message_id, "again": again}}
            try:
                async with session.post(
                    url + path, json=sent, headers=headers, timeout=aiohttp.ClientTimeout(total=timeout)
                ) as response:
                    if response.status != 200:
                        raise RasaError(f"{url} answered HTTP {response.status}")
                    try:
                        return await response.json(content_type=None)
                    except ValueError as error:
                        raise RasaError(f"{url} answered something that is not JSON") from error
            except aiohttp.ClientConnectorError as error:
                # Never connected: the message did not reach it, the next instance gets it.
                logger.warning("Rasa instance %s unreachable (%s): trying the next one", url, error)
                self.mark(url, False)
            except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError, aiohttp.ClientPayloadError) as error:
                # The connection dropped mid-request: the instance died, the turn maybe stored.
                if message_id is None:
                    raise RasaUnavailable(f"{url} failed while handling the message: {error!r}") from error
                logger.warning("Rasa instance %s broke off (%r): sending the message again to the next one", url, error)
                self.mark(url, False)
                again = True
            except asyncio.TimeoutError as error:
                raise RasaUnavailable(f"{url} failed while handling the message: {error!r}") from error
            except aiohttp.ClientError as error:
                raise RasaUnavailable(f"{url} failed while handling the message: {error!r}") from error
        raise RasaUnavailable(f"no Rasa instance reachable among {', '.join(self.urls)}")


@contextlib.asynccontextmanager
async def rasa_session(instances: RasaInstances) -> AsyncIterator[aiohttp.ClientSession]:
    """The HTTP session to the instances, and the readiness checks while it is open."""
    connector = aiohttp.TCPConnector(limit=0, keepalive_timeout=KEEPALIVE_SECONDS)
    async with aiohttp.ClientSession(connector=connector) as session:
        watcher = asyncio.create_task(instances.watch(session)) if instances.watched else None
        try:
            yield session
        finally:
            if watcher is not None:
                watcher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watcher
