"""The conversation evaluation set stays valid, and the quality benchmark scores it correctly.

Offline and fast: the knowledge base built from kb/ (conftest), no Rasa model.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from bench.quality import people
from bench.quality.conversations import (
    QUESTION_SETS,
    QUESTIONS_BLIND_SET,
    TUNING_DIR,
    Case,
    Turn,
    contains,
    content_problems,
    coverage_problems,
    domain_responses,
    load_cases,
    possible_answers,
    question_set_paths,
    training_overlap,
    turns,
)
from bench.quality.end_to_end import check_turn
from bench.quality.scores import scores
from bench.quality.systems import DEFAULT_CONFIG, load_nlu_data
from bench.quality.topics import next_context
from bot.core.answers import agent_fiche, resident_answer
from bot.core.services import Services
from bot.core.topics import turn_topic
from bot.settings import PROJECT_ROOT


@pytest.fixture(scope="module")
def cases() -> list[Case]:
    return load_cases()


def test_the_set_covers_what_the_issue_asks(cases: list[Case], services: Services) -> None:
    slugs = [topic.slug for topic in services.kb.topics() if topic.slug not in people.TOPICS]
    assert coverage_problems(cases, slugs) == []
    tags = {tag for case in cases for tag in case.tags}
    assert {"typo", "sms", "no_accent", "commune_member", "commune_non_member", "out_of_scope", "agent"} <= tags
    assert any(turn.metadata.get("agent") for _, _, turn in turns(cases)), "metadata.agent"
    # A resident typing « fiche … » gets the resident answer, never the agent view.
    resident_fiches = [turn for _, _, turn in turns(cases) if not turn.agent and "fiche" in turn.text]
    assert resident_fiches and all("FICHE AGENT" in turn.must_not_contain for turn in resident_fiches)


def test_every_required_string_is_in_an_answer_of_the_knowledge_base(cases: list[Case], services: Services) -> None:
    assert content_problems(cases, services.kb, services.communes) == []


def test_no_message_repeats_a_training_example(cases: list[Case]) -> None:
    training = [example.text for example in load_nlu_data().examples]
    assert len(training) > 1000
    assert training_overlap(cases, training) == []


def test_an_unknown_amount_is_guarded_against_euro_figures(cases: list[Case]) -> None:
    # The bike aid's amounts are known since they are imported from Mes Aides Vélo: its answers
    # are held to the imported rule's amounts instead (tests/unit/core/test_bike_aid.py).
    for _, _, turn in turns(cases):
        if turn.expected_topic in ("aide_recuperateur_eau", "mutuelle") and not turn.agent:
            has_own_scheme = "dispositif de la commune, pas de l'Agglo" in turn.must_contain
            assert has_own_scheme or "€" in turn.must_not_contain, turn.text


# The blind set (bench/eval/questions_blind.yml): the kinds it was written with, and every
# message new. Its `until_refresh` cases rest on facts of the content refresh of issue 19, so
# only the others' required strings are checked against today's kb/.
BLIND_KINDS = {
    "question_kind": 40,
    "commune_plus_question": 14,
    "figure": 12,
    "correction": 16,
    "two_questions": 10,
    "wrapper": 10,
    "unknown_next_step": 8,
    "english": 4,
    "non_member": 3,
    "agent": 3,
}
NOT_MEMBER = " ne fait pas partie des communes de l'Agglo"


@pytest.fixture(scope="module")
def blind_cases() -> list[Case]:
    return load_cases(QUESTIONS_BLIND_SET)


def test_the_blind_set_has_its_kinds_and_covers_every_topic(blind_cases: list[Case]) -> None:
    assert Counter(case.kind for case in blind_cases) == BLIND_KINDS
    assert all(len(case.turns) > 1 for case in blind_cases if case.kind == "correction")
    for case in blind_cases:
        if case.kind == "two_questions":
            assert all(len(turn.expected_topics) == 2 for turn in case.turns), case.id
        if case.kind == "agent":
            assert all(turn.agent for turn in case.turns), case.id
    asked = {topic for _, _, turn in turns(blind_cases) for topic in (turn.expected_topics or (turn.expected_topic,))}
    # The emergencies are no topic a question asks: issue 16's tables evaluate them (bench/quality/people.py).
    topic_files = {path.stem for path in (PROJECT_ROOT / "kb" / "topics").glob("*.yml")}
    assert topic_files - set(people.TOPICS) <= asked


def test_no_blind_message_repeats_a_training_example(blind_cases: list[Case]) -> None:
    training = [example.text for example in load_nlu_data().examples]
    assert training_overlap(blind_cases, training) == []


def test_the_blind_sets_required_strings_are_in_answers_of_the_knowledge_base(
    blind_cases: list[Case], services: Services
) -> None:
    kb, responses = services.kb, domain_responses()
    problems = []
    for case in blind_cases:
        if "until_refresh" in case.tags:
            continue
        communes = [
            match.commune.insee
            for turn in case.turns
            for match in services.communes.find_all(turn.text)
            if match.commune is not None
        ]
        for number, turn in enumerate(case.turns, start=1):
            answers = [
                answer
                for topic in (turn.expected_topics or (turn.expected_topic,))
                for answer in possible_answers(kb, topic, communes, responses)
            ]
            for needle in turn.must_contain:
                if needle.endswith(NOT_MEMBER):
                    found = contains(turn.text, needle.removesuffix(NOT_MEMBER))
                else:
                    found = any(contains(answer, needle) for answer in answers)
                if not found:
                    problems.append(f"{case.id} turn {number}: {needle!r}")
    assert problems == []


def test_malformed_cases_are_rejected(tmp_path: Path) -> None:
    path = tmp_path / "bad.yml"
    path.write_text(yaml.safe_dump({"cases": [{"id": "x", "turns": [{"text": "bonjour"}]}]}), encoding="utf-8")
    with pytest.raises(ValueError, match="expected_topic"):
        load_cases(path)
    path.write_text(
        yaml.safe_dump({"cases": [{"id": "x", "turns": [{"text": "a", "expected_topic": "b", "must_contain": "c"}]}]}),
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="list of non-empty strings"):
        load_cases(path)


def test_the_rasa_default_baseline_is_rasas_own_default_pipeline() -> None:
    import rasa

    installed = Path(rasa.__file__).parent / "engine" / "recipes" / "config_files" / "default_config.yml"
    default = yaml.safe_load(installed.read_text(encoding="utf-8"))
    ours = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    assert ours["pipeline"] == default["pipeline"]
    assert ours["language"] == "fr"


def test_topics_of_nlu_output_follow_the_actions(services: Services) -> None:
    kb, detector = services.kb, services.topics

    def topic(intent: str, text: str, current: str | None = None, dispositif: str | None = None) -> str:
        return turn_topic(intent, dispositif, text, current, kb, detector)

    assert topic("nlu_fallback", "qsdf") == "incompris"
    assert topic("hors_sujet", "la météo") == "hors_sujet"
    assert topic("demander_delai", "quel est le délai ?", current="permis_de_louer") == "permis_de_louer"
    assert topic("demander_delai", "quel est le délai ?") == "incompris"
    assert topic("demander_contact", "qui appeler ?") == "contact"
    assert topic("demander_montant", "combien pour l'aide", dispositif="aide_velo") == "aide_velo"
    assert topic("demander_montant", "combien pour une cuve à eau ?") == "aide_recuperateur_eau"
    assert topic("informer_commune", "et à Gosnay ?", current="permis_de_louer") == "permis_de_louer"
    assert topic("informer_commune", "j'habite à Auchel") == "communes"
    assert topic("communes", "Lens est dans l'agglo ?", current="mutuelle") == "communes"
    assert (
        turn_topic("mutuelle", None, "et pour Gosnay ?", "permis_de_louer", kb, detector, only_commune=True)
        == "permis_de_louer"
    )
    assert next_context("permis_de_louer", "remerciement") == "permis_de_louer"
    assert next_context("permis_de_louer", "communes") == "communes"


def test_scores() -> None:
    result = scores(
        ["aide_velo", "hors_sujet", "hors_sujet", "mutuelle"],
        ["aide_velo", "hors_sujet", "incompris", "aide_velo"],
        [0.01, 0.03],
        ["aide_velo", "hors_sujet", "hors_sujet", "mutuelle"],
        ["aide_velo", "hors_sujet", "nlu_fallback", "aide_velo"],
    )
    assert result["topic_accuracy"] == pytest.approx(0.5)
    assert result["oos_recall"] == pytest.approx(0.5)
    assert result["intent_accuracy"] == pytest.approx(0.5)
    # F1: aide_velo 2/3, hors_sujet 2/3, mutuelle 0 → macro 4/9.
    assert result["topic_macro_f1"] == pytest.approx(4 / 9)
    assert result["nlu_seconds"] == pytest.approx(0.02)


def _reply(text: str, payload: dict[str, object]) -> list[dict[str, object]]:
    return [{"recipient_id": "x", "text": text}, {"recipient_id": "x", "custom": payload}]


def test_an_end_to_end_turn_is_checked_for_facts_and_invented_figures(services: Services) -> None:
    kb = services.kb
    turn = Turn("combien coûte la mutuelle pour tous ?", "mutuelle", ("03 21 61 50 00",), ("€",))
    case = Case("t", (turn,))
    good = resident_answer(kb, "mutuelle", field_name="amount")
    row = check_turn(kb, case, 0, _reply(good.text, good.payload()), 0.1)
    assert row["passed"] and row["invented"] == []

    invented = good.text + "\nLa cotisation est de 150 € par mois."
    row = check_turn(kb, case, 0, _reply(invented, good.payload()), 0.1)
    assert not row["passed"]
    assert row["forbidden"] == ["€"] and row["invented"] == ["150"]

    row = check_turn(kb, case, 0, [{"recipient_id": "x", "text": "Désolé"}], 0.1)
    assert row["topic"] == "(no payload)" and not row["facts_ok"] and not row["figures_ok"]


def test_agents_may_see_low_confidence_figures_residents_may_not(services: Services) -> None:
    kb = services.kb
    fiche = agent_fiche(kb, "aide_recuperateur_eau")
    assert contains(fiche.text, "70 €")
    agent_turn = Case("a", (Turn("fiche récupérateur", "aide_recuperateur_eau", metadata={"agent": True}),))
    assert check_turn(kb, agent_turn, 0, _reply(fiche.text, fiche.payload()), 0.1)["figures_ok"]
    resident_turn = Case("r", (Turn("récupérateur", "aide_recuperateur_eau"),))
    row = check_turn(kb, resident_turn, 0, _reply(fiche.text, fiche.payload()), 0.1)
    assert "70" in row["invented"]


TUNING_SETS = sorted(TUNING_DIR.glob("*.yml"))


def test_the_quality_benchmark_plays_every_tuning_set_after_the_fixed_ones() -> None:
    names = list(question_set_paths())
    assert names[: len(QUESTION_SETS)] == list(QUESTION_SETS)
    assert [question_set_paths()[name] for name in names[len(QUESTION_SETS) :]] == TUNING_SETS
    assert TUNING_SETS and all(name.startswith("tuning dev") for name in names[len(QUESTION_SETS) :])


@pytest.mark.parametrize("path", TUNING_SETS, ids=lambda path: path.stem)
def test_a_tuning_set_is_valid_new_and_answerable(path: Path, services: Services) -> None:
    # The sets a session tunes on (bench/eval/tuning/): never training data, and every required
    # string is one an answer of the knowledge base can give (emergencies aside: issue 16's
    # patterns answer them, not a topic's facts).
    tuning = load_cases(path)
    training = [example.text for example in load_nlu_data().examples]
    assert training_overlap(tuning, training) == []
    topical = [case for case in tuning if all(turn.expected_topic not in people.TOPICS for turn in case.turns)]
    assert content_problems(topical, services.kb, services.communes) == []
