"""The console's editor of the synonyms (kb/lexicon.yml), through the web application, on a
temporary git repository holding a copy of kb/ (never the project's own repository)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import yaml
from aiohttp.test_utils import TestClient

from bot.core.turns import Context, plan_turn
from bot.settings import Settings
from tests.unit.web.conftest import EDITING_AGENT, EDITOR, EDITOR_PASSWORD, Content, log_in

LEXICON = "lexicon.yml"
BASE = "/console/edit/synonyms"
DECHETTERIE_WORDS = ["déchèterie", "dechetrie", "decheterie", "dechetterie", "déchetteries"]
# The NLU puts this message out of scope: only the reading's synonyms can tell its topic.
MESSAGE = "le dépotoir ouvre à quelle heure ?"
ADDED = '<ins class="changes__added"><span class="visually-hidden">[ajouté : </span>'
_VERSION = re.compile(r'name="version" value="([0-9a-f]{40})"')


def version_of(page: str) -> str:
    match = _VERSION.search(page)
    assert match, "the form carries the file's version"
    return match.group(1)


def synonym_form(
    csrf: str, version: str, kind: str, meaning: str, words: list[str], **extra: str
) -> list[tuple[str, str]]:
    """The publish form as the preview page writes it: one hidden field per word."""
    form = [("csrf", csrf), ("version", version), ("kind", kind), ("meaning", meaning), ("new_meaning", meaning)]
    form += [("words", word) for word in words]
    return form + list(extra.items())


def topic_planned(content: Content, message: str = MESSAGE) -> str | None:
    """The topic the running assistant's reading answers ``message`` about, when the NLU puts it
    out of scope (None: the reading leaves the turn to the NLU's answer)."""
    services = content.services
    plan = plan_turn(message, "hors_sujet", None, Context(), services.kb, services.topics)
    return None if plan.defer else plan.parts[0].topic


async def test_an_editor_adds_a_word_sees_the_reading_change_publishes_and_the_assistant_reads_it(
    editor_client: tuple[TestClient, str], content: Content
) -> None:
    client, csrf = editor_client
    assert 'href="/console/edit/synonyms"' in await (await client.get("/console")).text()
    listing = await (await client.get(BASE)).text()
    edit_link = f'href="{BASE}/edit?meaning={quote("déchetterie", safe="")}"'
    assert edit_link in listing and f'href="{BASE}/add"' in listing and f'href="{BASE}/history"' in listing
    assert "déchèterie, dechetrie, decheterie, dechetterie, déchetteries" in listing
    form_page = await (await client.get(f"{BASE}/edit?meaning={quote('déchetterie')}")).text()
    assert 'name="new_meaning" type="text"' in form_page and 'value="déchetterie"' in form_page
    assert "\n".join(DECHETTERIE_WORDS) in form_page
    version = version_of(form_page)
    assert topic_planned(content) is None  # not understood today

    form = synonym_form(csrf, version, "edit", "déchetterie", [*DECHETTERIE_WORDS, "dépotoir"], samples=MESSAGE)
    preview = await client.post(f"{BASE}/preview", data=form)
    page = await preview.text()
    assert preview.status == 200, page
    assert "Synonyme modifié : « déchetterie »" in page and f"{ADDED}dépotoir" in page
    # The sample message, read today and after publication.
    row = page[page.index('<th scope="row">« le dépotoir ouvre à quelle heure ? »') :]
    row = row[: row.index("</tr>")]
    assert "Lecture changée" in row
    today, after = row.split("<td>")[1:3]
    assert "aucun, d&#39;après les mots du message" in today
    assert "Déchets et tri" in after and "les jours et horaires d&#39;ouverture" in after
    # The opening hours of every day answer « à quelle heure ? » (not the Monday closure alone).
    assert "les déchetteries sont ouvertes du mardi au samedi de 9 h 20 à 18 h" in after
    assert 'action="/console/edit/synonyms/publish"' in page and 'data-busy-label="Publication en cours…"' in page
    assert len(content.commits(LEXICON)) == 1  # nothing written by a preview

    before = content.file_text(LEXICON)
    response = await client.post(
        f"{BASE}/publish", data=[*form, ("note", "« dépotoir » pour la déchetterie")], allow_redirects=False
    )
    assert response.status == 303, await response.text()
    assert response.headers["Location"].startswith(f"{BASE}/history?publie=")
    commits = content.commits(LEXICON)
    assert len(commits) == 2
    assert commits[0].endswith(f"{EDITOR} <{EDITOR}@console.invalid> | {EDITOR} | « dépotoir » pour la déchetterie")
    assert content.git("status", "--porcelain") == ""
    old_lines, new_lines = before.splitlines(), content.file_text(LEXICON).splitlines()
    # Only the déchetterie's line changed (whatever words kb/lexicon.yml lists for it today).
    assert [line for line in old_lines if line not in new_lines] == [
        line for line in old_lines if line.startswith("  déchetterie: [")
    ]
    # The running assistant reads the new word at once: no retraining, no restart.
    assert topic_planned(content) == "dechets"

    history = await (await client.get(response.headers["Location"])).text()
    assert "Votre modification est publiée" in history and "Voir les synonymes" in history
    assert "« dépotoir » pour la déchetterie" in history and EDITOR in history
    assert "Synonyme modifié : « déchetterie »" in history and f"{ADDED}dépotoir" in history
    assert history.index("<summary>Détails techniques") < history.index('<ins class="diff__line diff__line--added">+')


async def test_an_entry_is_added_then_removed_then_restored_after_confirmation(
    editor_client: tuple[TestClient, str], content: Content
) -> None:
    client, csrf = editor_client
    add_page = await (await client.get(f"{BASE}/add")).text()
    assert "Ajouter un synonyme" in add_page
    added = synonym_form(csrf, version_of(add_page), "add", "", ["monstres"], new_meaning="encombrants")
    added = [(name, value) for name, value in added if (name, value) != ("new_meaning", "")]
    preview = await client.post(f"{BASE}/preview", data=added)
    preview_page = await preview.text()
    assert preview.status == 200, preview_page
    # Without sample messages, the preview tries the word added.
    assert "« monstres »" in preview_page and "Synonyme ajouté : « encombrants »" in preview_page
    response = await client.post(f"{BASE}/publish", data=[*added, ("note", "Les monstres")], allow_redirects=False)
    assert response.status == 303, await response.text()
    assert yaml.safe_load(content.file_text(LEXICON))["synonyms"]["encombrants"] == ["monstres"]
    added_commit = content.git("rev-parse", "HEAD").strip()

    remove_page = await (await client.get(f"{BASE}/remove?meaning=encombrants")).text()
    assert "Synonyme retiré" in remove_page and "monstres" in remove_page
    removed = [("csrf", csrf), ("version", version_of(remove_page)), ("kind", "remove"), ("meaning", "encombrants")]
    response = await client.post(f"{BASE}/publish", data=[*removed, ("note", "Finalement non")], allow_redirects=False)
    assert response.status == 303, await response.text()
    assert "encombrants" not in yaml.safe_load(content.file_text(LEXICON))["synonyms"]

    history = await (await client.get(f"{BASE}/history")).text()
    assert "Synonyme retiré : « encombrants »" in history and "Synonyme ajouté : « encombrants »" in history
    assert f'href="{BASE}/restore/{added_commit}"' in history and f'action="{BASE}/restore"' not in history
    confirmation = await client.get(f"{BASE}/restore/{added_commit}")
    confirm_page = await confirmation.text()
    assert confirmation.status == 200
    assert "Ce que la restauration changerait" in confirm_page and "Synonyme ajouté : « encombrants »" in confirm_page
    assert len(content.commits(LEXICON)) == 3  # nothing restored before the confirmation
    restore = {"csrf": csrf, "version": version_of(confirm_page), "commit": added_commit, "note": "On les remet"}
    response = await client.post(f"{BASE}/restore", data=restore, allow_redirects=False)
    assert response.status == 303, await response.text()
    assert "restaure=" in response.headers["Location"]
    assert yaml.safe_load(content.file_text(LEXICON))["synonyms"]["encombrants"] == ["monstres"]
    assert f"Restored-from: {added_commit}" in content.git("log", "-1", "--format=%B")
    restore["version"] = version_of(await (await client.get(f"{BASE}/add")).text())  # the restored file's
    # A commit that is not in the lexicon's history: refused, on the page and by the POST.
    unknown = "0" * 40
    assert (await client.get(f"{BASE}/restore/{unknown}")).status == 409
    refused = await client.post(f"{BASE}/restore", data={**restore, "commit": unknown}, allow_redirects=False)
    assert refused.status == 409 and "Version introuvable" in await refused.text()
    no_note = await client.post(f"{BASE}/restore", data={**restore, "note": "  "}, allow_redirects=False)
    assert no_note.status == 422 and "Note manquante" in await no_note.text()
    assert len(content.commits(LEXICON)) == 4


async def test_bad_input_gets_a_french_4xx_and_nothing_is_written(
    editor_client: tuple[TestClient, str], content: Content
) -> None:
    client, csrf = editor_client
    version = version_of(await (await client.get(f"{BASE}/add")).text())
    before = content.file_text(LEXICON)
    for meaning, words, message in (
        ("encombrants", ["bicyclette"], "« bicyclette » est déjà un synonyme de « vélo »"),
        ("encombrants", ["collecte 2026"], "« collecte 2026 » contient un chiffre"),
        ("", ["monstres"], "Indiquez le mot de la base"),
        ("Déchetteries", ["dépotoir"], "« Déchetteries » a déjà ses synonymes (« déchetterie »)"),
        ("encombrants", [], "Indiquez au moins un mot des habitants"),
    ):
        form = synonym_form(csrf, version, "add", "", words, note="Essai")
        form = [(name, value) for name, value in form if name != "new_meaning"] + [("new_meaning", meaning)]
        for action in ("preview", "publish"):
            response = await client.post(f"{BASE}/{action}", data=form)
            page = await response.text()
            assert response.status == 422, (action, meaning, words)
            assert "Le synonyme n'a pas été publié" in page and message.replace("'", "&#39;") in page, page
    unchanged = synonym_form(csrf, version, "edit", "bus", ["autobus", "navette", "bus tadao"], note="Rien")
    response = await client.post(f"{BASE}/publish", data=unchanged)
    assert response.status == 422 and "Rien à publier" in await response.text()
    no_note = synonym_form(csrf, version, "edit", "bus", ["autobus", "car"], note=" ")
    response = await client.post(f"{BASE}/publish", data=no_note)
    assert response.status == 422 and "Note manquante" in await response.text()
    gone = [("csrf", csrf), ("version", version), ("kind", "remove"), ("meaning", "n'existe pas"), ("note", "x")]
    response = await client.post(f"{BASE}/publish", data=gone)
    assert response.status == 404 and "Ce synonyme n'existe plus" in await response.text()
    for path in (f"{BASE}/edit?meaning=nope", f"{BASE}/remove?meaning=nope", f"{BASE}/edit"):
        assert (await client.get(path)).status == 404, path
    # Another editor published meanwhile: refused, nothing overwritten.
    stale = synonym_form(csrf, "1" * 40, "edit", "bus", ["autobus", "car"], note="Car")
    response = await client.post(f"{BASE}/publish", data=stale)
    assert response.status == 409 and "modifié entre-temps" in await response.text()
    assert content.file_text(LEXICON) == before and len(content.commits(LEXICON)) == 1


async def test_the_synonyms_are_for_editors_only_and_every_post_needs_the_csrf_token(
    make_client: Callable[..., Any], editor_client: tuple[TestClient, str], editor_settings: Settings, content: Content
) -> None:
    editor, csrf = editor_client
    version = version_of(await (await editor.get(f"{BASE}/add")).text())
    form = synonym_form(csrf, version, "edit", "bus", ["autobus", "car"], note="Car", samples="le bus")
    for token in ("", "not-the-token"):
        for action in ("preview", "publish", "restore"):
            forged = [(name, value) for name, value in form if name != "csrf"] + ([("csrf", token)] if token else [])
            response = await editor.post(f"{BASE}/{action}", data=forged, allow_redirects=False)
            assert response.status == 403, (action, token)
            assert await response.json() == {"error": "bad_csrf_token"}
    pages = (BASE, f"{BASE}/add", f"{BASE}/edit?meaning=bus", f"{BASE}/history", f"{BASE}/restore/{'0' * 40}")
    agent = await make_client(editor_settings, content.services)
    agent_csrf = await log_in(agent, EDITING_AGENT, EDITOR_PASSWORD)
    assert 'href="/console/edit/synonyms"' not in await (await agent.get("/console")).text()
    for path in pages:
        response = await agent.get(path)
        assert response.status == 403 and "Réservé aux éditeurs" in await response.text(), path
    agent_form = [(name, agent_csrf if name == "csrf" else value) for name, value in form]
    for action in ("preview", "publish", "restore"):
        assert (await agent.post(f"{BASE}/{action}", data=agent_form)).status == 403, action
    anonymous = await make_client(editor_settings, content.services)
    response = await anonymous.get(BASE, allow_redirects=False)
    assert response.status == 303 and response.headers["Location"].startswith("/console/login?next=")
    assert (await anonymous.post(f"{BASE}/publish", data=form)).status == 401
    other_front = await make_client(editor_settings.copy(update=dict(content_editor=False)), content.services)
    other_csrf = await log_in(other_front, EDITOR, EDITOR_PASSWORD)
    page = await other_front.get(BASE)
    assert page.status == 200 and "serveur désigné pour l" in await page.text()
    other_form = [(name, other_csrf if name == "csrf" else value) for name, value in form]
    assert (await other_front.post(f"{BASE}/publish", data=other_form)).status == 409
    assert len(content.commits(LEXICON)) == 1
