"""Compose answers from the knowledge base: short for residents, complete for agents.

Every sentence with a figure, a date or a condition is a fact of the knowledge base; the
wording around the facts comes from ``kb/messages.yml``. Residents never see a
low-confidence fact, nor a commune's own scheme unless they live in that commune, nor a fact
whose period has ended presented as current (:func:`_fact_line`).

A resident answer is short: the fact that answers the question first, at most one more, then
quick-reply buttons to the topic's other fields. The contact comes only when the answer admits
something unknown (or the resident asks for it) and the previous answer did not just give it.
The text ends with one short source line; every source stays in the payload.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from bot.core.periods import asked_first, for_variant, in_time_order, last_period_ended, without_other_variants
from bot.kb.content import AID_FIELDS
from bot.kb.queries import CommuneView, FactView, KnowledgeBase, RuleView, SourceView, TopicView

# What an overview (no specific question) shows for residents, by field.
_OVERVIEW_FIELDS = ("what", "eligibility", "how_to_apply", "figures", "actions")
# The fact that answers the question, and at most one more.
_MAX_FACTS = 2
# An overview's facts together stay within this many characters (a phone screen).
_OVERVIEW_BUDGET_CHARS = 720
# Quick replies to a topic's other fields, in this order; each sends the question intent of
# its field (bot.core.topics.QUESTION_FIELDS) with the topic as `dispositif`, so it carries the context.
_FOLLOW_UP_FIELDS = ("eligibility", "how_to_apply", "documents", "contact")
_FIELD_INTENTS = {
    "eligibility": "demander_conditions",
    "how_to_apply": "demander_demarche",
    "documents": "demander_pieces",
    "contact": "demander_contact",
}


@dataclass
class Answer:
    """An answer and the payload that goes with it (topic slug, sources, commune, whether it
    gave the contact), with its quick-reply buttons."""

    topic: str
    text: str
    sources: list[SourceView] = field(default_factory=list)
    commune: str | None = None
    buttons: list[dict[str, str]] = field(default_factory=list)
    gave_contact: bool = False
    # The ids of the facts the text shows, in order: which fact answered (the quality bench's
    # first-fact share, the 👎 reasons per fact in the report).
    facts: list[str] = field(default_factory=list)

    def payload(self) -> dict[str, Any]:
        return {
            "topic": self.topic,
            "sources": [source.as_payload() for source in self.sources],
            "commune": self.commune,
            "contact": self.gave_contact,
            "facts": self.facts,
        }


class _Composer:
    """Collects lines and the sources of the facts they show, without duplicates."""

    def __init__(self, kb: KnowledgeBase, today: dt.date | None = None) -> None:
        self.kb = kb
        self.today = today or dt.date.today()
        self.templates: dict[str, str] = kb.message("templates")
        self.lines: list[str] = []
        self.sources: list[SourceView] = []
        self.facts: list[str] = []
        # Set when the answer admits something is unknown: the contact is then given.
        self.needs_contact = False
        self.gave_contact = False
        # Set when the topic's last known period (a session) has ended: every contact is given.
        self.period_ended = False

    def say(self, template: str, **values: Any) -> None:
        self.lines.append(self.templates[template].format(**values))

    def fact(self, fact: FactView) -> None:
        line, ended = _fact_line(self.templates, fact, self.today)
        self.lines.append(line)
        self.facts.append(fact.id)
        # An ended period sends the reader to the contact for what applies now.
        self.needs_contact = self.needs_contact or ended
        self.cite(fact)

    def cite(self, fact: FactView) -> None:
        if fact.source not in self.sources:
            self.sources.append(fact.source)

    def source_block(self, template: str = "source_line", heading: str = "sources_heading") -> None:
        """Every source with its address (agent fiches)."""
        if not self.sources:
            return
        self.say(heading)
        for source in self.sources:
            self.say(template, title=source.title, url=source.url, verified_on=_french_date(source.verified_on))

    def source_summary(self) -> None:
        """One short line for residents: the first source; the payload carries them all."""
        if not self.sources:
            return
        first = self.sources[0]
        template = "source_summary" if len(self.sources) == 1 else "sources_summary"
        self.say(template, title=first.title, verified_on=_french_date(first.verified_on))

    def text(self) -> str:
        # Paragraphs are separated by a single line break: Rasa splits a text on blank lines
        # into separate messages, and an answer should stay one message with its payload.
        return "\n".join(line for line in self.lines if line)


def _french_date(value: dt.date) -> str:
    return value.strftime("%d/%m/%Y")


def _fact_line(templates: dict[str, str], fact: FactView, today: dt.date) -> tuple[str, bool]:
    """A fact as told to a resident, and whether its period has ended: an ended fact is only
    said to be over (its text is not told as current), or told as past when it is one of a
    series (``told_when_ended``: a session, a year's amounts); one not yet in force says from when."""
    if fact.valid_until is not None and fact.expired(today) and fact.told_when_ended:
        line = templates["fact_period_past"].format(
            text=fact.text, applies_to=fact.applies_to, valid_until=_french_date(fact.valid_until)
        )
        return line, True
    if fact.valid_until is not None and fact.expired(today):
        line = templates["fact_period_ended"].format(
            applies_to=fact.applies_to, valid_until=_french_date(fact.valid_until)
        )
        return line, True
    if fact.valid_from is not None and fact.not_yet_valid(today):
        line = templates["fact_not_yet_valid"].format(
            text=fact.text, applies_to=fact.applies_to, valid_from=_french_date(fact.valid_from)
        )
        return line, False
    return templates["fact_line"].format(text=fact.text, applies_to=fact.applies_to), False


def _period_flags(templates: dict[str, str], fact: FactView, today: dt.date) -> list[str]:
    """The agent fiche's marks for a fact outside its period."""
    if fact.valid_until is not None and fact.expired(today):
        return [templates["agent_period_ended"].format(valid_until=_french_date(fact.valid_until))]
    if fact.valid_from is not None and fact.not_yet_valid(today):
        return [templates["agent_not_yet_valid"].format(valid_from=_french_date(fact.valid_from))]
    return []


def _agglo_facts(topic: TopicView) -> list[FactView]:
    """The facts residents may be told, minus the communes' own schemes."""
    return [fact for fact in topic.facts_for(None, residents=True) if not fact.commune_insee]


def _commune_name(kb: KnowledgeBase, insee: str | None) -> str:
    commune = kb.commune(insee) if insee else None
    return commune.name if commune else ""


def _contacts(composer: _Composer, topic: TopicView, *, every: bool = True) -> None:
    """The topic's contacts: all of them, or (``every=False``) the first, which is enough to
    find out more."""
    if not topic.contacts:
        return
    composer.say("contact_intro")
    for fact in topic.contacts if every else topic.contacts[:1]:
        if fact.id not in composer.facts:
            composer.fact(fact)
    composer.gave_contact = True


def follow_up_buttons(kb: KnowledgeBase, topic: TopicView, asked: str | None = None) -> list[dict[str, str]]:
    """Quick replies to the topic's other fields that have something to say (a fact residents
    may be told, or an unknown said plainly); the contact is always offered."""
    labels: dict[str, str] = kb.message("follow_up_buttons")
    buttons = []
    for name in _FOLLOW_UP_FIELDS:
        if name == asked:
            continue
        has_content = bool(topic.facts_for(name, residents=True) or topic.unknowns_for(name))
        if name == "contact" or has_content:
            entities = json.dumps({"dispositif": topic.slug})
            buttons.append({"title": labels[name], "payload": f"/{_FIELD_INTENTS[name]}{entities}"})
    return buttons


def _commune_rules(composer: _Composer, topic: TopicView, commune: CommuneView) -> None:
    """Say whether a commune-level rule of the topic applies to the commune."""
    rules = composer.kb.rules_for_topic(topic.slug)
    if not rules:
        return
    labels: dict[str, str] = composer.kb.message("rule_labels")
    for rule_name in sorted({rule.rule for rule in rules}):
        label = labels.get(rule_name, topic.title)
        own: RuleView | None = next(
            (r for r in rules if r.rule == rule_name and r.commune.insee == commune.insee), None
        )
        # Perimeters are street by street: the resident must check with the Agglo.
        composer.needs_contact = True
        if own is not None and own.status == "applies":
            template = "commune_rule_applies_whole" if own.perimeter == "whole" else "commune_rule_applies_partial"
            composer.say(template, commune=commune.name, rule_label=label, applies_to=own.fact.applies_to)
            composer.cite(own.fact)
        else:
            reference = own or next(r for r in rules if r.rule == rule_name)
            composer.say(
                "commune_rule_not_listed", commune=commune.name, rule_label=label, applies_to=reference.fact.applies_to
            )
            composer.cite(reference.fact)


def resident_answer(
    kb: KnowledgeBase,
    slug: str,
    *,
    field_name: str | None = None,
    commune_insee: str | None = None,
    bike_type: str | None = None,
    commune_only: bool = False,
    question: str = "",
    contact_just_given: bool = False,
    today: dt.date | None = None,
) -> Answer:
    """A short, sourced answer for residents about a topic, or one field of it.

    ``commune_only`` keeps just the commune's rules, for "mon appart à Vermelles est concerné ?"
    or "et à Gosnay ?"; topics without commune rules get the whole answer. ``question``, the
    resident's words, brings the facts that match them forward ("le prix de l'eau en 2026 ?").
    ``contact_just_given``: the previous answer gave the contact, so this one does not repeat it
    (unless the resident asks for the contact).
    ``today`` (default: the date now) decides which facts' periods have ended.
    """
    topic = kb.topic(slug)
    if topic is None:
        raise KeyError(slug)
    commune = kb.commune(commune_insee) if commune_insee else None
    composer = _Composer(kb, today)
    if commune is not None and not commune.is_member:
        # The service does not concern them: that is the answer, with the source of the list.
        composer.say("commune_not_member", commune=commune.name)
        _cite_membership(composer)
    else:
        # The facts that match the resident's words, most relevant first (none about another
        # bike type than the one named).
        related = kb.relevant_facts(question, topic, _agglo_facts(topic)) if question else []
        related = without_other_variants(related, bike_type, _agglo_facts(topic))
        own_schemes = (
            [fact for fact in topic.facts_for(None, residents=True, commune=commune.insee) if fact.commune_insee]
            if commune is not None
            else []
        )
        # Only commune-by-commune rules stand on their own; a commune's own scheme always comes
        # after the Agglo's answer, so that it is never mistaken for the Agglo's.
        rules_only = commune_only and commune is not None and bool(kb.rules_for_topic(slug))
        if not rules_only:
            _last_period_ended(composer, topic)
        if not rules_only and field_name is None:
            _overview(composer, topic, related, room_for_facts=_MAX_FACTS - min(len(own_schemes), 1))
        elif not rules_only and field_name is not None:
            _field_answer(composer, topic, field_name, related, bike_type)
        if commune is not None:
            _commune_rules(composer, topic, commune)
            if own_schemes:
                composer.say("commune_scheme", commune=commune.name)
                composer.fact(own_schemes[0])
    asked_for_contact = field_name == "contact"
    member_or_none = commune is None or commune.is_member
    wants_contact = composer.needs_contact or not composer.sources or asked_for_contact
    if member_or_none and wants_contact and (asked_for_contact or not contact_just_given):
        _contacts(composer, topic, every=asked_for_contact or composer.period_ended)
    composer.source_summary()
    return Answer(
        topic=slug,
        text=composer.text(),
        sources=composer.sources,
        facts=composer.facts,
        commune=commune_insee,
        buttons=follow_up_buttons(kb, topic, field_name),
        gave_contact=composer.gave_contact,
    )


def _last_period_ended(composer: _Composer, topic: TopicView) -> None:
    """Once the last known period of a scheme run by periods (the bike aid's sessions) has
    ended, the answer says so first, with what is unknown about the next ones; the facts shown
    after are told as past, and every contact follows."""
    ended = last_period_ended(_agglo_facts(topic), composer.today)
    if ended is None or ended.valid_until is None:
        return
    composer.say("last_period_ended", applies_to=ended.applies_to, valid_until=_french_date(ended.valid_until))
    composer.cite(ended)
    for unknown in topic.unknowns_for("period")[:1]:
        composer.lines.append(unknown.text)
    composer.needs_contact = composer.period_ended = True


def _overview(composer: _Composer, topic: TopicView, related: list[FactView], *, room_for_facts: int) -> None:
    """What the topic is, in two facts at most (of different fields, within a length budget):
    the facts that match the question's words when there are some, else the fact that says
    what it is and one more (a step, a key figure, an action). The intro (plain words, no
    figures) comes first when no fact shown says what the topic is. For the headline aids,
    the fields still unknown are listed."""
    usual = [
        fact
        for name in _OVERVIEW_FIELDS
        for fact in _newest_first(topic.facts_for(name, residents=True))
        if not fact.commune_insee
    ]
    shown: list[FactView] = []
    for fact in related or usual:
        if len(shown) == room_for_facts:
            break
        fits = sum(len(item.text) for item in shown) + len(fact.text) <= _OVERVIEW_BUDGET_CHARS
        if not shown or (fact.field not in {item.field for item in shown} and fits):
            shown.append(fact)
    if topic.intro and not related and (not shown or shown[0].field != "what"):
        composer.lines.append(topic.intro)
        del shown[1:]
    for fact in shown:
        composer.fact(fact)
    if topic.family == "headline_aid":
        labels: dict[str, str] = composer.kb.message("field_labels")
        missing = [labels[name] for name in AID_FIELDS if not topic.facts_for(name, residents=True)]
        if missing:
            composer.say("unknown_fields_list", labels=", ".join(missing))
            composer.needs_contact = True


def _newest_first(facts: list[FactView]) -> list[FactView]:
    """A field's facts with the most recent start first (« depuis le 1er janvier 2026 » before
    « depuis 2020 »): what applies now comes before its history. Undated facts keep their order,
    after the dated ones."""
    starts = {fact.id: fact.valid_from for fact in facts if fact.valid_from is not None}
    dated = sorted((fact for fact in facts if fact.id in starts), key=lambda fact: starts[fact.id], reverse=True)
    return [*dated, *(fact for fact in facts if fact.id not in starts)]


def _field_answer(
    composer: _Composer, topic: TopicView, field_name: str, related: list[FactView], bike_type: str | None
) -> None:
    """One field: the facts filed under it, then the one that best matches the question's words
    when it is filed elsewhere ("valable combien de temps ?" asks about the period). With nothing
    filed under the field ("combien coûte le topo-guide ?" has no `amount` fact), the matching
    facts may still answer it; for the headline aids an unknown amount, delay… is always said in
    so many words."""
    facts = [fact for fact in topic.facts_for(field_name, residents=True) if not fact.commune_insee]
    facts = asked_first(in_time_order(for_variant(facts, related, bike_type), composer.today), related)
    extra = [fact for fact in related if fact not in facts and fact.field != field_name]
    if not facts and (not extra or topic.family == "headline_aid"):
        composer.needs_contact = True
        unknowns = topic.unknowns_for(field_name)
        if unknowns:
            composer.lines.append(unknowns[0].text)
        else:
            labels: dict[str, str] = composer.kb.message("field_labels")
            composer.say("unknown_field", label=labels.get(field_name, field_name))
        if field_name == "amount" and bike_type and topic.slug == "aide_velo":
            bike_types: dict[str, str] = composer.kb.message("bike_types")
            composer.say("bike_type_unknown", bike_type=bike_types.get(bike_type, bike_type))
    if field_name == "contact":
        composer.needs_contact = True
    limit = _MAX_FACTS - 1 if composer.needs_contact and not facts else _MAX_FACTS
    for fact in [*facts, *extra][:limit]:
        composer.fact(fact)


def _cite_membership(composer: _Composer) -> None:
    """The source of the list of the Agglo's communes (the communes topic's first fact)."""
    communes = composer.kb.topic("communes")
    membership = communes.facts_for("what", residents=True) if communes else []
    for fact in membership[:1]:
        composer.cite(fact)


def agent_fiche(
    kb: KnowledgeBase, slug: str, *, commune_insee: str | None = None, today: dt.date | None = None
) -> Answer:
    """The complete fiche for front-desk agents: every fact with its confidence and source,
    unknowns and low-confidence facts flagged "à vérifier", facts outside their period marked
    (ended, or not yet in force on ``today``), and the commune-level rules."""
    topic = kb.topic(slug)
    if topic is None:
        raise KeyError(slug)
    composer = _Composer(kb, today)
    headings: dict[str, str] = kb.message("agent_headings")
    composer.say("agent_title", title=topic.title)
    if topic.intro:
        composer.lines.append(topic.intro)
    for name, heading in headings.items():
        facts = topic.facts_for(name, residents=False)
        unknowns = topic.unknowns_for(name)
        if not facts and not unknowns:
            continue
        composer.lines.append(heading)
        for fact in facts:
            flags = []
            if not fact.for_residents:
                flags.append(composer.templates["agent_low_confidence"])
            else:
                label = kb.message("confidence_labels").get(fact.confidence, fact.confidence)
                flags.append(composer.templates["agent_confidence"].format(confidence=label))
            if fact.commune_insee:
                flags.append(
                    composer.templates["agent_commune_only"].format(commune=_commune_name(kb, fact.commune_insee))
                )
            flags += _period_flags(composer.templates, fact, composer.today)
            composer.lines.append(
                composer.templates["fact_line"].format(text=fact.text, applies_to=fact.applies_to)
                + " "
                + " ".join(flags)
            )
            composer.cite(fact)
        for unknown in unknowns:
            composer.say("agent_unknown", text=unknown.text)
    rules = kb.rules_for_topic(slug)
    if rules:
        statuses: dict[str, str] = kb.message("rule_statuses")
        perimeters: dict[str, str] = kb.message("perimeters")
        composer.say("agent_rules_heading")
        for rule in rules:
            composer.say(
                "agent_rule_line",
                commune=rule.commune.name,
                insee=rule.commune.insee,
                status=statuses[rule.status],
                perimeter=perimeters[rule.perimeter],
                since=_french_date(rule.since) if rule.since else "?",
            )
            composer.cite(rule.fact)
    if commune_insee:
        commune = kb.commune(commune_insee)
        if commune is not None and commune.is_member:
            _commune_rules(composer, topic, commune)
    if topic.contacts:
        composer.say("agent_contacts_heading")
        for fact in topic.contacts:
            composer.fact(fact)
    composer.source_block("agent_source_line", "agent_sources_heading")
    return Answer(
        topic=slug, text=composer.text(), sources=composer.sources, facts=composer.facts, commune=commune_insee
    )


def contact_answer(kb: KnowledgeBase, topic_tag: str, *, commune_insee: str | None = None) -> Answer:
    """The Agglo's contact facts, tagged with ``topic_tag`` (for example ``incompris``)."""
    contact = kb.topic("contact")
    if contact is None:
        raise KeyError("contact")
    composer = _Composer(kb)
    for fact in contact.contacts:
        composer.fact(fact)
    composer.source_summary()
    return Answer(
        topic=topic_tag,
        text=composer.text(),
        sources=composer.sources,
        facts=composer.facts,
        commune=commune_insee,
        gave_contact=True,
    )


def orientation_answer(kb: KnowledgeBase, fact_id: str, *, commune_insee: str | None = None) -> Answer:
    """A question for another body: who handles it and how to reach them (kb/orientation.yml),
    under the out-of-scope topic."""
    entry = next((item for item in kb.orientations() if item.fact.id == fact_id), None)
    if entry is None:
        raise KeyError(fact_id)
    composer = _Composer(kb)
    composer.say("orientation_intro")
    composer.fact(entry.fact)
    composer.source_summary()
    return Answer(
        topic=entry.fact.topic,
        text=composer.text(),
        sources=composer.sources,
        facts=composer.facts,
        commune=commune_insee,
    )


def commune_answer(kb: KnowledgeBase, commune_insee: str, *, contact_just_given: bool = False) -> Answer:
    """Whether a commune is a member, and the commune-level rules that apply to it."""
    commune = kb.commune(commune_insee)
    if commune is None:
        raise KeyError(commune_insee)
    composer = _Composer(kb)
    topic = kb.topic("communes")
    if not commune.is_member:
        composer.say("commune_not_member", commune=commune.name)
        _cite_membership(composer)
    else:
        composer.say("commune_member", commune=commune.name, postal_code=commune.postal_code or "")
        _cite_membership(composer)
        for rule_topic in sorted(
            {rule.topic for rule in kb.rules_for_commune(commune.insee)} | {r.topic for r in _all_rules(kb)}
        ):
            rule_topic_view = kb.topic(rule_topic)
            if rule_topic_view is not None:
                _commune_rules(composer, rule_topic_view, commune)
    if topic is not None and composer.needs_contact and not contact_just_given:
        _contacts(composer, topic, every=False)
    composer.source_summary()
    return Answer(
        topic="communes",
        text=composer.text(),
        sources=composer.sources,
        facts=composer.facts,
        commune=commune.insee,
        gave_contact=composer.gave_contact,
    )


def _all_rules(kb: KnowledgeBase) -> list[RuleView]:
    return [rule for topic in kb.topics() for rule in kb.rules_for_topic(topic.slug)]
