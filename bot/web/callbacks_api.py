"""``POST /api/callback``: a resident asks to be called back by an agent (the widget's form);
``GET /api/communes``: the member communes, for the form's list.

The request is stored only with the resident's explicit consent (``"consent": true``). Every
refusal is a 400 (429 for too many requests) with a French ``message`` per field, from
``kb/messages.yml`` (``callback.errors``), never a 5xx for what the resident typed.

Limits: per conversation and per contact (counted in the database, so every web front and a
restart see them) and per address (in this front's memory; nginx also limits each address in
production). Nothing of the request is logged but its reference.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any

import email_validator
import phonenumbers
from aiohttp import web

from bot.core.services import Services
from bot.french.text import fold, well_formed
from bot.stores.callbacks import MAX_NAME_CHARS, MAX_QUESTION_CHARS
from bot.web.chat import SENDER
from bot.web.common import CALLBACKS, SERVICES, json_error, json_object, off_loop
from bot.web.feedback_api import TOPIC_SLUG
from bot.web.limits import MovingWindow, client_address

logger = logging.getLogger(__name__)

PER_CONVERSATION = 3
PER_CONTACT = 3
PER_CONTACT_WINDOW = dt.timedelta(days=1)
PER_ADDRESS, PER_ADDRESS_SECONDS = 10, 3600
ADDRESS_LIMIT = web.AppKey("callback_address_limit", MovingWindow)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def setup(app: web.Application) -> None:
    app[ADDRESS_LIMIT] = MovingWindow(PER_ADDRESS, PER_ADDRESS_SECONDS)
    app.router.add_post("/api/callback", callback)
    app.router.add_get("/api/communes", communes)


def normalise_contact(text: str) -> tuple[str, str] | None:
    """``(contact, kind)``: a phone number written the French way (or internationally, with
    ``+``), or an e-mail address, normalised; None when it is neither."""
    text = text.strip()
    if "@" in text:
        try:
            found = email_validator.validate_email(text, check_deliverability=False)
        except email_validator.EmailNotValidError:
            return None
        return str(found.normalized), "email"
    try:
        number = phonenumbers.parse(text, "FR")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    style = phonenumbers.PhoneNumberFormat
    national = number.country_code == 33
    return phonenumbers.format_number(number, style.NATIONAL if national else style.INTERNATIONAL), "phone"


def _commune(services: Services, text: str, errors: dict[str, str]) -> dict[str, str] | None:
    """The member commune the resident chose (its name typed in any spelling), else an error."""
    messages = services.kb.message("callback")["errors"]
    match = services.communes.find(text) if text else None
    if match is None:
        errors["commune"] = messages["commune_unknown"]
        return None
    if match.commune is None:
        names = ", ".join(commune.name for commune in match.candidates)
        errors["commune"] = messages["commune_ambiguous"].format(text=text, names=names)
        return None
    if not match.commune.is_member:
        errors["commune"] = messages["commune_not_member"].format(commune=match.commune.name)
        return None
    return {"insee": match.commune.insee, "name": match.commune.name}


def _text(data: dict[str, Any], name: str) -> str:
    value = data.get(name)
    return well_formed(value).strip() if isinstance(value, str) else ""


async def callback(request: web.Request) -> web.StreamResponse:
    data = await json_object(request)
    if isinstance(data, web.Response):
        return data
    services = request.app[SERVICES]
    messages = services.kb.message("callback")
    wording: dict[str, str] = messages["errors"]
    errors: dict[str, str] = {}
    sender = data.get("sender")
    if not isinstance(sender, str) or not SENDER.fullmatch(sender):
        errors["sender"] = wording["sender"]
    name = _text(data, "name")
    if not name or len(name) > MAX_NAME_CHARS or _CONTROL.search(name):
        errors["name"] = wording["name"]
    contact = normalise_contact(_text(data, "contact"))
    if contact is None:
        errors["contact"] = wording["contact"]
    commune = _commune(services, _text(data, "commune"), errors)
    question = _text(data, "question")
    if not question or len(question) > MAX_QUESTION_CHARS:
        errors["question"] = wording["question"]
    if data.get("consent") is not True:
        errors["consent"] = wording["consent"]
    if errors or contact is None or commune is None or not isinstance(sender, str):
        return json_error(400, "invalid_callback", message=next(iter(errors.values())), errors=errors)

    conversation = f"web-{sender}"
    store = request.app[CALLBACKS]
    since = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) - PER_CONTACT_WINDOW
    too_many = (
        await off_loop(store.count_since, since, conversation=conversation) >= PER_CONVERSATION
        or await off_loop(store.count_since, since, contact=contact[0]) >= PER_CONTACT
        or not request.app[ADDRESS_LIMIT].hit(client_address(request))
    )
    if too_many:
        return json_error(429, "too_many_callbacks", message=wording["too_many"])
    topic = data.get("topic")
    stored = await off_loop(
        store.add,
        name=name,
        contact=contact[0],
        contact_kind=contact[1],
        commune_insee=commune["insee"],
        question=question,
        topic=topic if isinstance(topic, str) and TOPIC_SLUG.fullmatch(topic) else None,
        conversation=conversation,
    )
    logger.info("%s stored", stored.log_label())
    return web.json_response(
        {
            "reference": stored.reference,
            "confirmation": messages["confirmation"].format(reference=stored.reference),
            "delay": messages["delay"],
        },
        status=201,
    )


async def communes(request: web.Request) -> web.StreamResponse:
    """The Agglo's communes by name, for the form's list (public data from kb/communes.csv)."""
    members = request.app[SERVICES].kb.communes(members_only=True)
    listed = sorted(({"insee": c.insee, "name": c.name} for c in members), key=lambda c: fold(c["name"]))
    return web.json_response(listed, headers={"Cache-Control": "public, max-age=3600"})
