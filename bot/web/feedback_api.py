"""``POST /api/feedback``: a resident's 👍 / 👎 on an answer; a 👎 with what was wrong (a reason
of :data:`bot.stores.feedback.REASONS`) and an optional comment; the answer's fact ids."""

from __future__ import annotations

import re

from aiohttp import web

from bot.french.text import well_formed
from bot.stores.feedback import RATINGS, REASONS, clean_facts
from bot.web.common import FEEDBACK, MAX_COMMENT_CHARS, MAX_MESSAGE_CHARS, json_error, json_object, off_loop

TOPIC_SLUG = re.compile(r"[a-z0-9_]{1,64}")


async def feedback(request: web.Request) -> web.StreamResponse:
    data = await json_object(request)
    if isinstance(data, web.Response):
        return data
    rating, message, answer = data.get("rating"), data.get("message"), data.get("answer")
    comment, topic = data.get("comment"), data.get("topic")
    if rating not in RATINGS:
        return json_error(400, "invalid_rating")
    if not isinstance(message, str) or not isinstance(answer, str) or not answer.strip():
        return json_error(400, "invalid_feedback")
    if comment is not None and not isinstance(comment, str):
        return json_error(400, "invalid_feedback")
    if comment is not None and len(comment) > MAX_COMMENT_CHARS:
        return json_error(413, "comment_too_long", limit=MAX_COMMENT_CHARS)
    reason = data.get("reason")
    if reason is not None and (rating != "down" or reason not in REASONS):
        return json_error(400, "invalid_reason", allowed=list(REASONS))
    await off_loop(
        request.app[FEEDBACK].add,
        rating=str(rating),
        message=well_formed(message[:MAX_MESSAGE_CHARS]),
        answer=well_formed(answer),
        topic=topic if isinstance(topic, str) and TOPIC_SLUG.fullmatch(topic) else None,
        comment=well_formed(comment.strip()) if comment else None,
        reason=reason,
        facts=clean_facts(data.get("facts")),
    )
    return web.json_response({"status": "stored"}, status=201)
