"""The other forms of a word's lemma, from the spaCy model's lemmatizer table (bot/french/lexicon.py)."""

from __future__ import annotations

from bot.french.lexicon import inflections
from bot.kb.question_words import INFLECTED_KEY, with_inflections


def test_a_verb_gets_its_conjugated_forms_but_no_participle() -> None:
    forms = inflections("postuler")
    assert {"postule", "postulent"} & set(forms)
    assert "postuler" not in forms
    assert not any(form.endswith(("é", "ée", "ant")) for form in forms)


def test_an_unknown_word_has_no_other_form() -> None:
    assert inflections("zzqxv") == ()


def test_each_kind_gets_the_forms_of_its_one_word_phrases_that_no_kind_lists() -> None:
    lexicon = {
        "question_kinds": {
            "how_to_apply": {"asked_by": ["postuler", "s'inscrire", "comment faire"]},
            "eligibility": {"asked_by": ["concerné"]},
            "contact": {"asked_by": ["postule"]},
        }
    }
    forms = {"postuler": ("postule", "postulera"), "inscrire": ("inscrira",), "concerné": ("concernera",)}
    kinds = with_inflections(lexicon, lambda word: forms.get(word, ()))["question_kinds"]
    # « postule » is the contact kind's own phrase: it stays that kind's alone.
    assert kinds["how_to_apply"][INFLECTED_KEY] == ["inscrira", "postulera"]
    assert kinds["eligibility"][INFLECTED_KEY] == ["concernera"]
    assert kinds["how_to_apply"]["asked_by"] == ["postuler", "s'inscrire", "comment faire"]
