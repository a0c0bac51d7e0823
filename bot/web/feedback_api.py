"""``POST /api/feedback``: a resident's 👍 / 👎 on an answer, with an optional comment."""

from __future__ import annotations

import re

from aiohttp import web

from bot.french.text import well_formed
from bot.stores.feedback import RATINGS
from bot.web.common import FEEDBACK, SETTINGS, json_error, json_object, off_loop

TOPIC_SLUG = re.compile(r"[a-z0-9_]{1,64}")


async def feedback(request: web.Request) -> web.StreamResponse:
    data = await json_object(request)
    if isinstance(data, web.Response):
        return data
    settings = request.app[SETTINGS]
    rating, message, answer = data.get("rating"), data.get("message"), data.get("answer")
    comment, topic = data.get("comment"), data.get("topic")
    if rating not in RATINGS:
        return json_error(400, "invalid_rating")
    if not isinstance(message, str) or not isinstance(answer, str) or not answer.strip():
        return json_error(400, "invalid_feedback")
    if comment is not None and not isinstance(comment, str):
        return json_error(400, "invalid_feedback")
    if comment is not None and len(comment) > settings.max_comment_chars:
        return json_error(413, "comment_too_long", limit=settings.max_comment_chars)
    await off_loop(
        request.app[FEEDBACK].add,
        rating=str(rating),
        message=well_formed(message[: settings.max_message_chars]),
        answer=well_formed(answer),
        topic=topic if isinstance(topic, str) and TOPIC_SLUG.fullmatch(topic) else None,
        comment=well_formed(comment.strip()) if comment else None,
    )
    return web.json_response({"status": "stored"}, status=201)
