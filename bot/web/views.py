"""What the console pages show, assembled from the knowledge base (no HTML here)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from bot.kb.content import AID_FIELDS, RESIDENT_CONFIDENCES
from bot.kb.freshness import ended_facts, stale_facts
from bot.kb.queries import CommuneView, FactView, KnowledgeBase, RuleView, SourceView, TopicView, UnknownView

# The families the console lists on its home page, in this order.
LISTED_FAMILIES = ("headline_aid", "plan", "safety")


@dataclass(frozen=True)
class FicheSection:
    field: str
    heading: str
    facts: list[FactView]
    unknowns: list[UnknownView]
    # A headline aid's field with no fact residents may be told: flagged "à vérifier".
    unverified: bool


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


@dataclass(frozen=True)
class CommuneRuleLine:
    rule_label: str
    topic: TopicView
    rule: RuleView | None  # None: the commune is not in the rule's list
    reference: FactView


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
            sections.append(FicheSection(name, heading, facts, unknowns, unverified))
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
    )


def commune_page(kb: KnowledgeBase, commune: CommuneView) -> CommunePage:
    """Every commune-level rule as it applies to ``commune``, and the commune's own schemes."""
    labels = _labels(kb)
    own = {(rule.topic, rule.rule): rule for rule in kb.rules_for_commune(commune.insee)}
    lines = []
    for topic in kb.topics():
        rules = kb.rules_for_topic(topic.slug)
        for rule_name in sorted({rule.rule for rule in rules}):
            rule = own.get((topic.slug, rule_name))
            reference = rule.fact if rule else next(r.fact for r in rules if r.rule == rule_name)
            label = labels["rules"].get(rule_name, topic.title)
            lines.append(CommuneRuleLine(rule_label=label, topic=topic, rule=rule, reference=reference))
    own_facts = [fact for topic in kb.topics() for fact in topic.facts if fact.commune_insee == commune.insee]
    return CommunePage(commune=commune, rules=lines, own_facts=own_facts, labels=labels)


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
