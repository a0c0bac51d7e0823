"""An edit published in the console, end to end: the real servers on a copy of kb/ in its own
git repository, with the web front as the designated editing front (AGGLO_CONTENT_EDITOR=1)."""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from ops.dev import DEFAULT_MODEL, Servers
from tests.conftest import editing_servers

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not DEFAULT_MODEL.exists(), reason="no trained model: run `make train`"),
]

EDITOR, PASSWORD = "editeur.e2e", "un mot de passe de test assez long"
# The topic's first « what » fact, the one its overview shows.
SLUG, FACT = "aide_velo", "velo_pass_mobil_existe"
QUESTION = "c'est quoi le pass mobil agglo ?"
OLD_TEXT = "Le Pass'Mobil'Agglo est l'aide à l'achat de vélo de l'Agglo"
# The issue's promise: a publication reaches the residents' answers within seconds.
LIVE_WITHIN_SECONDS = 10
_CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')
_VERSION = re.compile(r'name="version" value="([0-9a-f]{40})"')


@dataclass
class EditingStack:
    servers: Servers
    kb_dir: Path

    @property
    def url(self) -> str:
        return self.servers.config.web_url


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EditingStack]:
    with editing_servers(tmp_path_factory.mktemp("edit-var"), EDITOR, PASSWORD, timeout=300) as (servers, settings):
        yield EditingStack(servers, settings.kb_dir)


def logged_in(stack: EditingStack) -> requests.Session:
    session = requests.Session()
    login_page = session.get(f"{stack.url}/console/login", timeout=30).text
    token = _CSRF_FIELD.search(login_page)
    assert token
    response = session.post(
        f"{stack.url}/console/login",
        data={"csrf": token.group(1), "name": EDITOR, "password": PASSWORD, "next": "/console"},
        timeout=60,
    )
    assert response.status_code == 200 and "Connecté" in response.text
    return session


def publish_text(stack: EditingStack, session: requests.Session, text: str, note: str) -> None:
    form_page = session.get(f"{stack.url}/console/edit/{SLUG}/fact/{FACT}", timeout=30)
    assert form_page.status_code == 200, form_page.text
    csrf, version = _CSRF_FIELD.search(form_page.text), _VERSION.search(form_page.text)
    assert csrf and version
    form = {
        "csrf": csrf.group(1),
        "kind": "edit",
        "fact_id": FACT,
        "version": version.group(1),
        "text": text,
        "applies_to": "depuis le 1er mars 2026",
        "confidence": "high",
        "source_title": "Le Pass'Mobil'Agglo – site de l'Agglo",
        "source_url": "https://www.bethunebruay.fr/pass-mobil-agglo",
        "verified_on": "2026-11-30",
        "note": note,
    }
    preview = session.post(f"{stack.url}/console/edit/{SLUG}/preview", data=form, timeout=120)
    assert preview.status_code == 200 and "Aperçu" in preview.text, preview.text
    published = session.post(f"{stack.url}/console/edit/{SLUG}/publish", data=form, timeout=120)
    assert published.status_code == 200 and "Votre modification est publiée" in published.text, published.text


def widget_answer(stack: EditingStack, sender: str) -> str:
    response = requests.post(f"{stack.url}/api/chat", json={"sender": sender, "message": QUESTION}, timeout=90)
    assert response.status_code == 200, response.text
    return "\n".join(message.get("text", "") for message in response.json())


def test_a_publication_is_on_the_web_fronts_fiche_at_once(stack: EditingStack) -> None:
    session = logged_in(stack)
    text = "Le Pass'Mobil'Agglo est ouvert depuis le 1er mars 2026 aux habitants de l'Agglo."
    publish_text(stack, session, text, "Ouverture du Pass'Mobil'Agglo")
    fiche = session.get(f"{stack.url}/console/topic/{SLUG}", timeout=30).text
    assert "ouvert depuis le 1er mars 2026" in fiche
    last = subprocess.run(
        ["git", "-C", str(stack.kb_dir), "log", "-1", "--format=%an|%s"], check=True, capture_output=True, text=True
    )
    assert last.stdout.strip() == f"{EDITOR}|Ouverture du Pass'Mobil'Agglo"


def test_a_publication_reaches_the_widgets_answer_within_seconds(stack: EditingStack) -> None:
    # The action server has read the knowledge base before the publication.
    before = widget_answer(stack, "e2e-edit-before-0001")
    assert "Pass'Mobil'Agglo" in before
    session = logged_in(stack)
    text = "Le Pass'Mobil'Agglo vous aide à acheter un vélo neuf chez un commerçant du territoire."
    assert "commerçant du territoire" not in before
    publish_text(stack, session, text, "Précision sur le Pass'Mobil'Agglo")
    published_at = time.monotonic()
    answer = before
    attempt = 0
    while "commerçant du territoire" not in answer and time.monotonic() - published_at < LIVE_WITHIN_SECONDS:
        time.sleep(1)
        attempt += 1
        answer = widget_answer(stack, f"e2e-edit-after-{attempt:04d}")
    assert "commerçant du territoire" in answer
