"""The agents' console in Chromium: login wall, search, fiche, print view, commune lookup, agent chat."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.integration.browser.conftest import (
    ANSWER_TIMEOUT_MS,
    browser_marks,
    log_in,
    serious_accessibility_violations,
)

pytestmark = browser_marks


def test_an_anonymous_user_is_refused(page: Page) -> None:
    for path in ("/console", "/console/topic/permis_de_louer", "/console/search?q=permis"):
        page.goto(path)
        expect(page).to_have_url(re.compile(r"/console/login\?next="))
        expect(page.get_by_role("heading", level=1)).to_have_text("Console des agents")
        expect(page.get_by_text("Qui peut en bénéficier")).to_have_count(0)
    response = page.request.get("/console/topic/permis_de_louer", max_redirects=0)
    assert response.status == 303


def test_a_wrong_password_is_refused(page: Page) -> None:
    log_in(page, password="pas le bon mot de passe")  # noqa: S106 - a wrong password on purpose
    expect(page.get_by_role("alert")).to_have_text("Identifiant ou mot de passe incorrect.")
    page.goto("/console")
    expect(page).to_have_url(re.compile(r"/console/login"))


def test_an_agent_searches_opens_and_prints_a_fiche(page: Page, artifacts: Path) -> None:
    log_in(page)
    expect(page).to_have_url(re.compile(r"/console$"))
    search = page.get_by_role("searchbox", name="Rechercher dans la base")
    search.fill("permis")
    search.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Résultats pour « permis »")
    assert serious_accessibility_violations(page) == []
    page.get_by_role("link", name="Permis de louer").first.click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Permis de louer")
    fiche = page.locator("article.fiche")
    expect(fiche.locator(".fact__source").first).to_contain_text(re.compile(r"vérifiée le \d\d/\d\d/\d{4}"))
    expect(fiche.locator(".fact--unknown").first).to_contain_text("À vérifier")
    expect(fiche.get_by_role("table")).to_contain_text("Vermelles")
    assert serious_accessibility_violations(page) == []
    page.screenshot(path=artifacts / "console-fiche.png", full_page=True)

    # The print button prints; the print stylesheet keeps the fiche and drops the rest.
    page.evaluate("window.print = () => { window.printed = true }")
    page.get_by_role("button", name="Imprimer la fiche").click()
    assert page.evaluate("window.printed") is True
    page.emulate_media(media="print")
    expect(page.locator(".console-header")).to_be_hidden()
    expect(page.get_by_role("button", name="Imprimer la fiche")).to_be_hidden()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(fiche.locator(".fact").first).to_be_visible()
    after = page.eval_on_selector(".fact__source a", "link => getComputedStyle(link, '::after').content")
    assert "http" in after  # link addresses written out on paper
    page.screenshot(path=artifacts / "console-fiche-print.png", full_page=True)
    page.pdf(path=artifacts / "console-fiche.pdf")
    assert (artifacts / "console-fiche.pdf").stat().st_size > 10_000


def test_a_low_confidence_fact_is_marked(page: Page) -> None:
    log_in(page)
    page.goto("/console/topic/aide_recuperateur_eau")
    low = page.locator(".fact--low").first
    expect(low).to_contain_text("Confiance faible – à vérifier")


def test_commune_lookup_shows_the_communes_rules(page: Page) -> None:
    log_in(page)
    page.get_by_label("Nom de la commune").fill("noeux les mines")
    page.get_by_role("button", name="Voir les règles").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Règles pour Nœux-les-Mines")
    expect(page.locator(".fact").first).to_contain_text("Permis de louer")
    expect(page.locator(".fact").first).to_contain_text("S'applique")
    assert serious_accessibility_violations(page) == []
    page.get_by_label("Nom de la commune").fill("Gosnay")
    page.get_by_role("button", name="Voir les règles").click()
    expect(page.get_by_text("Gosnay ne figure pas dans la liste des communes concernées.")).to_be_visible()


def test_the_console_chat_answers_with_the_complete_fiche(page: Page, artifacts: Path) -> None:
    log_in(page)
    assert serious_accessibility_violations(page) == []
    chat = page.locator("#agglo-agent-chat")
    box = chat.get_by_label("Votre question")
    box.fill("permis de louer")
    box.press("Enter")
    answer = chat.locator(".agglo-chat__msg--bot").nth(1)
    expect(answer).to_contain_text("FICHE AGENT", timeout=ANSWER_TIMEOUT_MS)
    expect(answer).to_contain_text("à vérifier")
    assert serious_accessibility_violations(page) == []
    page.screenshot(path=artifacts / "console.png", full_page=True)
    # The same question from the residents' widget gets the short answer.
    page.goto("/")
    page.get_by_role("button", name="Une question ? Demandez à l'assistant").click()
    resident_box = page.get_by_label("Votre question")
    resident_box.fill("permis de louer")
    resident_box.press("Enter")
    resident_answer = page.locator(".agglo-chat__msg--bot").nth(1)
    expect(resident_answer).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    expect(resident_answer).not_to_contain_text("FICHE AGENT")


def test_login_page_accessibility_and_logout(page: Page) -> None:
    page.goto("/console/login")
    assert serious_accessibility_violations(page) == []
    log_in(page)
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page).to_have_url(re.compile(r"/console/login$"))
    page.goto("/console")
    expect(page).to_have_url(re.compile(r"/console/login"))


def test_an_expired_fact_is_marked(page: Page) -> None:
    log_in(page)
    page.goto("/console/topic/aide_velo")
    # Divion's 2024 scheme; the sessions and amounts imported from Mes Aides Vélo are marked too
    # once their period is over, with « Donnée officielle importée » and no edit button.
    expired = page.locator("#fact-velo_divion_aide_communale")
    expect(expired).to_have_class(re.compile(r"\bfact--expired\b"))
    expect(expired.locator(".badge--expired")).to_contain_text("Expiré : période terminée le 31/12/2024")
    expect(page.locator("#fact-velo_pass_mobil_existe")).not_to_have_class(re.compile(r"\bfact--expired\b"))
    imported = page.locator("#fact-velo_mav_montants")
    expect(imported.locator(".badge--imported")).to_have_text("Donnée officielle importée")
    expect(imported.locator(".fact__imported")).to_contain_text("Lecture seule")
    assert serious_accessibility_violations(page) == []
