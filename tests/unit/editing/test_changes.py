"""What a revision changed, as the history shows it to editors: the two YAML versions compared
fact by fact (by id) and field by field, the lexicon entry by entry."""

from __future__ import annotations

from bot.editing.changes import FieldChange, Piece, compare_lexicon, compare_topic
from bot.settings import PROJECT_ROOT

TOPIC = (PROJECT_ROOT / "kb" / "topics" / "aide_velo.yml").read_text(encoding="utf-8")
LEXICON = (PROJECT_ROOT / "kb" / "lexicon.yml").read_text(encoding="utf-8")
OLD_TEXT = (
    "Le projet de territoire prévoit le Pass'Mobil'Agglo, une aide à l'achat de vélo. Il fait\n"
    "      partie des actions pour développer les transports doux, avec des vélos en libre-service et\n"
    "      un schéma cyclable."
)


def by_name(fields: tuple[FieldChange, ...]) -> dict[str, FieldChange]:
    return {change.name: change for change in fields}


def test_a_changed_fact_shows_each_changed_field_old_and_new_with_the_words_marked() -> None:
    assert OLD_TEXT in TOPIC
    new_text = "Le projet de territoire prévoit le Pass'Mobil'Agglo, une aide à l'achat de vélo électrique."
    after = (
        TOPIC.replace(OLD_TEXT, new_text)
        .replace("    confidence: high\n", "    confidence: medium\n    questions: [c'est quoi le pass mobil ?]\n", 1)
        .replace("      verified_on: 2026-11-27\n", "      verified_on: 2026-12-01\n", 1)
    )
    changes = compare_topic(TOPIC, after)
    assert not changes.empty and not changes.created
    (fact,) = changes.facts
    assert (fact.kind, fact.fact_id, fact.field) == ("changed", "velo_plan_pass_mobil", "what")
    fields = by_name(fact.fields)
    assert list(fields) == ["text", "questions", "confidence", "verified_on"]  # in the history's order
    text = fields["text"]
    shared = "Le projet de territoire prévoit le Pass'Mobil'Agglo, une aide à l'achat de"
    assert text.before[0] == Piece("same", shared) and text.after[0] == Piece("same", shared)
    assert text.before[1].kind == "removed" and text.before[1].text.startswith("vélo. Il fait partie")
    assert text.after[1:] == (Piece("added", "vélo électrique."),)
    assert fields["questions"].is_list
    assert (fields["questions"].before, fields["questions"].after) == (
        (),
        (Piece("added", "c'est quoi le pass mobil ?"),),
    )
    assert fields["confidence"].before == (Piece("removed", "high"),)
    assert fields["verified_on"].after == (Piece("added", "01/12/2026"),)  # dates in French


def test_added_and_retired_facts_and_unknown_entries() -> None:
    start = TOPIC.index("  - id: velo_objectif_part_modale")
    end = TOPIC.index("  - id:", start + 1)
    retired_block = TOPIC[start:end]
    added_block = retired_block.replace("velo_objectif_part_modale", "aide_velo_figures_1")
    after = TOPIC.replace(retired_block, added_block)
    after = after.replace("unknown:\n", "unknown:\n  - field: delay\n    text: Le délai n'est pas connu.\n", 1)
    changes = compare_topic(TOPIC, after)
    kinds = {fact.fact_id: fact.kind for fact in changes.facts}
    assert kinds == {"aide_velo_figures_1": "added", "velo_objectif_part_modale": "retired"}
    added = next(fact for fact in changes.facts if fact.kind == "added")
    assert all(change.before == () for change in added.fields)
    retired = next(fact for fact in changes.facts if fact.kind == "retired")
    assert all(change.after == () for change in retired.fields)
    assert by_name(retired.fields)["text"].before[0].kind == "removed"
    assert [(unknown.kind, unknown.field) for unknown in changes.unknowns] == [("added", "delay")]


def test_a_reformatted_file_a_new_file_and_an_unreadable_one() -> None:
    assert compare_topic(TOPIC, TOPIC.replace("topic: aide_velo", "topic: aide_velo  # commentaire")).empty
    created = compare_topic(None, TOPIC)
    assert created.created and {fact.kind for fact in created.facts} == {"added"}
    assert compare_topic(TOPIC, "facts: [unclosed").unreadable


def test_the_lexicon_entry_by_entry_a_renamed_meaning_paired() -> None:
    after = (
        LEXICON.replace("  bus: [autobus, navette, bus tadao]\n", "  bus: [autobus, navette, car]\n")
        .replace("  diagnostic: [diag, diags]\n", "  diagnostics immobiliers: [diag, diags]\n")
        .replace("  maximum: [max]\n", "")
        .replace(
            "  amende: [pv, contravention, fine]\n", "  amende: [pv, contravention, fine]\n  encombrants: [monstres]\n"
        )
        .replace("negations: [non,", "negations: [non, niet,")
    )
    changes = compare_lexicon(LEXICON, after)
    shown = {(diff.kind, diff.meaning_before, diff.meaning_after): diff.words for diff in changes.synonyms}
    assert set(shown) == {
        ("changed", "bus", "bus"),
        ("changed", "diagnostic", "diagnostics immobiliers"),
        ("removed", "maximum", ""),
        ("added", "", "encombrants"),
    }
    bus = shown[("changed", "bus", "bus")]
    assert bus.before[-1] == Piece("removed", "bus tadao") and bus.after[-1] == Piece("added", "car")
    assert shown[("added", "", "encombrants")].after == (Piece("added", "monstres"),)
    assert changes.other_sections == ("negations",)
    assert compare_lexicon(LEXICON, LEXICON).empty
