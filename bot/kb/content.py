"""Load and validate the editable content files of ``kb/``.

Validation collects every problem with the file and entry it belongs to, so an editor at the
Agglo can fix them all in one go. Nothing here touches a database.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.french.text import key
from bot.kb.question_words import check_lexicon, lexicon_path
from bot.kb.sources import IMPORTERS, ImportContext, ImportedDataset, Importer, ImportFailed

FIELDS = (
    "what",
    "eligibility",
    "amount",
    "how_to_apply",
    "documents",
    "contact",
    "period",
    "delay",
    "sanctions",
    "figures",
    "actions",
    "details",
)
AID_FIELDS = ("what", "eligibility", "amount", "how_to_apply", "documents", "contact", "period")
CONFIDENCES = ("high", "medium", "low")
RESIDENT_CONFIDENCES = ("high", "medium")
RULE_STATUSES = ("applies", "not_applies")
PERIMETERS = ("whole", "partial", "unknown")
# The topic an orientation entry (kb/orientation.yml) answers under.
ORIENTATION_TOPIC = "hors_sujet"
FAMILIES = {"headline_aids": "headline_aid", "plan_topics": "plan", "conversation": "conversation"}
_URL = re.compile(r"^https?://\S+$")
_INSEE = re.compile(r"^\d[0-9AB]\d{3}$")


class ContentError(Exception):
    """Invalid content: carries every problem found, each naming its file and entry."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class SourceRecord:
    url: str
    title: str
    verified_on: dt.date


@dataclass(frozen=True)
class FactRecord:
    id: str
    topic: str
    field: str
    text: str
    applies_to: str
    confidence: str
    source: SourceRecord
    commune: str | None
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    # Questions residents ask that this fact answers, in their words: the assistant chooses
    # the fact for a question like them (editable in the console; no retraining).
    questions: tuple[str, ...] = ()
    # Still told once ``valid_until`` has passed, as past (« période terminée le … »): the amounts
    # and sessions of a scheme that runs year after year. Needs ``valid_until``.
    told_when_ended: bool = False
    # The case the fact is specific to, as residents name it (a bike type: `type_velo`).
    variant: str | None = None
    # The official dataset the fact was imported from (bot/kb/sources/): read-only in the editor.
    imported_from: str | None = None


@dataclass(frozen=True)
class UnknownRecord:
    field: str
    text: str


@dataclass(frozen=True)
class RuleRecord:
    rule: str
    status: str
    since: dt.date | None
    perimeter: str
    communes: tuple[str, ...]
    fact: str


@dataclass
class TopicRecord:
    slug: str
    family: str
    label: str
    plan_section: str | None
    position: int
    title: str | None = None
    intro: str | None = None
    keywords: tuple[str, ...] = ()
    contacts: tuple[str, ...] = ()
    facts: list[FactRecord] = field(default_factory=list)
    unknowns: list[UnknownRecord] = field(default_factory=list)
    rules: list[RuleRecord] = field(default_factory=list)


@dataclass(frozen=True)
class OrientationRecord:
    """A question for another body: the keywords that recognise it, and the fact that answers."""

    fact: str
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class CommuneRecord:
    insee: str
    name: str
    postal_code: str | None
    department: str
    is_member: bool


@dataclass
class Content:
    """Everything the build writes to the database, already validated."""

    topics: dict[str, TopicRecord]
    communes: dict[str, CommuneRecord]
    aliases: dict[str, str]  # alias → INSEE code
    messages: dict[str, Any]
    orientations: list[OrientationRecord] = field(default_factory=list)
    # The official datasets imported into topics (bot/kb/sources/), with what was read.
    imports: list[ImportedDataset] = field(default_factory=list)

    @property
    def facts(self) -> dict[str, FactRecord]:
        return {fact.id: fact for topic in self.topics.values() for fact in topic.facts}


class _Problems:
    def __init__(self, kb_dir: Path) -> None:
        self.kb_dir = kb_dir
        self.items: list[str] = []

    def add(self, path: Path, entry: str, message: str) -> None:
        try:
            shown = path.relative_to(self.kb_dir.parent)
        except ValueError:
            shown = path
        self.items.append(f"{shown}: {entry}: {message}")


def _read_yaml(path: Path, problems: _Problems) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except FileNotFoundError:
        problems.add(path, "file", "missing")
    except yaml.YAMLError as error:
        problems.add(path, "file", f"not valid YAML ({error})")
    return None


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _text(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return " ".join(value.split())
    return None


def load_topic_catalogue(kb_dir: Path, problems: _Problems) -> dict[str, TopicRecord]:
    path = kb_dir / "topics.yml"
    data = _read_yaml(path, problems)
    topics: dict[str, TopicRecord] = {}
    if not isinstance(data, dict):
        if data is not None:
            problems.add(path, "file", "expected families of topics")
        return topics
    for family_key, family in FAMILIES.items():
        for slug, info in (data.get(family_key) or {}).items():
            info = info or {}
            topics[slug] = TopicRecord(
                slug=slug,
                family=family,
                label=str(info.get("label", slug)),
                plan_section=info.get("plan"),
                position=len(topics),
            )
    return topics


def load_communes(kb_dir: Path, french_communes_file: Path, problems: _Problems) -> dict[str, CommuneRecord]:
    """The 100 members from ``communes.csv``, plus the other communes of the Nord and
    Pas-de-Calais from the official list when it is installed."""
    path = kb_dir / "communes.csv"
    communes: dict[str, CommuneRecord] = {}
    seen_names: dict[str, str] = {}
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            for line_number, row in enumerate(csv.DictReader(handle), start=2):
                entry = f"line {line_number}"
                insee = (row.get("insee_code") or "").strip()
                name = (row.get("name") or "").strip()
                postal = (row.get("postal_code") or "").strip()
                if not _INSEE.match(insee) or not name or not re.fullmatch(r"\d{5}", postal):
                    problems.add(path, entry, "needs a name, a 5-digit postal code and an INSEE code")
                    continue
                if insee in communes:
                    problems.add(path, entry, f"duplicate commune (INSEE {insee})")
                    continue
                if key(name) in seen_names:
                    problems.add(path, entry, f"duplicate commune name {name!r}")
                    continue
                seen_names[key(name)] = insee
                communes[insee] = CommuneRecord(insee, name, postal, insee[:2], True)
    except FileNotFoundError:
        problems.add(path, "file", "missing")
    if french_communes_file.exists():
        with french_communes_file.open(encoding="utf-8") as handle:
            official = json.load(handle)
        for item in official:
            if item.get("departement") not in ("59", "62") or item.get("type") != "commune-actuelle":
                continue
            insee = item["code"]
            if insee not in communes:
                postal_codes = item.get("codesPostaux") or [None]
                communes[insee] = CommuneRecord(insee, item["nom"], postal_codes[0], item["departement"], False)
    return communes


def load_aliases(kb_dir: Path, communes: dict[str, CommuneRecord], problems: _Problems) -> dict[str, str]:
    path = kb_dir / "commune_aliases.yml"
    if not path.exists():
        return {}
    data = _read_yaml(path, problems) or {}
    aliases: dict[str, str] = {}
    for insee, spellings in (data.get("aliases") or {}).items():
        insee = str(insee)
        commune = communes.get(insee)
        if commune is None or not commune.is_member:
            problems.add(path, insee, "not the INSEE code of a member commune")
            continue
        for spelling in spellings or []:
            alias_key = key(str(spelling))
            if alias_key in aliases and aliases[alias_key] != insee:
                problems.add(path, insee, f"alias {spelling!r} already names commune {aliases[alias_key]}")
            aliases[alias_key] = insee
    return aliases


def _load_source(raw: Any, path: Path, entry: str, problems: _Problems) -> SourceRecord | None:
    if not isinstance(raw, dict):
        problems.add(path, entry, "missing source")
        return None
    url, title, verified_on = _text(raw.get("url")), _text(raw.get("title")), _as_date(raw.get("verified_on"))
    if url is None or not _URL.match(url):
        problems.add(path, entry, "source needs a url (http:// or https://)")
    if title is None:
        problems.add(path, entry, "source needs a title")
    if verified_on is None:
        problems.add(path, entry, "source needs verified_on (YYYY-MM-DD)")
    if url is None or title is None or verified_on is None or not _URL.match(url):
        return None
    return SourceRecord(url=url, title=title, verified_on=verified_on)


def _load_period(
    raw: dict[str, Any], path: Path, entry: str, problems: _Problems
) -> tuple[dt.date | None, dt.date | None] | None:
    """A fact's optional ``valid_from`` / ``valid_until``; None (with the problem) if invalid."""
    bounds: list[dt.date | None] = []
    for name in ("valid_from", "valid_until"):
        value = raw.get(name)
        date = _as_date(value)
        if value is not None and date is None:
            problems.add(path, entry, f"{name} must be a date (YYYY-MM-DD), not {value!r}")
            return None
        bounds.append(date)
    valid_from, valid_until = bounds
    if valid_from is not None and valid_until is not None and valid_from > valid_until:
        problems.add(path, entry, f"valid_from ({valid_from}) is after valid_until ({valid_until})")
        return None
    return valid_from, valid_until


def _load_facts(
    raw_facts: list[Any],
    path: Path,
    slug: str,
    communes: dict[str, CommuneRecord],
    fact_ids: set[str],
    problems: _Problems,
    imported_from: str | None = None,
) -> list[FactRecord]:
    """The valid facts of a list of entries (a topic's ``facts:``, the orientation entries, or
    an imported dataset's facts), every problem recorded with its file and entry."""
    facts: list[FactRecord] = []
    for index, raw in enumerate(raw_facts):
        entry = f"fact {raw.get('id', '#' + str(index + 1)) if isinstance(raw, dict) else index + 1}"
        if not isinstance(raw, dict):
            problems.add(path, entry, "expected a mapping")
            continue
        fact_id, text, applies_to = raw.get("id"), _text(raw.get("text")), _text(raw.get("applies_to"))
        field_name, confidence = raw.get("field"), raw.get("confidence")
        commune = raw.get("commune")
        source = _load_source(raw.get("source"), path, entry, problems)
        valid = source is not None
        if not isinstance(fact_id, str) or not re.fullmatch(r"[a-z0-9_]+", fact_id):
            problems.add(path, entry, "needs an id in snake_case")
            valid = False
        elif fact_id in fact_ids:
            problems.add(path, entry, "duplicate fact id")
            valid = False
        if field_name not in FIELDS:
            problems.add(path, entry, f"field must be one of {', '.join(FIELDS)}")
            valid = False
        if confidence not in CONFIDENCES:
            problems.add(path, entry, "confidence must be high, medium or low")
            valid = False
        if text is None or applies_to is None:
            problems.add(path, entry, "needs text and applies_to")
            valid = False
        if commune is not None and (str(commune) not in communes or not communes[str(commune)].is_member):
            problems.add(path, entry, f"commune {commune!r} is not the INSEE code of a member commune")
            valid = False
        period = _load_period(raw, path, entry, problems)
        valid = valid and period is not None
        questions = _load_questions(raw.get("questions"), path, entry, problems)
        valid = valid and questions is not None
        told_when_ended, variant = raw.get("told_when_ended", False), raw.get("variant")
        if not isinstance(told_when_ended, bool) or (told_when_ended and raw.get("valid_until") is None):
            problems.add(path, entry, "told_when_ended must be true or false, and true needs valid_until")
            valid = False
        if variant is not None and (not isinstance(variant, str) or not re.fullmatch(r"[a-z0-9_]+", variant)):
            problems.add(path, entry, "variant must be a value in snake_case (for example a bike type: cargo)")
            valid = False
        if valid and period is not None and source is not None and text is not None and applies_to is not None:
            fact_ids.add(str(fact_id))
            facts.append(
                FactRecord(
                    id=str(fact_id),
                    topic=slug,
                    field=str(field_name),
                    text=text,
                    applies_to=applies_to,
                    confidence=str(confidence),
                    source=source,
                    commune=str(commune) if commune is not None else None,
                    valid_from=period[0],
                    valid_until=period[1],
                    questions=questions or (),
                    told_when_ended=told_when_ended,
                    variant=variant,
                    imported_from=imported_from,
                )
            )
    return facts


def _load_questions(raw: Any, path: Path, entry: str, problems: _Problems) -> tuple[str, ...] | None:
    """A fact's ``questions``: a list of non-empty texts, or nothing."""
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(item, str) and item.strip() for item in raw):
        problems.add(path, entry, "questions must be a list of non-empty texts")
        return None
    return tuple(" ".join(item.split()) for item in raw)


def _load_topic_file(
    path: Path,
    topics: dict[str, TopicRecord],
    communes: dict[str, CommuneRecord],
    fact_ids: set[str],
    problems: _Problems,
) -> None:
    data = _read_yaml(path, problems)
    if not isinstance(data, dict):
        if data is not None:
            problems.add(path, "file", "expected a mapping with topic, intro, facts")
        return
    slug = data.get("topic")
    if slug not in topics:
        problems.add(path, "topic", f"unknown topic slug {slug!r} (not in kb/topics.yml)")
        return
    if path.stem != slug:
        problems.add(path, "topic", f"file name must be {slug}.yml")
    topic = topics[slug]
    topic.title = _text(data.get("title")) or topic.label
    topic.intro = _text(data.get("intro"))
    if topic.intro is None:
        problems.add(path, "intro", "missing")
    elif re.search(r"\d", topic.intro):
        problems.add(path, "intro", "must not contain figures: put them in a sourced fact")
    topic.keywords = tuple(str(word) for word in data.get("keywords") or [])
    topic.contacts = tuple(str(fact_id) for fact_id in data.get("contacts") or [])
    topic.facts.extend(_load_facts(data.get("facts") or [], path, slug, communes, fact_ids, problems))
    for index, raw in enumerate(data.get("unknown") or []):
        entry = f"unknown #{index + 1}"
        if not isinstance(raw, dict) or raw.get("field") not in FIELDS or _text(raw.get("text")) is None:
            problems.add(path, entry, "needs a field and a text")
            continue
        text = _text(raw.get("text")) or ""
        if re.search(r"\d", text):
            problems.add(path, entry, "must not contain figures")
            continue
        topic.unknowns.append(UnknownRecord(field=raw["field"], text=text))
    for index, raw in enumerate(data.get("commune_rules") or []):
        entry = f"commune_rules #{index + 1}"
        if not isinstance(raw, dict):
            problems.add(path, entry, "expected a mapping")
            continue
        codes = tuple(str(code) for code in raw.get("communes") or [])
        bad = [code for code in codes if code not in communes or not communes[code].is_member]
        if bad:
            problems.add(path, entry, f"not member communes: {', '.join(bad)}")
        if len(set(codes)) != len(codes):
            problems.add(path, entry, "a commune is listed twice")
        since = raw.get("since")
        if raw.get("status") not in RULE_STATUSES or raw.get("perimeter") not in PERIMETERS:
            problems.add(path, entry, "status must be applies/not_applies and perimeter whole/partial/unknown")
            continue
        if since is not None and _as_date(since) is None:
            problems.add(path, entry, "since must be a date (YYYY-MM-DD)")
            continue
        topic.rules.append(
            RuleRecord(
                rule=str(raw.get("rule") or slug),
                status=raw["status"],
                since=_as_date(since),
                perimeter=raw["perimeter"],
                communes=codes,
                fact=str(raw.get("fact")),
            )
        )


def load_orientation(
    kb_dir: Path,
    topics: dict[str, TopicRecord],
    communes: dict[str, CommuneRecord],
    fact_ids: set[str],
    problems: _Problems,
) -> list[OrientationRecord]:
    """``orientation.yml``: who handles the questions for another body. Each entry is a fact of
    the out-of-scope topic, with the same rules as every fact, told to residents."""
    path = kb_dir / "orientation.yml"
    if not path.exists():
        return []
    data = _read_yaml(path, problems)
    entries = data.get("entries") if isinstance(data, dict) else None
    topic = topics.get(ORIENTATION_TOPIC)
    if not isinstance(entries, list) or topic is None:
        problems.add(path, "entries", f"expected a list of entries (and the topic {ORIENTATION_TOPIC!r})")
        return []
    orientations: list[OrientationRecord] = []
    owners: dict[str, str] = {}
    for index, raw in enumerate(entries):
        entry = f"entry {raw.get('id', '#' + str(index + 1)) if isinstance(raw, dict) else index + 1}"
        keywords = raw.get("keywords") if isinstance(raw, dict) else None
        if not isinstance(keywords, list) or not keywords or not all(_text(word) for word in keywords):
            problems.add(path, entry, "needs keywords (a list of words or phrases)")
            continue
        facts = _load_facts([{**raw, "field": "contact"}], path, ORIENTATION_TOPIC, communes, fact_ids, problems)
        if not facts:
            continue
        fact = facts[0]
        if fact.confidence not in RESIDENT_CONFIDENCES:
            problems.add(path, entry, "is told to residents: confidence must be high or medium")
            continue
        clashes = [word for word in keywords if owners.get(key(str(word)), fact.id) != fact.id]
        if clashes:
            problems.add(path, entry, f"keywords already used by another entry: {', '.join(map(str, clashes))}")
            continue
        owners.update({key(str(word)): fact.id for word in keywords})
        topic.facts.append(fact)
        orientations.append(OrientationRecord(fact=fact.id, keywords=tuple(str(word) for word in keywords)))
    return orientations


def load_imports(
    kb_dir: Path,
    packages_dir: Path | None,
    topics: dict[str, TopicRecord],
    communes: dict[str, CommuneRecord],
    fact_ids: set[str],
    problems: _Problems,
    importers: tuple[Importer, ...] = IMPORTERS,
) -> list[ImportedDataset]:
    """Every registered official dataset (bot/kb/sources/), its facts added to their topic
    after the topic file's own, validated by the same rules and marked ``imported_from``."""
    imported: list[ImportedDataset] = []
    for importer in importers:
        try:
            dataset = importer.load(ImportContext(kb_dir=kb_dir, packages_dir=packages_dir))
        except ImportFailed as error:
            for problem in error.problems:
                problems.items.append(f"import {importer.name}: {problem}")
            continue
        topic = topics.get(dataset.topic)
        config = kb_dir / dataset.config
        if topic is None:
            problems.add(config, "topic", f"unknown topic slug {dataset.topic!r}")
            continue
        provenance = f"{dataset.title} – {dataset.origin}"
        topic.facts.extend(
            _load_facts(list(dataset.facts), config, topic.slug, communes, fact_ids, problems, provenance)
        )
        imported.append(dataset)
    return imported


def _check_references(content: Content, kb_dir: Path, problems: _Problems) -> None:
    facts = content.facts
    for topic in content.topics.values():
        path = kb_dir / "topics" / f"{topic.slug}.yml"
        if topic.family != "conversation" and topic.intro is None and not topic.facts:
            problems.add(path, "file", f"topic {topic.slug!r} has no content")
        for fact_id in topic.contacts:
            if fact_id not in facts:
                problems.add(path, "contacts", f"unknown fact id {fact_id!r}")
            elif facts[fact_id].confidence not in RESIDENT_CONFIDENCES:
                problems.add(path, "contacts", f"{fact_id!r} is low-confidence: residents cannot be sent there")
        for rule in topic.rules:
            if rule.fact not in facts:
                problems.add(path, "commune_rules", f"unknown fact id {rule.fact!r}")
            elif facts[rule.fact].confidence not in RESIDENT_CONFIDENCES:
                problems.add(path, "commune_rules", f"fact {rule.fact!r} is low-confidence")
        if topic.family == "headline_aid":
            resident_fields = {
                f.field for f in topic.facts if f.confidence in RESIDENT_CONFIDENCES and f.commune is None
            }
            unknown_fields = {u.field for u in topic.unknowns}
            for name in AID_FIELDS:
                if name not in resident_fields and name not in unknown_fields:
                    problems.add(path, f"field {name}", "headline aid needs a verified fact or an 'unknown' entry")
    for name in ("field_labels", "templates"):
        if not isinstance(content.messages.get(name), dict):
            problems.add(kb_dir / "messages.yml", name, "missing section")


def load_content(
    kb_dir: Path,
    french_communes_file: Path,
    packages_dir: Path | None = None,
    importers: tuple[Importer, ...] = IMPORTERS,
) -> Content:
    """Read and validate all of ``kb/`` and the official datasets it imports (from the npm
    packages in ``packages_dir`` and the copies in ``kb/sources/``); raise
    :class:`ContentError` listing every problem."""
    problems = _Problems(kb_dir)
    topics = load_topic_catalogue(kb_dir, problems)
    communes = load_communes(kb_dir, french_communes_file, problems)
    aliases = load_aliases(kb_dir, communes, problems)
    fact_ids: set[str] = set()
    topic_files = sorted((kb_dir / "topics").glob("*.yml"))
    for path in topic_files:
        _load_topic_file(path, topics, communes, fact_ids, problems)
    orientations = load_orientation(kb_dir, topics, communes, fact_ids, problems)
    imports = load_imports(kb_dir, packages_dir, topics, communes, fact_ids, problems, importers)
    messages = _read_yaml(kb_dir / "messages.yml", problems) or {}
    lexicon_file = lexicon_path(kb_dir)
    lexicon = _read_yaml(lexicon_file, problems)
    if lexicon is not None:
        # Stored with the messages: the running assistant reads new words with a new build.
        messages["lexicon"] = check_lexicon(
            lexicon, FIELDS, lambda entry, text: problems.add(lexicon_file, entry, text)
        )
    content = Content(
        topics=topics,
        communes=communes,
        aliases=aliases,
        messages=messages,
        orientations=orientations,
        imports=imports,
    )
    _check_references(content, kb_dir, problems)
    if problems.items:
        raise ContentError(problems.items)
    return content
