"""The web server: chat proxy limits, CORS, the console's login wall, feedback and escaping."""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp.test_utils import TestClient
from sqlalchemy import create_engine, inspect

from bot.core.services import Services
from bot.kb.build import build
from bot.settings import PROJECT_ROOT, Settings
from bot.web.auth import LOGIN_CSRF_COOKIE, SESSION_COOKIE
from bot.web.common import MAX_MESSAGE_CHARS
from tests.conftest import make_settings
from tests.unit.web.conftest import (
    AGENT,
    ALLOWED_ORIGIN,
    PASSWORD,
    FakeRasa,
    closed_port,
    feedback_store,
    log_in,
    login_form_token,
    with_rasa,
)

SENDER = "w0123456789abcdef"
CONSOLE_PAGES = (
    "/console",
    "/console/search?q=permis",
    "/console/topic/permis_de_louer",
    "/console/commune?q=vermelles",
)
XSS = '<script>window.pwned = 1</script><img src=x onerror="window.pwned = 1">'


def chat_body(message: str, **extra: Any) -> dict[str, Any]:
    return {"sender": SENDER, "message": message, **extra}


# Chat proxy -----------------------------------------------------------------------------------
async def test_a_message_is_passed_to_rasa_and_its_replies_returned(client: TestClient, fake_rasa: FakeRasa) -> None:
    response = await client.post("/api/chat", json=chat_body("c'est quoi la mutuelle pour tous"))
    assert response.status == 200
    assert await response.json() == fake_rasa.reply
    assert fake_rasa.received == [
        {"sender": f"web-{SENDER}", "message": "c'est quoi la mutuelle pour tous", "metadata": {}}
    ]


async def test_message_length_is_capped(client: TestClient, fake_rasa: FakeRasa, web_settings: Settings) -> None:
    cap = MAX_MESSAGE_CHARS
    refused = await client.post("/api/chat", json=chat_body("a" * (cap + 1)))
    assert refused.status == 413
    assert await refused.json() == {"error": "message_too_long", "limit": cap}
    assert fake_rasa.received == []
    accepted = await client.post("/api/chat", json=chat_body("a" * cap))
    assert accepted.status == 200
    # The widget holds the polite French wording for that error code.
    widget = (PROJECT_ROOT / "bot/web/static/widget.js").read_text(encoding="utf-8")
    assert "Pourriez-vous le raccourcir" in widget


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"sender": "short", "message": "bonjour"}, "invalid_sender"),
        ({"sender": "../../../etc/passwd", "message": "bonjour"}, "invalid_sender"),
        ({"sender": SENDER, "message": "   "}, "empty_message"),
        ({"sender": SENDER, "message": 42}, "empty_message"),
    ],
)
async def test_malformed_chat_requests_are_refused(client: TestClient, body: dict[str, Any], code: str) -> None:
    response = await client.post("/api/chat", json=body)
    assert response.status == 400
    assert (await response.json())["error"] == code


async def test_chat_needs_json(client: TestClient) -> None:
    response = await client.post("/api/chat", data="sender=x&message=y")
    assert response.status == 415


async def test_rasa_unreachable_gives_503_json(make_client: Callable[..., Any], web_settings: Settings) -> None:
    client = await make_client(with_rasa(web_settings, f"http://127.0.0.1:{closed_port()}"))
    response = await client.post("/api/chat", json=chat_body("bonjour"))
    assert response.status == 503
    assert await response.json() == {"error": "rasa_unreachable"}


async def test_an_empty_reply_from_rasa_is_never_passed_on_as_silence(client: TestClient, fake_rasa: FakeRasa) -> None:
    # A turn cut short inside Rasa (its REST channel answers [] on a cancelled turn): nginx
    # turns the 502 into the assistant's apology.
    fake_rasa.reply = []
    response = await client.post("/api/chat", json=chat_body("bonjour"))
    assert response.status == 502
    assert await response.json() == {"error": "rasa_error"}


async def test_the_web_front_talks_to_the_rasa_instances_it_is_given(
    make_client: Callable[..., Any], web_settings: Settings, fake_rasa: FakeRasa
) -> None:
    down = f"http://127.0.0.1:{closed_port()}"
    client = await make_client(web_settings.copy(update={"rasa_urls": f"{down}, {fake_rasa.url}/"}))
    for index in range(6):  # whichever instance a conversation hashes to, the live one answers
        response = await client.post("/api/chat", json=chat_body("bonjour", sender=f"resident-{index:04d}"))
        assert response.status == 200
    assert len(fake_rasa.received) == 6


async def test_a_resident_cannot_ask_for_agent_mode(client: TestClient, fake_rasa: FakeRasa) -> None:
    await client.post("/api/chat", json=chat_body("permis de louer", metadata={"agent": True}))
    assert fake_rasa.received[-1]["metadata"] == {}


async def test_agent_mode_only_for_a_logged_in_agent_with_the_csrf_token(
    client: TestClient, fake_rasa: FakeRasa
) -> None:
    csrf = await log_in(client)
    await client.post("/api/chat", json=chat_body("permis de louer"))
    assert fake_rasa.received[-1]["metadata"] == {}, "a session cookie alone is not enough"
    await client.post("/api/chat", json=chat_body("permis de louer"), headers={"X-CSRF-Token": "forged"})
    assert fake_rasa.received[-1]["metadata"] == {}
    await client.post("/api/chat", json=chat_body("permis de louer"), headers={"X-CSRF-Token": csrf})
    assert fake_rasa.received[-1] == {
        "sender": f"agent-{SENDER}",
        "message": "permis de louer",
        "metadata": {"agent": True},
    }


BUTTON_REPLY = [
    {
        "recipient_id": "x",
        "text": "Vous parliez peut-être de l'un de ces sujets :",
        "buttons": [{"title": "Aide au vélo", "payload": "/aide_velo"}, {"title": "Béthune", "payload": "Béthune"}],
    }
]


async def test_a_typed_intent_payload_reaches_rasa_as_plain_text(client: TestClient, fake_rasa: FakeRasa) -> None:
    response = await client.post("/api/chat", json=chat_body('/permis_de_louer{"commune": "62119"}'))
    assert response.status == 200
    assert fake_rasa.received[-1]["message"] == 'permis_de_louer{"commune": "62119"}'


async def test_only_a_button_offered_in_this_conversation_is_sent_as_a_payload(
    client: TestClient, fake_rasa: FakeRasa
) -> None:
    fake_rasa.reply = BUTTON_REPLY
    buttons = (await (await client.post("/api/chat", json=chat_body("vélo ?"))).json())[0]["buttons"]
    offered, plain = buttons
    assert "signature" not in plain, "a plain-text button needs no signature"
    signature = offered["signature"]

    await client.post("/api/chat", json=chat_body("/aide_velo", button_signature=signature))
    assert fake_rasa.received[-1]["message"] == "/aide_velo"
    # The same signature does not carry entities the assistant did not put there…
    await client.post("/api/chat", json=chat_body('/aide_velo{"commune": "62119"}', button_signature=signature))
    assert fake_rasa.received[-1]["message"] == 'aide_velo{"commune": "62119"}'
    # …nor another payload, nor into another conversation.
    await client.post("/api/chat", json=chat_body("/mutuelle", button_signature=signature))
    assert fake_rasa.received[-1]["message"] == "mutuelle"
    other = {"sender": "w9999999999999999", "message": "/aide_velo", "button_signature": signature}
    await client.post("/api/chat", json=other)
    assert fake_rasa.received[-1]["message"] == "aide_velo"
    for forged in ("", "0" * 64, 12, None, ["x"]):
        await client.post("/api/chat", json=chat_body("/aide_velo", button_signature=forged))
        assert fake_rasa.received[-1]["message"] == "aide_velo"


async def test_slashes_alone_are_an_empty_message(client: TestClient, fake_rasa: FakeRasa) -> None:
    response = await client.post("/api/chat", json=chat_body(" /// "))
    assert response.status == 400
    assert await response.json() == {"error": "empty_message"}
    assert fake_rasa.received == []


async def test_the_channel_secret_goes_to_rasa_only_from_the_server(
    make_client: Callable[..., Any], web_settings: Settings, fake_rasa: FakeRasa
) -> None:
    secret = secrets.token_urlsafe(16)
    client = await make_client(web_settings.copy(update=dict(channel_secret=secret)))
    await client.post("/api/chat", json=chat_body("bonjour"))
    assert fake_rasa.headers[-1]["X-Agglo-Channel-Secret"] == secret
    assert secret not in await (await client.post("/api/chat", json=chat_body("bonjour"))).text()


# CORS -----------------------------------------------------------------------------------------
async def test_a_foreign_origin_is_refused(client: TestClient, fake_rasa: FakeRasa) -> None:
    foreign = {"Origin": "https://evil.example"}
    response = await client.post("/api/chat", json=chat_body("bonjour"), headers=foreign)
    assert response.status == 403
    assert "Access-Control-Allow-Origin" not in response.headers
    assert fake_rasa.received == []
    feedback = await client.post("/api/feedback", json={"rating": "up", "message": "m", "answer": "a"}, headers=foreign)
    assert feedback.status == 403
    preflight = await client.options("/api/chat", headers={**foreign, "Access-Control-Request-Method": "POST"})
    assert preflight.status == 403
    assert "Access-Control-Allow-Origin" not in preflight.headers
    script = await client.get("/widget.js", headers=foreign)
    assert "Access-Control-Allow-Origin" not in script.headers


async def test_a_configured_origin_is_allowed(client: TestClient) -> None:
    allowed = {"Origin": ALLOWED_ORIGIN}
    preflight = await client.options(
        "/api/chat",
        headers={**allowed, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"},
    )
    assert preflight.status == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    response = await client.post("/api/chat", json=chat_body("bonjour"), headers=allowed)
    assert response.status == 200
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert response.headers["Vary"] == "Origin"


async def test_the_servers_own_pages_are_same_origin(client: TestClient) -> None:
    own = f"http://{client.host}:{client.port}"
    response = await client.post("/api/chat", json=chat_body("bonjour"), headers={"Origin": own})
    assert response.status == 200


# Console --------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", CONSOLE_PAGES)
async def test_anonymous_visitors_are_sent_to_the_login_page(client: TestClient, path: str) -> None:
    response = await client.get(path, allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"].startswith("/console/login?next=")
    assert "Permis" not in await response.text()


async def test_wrong_password_or_unknown_agent_is_refused(client: TestClient) -> None:
    for name, password in ((AGENT, "not the password at all"), ("nobody", PASSWORD), (AGENT, "")):
        token = await login_form_token(client)
        response = await client.post(
            "/console/login", data={"csrf": token, "name": name, "password": password}, allow_redirects=False
        )
        assert response.status == 401
        assert "Identifiant ou mot de passe incorrect" in await response.text()
        assert SESSION_COOKIE not in response.cookies
    still_anonymous = await client.get("/console", allow_redirects=False)
    assert still_anonymous.status == 303


async def test_login_needs_the_forms_csrf_token(client: TestClient) -> None:
    await login_form_token(client)
    response = await client.post(
        "/console/login", data={"csrf": "forged", "name": AGENT, "password": PASSWORD}, allow_redirects=False
    )
    assert response.status == 400
    assert SESSION_COOKIE not in response.cookies


async def test_login_sets_a_strict_http_only_session_cookie(client: TestClient) -> None:
    token = await login_form_token(client)
    response = await client.post(
        "/console/login",
        data={"csrf": token, "name": AGENT.upper(), "password": PASSWORD, "next": "/console/topic/mutuelle"},
        allow_redirects=False,
    )
    assert response.status == 303
    assert response.headers["Location"] == "/console/topic/mutuelle"
    cookie = response.cookies[SESSION_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == "/"
    assert response.cookies[LOGIN_CSRF_COOKIE].value == ""  # the login token is spent
    for path in CONSOLE_PAGES:
        page = await client.get(path, allow_redirects=False)
        assert page.status == 200, path
        assert page.headers["Cache-Control"] == "no-store"


async def test_login_never_redirects_off_the_console(client: TestClient) -> None:
    token = await login_form_token(client)
    response = await client.post(
        "/console/login",
        data={"csrf": token, "name": AGENT, "password": PASSWORD, "next": "//evil.example/console"},
        allow_redirects=False,
    )
    assert response.headers["Location"] == "/console"


async def test_logout_needs_the_csrf_token_and_ends_the_session(client: TestClient) -> None:
    csrf = await log_in(client)
    refused = await client.post("/console/logout", data={"csrf": "forged"}, allow_redirects=False)
    assert refused.status == 403
    assert (await client.get("/console", allow_redirects=False)).status == 200
    response = await client.post("/console/logout", data={"csrf": csrf}, allow_redirects=False)
    assert response.status == 303
    assert (await client.get("/console", allow_redirects=False)).status == 303


async def test_a_removed_agent_is_locked_out_at_once(
    make_client: Callable[..., Any], web_settings: Settings, tmp_path: Path
) -> None:
    agents_file = tmp_path / "agents.yml"
    shutil.copy(web_settings.agents_file, agents_file)
    client = await make_client(web_settings.copy(update=dict(agents_file=agents_file)))
    await log_in(client)
    agents_file.write_text(yaml.safe_dump({"agents": {}}), encoding="utf-8")
    assert (await client.get("/console", allow_redirects=False)).status == 303


async def test_console_shows_the_complete_fiche(client: TestClient) -> None:
    await log_in(client)
    page = await (await client.get("/console/topic/aide_recuperateur_eau")).text()
    assert "Confiance faible – à vérifier" in page
    assert "À vérifier" in page
    assert "vérifiée le" in page
    assert 'data-action="print"' in page
    fiche = await (await client.get("/console/topic/permis_de_louer")).text()
    assert "Vermelles" in fiche and "62846" in fiche  # the commune rules table
    missing = await client.get("/console/topic/no_such_topic")
    assert missing.status == 404


async def test_console_search_and_commune_lookup(client: TestClient) -> None:
    await log_in(client)
    results = await (await client.get("/console/search", params={"q": "permis de loué"})).text()
    assert "/console/topic/permis_de_louer" in results
    commune = await (await client.get("/console/commune", params={"q": "vermeles"})).text()
    assert "Règles pour Vermelles" in commune and "62846" in commune
    gosnay = await (await client.get("/console/commune", params={"q": "Gosnay"})).text()
    assert "ne figure pas dans la liste" in gosnay


# Feedback -------------------------------------------------------------------------------------
async def test_feedback_is_stored_with_nothing_about_the_person(client: TestClient, web_settings: Settings) -> None:
    response = await client.post(
        "/api/feedback",
        json={
            "rating": "down",
            "comment": "  Il manquait le montant.  ",
            "topic": "aide_velo",
            "message": "combien pour un vélo ?",
            "answer": "Je n'ai pas d'information vérifiée sur le montant.",
            "reason": "incomplet",
            "facts": ["velo_principe", "<script>", 3],
            # Sent by a client on purpose: none of it may be stored.
            "sender": SENDER,
            "email": "jean@example.org",
        },
        headers={"X-Forwarded-For": "203.0.113.7", "User-Agent": "Test/1.0"},
    )
    assert response.status == 201
    rows = feedback_store(web_settings).all()
    assert len(rows) == 1
    row = rows[0]
    assert (row.rating, row.comment, row.topic) == ("down", "Il manquait le montant.", "aide_velo")
    assert (row.reason, row.facts) == ("incomplet", ["velo_principe"])
    assert (row.message, row.answer) == (
        "combien pour un vélo ?",
        "Je n'ai pas d'information vérifiée sur le montant.",
    )
    engine = create_engine(web_settings.feedback_database_url)
    columns = {column["name"] for column in inspect(engine).get_columns("feedback")}
    assert columns == {"id", "created_at", "rating", "comment", "topic", "message", "answer", "reason", "facts"}
    stored = " ".join(str(value) for value in row.__dict__.values())
    for personal in (SENDER, "jean@example.org", "203.0.113.7", "127.0.0.1", "Test/1.0"):
        assert personal not in stored


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"rating": "meh", "message": "m", "answer": "a"}, 400),
        ({"rating": "up", "message": "m"}, 400),
        ({"rating": "down", "message": "m", "answer": "a", "comment": "x" * 1001}, 413),
        ({"rating": "down", "message": "m", "answer": "a", "comment": 12}, 400),
        ({"rating": "down", "message": "m", "answer": "a", "reason": "nul"}, 400),
        ({"rating": "up", "message": "m", "answer": "a", "reason": "inexact"}, 400),
    ],
)
async def test_bad_feedback_is_refused(
    client: TestClient, web_settings: Settings, body: dict[str, Any], status: int
) -> None:
    response = await client.post("/api/feedback", json=body)
    assert response.status == status
    assert feedback_store(web_settings).all() == []


async def test_an_unknown_topic_is_not_stored(client: TestClient, web_settings: Settings) -> None:
    await client.post("/api/feedback", json={"rating": "up", "message": "m", "answer": "a", "topic": "<b>x</b>"})
    assert feedback_store(web_settings).all()[0].topic is None


# Pages and headers ----------------------------------------------------------------------------
async def test_demo_page_embeds_the_widget_with_one_tag(client: TestClient) -> None:
    response = await client.get("/")
    page = await response.text()
    assert '<script src="/widget.js" defer></script>' in page
    assert "&lt;script src=&#34;http://" in page  # the snippet to copy, shown as text
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    for asset in ("/widget.js", "/widget.css", "/static/console.css", "/static/console.js", "/static/demo.css"):
        assert (await client.get(asset)).status == 200, asset


async def test_healthz(client: TestClient) -> None:
    response = await client.get("/healthz")
    assert await response.json() == {"status": "ok"}


# Escaping -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def hostile_services(tmp_path_factory: pytest.TempPathFactory) -> Services:
    """A knowledge base whose topic title and fact text carry markup."""
    root = tmp_path_factory.mktemp("hostile")
    kb_dir = root / "kb"
    shutil.copytree(PROJECT_ROOT / "kb", kb_dir)
    topic_file = kb_dir / "topics" / "mutuelle.yml"
    data = yaml.safe_load(topic_file.read_text(encoding="utf-8"))
    data["title"] = f"Mutuelle {XSS}"
    data["facts"][0]["text"] = f"Texte {XSS}"
    topic_file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    settings = make_settings(root, kb_dir)
    build(settings)
    return Services(settings)


async def test_markup_in_the_knowledge_base_or_the_query_is_escaped(
    make_client: Callable[..., Any], hostile_services: Services
) -> None:
    client = await make_client(app_services=hostile_services)
    await log_in(client)
    pages = [
        await (await client.get("/console/topic/mutuelle")).text(),
        await (await client.get("/console")).text(),
        await (await client.get("/console/search", params={"q": f"mutuelle {XSS}"})).text(),
        await (await client.get("/console/commune", params={"q": XSS})).text(),
    ]
    for page in pages:
        assert "<script>window.pwned" not in page
        assert "<img src=x" not in page
        assert "&lt;script&gt;window.pwned = 1&lt;/script&gt;" in page


async def test_personal_data_in_feedback_is_masked_before_it_is_stored(
    client: TestClient, web_settings: Settings
) -> None:
    answer = "Contactez le standard au 03 21 61 50 00."
    response = await client.post(
        "/api/feedback",
        json={
            "rating": "down",
            "comment": "rappelez-moi au 06 12 34 56 78 ou à marie.durand@example.org, 12 rue de la Paix à Béthune",
            "message": "mon IBAN FR76 3000 6000 0112 3456 7890 189 et mon NIR 1 85 05 78 006 084 36",
            "answer": answer,
        },
    )
    assert response.status == 201
    row = feedback_store(web_settings).all()[0]
    assert row.comment == "rappelez-moi au [téléphone] ou à [e-mail], [adresse] à Béthune"
    assert row.message == "mon IBAN [IBAN] et mon NIR [n° de sécurité sociale]"
    assert row.answer == answer  # the assistant's own words are kept


async def test_an_unknown_charset_is_a_400_not_a_500(client: TestClient) -> None:
    for path in ("/api/chat", "/api/feedback"):
        response = await client.post(
            path,
            data=b'{"sender": "abcdefgh", "message": "x"}',
            headers={"Content-Type": "application/json; charset=nope"},
        )
        assert response.status == 400
        assert await response.json() == {"error": "invalid_json"}


async def test_a_lone_surrogate_never_reaches_rasa(client: TestClient, fake_rasa: FakeRasa) -> None:
    response = await client.post("/api/chat", json=chat_body("bonjour \ud800"))
    assert response.status == 200
    fake_rasa.received[-1]["message"].encode("utf-8")
