"""The console's content editor, through the web application, on a temporary git repository
holding a copy of kb/ (never the project's own repository)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp.test_utils import TestClient

from bot.core.answers import resident_answer
from bot.core.services import Services
from bot.editing.document import fact_fields
from bot.editing.roundtrip import load_document
from bot.settings import Settings
from bot.stores.agents import AgentStore
from tests.unit.web.conftest import EDITING_AGENT as AGENT
from tests.unit.web.conftest import EDITOR, Content, content_copy, log_in
from tests.unit.web.conftest import EDITOR_PASSWORD as PASSWORD

SLUG, FACT = "mutuelle", "mutuelle_plan_annonce"
TOPIC_FILE = f"topics/{SLUG}.yml"
OLD_TEXT = "Le projet de territoire prévoit la mise en place d'une mutuelle pour tous"
NEW_TEXT = (
    "La mutuelle pour tous est ouverte depuis le 1er mars 2026 aux habitants de l'Agglo, sans questionnaire de santé."
)
_VERSION = re.compile(r'name="version" value="([0-9a-f]{40})"')
# How the history and the previews mark the words a change removes and adds.
REMOVED = '<del class="changes__removed"><span class="visually-hidden">[retiré : </span>'
ADDED = '<ins class="changes__added"><span class="visually-hidden">[ajouté : </span>'


def edit_form(csrf: str, version: str, **fields: str) -> dict[str, str]:
    form = {
        "csrf": csrf,
        "kind": "edit",
        "fact_id": FACT,
        "version": version,
        "text": NEW_TEXT,
        "applies_to": "depuis le 1er mars 2026",
        "confidence": "high",
        "source_title": "La mutuelle pour tous – site de l'Agglo",
        "source_url": "https://www.bethunebruay.fr/mutuelle-pour-tous",
        "verified_on": "2026-11-30",
        "valid_from": "",
        "valid_until": "",
        "note": "Ouverture de la mutuelle pour tous",
    }
    form.update(fields)
    return form


async def current_version(client: TestClient, fact: str = FACT) -> str:
    response = await client.get(f"/console/edit/{SLUG}/fact/{fact}")
    assert response.status == 200, await response.text()
    match = _VERSION.search(await response.text())
    assert match
    return match.group(1)


def fact_block(lines: list[str], fact_id: str = FACT) -> list[str]:
    start = lines.index(f"  - id: {fact_id}")
    end = next(index for index in range(start + 1, len(lines)) if lines[index].startswith(("  - id:", "unknown:")))
    return lines[start:end]


async def publish(client: TestClient, form: dict[str, str]) -> Any:
    return await client.post(f"/console/edit/{SLUG}/publish", data=form, allow_redirects=False)


# The edit flow --------------------------------------------------------------------------------
async def test_a_valid_edit_is_previewed_published_committed_and_answered(
    editor_client: tuple[TestClient, str], content: Content
) -> None:
    client, csrf = editor_client
    fiche = await (await client.get(f"/console/topic/{SLUG}")).text()
    assert f'href="/console/edit/{SLUG}/fact/{FACT}"' in fiche
    assert f'href="/console/edit/{SLUG}/history"' in fiche
    assert OLD_TEXT in content.resident()

    form_page = await (await client.get(f"/console/edit/{SLUG}/fact/{FACT}")).text()
    assert (
        "Le projet de territoire prévoit la mise en place d&#39;une mutuelle pour tous" in form_page
    )  # pre-filled, escaped
    version = _VERSION.search(form_page).group(1)  # type: ignore[union-attr]

    preview = await client.post(f"/console/edit/{SLUG}/preview", data=edit_form(csrf, version))
    preview_page = await preview.text()
    assert preview.status == 200, preview_page
    assert "Aperçu" in preview_page and 'action="/console/edit/mutuelle/publish"' in preview_page
    # The resident answer and the agent fiche as they will be, and the file's diff.
    assert preview_page.count("La mutuelle pour tous est ouverte depuis le 1er mars 2026") >= 3
    assert "FICHE AGENT" in preview_page
    assert '<del class="diff__line diff__line--removed">-      Le projet de territoire' in preview_page
    # Nothing is written by a preview.
    assert OLD_TEXT in " ".join(content.file_text().split()) and len(content.commits()) == 1

    response = await publish(client, edit_form(csrf, version))
    assert response.status == 303, await response.text()
    assert response.headers["Location"].startswith(f"/console/edit/{SLUG}/history?publie=")
    commits = content.commits()
    assert len(commits) == 2
    assert commits[0].endswith(
        f"{EDITOR} <{EDITOR}@console.invalid> | {EDITOR} | Ouverture de la mutuelle pour tous"
    ), commits[0]
    assert content.git("status", "--porcelain") == ""
    # The web front's knowledge base answers with the new text at once.
    assert "ouverte depuis le 1er mars 2026" in content.resident()
    assert OLD_TEXT not in content.resident()
    fiche = await (await client.get(f"/console/topic/{SLUG}")).text()
    assert "ouverte depuis le 1er mars 2026" in fiche
    # The rebuilt database on disk (which the other servers read) has it too.
    assert "ouverte depuis le 1er mars 2026" in resident_answer(Services(content.settings).kb, SLUG).text
    history = await client.get(response.headers["Location"])
    history_page = await history.text()
    assert history.status == 200
    assert "Votre modification est publiée" in history_page
    assert "Ouverture de la mutuelle pour tous" in history_page and EDITOR in history_page
    # The fact's old and new text side by side, the words that changed marked…
    assert "Information modifiée – rubrique « Présentation »" in history_page
    assert '<th scope="col">Avant</th><th scope="col">Après</th>' in history_page
    assert re.search(re.escape(REMOVED) + r"[^<]*projet de territoire prévoit", history_page)
    assert re.search(re.escape(ADDED) + r"[^<]*ouverte depuis le 1er mars 2026", history_page)
    # … and the raw diff only behind « Détails techniques ».
    technical = history_page.index("<summary>Détails techniques")
    assert technical < history_page.index('<ins class="diff__line diff__line--added">+')


async def test_the_yaml_keeps_its_comments_order_and_untouched_lines(
    editor_client: tuple[TestClient, str], content: Content
) -> None:
    client, csrf = editor_client
    path = content.kb_dir / TOPIC_FILE
    original = "# Relu par le service santé.\n" + path.read_text(encoding="utf-8").replace(
        "facts:\n", "facts:  # du plus général au plus précis\n"
    )
    path.write_text(original, encoding="utf-8")
    content.git("-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qam", "commentaires")
    form = edit_form(csrf, await current_version(client), valid_from="2026-03-01", valid_until="2026-12-31")
    assert (await publish(client, form)).status == 303
    written = content.file_text()
    assert written.startswith("# Relu par le service santé.\n")
    assert "facts:  # du plus général au plus précis\n" in written
    old_lines, new_lines = original.splitlines(), written.splitlines()
    removed = [line for line in old_lines if line not in new_lines]
    added = [line for line in new_lines if line not in old_lines]
    # Only the fact's own lines changed.
    assert set(removed) <= set(fact_block(old_lines)) and set(added) <= set(fact_block(new_lines)), (removed, added)
    assert "    valid_from: 2026-03-01" in added and "    valid_until: 2026-12-31" in added
    data = yaml.safe_load(written)
    fact = next(item for item in data["facts"] if item["id"] == FACT)
    assert list(fact) == ["id", "field", "text", "applies_to", "valid_from", "valid_until", "confidence", "source"]
    assert fact["text"] == NEW_TEXT
    assert data["facts"][0]["id"] == FACT  # order kept


async def test_an_invalid_edit_is_refused_with_the_reason_and_the_old_answer_kept(
    editor_client: tuple[TestClient, str], content: Content
) -> None:
    client, csrf = editor_client
    before_file, before_answer = content.file_text(), content.resident()
    version = await current_version(client)
    for bad in ({"source_url": "javascript:alert(1)"}, {"source_title": "  "}):
        preview = await client.post(f"/console/edit/{SLUG}/preview", data=edit_form(csrf, version, **bad))
        assert preview.status == 422
        response = await publish(client, edit_form(csrf, version, **bad))
        page = await response.text()
        assert response.status == 422
        assert "ne respecte pas les règles de la base" in page
        assert "kb/topics/mutuelle.yml: fact mutuelle_plan_annonce: source needs a" in page
        assert 'action="/console/edit/mutuelle/publish"' not in page  # no publish button
    assert content.file_text() == before_file
    assert len(content.commits()) == 1
    assert content.resident() == before_answer
    bad_dates = await publish(client, edit_form(csrf, version, valid_from="2026-12-31", valid_until="2026-01-01"))
    assert bad_dates.status == 422 and "Dates de validité incorrectes" in await bad_dates.text()
    no_note = await publish(client, edit_form(csrf, version, note=" "))
    assert no_note.status == 422 and "Note manquante" in await no_note.text()
    assert content.file_text() == before_file


async def test_a_failed_publication_is_a_french_409_and_the_edit_stays_in_the_form(
    editor_client: tuple[TestClient, str], content: Content, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, csrf = editor_client
    before_file = content.file_text()
    version = await current_version(client)
    # git refuses the commit (a hook of the content's repository): nothing is written.
    hook = Path(content.git("rev-parse", "--absolute-git-dir").strip()) / "hooks" / "pre-commit"
    hook.parent.mkdir(exist_ok=True)
    hook.write_text("#!/bin/sh\nexit 1\n", encoding="utf-8")
    hook.chmod(0o755)
    response = await publish(client, edit_form(csrf, version))
    page = await response.text()
    assert response.status == 409
    assert "L'enregistrement a échoué ; rien n'a été publié" in page
    assert "Votre saisie est conservée sur cette page" in page
    assert f">{NEW_TEXT.replace(chr(39), '&#39;')}</textarea>" in page
    assert 'value="Ouverture de la mutuelle pour tous"' in page  # the note too
    assert content.file_text() == before_file and len(content.commits()) == 1
    assert content.git("status", "--porcelain") == ""
    hook.unlink()

    # The commit stands but the rebuild fails: said so, never a server error.
    def failing_build(*_: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr("bot.editing.repository.build", failing_build)
    response = await publish(client, edit_form(csrf, version))
    page = await response.text()
    assert response.status == 409
    assert "La modification est enregistrée dans l'historique, mais la base n'a pas pu être reconstruite" in page
    assert f">{NEW_TEXT.replace(chr(39), '&#39;')}</textarea>" in page
    assert len(content.commits()) == 2 and "ouverte depuis le 1er mars 2026" in " ".join(content.file_text().split())


async def test_a_rollback_restores_the_old_text_as_a_new_commit(
    editor_client: tuple[TestClient, str], content: Content
) -> None:
    client, csrf = editor_client
    original_file = content.file_text()
    first_commit = content.git("rev-parse", "HEAD").strip()
    assert (await publish(client, edit_form(csrf, await current_version(client)))).status == 303
    assert "ouverte depuis le 1er mars 2026" in content.resident()

    history = await (await client.get(f"/console/edit/{SLUG}/history")).text()
    # « Restaurer cette version » (not on the current version) asks for confirmation first.
    assert history.count(f'href="/console/edit/{SLUG}/restore/') == 1
    assert f'href="/console/edit/{SLUG}/restore/{first_commit}"' in history
    assert f'action="/console/edit/{SLUG}/restore"' not in history
    confirmation = await client.get(f"/console/edit/{SLUG}/restore/{first_commit}")
    confirm_page = await confirmation.text()
    assert confirmation.status == 200
    assert "Ce que la restauration changerait" in confirm_page and "Confirmer la restauration" in confirm_page
    # What it would do, side by side: today's text is « Avant », the restored one « Après ».
    assert re.search(re.escape(REMOVED) + r"[^<]*ouverte depuis le 1er mars 2026", confirm_page)
    assert re.search(re.escape(ADDED) + r"[^<]*projet de territoire prévoit", confirm_page)
    assert f'action="/console/edit/{SLUG}/restore"' in confirm_page
    assert len(content.commits()) == 2  # nothing restored yet
    version = _VERSION.search(confirm_page).group(1)  # type: ignore[union-attr]
    restore = {"csrf": csrf, "version": version, "commit": first_commit, "note": "Retour à la version initiale"}
    response = await client.post(f"/console/edit/{SLUG}/restore", data=restore, allow_redirects=False)
    assert response.status == 303, await response.text()
    assert "restaure=" in response.headers["Location"]
    assert content.file_text() == original_file
    assert OLD_TEXT in content.resident() and "ouverte depuis le 1er mars 2026" not in content.resident()
    assert len(content.commits()) == 3
    assert content.commits()[0].endswith(f"| {EDITOR} | Retour à la version initiale")
    assert f"Restored-from: {first_commit}" in content.git("log", "-1", "--format=%B")
    # A commit that is not in the topic's history cannot be restored.
    unknown = {**restore, "version": await current_version(client), "commit": "0" * 40}
    refused = await client.post(f"/console/edit/{SLUG}/restore", data=unknown, allow_redirects=False)
    assert refused.status == 409
    assert len(content.commits()) == 3


async def test_a_concurrent_edit_is_refused_and_nothing_overwritten(
    make_client: Callable[..., Any], editor_settings: Settings, content: Content, editor_agents_file: Path
) -> None:
    AgentStore(editor_agents_file).add("paul.editeur", PASSWORD, role="editor", replace=True)
    first, second = (
        await make_client(editor_settings, content.services),
        await make_client(editor_settings, content.services),
    )
    first_csrf, second_csrf = await log_in(first, EDITOR, PASSWORD), await log_in(second, "paul.editeur", PASSWORD)
    # Both open the same fact's form, on the same version of the file.
    first_version, second_version = await current_version(first), await current_version(second)
    assert first_version == second_version
    assert (await publish(first, edit_form(first_csrf, first_version))).status == 303
    late = edit_form(second_csrf, second_version, text="Un autre texte, écrit en même temps.", note="Autre")
    preview = await second.post(f"/console/edit/{SLUG}/preview", data=late)
    assert preview.status == 409
    response = await publish(second, late)
    page = await response.text()
    assert response.status == 409
    assert f"modifié entre-temps par {EDITOR}" in page
    assert "ouverte depuis le 1er mars 2026" in " ".join(content.file_text().split())
    assert "Un autre texte" not in content.file_text()
    assert len(content.commits()) == 2


async def test_a_facts_questions_are_edited_previewed_published_and_shown_to_editors(
    make_client: Callable[..., Any], editor_client: tuple[TestClient, str], content: Content, editor_settings: Settings
) -> None:
    client, csrf = editor_client
    form_page = await (await client.get(f"/console/edit/{SLUG}/fact/{FACT}")).text()
    assert '<textarea id="edit-questions" name="questions"' in form_page
    assert "Questions des habitants auxquelles elle répond" in form_page
    version = _VERSION.search(form_page).group(1)  # type: ignore[union-attr]
    typed = "  l'agglo a annoncé une mutuelle ?\r\n\n   \ncomment   avoir le pass mobil ?  "
    # Only the questions change: the other fields as they are.
    current = fact_fields(load_document(content.file_text()), FACT)
    unchanged = {name: getattr(current, name) for name in ("text", "applies_to", "confidence", "verified_on")}
    unchanged.update(source_title=current.source_title, source_url=current.source_url)
    form = edit_form(csrf, version, **unchanged, questions=typed)
    preview = await client.post(f"/console/edit/{SLUG}/preview", data=form)
    page = await preview.text()
    assert preview.status == 200, page
    # The questions in the preview: what changes, and the answer each one gets.
    assert f"{ADDED}l&#39;agglo a annoncé une mutuelle ?" in page and f"{ADDED}comment avoir le pass mobil ?" in page
    assert "Réponses aux questions de cette information" in page
    # Each is answered as the live chat answers it: this fact first for the first; the second
    # names the bike aid, so this fact is not its answer.
    first = page[page.index("« l&#39;agglo a annoncé une mutuelle ? »") :]
    assert "Cette information vient en premier" in first[: first.index("« comment avoir le pass mobil ? »")]
    # The publish form carries them, one hidden field each, and says when it is working.
    hidden = re.findall(r'<input type="hidden" name="questions" value="([^"]*)">', page)
    assert hidden == ["l&#39;agglo a annoncé une mutuelle ?", "comment avoir le pass mobil ?"]
    assert 'data-busy-label="Publication en cours…"' in page and "data-busy-status" in page
    assert '<script src="/static/editor.js" defer></script>' in page
    assert not re.search(r"<script(?![^>]*\bsrc=)", page), "no inline script (CSP)"
    script = await client.get("/static/editor.js")
    assert script.status == 200 and "aria-busy" in await script.text()

    before = content.file_text()
    published_form = [(name, value) for name, value in form.items() if name != "questions"]
    published_form += [
        ("questions", "l'agglo a annoncé une mutuelle ?"),
        ("questions", "comment avoir le pass mobil ?"),
    ]
    response = await client.post(f"/console/edit/{SLUG}/publish", data=published_form, allow_redirects=False)
    assert response.status == 303, await response.text()
    written = content.file_text()
    fact = next(item for item in yaml.safe_load(written)["facts"] if item["id"] == FACT)
    assert fact["questions"] == ["l'agglo a annoncé une mutuelle ?", "comment avoir le pass mobil ?"]
    assert (
        "    questions:\n      - l'agglo a annoncé une mutuelle ?\n      - comment avoir le pass mobil ?\n" in written
    )
    assert [line for line in before.splitlines() if line not in written.splitlines()] == []
    assert content.services.kb.topic(SLUG).facts[0].questions == tuple(fact["questions"])  # type: ignore[union-attr]
    history = await (await client.get(response.headers["Location"])).text()
    assert '<th scope="row">Questions des habitants</th>' in history

    # Editors see a fact's questions in the fiche; agents do not.
    fiche = await (await client.get(f"/console/topic/{SLUG}")).text()
    assert "Questions des habitants auxquelles elle répond" in fiche and "« comment avoir le pass mobil ? »" in fiche
    agent = await make_client(editor_settings, content.services)
    await log_in(agent, AGENT, PASSWORD)
    agent_fiche = await (await agent.get(f"/console/topic/{SLUG}")).text()
    assert "comment avoir le pass mobil" not in agent_fiche


async def test_too_many_or_too_long_questions_get_a_french_422(
    editor_client: tuple[TestClient, str], content: Content
) -> None:
    client, csrf = editor_client
    version = await current_version(client)
    for questions, message in (
        ("\n".join(f"question {number} ?" for number in range(21)), "au plus 20 questions"),
        ("q" * 201, "200 caractères au plus"),
    ):
        for action in ("preview", "publish"):
            response = await client.post(
                f"/console/edit/{SLUG}/{action}", data=edit_form(csrf, version, questions=questions)
            )
            page = await response.text()
            assert response.status == 422, (action, page)
            assert "Questions des habitants à corriger" in page and message in page
    assert len(content.commits()) == 1


# Who may edit ---------------------------------------------------------------------------------
async def test_agents_see_no_edit_button_and_get_403(
    make_client: Callable[..., Any], editor_settings: Settings, content: Content
) -> None:
    client = await make_client(editor_settings, content.services)
    csrf = await log_in(client, AGENT, PASSWORD)
    fiche = await (await client.get(f"/console/topic/{SLUG}")).text()
    assert "Le projet de territoire prévoit" in fiche
    assert "/console/edit/" not in fiche
    for path in (
        f"/console/edit/{SLUG}/fact/{FACT}",
        f"/console/edit/{SLUG}/history",
        f"/console/edit/{SLUG}/add",
        f"/console/edit/{SLUG}/restore/{content.git('rev-parse', 'HEAD').strip()}",
    ):
        response = await client.get(path)
        assert response.status == 403, path
        assert "Réservé aux éditeurs" in await response.text()
    version = content.git("hash-object", TOPIC_FILE).strip()
    for action in ("preview", "publish", "restore"):
        response = await client.post(f"/console/edit/{SLUG}/{action}", data=edit_form(csrf, version))
        assert response.status == 403, action
    assert len(content.commits()) == 1 and OLD_TEXT in " ".join(content.file_text().split())


async def test_anonymous_visitors_get_the_login_wall(
    make_client: Callable[..., Any], editor_settings: Settings, content: Content
) -> None:
    client = await make_client(editor_settings, content.services)
    response = await client.get(f"/console/edit/{SLUG}/fact/{FACT}", allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"].startswith("/console/login?next=%2Fconsole%2Fedit%2F")
    version = content.git("hash-object", TOPIC_FILE).strip()
    refused = await client.post(f"/console/edit/{SLUG}/publish", data=edit_form("x", version))
    assert refused.status == 401
    assert len(content.commits()) == 1


async def test_a_role_change_applies_at_once(
    make_client: Callable[..., Any], editor_settings: Settings, content: Content, tmp_path: Path
) -> None:
    agents_file = tmp_path / "agents.yml"
    AgentStore(agents_file).add("lea", PASSWORD, role="editor")
    client = await make_client(editor_settings.copy(update=dict(agents_file=agents_file)), content.services)
    await log_in(client, "lea", PASSWORD)
    assert (await client.get(f"/console/edit/{SLUG}/history")).status == 200
    AgentStore(agents_file).add("lea", PASSWORD, role="agent", replace=True)
    assert (await client.get(f"/console/edit/{SLUG}/history")).status == 403


async def test_every_action_needs_the_sessions_csrf_token(
    editor_client: tuple[TestClient, str], content: Content
) -> None:
    client, csrf = editor_client
    version = await current_version(client)
    first_commit = content.git("rev-parse", "HEAD").strip()
    for token in ("", "not-the-token", csrf[:-1]):
        for action, form in (
            ("preview", edit_form(token, version)),
            ("publish", edit_form(token, version)),
            ("restore", {"csrf": token, "version": version, "commit": first_commit, "note": "x"}),
        ):
            if not token:
                form.pop("csrf")
            response = await client.post(f"/console/edit/{SLUG}/{action}", data=form, allow_redirects=False)
            assert response.status == 403, (action, token)
            assert await response.json() == {"error": "bad_csrf_token"}
    assert len(content.commits()) == 1
    # The forms carry the token.
    form_page = await (await client.get(f"/console/edit/{SLUG}/fact/{FACT}")).text()
    assert f'name="csrf" value="{csrf}"' in form_page


# Where editing is possible --------------------------------------------------------------------
async def test_kb_outside_a_git_work_tree_is_refused_with_a_message(
    make_client: Callable[..., Any], editor_settings: Settings, built_kb: Path, tmp_path: Path
) -> None:
    content = content_copy(built_kb, tmp_path, with_git=False)
    client = await make_client(editor_settings, content.services)
    csrf = await log_in(client, EDITOR, PASSWORD)
    page = await client.get(f"/console/edit/{SLUG}/fact/{FACT}")
    assert page.status == 200
    assert "n'est pas suivi par git" in await page.text()
    before = content.file_text()
    response = await publish(client, edit_form(csrf, "0" * 40))
    assert response.status == 409
    assert "n'est pas suivi par git" in await response.text()
    assert content.file_text() == before


async def test_other_fronts_say_editing_happens_on_the_designated_one(
    make_client: Callable[..., Any], editor_settings: Settings, content: Content
) -> None:
    client = await make_client(editor_settings.copy(update=dict(content_editor=False)), content.services)
    csrf = await log_in(client, EDITOR, PASSWORD)
    fiche = await (await client.get(f"/console/topic/{SLUG}")).text()
    assert f"/console/edit/{SLUG}/fact/{FACT}" in fiche  # nginx sends the link to the designated front
    for path in (f"/console/edit/{SLUG}/fact/{FACT}", f"/console/edit/{SLUG}/history"):
        response = await client.get(path)
        assert response.status == 200
        assert "serveur désigné pour l" in await response.text()
    version = content.git("hash-object", TOPIC_FILE).strip()
    response = await publish(client, edit_form(csrf, version))
    assert response.status == 409
    assert len(content.commits()) == 1


# Adding and retiring facts --------------------------------------------------------------------
async def test_a_fact_is_added_to_an_unknown_field_then_retired(
    editor_client: tuple[TestClient, str], content: Content
) -> None:
    client, csrf = editor_client
    fiche = await (await client.get(f"/console/topic/{SLUG}")).text()
    assert f'href="/console/edit/{SLUG}/add?field=amount"' in fiche
    assert "n'ont pas été publiés" in content.resident("amount")
    form_page = await (await client.get(f"/console/edit/{SLUG}/add?field=amount")).text()
    version = _VERSION.search(form_page).group(1)  # type: ignore[union-attr]
    amount = "La cotisation de la mutuelle pour tous est de 100 € par an."
    form = edit_form(csrf, version, kind="add", fact_id="", field="amount", text=amount, replace_unknown="1")
    assert (await publish(client, form)).status == 303
    answer = content.resident("amount")
    assert amount in answer and "n'ont pas été publiés" not in answer
    data = yaml.safe_load(content.file_text())
    added = next(item for item in data["facts"] if item["text"] == amount)
    assert added["id"] == "mutuelle_amount_1" and added["field"] == "amount"
    assert all(entry["field"] != "amount" for entry in data["unknown"])

    version = await current_version(client, "mutuelle_amount_1")
    retire = {
        "csrf": csrf,
        "kind": "retire",
        "fact_id": "mutuelle_amount_1",
        "version": version,
        "unknown_text": "Le montant de la cotisation n'est pas encore connu.",
        "note": "Montant retiré en attendant la délibération",
    }
    retire_page = await (await client.get(f"/console/edit/{SLUG}/retire/mutuelle_amount_1")).text()
    assert "Information retirée" in retire_page and "100 €" in retire_page
    assert (await publish(client, retire)).status == 303
    answer = content.resident("amount")
    assert amount not in answer and "pas encore connu" in answer
    assert len(content.commits()) == 3


async def test_retiring_the_last_fact_of_a_headline_field_needs_an_unknown_entry(
    editor_client: tuple[TestClient, str], content: Content
) -> None:
    client, csrf = editor_client
    version = await current_version(client)
    retire = {"csrf": csrf, "kind": "retire", "fact_id": FACT, "version": version, "note": "Retrait"}
    response = await publish(client, retire)
    assert response.status == 422
    assert "field what: headline aid needs a verified fact or an &#39;unknown&#39; entry" in await response.text()
    assert len(content.commits()) == 1


async def test_everything_shown_is_escaped(editor_client: tuple[TestClient, str], content: Content) -> None:
    client, csrf = editor_client
    xss = '<script>window.pwned = 1</script><img src=x onerror="window.pwned = 1">'
    preview = await client.post(
        f"/console/edit/{SLUG}/preview", data=edit_form(csrf, await current_version(client), text=xss, note=xss)
    )
    page = await preview.text()
    assert preview.status == 200
    assert "<script>window" not in page and "<img src=x" not in page
    assert "&lt;script&gt;window.pwned = 1&lt;/script&gt;" in page
    assert (await publish(client, edit_form(csrf, await current_version(client), text=xss, note=xss))).status == 303
    for path in (f"/console/topic/{SLUG}", f"/console/edit/{SLUG}/history"):
        shown = await (await client.get(path)).text()
        assert "<script>window" not in shown and "<img src=x" not in shown
        assert "&lt;script&gt;" in shown


async def test_unknown_topics_and_facts_are_404(editor_client: tuple[TestClient, str]) -> None:
    client, _ = editor_client
    for path in (
        "/console/edit/nope/history",
        "/console/edit/..%2F..%2Fetc/history",
        f"/console/edit/{SLUG}/fact/nope",
        f"/console/edit/{SLUG}/fact/..%2Fx",
        f"/console/edit/{SLUG}/add?field=nope",
        f"/console/edit/{SLUG}/retire/nope",
    ):
        assert (await client.get(path)).status == 404, path


# The editors' home page and report -----------------------------------------------------------
async def test_editors_see_what_to_check_again_and_agents_do_not(
    make_client: Callable[..., Any], editor_settings: Settings, content: Content
) -> None:
    client = await make_client(editor_settings, content.services)
    await log_in(client, EDITOR, PASSWORD)
    home = await (await client.get("/console")).text()
    assert "À revérifier" in home and "/console/report" in home
    # The Divion bike aid's period ended on 31/12/2024: listed with its edit link.
    assert "Période terminée" in home and "/console/edit/aide_velo/fact/" in home
    agent = await make_client(editor_settings, content.services)
    await log_in(agent, AGENT, PASSWORD)
    assert "À revérifier" not in await (await agent.get("/console")).text()
    assert (await agent.get("/console/report")).status == 403


async def test_the_report_is_a_console_page_for_editors(
    make_client: Callable[..., Any], editor_settings: Settings, content: Content
) -> None:
    client = await make_client(editor_settings, content.services)
    assert (await client.get("/console/report", allow_redirects=False)).status == 303, "the login wall"
    await log_in(client, EDITOR, PASSWORD)
    # No conversation stored yet: a page that says so, not a server error.
    missing = await client.get("/console/report")
    assert missing.status == 503 and "Rapport indisponible" in await missing.text()
    from rasa.shared.core.domain import Domain

    from channels.tracker_store import AggloTrackerStore

    tracker_db = content.services.settings.var_dir / "tracker.sqlite3"
    AggloTrackerStore(domain=Domain.empty(), dialect="sqlite", db=str(tracker_db)).engine.dispose()
    response = await client.get("/console/report")
    assert response.status == 200
    page = await response.text()
    assert "data:image/png;base64," in page and "<script" not in page
    assert "script-src" not in response.headers["Content-Security-Policy"]


# Imported facts -------------------------------------------------------------------------------
async def test_imported_facts_are_read_only_and_the_editor_says_so(
    editor_client: tuple[TestClient, str], content: Content
) -> None:
    client, csrf = editor_client
    fact_id, topic_file = "velo_mav_montant_cargo", content.kb_dir / "topics" / "aide_velo.yml"
    fiche = await (await client.get("/console/topic/aide_velo")).text()
    item = re.search(rf'<li id="fact-{fact_id}" class="[^"]*">(.*?)</li>', fiche, re.S)
    assert item is not None
    assert "Donnée officielle importée" in item.group(1) and "Importée de Mes Aides Vélo" in item.group(1)
    assert "/console/edit/aide_velo/fact/" not in item.group(1)  # no edit nor retire button
    assert "/console/edit/aide_velo/fact/velo_pass_mobil_existe" in fiche  # hand-written facts keep theirs
    for path in (f"/console/edit/aide_velo/fact/{fact_id}", f"/console/edit/aide_velo/retire/{fact_id}"):
        response = await client.get(path)
        page = await response.text()
        assert response.status == 200
        assert "Information importée : lecture seule" in page and "Mes Aides Vélo" in page
    before = topic_file.read_text(encoding="utf-8")
    version = content.git("hash-object", "topics/aide_velo.yml").strip()
    form = {**edit_form(csrf, version), "fact_id": fact_id, "text": "Aide pour un vélo cargo : 900 €."}
    for action in ("preview", "publish"):
        response = await client.post(f"/console/edit/aide_velo/{action}", data=form, allow_redirects=False)
        assert response.status == 409 and "lecture seule" in await response.text()
    assert topic_file.read_text(encoding="utf-8") == before
    assert "900 €" not in resident_answer(content.services.kb, "aide_velo", field_name="amount").text
