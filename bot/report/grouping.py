"""Unanswered questions grouped by similarity, so that one question asked with ten spellings
counts once, ten times, instead of ten lines of one."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot.french.text import fold

# Two questions are the same when their key words match in any order (token_sort_ratio at or
# above SIMILARITY: "horaires de la piscine ?", "horaire piscine") or their whole letters do
# (ratio of the folded text without spaces at or above SPELLING_SIMILARITY: typos in small
# words, words run together: "AIDE D LA CAF POUR LLE LOYER"). Both keep "combien coûte un
# passeport" apart from "combien coûte une carte grise" (scores 69 and 71).
SIMILARITY = 85
SPELLING_SIMILARITY = 88
# Grouping compares each distinct question with the groups found so far: the most frequent
# distinct questions are grouped, and the rarest beyond this are only counted (measured:
# bench/report_speed/).
MAX_DISTINCT = 5000


@dataclass(frozen=True)
class QuestionGroup:
    example: str  # the most frequent spelling
    count: int  # times asked, all spellings
    spellings: int  # distinct spellings grouped
    others: tuple[str, ...]  # a few other spellings, most frequent first


@dataclass(frozen=True)
class Grouping:
    groups: list[QuestionGroup]
    ungrouped: int  # questions among the rarest distinct ones, not grouped


def question_key(text: str, stop_words: frozenset[str]) -> str:
    """The words that carry a question: folded, no punctuation or stop words, plurals trimmed."""
    words = []
    for word in fold(text).split():
        if word in stop_words:
            continue
        if len(word) > 3 and word[-1] in "sx":
            word = word[:-1]
        words.append(word)
    return " ".join(words) or fold(text)


def group_questions(
    questions: Mapping[str, int] | Iterable[str], stop_words: frozenset[str], *, limit: int = MAX_DISTINCT
) -> Grouping:
    """Group questions (text → times asked, or texts) by similarity, largest group first."""
    counts = Counter(questions) if not isinstance(questions, Mapping) else Counter(dict(questions))
    spellings_by_key: dict[str, Counter[str]] = {}
    for text, count in counts.items():
        spellings_by_key.setdefault(question_key(text, stop_words), Counter())[text] += count
    keys = sorted(spellings_by_key, key=lambda k: (-sum(spellings_by_key[k].values()), k))
    representatives: list[str] = []
    letters: list[str] = []  # the representatives' folded text without spaces
    members: list[list[str]] = []
    ungrouped = 0
    for key in keys[:limit]:
        compact = fold(spellings_by_key[key].most_common(1)[0][0]).replace(" ", "")
        match = process.extractOne(key, representatives, scorer=fuzz.token_sort_ratio, score_cutoff=SIMILARITY)
        if match is None:
            match = process.extractOne(compact, letters, scorer=fuzz.ratio, score_cutoff=SPELLING_SIMILARITY)
        if match is None:
            representatives.append(key)
            letters.append(compact)
            members.append([key])
        else:
            members[match[2]].append(key)
    for key in keys[limit:]:
        ungrouped += sum(spellings_by_key[key].values())
    groups = []
    for keys_of_group in members:
        spellings: Counter[str] = Counter()
        for key in keys_of_group:
            spellings.update(spellings_by_key[key])
        ranked = sorted(spellings.items(), key=lambda item: (-item[1], item[0]))
        groups.append(
            QuestionGroup(
                example=ranked[0][0],
                count=sum(spellings.values()),
                spellings=len(ranked),
                others=tuple(text for text, _ in ranked[1:4]),
            )
        )
    groups.sort(key=lambda group: (-group.count, group.example))
    return Grouping(groups=groups, ungrouped=ungrouped)
