"""Which facts answer what was asked, beyond its kind: the commune it names, the thing it
speaks of, and the topic's unknown about it (bot/core/answers.py composes the answer).

The kind of question ranks a topic's facts (bot/core/selection.py); these filters then leave out
the answering facts that speak of another commune or of something else than what the question
names, keep a second fact only when it speaks of what the first answered, and find the topic's
unknown about what was asked when no fact speaks of it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace

from bot.core.matching import KeywordFinder, keyword_key
from bot.core.reading import Question, QuestionWords, question_words
from bot.core.selection import (
    Scored,
    cues_asked_and_said,
    holds_word,
    in_place,
    kind_cue_words,
    kind_cues_said,
    names_place,
    on_subject,
    places_asked,
    says_kind,
    stem,
    subject_stems,
    topics_holding,
)
from bot.kb.queries import FactView, KnowledgeBase, TopicView
from bot.kb.ranking import RELEVANT_SCORE

# Names held by more topics than this share are the Agglo's own words (« agglo »), no subject.
_SUBJECT_TOPICS_SHARE = 0.25
# An answering fact shares at least this share of the words that the best-matching fact of the
# topic shares with the question (when that one shares rare words but does not answer), or it
# answers about something else.
_ON_WORDS_SHARE = 0.15
# A subject is named in several words (« école de production agricole »); one shared word may be
# the question's phrasing (« obtenir »).
_SUBJECT_MIN_WORDS = 2
# A keyword as short as « TER » still names what is asked.
_KEYWORD_MIN_LENGTH = 3


def place_words(kb: KnowledgeBase) -> frozenset[str]:
    """The distinctive words of the member communes' names, to tell a fact says where."""
    return kb.derived("place_words", _place_words)


def _place_words(kb: KnowledgeBase) -> frozenset[str]:
    return frozenset(
        word
        for commune in kb.communes(members_only=True)
        for word in keyword_key(commune.name)
        if len(word) > 3 and word not in kb.french_words()
    )


def _commune_names(kb: KnowledgeBase) -> KeywordFinder:
    return KeywordFinder((commune.name, [commune.name]) for commune in kb.communes(members_only=True))


def named_commune_words(kb: KnowledgeBase, words: Sequence[str]) -> list[str]:
    """The words of the communes the question names in full, everyday words included
    (« Marles-les-Mines »: « marle », « mine »), which say where, not what is asked about."""
    return [
        word
        for hit in kb.derived("commune_names", _commune_names).find_all(words)
        for word in words[hit.start : hit.end]
    ]


def where_words(kb: KnowledgeBase, words: Sequence[str]) -> frozenset[str]:
    """The words of a question that say where, not what is asked about: the member communes'
    distinctive words, and every word of a commune named in full."""
    return place_words(kb) | frozenset(named_commune_words(kb, words))


def question_words_of(kb: KnowledgeBase) -> QuestionWords:
    """kb/lexicon.yml ready to match, rebuilt with each new build of the knowledge base."""
    return kb.derived("question_words", question_words)


def agglo_facts(topic: TopicView) -> list[FactView]:
    """The facts residents may be told, minus the communes' own schemes."""
    return [fact for fact in topic.facts_for(None, residents=True) if not fact.commune_insee]


def field_unknown_on_subject(
    kb: KnowledgeBase, topic: TopicView, asked: Question, kind: str | None, field: str
) -> str | None:
    """The topic's unknown of ``field`` that shares a word of what the question names."""
    words = " ".join(subject_words(kb, asked, kind))
    unknowns = topic.unknowns_for(field)
    if not words or not unknowns:
        return None
    scores = kb.text_scores(words, topic.slug, [unknown.text for unknown in unknowns])
    best = max(range(len(unknowns)), key=lambda index: scores[index])
    return unknowns[best].text if scores[best] > 0 else None


def unknown_beyond_the_facts(
    kb: KnowledgeBase, topic: TopicView, asked: Question, kind: str | None, shown: Sequence[FactView]
) -> str | None:
    """The topic's unknown about something the question names that none of the facts shown
    speaks of (« les déchetteries ont des horaires d'hiver ? »: the hours are known, winter
    hours are not): after what is known, what is not. It must share with the question a rare
    word, or several, that the facts shown lack. Not for the headline aids, whose unknowns are
    their fields' (:func:`unknown_asked`)."""
    if not topic.unknowns or not shown or topic.family == "headline_aid":
        return None
    words = subject_words(kb, asked, kind)
    if not words:
        return None
    untold = _kind_untold(kb, topic, asked, kind, shown, words)
    if untold is not None:
        return untold
    # The keyword that named the topic (« la déchetterie d'Auchel ») tells no unknown apart: the
    # winter hours of the déchetteries are not what « le numéro de la déchetterie » asks.
    naming = frozenset(keyword_key(asked.topic_keyword or ""))
    missing = [
        word for word in dict.fromkeys(words) if word not in naming and not any(kb.fact_scores(word, topic.slug, shown))
    ]
    texts = [unknown.text for unknown in topic.unknowns]
    totals = [0.0] * len(texts)
    for word in missing:
        for index, score in enumerate(kb.text_scores(word, topic.slug, texts)):
            totals[index] += score
    best = max(range(len(texts)), key=totals.__getitem__)
    return texts[best] if totals[best] >= RELEVANT_SCORE else None


def _kind_untold(
    kb: KnowledgeBase, topic: TopicView, asked: Question, kind: str | None, shown: Sequence[FactView], words: list[str]
) -> str | None:
    """For a kind answered only in so many words (« les horaires de la piscine ? »), when no fact
    shown says it in several (the Lillers pool is « fermée », no days nor hours), the topic's
    unknown that says that kind about what the question names (« … les horaires d'ouverture des
    piscines »), the topic's own words included."""
    lexicon = question_words_of(kb)
    if kind not in lexicon.needs_cue or any(kind_cues_said(fact, lexicon, kind) > 1 for fact in shown):
        return None
    named = {stem(word) for word in words}
    for unknown in topic.unknowns:
        if says_kind(unknown.text, lexicon, kind) and named & {stem(word) for word in keyword_key(unknown.text)}:
            return unknown.text
    return None


def in_places_asked(kb: KnowledgeBase, asked: Question, facts: list[FactView]) -> list[FactView]:
    """The facts about the communes the question names, or about none (not another's)."""
    places = place_words(kb)
    asked_places = places_asked(places, asked.words)
    if not asked_places:
        return facts
    return [fact for fact in facts if in_place(fact, asked_places, places)]


def about_the_first(asked: Question, kind: str | None, answering: list[Scored], lexicon: QuestionWords) -> list[Scored]:
    """What the question is about (« le grand composteur »): when the first fact speaks of it,
    the others must too (not the price of a plant after the composters')."""
    if not answering:
        return answering
    # Whole words (« déchetterie » is not « déchets »); a word most of the answering facts hold
    # names nothing within them, the keyword that named the topic may (« un composteur »).
    left_out = kind_cue_words(lexicon, kind) | lexicon.small_words
    candidates = {word for word in asked.content if len(word) > 2 and word not in left_out}
    about = [
        word for word in candidates if sum(holds_word(scored.fact, word) for scored in answering) <= len(answering) / 2
    ]
    fields = lexicon.kind_fields.get(kind or "", ())
    if cues_asked_and_said(asked, answering[0].fact, lexicon, kind):
        # « le bus est gratuit ? »: the first says « gratuit »; another answers too if it is of
        # the kind's own field or says it as well (not a project's « 410 M€ »).
        saying = (
            item
            for item in answering[1:]
            if (fields and item.fact.field == fields[0]) or cues_asked_and_said(asked, item.fact, lexicon, kind)
        )
        answering = [answering[0], *saying]
    if not any(holds_word(answering[0].fact, word) for word in about):
        return answering
    return [answering[0], *(item for item in answering[1:] if any(holds_word(item.fact, word) for word in about))]


def _not_naming(kb: KnowledgeBase, topic: TopicView, asked: Question, kind: str | None) -> list[str]:
    """The words of a question that name nothing within the topic: places, the keyword that
    named the topic, its name, the words telling the kind, everyday words."""
    lexicon = question_words_of(kb)
    return [
        *where_words(kb, asked.words),
        *keyword_key(asked.topic_keyword or ""),
        # The topic's own name, however the question was read (« le montant du pass mobil agglo »
        # names the aid, not something within it).
        *keyword_key(f"{topic.title} {topic.label}"),
        *kind_cue_words(lexicon, kind),
        # (« et le train ? » names the train, however everyday the word)
        *(() if asked.elliptic else lexicon.generic_words),
    ]


def _names(kb: KnowledgeBase, words: Iterable[str]) -> tuple[str, ...]:
    """Only names (« Loisinord », « Tadao », « DPE »), not everyday words, which paraphrase as
    often as they name (« le petit composteur… vous le vendez »)."""
    common = kb.derived("stems_topics", stems_topics)
    return tuple(
        word
        for word in words
        # Words are read singular (« alors » → « alor »): the dictionary may hold the plural.
        if not {word, word + "s", word + "x"} & kb.french_words()
        and common[stem(word)] <= len(kb.topics()) * _SUBJECT_TOPICS_SHARE
    )


def _named_subject(
    kb: KnowledgeBase, asked: Question, facts: Sequence[FactView], ignore: Sequence[str]
) -> frozenset[str]:
    """The stems of the names the question says that only a few of the topic's ``facts`` hold
    (« le DPE », however short); « et le train ? » after « le bus est gratuit ? »: everything it
    names (but short everyday words: « non »). ``ignore``: see :func:`_not_naming`."""
    names = _names(kb, asked.content)
    subject = subject_stems(replace(asked, content=names), facts, ignore, _KEYWORD_MIN_LENGTH)
    if asked.elliptic:
        subject |= subject_stems(asked, facts, ignore)
    return subject


def on_what_was_asked(
    kb: KnowledgeBase, topic: TopicView, asked: Question, answering: list[Scored], kind: str | None
) -> list[Scored]:
    """The answering facts about the place and the thing the question names: none when the
    topic's facts speak of them but none of those answering the kind does (« combien coûte le
    ski à Loisinord ? » is then an unknown, not the pools' prices)."""
    places = place_words(kb)
    asked_places = places_asked(places, asked.words)
    if asked_places:
        elsewhere = [item for item in answering if not in_place(item.fact, asked_places, places)]
        answering = [item for item in answering if in_place(item.fact, asked_places, places)]
        if elsewhere and kind in question_words_of(kb).needs_cue:
            # « la déchetterie de Beuvry, c'est où ? » when the déchetteries named are others':
            # what is left must speak of what was asked, not only say the kind (« la route »).
            answering = sharing_words(kb, topic, asked, kind, answering)
        # The facts that name the commune asked answer for it before those that name none
        # (« la déchetterie de Béthune, quel numéro ? »: Béthune's, not the collection service's).
        answering = sorted(answering, key=lambda item: not names_place(item.fact, asked_places))
    elif full_name := named_commune_words(kb, asked.words):
        # A commune whose every word is a French word too (« Saint-Venant »): the facts that
        # hold its whole name answer for it first.
        answering = sorted(answering, key=lambda item: not all(holds_word(item.fact, word) for word in full_name))
    lexicon = question_words_of(kb)
    keyword = keyword_key(asked.topic_keyword or "")
    ignore = _not_naming(kb, topic, asked, kind)
    facts = agglo_facts(topic)
    subject = _named_subject(kb, asked, facts, ignore)
    broad = topic.family != "headline_aid" and bool(keyword)
    # The keyword that named a broad topic names something within it (« Proxibus », the
    # on-demand buses within mobility); a headline aid's keywords name the aid (« APML »).
    others = [word for word in ignore if word not in keyword]
    if broad:
        keyword_named = tuple(keyword) if asked.elliptic else _names(kb, keyword)
        subject |= subject_stems(replace(asked, content=keyword_named), facts, others)
    if subject:
        answering = [item for item in answering if on_subject(item.fact, subject)]
    if broad and answering:
        # Whatever its words (« le TER », « le transport à la demande »), it puts the answering
        # facts that hold it first.
        # (not for a topic that yields to the thing asked about: « numéro » named the contact
        # topic, not the water's green numbers)
        own = () if topic.slug in lexicon.yielding_topics else tuple(keyword)
        held = subject_stems(replace(asked, content=own), facts, others, min_length=_KEYWORD_MIN_LENGTH)
        # A fact holds a keyword of several words when it holds them all: the bike hire's
        # « vélos électriques » do not hold « voiture électrique ».
        whole = _keyword_stems(own, lexicon, others)

        def holds(fact: FactView) -> bool:
            return on_subject(fact, held) and _holds_all(fact, whole)

        if held and not holds(answering[0].fact) and not answering[0].counts:
            # Unless the best answer holds what else the question names and the facts holding
            # the keyword do not (« mon bac jaune est cassé, je fais quoi ? »: the form for a
            # broken bin, not what goes in the yellow one), or gives a number of what is
            # counted (« la régie, le mètre cube coûte combien ? »: « 2,91 € TTC/m³ »).
            holding = [item.fact for item in answering if holds(item.fact)]
            rest = subject_stems(asked, facts, [*keyword, *others])
            beyond = frozenset(item for item in rest if on_subject(answering[0].fact, frozenset({item})))
            if not beyond or any(on_subject(fact, beyond) for fact in holding):
                answering = sorted(answering, key=lambda item: not holds(item.fact))
    return answering


def sharing_words(
    kb: KnowledgeBase, topic: TopicView, asked: Question, kind: str | None, answering: list[Scored]
) -> list[Scored]:
    """The answering facts that share one of the question's subject words."""
    words = " ".join(subject_words(kb, asked, kind))
    if not answering or not words:
        return answering
    scores = kb.fact_scores(words, topic.slug, [item.fact for item in answering])
    return [item for item, score in zip(answering, scores, strict=True) if score > 0]


def subject_words(kb: KnowledgeBase, asked: Question, kind: str | None) -> list[str]:
    """The question's words that may name what it is about. Places are weighed by
    ``on_what_was_asked``; who asks (« proprio ») and the words that tell the kind (« horaires »)
    name no subject; the topic's name is left out by the knowledge base's scores."""
    lexicon = question_words_of(kb)
    ignored = where_words(kb, asked.words) | kind_cue_words(lexicon, kind) | lexicon.audience_words
    return [word for word in asked.content if word not in ignored]


def unknown_asked(kb: KnowledgeBase, topic: TopicView, asked: Question, kind: str | None) -> tuple[str, float] | None:
    """The topic's unknown about what the question names (« les permanences des conseillers
    numériques » → « … ni sur les lieux et horaires de leurs permanences »), with how much it
    shares with the question, if it shares rare words with it, several of them (« piscine »
    alone names no unknown about the pools' opening days). Not for the headline aids, whose
    unknowns are their fields'."""
    if not topic.unknowns or not asked.content or topic.family == "headline_aid":
        return None
    texts = [unknown.text for unknown in topic.unknowns]
    by_word = [kb.text_scores(word, topic.slug, texts) for word in subject_words(kb, asked, kind)]
    scores = [sum(scores[index] for scores in by_word) for index in range(len(texts))]
    held = [sum(1 for scores in by_word if scores[index] > 0) for index in range(len(texts))]
    best = max(range(len(texts)), key=lambda index: scores[index])
    if scores[best] < RELEVANT_SCORE or held[best] < _SUBJECT_MIN_WORDS:
        return None
    return texts[best], scores[best]


def unknown_rather(
    kb: KnowledgeBase,
    topic: TopicView,
    asked: Question,
    kind: str | None,
    answering: list[Scored],
    unknown_score: float,
) -> bool:
    """The topic's unknown about what was asked (sharing ``unknown_score`` with it; never a
    headline aid's: :func:`unknown_asked`) speaks of it far more than any answering fact (« où
    sont les permanences des conseillers numériques ? » and the associations' number): the
    unknown is the answer."""
    if not answering or kind == "contact":
        return False
    words = " ".join(subject_words(kb, asked, kind))
    best_fact = max(kb.fact_scores(words, topic.slug, [item.fact for item in answering]))
    return best_fact < _ON_WORDS_SHARE * unknown_score


def on_the_words_asked(
    kb: KnowledgeBase, topic: TopicView, asked: Question, answering: list[Scored], kind: str | None
) -> list[Scored]:
    """The answering facts that speak of what the question speaks of. When the fact of the topic
    that shares most with the question, in several rare words (« l'école de production
    agricole »), does not answer the kind, an answering fact that shares next to nothing with
    the question answers it about something else (the food plan's first meeting is no opening
    date of the school): it is left out, and when none is left, what was asked is an unknown.
    Not for a contact, which the topic's contact facts give whatever the subject."""
    if not answering or not asked.content or kind == "contact":
        return answering
    facts = agglo_facts(topic)
    words = subject_words(kb, asked, kind)
    # What the resident tells of their situation (« dans le quartier de la gare ») does not say
    # what the question is about, when the question names something itself.
    own = [word for word in words if word not in asked.told]
    words = own or words
    by_word = [kb.fact_scores(word, topic.slug, facts) for word in words]
    shared = {fact.id: sum(scores[index] for scores in by_word) for index, fact in enumerate(facts)}
    held = {fact.id: sum(1 for scores in by_word if scores[index] > 0) for index, fact in enumerate(facts)}
    best = max(shared.values(), default=0.0)
    best_ids = {fact_id for fact_id, score in shared.items() if score == best}
    if best < RELEVANT_SCORE or any(item.fact.id in best_ids for item in answering):
        return answering
    if all(held[fact_id] < _SUBJECT_MIN_WORDS for fact_id in best_ids):
        return answering
    # A fact giving a number of what is counted speaks of it (« et le m3, il est à combien ? »
    # after a question on the water bill: « 2,91 € TTC/m³ »).
    return [item for item in answering if item.counts or shared.get(item.fact.id, 0.0) >= _ON_WORDS_SHARE * best]


def stems_topics(kb: KnowledgeBase) -> Counter[str]:
    return topics_holding(agglo_facts(topic) for topic in kb.topics())


def holding_the_keyword(
    kb: KnowledgeBase, topic: TopicView, asked: Question, facts: Sequence[FactView]
) -> list[FactView]:
    """Of ``facts``, those that hold every word of the keyword of several words that named a
    broad topic, beyond the topic's own name: « centre de santé » names the health centre, whose
    facts come before the topic's overview. None for a headline aid, whose keywords name the aid,
    or a topic that yields to the thing asked about."""
    lexicon = question_words_of(kb)
    keyword = keyword_key(asked.topic_keyword or "")
    if len(keyword) < 2 or topic.family == "headline_aid" or topic.slug in lexicon.yielding_topics:
        return []
    words = _keyword_stems(keyword, lexicon, keyword_key(f"{topic.title} {topic.label}"))
    if not words:
        return []
    return [fact for fact in facts if _holds_all(fact, words)]


def _keyword_stems(keyword: Iterable[str], lexicon: QuestionWords, leave_out: Iterable[str]) -> list[frozenset[str]]:
    """The stem of each word of a keyword that says something (not a small word, nor one of
    ``leave_out``), one by one: a fact holds the keyword when it holds them all."""
    left_out = frozenset(leave_out)
    return [
        frozenset({stem(word)})
        for word in keyword
        if len(word) >= _KEYWORD_MIN_LENGTH and word not in lexicon.small_words and word not in left_out
    ]


def _holds_all(fact: FactView, stems: Iterable[frozenset[str]]) -> bool:
    return all(on_subject(fact, item) for item in stems)
