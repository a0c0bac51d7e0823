"""Rasa's REST channel, plus an apology when a turn produced no answer at all.

Rasa logs a failed custom action (action server down or crashed) and carries on, so the
resident would get an empty reply. This channel notices the empty reply and sends the
``utter_erreur_technique`` response of domain.yml instead: an apology and the Agglo's contact.

Only the web front is trusted (it sends the shared secret ``AGGLO_CHANNEL_SECRET`` in a
header): from anyone else, the channel drops the message's ``metadata`` (so ``metadata.agent``,
the agents' full fiches, cannot be asked for) and sends a message starting with ``/`` as plain
text (so no one can type an intent with entities and set slots). A body that is not a JSON
object with a text ``sender`` and ``message`` gets HTTP 400, not Rasa's 500.

A message sent again by the web front after the instance that had it broke off (killed
mid-turn; bot/web/routing.py) is handled once: its id comes in the trusted metadata
(``DELIVERY_KEY``, removed before Rasa sees the metadata); under the conversation's lock (the
first instance's turn, if still running, has finished or its ticket expired), the stored
conversation is read, and when it holds a user message with that id, the bot messages stored
after it are the answer, the message is not handled again. Rasa stores a turn in one write at
its end: stored means the whole turn, not stored means nothing of it.

``GET /webhooks/rest/ready`` is the instance's readiness: 200 only once the model is loaded and
a parse answers, 503 before (:class:`Readiness`). The web fronts skip an instance that is not
ready (bot/web/routing.py) and so does Kubernetes (its readiness probe, ops/k8s/).

Creating the channel also makes Rasa check the action server's answers with a validator built
once (channels/action_validation.py), the largest single cost of a turn otherwise; and once the
server has started (the model loaded), its calls to the action server keep their connections
(channels/action_client.py), the memory freed while loading goes back to the system
(channels/memory.py), and the app loses its CORS middleware and discarded access log, no use
for the web fronts' calls (channels/sanic_app.py).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from rasa.core import lock_store as rasa_lock_store
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.shared.core.events import BotUttered, Event, UserUttered
from rasa.shared.utils.io import read_yaml_file
from sanic import response
from sanic.request import Request

from bot.core.payloads import CHANNEL_SECRET_HEADER, DELIVERY_KEY, as_plain_text, is_intent_payload
from bot.french.text import well_formed
from bot.settings import load_settings
from channels import action_client, action_validation, memory, sanic_app
from channels.tracker_store import CURRENT_TURN, TurnOutcome

logger = logging.getLogger(__name__)

DOMAIN_FILE = Path(__file__).resolve().parent.parent / "domain.yml"
APOLOGY_RESPONSE = "utter_erreur_technique"
MAX_SENDER_CHARS = 128
# A fact's question, as the editor lets one be written (the widget's messages are shorter).
MAX_PARSE_CHARS = 2000
# What the readiness check parses: any French greeting the model knows.
READINESS_TEXT = "bonjour"
# A parse that answered counts for this long: the checks of every web front and of the
# orchestrator then cost one parse a second at most.
READINESS_SECONDS = 1.0
# How often a message sent again asks whether the conversation's lock is free.
LOCK_WAIT_SECONDS = 0.1


def _apology_text(domain_file: Path = DOMAIN_FILE) -> str:
    domain = read_yaml_file(domain_file)
    return str(domain["responses"][APOLOGY_RESPONSE][0]["text"])


class Readiness:
    """Ready: Rasa's agent has its model and parses a message (a model that failed to load
    leaves Rasa running, every turn then unanswered)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.parsed_at: float | None = None

    async def ready(self, agent: Any) -> bool:
        if agent is None or not agent.is_ready():
            return False
        now = self.clock()
        if self.parsed_at is not None and now - self.parsed_at < READINESS_SECONDS:
            return True
        try:
            parsed = await agent.parse_message(READINESS_TEXT)
        except Exception:  # a broken model or pipeline: not ready, and said why in the log
            logger.exception("the readiness parse failed")
            return False
        if not (parsed.get("intent") or {}).get("name"):
            return False
        self.parsed_at = now
        return True


def stored_replies(events: Sequence[Event], message_id: str) -> list[dict[str, Any]] | None:
    """The bot messages stored after the user message ``message_id`` (up to the next user
    message), as Rasa sent them to the channel; None when no stored user message has that id."""
    replies: list[dict[str, Any]] | None = None
    for event in events:
        if isinstance(event, UserUttered):
            if replies is not None:
                break
            if event.message_id == message_id:
                replies = []
        elif replies is not None and isinstance(event, BotUttered):
            replies.append(event.message())
    return replies


def take_delivery(message: UserMessage) -> tuple[str, bool] | None:
    """The message's id and whether it is sent again, removed from its (trusted) metadata."""
    delivery = message.metadata.pop(DELIVERY_KEY, None) if isinstance(message.metadata, dict) else None
    if not isinstance(delivery, dict) or not isinstance(delivery.get("id"), str) or not delivery["id"]:
        return None
    return delivery["id"], delivery.get("again") is True


class AggloRestInput(RestInput):
    """``POST /webhooks/rest/webhook``, never silent."""

    def __init__(self, secret: str | None = None) -> None:
        super().__init__()
        self.apology = _apology_text()
        # No secret configured: nobody is trusted, every request is a resident's.
        self.secret = secret if secret is not None else load_settings().channel_secret
        self.readiness = Readiness()
        # Rasa's agent, from the server's app once it has started (the webhook's handler only
        # gets the message).
        self.agent: Callable[[], Any] = lambda: None
        self.action_endpoint: action_client.KeptSessionEndpoint | None = None
        action_validation.install()

    def trusted(self, request: Request) -> bool:
        """The request comes from the web front, which holds the shared secret."""
        given = request.headers.get(CHANNEL_SECRET_HEADER, "")
        return bool(self.secret) and hmac.compare_digest(given.encode(), self.secret.encode())

    def get_metadata(self, request: Request) -> dict[str, Any] | None:
        metadata = request.json.get("metadata")
        return metadata if self.trusted(request) and isinstance(metadata, dict) else None

    def _extract_message(self, req: Request) -> str | None:
        text = req.json.get("message")
        if not isinstance(text, str):
            return None
        text = well_formed(text)
        return as_plain_text(text) if is_intent_payload(text) and not self.trusted(req) else text

    @classmethod
    def name(cls) -> str:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> AggloRestInput:
        return cls()

    async def _answer_or_apologise(
        self,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        message: UserMessage,
        collector: CollectingOutputChannel,
    ) -> None:
        """The turn's answer, or the apology when there is none or it could not be trusted:
        a failed lock store (Redis down) raises here, and a failed tracker store (the database
        down) would otherwise answer from an empty conversation and store nothing."""
        outcome = TurnOutcome()
        token = CURRENT_TURN.set(outcome)
        failed = False
        try:
            await on_new_message(message)
        except Exception:  # the lock store, the tracker store, an action: the resident is told
            logger.exception("the turn could not be handled")
            failed = True
        finally:
            CURRENT_TURN.reset(token)
        if failed or outcome.store_failed:
            collector.messages.clear()
        if not collector.messages:
            await collector.send_text_message(message.sender_id, self.apology)
            await collector.send_custom_json(
                message.sender_id, {"topic": "contact", "sources": [], "commune": None, "contact": True}
            )

    async def answered_before(self, message: UserMessage) -> list[dict[str, Any]] | None:
        """What the stored conversation answered to ``message`` (by its id), once no turn of the
        conversation runs anywhere; None when it was not stored (never handled)."""
        agent = self.agent()
        if agent is None or agent.lock_store is None or agent.tracker_store is None:
            raise RuntimeError("no agent to look the message up with")
        # The dead instance's ticket lives up to LOCK_LIFETIME after it was issued, maybe a
        # moment before this one. Rasa waits for ever when a waiter's own ticket expires by the
        # same check as the one ahead of it: this ticket lives twice as long, and the wait is
        # bounded (then the apology).
        lifetime = 2 * rasa_lock_store.LOCK_LIFETIME

        async def look() -> Any:
            async with agent.lock_store.lock(
                message.sender_id, lock_lifetime=lifetime, wait_time_in_seconds=LOCK_WAIT_SECONDS
            ):
                return await agent.tracker_store.retrieve(message.sender_id)

        tracker = await asyncio.wait_for(look(), timeout=lifetime)
        outcome = CURRENT_TURN.get()
        if outcome is not None and outcome.store_failed:  # Rasa's FailSafeTrackerStore said None
            raise RuntimeError("the tracker store failed: whether the message was handled is unknown")
        return None if tracker is None else stored_replies(list(tracker.events), message.message_id)

    def once(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Callable[[UserMessage], Awaitable[Any]]:
        """``on_new_message`` for a message that may have been handled already: the stored
        answer when it was, the turn otherwise."""

        async def handle(message: UserMessage) -> None:
            replies = await self.answered_before(message)
            if replies is None:
                await on_new_message(message)
                return
            logger.info(
                "message %s of %s was handled before its instance broke off", message.message_id, message.sender_id
            )
            for reply in replies:
                await message.output_channel.send_response(message.sender_id, reply)

        return handle

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Any:
        async def guarded(message: UserMessage) -> None:
            handler = on_new_message
            delivery = take_delivery(message)
            if delivery is not None:
                message.message_id, again = delivery
                if again:
                    handler = self.once(on_new_message)
            collector = message.output_channel
            # Only the plain collector: the streaming variant sends its messages as they come.
            if type(collector) is CollectingOutputChannel:
                await self._answer_or_apologise(handler, message, collector)
            else:
                await handler(message)

        async def remember_agent(app: Any, loop: Any) -> None:
            self.agent = lambda: getattr(app.ctx, "agent", None)

        async def keep_action_connections(app: Any, loop: Any) -> None:
            # The model is loaded (before the server started): its calls to the action server
            # keep their connections (channels/action_client.py).
            self.action_endpoint = action_client.install(getattr(app.ctx, "agent", None))

        async def close_action_session(app: Any, loop: Any) -> None:
            if self.action_endpoint is not None:
                await self.action_endpoint.close()

        async def lighten_app(app: Any, loop: Any) -> None:
            # Rasa's CORS middleware and discarded access log, for nothing on every message.
            sanic_app.lighten(app)

        async def release_memory(app: Any, loop: Any) -> None:
            # The model is loaded before the server starts: what loading freed can go back.
            memory.release_freed_memory()

        async def reject_bad_body(request: Request) -> Any:
            if request.method == "POST" and request.path.endswith("/webhook"):
                problem = body_problem(request.json)
                if problem is not None:
                    return response.json({"error": problem}, status=400)
            return None

        async def ready(request: Request) -> Any:
            if await self.readiness.ready(getattr(request.app.ctx, "agent", None)):
                return response.json({"status": "ready"})
            return response.json({"status": "loading"}, status=503)

        async def parse(request: Request) -> Any:
            # What the model makes of a message, for the editor's preview: the web front only.
            if not self.trusted(request):
                return response.json({"error": "forbidden"}, status=403)
            body = request.json
            message = body.get("message") if isinstance(body, dict) else None
            if not isinstance(message, str) or not message.strip() or len(message) > MAX_PARSE_CHARS:
                return response.json({"error": "invalid_message"}, status=400)
            agent = getattr(request.app.ctx, "agent", None)
            if agent is None or not agent.is_ready():
                return response.json({"status": "loading"}, status=503)
            parsed = await agent.parse_message(well_formed(message))
            entities = {item["entity"]: item["value"] for item in reversed(parsed.get("entities") or [])}
            intent = parsed.get("intent") or {}
            return response.json(
                {"intent": intent.get("name") or "", "confidence": intent.get("confidence"), "entities": entities}
            )

        blueprint = super().blueprint(guarded)
        blueprint.add_route(ready, "/ready", methods=["GET"])
        blueprint.add_route(parse, "/parse", methods=["POST"])
        blueprint.middleware(reject_bad_body, "request")
        blueprint.listener(remember_agent, "after_server_start")
        blueprint.listener(keep_action_connections, "after_server_start")
        blueprint.listener(close_action_session, "before_server_stop")
        blueprint.listener(release_memory, "after_server_start")
        blueprint.listener(lighten_app, "after_server_start")
        return blueprint


def body_problem(body: Any) -> str | None:
    """Why a webhook body cannot be answered, or None when it can."""
    if not isinstance(body, dict):
        return "json_object_expected"
    sender, message = body.get("sender"), body.get("message")
    if not isinstance(sender, str) or not sender.strip() or len(sender) > MAX_SENDER_CHARS:
        return "invalid_sender"
    if not isinstance(message, str):
        return "invalid_message"
    return None
