"""The conversation evaluation set (bench/eval/conversations.yml): loading, validity checks, and
step 2 of the quality benchmark, the set in each NLU system's view.

The checks keep the set honest as the knowledge base and the training data change: every
expected topic is a slug of kb/topics.yml, every required string is something the current
knowledge base really puts in an answer of that topic, and no message is (nearly) a
training example.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from rapidfuzz import fuzz, process

from bench.quality.scores import scores
from bench.quality.systems import NluSystem, Parse
from bench.quality.topics import Topics, next_context
from bot.core.answers import agent_fiche, commune_answer, contact_answer, resident_answer
from bot.core.matching import CommuneMatcher
from bot.french.text import fold
from bot.kb.content import FIELDS
from bot.kb.queries import KnowledgeBase
from bot.settings import PROJECT_ROOT

EVAL_SET = PROJECT_ROOT / "bench" / "eval" / "conversations.yml"
# The set of issue 15 (« answer the question that was asked »): the same format, plus each case's
# kind and, per turn, the fact that must come first, figures never to state, and two topics.
QUESTIONS_SET = PROJECT_ROOT / "bench" / "eval" / "questions.yml"
# Facts official sources hold, asked before they entered kb/ (issue 19).
OFFICIAL_DATA_SET = PROJECT_ROOT / "bench" / "eval" / "official_data.yml"
# The same format as QUESTIONS_SET, 120 new cases written blind (their author never saw the
# assistant's answers), before the changes they measure; frozen, never used for tuning.
QUESTIONS_BLIND_SET = PROJECT_ROOT / "bench" / "eval" / "questions_blind.yml"
# Issue 15's sets as the quality benchmark names them (« answer the question that was asked »).
FROZEN_QUESTIONS = "questions (frozen)"
QUESTION_SETS = {
    FROZEN_QUESTIONS: QUESTIONS_SET,
    "questions (blind)": QUESTIONS_BLIND_SET,
    "official data": OFFICIAL_DATA_SET,
}
# Sets a session writes before the changes it tunes (bench/eval/tuning/), measured beside the
# fixed ones so that their figures can be rerun by anyone.
TUNING_DIR = PROJECT_ROOT / "bench" / "eval" / "tuning"
DOMAIN_FILE = PROJECT_ROOT / "domain.yml"
HEADLINE_AIDS = ("aide_recuperateur_eau", "aide_velo", "permis_de_louer", "mutuelle")
BIKE_TYPES = (None, "electrique", "cargo", "pliant", "classique")
# A message this close to a training example (rapidfuzz ratio on folded text) is a copy
# (the same bound as the held-out check of tests/integration/rasa/test_held_out_split.py).
NEAR_DUPLICATE_RATIO = 85.0
# What the issue asks the set to hold.
MIN_MESSAGES = 150
MIN_PER_AID = 3
MIN_PER_TOPIC = 2
MIN_OUT_OF_SCOPE = 20
MIN_MULTI_TURN = 10


def question_set_paths() -> dict[str, Path]:
    """Issue 15's sets by name: the fixed ones, then each tuning set as « tuning <file> »."""
    tuning = {f"tuning {path.stem}": path for path in sorted(TUNING_DIR.glob("*.yml"))}
    return {**QUESTION_SETS, **tuning}


@dataclass(frozen=True)
class Turn:
    text: str
    expected_topic: str
    must_contain: tuple[str, ...] = ()
    must_not_contain: tuple[str, ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict)
    # Fact ids, any one of which must be the answer's first fact (payload `facts`).
    first_fact: tuple[str, ...] = ()
    # Figures never to state (low-confidence or invented amounts and dates).
    forbidden_figures: tuple[str, ...] = ()
    # Two questions in one message: both topics answered, in this order.
    expected_topics: tuple[str, ...] = ()

    @property
    def agent(self) -> bool:
        """Agents get the complete fiche, through ``metadata.agent`` only."""
        return self.metadata.get("agent") is True


@dataclass(frozen=True)
class Case:
    id: str
    turns: tuple[Turn, ...]
    tags: tuple[str, ...] = ()
    # The kind of conversation (questions.yml): question_kind, correction, two_questions…
    kind: str = ""


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise ValueError(f"{where}: expected a list of non-empty strings, got {value!r}")
    return tuple(value)


def load_cases(path: Path = EVAL_SET) -> list[Case]:
    """The cases of the evaluation set; ValueError on a malformed entry."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    cases: list[Case] = []
    seen: set[str] = set()
    for index, raw in enumerate(data.get("cases") or []):
        case_id = str(raw.get("id") or "")
        if not case_id or case_id in seen:
            raise ValueError(f"case #{index}: missing or duplicate id {case_id!r}")
        seen.add(case_id)
        turns = []
        for number, turn in enumerate(raw.get("turns") or [], start=1):
            where = f"{case_id} turn {number}"
            text, topic = turn.get("text"), turn.get("expected_topic")
            if not isinstance(text, str) or not text.strip() or not isinstance(topic, str):
                raise ValueError(f"{where}: text and expected_topic are required")
            metadata = turn.get("metadata") or {}
            if not isinstance(metadata, dict):
                raise ValueError(f"{where}: metadata must be a mapping")
            turns.append(
                Turn(
                    text=text,
                    expected_topic=topic,
                    must_contain=_strings(turn.get("must_contain"), where),
                    must_not_contain=_strings(turn.get("must_not_contain"), where),
                    metadata=metadata,
                    first_fact=_strings(turn.get("first_fact"), where),
                    forbidden_figures=_strings(turn.get("forbidden_figures"), where),
                    expected_topics=_strings(turn.get("expected_topics"), where),
                )
            )
        if not turns:
            raise ValueError(f"{case_id}: no turns")
        cases.append(
            Case(id=case_id, turns=tuple(turns), tags=tuple(raw.get("tags") or ()), kind=str(raw.get("kind") or ""))
        )
    return cases


def turns(cases: Iterable[Case]) -> Iterator[tuple[Case, int, Turn]]:
    for case in cases:
        for index, turn in enumerate(case.turns):
            yield case, index, turn


def contains(text: str, needle: str) -> bool:
    """Case- and spacing-insensitive: "5 000 €" matches whatever space the answer uses."""
    return " ".join(needle.split()).casefold() in " ".join(text.split()).casefold()


def domain_responses(domain_file: Path = DOMAIN_FILE) -> dict[str, list[str]]:
    domain = yaml.safe_load(domain_file.read_text(encoding="utf-8"))
    return {
        name: [str(variant.get("text", "")) for variant in variants]
        for name, variants in (domain.get("responses") or {}).items()
    }


def _case_communes(case: Case, matcher: CommuneMatcher) -> list[str]:
    found: list[str] = []
    for turn in case.turns:
        for match in matcher.find_all(turn.text):
            if match.commune is not None and match.commune.insee not in found:
                found.append(match.commune.insee)
    return found


def possible_answers(kb: KnowledgeBase, topic: str, communes: list[str], responses: dict[str, list[str]]) -> list[str]:
    """Every answer text the assistant can give under ``topic`` for these communes."""
    view = kb.topic(topic)
    if view is None:
        return []
    if view.family == "conversation":
        texts = list(responses.get(f"utter_{topic}", []))
        if topic == "incompris":
            texts += responses.get("utter_incompris_reformuler", []) + responses.get("utter_incompris_contact", [])
            texts.append(contact_answer(kb, topic).text)
        return texts
    texts = []
    bike_types = BIKE_TYPES if topic == "aide_velo" else (None,)
    for commune in (None, *communes):
        texts.append(agent_fiche(kb, topic, commune_insee=commune).text)
        for field_name in (None, *FIELDS):
            for bike_type in bike_types:
                for commune_only in (False, True):
                    texts.append(
                        resident_answer(
                            kb,
                            topic,
                            field_name=field_name,
                            commune_insee=commune,
                            bike_type=bike_type,
                            commune_only=commune_only,
                        ).text
                    )
        if topic == "communes" and commune is not None:
            texts.append(commune_answer(kb, commune).text)
    return texts


def content_problems(cases: list[Case], kb: KnowledgeBase, matcher: CommuneMatcher) -> list[str]:
    """Expected topics that are not slugs, and required strings no answer of the topic has."""
    problems = []
    responses = domain_responses()
    for case in cases:
        communes = _case_communes(case, matcher)
        for number, turn in enumerate(case.turns, start=1):
            where = f"{case.id} turn {number}"
            if kb.topic(turn.expected_topic) is None:
                problems.append(f"{where}: {turn.expected_topic!r} is not a topic slug of kb/topics.yml")
                continue
            answers = possible_answers(kb, turn.expected_topic, communes, responses)
            for needle in turn.must_contain:
                if not any(contains(answer, needle) for answer in answers):
                    problems.append(f"{where}: no {turn.expected_topic} answer contains {needle!r}")
    return problems


def training_overlap(cases: list[Case], training_texts: Iterable[str]) -> list[str]:
    """Messages that repeat, or nearly repeat, a training example."""
    keys = sorted({fold(text) for text in training_texts})
    problems = []
    for case, index, turn in turns(cases):
        best = process.extractOne(fold(turn.text), keys, scorer=fuzz.ratio)
        if best is not None and best[1] >= NEAR_DUPLICATE_RATIO:
            problems.append(f"{case.id} turn {index + 1}: {turn.text!r} ~ training example {best[0]!r}")
    return problems


def coverage_problems(cases: list[Case], topic_slugs: Iterable[str]) -> list[str]:
    """What the set must cover: size, every topic, out-of-scope messages, multi-turn cases."""
    counts = Counter(turn.expected_topic for _, _, turn in turns(cases))
    problems = []
    total = sum(counts.values())
    if total < MIN_MESSAGES:
        problems.append(f"{total} messages, at least {MIN_MESSAGES} expected")
    for slug in topic_slugs:
        minimum = MIN_PER_AID if slug in HEADLINE_AIDS else MIN_PER_TOPIC
        if slug == "hors_sujet":
            minimum = MIN_OUT_OF_SCOPE
        if counts[slug] < minimum:
            problems.append(f"{slug}: {counts[slug]} messages, at least {minimum} expected")
    multi = sum(1 for case in cases if len(case.turns) > 1)
    if multi < MIN_MULTI_TURN:
        problems.append(f"{multi} multi-turn cases, at least {MIN_MULTI_TURN} expected")
    return problems


def evaluate_set_nlu(system: NluSystem, cases: Sequence[Case], topics: Topics) -> dict[str, Any]:
    """Turn by turn; each system's own previous topic is the context of the next turn."""
    texts = [turn.text for _, _, turn in turns(cases)]
    parses = iter(system.parse_all(texts))
    gold, predicted, seconds, misses = [], [], [], []
    for case in cases:
        current: str | None = None
        for index, turn in enumerate(case.turns):
            parse: Parse = next(parses)
            topic = topics.of(parse.intent, parse.dispositif, turn.text, current)
            current = next_context(current, topic)
            gold.append(turn.expected_topic)
            predicted.append(topic)
            seconds.append(parse.seconds)
            if topic != turn.expected_topic:
                misses.append(
                    {
                        "case": case.id,
                        "turn": index,
                        "text": turn.text,
                        "intent": parse.intent,
                        "topic": topic,
                        "expected_topic": turn.expected_topic,
                    }
                )
    return {**scores(gold, predicted, seconds), "misses": misses}
