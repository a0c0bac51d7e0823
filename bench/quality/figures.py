"""The "nothing invented" check: every number in an answer must come from the knowledge base.

Used by the answer tests (on every composed answer) and by the quality benchmark (on the
answers the running assistant really sent), so both apply the same rule.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping

from bot.kb.queries import FactView, KnowledgeBase, SourceView

# A figure as written in an answer: "1 mois", "5 000 €", "03 21 61 50 00", "15652*01", "8,3 %".
NUMBER = re.compile(r"\d(?:[\d\u202f\u00a0 .,/*]*\d)?")
_SPACES = re.compile(r"\s+")


def _french_date(value: dt.date) -> str:
    return value.strftime("%d/%m/%Y")


def _period(fact: FactView) -> list[dt.date]:
    """A fact's period bounds, which answers may quote ("terminée le 31/12/2024")."""
    return [day for day in (fact.valid_from, fact.valid_until) if day is not None]


def _source_parts(source: SourceView | Mapping[str, str]) -> list[str]:
    if isinstance(source, SourceView):
        return [source.title, source.url, _french_date(source.verified_on)]
    # A payload source, as the REST channel returns it: the date is ISO there.
    parts = [source.get("title", ""), source.get("url", "")]
    verified_on = source.get("verified_on", "")
    try:
        parts.append(_french_date(dt.date.fromisoformat(verified_on)))
    except ValueError:
        parts.append(verified_on)
    return parts


def sourced_text(
    kb: KnowledgeBase,
    slug: str,
    sources: Iterable[SourceView | Mapping[str, str]] = (),
    *,
    agent: bool = False,
    commune_insee: str | None = None,
    shown: Iterable[str] = (),
) -> str:
    """Everything a number in an answer about ``slug`` may come from: the topic's facts (only
    those residents may see, unless ``agent``), its contacts, the facts the answer's payload says
    it shows (``shown``: an emergency answer shows the water régie's numbers), the commune rules'
    facts and dates, the commune's codes, and the cited sources' titles, addresses and dates.

    Topics with no facts of their own (small talk, "incompris") answer with the Agglo's
    contact; the ``communes`` answer lists the rules of every topic for the commune.
    """
    topic = kb.topic(slug)
    facts: list[FactView] = []
    if topic is not None:
        facts += [*topic.facts, *topic.contacts]
    if topic is None or not topic.facts:
        contact = kb.topic("contact")
        facts += [*contact.facts, *contact.contacts] if contact is not None else []
    wanted = set(shown)
    if wanted:
        facts += [fact for view in kb.topics() for fact in (*view.facts, *view.contacts) if fact.id in wanted]
    rule_topics = [view.slug for view in kb.topics()] if slug == "communes" else [slug]
    rules = [rule for name in rule_topics for rule in kb.rules_for_topic(name)]
    facts += [rule.fact for rule in rules]
    parts = [
        " ".join([fact.text, fact.applies_to, *(_french_date(day) for day in _period(fact))])
        for fact in facts
        if agent or fact.for_residents
    ]
    for rule in rules:
        parts += [rule.commune.insee, _french_date(rule.since) if rule.since else ""]
    commune = kb.commune(commune_insee) if commune_insee else None
    if commune is not None:
        parts += [commune.insee, commune.postal_code or ""]
    for source in sources:
        parts += _source_parts(source)
    return _SPACES.sub(" ", " ".join(parts))


def unsourced_numbers(
    kb: KnowledgeBase,
    slug: str,
    text: str,
    sources: Iterable[SourceView | Mapping[str, str]] = (),
    *,
    agent: bool = False,
    commune_insee: str | None = None,
    shown: Iterable[str] = (),
) -> list[str]:
    """The numbers of ``text`` found nowhere in :func:`sourced_text`: invented figures."""
    allowed = sourced_text(kb, slug, sources, agent=agent, commune_insee=commune_insee, shown=shown)
    return [number for number in NUMBER.findall(text) if _SPACES.sub(" ", number) not in allowed]
