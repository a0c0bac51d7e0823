"""The synonyms of kb/lexicon.yml as the console's editor changes them: only the changed entry's
lines differ, the build reads back what was meant, and every refusal names its word."""

from __future__ import annotations

import pytest
import yaml

from bot.editing.errors import EditError, Issue
from bot.editing.lexicon import (
    MAX_WORD_CHARS,
    MAX_WORDS,
    SynonymChange,
    apply_synonym_change,
    find_entry,
    synonym_entries,
    words_from_text,
)
from bot.kb.content import FIELDS
from bot.kb.question_words import check_lexicon
from bot.settings import PROJECT_ROOT

LEXICON = (PROJECT_ROOT / "kb" / "lexicon.yml").read_text(encoding="utf-8")
DECHETTERIE = find_entry(synonym_entries(LEXICON), "déchetterie")


def changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    old, new = before.splitlines(), after.splitlines()
    return [line for line in old if line not in new], [line for line in new if line not in old]


def synonyms_of(text: str) -> dict[str, list[str]]:
    data = yaml.safe_load(text)
    problems: list[str] = []
    check_lexicon(data, FIELDS, lambda entry, message: problems.append(f"{entry}: {message}"))
    assert problems == []  # the build accepts it
    return dict(data["synonyms"])


def test_the_form_gives_words_one_per_line_or_comma_trimmed_without_repeats() -> None:
    assert words_from_text(" dépotoir \r\n\ndécharge, déchèterie municipale ,dépotoir\n") == (
        "dépotoir",
        "décharge",
        "déchèterie municipale",
    )


def test_an_added_entry_is_one_new_line_after_the_last_one() -> None:
    written = apply_synonym_change(LEXICON, SynonymChange("add", new_meaning="encombrants", words=("monstres",)))
    removed, added = changed_lines(LEXICON, written)
    assert (removed, added) == ([], ["  encombrants: [monstres]"])
    lines = written.splitlines()
    # After the last entry, before the blank line and the comments of the next section.
    position = lines.index("  encombrants: [monstres]")
    last_meaning = list(yaml.safe_load(LEXICON)["synonyms"])[-1]
    assert lines[position - 1].startswith(f"  {last_meaning}:")
    assert lines[position + 1] == "" and lines[position + 2].startswith("# Kinds of question")
    assert synonyms_of(written)["encombrants"] == ["monstres"]


def test_a_changed_entry_changes_its_own_line_only_and_keeps_its_place() -> None:
    change = SynonymChange("edit", "déchetterie", "déchetterie", (*DECHETTERIE.words, "dépotoir"))
    written = apply_synonym_change(LEXICON, change)
    removed, added = changed_lines(LEXICON, written)
    words = ", ".join(DECHETTERIE.words)
    assert removed == [f"  déchetterie: [{words}]"]
    assert added == [f"  déchetterie: [{words}, dépotoir]"]
    meanings = list(synonyms_of(written))
    assert meanings == list(yaml.safe_load(LEXICON)["synonyms"])


def test_a_renamed_meaning_keeps_the_entrys_place() -> None:
    change = SynonymChange("edit", "diagnostic", "diagnostics immobiliers", ("diag", "diags"))
    written = apply_synonym_change(LEXICON, change)
    removed, added = changed_lines(LEXICON, written)
    assert (removed, added) == (["  diagnostic: [diag, diags]"], ["  diagnostics immobiliers: [diag, diags]"])
    meanings = list(synonyms_of(written))
    old_meanings = list(yaml.safe_load(LEXICON)["synonyms"])
    assert meanings.index("diagnostics immobiliers") == old_meanings.index("diagnostic")


def test_a_removed_entry_takes_its_line_and_nothing_else() -> None:
    for meaning in ("propriétaire", "zone à faibles émissions"):  # the first and the last
        written = apply_synonym_change(LEXICON, SynonymChange("remove", meaning))
        removed, added = changed_lines(LEXICON, written)
        assert added == [] and len(removed) == 1 and removed[0].startswith(f"  {meaning}:")
        assert meaning not in synonyms_of(written)


def test_words_yaml_would_misread_are_quoted_and_read_back_as_typed() -> None:
    words = ("on", "yes", "c'est quoi ?", "a: b", "[truc]", "#tri", "tri, à part")
    written = apply_synonym_change(LEXICON, SynonymChange("add", new_meaning="on", words=words[1:]))
    assert synonyms_of(written)["on"] == list(words[1:])


def test_a_hand_written_entry_over_several_lines_is_replaced_whole() -> None:
    hand_written = LEXICON.replace(
        "  bus: [autobus, navette, bus tadao]\n", "  bus: [autobus,\n        navette, bus tadao]\n", 1
    )
    written = apply_synonym_change(hand_written, SynonymChange("edit", "bus", "bus", ("autobus", "car")))
    removed, added = changed_lines(hand_written, written)
    assert removed == ["  bus: [autobus,", "        navette, bus tadao]"]
    assert added == ["  bus: [autobus, car]"]


@pytest.mark.parametrize(
    ("change", "issues"),
    [
        (SynonymChange("add", new_meaning="", words=("x",)), [Issue("no_meaning")]),
        (SynonymChange("add", new_meaning="encombrants", words=()), [Issue("no_words")]),
        (
            SynonymChange("add", new_meaning="Déchetteries", words=("dépotoir",)),
            [Issue("meaning_taken", "Déchetteries", "déchetterie")],
        ),
        (
            SynonymChange("add", new_meaning="encombrants", words=("monstres", "bicyclette", "zone 30")),
            [Issue("word_taken", "bicyclette", "vélo"), Issue("word_has_figure", "zone 30")],
        ),
        (
            SynonymChange("add", new_meaning="encombrants", words=("Encombrant", "monstre", "monstres", "!!")),
            [
                Issue("same_as_meaning", "Encombrant", "encombrants"),
                Issue("repeated_word", "monstres"),
                Issue("word_has_no_letters", "!!"),
            ],
        ),
        (
            SynonymChange("add", new_meaning="encombrants", words=("m" * (MAX_WORD_CHARS + 1),)),
            [Issue("word_too_long", "m" * (MAX_WORD_CHARS + 1), str(MAX_WORD_CHARS))],
        ),
        (
            SynonymChange(
                "add", new_meaning="encombrants", words=tuple(f"mot{'s' * n}x" for n in range(MAX_WORDS + 1))
            ),
            [Issue("too_many_words", str(MAX_WORDS))],
        ),
        (
            SynonymChange("add", new_meaning="collecte 2026", words=("tournée",)),
            [Issue("meaning_has_figure", "collecte 2026")],
        ),
    ],
)
def test_a_bad_entry_is_refused_with_every_problem_named(change: SynonymChange, issues: list[Issue]) -> None:
    with pytest.raises(EditError) as refused:
        apply_synonym_change(LEXICON, change)
    assert refused.value.code == "bad_synonym"
    assert list(refused.value.issues) == issues


def test_the_words_an_entry_already_had_are_not_checked_again() -> None:
    # « dechetterie » is spelt like its meaning once folded: written by hand, kept as it is.
    change = SynonymChange("edit", "déchetterie", "déchetterie", (*DECHETTERIE.words, "dépotoir", "dépotoirs"))
    with pytest.raises(EditError) as refused:
        apply_synonym_change(LEXICON, change)
    assert list(refused.value.issues) == [Issue("repeated_word", "dépotoirs")]


def test_nothing_to_change_and_unknown_entries_are_refused() -> None:
    with pytest.raises(EditError) as unchanged:
        apply_synonym_change(LEXICON, SynonymChange("edit", "déchetterie", "déchetterie", DECHETTERIE.words))
    assert unchanged.value.code == "unchanged"
    for kind in ("edit", "remove"):
        with pytest.raises(EditError) as unknown:
            apply_synonym_change(LEXICON, SynonymChange(kind, "n'existe pas", "n'existe pas", ("x",)))
        assert unknown.value.code == "unknown_synonym"
    with pytest.raises(EditError) as bad_kind:
        apply_synonym_change(LEXICON, SynonymChange("rename", "bus"))
    assert bad_kind.value.code == "bad_field"


def test_a_lexicon_whose_synonyms_are_not_a_block_mapping_is_not_rewritten() -> None:
    flow = LEXICON.replace(
        LEXICON[LEXICON.index("synonyms:\n") : LEXICON.index("\n# Kinds of question")],
        "synonyms: {bac: [conteneur]}\n",
    )
    with pytest.raises(EditError) as refused:
        apply_synonym_change(flow, SynonymChange("add", new_meaning="encombrants", words=("monstres",)))
    assert refused.value.code == "invalid_content"
