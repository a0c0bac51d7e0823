"""French text normalisation shared by commune matching, topic detection and search."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "’": "'", "ß": "ss"})
_NON_WORD = re.compile(r"[^a-z0-9]+")
# Spellings residents use for the same word in commune names.
_TOKEN_EQUIVALENTS = {
    "lez": "les",
    "st": "saint",
    "ste": "sainte",
}
# Elided articles and pronouns glued to the next word by an apostrophe ("j'habite", "l'agglo").
_ELISION = re.compile(r"\b(?:[cdjlmnst]|qu|jusqu|lorsqu|puisqu)'")
# A number written in groups of three digits (« 2 000 », « 100 000 ») is one number, as residents
# often write it (« 2000 »).
_DIGIT_GROUPS = re.compile(r"(?<!\d)\d{1,3}(?: \d{3})+(?!\d)")


def fold(text: str) -> str:
    """Lower-case, strip accents and ligatures, turn punctuation into single spaces."""
    text = text.translate(_LIGATURES).lower()
    text = _ELISION.sub(" ", text)
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    spaced = _NON_WORD.sub(" ", stripped).strip()
    return _DIGIT_GROUPS.sub(lambda match: match.group().replace(" ", ""), spaced)


def tokens(text: str) -> list[str]:
    """Folded tokens with the usual spelling variants made equal ("lez" → "les", "st" → "saint")."""
    return [_TOKEN_EQUIVALENTS.get(token, token) for token in fold(text).split()]


def singular(word: str) -> str:
    """A folded word with its plural ending dropped, so that « aides » meets « aide » and
    « jeux » « jeu ». An « x » only after « u » (« eaux », « bijoux »): « prix » is no plural,
    and read « pri » it met the participle « pris » (« c'est pris en charge ? » asked a price).
    Nor an « s » after « s » (« pass », « stress »): « Pass'Mobil'Agglo » read « pas »."""
    if len(word) <= 3:
        return word
    if (word[-1] == "s" and word[-2] != "s") or (word[-1] == "x" and word[-2] == "u"):
        return word[:-1]
    return word


def key(text: str) -> str:
    """A comparison key: two spellings of the same name give the same key."""
    return " ".join(tokens(text))


def well_formed(text: str) -> str:
    """The text with any lone UTF-16 surrogate (valid in JSON as "\\ud800", not in UTF-8)
    replaced, so that tokenisers and databases never see one."""
    return text.encode("utf-8", "replace").decode("utf-8")


# Month names, for dates written out in French ("du 2 mars au 17 avril") in official texts.
MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def spelled_date(day: dt.date, *, with_year: bool = True) -> str:
    """A date written out as in a sentence: « 1er juin 2026 », « 6 novembre »."""
    number = "1er" if day.day == 1 else str(day.day)
    words = f"{number} {MONTHS[day.month - 1]}"
    return f"{words} {day.year}" if with_year else words
