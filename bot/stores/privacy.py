"""Masking of the personal data residents type, before anything is stored.

``mask(text)`` replaces French phone numbers (and international ones written with ``+``),
e-mail addresses, postal addresses (house number, street type and name; named residences and
buildings), French social-security numbers (NIR) and IBANs by the placeholders of
``kb/privacy.yml``, which also lists the words an address is recognised by. Plain numbers
(« 70 € », « 1 000 litres », « 2026 », a postal code) and commune names stay.

The tracker store (channels/tracker_store.py) masks every user event with ``mask_event``
before writing it; the feedback store masks comments and questions.

Recall wins over precision: masking a harmless phrase in a stored log costs nothing, storing a
resident's phone number does. Known false positives: « 1 place de parking » looks like an
address.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from bot.french.text import fold

PLACEHOLDER_KINDS = ("phone", "email", "address", "nir", "iban")

# Event types whose data comes from the resident (Rasa's ``type_name``); bot utterances and
# actions are the assistant's own words and stay as they are.
RESIDENT_EVENT_TYPES = frozenset({"user", "slot", "entities", "user_featurization"})

# Countries that use IBANs (ISO 13616 registry): a candidate must start with one of them.
# fmt: off
IBAN_COUNTRIES = frozenset({
    "AD", "AE", "AL", "AT", "AZ", "BA", "BE", "BG", "BH", "BI", "BR", "BY", "CH", "CR", "CY", "CZ",
    "DE", "DJ", "DK", "DO", "EE", "EG", "ES", "FI", "FK", "FO", "FR", "GB", "GE", "GI", "GL", "GR",
    "GT", "HR", "HU", "IE", "IL", "IQ", "IS", "IT", "JO", "KW", "KZ", "LB", "LC", "LI", "LT", "LU",
    "LV", "LY", "MC", "MD", "ME", "MK", "MN", "MR", "MT", "MU", "NI", "NL", "NO", "OM", "PK", "PL",
    "PS", "PT", "QA", "RO", "RS", "RU", "SA", "SC", "SD", "SE", "SI", "SK", "SM", "SO", "ST", "SV",
    "TL", "TN", "TR", "UA", "VA", "VG", "XK", "YE",
})
# fmt: on

_SEP = r"[ \t.\-/\u00a0\u202f]"  # what people put between digit groups
_PHONE = re.compile(
    r"(?<![\d+])(?:"
    # National: 0 then 9 digits, grouped any way (06 12 34 56 78, 0 800 123 456, 0612345678).
    rf"0{_SEP}{{0,2}}[1-9](?:{_SEP}{{0,2}}\d){{8}}"
    # +33 / 0033, with the optional (0): +33 6 12 34 56 78, +33 (0)6 12 34 56 78, 0033612345678.
    rf"|(?:\+|00){_SEP}?33{_SEP}{{0,2}}(?:\(0\){_SEP}{{0,2}})?[1-9](?:{_SEP}{{0,2}}\d){{8}}"
    # Any other country written with +: +32 470 12 34 56.
    rf"|\+{_SEP}?[1-9]\d{{0,2}}{_SEP}{{0,2}}(?:\(0\){_SEP}{{0,2}})?\d(?:{_SEP}{{0,2}}\d){{6,12}}"
    r")(?!\d)"
)
# Sex, year, month (or the special 20-42 and 50-99), department (2A/2B: Corsica), commune,
# order number, then the optional 2-digit key.
_NIR = re.compile(
    r"(?<![\d+])[1-478][ .\-]?\d{2}[ .\-]?(?:0[1-9]|1[0-2]|[2-9]\d)[ .\-]?(?:\d{2}|2[ABab])"
    r"[ .\-]?\d{3}[ .\-]?\d{3}(?:[ .\-]?\d{2})?(?!\d)"
)
# Country code, check digits, then the account in groups (each group after the first needs its
# separator, so the match is linear); _iban() decides how many groups belong to it.
_IBAN = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]{2})(\d{2})((?:[ \-]?[A-Za-z0-9]+)(?:[ \-][A-Za-z0-9]+){0,11})")
_IBAN_GROUP = re.compile(r"[ \-]?[A-Za-z0-9]+")
_IBAN_MAX_ACCOUNT = 30
_TOKEN = re.compile(r"[\w'’\-]+|[^\w\s]")
_NUMBER = re.compile(r"\d{1,4}(?:[a-dA-D]|bis|ter|quater)?", re.IGNORECASE)
_BUILDING_ID = re.compile(r"(?:[A-Z]\d{0,2}|\d{1,3}[A-Za-z]?)")
_CAPITALISED = re.compile(r"[A-ZÀ-Ý]")
_DIGIT = re.compile(r"\d")


class PrivacyContentError(ValueError):
    """``kb/privacy.yml`` is missing or incomplete."""


@dataclass(frozen=True)
class _Vocabulary:
    placeholders: Mapping[str, str]
    street_types: frozenset[str]
    number_suffixes: frozenset[str]
    residence_words: frozenset[str]
    building_words: frozenset[str]
    not_residence_names: frozenset[str]
    residence_articles: frozenset[str]
    name_particles: frozenset[str]
    name_stop_words: frozenset[str]
    date_words: frozenset[str]
    # First folded word of each member commune → the commune names' folded words.
    communes: Mapping[str, tuple[tuple[str, ...], ...]]


def _folded(words: Iterable[Any]) -> frozenset[str]:
    return frozenset(str(word).lower() for word in words) | frozenset(fold(str(word)) for word in words)


def _commune_words(communes_csv: Path) -> dict[str, tuple[tuple[str, ...], ...]]:
    by_first: dict[str, list[tuple[str, ...]]] = {}
    if communes_csv.exists():
        with communes_csv.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                words = tuple(fold(row["name"]).split())
                if words:
                    by_first.setdefault(words[0], []).append(words)
    return {first: tuple(names) for first, names in by_first.items()}


def load_vocabulary(kb_dir: Path) -> _Vocabulary:
    path = kb_dir / "privacy.yml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise PrivacyContentError(f"{path}: {error}") from error
    if not isinstance(data, dict):
        raise PrivacyContentError(f"{path}: expected a mapping")
    placeholders = data.get("placeholders")
    if not isinstance(placeholders, dict) or not all(
        isinstance(placeholders.get(kind), str) and placeholders[kind].strip() for kind in PLACEHOLDER_KINDS
    ):
        raise PrivacyContentError(f"{path}: placeholders needs a text for each of {', '.join(PLACEHOLDER_KINDS)}")

    def words(name: str) -> frozenset[str]:
        value = data.get(name)
        if not isinstance(value, list) or not value:
            raise PrivacyContentError(f"{path}: {name} must be a non-empty list")
        return _folded(value)

    return _Vocabulary(
        placeholders={kind: str(placeholders[kind]) for kind in PLACEHOLDER_KINDS},
        street_types=words("street_types"),
        number_suffixes=words("number_suffixes"),
        residence_words=words("residence_words"),
        building_words=words("building_words"),
        not_residence_names=words("not_residence_names"),
        residence_articles=words("residence_articles"),
        name_particles=words("name_particles"),
        name_stop_words=words("name_stop_words"),
        date_words=words("date_words"),
        communes=_commune_words(kb_dir / "communes.csv"),
    )


class _Token(NamedTuple):
    """A word or a punctuation mark of a text (a tuple: thousands are made per message)."""

    start: int
    end: int
    text: str
    lower: str
    is_word: bool


def _tokens(text: str) -> list[_Token]:
    return [
        _Token(match.start(), match.end(), word, word.lower().replace("’", "'"), word[0].isalnum() or word[0] == "_")
        for match in _TOKEN.finditer(text)
        for word in (match.group(0),)
    ]


# Folding a word (accents, case) is the costly step of the address scan; words repeat.
_fold = lru_cache(maxsize=8192)(fold)


class Masker:
    """Masks one text at a time; built once from ``kb/privacy.yml`` (see ``masker()``)."""

    def __init__(self, vocabulary: _Vocabulary, at_words: Iterable[str] = ("arobase",)) -> None:
        self.vocabulary = vocabulary
        at = "|".join(re.escape(word) for word in at_words)
        self._email = re.compile(
            r"[\w.!#$%&'*+/=?^`{|}~\-]+"
            rf"(?:\s*@\s*|\s*\((?:at|{at})\)\s*|\s*\[(?:at|{at})\]\s*|\s+(?:{at})\s+)"
            r"[\w\-]+(?:(?:\.|\s+point\s+)[\w\-]+)+",
            re.IGNORECASE,
        )
        self._email_markers = ("@", "(at)", "[at]", *(word.lower() for word in at_words))
        # Without a digit, only a named residence or building can be an address.
        self._named_places = vocabulary.residence_words | vocabulary.building_words
        self._named_place_initials = frozenset(word[:1] for word in self._named_places)

    def mask(self, text: str) -> str:
        # Most strings hold none of it: substring searches decide, before any regex or loop.
        placeholders = self.vocabulary.placeholders
        lowered = text.lower()
        if any(marker in lowered for marker in self._email_markers):
            text = self._email.sub(placeholders["email"], text)
        if not _DIGIT.search(text):
            named_place = any(word in lowered for word in self._named_places)
            return self._addresses(text) if named_place else text
        text = _IBAN.sub(self._iban, text)
        text = _NIR.sub(placeholders["nir"], text)
        text = _PHONE.sub(placeholders["phone"], text)
        return self._addresses(text)

    # IBAN ---------------------------------------------------------------------------------
    def _iban(self, match: re.Match[str]) -> str:
        country, account = match.group(1).upper(), match.group(3)
        if country not in IBAN_COUNTRIES:
            return match.group(0)
        kept: list[str] = []
        length = 0
        for position, group in enumerate(_IBAN_GROUP.findall(account)):
            characters = group.strip(" -")
            # Bank codes may be letters (« GB82 WEST … »); a later group without a digit is the
            # sentence going on (« FR76 … 189 merci »).
            if position >= 2 and not any(character.isdigit() for character in characters):
                break
            if length + len(characters) > _IBAN_MAX_ACCOUNT:
                break
            kept.append(group)
            length += len(characters)
        bban = "".join(group.strip(" -") for group in kept)
        if len(bban) < 11 or sum(character.isdigit() for character in bban) < 8:
            return match.group(0)
        return self.vocabulary.placeholders["iban"] + account[len("".join(kept)) :]

    # Addresses ----------------------------------------------------------------------------
    def _addresses(self, text: str) -> str:
        tokens = _tokens(text)
        spans: list[tuple[int, int]] = []
        index = 0
        while index < len(tokens):
            end = self._address_at(tokens, index)
            if end is None:
                index += 1
                continue
            spans.append((tokens[index].start, tokens[end - 1].end))
            index = end
        for start, end in reversed(spans):
            text = text[:start] + self.vocabulary.placeholders["address"] + text[end:]
        return text

    def _address_at(self, tokens: list[_Token], index: int) -> int | None:
        """The end (exclusive token index) of an address starting at ``index``, or None."""
        token = tokens[index]
        if not token.text[0].isdigit():
            return self._named_place_at(tokens, index)
        return self._numbered_address_at(tokens, index)

    def _named_place_at(self, tokens: list[_Token], index: int) -> int | None:
        """« résidence les Tilleuls », « bâtiment B »."""
        vocabulary = self.vocabulary
        token = tokens[index]
        if token.lower[:1] not in self._named_place_initials:
            return None
        folded = _fold(token.text)
        if folded in vocabulary.building_words or token.lower in vocabulary.building_words:
            position = self._skip_dot(tokens, index + 1)
            if position < len(tokens) and _BUILDING_ID.fullmatch(tokens[position].text):
                return position + 1
            return None
        if folded in vocabulary.residence_words or token.lower in vocabulary.residence_words:
            position = index + 1
            if position >= len(tokens) or not tokens[position].is_word:
                return None
            following = tokens[position]
            article = following.lower in vocabulary.residence_articles or following.lower.startswith("l'")
            named = bool(_CAPITALISED.match(following.text)) and _fold(following.text) not in (
                vocabulary.not_residence_names
            )
            if not (article or named) or _fold(following.text) in vocabulary.not_residence_names:
                return None
            return self._street_name_end(tokens, position)
        return None

    def _numbered_address_at(self, tokens: list[_Token], index: int) -> int | None:
        """« 12 rue de la Paix », « 3 bis, avenue … »."""
        vocabulary = self.vocabulary
        token = tokens[index]
        if not _NUMBER.fullmatch(token.text):
            return None
        if index > 0 and tokens[index - 1].text.isdigit() and tokens[index - 1].end + 1 >= token.start:
            return None  # « 1 000 » is a number, not a house number
        position = index + 1
        if position < len(tokens) and tokens[position].lower in vocabulary.number_suffixes:
            position += 1
        if position < len(tokens) and tokens[position].text == ",":
            position += 1
        if position >= len(tokens):
            return None
        street = tokens[position]
        if street.lower not in vocabulary.street_types and _fold(street.text) not in vocabulary.street_types:
            return None
        position = self._skip_dot(tokens, position + 1)
        return self._street_name_end(tokens, position)

    @staticmethod
    def _skip_dot(tokens: list[_Token], position: int) -> int:
        return position + 1 if position < len(tokens) and tokens[position].text == "." else position

    def _street_name_end(self, tokens: list[_Token], position: int, max_words: int = 8) -> int:
        vocabulary = self.vocabulary
        previous = ""
        words = 0
        while position < len(tokens) and words < max_words:
            token = tokens[position]
            if not token.is_word:
                break
            if token.text.isdigit():
                # « rue du 8 Mai 1945 »: a day after « du », a year after a month.
                day = previous == "du" and len(token.text) <= 2
                year = previous in vocabulary.date_words and len(token.text) == 4
                if not (day or year):
                    break
            elif self._ends_name(token, previous, words, tokens, position):
                break
            previous = _fold(token.text) if not token.text.isdigit() else token.text
            position += 1
            words += 1
        return position

    def _ends_name(self, token: _Token, previous: str, words: int, tokens: list[_Token], position: int) -> bool:
        """A stop word, or a commune's name after the street's own name."""
        stop_words = self.vocabulary.name_stop_words
        if token.lower in stop_words or _fold(token.text) in stop_words:
            return True
        return bool(words) and previous not in self.vocabulary.name_particles and self._starts_commune(tokens, position)

    def _starts_commune(self, tokens: list[_Token], position: int) -> bool:
        """True when a member commune's name starts at ``position`` (« … Paix Béthune »)."""
        following = _fold(" ".join(token.text for token in tokens[position : position + 6] if token.is_word)).split()
        if not following:
            return False
        for name in self.vocabulary.communes.get(following[0], ()):
            # « La Couture » needs both words; « Bruay » is enough for Bruay-la-Buissière.
            if name[0] not in ("la", "le", "les") or tuple(following[: len(name)]) == name:
                return True
        return False


@lru_cache(maxsize=4)
def _masker_for(kb_dir: Path) -> Masker:
    path = kb_dir / "privacy.yml"
    at_words: list[str] = ["arobase"]
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and isinstance(data.get("email_at_words"), list):
            at_words = [str(word) for word in data["email_at_words"]]
    except (OSError, yaml.YAMLError):
        pass  # load_vocabulary below names the problem
    return Masker(load_vocabulary(kb_dir), at_words)


def masker(kb_dir: Path) -> Masker:
    """The masker for the content in ``kb_dir`` (its privacy.yml and communes), built once per
    directory. ``masker(kb_dir).mask(text)`` replaces the phone numbers, e-mails, addresses,
    NIRs and IBANs of ``text`` by placeholders."""
    return _masker_for(kb_dir.resolve())


# Fields of Rasa's events that are never typed by the resident: kept exactly as Rasa wrote them
# (masking a message id could change it, and intent names need no masking).
_STRUCTURAL_KEYS = frozenset(
    {
        "event",
        "timestamp",
        "name",
        "policy",
        "confidence",
        "message_id",
        "intent",
        "intent_ranking",
        "response_selector",
        "input_channel",
        "entity",
        "extractor",
        "start",
        "end",
        "confidence_entity",
        "processors",
    }
)


def _mask_resident_value(value: Any, mask_text: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {
            # Rasa's own keys are identifiers; a key typed by someone (metadata) may not be.
            (mask_text(key) if isinstance(key, str) and not key.isidentifier() else key): (
                item if key in _STRUCTURAL_KEYS else _mask_resident_value(item, mask_text)
            )
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_mask_resident_value(item, mask_text) for item in value]
    return value


def mask_event(data: Mapping[str, Any], mask_text: Callable[[str], str]) -> dict[str, Any]:
    """A copy of a Rasa event's ``as_dict()`` with what the resident typed masked: the text, the
    parse data's text and entity values, the metadata, slot values. The assistant's own events
    (bot utterances, actions) are copied as they are."""
    if data.get("event") not in RESIDENT_EVENT_TYPES:
        return dict(data)
    # The message's text comes twice (the event's and the parse data's): masked once.
    seen: dict[str, str] = {}

    def mask_once(text: str) -> str:
        masked = seen.get(text)
        if masked is None:
            masked = seen[text] = mask_text(text)
        return masked

    masked: dict[str, Any] = _mask_resident_value(dict(data), mask_once)
    return masked
