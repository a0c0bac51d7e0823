"""The phrase patterns of kb/: normalisation of what residents type, and how patterns match."""

from __future__ import annotations

import pytest

from bot.french.phrases import (
    Normaliser,
    PatternError,
    PhraseSet,
    compile_pattern,
    fold_words,
    sentences,
    vocabulary,
)

WORDS = {"partenaire": ["mari", "conjoint", "petit ami"]}
KNOWN = frozenset({"je", "veux", "courir", "prendre", "mon", "me", "frappe", "sens", "le", "gaz"})


def normaliser(vocab: set[str], **spellings: str) -> Normaliser:
    return Normaliser(spellings, KNOWN, frozenset(vocab))


def test_folding_keeps_elided_letters_and_drops_accents_and_stutters() -> None:
    assert fold_words("J'ai TRÈS peur, aidezzz-moi !") == ["j", "ai", "tres", "peur", "aidez", "moi"]
    assert fold_words("Nœud l'œuf") == ["noeud", "l", "oeuf"]


def test_a_message_is_cut_into_sentences() -> None:
    text = "Bonjour. Je voulais savoir une chose ; merci !\nAutre ligne - fin"
    assert sentences(text) == ["Bonjour", " Je voulais savoir une chose ", " merci ", "Autre ligne", "fin"]


def test_sms_spellings_are_written_out() -> None:
    assert normaliser(set(), jveux="je veux").sentence("jveux partir") == "je veux partir"


def test_je_glued_to_a_known_verb_is_split() -> None:
    assert normaliser(set()).sentence("jsens le gaz") == "je sens le gaz"


def test_a_message_written_out_keeps_everything_but_its_sms_spellings() -> None:
    # Accents, case, apostrophes and punctuation stay as typed; no typo is corrected.
    words = normaliser({"mourir"}, koi="quoi")
    assert words.written_out("Jsens le gaz à l'étage, koi faire ? mourrir") == (
        "je sens le gaz à l'étage, quoi faire ? mourrir"
    )
    assert words.written_out("Jean a un ticket") == "Jean a un ticket"


def test_a_typo_is_corrected_towards_a_pattern_word_but_a_french_word_never_is() -> None:
    words = normaliser({"mourir", "suicide"})
    assert words.sentence("je veux mourrir") == "je veux mourir"
    assert words.sentence("sucide") == "suicide"
    # « courir » is one letter from « mourir », and a French word: it stays « courir ».
    assert words.sentence("je veux courir") == "je veux courir"
    # Short words are never corrected (« tue » / « tuer »).
    assert normaliser({"tuer"}).sentence("tue") == "tue"


def test_word_lists_expand_longest_first_and_match_whole_words() -> None:
    pattern = compile_pattern("mon <partenaire> me frappe", WORDS)
    assert pattern.search("mon petit ami me frappe")
    assert pattern.search("mon mari me frappe")
    assert not pattern.search("mon marin me frappe")


@pytest.mark.parametrize(
    ("source", "message"),
    [("(unclosed", "not a valid regular expression"), ("<inconnu> x", "unknown word list <inconnu>"), (" ", "empty")],
)
def test_a_bad_pattern_is_refused_with_a_reason(source: str, message: str) -> None:
    with pytest.raises(PatternError, match=message):
        compile_pattern(source, WORDS)


def test_all_parts_must_be_in_the_sentence_and_unless_vetoes() -> None:
    phrases = PhraseSet.compile([{"all": ["odeur", "gaz"]}], ["effet de serre"], WORDS)
    assert phrases.matches("une odeur de gaz dans la cuisine")
    assert not phrases.matches("une odeur dans la cuisine")
    assert not phrases.matches("odeur des gaz a effet de serre")


def test_vocabulary_is_the_words_written_out_in_full() -> None:
    patterns = ["(je|j) (veux|vais) (mourir|crever)", "suicid(e|er)", "mourr?ir", "<partenaire> violent"]
    found = vocabulary(patterns, WORDS)
    assert {"mourir", "crever", "conjoint", "violent"} <= found
    assert "suicid" not in found and "mourr" not in found and "mari" not in found  # stems; short words
