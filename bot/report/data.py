"""What the report counts, read from Rasa's tracker store, the feedback table and the callback
requests (counts only: nothing that identifies a resident).

Both are read through SQLAlchemy Core with bound parameters, so SQLite and PostgreSQL work
alike. Only the ``user`` and ``bot`` events of the period are fetched, in one pass in id order:
a resident's message is about the topic of the payload of the bot's next answer in the same
conversation (``{"topic": <slug>, ...}``, see bot/core/answers.py). Every resident text is masked
(``mask_text``: the tracker store's own masking, bot/stores/privacy.py) as soon as it is read.
Distress and emergencies (topic ``urgence``) are counted by kind (the payload's ``emergency``),
never listed: what those residents wrote is not shown, even masked.
"""

from __future__ import annotations

import bisect
import contextlib
import datetime as dt
import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, inspect, select
from sqlalchemy.engine import Engine

from bot.core.emergencies import EMERGENCY_KEY, EMERGENCY_TOPIC, LEXICON
from bot.core.topics import NOT_UNDERSTOOD, QUESTION_FIELDS
from bot.kb.queries import KnowledgeBase, TopicView
from bot.report.grouping import Grouping, group_questions
from bot.stores.callbacks import STATUSES, CallbackRequest
from bot.stores.events import EVENTS
from bot.stores.feedback import REASONS, Feedback

OUT_OF_SCOPE = "hors_sujet"
# The web front prefixes the console's agent-mode conversations so (bot/web/app.py): the report
# is about residents, so they are left out.
AGENT_SENDER_PREFIX = "agent-"
# Days are the Agglo's days, whatever the server's time zone.
LOCAL_TIME = ZoneInfo("Europe/Paris")
_ROWS_PER_FETCH = 10_000


class ReportError(RuntimeError):
    """A database the report needs is missing or unreadable."""


@dataclass(frozen=True)
class Period:
    """From ``since`` to ``until`` included, in the Agglo's local days."""

    since: dt.date
    until: dt.date

    def __post_init__(self) -> None:
        if self.since > self.until:
            raise ValueError(f"the period starts ({self.since}) after it ends ({self.until})")

    @property
    def days(self) -> list[dt.date]:
        return [self.since + dt.timedelta(days=n) for n in range((self.until - self.since).days + 1)]

    def day_starts(self) -> list[float]:
        """The POSIX time of each day's local midnight, and of the midnight after the last day."""
        return [
            dt.datetime.combine(day, dt.time(), LOCAL_TIME).timestamp()
            for day in [*self.days, self.until + dt.timedelta(days=1)]
        ]


@dataclass(frozen=True)
class TopicCount:
    topic: str
    label: str
    messages: int
    conversations: int


@dataclass(frozen=True)
class EmergencyCount:
    """Messages answered with the numbers of one kind of distress or emergency."""

    kind: str
    label: str
    messages: int
    conversations: int


@dataclass(frozen=True)
class UnknownFieldAsk:
    topic: str
    topic_label: str
    field: str
    field_label: str
    count: int
    link: str  # the console's fiche, at the field


@dataclass(frozen=True)
class TopicFeedback:
    topic: str
    label: str
    up: int
    down: int

    @property
    def total(self) -> int:
        return self.up + self.down


@dataclass(frozen=True)
class FeedbackComment:
    day: dt.date
    topic_label: str
    comment: str  # masked
    reason: str | None = None


@dataclass(frozen=True)
class ReasonCount:
    """The 👎 of one topic or one fact, by reason (bot.stores.feedback.REASONS, then none given)."""

    key: str  # the topic slug or the fact id
    label: str
    counts: tuple[int, ...]

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass(frozen=True)
class CallbackCount:
    """Callback requests made in the period about one topic, by status (new, in progress, done)."""

    label: str
    counts: tuple[int, ...]

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass
class ReportData:
    period: Period
    messages_per_day: list[int]
    conversations_per_day: list[int]
    messages: int
    conversations: int
    topics: list[TopicCount]
    not_understood: int
    out_of_scope: int
    unanswered: Grouping
    unknown_fields: list[UnknownFieldAsk]
    feedback: list[TopicFeedback] = field(default_factory=list)
    comments: list[FeedbackComment] = field(default_factory=list)
    feedback_available: bool = True
    emergencies: list[EmergencyCount] = field(default_factory=list)
    # The 👎 by reason, per topic and per fact shown (the answer's payload `facts`).
    reasons_by_topic: list[ReasonCount] = field(default_factory=list)
    reasons_by_fact: list[ReasonCount] = field(default_factory=list)
    callbacks: list[CallbackCount] = field(default_factory=list)


@dataclass
class _Tally:
    """Counts gathered in the one pass over the events."""

    day_starts: list[float]
    mask: Callable[[str], str]
    messages_per_day: Counter[int] = field(default_factory=Counter)
    senders_per_day: dict[int, set[str]] = field(default_factory=dict)
    senders: set[str] = field(default_factory=set)
    messages_per_topic: Counter[str] = field(default_factory=Counter)
    senders_per_topic: dict[str, set[str]] = field(default_factory=dict)
    unanswered: Counter[str] = field(default_factory=Counter)
    asks: Counter[tuple[str, str]] = field(default_factory=Counter)
    emergencies: Counter[str] = field(default_factory=Counter)
    senders_per_emergency: dict[str, set[str]] = field(default_factory=dict)

    def message(self, sender: str, timestamp: float) -> None:
        day = bisect.bisect_right(self.day_starts, timestamp) - 1
        self.messages_per_day[day] += 1
        self.senders_per_day.setdefault(day, set()).add(sender)
        self.senders.add(sender)

    def emergency(self, sender: str, kinds: list[str]) -> None:
        for kind in kinds:
            self.emergencies[kind] += 1
            self.senders_per_emergency.setdefault(kind, set()).add(sender)

    def answered(self, sender: str, text: str, intent: str | None, topic: str) -> None:
        self.messages_per_topic[topic] += 1
        self.senders_per_topic.setdefault(topic, set()).add(sender)
        if topic in (NOT_UNDERSTOOD, OUT_OF_SCOPE):
            self.unanswered[self.mask(text)] += 1
        field_name = QUESTION_FIELDS.get(intent or "")
        if field_name is not None:
            self.asks[(topic, field_name)] += 1


def _engine(url: str, what: str, hint: str = "") -> Engine:
    prefix = "sqlite:///"
    if url.startswith(prefix) and not Path(url[len(prefix) :]).exists():
        # Connecting would create an empty file.
        raise ReportError(f"no {what} at {url[len(prefix) :]}{hint}")
    return create_engine(url, future=True)


def _events(engine: Engine, period: Period) -> Iterator[Any]:
    starts = period.day_starts()
    query = (
        select(EVENTS.c.sender_id, EVENTS.c.type_name, EVENTS.c.timestamp, EVENTS.c.intent_name, EVENTS.c.data)
        .where(
            EVENTS.c.type_name.in_(("user", "bot")),
            EVENTS.c.sender_id.notlike(f"{AGENT_SENDER_PREFIX}%"),
            EVENTS.c.timestamp >= starts[0],
            EVENTS.c.timestamp < starts[-1],
        )
        .order_by(EVENTS.c.id)
    )
    with engine.connect() as connection:
        if not inspect(connection).has_table("events"):
            raise ReportError("the tracker store has no events table (no conversation stored yet)")
        result = connection.execution_options(stream_results=True).execute(query)
        for rows in result.partitions(_ROWS_PER_FETCH):
            yield from rows


def _bot_payload(data: str | None) -> dict[str, Any]:
    payload = (json.loads(data or "{}").get("data") or {}).get("custom")
    return payload if isinstance(payload, dict) else {}


def _bot_topic(payload: dict[str, Any]) -> str | None:
    topic = payload.get("topic")
    return topic if isinstance(topic, str) and topic else None


def _tally(engine: Engine, period: Period, mask_text: Callable[[str], str]) -> _Tally:
    tally = _Tally(day_starts=period.day_starts(), mask=mask_text)
    # Per conversation, the resident's message still waiting for the bot's answer.
    waiting: dict[str, tuple[str, str | None]] = {}
    for sender, type_name, timestamp, intent, data in _events(engine, period):
        if type_name == "user":
            text = json.loads(data or "{}").get("text") or ""
            tally.message(sender, float(timestamp))
            waiting[sender] = (str(text), intent)
        elif sender in waiting:
            payload = _bot_payload(data)
            topic = _bot_topic(payload)
            if topic is not None:
                text, intent = waiting.pop(sender)
                tally.answered(sender, text, intent, topic)
                if topic == EMERGENCY_TOPIC:
                    kinds = payload.get(EMERGENCY_KEY)
                    tally.emergency(sender, [str(kind) for kind in kinds] if isinstance(kinds, list) else [])
    return tally


def _unknown_fields(kb: KnowledgeBase, today: dt.date) -> set[tuple[str, str]]:
    """(topic, field) pairs a question can ask about and the knowledge base does not answer:
    no resident fact in force, or an ``unknown`` entry."""
    unknown = set()
    for topic in kb.topics():
        if topic.family == "conversation":
            continue
        for field_name in set(QUESTION_FIELDS.values()):
            told = [
                fact
                for fact in topic.facts_for(field_name, residents=True)
                if not fact.commune_insee and not fact.expired(today)
            ]
            if not told or topic.unknowns_for(field_name):
                unknown.add((topic.slug, field_name))
    return unknown


def _label(topics: dict[str, TopicView], slug: str | None) -> str:
    if slug is None:
        return "–"
    topic = topics.get(slug)
    return topic.title if topic is not None else slug


@dataclass
class _Feedbacks:
    feedback: list[TopicFeedback] = field(default_factory=list)
    comments: list[FeedbackComment] = field(default_factory=list)
    reasons_by_topic: list[ReasonCount] = field(default_factory=list)
    reasons_by_fact: list[ReasonCount] = field(default_factory=list)
    callbacks: list[CallbackCount] = field(default_factory=list)


def _utc_bounds(period: Period) -> tuple[dt.datetime, dt.datetime]:
    # Stored in UTC without a zone (bot/stores/feedback.py, bot/stores/callbacks.py).
    start, end = (
        dt.datetime.fromtimestamp(bound, dt.timezone.utc).replace(tzinfo=None)
        for bound in (period.day_starts()[0], period.day_starts()[-1])
    )
    return start, end


def _reason_counts(tallies: dict[str, Counter[str | None]], label: Callable[[str], str]) -> list[ReasonCount]:
    """Rows by reason (then « none given »), the most 👎 first."""
    rows = [
        ReasonCount(key, label(key), tuple(counts[reason] for reason in (*REASONS, None)))
        for key, counts in tallies.items()
    ]
    rows.sort(key=lambda row: (-row.total, row.label))
    return rows


def _feedback(url: str, period: Period, topics: dict[str, TopicView], mask_text: Callable[[str], str]) -> _Feedbacks:
    table = Feedback.__table__
    start, end = _utc_bounds(period)
    engine = _engine(url, "feedback database")
    found = _Feedbacks()
    try:
        with engine.connect() as connection:
            inspector = inspect(connection)
            if not inspector.has_table(table.name):
                return found
            # A database from before the reasons (the default profile's file is upgraded on first write).
            has_reasons = "reason" in {column["name"] for column in inspector.get_columns(table.name)}
            extra = (table.c.reason, table.c.facts) if has_reasons else ()
            rows = connection.execute(
                select(table.c.created_at, table.c.rating, table.c.comment, table.c.topic, *extra)
                .where(table.c.created_at >= start, table.c.created_at < end)
                .order_by(table.c.created_at, table.c.id)
            ).all()
            if inspector.has_table(CallbackRequest.__tablename__):
                found.callbacks = _callbacks(connection, start, end, topics)
    finally:
        engine.dispose()
    ratings: dict[str | None, Counter[str]] = {}
    by_topic: dict[str, Counter[str | None]] = {}
    by_fact: dict[str, Counter[str | None]] = {}
    for row in rows:
        created_at, rating, comment, topic = row[:4]
        reason, facts = (row[4], row[5]) if has_reasons else (None, None)
        ratings.setdefault(topic, Counter())[rating] += 1
        if rating != "down":
            continue
        by_topic.setdefault(topic or "", Counter())[reason] += 1
        for fact in facts if isinstance(facts, list) else []:
            by_fact.setdefault(str(fact), Counter())[reason] += 1
        if comment:
            local_day = created_at.replace(tzinfo=dt.timezone.utc).astimezone(LOCAL_TIME).date()
            found.comments.append(FeedbackComment(local_day, _label(topics, topic), mask_text(comment), reason))
    found.feedback = [
        TopicFeedback(topic or "", _label(topics, topic), counts["up"], counts["down"])
        for topic, counts in ratings.items()
    ]
    found.feedback.sort(key=lambda item: (-item.total, item.label))
    found.reasons_by_topic = _reason_counts(by_topic, lambda slug: _label(topics, slug or None))
    found.reasons_by_fact = _reason_counts(by_fact, lambda fact_id: fact_id)
    return found


def _callbacks(
    connection: Any, start: dt.datetime, end: dt.datetime, topics: dict[str, TopicView]
) -> list[CallbackCount]:
    """Callback requests made in the period, per topic and status: counts, never a name."""
    table = CallbackRequest.__table__
    rows = connection.execute(
        select(table.c.topic, table.c.status).where(table.c.created_at >= start, table.c.created_at < end)
    ).all()
    tallies: dict[str | None, Counter[str]] = {}
    for topic, status in rows:
        tallies.setdefault(topic, Counter())[status] += 1
    counts = [
        CallbackCount(_label(topics, topic), tuple(found[status] for status in STATUSES))
        for topic, found in tallies.items()
    ]
    counts.sort(key=lambda row: (-row.total, row.label))
    return counts


def collect(
    kb: KnowledgeBase,
    period: Period,
    *,
    tracker_url: str,
    feedback_url: str | None,
    mask_text: Callable[[str], str],
    console_url: str,
    today: dt.date | None = None,
) -> ReportData:
    """Everything the report shows for ``period``; ``feedback_url`` None leaves feedback out."""
    topics = {topic.slug: topic for topic in kb.topics()}
    engine = _engine(
        tracker_url, "tracker store", hint=" (`make run` stores the conversations there; or give --tracker-db)"
    )
    try:
        tally = _tally(engine, period, mask_text)
    finally:
        engine.dispose()
    headings: dict[str, str] = kb.message("agent_headings")
    unknown = _unknown_fields(kb, today or dt.date.today())
    asks = [
        UnknownFieldAsk(
            topic=slug,
            topic_label=_label(topics, slug),
            field=field_name,
            field_label=headings.get(field_name, field_name),
            count=count,
            link=f"{console_url.rstrip('/')}/console/topic/{slug}#field-{field_name}",
        )
        for (slug, field_name), count in tally.asks.items()
        if (slug, field_name) in unknown
    ]
    asks.sort(key=lambda ask: (-ask.count, ask.topic, ask.field))
    topic_counts = [
        TopicCount(slug, _label(topics, slug), count, len(tally.senders_per_topic[slug]))
        for slug, count in tally.messages_per_topic.items()
    ]
    topic_counts.sort(key=lambda item: (-item.messages, item.topic))
    feedback = _Feedbacks()
    feedback_available = False
    # No feedback database yet (no rating given): the report says so.
    with contextlib.suppress(ReportError):
        if feedback_url is not None:
            feedback, feedback_available = _feedback(feedback_url, period, topics, mask_text), True
    labels = {str(kind.get("kind")): str(kind.get("label")) for kind in kb.lexicon(LEXICON).get("kinds") or []}
    emergencies = [
        EmergencyCount(kind, labels.get(kind, kind), count, len(tally.senders_per_emergency[kind]))
        for kind, count in sorted(tally.emergencies.items(), key=lambda item: (-item[1], item[0]))
    ]
    days = range(len(period.days))
    return ReportData(
        period=period,
        messages_per_day=[tally.messages_per_day[day] for day in days],
        conversations_per_day=[len(tally.senders_per_day.get(day, ())) for day in days],
        messages=sum(tally.messages_per_day.values()),
        conversations=len(tally.senders),
        topics=topic_counts,
        not_understood=tally.messages_per_topic[NOT_UNDERSTOOD],
        out_of_scope=tally.messages_per_topic[OUT_OF_SCOPE],
        unanswered=group_questions(tally.unanswered, kb.stop_words()),
        unknown_fields=asks,
        feedback=feedback.feedback,
        comments=feedback.comments,
        feedback_available=feedback_available,
        emergencies=emergencies,
        reasons_by_topic=feedback.reasons_by_topic,
        reasons_by_fact=feedback.reasons_by_fact,
        callbacks=feedback.callbacks,
    )
