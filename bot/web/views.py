"""What the console pages show, assembled from the knowledge base (no HTML here)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from bot.core.streets import SETTLED as SETTLED_VERDICTS
from bot.core.streets import StreetList, Verdict, street_matcher, verdict_template, verdict_values
from bot.french.text import fold
from bot.kb.content import AID_FIELDS, RESIDENT_CONFIDENCES
from bot.kb.freshness import ended_facts, stale_facts
from bot.kb.queries import (
    CommuneView,
    FactView,
    KnowledgeBase,
    RuleView,
    SourceView,
    TopicView,
    UnknownView,
    search_words,
)

# The families the console lists on its home page, in this order.
LISTED_FAMILIES = ("headline_aid", "plan", "safety")
# A fact whose period is only past years (« 2018 », « 2022-2023 », « de 2018 à 2025 »): history.
_PAST_YEARS = re.compile(r"(?:en |de )?(\d{4})(?:\s*(?:-|–|à|et)\s*(\d{4}))?")
# A word of a text, for highlighting (apostrophes and hyphens separate words, as fold() does).
_WORD_RUN = re.compile(r"[^\W_]+")
# A word of the text is highlighted when it is this close to a word searched (the search's own
# threshold, bot/kb/queries.py).
HIGHLIGHT_RATIO = 80


@dataclass(frozen=True)
class FicheSection:
    field: str
    heading: str
    facts: list[FactView]
    unknowns: list[UnknownView]
    # A headline aid's field with no fact residents may be told: flagged "à vérifier".
    unverified: bool
    # What the agent reads out first, and what stays folded below it: history (a period over)
    # and low-confidence reconstructions.
    current: list[FactView]
    folded: list[FactView]


@dataclass(frozen=True)
class Fiche:
    topic: TopicView
    sections: list[FicheSection]
    rules: list[RuleView]
    contacts: list[FactView]
    sources: list[SourceView]
    commune_names: dict[str, str]
    labels: dict[str, dict[str, str]]
    # Ids of the facts whose period has ended, or has not started yet, on the day shown.
    expired: frozenset[str] = frozenset()
    not_yet_valid: frozenset[str] = frozenset()
    # Facts of a past period (folded under « Historique »).
    history: frozenset[str] = frozenset()
    # The communes of the rules whose streets a source lists (the rules table says so).
    street_lists: dict[str, StreetList] = field(default_factory=dict)


@dataclass(frozen=True)
class StreetCheck:
    """« Ma rue est-elle concernée ? » for a rule that applies street by street: the lists of the
    commune (current first), and what they say of the street asked, as a sentence of
    kb/messages.yml."""

    lists: list[StreetList]
    asked: str
    verdict: Verdict | None
    sentence: str
    # The sentences of every verdict, with the commune and rule filled in: the offline console
    # words its own verdicts with them (static/agglomobile.js).
    sentences: dict[str, str]
    # The verdict needs the contact to confirm it (no list, a past one, a street to check).
    needs_contact: bool


@dataclass(frozen=True)
class CommuneRuleLine:
    rule_label: str
    topic: TopicView
    rule: RuleView | None  # None: the commune is not in the rule's list
    reference: FactView
    streets: StreetCheck | None = None


@dataclass(frozen=True)
class CommunePage:
    commune: CommuneView
    rules: list[CommuneRuleLine]
    own_facts: list[FactView]
    labels: dict[str, dict[str, str]] = field(default_factory=dict)


def _labels(kb: KnowledgeBase) -> dict[str, dict[str, str]]:
    return {
        "statuses": kb.message("rule_statuses"),
        "perimeters": kb.message("perimeters"),
        "rules": kb.message("rule_labels"),
    }


def _add_source(sources: list[SourceView], source: SourceView) -> None:
    if source not in sources:
        sources.append(source)


def fiche(kb: KnowledgeBase, slug: str, today: dt.date | None = None) -> Fiche | None:
    """The complete agent fiche of a topic: every fact, unknown, rule and contact, with sources,
    and which facts are outside their period ``today`` (default: the date now)."""
    today = today or dt.date.today()
    topic = kb.topic(slug)
    if topic is None:
        return None
    headings: dict[str, str] = dict(kb.message("agent_headings"))
    for fact in topic.facts:
        headings.setdefault(fact.field, fact.field)
    for unknown in topic.unknowns:
        headings.setdefault(unknown.field, unknown.field)
    sections = []
    sources: list[SourceView] = []
    for name, heading in headings.items():
        facts = topic.facts_for(name, residents=False)
        unknowns = topic.unknowns_for(name)
        unverified = (
            topic.family == "headline_aid"
            and name in AID_FIELDS
            and not any(fact.confidence in RESIDENT_CONFIDENCES for fact in facts)
        )
        if facts or unknowns or unverified:
            folded = [fact for fact in facts if not fact.for_residents or is_history(fact, today)]
            current = [fact for fact in facts if fact not in folded]
            sections.append(FicheSection(name, heading, facts, unknowns, unverified, current, folded))
        for fact in facts:
            _add_source(sources, fact.source)
    rules = kb.rules_for_topic(slug)
    for rule in rules:
        _add_source(sources, rule.fact.source)
    for fact in topic.contacts:
        _add_source(sources, fact.source)
    commune_names = {
        fact.commune_insee: commune.name
        for fact in topic.facts
        if fact.commune_insee and (commune := kb.commune(fact.commune_insee)) is not None
    }
    return Fiche(
        topic=topic,
        sections=sections,
        rules=rules,
        contacts=list(topic.contacts),
        sources=sources,
        commune_names=commune_names,
        labels=_labels(kb),
        expired=frozenset(fact.id for fact in topic.facts if fact.expired(today)),
        not_yet_valid=frozenset(fact.id for fact in topic.facts if fact.not_yet_valid(today)),
        history=frozenset(fact.id for fact in topic.facts if is_history(fact, today)),
        street_lists={
            street_list.commune: street_list
            for rule in rules
            for street_list in street_matcher(kb).lists_for(
                rule.rule, rule.commune.insee, residents=False, today=today
            )[:1]
        },
    )


def is_history(fact: FactView, today: dt.date) -> bool:
    """A fact of the past: its period has ended, or it is only about past years."""
    if fact.expired(today):
        return True
    years = _PAST_YEARS.fullmatch(fact.applies_to.strip())
    return years is not None and int(years.group(2) or years.group(1)) < today.year


def commune_page(
    kb: KnowledgeBase, commune: CommuneView, street: str = "", today: dt.date | None = None
) -> CommunePage:
    """Every commune-level rule as it applies to ``commune``, and the commune's own schemes;
    for a rule that applies street by street, what the street lists say of ``street``."""
    labels = _labels(kb)
    own = {(rule.topic, rule.rule): rule for rule in kb.rules_for_commune(commune.insee)}
    lines = []
    for topic in kb.topics():
        rules = kb.rules_for_topic(topic.slug)
        for rule_name in sorted({rule.rule for rule in rules}):
            rule = own.get((topic.slug, rule_name))
            reference = rule.fact if rule else next(r.fact for r in rules if r.rule == rule_name)
            label = labels["rules"].get(rule_name, topic.title)
            streets = None
            if rule is not None and rule.status == "applies" and rule.perimeter != "whole":
                streets = street_check(kb, rule, label, street, today)
            lines.append(
                CommuneRuleLine(rule_label=label, topic=topic, rule=rule, reference=reference, streets=streets)
            )
    own_facts = [fact for topic in kb.topics() for fact in topic.facts if fact.commune_insee == commune.insee]
    return CommunePage(commune=commune, rules=lines, own_facts=own_facts, labels=labels)


_VERDICT_TEMPLATES = (
    "street_listed",
    "street_listed_check",
    "street_not_listed",
    "street_not_in_partial_list",
    "street_listed_past",
    "street_not_listed_past",
    "street_no_list",
)


def street_check(
    kb: KnowledgeBase, rule: RuleView, label: str, street: str, today: dt.date | None = None
) -> StreetCheck:
    """What the street lists say, for agents (every confidence), of the street asked."""
    matcher = street_matcher(kb)
    insee, name = rule.commune.insee, rule.commune.name
    lists = matcher.lists_for(rule.rule, insee, residents=False, today=today)
    templates: dict[str, str] = kb.message("templates")
    # Filled in now but for the list's own values, which the verdict chooses.
    fixed = {"commune": name, "rule_label": label}
    sentences = {key: _fill(templates[key], fixed) for key in _VERDICT_TEMPLATES}
    verdict = None
    sentence = ""
    if street.strip():
        verdict = matcher.check(rule.rule, insee, street, commune_name=name, residents=False, today=today)
        sentence = templates[verdict_template(verdict)].format(**verdict_values(verdict, name, label))
    needs_contact = not lists or (verdict is not None and verdict_template(verdict) not in SETTLED_VERDICTS)
    return StreetCheck(lists, street.strip(), verdict, sentence, sentences, needs_contact)


def _fill(template: str, values: dict[str, str]) -> str:
    """A template with some of its ``{names}`` filled in, the others left for later."""
    return re.sub(r"\{(\w+)\}", lambda match: values.get(match.group(1), match.group(0)), template)


@dataclass(frozen=True)
class SearchLine:
    """One result: a fact (or the topic itself), its text cut into pieces, the words that
    match the search marked."""

    fact: FactView | None
    pieces: list[tuple[str, bool]]


@dataclass(frozen=True)
class SearchGroup:
    topic: TopicView
    title: list[tuple[str, bool]]
    lines: list[SearchLine]


def search_groups(kb: KnowledgeBase, query: str, limit: int) -> tuple[list[SearchGroup], int]:
    """The search's results grouped by topic (in the order of each topic's best result), the
    matched words marked; and how many results in all."""
    hits = kb.search(query, limit=limit)
    words = search_words(query)
    groups: dict[str, SearchGroup] = {}
    for hit in hits:
        group = groups.get(hit.topic.slug)
        if group is None:
            group = groups[hit.topic.slug] = SearchGroup(hit.topic, highlight(hit.topic.title, words), [])
        text = hit.fact.text if hit.fact else hit.topic.intro or ""
        group.lines.append(SearchLine(hit.fact, highlight(text, words)))
    return list(groups.values()), len(hits)


def highlight(text: str, words: list[str]) -> list[tuple[str, bool]]:
    """``text`` in pieces, ``True`` for the words close to a word searched (accents, case and a
    typo aside)."""
    pieces: list[tuple[str, bool]] = []
    last = 0
    for run in _WORD_RUN.finditer(text):
        folded = fold(run.group()).split()
        if any(fuzz.ratio(word, part) >= HIGHLIGHT_RATIO for part in folded for word in words):
            if run.start() > last:
                pieces.append((text[last : run.start()], False))
            pieces.append((run.group(), True))
            last = run.end()
    if last < len(text):
        pieces.append((text[last:], False))
    return pieces


@dataclass(frozen=True)
class FreshnessLine:
    topic: TopicView
    fact_id: str
    verified_on: dt.date
    age_days: int
    for_residents: bool
    overdue: bool  # a resident-facing fact of a headline aid, past the headline limit


@dataclass(frozen=True)
class Freshness:
    """What editors see on the console's home page: the facts to check again, oldest first
    (``kb check --stale``), and the facts whose period has ended."""

    stale: list[FreshnessLine]
    ended: list[tuple[TopicView, str, dt.date]]
    max_age_days: int


def freshness(kb: KnowledgeBase, today: dt.date, max_age_days: int) -> Freshness:
    topics = {topic.slug: topic for topic in kb.topics()}
    facts = [fact for topic in topics.values() for fact in topic.facts]
    families = {slug: topic.family for slug, topic in topics.items()}
    stale = [
        FreshnessLine(
            topic=topics[item.topic],
            fact_id=item.fact_id,
            verified_on=item.verified_on,
            age_days=item.age_days,
            for_residents=item.for_residents,
            overdue=item.headline_aid and item.for_residents,
        )
        for item in stale_facts(facts, families, older_than_days=max_age_days, today=today)
    ]
    ended = [(topics[item.topic], item.fact_id, item.valid_until) for item in ended_facts(facts, today=today)]
    return Freshness(stale=stale, ended=ended, max_age_days=max_age_days)


def listed_topics(kb: KnowledgeBase) -> dict[str, list[TopicView]]:
    grouped: dict[str, list[TopicView]] = {family: [] for family in LISTED_FAMILIES}
    for topic in kb.topics():
        if topic.family in grouped:
            grouped[topic.family].append(topic)
    return grouped
