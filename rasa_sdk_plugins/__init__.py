"""The action server's readiness, as a rasa_sdk plugin (rasa_sdk imports a package of this name
at start-up, if there is one, and lets it extend its Sanic app).

Before the server listens, the knowledge base's snapshot and the matchers built from it are
loaded (the first action call would otherwise pay for it, a second or more on a busy machine);
``GET /ready`` then answers 200, and 503 while the snapshot could not be loaded (the database
unreachable at start-up: each check tries again). Kubernetes' readiness probe asks there
(ops/k8s/); nginx's internal side already skips a server that refuses connections.

The plugin also takes off the app what it does on every action call for nothing here: the CORS
middleware and the discarded access log (channels/sanic_app.py).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pluggy
from sanic import response

from actions.common import services
from bot.kb.queries import KnowledgeBaseUnavailable
from channels.sanic_app import lighten

logger = logging.getLogger(__name__)
hookimpl = pluggy.HookimplMarker("rasa_sdk")


def load_snapshot() -> bool:
    """Load the knowledge base's snapshot and its matchers; False if the database cannot be read."""
    try:
        shared = services()
        shared.kb.check()
        # The matchers every answer needs, built from that snapshot.
        _ = shared.topics, shared.communes, shared.orientation
    except KnowledgeBaseUnavailable as error:
        logger.error("not ready: %s", error)
        return False
    return True


class Readiness:
    def __init__(self) -> None:
        self.loaded = False

    async def load(self) -> bool:
        if not self.loaded:
            self.loaded = await asyncio.get_running_loop().run_in_executor(None, load_snapshot)
        return self.loaded

    @hookimpl
    def attach_sanic_app_extensions(self, app: Any) -> None:
        async def before_start(app: Any, loop: Any) -> None:
            await self.load()

        async def ready(request: Any) -> Any:
            if await self.load():
                return response.json({"status": "ready"})
            return response.json({"status": "loading"}, status=503)

        app.register_listener(before_start, "before_server_start")
        # After the CORS extension's own, which installs its middleware as the server starts.
        app.register_listener(lambda app, loop: lighten(app), "before_server_start")
        app.add_route(ready, "/ready", methods=["GET"])


def init_hooks(manager: pluggy.PluginManager) -> None:
    """Called by rasa_sdk with its plugin manager."""
    manager.register(Readiness())
