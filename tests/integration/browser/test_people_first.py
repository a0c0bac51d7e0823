"""Issue 16 in Chromium: the callback form (keyboard only, consent refused stores nothing, axe),
an agent closing the request in the console's queue, the maintenance switch, the 👎 reasons and
the widget on a 390 × 844 phone (tel: links, reopened at the last message, focus kept inside,
no 👍/👎 under small talk, the demo page's cards)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, Route, expect

from bot.stores.maintenance import COMMAND_LINE
from tests.integration.browser.conftest import (
    ANSWER_TIMEOUT_MS,
    Stack,
    browser_marks,
    log_in,
    serious_accessibility_violations,
)
from tests.integration.browser.test_widget import LAUNCHER, answers, ask, open_widget, sender_id

pytestmark = browser_marks

PHONE = {"width": 390, "height": 844}
OFFER = "Être rappelé·e par un agent"
# What the assistant answers when a resident asks for a person (the contract with the answers:
# the payload's offer_callback), crafted here so the widget is tested on its own.
PERSON_REPLY = [
    {
        "text": "Vous pouvez joindre l'Agglo au 03 21 61 50 00 (standard) ou sur www.bethunebruay.fr, "
        "ou écrire à collecte@bethunebruay.fr. Numéro vert : 0800 100 116.",
        "custom": {
            "topic": "contact",
            "sources": [],
            "commune": None,
            "facts": ["contact_standard"],
            "offer_callback": True,
        },
    }
]


def answer_with(page: Page, reply: list[dict[str, Any]]) -> None:
    def fulfil(route: Route) -> None:
        route.fulfill(status=200, content_type="application/json", body=json.dumps(reply))

    page.route("**/api/chat", fulfil)


def test_a_resident_asks_to_be_called_back_with_the_keyboard_only(page: Page, stack: Stack, artifacts: Path) -> None:
    page.goto("/")
    launcher = page.get_by_role("button", name=LAUNCHER)
    launcher.focus()
    page.keyboard.press("Enter")
    answer_with(page, PERSON_REPLY)
    page.keyboard.type("je veux parler à quelqu'un pour mon permis de louer")
    page.keyboard.press("Enter")
    expect(answers(page)).to_have_count(2, timeout=ANSWER_TIMEOUT_MS)
    offer = answers(page).last.get_by_role("button", name=OFFER)
    offer.focus()
    page.keyboard.press("Enter")

    form = page.get_by_role("form", name="Être rappelé·e par un agent de l'Agglo")
    expect(page.get_by_label("Votre nom")).to_be_focused()
    expect(form.get_by_label("Votre question")).to_have_value("je veux parler à quelqu'un pour mon permis de louer")
    page.keyboard.type("Marie Exemple")
    page.keyboard.press("Tab")
    page.keyboard.type("06 12 34 56 78")
    page.keyboard.press("Tab")
    page.keyboard.type("noeux les mines")
    assert serious_accessibility_violations(page, ".agglo-chat") == []

    # Consent refused: a clear message, and nothing leaves the browser.
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.url) if "/api/callback" in request.url else None)
    form.get_by_role("button", name="Envoyer ma demande").focus()
    page.keyboard.press("Enter")
    consent = form.get_by_role("checkbox")
    expect(consent).to_be_focused()
    expect(form).to_contain_text("cochez la case d'accord. Sans elle, rien n'est enregistré.")
    expect(consent).to_have_attribute("aria-invalid", "true")
    assert sent == [] and stack.callbacks().queue(commune_insee="62617") == []
    assert serious_accessibility_violations(page, ".agglo-chat") == []

    page.keyboard.press("Space")  # the consent, with the keyboard
    form.get_by_role("button", name="Envoyer ma demande").focus()
    page.keyboard.press("Enter")
    done = answers(page).last.locator(".agglo-chat__callback-done")
    expect(done).to_contain_text("Votre référence :")
    expect(done).to_contain_text("Un agent de l'Agglo vous recontactera")
    reference = done.locator("strong").inner_text()
    assert re.fullmatch(r"[2-9A-Z]{4}-[2-9A-Z]{4}", reference)
    [stored] = [view for view in stack.callbacks().queue() if view.reference == reference]
    assert (stored.name, stored.contact, stored.commune_insee) == ("Marie Exemple", "06 12 34 56 78", "62617")
    assert stored.conversation == f"web-{sender_id(page)}" and stored.topic == "contact"
    page.locator(".agglo-chat__panel").screenshot(path=artifacts / "widget-callback.png")
    # The reference survives a reload.
    page.reload()
    expect(answers(page).last.locator(".agglo-chat__callback-done")).to_contain_text(reference)


def test_the_server_refusal_is_shown_beside_the_field(page: Page) -> None:
    open_widget(page)
    answer_with(page, PERSON_REPLY)
    ask(page, "un humain svp").get_by_role("button", name=OFFER).click()
    form = page.get_by_role("form", name="Être rappelé·e par un agent de l'Agglo")
    form.get_by_label("Votre nom").fill("Paul")
    form.get_by_label("Votre téléphone ou votre e-mail").fill("06 12")
    form.get_by_label("Votre commune").fill("Lille")
    form.get_by_role("checkbox").check()
    form.get_by_role("button", name="Envoyer ma demande").click()
    contact = form.get_by_label("Votre téléphone ou votre e-mail")
    expect(contact).to_be_focused()
    expect(contact).to_have_attribute("aria-invalid", "true")
    expect(form).to_contain_text("Indiquez un numéro de téléphone")
    expect(form).to_contain_text("Lille ne fait pas partie des communes de l'Agglo")
    assert serious_accessibility_violations(page, ".agglo-chat") == []


def test_an_agent_takes_and_closes_the_request_in_the_console(page: Page, stack: Stack) -> None:
    request = stack.callbacks().add(
        name="Jeanne Essai",
        contact="jeanne@example.org",
        contact_kind="email",
        commune_insee="62119",
        question="Où en est ma demande d'aide pour un vélo ?",
        topic="aide_velo",
        conversation="web-wbrowser0000000001",
    )
    log_in(page)
    page.get_by_role("link", name="Demandes de rappel").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Demandes de rappel")
    page.get_by_label("Commune").select_option(label="Béthune")
    page.get_by_role("button", name="Filtrer").click()
    expect(page.get_by_role("table")).to_contain_text("Jeanne Essai")
    assert serious_accessibility_violations(page) == []
    page.get_by_role("link", name=request.reference).click()
    page.get_by_role("button", name="Prendre en charge").click()
    expect(page.locator(".identity")).to_contain_text("prise en charge par agent.test")
    page.get_by_label("Ajouter une note").fill("Rappelée, vélo livré la semaine prochaine.")
    page.get_by_role("button", name="Enregistrer la note").click()
    page.get_by_role("button", name="Marquer comme traitée").click()
    expect(page.locator(".identity")).to_contain_text("Traitée")
    expect(page.locator(".callback__history")).to_contain_text("Rappelée, vélo livré")
    assert serious_accessibility_violations(page) == []
    stored = stack.callbacks().get(request.reference)
    assert (stored.status, stored.taken_by, stored.done_by) == ("done", "agent.test", "agent.test")
    page.get_by_role("link", name=re.compile("Voir la conversation")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(request.reference)


def test_maintenance_shows_the_contact_and_the_form_without_rasa(page: Page, stack: Stack) -> None:
    maintenance = stack.maintenance()
    maintenance.switch(True, by="test", source=COMMAND_LINE, reason="Essai du navigateur")
    try:
        page.wait_for_timeout(2500)  # every front reads the switch at most every 2 s
        open_widget(page)
        paused = answers(page).nth(1)
        expect(paused).to_contain_text("L'assistant est momentanément en pause")
        expect(paused.get_by_role("link", name="03 21 61 50 00")).to_have_attribute("href", "tel:0321615000")
        expect(paused.get_by_role("button", name=OFFER)).to_be_visible()
        expect(paused.get_by_role("button", name="Oui, cette réponse m'a aidé")).to_have_count(0)
        reply = ask(page, "quel formulaire pour le permis de louer ?")
        expect(reply).to_contain_text("momentanément en pause")
        expect(reply).not_to_contain_text("15652*01")
        assert serious_accessibility_violations(page, ".agglo-chat") == []
    finally:
        maintenance.switch(False, by="test", source=COMMAND_LINE, reason=None)
    page.wait_for_timeout(2500)
    page.reload()
    expect(answers(page).first).to_contain_text("Bonjour")
    expect(page.get_by_text("momentanément en pause").first).to_be_visible()  # the old reply stays
    expect(ask(page, "quel formulaire pour le permis de louer ?")).to_contain_text("15652*01")


# The widget on a phone ----------------------------------------------------------------------------
def test_phone_numbers_addresses_and_emails_become_links_escaped(page: Page) -> None:
    page.set_viewport_size(PHONE)
    open_widget(page)
    hostile = {"text": "<b>gras</b> appelez le 03 21 61 50 00", "custom": {"topic": "contact"}}
    answer_with(page, [*PERSON_REPLY, hostile])
    answer = ask(page, "contact")
    expect(answer.get_by_role("link", name="03 21 61 50 00").first).to_have_attribute("href", "tel:0321615000")
    expect(answer.get_by_role("link", name="0800 100 116")).to_have_attribute("href", "tel:0800100116")
    web = answer.get_by_role("link", name=re.compile(r"^www\.bethunebruay\.fr"))
    expect(web).to_have_attribute("href", "https://www.bethunebruay.fr/")
    expect(web).to_have_attribute("rel", "noopener noreferrer")
    mail = answer.get_by_role("link", name="collecte@bethunebruay.fr")
    expect(mail).to_have_attribute("href", "mailto:collecte@bethunebruay.fr")
    expect(answer.locator("b")).to_have_count(0)
    expect(answer).to_contain_text("<b>gras</b>")


def test_after_a_reload_the_conversation_reopens_at_its_last_message(page: Page) -> None:
    page.set_viewport_size(PHONE)
    open_widget(page)
    long_reply = [
        {"text": "\n".join(f"Ligne {n} d'une longue réponse." for n in range(60)), "custom": {"topic": "contact"}}
    ]
    answer_with(page, long_reply)
    for number in range(4):
        ask(page, f"question {number}")
    answer_with(page, [{"text": "La toute dernière réponse.", "custom": {"topic": "contact"}}])
    ask(page, "la dernière question")
    page.reload()
    last = page.get_by_text("La toute dernière réponse.")
    expect(last).to_be_in_viewport()
    expect(page.locator(".agglo-chat__msg--user").last).to_be_in_viewport()
    assert page.eval_on_selector(".agglo-chat__log", "log => log.scrollTop") > 1000


def test_tab_stays_inside_the_full_screen_panel_and_the_page_is_inert(page: Page) -> None:
    page.set_viewport_size(PHONE)
    open_widget(page)
    expect(page.locator(".agglo-chat__panel")).to_have_attribute("aria-modal", "true")
    assert page.evaluate("document.querySelector('main').inert") is True
    for _ in range(25):
        page.keyboard.press("Tab")
        assert page.evaluate("document.querySelector('.agglo-chat__panel').contains(document.activeElement)")
    for _ in range(25):
        page.keyboard.press("Shift+Tab")
        assert page.evaluate("document.querySelector('.agglo-chat__panel').contains(document.activeElement)")
    page.keyboard.press("Escape")
    assert page.evaluate("document.querySelector('main').inert") is False
    expect(page.get_by_role("button", name=LAUNCHER)).to_be_focused()
    # On a wide screen the panel is not modal: the page stays usable.
    page.set_viewport_size({"width": 1280, "height": 800})
    page.get_by_role("button", name=LAUNCHER).click()
    expect(page.locator(".agglo-chat__panel")).not_to_have_attribute("aria-modal", "true")
    assert page.evaluate("document.querySelector('main').inert") is False


def test_feedback_is_asked_under_answers_only(page: Page) -> None:
    page.set_viewport_size(PHONE)
    open_widget(page)
    greeting = ask(page, "bonjour")
    expect(greeting).to_be_visible()
    expect(greeting.get_by_role("button", name="Oui, cette réponse m'a aidé")).to_have_count(0)
    thanks = ask(page, "merci beaucoup")
    expect(thanks.get_by_role("button", name="Oui, cette réponse m'a aidé")).to_have_count(0)
    answer = ask(page, "c'est quoi la mutuelle pour tous")
    expect(answer.get_by_role("button", name="Oui, cette réponse m'a aidé")).to_be_visible()


def test_the_demo_pages_cards_start_the_question(page: Page) -> None:
    page.set_viewport_size(PHONE)
    page.goto("/")
    page.get_by_role("button", name="Mutuelle pour tous").click()
    expect(page.locator(".agglo-chat__msg--user")).to_have_text(["Vous : C'est quoi la mutuelle pour tous ?"])
    expect(answers(page)).to_have_count(2, timeout=ANSWER_TIMEOUT_MS)
    expect(answers(page).last).to_contain_text("mutuelle")
    assert serious_accessibility_violations(page) == []
