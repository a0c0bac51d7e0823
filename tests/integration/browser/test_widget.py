"""The residents' chat widget on the demo page, in Chromium, against the real servers."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, Request, Route, expect

from tests.integration.browser.conftest import ANSWER_TIMEOUT_MS, Stack, browser_marks, serious_accessibility_violations

pytestmark = browser_marks

LAUNCHER = "Une question ? Demandez à l'assistant"
# Messages that the current model does not understand well enough: the bot offers topics.
UNCLEAR_MESSAGES = ("zorglub wxcv", "renseignement", "une info svp")


def open_widget(page: Page) -> None:
    page.goto("/")
    page.get_by_role("button", name=LAUNCHER).click()
    expect(page.get_by_label("Votre question")).to_be_focused()


def answers(page: Page) -> Locator:
    """The bot's turns (the welcome message is the first)."""
    return page.locator(".agglo-chat__msg--bot")


def ask(page: Page, text: str) -> Locator:
    """Send ``text`` and wait for the answer; return that answer."""
    before = answers(page).count()
    box = page.get_by_label("Votre question")
    box.fill(text)
    box.press("Enter")
    expect(answers(page)).to_have_count(before + 1, timeout=ANSWER_TIMEOUT_MS)
    return answers(page).last


def sender_id(page: Page) -> str:
    return str(json.loads(page.evaluate("localStorage.getItem('agglo-chat:resident')"))["sender"])


def test_ask_a_question_and_see_the_sourced_answer(page: Page, artifacts: Path) -> None:
    open_widget(page)
    answer = ask(page, "quel formulaire pour le permis de louer ?")
    expect(answer).to_contain_text("15652*01")
    sources = answer.locator(".agglo-chat__sources")
    expect(sources).to_contain_text("vérifié le")
    # Collapsed under the answer; one click opens the list.
    expect(sources.get_by_role("link").first).to_be_hidden()
    sources.locator("summary").click()
    link = sources.get_by_role("link").first
    expect(link).to_be_visible()
    expect(link).to_have_attribute("href", re.compile(r"^https?://"))
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    expect(link).to_have_attribute("target", "_blank")
    # The answer's closing « Source : … » line is replaced by the structured list.
    expect(answer.locator(".agglo-chat__bubble")).not_to_contain_text("Source :")
    expect(answer.locator(".agglo-chat__bubble")).not_to_contain_text("Sources :")
    # Quick replies to the topic's other fields.
    expect(answer.get_by_role("button", name="Qui peut en bénéficier ?")).to_be_visible()
    expect(answer.get_by_role("button", name="Oui, cette réponse m'a aidé")).to_be_visible()
    answer.locator(".agglo-chat__feedback").scroll_into_view_if_needed()
    page.locator(".agglo-chat__panel").screenshot(path=artifacts / "widget.png")
    page.screenshot(path=artifacts / "widget-page.png")


def test_click_a_fallback_button(page: Page) -> None:
    open_widget(page)
    for message in UNCLEAR_MESSAGES:
        answer = ask(page, message)
        if answer.locator(".agglo-chat__choice").count():
            break
    else:
        pytest.fail(f"no suggestion buttons for any of {UNCLEAR_MESSAGES}")
    expect(answer.get_by_role("group", name="Suggestions")).to_be_visible()
    choice = answer.locator(".agglo-chat__choice").first
    title = choice.inner_text()
    before = answers(page).count()
    choice.click()
    # The button's title is shown as the resident's message; its payload goes to Rasa.
    expect(page.locator(".agglo-chat__msg--user").last).to_have_text(f"Vous : {title}")
    expect(answers(page)).to_have_count(before + 1, timeout=ANSWER_TIMEOUT_MS)
    topic_answer = answers(page).last
    expect(topic_answer).not_to_contain_text("Je n'ai pas bien compris")
    expect(topic_answer.locator(".agglo-chat__sources")).to_contain_text("vérifié le")


def test_the_conversation_survives_a_reload_and_can_be_reset(page: Page) -> None:
    open_widget(page)
    ask(page, "c'est quoi la mutuelle pour tous")
    sender = sender_id(page)
    page.reload()
    # Still open, same messages, same sender id.
    expect(page.locator(".agglo-chat__msg--user")).to_have_text(["Vous : c'est quoi la mutuelle pour tous"])
    expect(answers(page)).to_have_count(2)
    expect(answers(page).last).to_contain_text("mutuelle")
    assert sender_id(page) == sender
    page.get_by_role("button", name="Nouvelle conversation").click()
    expect(page.locator(".agglo-chat__msg--user")).to_have_count(0)
    expect(answers(page)).to_have_count(1)  # the welcome message only
    expect(page.get_by_text("Nouvelle conversation commencée.")).to_be_visible()
    assert sender_id(page) != sender
    page.reload()
    expect(page.locator(".agglo-chat__msg--user")).to_have_count(0)


def test_feedback_is_stored_in_the_database(page: Page, stack: Stack) -> None:
    open_widget(page)
    question = "c'est quoi la mutuelle pour tous"
    first = ask(page, question)
    first.get_by_role("button", name="Oui, cette réponse m'a aidé").click()
    expect(first.get_by_role("status")).to_have_text("Merci pour votre avis, il nous aide à améliorer l'assistant.")

    second = ask(page, "quel formulaire pour le permis de louer ?")
    second.get_by_role("button", name="Non, cette réponse ne m'a pas aidé").click()
    reasons = second.get_by_role("group", name="Qu'est-ce qui n'allait pas ?")
    expect(reasons.get_by_role("radio").first).to_be_focused()
    reasons.get_by_label("La réponse est incomplète").check()
    comment = second.get_by_label("Précisez si vous le souhaitez (facultatif)")
    comment.fill("Le lien direct vers le formulaire")
    second.get_by_role("button", name="Envoyer mon avis").click()
    expect(second.get_by_role("status")).to_contain_text("Merci pour votre avis")

    sender = sender_id(page)
    rows = [row for row in stack.feedback() if row.message in (question, "quel formulaire pour le permis de louer ?")]
    ratings = {row.rating: row for row in rows}
    assert set(ratings) == {"up", "down"}
    assert ratings["up"].topic == "mutuelle" and "mutuelle" in ratings["up"].answer and ratings["up"].comment is None
    assert ratings["down"].topic == "permis_de_louer" and "15652*01" in ratings["down"].answer
    assert ratings["down"].comment == "Le lien direct vers le formulaire"
    assert ratings["down"].reason == "incomplet" and ratings["down"].facts, "the facts shown come back"
    assert ratings["up"].reason is None
    for row in rows:
        assert sender not in " ".join(str(value) for value in row.__dict__.values())
    # The thanks survive a reload: no second vote on the same answer.
    page.reload()
    expect(page.get_by_role("button", name="Oui, cette réponse m'a aidé")).to_have_count(0)


def test_markup_from_the_user_or_the_bot_is_shown_as_text(page: Page) -> None:
    page.add_init_script("window.pwned = 0")
    open_widget(page)
    for hostile in ("<script>window.pwned = 1</script>", '<img src=x onerror="window.pwned = 1">'):
        ask(page, hostile)
        expect(page.locator(".agglo-chat__msg--user").last).to_have_text(f"Vous : {hostile}")

    hostile_reply = [
        {
            "text": '<img src=x onerror="window.pwned = 2"> <script>window.pwned = 2</script>\n'
            "voir javascript:alert(1) et https://example.org/ok."
        },
        {"buttons": [{"title": "<b onmouseover='window.pwned = 3'>gras</b>", "payload": "/mutuelle"}]},
        {
            "custom": {
                "topic": "x",
                "sources": [
                    {
                        "title": "<img src=x onerror='window.pwned = 4'>",
                        "url": "javascript:window.pwned = 5",
                        "verified_on": "2025-01-02",
                    }
                ],
            }
        },
    ]

    def fake_bot(route: Route) -> None:
        route.fulfill(status=200, content_type="application/json", body=json.dumps(hostile_reply))

    page.route("**/api/chat", fake_bot)
    answer = ask(page, "bonjour")
    page.unroute("**/api/chat")
    expect(answer.locator(".agglo-chat__bubble").first).to_contain_text('<img src=x onerror="window.pwned = 2">')
    expect(answer.locator(".agglo-chat__bubble").first).to_contain_text("<script>window.pwned = 2</script>")
    expect(answer.get_by_role("button", name="<b onmouseover='window.pwned = 3'>gras</b>")).to_be_visible()
    expect(answer.locator(".agglo-chat__sources")).to_contain_text("<img src=x onerror='window.pwned = 4'>")
    expect(answer.locator(".agglo-chat__sources")).to_contain_text("vérifié le 02/01/2025")
    # Only the http(s) address became a link, without its final full stop.
    links = answer.get_by_role("link")
    expect(links).to_have_count(1)
    expect(links.first).to_have_attribute("href", "https://example.org/ok")
    log = page.locator(".agglo-chat__log")
    expect(log.locator("img, script, b")).to_have_count(0)
    answer.get_by_role("button", name=re.compile("gras")).hover()
    assert page.evaluate("window.pwned") == 0


def test_the_message_length_is_capped_politely(page: Page) -> None:
    sent: list[str] = []

    def record(request: Request) -> None:
        if request.url.endswith("/api/chat"):
            sent.append(request.url)

    page.on("request", record)
    open_widget(page)
    box = page.get_by_label("Votre question")
    box.fill("x" * 501)
    expect(page.get_by_text("501 / 500 caractères")).to_be_visible()
    expect(page.locator(".agglo-chat__notice")).to_have_text(
        "Votre message est un peu long : 500 caractères au maximum. Pourriez-vous le raccourcir ? Merci !"
    )
    box.press("Enter")
    expect(page.locator(".agglo-chat__msg--user")).to_have_count(0)
    assert sent == []
    box.fill("x" * 500)
    expect(page.locator(".agglo-chat__notice")).to_be_hidden()


def test_server_unreachable_then_retry(page: Page) -> None:
    page.emulate_media(reduced_motion="reduce")
    open_widget(page)
    held: list[Route] = []

    def hold(route: Route) -> None:  # the request waits: the typing indicator shows
        held.append(route)

    page.route("**/api/chat", hold)
    box = page.get_by_label("Votre question")
    box.fill("c'est quoi la mutuelle pour tous")
    box.press("Enter")
    typing = page.locator(".agglo-chat__typing")
    expect(typing).to_have_text("L'assistant écrit…")
    expect(typing).to_be_visible()
    # prefers-reduced-motion: the typing dots stay still.
    assert page.eval_on_selector(".agglo-chat__dot", "dot => getComputedStyle(dot).animationName") == "none"
    while not held:
        page.wait_for_timeout(50)
    held[0].abort("connectionrefused")
    alert = page.locator(".agglo-chat__alert")
    expect(alert).to_contain_text("l'assistant est injoignable pour le moment")
    expect(typing).to_be_hidden()
    page.unroute("**/api/chat")
    alert.get_by_role("button", name="Réessayer").click()
    expect(answers(page)).to_have_count(2, timeout=ANSWER_TIMEOUT_MS)
    expect(answers(page).last).to_contain_text("mutuelle")
    expect(alert).to_be_hidden()
    # The question was shown once, not once per attempt.
    expect(page.locator(".agglo-chat__msg--user")).to_have_count(1)


def test_keyboard_only(page: Page) -> None:
    page.goto("/")
    launcher = page.get_by_role("button", name=LAUNCHER)
    launcher.focus()
    expect(launcher).to_have_attribute("aria-expanded", "false")
    page.keyboard.press("Enter")
    box = page.get_by_label("Votre question")
    expect(box).to_be_focused()
    page.keyboard.type("c'est quoi la mutuelle pour tous")
    page.keyboard.press("Enter")
    expect(answers(page)).to_have_count(2, timeout=ANSWER_TIMEOUT_MS)
    # Shift+Tab walks back through the answer's controls, each with a visible focus ring.
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    focused = page.evaluate(
        "() => ({label: document.activeElement.getAttribute('aria-label') || document.activeElement.textContent,"
        " ring: getComputedStyle(document.activeElement).boxShadow})"
    )
    assert focused["ring"] not in ("", "none"), focused
    page.keyboard.press("Escape")
    expect(box).to_be_hidden()
    expect(launcher).to_be_focused()
    expect(launcher).to_have_attribute("aria-expanded", "false")


@pytest.mark.parametrize(
    ("viewport", "name"),
    [({"width": 360, "height": 740}, "phone-360"), ({"width": 640, "height": 400}, "desktop-zoom-200")],
)
def test_small_screens_and_200_percent_zoom(page: Page, artifacts: Path, viewport: Any, name: str) -> None:
    # A 1280 × 800 window at 200 % zoom lays out like a 640 × 400 one.
    page.set_viewport_size(viewport)
    open_widget(page)
    ask(page, "c'est quoi la mutuelle pour tous")
    panel = page.locator(".agglo-chat__panel").bounding_box()
    assert panel is not None
    assert panel["x"] >= 0 and panel["x"] + panel["width"] <= viewport["width"] + 0.5
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    for control in ("Votre question", "Envoyer"):
        expect(
            page.get_by_label(control) if control == "Votre question" else page.get_by_role("button", name=control)
        ).to_be_in_viewport()
    expect(page.get_by_role("button", name="Fermer l'assistant")).to_be_in_viewport()
    page.screenshot(path=artifacts / f"widget-{name}.png")


def test_no_serious_accessibility_violation_in_the_widget(page: Page) -> None:
    page.goto("/")
    assert serious_accessibility_violations(page) == []
    page.get_by_role("button", name=LAUNCHER).click()
    answer = ask(page, "quel formulaire pour le permis de louer ?")
    answer.get_by_role("button", name="Non, cette réponse ne m'a pas aidé").click()
    for message in UNCLEAR_MESSAGES:
        if ask(page, message).locator(".agglo-chat__choice").count():
            break
    assert serious_accessibility_violations(page) == []
    assert serious_accessibility_violations(page, ".agglo-chat") == []
