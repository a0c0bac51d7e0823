"""The editor's preview shows the truth: each question of the frozen evaluation set
(bench/eval/questions.yml, first turns, residents) previewed as the editor previews a fact's
questions, with what the language model makes of it, gets the very answer the live chat gives.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest

from bench.quality.conversations import QUESTIONS_SET, load_cases
from bot.core.payloads import CHANNEL_SECRET_HEADER
from bot.editing.service import preview_answer
from bot.kb.queries import KnowledgeBase
from bot.settings import load_settings
from bot.web.language_model import nlu_of
from ops.dev import DEFAULT_MODEL, Servers
from tests.integration.e2e.conftest import say

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not DEFAULT_MODEL.exists(), reason="no trained model: run `make train`"),
]


def _parse(servers: Servers, message: str, *, secret: str | None) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[CHANNEL_SECRET_HEADER] = secret
    body = json.dumps({"message": message}).encode()
    request = urllib.request.Request(f"{servers.config.rasa_url}/webhooks/rest/parse", data=body, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def test_only_the_web_front_may_ask_the_language_model(servers: Servers) -> None:
    assert _parse(servers, "bonjour", secret=None)[0] == 403
    assert _parse(servers, "bonjour", secret="not-the-secret")[0] == 403  # noqa: S106 - a wrong one
    assert _parse(servers, "", secret=servers.config.channel_secret)[0] == 400
    status, parsed = _parse(servers, "bonjour", secret=servers.config.channel_secret)
    assert status == 200 and nlu_of(parsed) is not None


def test_the_preview_of_each_frozen_question_is_the_chat_answer(servers: Servers) -> None:
    # The knowledge base the servers answer from (make kb).
    kb = KnowledgeBase(load_settings().database_url)
    questions = [case.turns[0].text for case in load_cases(QUESTIONS_SET) if not case.turns[0].metadata]
    compared = []
    for index, question in enumerate(questions):
        status, parsed = _parse(servers, question, secret=servers.config.channel_secret)
        assert status == 200, parsed
        preview = preview_answer(kb, message=question, nlu=nlu_of(parsed))
        if preview is None:
            continue  # about no topic: the editor shows no answer (the chat says it cannot help)
        chat = [message["text"] for message in say(servers, f"preview-{index}", question) if message.get("text")]
        assert preview.text == "\n\n".join(chat), question
        compared.append(question)
    assert len(compared) >= 0.8 * len(questions), "most of the frozen questions are about a topic"
