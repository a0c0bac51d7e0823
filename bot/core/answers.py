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
import re
from dataclasses import dataclass, field, replace
from typing import Any

from bot.core.matching import keyword_key
from bot.core.periods import for_case, in_time_ranks, last_period_ended, without_other_variants
from bot.core.reading import Question, QuestionWords, question_of
from bot.core.relevance import (
    about_the_first,
    agglo_facts,
    field_unknown_on_subject,
    holding_the_keyword,
    in_places_asked,
    on_the_words_asked,
    on_what_was_asked,
    place_words,
    question_words_of,
    subject_words,
    unknown_asked,
    unknown_beyond_the_facts,
    unknown_rather,
)
from bot.core.selection import (
    FIGURE_KINDS,
    best_kind,
    cues_asked_and_said,
    dated_as_asked,
    holds_word,
    kind_cues_said,
    lead_first,
    names_place,
    places_asked,
    says_kind,
)
from bot.core.streets import SETTLED, Verdict, street_matcher, verdict_template, verdict_values
from bot.french.text import fold
from bot.kb.content import AID_FIELDS
from bot.kb.queries import CommuneView, FactView, KnowledgeBase, RuleView, SourceView, TopicView, UnknownView

# What an overview (no specific question) shows for residents, by field.
_OVERVIEW_FIELDS = ("what", "eligibility", "how_to_apply", "figures", "actions")
# The fact that answers the question, and at most one more.
_MAX_FACTS = 2
# An overview's facts together stay within this many characters (a phone screen).
_OVERVIEW_BUDGET_CHARS = 720
# Quick replies to a topic's other fields, in this order; each sends the question intent of
# its field (bot.core.topics.QUESTION_FIELDS) with the topic as `dispositif`, so it carries the context.
_FOLLOW_UP_FIELDS = ("eligibility", "how_to_apply", "documents", "contact")
# An agent asking one question gets the facts that answer it, every confidence, up to this many;
# what a topic is and where it stands get the complete fiche.
_MAX_AGENT_FACTS = 4
# A commune's street list is given whole in an answer up to this many streets.
_MAX_STREETS_TOLD = 6
_FICHE_KINDS = (None, "what", "actions")
# A second fact is shown only when it answers nearly as well as the first.
_SECOND_FACT_SHARE = 0.6
# The kind of question of kb/lexicon.yml a field of the facts answers (the others share their name).
FIELD_KINDS = {"period": "when", "figures": "figure", "details": "what", "actions": "when"}
# The kinds a commune's rule answers first (« mon logement à Vermelles est concerné ? », « à
# Béthune, c'est dans quelles rues ? »).
_RULE_KINDS = ("eligibility", "where")
# The kinds a headline aid's facts answer only from their own field: figures and dates, which
# any fact may hold.
_OWN_FIELD_KINDS = (*FIGURE_KINDS, "when")
# The kinds a headline aid's fact answers by saying so in words, whatever its field: naming
# someone (« qui vient vérifier ? »: the commune's agents, in the visit's fact filed under how to
# apply), or how long a thing stays valid (« valable : 10 ans pour le DPE », in the documents).
_SAYING_KINDS = ("who", "validity")
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
    # The kind of question it answered (kb/lexicon.yml), for « même question pour … ».
    kind: str | None = None
    # What else the payload says: ``offer_callback`` (the widget offers a callback by an agent),
    # ``emergency`` (the kinds of distress or emergency answered: bot/core/emergencies.py).
    extra: dict[str, Any] = field(default_factory=dict)

    def payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "topic": self.topic,
            "sources": [source.as_payload() for source in self.sources],
            "commune": self.commune,
            "contact": self.gave_contact,
            "facts": self.facts,
        }
        if self.kind:
            payload["kind"] = self.kind
        return {**payload, **self.extra}


class _Composer:
    """Collects lines and the sources of the facts they show, without duplicates."""

    def __init__(self, kb: KnowledgeBase, today: dt.date | None = None) -> None:
        self.kb = kb
        self.today = today or dt.date.today()
        self.templates: dict[str, str] = kb.message("templates")
        self.lines: list[str] = []
        self.sources: list[SourceView] = []
        self.facts: list[str] = []
        # Facts a commune's rule line already stands for (« Vermelles fait partie des communes
        # concernées… »): not told again in full.
        self.rule_facts: set[str] = set()
        # The kind of question the answer answered, of the kinds asked (bot/core/selection.py).
        self.kind: str | None = None
        # Set when the answer admits something is unknown: the contact is then given.
        self.needs_contact = False
        self.gave_contact = False
        # Set when the topic's last known period (a session) has ended: every contact is given.
        self.period_ended = False
        # Facts another answer to the same message shows.
        self.shown: frozenset[str] = frozenset()

    def say(self, template: str, **values: Any) -> None:
        self.lines.append(self.templates[template].format(**values))

    def fact(self, fact: FactView, *, repeat: bool = False) -> None:
        """Show a fact (once: ``repeat`` lists it again, as the agent fiche's contacts do)."""
        if fact.id in self.facts and not repeat:
            return
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


# A year or a span of years (« 2022-2032 »).
_YEARS = re.compile(r"\d{4}(?:\s*-?\s*\d{4})?")


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
    if not _period_tells_something(fact):
        return templates["fact_line_plain"].format(text=fact.text), False
    return templates["fact_line"].format(text=fact.text, applies_to=fact.applies_to), False


def _period_tells_something(fact: FactView) -> bool:
    """Whether « (depuis le 1er janvier 2025) » after the fact tells the resident anything: not
    after a phone number, nor when the text already says the period."""
    if fact.field == "contact":
        return False
    period, text = fold(fact.applies_to), fold(fact.text)
    years = re.findall(r"\d{4}", period)
    if period in text or (years and all(year in text for year in years)):
        return False
    # « (projet de territoire 2022-2032) » after « Le projet de territoire prévoit … »: the text
    # names what the period names, and a span of years says no date the resident could use.
    named = _YEARS.sub("", period).strip(" ,-()")
    return not (named and named in text and _YEARS.fullmatch(period.replace(named, "").strip(" ,-()")))


def _period_flags(templates: dict[str, str], fact: FactView, today: dt.date) -> list[str]:
    """The agent fiche's marks for a fact outside its period."""
    if fact.valid_until is not None and fact.expired(today):
        return [templates["agent_period_ended"].format(valid_until=_french_date(fact.valid_until))]
    if fact.valid_from is not None and fact.not_yet_valid(today):
        return [templates["agent_not_yet_valid"].format(valid_from=_french_date(fact.valid_from))]
    return []


def _commune_name(kb: KnowledgeBase, insee: str | None) -> str:
    commune = kb.commune(insee) if insee else None
    return commune.name if commune else ""


def _contacts(composer: _Composer, topic: TopicView, *, every: bool = True, again: bool = False) -> None:
    """The topic's contacts: all of them, or (``every=False``) the first, which is enough to
    find out more; ``again``: the previous answer gave them in full, so a short reminder."""
    if not topic.contacts:
        return
    composer.say("contact_again" if again else "contact_intro")
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


def _commune_rules(
    composer: _Composer, topic: TopicView, commune: CommuneView, question: str = "", *, residents: bool = True
) -> None:
    """Say whether a commune-level rule of the topic applies to the commune, and, where its
    perimeter is street by street, what the street lists say about the street the question
    names (bot/core/streets.py)."""
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
            streets = _street_verdict(composer, own, question, residents) if own.perimeter != "whole" else None
            template = "commune_rule_applies_whole" if own.perimeter == "whole" else "commune_rule_applies_partial"
            if streets is not None:
                template = "commune_rule_applies_streets"
            composer.say(template, commune=commune.name, rule_label=label, applies_to=own.fact.applies_to)
            composer.cite(own.fact)
            composer.rule_facts.add(own.fact.id)
            # The rule line states the fact it comes from, for this commune.
            composer.facts.append(own.fact.id)
            if streets is not None:
                _say_streets(composer, streets, commune, label, residents)
        else:
            reference = own or next(r for r in rules if r.rule == rule_name)
            composer.say(
                "commune_rule_not_listed", commune=commune.name, rule_label=label, applies_to=reference.fact.applies_to
            )
            composer.cite(reference.fact)
            composer.rule_facts.add(reference.fact.id)
            composer.facts.append(reference.fact.id)


def _street_verdict(composer: _Composer, rule: RuleView, question: str, residents: bool) -> Verdict | None:
    """What the street lists say about the street a question names; with no street named, the
    commune's current list when it is short enough to give (« quelles rues à Vendin ? »)."""
    matcher = street_matcher(composer.kb)
    today = composer.today
    verdict = matcher.in_message(rule.rule, rule.commune.insee, question, residents=residents, today=today)
    if verdict is not None:
        return verdict
    lists = matcher.lists_for(rule.rule, rule.commune.insee, residents=residents, today=today)
    if lists and lists[0].current(today) and lists[0].complete and len(lists[0].streets) <= _MAX_STREETS_TOLD:
        return Verdict("all", lists[0])
    return None


def _say_streets(composer: _Composer, verdict: Verdict, commune: CommuneView, label: str, residents: bool) -> None:
    template = verdict_template(verdict)
    line = composer.templates[template].format(**verdict_values(verdict, commune.name, label))
    street_list = verdict.street_list
    if street_list is not None and not residents and not street_list.for_residents:
        line += " " + composer.templates["agent_low_confidence"]
    composer.lines.append(line)
    if street_list is not None and street_list.source not in composer.sources:
        composer.sources.append(street_list.source)
    # No list, a past or partial one, or a street to check: the contact confirms.
    composer.needs_contact = composer.needs_contact or template not in SETTLED


def asked_kind(kb: KnowledgeBase, question: str, field_name: str | None) -> Question:
    """The question the resident's words ask; when they name no kind, the kind of ``field_name``
    (a quick reply, or the kind of question the NLU recognised)."""
    asked = question_of(question, question_words_of(kb)) if question else Question(text="", words=())
    if asked.kinds or field_name is None:
        return asked
    return replace(asked, kinds=(FIELD_KINDS.get(field_name, field_name),))


def resident_answer(
    kb: KnowledgeBase,
    slug: str,
    *,
    field_name: str | None = None,
    commune_insee: str | None = None,
    bike_type: str | None = None,
    commune_only: bool = False,
    question: str = "",
    asked: Question | None = None,
    contact_just_given: bool = False,
    today: dt.date | None = None,
    shown: frozenset[str] = frozenset(),
) -> Answer:
    """A short, sourced answer for residents about a topic: the fact that answers the question
    asked first (its kind of question: bot/core/reading.py; the facts: bot/core/selection.py).

    ``question``, the resident's words (or ``asked``, already read), says what is asked; when it
    names no kind of question, ``field_name`` does (a quick reply). Without either, an overview.
    A commune adds its rules to the answer, after it; only « est-ce que X est concerné ? » gets
    the commune's rule first, and ``commune_only`` (a message that only names a commune, « et à
    Gosnay ? ») gets just the commune's rules for topics that have some.
    ``contact_just_given``: the previous answer gave the contact in full, so this one only
    reminds it (unless the resident asks for it). ``today`` (default: the date now) decides which
    facts' periods have ended. ``shown``: the facts another answer to the same message shows (the
    second of two questions gets its own fact when it has one).
    """
    topic = kb.topic(slug)
    if topic is None:
        raise KeyError(slug)
    asked = asked or asked_kind(kb, question, field_name)
    # « il y aura une aide pour … ? », « qu'est-ce qui est prévu pour l'aide … ? » ask of a
    # headline aid with no planned action of its own what it is and where it stands in plain
    # words (its intro), then what the plan says: not an unknown « actions prévues », nor the
    # plan's wording first.
    plain = asked.kind == "what" or (
        asked.kind == "actions" and topic.family == "headline_aid" and not topic.facts_for("actions", residents=True)
    )
    kind = None if plain else asked.kind
    commune = kb.commune(commune_insee) if commune_insee else None
    composer = _Composer(kb, today)
    composer.shown = shown
    has_rules = bool(kb.rules_for_topic(slug))
    if commune is not None and not commune.is_member:
        # The service does not concern them, unless a fact says it is open to those who live
        # elsewhere (the buses): that is the answer, with the source of the list.
        open_facts = _open_to_all(kb, topic, asked)
        composer.say("commune_not_member_open" if open_facts else "commune_not_member", commune=commune.name)
        _cite_membership(composer)
        for fact in open_facts[:1]:
            composer.fact(fact)
    else:
        own_schemes = (
            [fact for fact in topic.facts_for(None, residents=True, commune=commune.insee) if fact.commune_insee]
            if commune is not None
            else []
        )
        # Once the last period of a scheme run by periods has ended, that comes first.
        if not (commune_only and commune is not None and has_rules):
            _last_period_ended(composer, topic)
        # A message that only names a commune (« et à Gosnay ? ») gets the commune's rules; one
        # that asks something else about the topic gets its answer, the rules after it.
        rules_only = commune_only and commune is not None and has_rules and kind in (None, "eligibility")
        # « mon logement à Vermelles est concerné ? », « dans quelles rues ? »: the commune's rule
        # is the answer.
        rules_first = commune is not None and has_rules and (rules_only or kind in _RULE_KINDS)
        if rules_first and commune is not None:
            _commune_rules(composer, topic, commune, asked.text)
        if not rules_only and kind is None:
            related = kb.relevant_facts(asked.search_text, topic, agglo_facts(topic)) if asked.words else []
            # None about another bike type than the one named.
            related = without_other_variants(related, bike_type, agglo_facts(topic))
            related = lead_first(kb, slug, related, asked, question_words_of(kb))
            if asked.kind == "what":
                related = _what_it_is_first(kb, topic, asked, related)
            if not related:
                # « il y a un centre de santé ? »: no other word ranks the facts; what the keyword
                # names comes before the topic's overview.
                related = holding_the_keyword(kb, topic, asked, agglo_facts(topic))
            # « y a-t-il une déchetterie à Lillers ? »: the facts that name the commune asked
            # (the list of déchetteries), not the topic's overview (a plant elsewhere).
            places = places_asked(place_words(kb), asked.words)
            if places and not related:
                related = [fact for fact in agglo_facts(topic) if names_place(fact, places)]
            room = _MAX_FACTS - min(len(own_schemes), 1) - (1 if rules_first else 0)
            _overview(composer, topic, related, room_for_facts=max(room, 1), intro_first=plain)
        elif not rules_only:
            _kind_answer(composer, topic, asked, bike_type, room=_MAX_FACTS - (1 if rules_first else 0))
        if not rules_only:
            _unknown_beyond(composer, topic, asked, kind)
        if commune is not None and not rules_first:
            _commune_rules(composer, topic, commune, asked.text)
        if commune is not None and own_schemes:
            composer.say("commune_scheme", commune=commune.name)
            composer.fact(own_schemes[0])
    asked_for_contact = kind == "contact"
    member_or_none = commune is None or commune.is_member
    if member_or_none and (composer.needs_contact or not composer.sources or asked_for_contact):
        # Never a dead end: what is unknown always comes with whom to ask.
        again = contact_just_given and not asked_for_contact and not composer.period_ended
        _contacts(composer, topic, every=asked_for_contact or composer.period_ended, again=again)
    composer.source_summary()
    return Answer(
        topic=slug,
        text=composer.text(),
        sources=composer.sources,
        facts=composer.facts,
        commune=commune_insee,
        # A resident of a commune outside the Agglo has no demand to make here.
        buttons=follow_up_buttons(kb, topic, _kind_field(asked.kind, kb)) if member_or_none else [],
        gave_contact=composer.gave_contact,
        kind=composer.kind or asked.kind,
    )


def _kind_field(kind: str | None, kb: KnowledgeBase) -> str | None:
    """The field that first answers a kind of question (the quick reply not to offer again)."""
    fields = question_words_of(kb).kind_fields.get(kind or "", ())
    return fields[0] if fields else None


def _last_period_ended(composer: _Composer, topic: TopicView) -> None:
    """Once the last known period of a scheme run by periods (the bike aid's sessions) has
    ended, the answer says so first, with what is unknown about the next ones; the facts shown
    after are told as past, and every contact follows."""
    ended = last_period_ended(agglo_facts(topic), composer.today)
    if ended is None or ended.valid_until is None:
        return
    composer.say("last_period_ended", applies_to=ended.applies_to, valid_until=_french_date(ended.valid_until))
    composer.cite(ended)
    for unknown in topic.unknowns_for("period")[:1]:
        composer.lines.append(unknown.text)
    composer.needs_contact = composer.period_ended = True


def _what_it_is_first(kb: KnowledgeBase, topic: TopicView, asked: Question, related: list[FactView]) -> list[FactView]:
    """« c'est quoi Loisinord ? »: of the facts that speak of it as much as any, the one that
    says what it is comes first (not the plan's renovation of it)."""
    if len(related) < 2:
        return related
    scores = kb.fact_scores(asked.search_text, topic.slug, related)
    best = max(scores)
    first = next(
        (fact for fact, score in zip(related, scores, strict=True) if fact.field == "what" and score >= best), None
    )
    if first is None:
        return related
    return [first, *(fact for fact in related if fact is not first)]


def _overview(
    composer: _Composer, topic: TopicView, related: list[FactView], *, room_for_facts: int, intro_first: bool = False
) -> None:
    """What the topic is, in two facts at most (of different fields, within a length budget):
    the facts that match the question's words when there are some, else the fact that says
    what it is and one more (a step, a key figure, an action). The intro (plain words, no
    figures) comes first when no fact shown says what the topic is. For the headline aids,
    the fields still unknown are listed (not the contact, which follows). ``intro_first``: the
    question asked plainly what it is or what is planned, which a headline aid's intro answers
    first even when facts match the question's words."""
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
    # A headline aid starts by saying plainly where it stands (its intro: « annoncée, mais… »),
    # not with the plan's wording; another topic, when no fact shown says what it is.
    headline_aid = topic.family == "headline_aid"
    if topic.intro and (
        (intro_first and headline_aid) or (not related and (headline_aid or not shown or shown[0].field != "what"))
    ):
        composer.lines.append(topic.intro)
        # After the intro, what is planned says more than a figure (« -78 % de gaz à effet de
        # serre » is no answer to « c'est quoi la ZFE ? »).
        shown = [next((fact for fact in shown if fact.field == "actions"), shown[0])] if shown else []
    for fact in shown:
        composer.fact(fact)
    if topic.family == "headline_aid":
        labels: dict[str, str] = composer.kb.message("field_labels")
        missing = [
            labels[name]
            for name in AID_FIELDS
            if not topic.facts_for(name, residents=True) and not (name == "contact" and topic.contacts)
        ]
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


def _kind_answer(composer: _Composer, topic: TopicView, asked: Question, bike_type: str | None, *, room: int) -> None:
    """The facts that answer the kind of question asked, best first, at most ``room``; when none
    does, the unknown said in so many words (for the headline aids, when no fact is filed under
    the kind's own field), and the contact after it."""
    lexicon = question_words_of(composer.kb)
    kind, scored = best_kind(composer.kb, topic.slug, agglo_facts(topic), asked, lexicon, place_words(composer.kb))
    composer.kind = kind
    fields = lexicon.kind_fields.get(kind or "", ())
    primary = fields[0] if fields else None
    answering = [item for item in scored if item.answers_kind and item.fact.id not in composer.rule_facts]
    answered = bool(answering)
    answering = on_what_was_asked(composer.kb, topic, asked, answering, kind)
    answering = on_the_words_asked(composer.kb, topic, asked, answering, kind)
    if composer.rule_facts and kind in _RULE_KINDS:
        # « mon logement à Vermelles est concerné ? »: the commune's rule answered it.
        return
    # Facts of other fields only answered the kind of a headline aid (a fine for « des frais ? »).
    other_fields_only = False
    if topic.family == "headline_aid" and primary is not None:
        # An aid's amount, delay… is said unknown in so many words, never guessed from another fact.
        other_fields_only = bool(answering)
        # Unless the fact says the very word the question asks by (« combien de temps est valable
        # le DPE ? »: the diagnostics' « valable »), for no figure nor date, which any fact may
        # hold (« depuis 2026 » is no opening date of the aid), except a date its first clause
        # says in the words asked: « depuis quand ? » is answered by « Depuis le 1er septembre
        # 2018, si vous êtes … », what the fact is about.
        answering = [
            item
            for item in answering
            if item.fact.field == primary
            or (kind not in _OWN_FIELD_KINDS and cues_asked_and_said(asked, item.fact, lexicon, kind))
            # Opening days, which have no field of their own, are answered in so many words
            # (« lundi et jeudi de 14 h à 17 h » in the service's contact).
            or ((kind in _SAYING_KINDS or kind in lexicon.needs_cue) and kind_cues_said(item.fact, lexicon, kind) > 0)
            or (kind == "when" and dated_as_asked(asked, item.fact, lexicon))
        ]
        other_fields_only = other_fields_only and not answering
    # The case named (a bike type) or matched by the words; what applies today first.
    related = composer.kb.relevant_facts(asked.search_text, topic, agglo_facts(topic)) if asked.words else []
    chosen = for_case([item.fact for item in answering], related, bike_type)
    ranks = in_time_ranks(chosen, composer.today)
    answering = sorted((item for item in answering if item.fact in chosen), key=lambda item: ranks[item.fact.id])
    if kind == "contact":
        composer.needs_contact = True
    # The topic's unknown about what was asked, looked up once: it may be the answer, or word it.
    asked_unknown = unknown_asked(composer.kb, topic, asked, kind)
    if asked_unknown is not None and unknown_rather(composer.kb, topic, asked, kind, answering, asked_unknown[1]):
        answering = []
    if not answering:
        composer.needs_contact = True
        # The topic's unknown about what was asked; else, when no fact answered the kind at all,
        # the unknown of its field (facts answered it, but about something else: not that one).
        # A headline aid's unknowns are its fields': when only facts of other fields answered the
        # kind, its field's unknown is the one asked about (not when facts of the field were
        # left out for speaking of something else).
        own_field = not answered or other_fields_only
        unknowns = _kind_unknowns(topic, kind, primary, lexicon) if primary and own_field else []
        unknown = asked_unknown[0] if asked_unknown else (unknowns[0].text if unknowns else None)
        if unknown:
            composer.lines.append(unknown)
        else:
            field_labels: dict[str, str] = composer.kb.message("field_labels")
            kind_labels: dict[str, str] = composer.kb.message("kind_labels")
            label = kind_labels.get(kind or "") or field_labels.get(primary or "", primary or "")
            composer.say("unknown_field", label=label)
        if kind == "amount" and bike_type and topic.slug == "aide_velo":
            bike_types: dict[str, str] = composer.kb.message("bike_types")
            composer.say("bike_type_unknown", bike_type=bike_types.get(bike_type, bike_type))
        _known_context(composer, topic, asked, related)
        return
    answering = [item for item in answering if item.fact.id not in composer.shown] or answering
    best = answering[0].score
    for item in about_the_first(asked, kind, answering, lexicon)[:room]:
        if item.score >= _SECOND_FACT_SHARE * best:
            composer.fact(item.fact)
    # What is known, then what is not of the kind asked, when no fact of its field answered and
    # the topic's unknown of that field speaks of what the question names (« quelles voitures ? »:
    # the zone is for the least polluting vehicles; which ones is not known), and whom to ask.
    # Not for a kind answered only in so many words (opening days), which has no field of its own.
    indirect = kind not in lexicon.needs_cue and primary not in {item.fact.field for item in answering[:room]}
    unknown_said = field_unknown_on_subject(composer.kb, topic, asked, kind, primary) if indirect and primary else None
    if unknown_said is not None:
        composer.lines.append(unknown_said)
        composer.needs_contact = True


def _unknown_beyond(composer: _Composer, topic: TopicView, asked: Question, kind: str | None) -> None:
    """After the facts shown, the topic's unknown about what they do not speak of (« … des
    horaires d'hiver ? »), unless an unknown was said already; then whom to ask."""
    unknowns = {unknown.text for unknown in topic.unknowns}
    if unknowns.intersection(composer.lines):
        return
    shown = [fact for fact in agglo_facts(topic) if fact.id in composer.facts]
    unknown = unknown_beyond_the_facts(composer.kb, topic, asked, kind, shown)
    if unknown is not None:
        composer.lines.append(unknown)
        composer.needs_contact = True


def _kind_unknowns(topic: TopicView, kind: str | None, primary: str, lexicon: QuestionWords) -> list[UnknownView]:
    """The topic's unknowns about a kind of question: those of its first field, or for a kind
    answered only in so many words (opening days), whose field says nothing, those that say
    them (« les horaires d'ouverture de l'accueil », not the details' unknown about an address)."""
    if kind not in lexicon.needs_cue:
        return topic.unknowns_for(primary)
    return [unknown for unknown in topic.unknowns if says_kind(unknown.text, lexicon, kind)]


def _known_context(composer: _Composer, topic: TopicView, asked: Question, related: list[FactView]) -> None:
    """After an unknown, what is known of what was asked about (« ce camion… il est déjà en
    service ? »: the plan announces it), so that the resident is not left with a bare « I don't
    know »: the fact that shares most words with the question, else what the topic is. For the
    headline aids, only what the aid is, where it says no figure: their unknown amount or delay
    is never followed by another case's figure, but « pour qui ? » learns that the plan
    announces it for the inhabitants and the communes."""
    usual = [fact for fact in _newest_first(topic.facts_for("what", residents=True)) if not fact.commune_insee]
    if topic.family == "headline_aid":
        related = []
        usual = [fact for fact in usual if not any(character.isdigit() for character in fact.text)]
    candidates = in_places_asked(composer.kb, asked, [*related, *usual])
    context = next((fact for fact in candidates if fact.id not in composer.shown), None)
    if context is None:
        return
    composer.say("unknown_context")
    composer.fact(context)


def _open_to_all(kb: KnowledgeBase, topic: TopicView, asked: Question) -> list[FactView]:
    """The topic's facts that say the thing asked about is open to those who do not live in the
    Agglo (the bus, named or spoken of: not the TER, which the bus's fact does not name)."""
    lexicon = question_words_of(kb)
    named = keyword_key(asked.topic_keyword or "") or subject_words(kb, asked, asked.kind)
    return [
        fact
        for fact in topic.facts_for(None, residents=True)
        if lexicon.open_to_all.find_all(keyword_key(fact.text))
        and any(holds_word(fact, word) for word in named if len(word) > 2 and word not in lexicon.small_words)
    ]


def _cite_membership(composer: _Composer) -> None:
    """The source of the list of the Agglo's communes (the communes topic's first fact)."""
    communes = composer.kb.topic("communes")
    membership = communes.facts_for("what", residents=True) if communes else []
    for fact in membership[:1]:
        composer.cite(fact)


def agent_answer(
    kb: KnowledgeBase,
    slug: str,
    *,
    commune_insee: str | None = None,
    field_name: str | None = None,
    question: str = "",
    asked: Question | None = None,
    today: dt.date | None = None,
) -> Answer:
    """For an agent in the console: a question gets the answer to that question with the
    agent-only details of its field (every confidence, the unknowns, the history); a topic
    named alone gets the complete fiche."""
    asked = asked or asked_kind(kb, question, field_name)
    commune = kb.commune(commune_insee) if commune_insee else None
    if commune is not None and not (commune.is_member and _has_commune_content(kb, slug, commune.insee)):
        commune = None
    topic = kb.topic(slug)
    if topic is None:
        raise KeyError(slug)
    lexicon = question_words_of(kb)
    # « antennes du CSIPA ? », « l'amiante en déchetterie »: words naming a thing within the
    # topic, no kind of question, get the facts about that thing, not the whole fiche.
    every_fact = topic.facts_for(None, residents=False)
    about = (
        lead_first(kb, slug, kb.relevant_facts(asked.search_text, topic, every_fact), asked, lexicon)
        if asked.kind is None and commune is None and asked.words and not lexicon.whole_fiche.find_all(asked.words)
        else []
    )
    if asked.kind in _FICHE_KINDS and commune is None and not about:
        # « c'est quoi … », « où en est … »: the whole fiche says where it stands.
        return agent_fiche(kb, slug, commune_insee=commune_insee, today=today)
    composer = _Composer(kb, today)
    headings: dict[str, str] = kb.message("agent_headings")
    composer.say("agent_title", title=topic.title)
    if about:
        for fact in about[:_MAX_AGENT_FACTS]:
            _agent_fact_line(composer, kb, fact)
        return _agent_closing(composer, topic, commune_insee, None)
    if asked.kind in _FICHE_KINDS and commune is not None:
        # « Violaines est dans la liste ? », « la mutuelle communale de Béthune ? »: the
        # commune's rules and its own schemes, with every detail for agents.
        _commune_rules(composer, topic, commune, asked.text, residents=False)
        for fact in _commune_schemes(topic, commune.insee):
            _agent_fact_line(composer, kb, fact)
        return _agent_closing(composer, topic, commune_insee, asked.kind)
    # The facts chosen as for residents (the kind answered best, about the place and the thing
    # asked), agent-only ones included.
    kind, scored = best_kind(kb, slug, topic.facts_for(None, residents=False), asked, lexicon, place_words(kb))
    answering = on_what_was_asked(kb, topic, asked, [item for item in scored if item.answers_kind], kind)
    shown = [item.fact for item in about_the_first(asked, kind, answering, lexicon)][:_MAX_AGENT_FACTS]
    fields = lexicon.kind_fields.get(kind or "", ())
    primary = fields[0] if fields else None
    if primary is not None:
        composer.lines.append(headings.get(primary, primary))
    for fact in shown:
        _agent_fact_line(composer, kb, fact)
    for unknown in topic.unknowns_for(primary) if primary else []:
        composer.say("agent_unknown", text=unknown.text)
    if not shown and not (primary and topic.unknowns_for(primary)):
        labels: dict[str, str] = kb.message("field_labels")
        composer.say("unknown_field", label=labels.get(primary or "", primary or ""))
    if commune is not None and commune.is_member:
        _commune_rules(composer, topic, commune, asked.text, residents=False)
    return _agent_closing(composer, topic, commune_insee, kind)


def _has_commune_content(kb: KnowledgeBase, slug: str, insee: str) -> bool:
    """The topic has rules for communes, or a scheme of this commune's own."""
    topic = kb.topic(slug)
    return bool(kb.rules_for_topic(slug)) or (topic is not None and bool(_commune_schemes(topic, insee)))


def _commune_schemes(topic: TopicView, insee: str) -> list[FactView]:
    return [fact for fact in topic.facts_for(None, residents=False, commune=insee) if fact.commune_insee == insee]


def _agent_closing(composer: _Composer, topic: TopicView, commune_insee: str | None, kind: str | None) -> Answer:
    """The contacts to give and the sources, under an agent's answer."""
    if topic.contacts:
        composer.say("agent_contacts_heading")
        for fact in topic.contacts:
            composer.fact(fact, repeat=True)
    composer.source_block("agent_source_line", "agent_sources_heading")
    return Answer(
        topic=topic.slug,
        text=composer.text(),
        sources=composer.sources,
        facts=composer.facts,
        commune=commune_insee,
        kind=kind,
    )


def _agent_fact_line(composer: _Composer, kb: KnowledgeBase, fact: FactView) -> None:
    """A fact for agents: its text and period, then its confidence (low: « à vérifier »), a
    commune's own scheme, and a period ended or to come."""
    flags = []
    if not fact.for_residents:
        flags.append(composer.templates["agent_low_confidence"])
    else:
        label = kb.message("confidence_labels").get(fact.confidence, fact.confidence)
        flags.append(composer.templates["agent_confidence"].format(confidence=label))
    if fact.commune_insee:
        flags.append(composer.templates["agent_commune_only"].format(commune=_commune_name(kb, fact.commune_insee)))
    flags += _period_flags(composer.templates, fact, composer.today)
    composer.lines.append(
        composer.templates["fact_line"].format(text=fact.text, applies_to=fact.applies_to) + " " + " ".join(flags)
    )
    composer.facts.append(fact.id)
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
            _agent_fact_line(composer, kb, fact)
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
            _commune_rules(composer, topic, commune, residents=False)
    if topic.contacts:
        composer.say("agent_contacts_heading")
        for fact in topic.contacts:
            composer.fact(fact, repeat=True)
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


def english_answer(kb: KnowledgeBase, topic_tag: str, *, answer_follows: bool) -> Answer:
    """A message in English: the assistant answers in French. With ``answer_follows``, that the
    French answer comes next (the Agglo's contact then comes after it, :func:`english_contact`,
    so that the answer is what the resident reads first); else the Agglo's contact at once."""
    wording: dict[str, str] = kb.message("english")
    if answer_follows:
        return Answer(topic=topic_tag, text=wording["answer_follows"])
    return english_contact(kb, topic_tag, wording["reply"])


def english_contact(kb: KnowledgeBase, topic_tag: str, lead: str | None = None) -> Answer:
    """The Agglo's contact (its first contact fact) for an English reader, after ``lead``
    (by default the line that closes a French answer)."""
    contact = kb.topic("contact")
    if contact is None:
        raise KeyError("contact")
    composer = _Composer(kb)
    composer.lines.append(lead or kb.message("english")["contact_after"])
    for fact in contact.contacts[:1]:
        composer.fact(fact)
    composer.source_summary()
    return Answer(
        topic=topic_tag, text=composer.text(), sources=composer.sources, facts=composer.facts, gave_contact=True
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


def commune_answer(
    kb: KnowledgeBase, commune_insee: str, *, contact_just_given: bool = False, said: str = ""
) -> Answer:
    """Whether a commune is a member, and the commune-level rules that apply to it. ``said``:
    how the resident named it; when it is another name (« Labuissière », an associated commune
    of Bruay-la-Buissière), the communes' facts that speak of that name come first."""
    commune = kb.commune(commune_insee)
    if commune is None:
        raise KeyError(commune_insee)
    composer = _Composer(kb)
    topic = kb.topic("communes")
    # (the words of that name its official one lacks: not « Noeux » for Nœux-les-Mines)
    official = keyword_key(commune.name)
    other_words = [word for word in keyword_key(said) if word not in official]
    if topic is not None and other_words:
        for fact in topic.facts_for(None, residents=True):
            if all(holds_word(fact, word) for word in other_words):
                composer.fact(fact)
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
