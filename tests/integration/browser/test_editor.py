"""The content editor in Chromium: an editor logs in, edits a fact from the fiche, previews,
publishes and finds the new text in the fiche and the history, then in the widget. The servers
run on a copy of kb/ in its own git repository (never the project's), as the designated
editing front; axe-core checks every editor page."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import editing_servers
from tests.integration.browser.conftest import (
    ANSWER_TIMEOUT_MS,
    PUBLISH_TIMEOUT_MS,
    browser_marks,
    log_in,
    serious_accessibility_violations,
)

pytestmark = browser_marks

EDITOR, PASSWORD = "editrice.test", "mot de passe de test assez long"
SLUG = "aide_velo"
LAUNCHER = "Une question ? Demandez à l'assistant"


@pytest.fixture(scope="module")
def editing_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with editing_servers(tmp_path_factory.mktemp("browser-edit"), EDITOR, PASSWORD, timeout=400) as (servers, _):
        yield servers.config.web_url


@pytest.fixture()
def browser_context_args(browser_context_args: dict[str, Any], editing_url: str) -> dict[str, Any]:
    return {**browser_context_args, "base_url": editing_url, "locale": "fr-FR"}


def ask_widget(page: Page, question: str) -> str:
    page.goto("/")
    page.get_by_role("button", name=LAUNCHER).click()
    box = page.get_by_label("Votre question")
    box.fill(question)
    box.press("Enter")
    answer = page.locator(".agglo-chat__msg--bot").nth(1)
    expect(answer).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    return answer.inner_text()


def edit_first_fact(page: Page, artifacts: Path, text: str, note: str) -> None:
    """From the fiche: Modifier, change the text, Prévisualiser, check the preview, Publier."""
    page.goto(f"/console/topic/{SLUG}")
    page.locator("#field-what").locator("..").get_by_role("link", name=re.compile(r"^Modifier")).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Modifier une information")
    assert serious_accessibility_violations(page) == []
    page.get_by_label("Texte donné aux habitants et aux agents").fill(text)
    page.get_by_label("Vérifiée le").fill("2026-11-30")
    page.get_by_role("button", name="Prévisualiser").click()
    preview = page.locator("section.preview")
    expect(preview.get_by_role("heading", level=2)).to_have_text("Aperçu : ce que l'assistant dira après publication")
    expect(preview.locator(".preview__answer").first).to_contain_text(text)
    preview.get_by_text("Détails techniques").click()
    expect(preview.locator("ins.diff__line--added").first).to_be_visible()
    assert serious_accessibility_violations(page) == []
    page.screenshot(path=artifacts / "editor-preview.png", full_page=True)
    page.get_by_label("Note pour l'historique : ce qui change et pourquoi").fill(note)
    publish_and_wait(page)


def publish_and_wait(page: Page) -> None:
    """Publier: the button says it is working (a rebuild takes seconds), then the history says it is done."""
    # What the form shows once the page's own submit handler has run (a listener on window runs
    # after the page's, on document), kept across the navigation that follows: read after the
    # click, the page may already be gone when publishing is quick.
    page.evaluate(
        """() => window.addEventListener("submit", (event) => {
            const form = event.target;
            const button = form.querySelector("button[type=submit]");
            const status = form.querySelector("[data-busy-status]");
            sessionStorage.setItem("busy-at-submit", JSON.stringify(
                [form.getAttribute("aria-busy"), button.disabled, button.textContent, status.textContent]));
        })"""
    )
    page.get_by_role("button", name="Publier").click(no_wait_after=True)
    expect(page.locator(".editor__done")).to_contain_text("Votre modification est publiée", timeout=PUBLISH_TIMEOUT_MS)
    busy = json.loads(page.evaluate("() => sessionStorage.getItem('busy-at-submit')") or "null")
    assert busy is not None, "the form was never submitted"
    assert busy[:3] == ["true", True, "Publication en cours…"] and busy[3].startswith("Publication en cours"), busy


def test_an_editor_edits_previews_publishes_and_sees_the_new_fiche(page: Page, artifacts: Path) -> None:
    text = "Le Pass'Mobil'Agglo est ouvert depuis le 1er mars 2026 aux habitants de l'Agglo."
    log_in(page, EDITOR, PASSWORD)
    expect(page).to_have_url(re.compile(r"/console$"))
    edit_first_fact(page, artifacts, text, "Ouverture du Pass'Mobil'Agglo")

    # The history: the publication, its author and note, its diff, a restore button for the older version.
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("^Historique des modifications"))
    latest = page.locator(".revision").first
    expect(latest).to_contain_text(EDITOR)
    expect(latest).to_contain_text("Ouverture du Pass'Mobil'Agglo")
    # What changed, old and new text side by side; the file's lines under « Détails techniques ».
    expect(latest.locator("ins.changes__added").first).to_be_visible()
    latest.get_by_text("Détails techniques").click()
    expect(latest.locator("ins.diff__line--added").first).to_contain_text("ouvert depuis le 1er mars 2026")
    expect(page.get_by_role("link", name=re.compile("^Restaurer cette version"))).to_have_count(1)
    assert serious_accessibility_violations(page) == []
    page.screenshot(path=artifacts / "editor-history.png", full_page=True)

    page.get_by_role("link", name="Voir la fiche").click()
    expect(page.locator("#field-what").locator("..")).to_contain_text(text)

    # The other editor pages pass axe too.
    page.goto(f"/console/edit/{SLUG}/add?field=amount")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ajouter une information")
    assert serious_accessibility_violations(page) == []
    page.goto(f"/console/edit/{SLUG}/retire/velo_objectif_part_modale")
    expect(page.get_by_role("heading", level=1)).to_have_text("Retirer une information")
    assert serious_accessibility_violations(page) == []

    # Undo: restore the version before the publication, after seeing what it changes and confirming.
    page.goto(f"/console/edit/{SLUG}/history")
    page.get_by_role("link", name=re.compile("^Restaurer cette version")).click()
    expect(page.get_by_role("heading", level=2, name="Ce que la restauration changerait")).to_be_visible()
    expect(page.locator("main")).to_contain_text("ouvert depuis le 1er mars 2026")
    assert serious_accessibility_violations(page) == []
    page.get_by_role("button", name="Confirmer la restauration").click(timeout=PUBLISH_TIMEOUT_MS)
    expect(page.locator(".editor__done")).to_contain_text(
        "La version choisie est restaurée", timeout=PUBLISH_TIMEOUT_MS
    )
    page.goto(f"/console/topic/{SLUG}")
    expect(page.locator("#field-what").locator("..")).to_contain_text("Le projet de territoire prévoit")


def test_the_widget_gives_the_published_answer(page: Page, artifacts: Path) -> None:
    question = "c'est quoi le pass mobil agglo ?"
    # The action server has read the knowledge base before the publication.
    assert "commerçant du territoire" not in ask_widget(page, question)
    log_in(page, EDITOR, PASSWORD)
    text = "Le Pass'Mobil'Agglo vous aide à acheter un vélo neuf chez un commerçant du territoire."
    edit_first_fact(page, artifacts, text, "Précision sur le Pass'Mobil'Agglo")
    page.wait_for_timeout(5_000)  # « live within seconds »
    page.context.clear_cookies()
    page.evaluate("localStorage.clear()")
    assert "commerçant du territoire" in ask_widget(page, question)


# What the déchetteries' opening hours say (kb/topics/dechets.yml), the answer to « … ouvre à
# quelle heure ? ».
OPENING_HOURS = "les déchetteries sont ouvertes du mardi au samedi de 9 h 20 à 18 h"


def test_a_new_synonym_changes_the_answer_without_retraining(page: Page, artifacts: Path) -> None:
    question = "le dépotoir ouvre à quelle heure ?"
    # Before: no word of the message is one of the knowledge base's.
    assert OPENING_HOURS not in ask_widget(page, question)
    log_in(page, EDITOR, PASSWORD)
    page.get_by_role("link", name="Synonymes").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Synonymes")
    assert serious_accessibility_violations(page) == []
    page.goto("/console/edit/synonyms/edit?meaning=d%C3%A9chetterie")
    words = page.get_by_label(re.compile("^Mots des habitants"))
    words.fill(words.input_value() + "\ndépotoir")
    page.get_by_label(re.compile("^Messages d'essai")).fill(question)
    page.get_by_role("button", name="Prévisualiser").click()
    expect(page.locator("main")).to_contain_text("Lecture changée")
    expect(page.locator("main")).to_contain_text(OPENING_HOURS)
    assert serious_accessibility_violations(page) == []
    page.screenshot(path=artifacts / "synonym-preview.png", full_page=True)
    page.get_by_label("Note pour l'historique : ce qui change et pourquoi").fill("« dépotoir » pour la déchetterie")
    publish_and_wait(page)
    page.wait_for_timeout(5_000)  # « within seconds »
    page.context.clear_cookies()
    page.evaluate("localStorage.clear()")
    assert OPENING_HOURS in ask_widget(page, question)
