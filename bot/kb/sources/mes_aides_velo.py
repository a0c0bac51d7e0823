"""Mes Aides Vélo (beta.gouv): the Agglo's Pass'Mobil'Agglo rule, imported into ``aide_velo``.

Two copies may hold the rule: the npm package ``@betagouv/aides-velo`` installed at install time
(its compiled rules, ``publicodes-build/aides-velo.model.json``) and a copy of the project's
repository at a pinned commit vendored in ``kb/sources/mes_aides_velo/`` (checked against its
SHA-256). The importer reads both when present and uses the rule updated last (« dernière mise à
jour »), saying which and why. The settings and the wording are in ``import.yml`` beside the copy.

What the rule gives, and what becomes of it:
- its amounts (``variations``: first match wins, each condition a group of « vélo . type »
  values), one fact per bike type residents name (``variant``) and one listing them all;
- its sessions, written in its French ``description`` (« du 2 mars au 17 avril »), one fact each,
  dated (``valid_from``/``valid_until``): the last must end on the rule's « date de fin »;
- its ``lien``, the Agglo's page, where to apply;
- « dernière mise à jour », the date of every fact (``source.verified_on``).
Amounts and sessions stay told once ended, as past (``told_when_ended``): « the last session
ended on … », never presented as open.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import yaml

from bot.french.text import MONTHS, spelled_date
from bot.kb.sources.base import ImportContext, ImportedDataset, ImportFailed, sha256_of

CONFIG = Path("sources") / "mes_aides_velo" / "import.yml"
_AMOUNT = re.compile(r"^\s*(\d+)\s*€\s*$")
_TYPE_TEST = re.compile(r"^vélo \. type = '([^']+)'$")
_DAY = r"(1er|\d{1,2})"
_MONTH = "(" + "|".join(MONTHS) + ")"
# « du 2 mars à partir de 9h au 17 avril », « du 1er juin au 17 juillet »
_SESSION = re.compile(rf"\bdu {_DAY} {_MONTH}(?: à partir de (\d{{1,2}}) ?h(\d{{2}})?)? au {_DAY} {_MONTH}\b")
_SESSION_YEAR = re.compile(r"\bsessions? (\d{4})\b")


@dataclass(frozen=True)
class _Copy:
    """One copy of the rule: the rules it came with, its origin and the address to cite."""

    rules: Mapping[str, Any]
    origin: str
    url: str
    last_update: dt.date


@dataclass(frozen=True)
class Session:
    start: dt.date
    end: dt.date
    opening_hour: str | None  # « 9 h » when the text gives the opening time


class MesAidesVelo:
    """The importer of the Pass'Mobil'Agglo rule (registered in :mod:`bot.kb.sources`)."""

    name = "mes_aides_velo"

    def load(self, context: ImportContext) -> ImportedDataset:
        config_path = context.kb_dir / CONFIG
        config = _read_config(config_path)
        problems: list[str] = []
        copies = [
            copy
            for copy in (
                _npm_copy(config, context.packages_dir, problems),
                _vendored_copy(config, config_path.parent, problems),
            )
            if copy is not None
        ]
        if not copies:
            problems.append(
                f"{config_path}: no copy of the rule to read: run `npm ci` (package {config['npm']['package']}) "
                "or restore the vendored files"
            )
        if problems:
            raise ImportFailed(problems)
        # The most recently updated rule; on a tie the npm package, the maintained channel.
        chosen = max(copies, key=lambda copy: copy.last_update)
        notes = tuple(
            f"not used: {copy.origin}, rule updated on {_dmy(copy.last_update)}, older than the copy used"
            for copy in copies
            if copy is not chosen and copy.last_update < chosen.last_update
        )
        rule = chosen.rules[config["rule"]]
        amounts = bike_type_amounts(chosen.rules, config, config_path)
        end = _rule_date(rule, "date de fin", config_path)
        sessions, session_notes = sessions_of(rule, end)
        facts = _facts(config, rule, chosen, amounts, sessions, end)
        return ImportedDataset(
            dataset=self.name,
            title=str(config["title"]),
            topic=str(config["topic"]),
            config=CONFIG,
            origin=f"{chosen.origin}, rule updated on {_dmy(chosen.last_update)}",
            notes=notes + session_notes,
            last_update=chosen.last_update,
            facts=tuple(facts),
            record=_record(chosen, rule, amounts, sessions),
        )


# Reading the copies ---------------------------------------------------------------------------
def _read_config(path: Path) -> dict[str, Any]:
    try:
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise ImportFailed([f"{path}: cannot be read ({error})"]) from error
    if not isinstance(config, dict):
        raise ImportFailed([f"{path}: expected the import's settings"])
    return config


def _dmy(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def _rule_date(rule: Mapping[str, Any], name: str, where: Path) -> dt.date:
    value = rule.get(name)
    try:
        return dt.datetime.strptime(str(value), "%d/%m/%Y").date()
    except ValueError:
        raise ImportFailed([f"{where}: the rule's « {name} » is not a date DD/MM/YYYY: {value!r}"]) from None


def _npm_copy(config: Mapping[str, Any], packages_dir: Path | None, problems: list[str]) -> _Copy | None:
    """The rule in the installed npm package, if installed and holding the rule."""
    if packages_dir is None:
        return None
    package_dir = packages_dir / config["npm"]["package"]
    model = package_dir / config["npm"]["model"]
    if not model.is_file():
        return None
    version = json.loads((package_dir / "package.json").read_text(encoding="utf-8"))["version"]
    rules = json.loads(model.read_text(encoding="utf-8"))
    if config["rule"] not in rules:
        # Some published versions dropped the rule (deactivated upstream from December 2024
        # to September 2025): the vendored copy, if any, is used instead.
        return None
    last_update = _rule_date(rules[config["rule"]], "dernière mise à jour", model)
    url = config["npm"]["url"].format(version=version)
    return _Copy(rules, f"npm package {config['npm']['package']} {version}", url, last_update)


def _vendored_copy(config: Mapping[str, Any], folder: Path, problems: list[str]) -> _Copy | None:
    """The rule copied from the project's repository, after checking the files' SHA-256."""
    vendored = config.get("vendored")
    if not vendored:
        return None
    rules: dict[str, Any] = {}
    found: list[str] = []
    for name in ("rule_file", "types_file"):
        entry = vendored[name]
        path = folder / entry["path"]
        if not path.is_file():
            found.append(f"{path}: missing (see the vendored block of {folder / 'import.yml'})")
            continue
        if sha256_of(path) != entry["sha256"]:
            found.append(
                f"{path}: its SHA-256 is not the one recorded in import.yml: a vendored copy is never edited by "
                f"hand; copy it again from {vendored['repository']} at {vendored['commit']}"
            )
            continue
        rules.update(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    if found:
        problems.extend(found)
        return None
    rule_file = vendored["rule_file"]
    first_line, last_line = str(rule_file["lines"]).split("-")
    url = vendored["url"].format(
        commit=vendored["commit"], copied_from=rule_file["copied_from"], first_line=first_line, last_line=last_line
    )
    repository = vendored["repository"].removeprefix("https://github.com/")
    origin = f"copy of {repository} {vendored['tag']} ({vendored['commit'][:7]})"
    last_update = _rule_date(rules[config["rule"]], "dernière mise à jour", folder / rule_file["path"])
    return _Copy(rules, origin, url, last_update)


# Amounts --------------------------------------------------------------------------------------
def _bike_kinds(rules: Mapping[str, Any], reference: str, where: Path, seen: frozenset[str] = frozenset()) -> set[str]:
    """The « vélo . type » values a condition of the rule covers: a test (« vélo . type =
    'cargo' »), a rule defined by one, or « une de ces conditions » of them."""
    match = _TYPE_TEST.match(reference.strip())
    if match:
        return {match.group(1)}
    if reference in seen or reference not in rules:
        raise ImportFailed([f"{where}: cannot read the condition {reference!r}: update the importer"])
    definition = rules[reference]
    node = definition.get("valeur", definition) if isinstance(definition, dict) else definition
    if isinstance(node, str):
        return _bike_kinds(rules, node, where, seen | {reference})
    if isinstance(node, dict) and isinstance(node.get("une de ces conditions"), list):
        kinds: set[str] = set()
        for item in node["une de ces conditions"]:
            kinds |= _bike_kinds(rules, str(item), where, seen | {reference})
        return kinds
    raise ImportFailed([f"{where}: the condition {reference!r} is not a test of the bike type: update the importer"])


def _euros(value: Any, where: Path) -> int:
    match = _AMOUNT.match(str(value))
    if match is None:
        raise ImportFailed([f"{where}: {value!r} is not a fixed amount in euros: update the importer"])
    return int(match.group(1))


def kind_amounts(rules: Mapping[str, Any], rule_name: str, type_rule: str, where: Path) -> dict[str, int]:
    """The amount for each « vélo . type », as Mes Aides Vélo computes it: the first variation
    whose condition covers the type, else the ``sinon`` amount."""
    rule = rules[rule_name]
    variations = rule.get("variations") or (rule.get("valeur") or {}).get("variations")
    if not isinstance(variations, list):
        raise ImportFailed([f"{where}: the rule has no amounts by kind of bike (variations)"])
    kinds = [str(kind) for kind in rules[type_rule]["une possibilité"]]
    amounts: dict[str, int] = {}
    for kind in kinds:
        for variation in variations:
            if "si" in variation and kind in _bike_kinds(rules, str(variation["si"]), where):
                amounts[kind] = _euros(variation["alors"], where)
                break
            if "sinon" in variation:
                amounts[kind] = _euros(variation["sinon"], where)
                break
    return amounts


def bike_type_amounts(rules: Mapping[str, Any], config: Mapping[str, Any], where: Path) -> dict[str, int]:
    """The amount for each bike type residents name (``bike_types`` of import.yml), in the
    order of the rule's kinds; kinds without aid (0 €) are left out."""
    amounts = kind_amounts(rules, config["rule"], config["bike_type_rule"], where)
    mapping: Mapping[str, Mapping[str, str]] = config["bike_types"]
    by_type: dict[str, int] = {}
    problems = []
    for kind, amount in amounts.items():
        if kind not in mapping:
            problems.append(f"{where}: the data names a kind of bike {kind!r} missing from bike_types")
            continue
        bike_type = mapping[kind]["bike_type"]
        if by_type.get(bike_type, amount) != amount:
            problems.append(
                f"{where}: the kinds of bike_type {bike_type!r} now get different amounts: split it in bike_types"
            )
        by_type[bike_type] = amount
    if problems:
        raise ImportFailed(problems)
    return {bike_type: amount for bike_type, amount in by_type.items() if amount > 0}


# Sessions -------------------------------------------------------------------------------------
def _day(number: str, month: str, year: int) -> dt.date:
    return dt.date(year, MONTHS.index(month) + 1, 1 if number == "1er" else int(number))


def sessions_of(rule: Mapping[str, Any], end: dt.date) -> tuple[list[Session], tuple[str, ...]]:
    """The sessions the rule's description gives (« du 2 mars à partir de 9h au 17 avril »), in
    the year it names (« La première session 2026 »). They are kept only if they read as a
    sequence of periods whose last one ends on the rule's « date de fin »; otherwise none, and a
    note says why (the facts on sessions are then to be written by hand)."""
    text = " ".join(str(rule.get("description") or "").split())
    year_match = _SESSION_YEAR.search(text)
    found = list(_SESSION.finditer(text))
    if not found or year_match is None:
        return [], ("no session dates found in the rule's description: sessions not imported",)
    year = int(year_match.group(1))
    sessions = []
    for match in found:
        start_day, start_month, hour, minutes, end_day, end_month = match.groups()
        try:
            start, finish = _day(start_day, start_month, year), _day(end_day, end_month, year)
        except ValueError:
            return [], (f"impossible date in « {match.group(0)} »: sessions not imported",)
        opening = None if hour is None else f"{int(hour)} h" + (f" {minutes}" if minutes else "")
        sessions.append(Session(start, finish, opening))
    ordered = all(a.start <= a.end < b.start for a, b in pairwise(sessions))
    if not ordered or any(session.start > session.end for session in sessions):
        return [], ("the sessions of the description do not follow one another: sessions not imported",)
    if sessions[-1].end != end:
        return [], (
            f"the last session of the description ends on {_dmy(sessions[-1].end)}, not on the rule's end date "
            f"{_dmy(end)}: sessions not imported",
        )
    return sessions, ()


# Facts ----------------------------------------------------------------------------------------
def _euro_text(amount: int) -> str:
    return f"{amount} €"


def _facts(
    config: Mapping[str, Any],
    rule: Mapping[str, Any],
    copy: _Copy,
    amounts: dict[str, int],
    sessions: list[Session],
    end: dt.date,
) -> list[dict[str, Any]]:
    wording: Mapping[str, str] = config["wording"]
    prefix = config["fact_prefix"]
    labels = {entry["bike_type"]: entry["label"] for entry in config["bike_types"].values()}
    start = sessions[0].start if sessions else None
    year = end.year
    source = {"title": config["source_title"], "url": copy.url, "verified_on": copy.last_update}
    common = {"confidence": config["confidence"], "source": source}
    period = {"valid_from": start, "valid_until": end, "told_when_ended": True}
    amounts_applies_to = wording["amounts_applies_to"].format(
        year=year,
        start=spelled_date(start, with_year=start.year != end.year) if start else "",
        end=spelled_date(end),
    )
    if start is None:
        # Without sessions, the rule's end date alone.
        amounts_applies_to = amounts_applies_to.split(", ")[0]
    ordered = sorted(amounts.items(), key=lambda item: -item[1])
    listed = wording["amounts_separator"].join(
        wording["amounts_item"].format(label=labels[bike_type], amount=_euro_text(amount))
        for bike_type, amount in ordered
    )
    facts: list[dict[str, Any]] = [
        {
            "id": f"{prefix}_montants",
            "field": "amount",
            "text": wording["amounts"].format(amounts=listed),
            "applies_to": amounts_applies_to,
            **period,
            **common,
        }
    ]
    facts += [
        {
            "id": f"{prefix}_montant_{bike_type}",
            "field": "amount",
            "variant": bike_type,
            "text": wording["amount"].format(label=labels[bike_type], amount=_euro_text(amount)),
            "applies_to": amounts_applies_to,
            **period,
            **common,
        }
        for bike_type, amount in ordered
    ]
    for number, session in enumerate(sessions, start=1):
        template = wording["session_opening"] if session.opening_hour else wording["session"]
        facts.append(
            {
                "id": f"{prefix}_session_{number}",
                "field": "period",
                "text": template.format(
                    start=spelled_date(session.start, with_year=False),
                    end=spelled_date(session.end),
                    hour=session.opening_hour or "",
                ),
                "applies_to": wording["session_applies_to"].format(
                    number=number, count=len(sessions), year=session.start.year
                ),
                "valid_from": session.start,
                "valid_until": session.end,
                "told_when_ended": True,
                **common,
            }
        )
    link = rule.get("lien")
    if link:
        facts.append(
            {
                "id": f"{prefix}_page",
                "field": "how_to_apply",
                # The address without its scheme: answers never show a raw link (the payload does).
                "text": " ".join(wording["page"].format(address=re.sub(r"^https?://", "", str(link))).split()),
                "applies_to": wording["page_applies_to"].format(last_update=_dmy(copy.last_update)),
                **common,
            }
        )
    return facts


def _record(copy: _Copy, rule: Mapping[str, Any], amounts: dict[str, int], sessions: list[Session]) -> dict[str, str]:
    """What the build compares from one build to the next."""
    return {
        "copy used": copy.origin,
        "last update": _dmy(copy.last_update),
        "end date": str(rule.get("date de fin")),
        "page": str(rule.get("lien")),
        **{f"amount for {bike_type}": _euro_text(amount) for bike_type, amount in amounts.items()},
        "sessions": ", ".join(f"{_dmy(session.start)}-{_dmy(session.end)}" for session in sessions) or "none read",
        "description": " ".join(str(rule.get("description") or "").split()),
        "title": str(rule.get("titre") or ""),
    }
