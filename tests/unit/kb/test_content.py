"""Content validation and the atomic build."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import yaml

from bot.kb.build import build
from bot.kb.content import AID_FIELDS, ContentError, load_content
from bot.settings import PROJECT_ROOT, load_settings
from tests.conftest import make_settings

REFERENCE_TOPICS = PROJECT_ROOT.parent / "shared" / "reference" / "topics.yml"


def _slugs(path: Path) -> set[str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {slug for family in data.values() for slug in family}


def _content():
    return load_content(PROJECT_ROOT / "kb", load_settings().french_communes_file)


def test_every_topic_slug_has_content() -> None:
    content = _content()
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    for slug, topic in content.topics.items():
        if topic.family == "conversation":
            # Conversation turns are answered from domain.yml (incompris: the fallback action).
            response = "utter_incompris_reformuler" if slug == "incompris" else f"utter_{slug}"
            assert response in domain["responses"], slug
        else:
            assert topic.intro and topic.facts, slug


# Slugs added after the reference list (kb/topics.yml may add a slug, never rename or drop one):
# issue 16's distress and emergencies, and insults.
ADDED_SLUGS = {"urgence", "insulte"}


@pytest.mark.skipif(not REFERENCE_TOPICS.exists(), reason="shared reference not beside the repo")
def test_topic_catalogue_keeps_every_reference_slug() -> None:
    ours, reference = _slugs(PROJECT_ROOT / "kb" / "topics.yml"), _slugs(REFERENCE_TOPICS)
    assert reference <= ours
    assert ours - reference == ADDED_SLUGS


def test_headline_aids_cover_every_field_or_say_unknown() -> None:
    content = _content()
    for slug in ("aide_recuperateur_eau", "aide_velo", "permis_de_louer", "mutuelle"):
        topic = content.topics[slug]
        assert topic.family == "headline_aid", slug
        covered = {f.field for f in topic.facts if f.confidence != "low"} | {u.field for u in topic.unknowns}
        assert set(AID_FIELDS) <= covered


def test_plan_key_figures_are_attributed_to_the_plan() -> None:
    content = _content()
    plan_texts = " ".join(
        fact.text for fact in content.facts.values() if "projet de territoire" in fact.source.title.lower()
    )
    for figure in ("42 M€", "-78 %", "770 kg", "-15 %", "71 %", "2500", "3300", "8,3 %"):
        assert figure in plan_texts, figure
    assert "-20 à -30 %" in plan_texts or "-20 % à -30 %" in plan_texts


# A fact is shown alone, as the answer to a question: it names what it speaks of, not « leur
# ouverture » or « cette mesure » of the fact written before it.
_ANAPHORIC_OPENINGS = (
    "à leur ",
    "à son ",
    "cette mesure",
    "ce dispositif",
    "cette aide",
    "il ",
    "elle ",
    "ils ",
    "elles ",
    "le centre coûte",
)


def test_every_fact_names_what_it_speaks_of() -> None:
    content = _content()
    leaning = [fact.id for fact in content.facts.values() if fact.text.lower().startswith(_ANAPHORIC_OPENINGS)]
    assert leaning == []


def _write(path: Path, data: object) -> None:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _break_topic(kb_dir: Path, change) -> None:
    path = kb_dir / "topics" / "dechets.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    _write(path, data)


def test_unknown_topic_slug_is_an_error_naming_the_file(kb_copy: Path) -> None:
    _break_topic(kb_copy, lambda data: data.update(topic="poubelles_jaunes"))
    with pytest.raises(ContentError) as error:
        load_content(kb_copy, load_settings().french_communes_file)
    assert any("dechets.yml" in p and "poubelles_jaunes" in p for p in error.value.problems)


def test_missing_source_is_an_error_naming_the_entry(kb_copy: Path) -> None:
    def drop_source(data: dict) -> None:
        del data["facts"][0]["source"]

    _break_topic(kb_copy, drop_source)
    with pytest.raises(ContentError) as error:
        load_content(kb_copy, load_settings().french_communes_file)
    fact_id = yaml.safe_load((PROJECT_ROOT / "kb/topics/dechets.yml").read_text(encoding="utf-8"))["facts"][0]["id"]
    assert any("dechets.yml" in p and fact_id in p and "source" in p for p in error.value.problems)


def test_duplicate_commune_is_an_error(kb_copy: Path) -> None:
    communes = kb_copy / "communes.csv"
    lines = communes.read_text(encoding="utf-8").splitlines()
    communes.write_text("\n".join([*lines, lines[1]]) + "\n", encoding="utf-8")
    with pytest.raises(ContentError) as error:
        load_content(kb_copy, load_settings().french_communes_file)
    assert any("communes.csv" in p and "duplicate commune" in p for p in error.value.problems)


def test_figures_in_an_intro_are_refused(kb_copy: Path) -> None:
    _break_topic(kb_copy, lambda data: data.update(intro="Une aide de 70 € pour tous."))
    with pytest.raises(ContentError) as error:
        load_content(kb_copy, load_settings().french_communes_file)
    assert any("intro" in p for p in error.value.problems)


def test_invalid_content_leaves_the_previous_database_untouched(kb_copy: Path, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, kb_copy)
    build(settings)
    database = settings.sqlite_path
    assert database is not None
    before = database.read_bytes()
    _break_topic(kb_copy, lambda data: data.update(topic="inexistant"))
    with pytest.raises(ContentError):
        build(settings)
    assert database.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".kb-")] == []
    with sqlite3.connect(database) as connection:
        assert connection.execute("select count(*) from topics").fetchone()[0] > 0


def test_a_content_change_reaches_the_database_without_retraining(kb_copy: Path, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, kb_copy)
    _break_topic(kb_copy, lambda data: data.update(intro="Texte modifié par un agent de l'Agglo."))
    build(settings)
    with sqlite3.connect(settings.sqlite_path) as connection:
        intro = connection.execute("select intro from topics where slug = ?", ("dechets",)).fetchone()[0]
    assert intro == "Texte modifié par un agent de l'Agglo."


def test_apology_gives_the_contact_of_the_knowledge_base() -> None:
    """utter_erreur_technique is said when the knowledge base is unreadable, so it carries its
    own copy of the switchboard and the online services site: it must match the facts."""
    content = _content()
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    apology = domain["responses"]["utter_erreur_technique"][0]["text"]
    assert "03 21 61 50 00" in content.facts["contact_standard"].text
    assert "03 21 61 50 00" in apology
    assert "demarches.bethunebruay.fr" in content.facts["contact_demarches"].text
    assert "demarches.bethunebruay.fr" in apology
