"""The emergency texts are facts of kb/topics/urgence.yml: the console's editor changes them like
any fact, and refuses a change that would drop the number a kind of kb/emergencies.yml gives."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.editing.document import Change, FactFields
from bot.editing.errors import EditError
from bot.editing.service import ContentEditor
from bot.kb.build import build
from tests.conftest import content_repository, make_settings

SOURCE = FactFields(
    confidence="high",
    applies_to="en service depuis le 1er octobre 2021",
    source_title="Le 3114, un nouveau numéro national de prévention du suicide – Service-Public.fr",
    source_url="https://www.service-public.fr/particuliers/actualites/A15206",
    verified_on="2026-12-02",
)


@pytest.fixture()
def editor(tmp_path: Path) -> ContentEditor:
    settings = make_settings(tmp_path, content_repository(tmp_path / "content"))
    build(settings)
    return ContentEditor(settings)


def _edit(text: str) -> Change:
    fields = FactFields(**{**SOURCE.__dict__, "text": text})
    return Change(kind="edit", fact_id="urgence_3114", fact=fields)


def test_an_emergency_text_is_edited_and_previewed_like_any_fact(editor: ContentEditor) -> None:
    text = "Si vous pensez au suicide, appelez le 3114 : gratuit, 24h/24 et 7j/7, des soignants vous répondent."
    preview = editor.preview("urgence", _edit(text))
    assert any(line.kind == "added" and "3114 : gratuit" in line.text for line in preview.diff)
    # The preview is what a resident in distress is told, with the new text, not an overview.
    assert preview.resident_overview.startswith("[Idées suicidaires]\n" + text)
    assert preview.resident_field == ""


def test_an_edit_that_drops_the_number_is_refused_with_the_reason(editor: ContentEditor) -> None:
    with pytest.raises(EditError) as error:
        editor.preview("urgence", _edit("Si vous allez très mal, parlez-en à un proche."))
    assert error.value.code == "invalid_content"
    assert "kb/emergencies.yml: kind suicide: number '3114' is in none of its facts" in error.value.problems
