"""Real servers (actions, Rasa, web front) on free ports for the fuzz tests, and a small HTTP
client that sends any bytes and keeps one connection alive (thousands of requests)."""

from __future__ import annotations

import collections
import http.client
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest

from ops.dev import DEFAULT_MODEL, Servers
from tests.conftest import servers_on_free_ports

fuzz_marks = [
    pytest.mark.e2e,
    pytest.mark.skipif(not DEFAULT_MODEL.exists(), reason="no trained model: run `make train`"),
]


@dataclass(frozen=True)
class Reply:
    status: int
    content_type: str
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


@dataclass
class RawClient:
    """POSTs raw bytes; counts every answer by status code, per endpoint."""

    base_url: str
    counts: collections.Counter[tuple[str, int]] = field(default_factory=collections.Counter)
    _connection: http.client.HTTPConnection | None = None

    def post(self, path: str, body: bytes, content_type: str | None = "application/json", **headers: str) -> Reply:
        sent = {"Content-Type": content_type} if content_type is not None else {}
        sent.update(headers)
        for attempt in (1, 2):
            connection = self._connect()
            try:
                connection.request("POST", path, body=body, headers=sent)
                response = connection.getresponse()
                data = response.read()
            except (http.client.HTTPException, OSError):
                # The server may close a kept-alive connection after refusing a body: once more
                # on a new one. A server that died fails the second time too.
                self.close()
                if attempt == 2:
                    raise
                continue
            if response.getheader("Connection", "").lower() == "close":
                self.close()
            self.counts[(path, response.status)] += 1
            return Reply(response.status, response.getheader("Content-Type", ""), data)
        raise AssertionError("unreachable")

    def _connect(self) -> http.client.HTTPConnection:
        if self._connection is None:
            parts = urlsplit(self.base_url)
            self._connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=120)
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


@dataclass(frozen=True)
class FuzzStack:
    servers: Servers
    feedback_url: str
    web: RawClient
    rasa: RawClient


@pytest.fixture(scope="package")
def fuzz_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzStack]:
    var_dir = tmp_path_factory.mktemp("fuzz-var")
    feedback_url = f"sqlite:///{var_dir / 'feedback.sqlite3'}"
    servers = servers_on_free_ports(var_dir, AGGLO_FEEDBACK_DATABASE_URL=feedback_url)
    config = servers.config
    web, rasa = RawClient(config.web_url), RawClient(config.rasa_url)
    try:
        servers.start(timeout=400)
        yield FuzzStack(servers=servers, feedback_url=feedback_url, web=web, rasa=rasa)
    finally:
        web.close()
        rasa.close()
        servers.stop()
