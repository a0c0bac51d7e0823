"""Choose the facts that answer a question, best first.

Each fact a resident may be told is scored against the :class:`~bot.core.reading.Question`:
- its field: the fields that answer the kind of question asked (kb/lexicon.yml, best first);
- the words that tell a fact answers that kind (« lundi », « fermé » for opening days);
- the words it shares with the question, weighted by how rare they are in the knowledge base,
  its own text and the questions it lists (``questions:`` of kb/topics/*.yml) alike, and again
  those in its first clause, which says what the fact is about;
- for « combien de litres ? », a number written in that unit.
The first fact answers the question; a fact scores nothing for a kind it does not answer, so
that « combien coûte … » never gets another fact of the topic presented as its answer.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

from bot.core.matching import keyword_key
from bot.core.reading import Question, QuestionWords
from bot.kb.queries import FactView, searchable_text
from bot.kb.ranking import stem as word_stem

# Weight of the field by its rank among the fields answering the kind (first, second, …).
_FIELD_WEIGHTS = (4.0, 2.5, 1.5, 1.0)
# Each word telling a fact answers the kind asked, up to a few.
_CUE_WEIGHT = 1.5
_MAX_CUES = 3
_MAX_ASKED_CUES = 2
# The shared words' idf weights, scaled and capped so that they rank facts of the same field
# without drowning the field: a handful of rare shared words is worth one field rank.
_WORDS_SCALE = 0.5
_MAX_WORDS_SCORE = 7.0
# The words shared again in a fact's first clause, which says what it is about (capped lower).
_MAX_LEAD_SCORE = 3.5
_CLAUSE_END = re.compile(r"[.!?](?:\s|$)|\s[:;]")
# A fact that lists the very question asked (``questions:`` of kb/topics/*.yml, every word of
# one of them said) answers it, as much as the kind's own field does.
_LISTED_WEIGHT = _FIELD_WEIGHTS[0]
# A number in the unit asked (« combien de litres » → « 1 000 L »), or any number for a figure.
_UNIT_WEIGHT = 4.0
# « quel formulaire faut-il envoyer ? » asks which form: a fact naming the word after « quel »
# answers before one that only says the rest (« envoyer »).
_WHICH = frozenset({"quel", "quelle", "quels", "quelles"})
_FOCUS_WEIGHT = 3.0
_NUMBER_WEIGHT = 1.0
_NUMBER = re.compile(r"\d")
# Cue words are compared on their first letters (« adressez », « adresse »).
_CUE_STEM = 6
# The cue a fact stating a part of a year carries (kb/lexicon.yml writes it among the cues of
# « when »).
YEAR_CUE = "anneeecrite"
_YEAR = re.compile(
    r"\b(?:fin|début|mi|courant|printemps|été|automne|hiver)[\s-]+(?:19|20)\d\d\b"
    # A span of years (« une feuille de route 2019-2025 »).
    r"|\b(?:19|20)\d\d\s*[-–]\s*(?:19|20)\d\d\b",
    re.IGNORECASE,
)
# The cue a fact naming a commune carries (kb/lexicon.yml writes it among a kind's cues).
PLACE_CUE = "communenommee"
_WORD_CLASS_CUES = frozenset({YEAR_CUE, PLACE_CUE})
# How « % » is read when counting (one of the spellings of kb/lexicon.yml's « pourcents » unit).
_PERCENT_WORD = "pourcent"
# A year, as a fact's first clause gives the date something started (« Depuis le 1er septembre 2018 »).
_YEAR_NUMBER = re.compile(r"\b(?:19|20)\d\d\b")
# A French phone number (« 03 21 57 38 54 », « 0800 100 116 »).
_PHONE = re.compile(r"\b0(?:[\s.]?\d){9}\b")
# How far before what is counted its number may stand (« 62 de ses communes »), and what each
# word between them costs.
_NUMBER_REACH = 3
# « pour 100 000 habitants », « par 1 000 habitants »: a power of ten after them is a rate's base.
_RATE_WORDS = frozenset({"pour", "par"})
_RATE_BASE = re.compile(r"10{2,}")
_REACH_PENALTY = 0.5
FIGURE_KINDS = ("figure", "amount")
_CONTACT_KIND = "contact"
# A word of the question names what it is about within the topic when only a few of the topic's
# facts hold it (« Loisinord », « olympique »), not when many do (« piscine » among the pools).
_SUBJECT_SHARE = 1 / 3
_SUBJECT_MIN_LENGTH = 4


class _ScoresFacts(Protocol):
    def fact_scores(self, question: str, topic_slug: str | None, facts: Sequence[FactView]) -> list[float]: ...

    def text_scores(self, question: str, topic_slug: str | None, texts: Sequence[str]) -> list[float]: ...


@dataclass(frozen=True)
class Scored:
    fact: FactView
    score: float
    # Whether the fact answers the kind of question asked (by its field, a cue word or a unit).
    answers_kind: bool
    # Whether it gives a number of what a « combien de … » counts.
    counts: bool = False


def _counted_words(question: Question, lexicon: QuestionWords) -> frozenset[str]:
    """The ways a fact may write what the question counts: its words, the unit's spellings, the
    meanings of synonyms (« déchèteries » counts « déchetteries »)."""
    words: set[str] = set()
    for item in question.counted:
        words |= lexicon.unit_words.get(item, frozenset({item}))
        for hit in lexicon.synonyms.find_all([item]):
            words.update(lexicon.synonym_words[hit.label])
    return frozenset(words)


def _unit_score(fact: FactView, question: Question, lexicon: QuestionWords, kind: str | None) -> float:
    """A number of what is counted (« 12 parkings-relais », « 62 de ses communes »)."""
    if kind not in FIGURE_KINDS or not _NUMBER.search(fact.text):
        return 0.0
    if not question.counted:
        return _NUMBER_WEIGHT
    counted = _counted_words(question, lexicon)
    words = _counting_words(fact)
    best = 0.0
    for index, word in enumerate(words):
        # What is counted, a few words after a number (« 275 327 habitants », « 62 de ses
        # communes »): right after it counts most.
        for distance in range(1, _NUMBER_REACH + 1):
            if word in counted and index >= distance and _counts_number(words, index - distance):
                best = max(best, _UNIT_WEIGHT - (distance - 1) * _REACH_PENALTY)
                break
    return best


def _counts_number(words: Sequence[str], index: int) -> bool:
    """The word at ``index`` is a number that counts, not the base of a rate (« 114 médecins
    pour 100 000 habitants » counts no habitants)."""
    word = words[index]
    rate_base = index > 0 and words[index - 1] in _RATE_WORDS and _RATE_BASE.fullmatch(word) is not None
    return word.isdigit() and not rate_base


def stem(word: str) -> str:
    """A word cut to a short stem, so that « adressez » meets « adresse », « fermées » « fermé ».
    The cues standing for a kind of word are kept whole: cut, « communenommee » would be met
    by « communautaire »."""
    return word if word in _WORD_CLASS_CUES else word[:_CUE_STEM]


def _stems(words: Sequence[str]) -> tuple[str, ...]:
    return tuple(map(stem, words))


def kind_cue_words(lexicon: QuestionWords, kind: str | None) -> frozenset[str]:
    """Every word of the cues that tell a fact answers ``kind``."""
    return frozenset(word for cue in lexicon.kind_cues.get(kind or "", ()) for word in cue)


def _cues_said(cues: Sequence[tuple[str, ...]], stems: Sequence[str]) -> frozenset[tuple[str, ...]]:
    """The cues whose words stand in ``stems`` one after the other (« mise en service » is one
    cue, and its « en » alone none)."""
    present = set(stems)
    return frozenset(
        cue
        for cue in cues
        if all(word in present for word in cue)
        and (
            len(cue) == 1
            or any(tuple(stems[start : start + len(cue)]) == cue for start in range(len(stems) - len(cue) + 1))
        )
    )


def _kind_cue_stems(lexicon: QuestionWords, kind: str | None) -> tuple[tuple[str, ...], ...]:
    """The stems of each of the words that tell a fact answers ``kind``."""
    return tuple(_stems(cue) for cue in lexicon.kind_cues.get(kind or "", ()))


def cues_asked_and_said(question: Question, fact: FactView, lexicon: QuestionWords, kind: str | None) -> bool:
    """The fact says one of the words telling the kind that the question itself says (« gratuit »
    for « le bus est gratuit ? »), not only another (« 410 M€ »)."""
    asked = _cues_said(_kind_cue_stems(lexicon, kind), _stems(question.words))
    return bool(asked & _cues_said(tuple(asked), _fact_stems(fact, frozenset())))


def dated_as_asked(question: Question, fact: FactView, lexicon: QuestionWords) -> bool:
    """A question of a start (« depuis quand ? », « a commencé quand ? »: kb/lexicon.yml
    ``start_words``) and a fact whose first clause, which says what it is about, gives a start
    with its year: « Depuis le 1er septembre 2018, si vous êtes … » (not « Dates des sessions,
    conditions et démarche », which gives none)."""
    # The question first: most ask no start, and then no fact is read.
    if not lexicon.start_words.find_all(question.words):
        return False
    lead = _lead(fact)
    return bool(_YEAR_NUMBER.search(lead)) and bool(lexicon.start_cues.find_all(keyword_key(lead)))


def kind_cues_said(fact: FactView, lexicon: QuestionWords, kind: str | None) -> int:
    """How many of the words telling ``kind`` the fact says (« ouvertes du mardi au samedi »:
    three for opening days; « fermée jusqu'à nouvel ordre »: one)."""
    return len(_cues_said(_kind_cue_stems(lexicon, kind), _fact_stems(fact, frozenset())))


def says_kind(text: str, lexicon: QuestionWords, kind: str | None) -> bool:
    """The text says one of the words that tell a fact answers ``kind`` (« les horaires
    d'ouverture de l'accueil » for opening days)."""
    return bool(_cues_said(_kind_cue_stems(lexicon, kind), _stems(keyword_key(text))))


@lru_cache(maxsize=8192)
def _lead(fact: FactView) -> str:
    """A fact's first clause (up to the first full stop, colon or semicolon)."""
    return _CLAUSE_END.split(fact.text, maxsplit=1)[0]


@lru_cache(maxsize=8192)
def _fact_words(fact: FactView) -> tuple[str, ...]:
    """A fact's words, once per fact of a snapshot (facts are immutable views)."""
    return tuple(keyword_key(searchable_text(fact)))


@lru_cache(maxsize=8192)
def _counting_words(fact: FactView) -> tuple[str, ...]:
    """A fact's words with « % », which the tokenizer drops, written out (« 67 % » counts
    « pourcent »)."""
    return tuple(keyword_key(searchable_text(fact).replace("%", f" {_PERCENT_WORD} ")))


# The Agglo's own name and postal address name no commune a fact is about (« l'agglomération de
# Béthune-Bruay », « 62411 Béthune Cedex »).
_AGGLO_NAMES = re.compile(r"Béthune[\s-]+Bruay|Béthune\s+Cedex", re.IGNORECASE)


# « Vendin-lès-Béthune » is Vendin near Béthune: the town after « lès » is another commune.
_NEAR_ANOTHER_TOWN = re.compile(r"[\s-](?:lès|lez|les)[\s-]+[A-ZÀ-Ý][\w'’-]*")
# « Artois » alone is the region (Artois Mobilités, Université d'Artois, Artois Lys Romane), not
# the commune of Ham-en-Artois.
_REGION_NAME = "Artois"
_REGION = re.compile(rf"(?<!en-)(?<!en )\b{_REGION_NAME}\b")


def places_asked(places: frozenset[str], words: Sequence[str]) -> frozenset[str]:
    """The words of ``places`` a question says; « Artois » alone is the region there too
    (« avant c'était Artois Comm. »), not Ham-en-Artois."""
    region = keyword_key(_REGION_NAME)[0]
    return frozenset(
        word
        for index, word in enumerate(words)
        if word in places and (word != region or (index > 0 and words[index - 1] == "en"))
    )


@lru_cache(maxsize=8192)
def _fact_place_candidates(fact: FactView) -> frozenset[str]:
    """The words of a fact that may name a commune (its words, the Agglo's name and the town a
    name says it is near left out)."""
    text = _REGION.sub(" ", _NEAR_ANOTHER_TOWN.sub(" ", _AGGLO_NAMES.sub(" ", searchable_text(fact))))
    return frozenset(keyword_key(text))


@lru_cache(maxsize=8192)
def _fact_stem_set(fact: FactView) -> frozenset[str]:
    """The stems of a fact's words, once per fact of a snapshot."""
    return frozenset(_fact_stem_counts(fact))


@lru_cache(maxsize=8192)
def _fact_stems(fact: FactView, places: frozenset[str]) -> tuple[str, ...]:
    words = _fact_words(fact)
    extra = []
    # « € » is no word for the tokenizer: the euros a fact states are cues of a price all the same.
    if "€" in fact.text:
        extra.append("euro")
    # A part of a year says when (« envisagés fin 2026 »), whatever words surround it; a year
    # alone may be a horizon (« -78 % d'ici à 2050 »), no date of the thing.
    if _YEAR.search(fact.text):
        extra.append(YEAR_CUE)
    # A commune named in a fact says where something is (« à Nœux-les-Mines »).
    if places & _fact_place_candidates(fact):
        extra.append(PLACE_CUE)
    return _stems([*words, *extra])


@lru_cache(maxsize=8192)
def _fact_stem_counts(fact: FactView) -> Counter[str]:
    """How many times a fact says each stem, once per fact of a snapshot."""
    return Counter(_stems(_fact_words(fact)))


def _cue_score(
    fact: FactView,
    said: frozenset[tuple[str, ...]],
    asked: frozenset[tuple[str, ...]],
    subject: frozenset[str],
    needs_cue: bool,
) -> float:
    """What the words telling the kind that a fact says are worth. When the question names
    what a fact speaks of over and over (``subject``: « quels diagnostics ? », « le verre
    cassé »), that fact answers, not one listing many other things (« attestation, copie,
    cerfa… et les diagnostics »): a fact's other such words then count once. For a kind answered
    in so many words (opening days), the very words asked (« dimanche ») count again."""
    if subject:
        on = {cue for cue in said if len(cue) == 1 and cue[0] in subject}
        counts = _fact_stem_counts(fact)
        repeats = sum(counts[item] for item in subject) - len(on) if on else 0
        score = len(on) + min(len(said - on), 1) + min(repeats, _MAX_ASKED_CUES)
    else:
        score = min(len(said), _MAX_CUES)
    if needs_cue:
        score += min(len(said & asked), _MAX_ASKED_CUES)
    return _CUE_WEIGHT * score


def _words_shared(question: Question, cues: Sequence[tuple[str, ...]]) -> list[str]:
    """The question's words to compare with the facts' words. A word that tells the kind
    (« réponse » for a delay, « coûté » for a price) is counted once, as a cue, not again as a
    shared word (whose stems drop more endings)."""
    cue_words = {cue[0] for cue in cues if len(cue) == 1}
    cue_word_stems = {word_stem(word) for word in cue_words}
    return [word for word in question.words if stem(word) not in cue_words and word_stem(word) not in cue_word_stems]


def _cues_spoken_of(asked_cues: frozenset[tuple[str, ...]], facts: Sequence[FactView]) -> frozenset[str]:
    """The words telling the kind that the question says itself (« diagnostics ») and that a
    fact speaks of over and over: what the question is about."""
    asked = {cue[0] for cue in asked_cues if len(cue) == 1}
    return frozenset(item for item in asked if any(_fact_stem_counts(fact)[item] > 1 for fact in facts))


def _words_and_lead(
    kb: _ScoresFacts, topic_slug: str | None, facts: Sequence[FactView], words: Sequence[str], lexicon: QuestionWords
) -> tuple[list[float], list[float]]:
    """Per fact, the weight of the words it shares with the question, and of those it shares in
    its first clause, which says what it is about (« les aires de covoiturage » lead the areas'
    fact, not the charging points' one that lists them among its sites). Everyday words such as
    « numéro » count only in the first: the water's « deux numéros verts » is no answer to « le
    numéro de l'Agglo »."""
    shared = kb.fact_scores(" ".join(words), topic_slug, facts)
    lead_words = [word for word in words if word not in lexicon.generic_words]
    leading = kb.text_scores(" ".join(lead_words), topic_slug, [_lead(fact) for fact in facts])
    return shared, leading


def _capped(words_score: float, lead_score: float) -> tuple[float, float]:
    """The two weights of :func:`_words_and_lead`, each capped as a fact's score counts them."""
    return min(_WORDS_SCALE * words_score, _MAX_WORDS_SCORE), min(_WORDS_SCALE * lead_score, _MAX_LEAD_SCORE)


def score_facts(
    kb: _ScoresFacts,
    topic_slug: str | None,
    facts: Sequence[FactView],
    question: Question,
    lexicon: QuestionWords,
    kind: str | None = None,
    places: frozenset[str] = frozenset(),
) -> list[Scored]:
    """The facts with their scores for the question (for ``kind``, by default the question's
    first), best first (ties: the one sharing more words with the question, then the given
    order)."""
    kind = kind or question.kind
    fields = lexicon.kind_fields.get(kind or "", ())
    cues = _kind_cue_stems(lexicon, kind)
    needs_cue = kind in lexicon.needs_cue
    words = _words_shared(question, cues)
    asked_cues = _cues_said(cues, _stems(question.words))
    # (not for a kind answered in so many words, whose every word tells it: « ouverte », « dimanche »)
    subject = frozenset() if needs_cue else _cues_spoken_of(asked_cues, facts)
    shared, leading = _words_and_lead(kb, topic_slug, facts, words, lexicon)
    focus = _focus(question, lexicon, cues)
    scored = []
    # Between facts of equal scores, the one sharing more with the question, caps aside, first;
    # for a kind answered in so many words, before that, the one saying more of them (the
    # opening hours of every day before the closing day alone).
    sharing = [words_score + lead_score for words_score, lead_score in zip(shared, leading, strict=True)]
    told: list[int] = []
    for fact, words_score, lead_score in zip(facts, shared, leading, strict=True):
        rank = fields.index(fact.field) if fact.field in fields else None
        # A kind answered only in so many words (opening days) is not ranked by the field.
        weight = _FIELD_WEIGHTS[0] if needs_cue else _FIELD_WEIGHTS[min(rank or 0, len(_FIELD_WEIGHTS) - 1)]
        field_score = weight if rank is not None else 0.0
        said = _cues_said(cues, _fact_stems(fact, places))
        told.append(len(said) if needs_cue else 0)
        cue_score = _cue_score(fact, said, asked_cues, subject, needs_cue)
        unit_score = _unit_score(fact, question, lexicon, kind)
        capped_words, capped_lead = _capped(words_score, lead_score)
        listed = listed_question_asked(fact, question, lexicon)
        total = field_score + cue_score + unit_score + capped_words + capped_lead + (_LISTED_WEIGHT if listed else 0.0)
        if focus and on_subject(fact, focus):
            total += _FOCUS_WEIGHT
        # Filed under the kind's own field, or saying it in so many words (« fermé le lundi »,
        # « 1 000 L »): the other fields only rank the facts that answer.
        answers = not fields or rank == 0 or cue_score > 0 or unit_score > _NUMBER_WEIGHT or listed
        if needs_cue:
            answers = cue_score > 0
        elif not cues and fields and kind != "figure":
            answers = answers or rank is not None
        if kind == _CONTACT_KIND and _PHONE.search(fact.text):
            # A phone number answers « quel numéro ? », whatever words surround it (« Béthune, rue
            # du Rabat (03 21 …) »); it adds no score, so the contact facts keep their order.
            answers = True
        if kind == "figure" and not question.counted:
            answers = answers or (rank is not None and bool(_NUMBER.search(fact.text)))
        scored.append(Scored(fact=fact, score=total, answers_kind=answers, counts=unit_score > _NUMBER_WEIGHT))
    order = sorted(range(len(scored)), key=lambda index: (-scored[index].score, -told[index], -sharing[index], index))
    return [scored[index] for index in order]


def _focus(question: Question, lexicon: QuestionWords, cues: Sequence[tuple[str, ...]]) -> frozenset[str]:
    """The stem of the word « quel » asks about (« quel formulaire »), unless it only asks the
    kind (« quelles dates »), which no fact says in so many words."""
    words = question.words
    asking = lexicon.kinds.covered(words)
    cue_words = {word for cue in cues for word in cue}
    for index, word in enumerate(words[:-1]):
        following = words[index + 1]
        if word not in _WHICH or following in lexicon.small_words or len(following) <= 3:
            continue
        if index + 1 in asking and stem(following) not in cue_words:
            return frozenset()
        return frozenset({stem(following)})
    return frozenset()


def listed_question_asked(fact: FactView, question: Question, lexicon: QuestionWords) -> bool:
    """The question says every word of one of the questions the fact lists, and nothing more (its
    small words and the words that only ask aside): « combien de communes dans l'Agglo ? »
    listed by the fact that gives their number, not « combien de petites communes … ? »."""
    if not fact.questions:
        return False
    asked = frozenset(question.words)
    content = frozenset(question.content)
    return any(
        words and words <= asked and content <= words
        for words in (_listed_words(listed, lexicon) for listed in fact.questions)
    )


def _listed_words(listed: str, lexicon: QuestionWords) -> frozenset[str]:
    return frozenset(
        word
        for word in keyword_key(listed)
        if word not in lexicon.small_words and word not in lexicon.interrogative_words and len(word) > 2
    )


def best_kind(
    kb: _ScoresFacts,
    topic_slug: str | None,
    facts: Sequence[FactView],
    question: Question,
    lexicon: QuestionWords,
    places: frozenset[str] = frozenset(),
) -> tuple[str | None, list[Scored]]:
    """Of the kinds a question asks (« le diag amiante c'est obligatoire ? » asks who and which
    papers), the one a fact answers best, with its scored facts; when none is answered, the
    first kind (the most specific), whose answer is then an unknown."""
    if not question.kinds:
        return None, score_facts(kb, topic_slug, facts, question, lexicon, places=places)
    best: tuple[float, str, list[Scored]] | None = None
    first: list[Scored] = []
    for kind in question.kinds:
        scored = score_facts(kb, topic_slug, facts, question, lexicon, kind, places)
        first = first or scored
        answering = [item.score for item in scored if item.answers_kind]
        if answering and (best is None or answering[0] > best[0]):
            best = (answering[0], kind, scored)
    if best is None:
        return question.kinds[0], first
    kind, scored = best[1], best[2]
    others = [other for other in question.kinds if other != kind]
    if others:
        # « validité des diagnostics » asks which papers and how long they last: between facts
        # of equal scores, the one that says the other kind asked too (« valable ») first.
        def says_another(item: Scored) -> bool:
            return any(kind_cues_said(item.fact, lexicon, other) > 0 for other in others)

        scored = sorted(scored, key=lambda item: (-item.score, not says_another(item)))
    return kind, scored


def subject_stems(
    question: Question, facts: Sequence[FactView], ignore: Iterable[str], min_length: int = _SUBJECT_MIN_LENGTH
) -> frozenset[str]:
    """What the question is about beyond its topic and its kind: the stems of its content words
    (minus ``ignore``: the topic's own words, places, cues) that only a few of the topic's
    ``facts`` hold. Words no fact holds say nothing the knowledge base could answer by."""
    ignored = set(_stems(list(ignore)))
    stems = {
        stem(word)
        for word in question.content
        if len(word) >= min_length and not word.isdigit() and stem(word) not in ignored
    }
    if not stems:
        return frozenset()
    held = Counter(item for fact in facts for item in _fact_stem_set(fact) & stems)
    limit = max(1, int(len(facts) * _SUBJECT_SHARE))
    return frozenset(item for item, count in held.items() if count <= limit)


def on_subject(fact: FactView, subject: frozenset[str]) -> bool:
    """The fact holds one of the ``subject`` stems."""
    return bool(subject & _fact_stem_set(fact))


def holds_word(fact: FactView, word: str) -> bool:
    """The fact holds the word itself (folded, singular), not only its stem: « déchetterie » is
    not « déchets »."""
    return word in _fact_word_set(fact)


@lru_cache(maxsize=8192)
def _fact_word_set(fact: FactView) -> frozenset[str]:
    return frozenset(_fact_words(fact))


def names_place(fact: FactView, asked_places: frozenset[str]) -> bool:
    """The fact names one of the communes asked."""
    return bool(asked_places & _fact_place_candidates(fact))


def in_place(fact: FactView, asked_places: frozenset[str], places: frozenset[str]) -> bool:
    """A fact that names communes is about them: it answers for another commune only if it names
    the one asked too (« la piscine de Béthune » is not the Lillers pool)."""
    named = places & _fact_place_candidates(fact)
    return not named or bool(named & asked_places)


def topics_holding(facts_by_topic: Iterable[Sequence[FactView]]) -> Counter[str]:
    """How many topics hold each stem: a stem most topics hold (« agglo ») names no subject."""
    return Counter(item for facts in facts_by_topic for item in set().union(*map(_fact_stem_set, facts)))


def lead_first(
    kb: _ScoresFacts, topic_slug: str | None, facts: Sequence[FactView], question: Question, lexicon: QuestionWords
) -> list[FactView]:
    """The facts relevant to a question that asks no kind (« il y aura des transports
    solidaires ? »), reordered as :func:`score_facts` weighs words: those shared in a fact's
    first clause, which says what it is about, count again (capped)."""
    if len(facts) < 2:
        return list(facts)
    shared, leading = _words_and_lead(kb, topic_slug, facts, question.words, lexicon)
    totals = [sum(_capped(words, lead)) for words, lead in zip(shared, leading, strict=True)]
    order = sorted(range(len(facts)), key=lambda index: (-totals[index], index))
    return [facts[index] for index in order]
