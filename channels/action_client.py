"""Rasa's calls to the action server over connections kept open, instead of a new HTTP session
(and a new TCP connection) for every call.

Rasa 3.6's ``EndpointConfig.request`` opens an aiohttp ``ClientSession`` per request and closes
it after: every custom action costs a session, a connector, a TCP connection to nginx's internal
listener and its teardown, on both sides. Under load that was a twelfth of a Rasa server's CPU
per message. :class:`KeptSessionEndpoint` is the same endpoint (same URL, headers, token,
timeout; the same ``request``) whose ``session()`` hands out one session kept for the server's
life, so connections to nginx are reused.

The tracker it sends with every call is written with ujson (channels/fast_json.py).

Installed by the REST channel once the server has started (channels/rest.py): the agent's and
its processor's action endpoint become this one. Rasa offers no setting for it; this replaces
an object Rasa holds, not Rasa's code.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

import aiohttp
from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig

from channels.fast_json import dumps

# Below nginx's keepalive_timeout (75 s): the client closes an idle connection first, so a
# call never goes out on one nginx is closing.
KEEPALIVE_SECONDS = 15.0


class _Kept:
    """``async with`` that yields the kept session and leaves it open."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self.session

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        return None


class KeptSessionEndpoint(EndpointConfig):
    """An ``EndpointConfig`` whose requests share one session (created on first use, in the
    server's event loop)."""

    def __init__(self, endpoint: EndpointConfig) -> None:
        super().__init__(
            endpoint.url,
            endpoint.params,
            endpoint.headers,
            endpoint.basic_auth,
            endpoint.token,
            endpoint.token_name,
            endpoint.cafile,
            **endpoint.kwargs,
        )
        self.type = endpoint.type
        self._session: aiohttp.ClientSession | None = None

    def session(self) -> Any:
        if self._session is None or self._session.closed:
            auth = (
                aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"]) if self.basic_auth else None
            )
            self._session = aiohttp.ClientSession(
                headers=self.headers,
                auth=auth,
                timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
                connector=aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE_SECONDS),
                json_serialize=dumps,
            )
        return _Kept(self._session)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def install(agent: Any) -> KeptSessionEndpoint | None:
    """Give ``agent`` (and its processor) the kept-session endpoint; None without an action
    endpoint."""
    endpoint = getattr(agent, "action_endpoint", None)
    if endpoint is None:
        return None
    kept = endpoint if isinstance(endpoint, KeptSessionEndpoint) else KeptSessionEndpoint(endpoint)
    agent.action_endpoint = kept
    processor = getattr(agent, "processor", None)
    if processor is not None:
        processor.action_endpoint = kept
    return kept
