"""What to answer in a turn: the topics and questions a message asks, read on every axis
(bot/core/reading.py), weighed against the NLU's single intent and the conversation so far.

Before any topic, the message is read for people first (:func:`people_first`): distress or an
emergency gets the national numbers alone, a request for a person the Agglo's contact with the
offer of a callback, an insult one calm sentence and the menu (or, around a question, the
answer to the question).

The NLU is good at a message's topic on phrasings like its training data; the reading knows the
kind of question, corrections, references to what was said, two questions at once and English,
from kb/ (editable, no retraining). The plan says which topics to answer, each with its question,
or that the action the NLU chose should answer as usual (``Plan.defer``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from bot.core.answers import (
    Answer,
    agent_answer,
    asked_kind,
    contact_answer,
    english_answer,
    english_contact,
    resident_answer,
)
from bot.core.emergencies import SAFETY_FAMILY
from bot.core.matching import keyword_key
from bot.core.people import INSULT_TOPIC, menu_buttons, with_callback_offer
from bot.core.reading import Question, QuestionWords, Reading, keywords_of, names_for_sure, read, reads_as_english
from bot.core.relevance import agglo_facts, place_words, question_words_of, where_words
from bot.core.selection import (
    Scored,
    cues_asked_and_said,
    holds_word,
    kind_cue_words,
    on_subject,
    score_facts,
    stem,
)
from bot.core.services import Services
from bot.core.topics import (
    CONVERSATION_INTENTS,
    FALLBACK_INTENT,
    QUESTION_FIELDS,
    asked_field,
    named_topic,
    resolve_topic,
)
from bot.kb.queries import FactView, TopicView

# Intents whose turn the reading may take over when it finds what the message asks about.
_SHORT_REPLIES = ("affirmer", "nier", "choisir_option")
_COMMUNE_INTENTS = ("informer_commune", "communes")
_FIGURE_KIND = "figure"
# Kinds every topic answers (what it is, its contact): they name no topic of their own.
_EVERY_TOPIC_KINDS = ("what", "contact", _FIGURE_KIND)
# A question whose topic nothing names is looked up among all the facts: the best one must
# answer its kind and share this much with it (see bot/core/selection.py) to choose the topic.
_GLOBAL_MIN_SCORE = 6.0
# Below this confidence, the NLU's topic is a guess: an everyday word of the message (« adresse »)
# names the topic rather than it.
_SURE_NLU = 0.4
# An NLU this sure of a topic that an everyday word of the message names too keeps it.
_VERY_SURE_NLU = 0.9
# « ok, et … »: the joining word that opens a follow-up, at most one word in.
_OPENING_REACH = 3
# Words that name the Agglo itself: its own address or number is asked, whatever the conversation.
_THE_AGGLO = frozenset({"agglo", "agglomeration"})
# Families never answered as a topic: small talk, and the emergencies (answered by
# :func:`people_first` alone, from their own patterns).
_NOT_TOPICS = ("conversation", SAFETY_FAMILY)
OUT_OF_SCOPE_INTENT = "hors_sujet"
# The responses of domain.yml (their wording lives there) that people first says.
PERSON_RESPONSE = "utter_demande_humain"
INSULT_RESPONSE = "utter_insulte"


class _Knowledge(Protocol):
    def topic(self, slug: str) -> TopicView | None: ...

    def topics(self) -> list[TopicView]: ...

    def message(self, name: str) -> Any: ...

    def derived(self, name: str, build: Any) -> Any: ...

    def fact_scores(self, question: str, topic_slug: str | None, facts: Sequence[FactView]) -> list[float]: ...

    def text_scores(self, question: str, topic_slug: str | None, texts: Sequence[str]) -> list[float]: ...


class _FindsTopics(Protocol):
    def find(self, text: str, ignore: frozenset[str] = ...) -> str | None: ...

    def find_keyword(self, text: str, ignore: frozenset[str] = ...) -> tuple[str, str] | None: ...


@dataclass(frozen=True)
class Context:
    """The conversation so far, as the actions read it from the tracker."""

    topic: str | None = None
    # The kind of question the assistant's latest answer answered (its payload's `kind`).
    kind: str | None = None
    # The assistant's latest message asked the resident something (which scheme, which commune).
    asked: bool = False
    # The resident's message before this one (« quand ouvrira la cité de la musique ? » before
    # « elle coûte combien ? »).
    previous: str = ""


@dataclass(frozen=True)
class Part:
    """One topic to answer, and the question asked about it."""

    topic: str
    question: Question


@dataclass(frozen=True)
class Plan:
    parts: tuple[Part, ...] = ()
    english: bool = False
    # Nothing for the reading to add: the action the NLU chose answers as usual.
    defer: bool = True
    reading: Reading | None = None


def _names_too(
    detector: _FindsTopics, lexicon: QuestionWords, question: Question, topic: str | None, *, sure: bool = False
) -> bool:
    """The question's words, those of the keyword that named its topic aside, name ``topic`` for
    sure (see :func:`_distinctive`: not « locataire », « rénovation »), or by an everyday word
    when the NLU is ``sure`` of that topic, whose keywords say the other too (« la gare », « un
    abri pour mon vélo »)."""
    if not question.topic_keyword or question.meant or topic in lexicon.framing_topics:
        return False
    other = detector.find_keyword(" ".join(question.words), frozenset(question.topic_keyword.split()))
    return other is not None and other[0] == topic and (sure or _distinctive(lexicon, other[1]))


def _said_by_keywords_of(kb: _Knowledge, keyword: str | None, topic: str | None) -> bool:
    """A keyword of ``topic`` says every word of ``keyword`` (« vélo » in mobility's « abri
    vélo »): the keyword names that topic too."""
    view = kb.topic(topic) if topic else None
    words = frozenset((keyword or "").split())
    return view is not None and bool(words) and any(words <= frozenset(keyword_key(other)) for other in view.keywords)


def _distinctive(lexicon: QuestionWords, keyword: str | None) -> bool:
    """A keyword that names a topic for sure (:func:`names_for_sure`). An everyday word alone
    does not overrule the NLU's out of scope or topic."""
    return bool(keyword) and names_for_sure(keyword or "", lexicon)


def _asks_of_a_name(text: str, keyword: str | None) -> bool:
    """A question (« … toujours rien, c'est normal ? ») about what a keyword of several words
    names (« permis de louer »): a question about the topic, though it asks no kind of ours."""
    return text.rstrip().endswith("?") and len((keyword or "").split()) > 1


def _names_only_a_place(question: Question, lexicon: QuestionWords, places: frozenset[str]) -> bool:
    """Besides the words that refer to the last question (« même question pour »), the message
    names only communes."""
    referring = lexicon.references.covered(question.words)
    said = {word for index, word in enumerate(question.words) if index not in referring}
    named = said & set(question.content)
    return bool(named) and named <= places


def _keyword_asks(lexicon: QuestionWords, keyword: str | None) -> bool:
    """The keyword is a word that asks a kind of question (« budget », « horaires »)."""
    if not keyword:
        return False
    words = keyword.split()
    return any(hit.start == 0 and hit.end == len(words) for hit in lexicon.kinds.find_all(words))


def _said_by_a_fact(kb: _Knowledge, part: Part, lexicon: QuestionWords) -> bool:
    """An everyday keyword (« bus ») and the very word that asks the kind (« gratuit ») are both
    said by one fact of the keyword's topic: the knowledge base answers in the question's words."""
    question = part.question
    if part.topic != question.topic or not question.topic_keyword or not question.kinds:
        return False
    view = kb.topic(part.topic)
    words = keyword_key(question.topic_keyword)
    return view is not None and any(
        all(holds_word(fact, word) for word in words) and cues_asked_and_said(question, fact, lexicon, question.kind)
        for fact in view.facts_for(None, residents=True)
    )


def _follows_up(kb: _Knowledge, part: Part, current: str | None, lexicon: QuestionWords) -> bool:
    """A question of a kind, about the topic spoken of, that a fact of it answers in the
    question's own words (« on a le droit d'apporter combien au maximum ? » after the
    déchetteries): the conversation goes on, though the NLU put the message out of scope."""
    question = part.question
    if part.topic != current or not question.kinds:
        return False
    cues = kind_cue_words(lexicon, question.kind)
    subject = frozenset(stem(word) for word in question.content if word not in cues)
    return bool(subject) and any(
        item.answers_kind and on_subject(item.fact, subject) for item in _scored_in(kb, part.topic, question)
    )


def _goes_on(part: Part, current: str | None, lexicon: QuestionWords) -> bool:
    """« et si je ne le fais pas, le jour où je signe le bail ? » after the permis de louer: a
    question of a kind that opens with a joining word (« et », « ok, et ») and names no topic of
    its own goes on about the topic spoken of, though the NLU put it out of scope."""
    question = part.question
    if part.topic != current or not question.kinds or question.topic is not None:
        return False
    return any(hit.start <= 1 for hit in lexicon.joiners.find_all(question.words[:_OPENING_REACH]))


def _is_topic(kb: _Knowledge, slug: str | None) -> bool:
    topic = kb.topic(slug) if slug else None
    return topic is not None and topic.family not in _NOT_TOPICS


def topic_by_facts(kb: _Knowledge, question: Question, *, any_kind: bool = False) -> str | None:
    """The topic of the fact that best answers a question no word names the topic of (« combien
    d'habitants dans l'agglo ? »), when one stands out; ``any_kind``: not only a figure (the
    NLU's topic was a guess)."""
    if (question.kind != "figure" and not any_kind) or not question.content:
        # A figure asked in everyday words (« combien d'habitants dans l'agglo ? ») has a number
        # in one fact; « c'est quel tarif ? » says nothing of what it is about.
        return None
    best = _best_fact_anywhere(kb, question)
    if any_kind:
        question = _telling(kb, question)
    if best is None or best.score < _GLOBAL_MIN_SCORE or not _shares_content(question, best.fact):
        # « comment faire une demande de RSA ? »: a fact about how to apply for something else.
        return None
    return best.fact.topic


def _second_topic(kb: _Knowledge, question: Question, first: str) -> str:
    """The topic of a second question no word names the topic of: the first's, unless a fact of
    another topic answers it better and names what is asked (« combien coûte le topo-guide ? et
    le chemin de halage entre Billy-Berclau et Hinges, c'est quoi ? »: mobility's greenway)."""
    if not question.kinds or not question.content:
        return first
    best = _best_fact_anywhere(kb, question)
    if best is None or best.fact.topic == first or best.score < _GLOBAL_MIN_SCORE:
        return first
    if not _shares_content(_telling(kb, question), best.fact):
        # (« et qui appeler pour une question sur ma facture ? »: not the permis de louer's
        # « pour toute question », after the price of water)
        return first
    if any(item.answers_kind and item.score >= best.score for item in _scored_in(kb, first, question)):
        return first
    return best.fact.topic


def _telling(kb: _Knowledge, question: Question) -> Question:
    """The question without the words that tell no topic: everyday words (« l'agglo », which most
    facts say, « question ») and the words saying its kind (« depuis »)."""
    lexicon = question_words_of(kb)  # type: ignore[arg-type]
    telling = lexicon.generic_words | kind_cue_words(lexicon, question.kind)
    return replace(question, content=tuple(word for word in question.content if word not in telling))


def _shares_content(question: Question, fact: FactView) -> bool:
    """The fact names something the question is about, not only how it asks."""
    return on_subject(fact, frozenset(map(stem, question.content)))


def _best_fact_anywhere(kb: _Knowledge, question: Question) -> Scored | None:
    lexicon = question_words_of(kb)  # type: ignore[arg-type]
    facts = [
        fact
        for topic in kb.topics()
        if topic.family not in _NOT_TOPICS
        for fact in topic.facts_for(None, residents=True)
        if not fact.commune_insee
    ]
    scored = score_facts(kb, None, facts, question, lexicon)
    return next((item for item in scored if item.answers_kind), None)


def _topic_for_figure(kb: _Knowledge, topic: str, question: Question) -> str:
    """A « combien de … » whose topic has no number of what it counts, while another topic's
    fact has (« quel pourcentage des habitants galère avec internet ? » names the habitants of
    the communes topic, the figure is in another): that topic."""
    if question.kind != "figure" or not question.counted:
        return topic
    # A commune's name counts nothing (« à Nœux-les-Mines, la piste de ski fait quelle
    # longueur ? »: not the « 43 à Labourse/Nœux-les-Mines » places of car-sharing).
    places = where_words(kb, question.words)  # type: ignore[arg-type]
    question = replace(question, counted=tuple(word for word in question.counted if word not in places))
    if not question.counted:
        return topic
    best = _best_fact_anywhere(kb, question)
    if best is None or best.fact.topic == topic or not best.counts:
        return topic
    # A topic keeps it with a fact that counts it, unless a word of the question names the best
    # fact's topic, which counts it better (the NLU's waste for « combien de petites communes de
    # moins de 2000 habitants ? » has the « 7 communes » of a heat network; « habitants » names
    # the communes).
    named_elsewhere = question.topic == best.fact.topic
    scored = _scored_in(kb, topic, question)
    if any(item.counts and not (named_elsewhere and item.score < best.score) for item in scored):
        return topic
    # Else the topic a word of the question named, when a fact of it counts it (« combien
    # d'habitants dans la communauté d'agglo Béthune-Bruay ? »: the communes', not the 650 000
    # habitants of the bus network, which shares more of the Agglo's name).
    if (
        question.topic not in (None, topic)
        and kb.topic(question.topic) is not None
        and any(item.counts for item in _scored_in(kb, question.topic, question))
    ):
        return question.topic
    return best.fact.topic


def _topic_for_kind(kb: _Knowledge, topic: str, question: Question, *, named: bool) -> str:
    """A question of a kind no fact of its topic answers, when no word of it named that topic
    (« propriétaire à Auchel, si je loue sans autorisation je risque quoi ? », taken for
    housing, which tells of no sanction): the topic whose fact answers that kind best and names
    what is asked. Not for what a topic is nor its contact, which every topic answers, nor when
    ``named``: a word of the question, or the conversation, named the topic."""
    if named or question.kind in (None, *_EVERY_TOPIC_KINDS):
        return topic
    scored = _scored_in(kb, topic, question)
    if any(item.answers_kind for item in scored):
        return topic
    # A topic whose facts speak of what is asked keeps it: its unknown is the answer.
    lexicon = question_words_of(kb)  # type: ignore[arg-type]
    subject = frozenset(stem(word) for word in question.content if word not in lexicon.audience_words)
    if any(on_subject(item.fact, subject) for item in scored):
        return topic
    best = _best_fact_anywhere(kb, question)
    if best is None or best.fact.topic == topic or best.score < _GLOBAL_MIN_SCORE:
        return topic
    # The words that ask count too (« sans autorisation » is said by the fact on sanctions).
    said = frozenset(stem(word) for word in question.words if len(word) > 3 and word not in lexicon.small_words)
    return best.fact.topic if on_subject(best.fact, said) else topic


def _scored_in(kb: _Knowledge, slug: str, question: Question) -> list[Scored]:
    """The facts residents may be told of a topic, scored for the question."""
    view = kb.topic(slug)
    own = view.facts_for(None, residents=True) if view is not None else []
    return score_facts(kb, slug, own, question, question_words_of(kb))  # type: ignore[arg-type]


def _leans_on_the_last(question: Question, lexicon: QuestionWords) -> bool:
    """A question of a known kind that names nothing of its own (« elle coûte combien ? ») or
    speaks of « ses … », « son … »: it is about what the last message named."""
    if any(word in lexicon.possessives for word in question.words):
        return True
    if lexicon.refers_back(question.words):
        # « on peut en prendre combien ? », « et le plus petit ? », « on peut le dépenser où ? »
        return True
    if not question.kinds:
        return False
    cues = kind_cue_words(lexicon, question.kind)
    return not [word for word in question.content if word not in cues]


def _speaks_of_the_last(kb: _Knowledge, question: Question, current: str | None, lexicon: QuestionWords) -> bool:
    """« merci. elle prend les vieux pneus ? » after a déchetterie: a subject pronoun, no topic of
    its own, and a word a fact of the topic spoken of says (« pneus »)."""
    if current is None or not lexicon.subject_pronouns.intersection(question.words):
        return False
    if question.topic is not None and question.topic not in lexicon.yielding_topics:
        return False
    view = kb.topic(current)
    cues = kind_cue_words(lexicon, question.kind)
    subject = frozenset(stem(word) for word in question.content if word not in cues and len(word) > 3)
    return view is not None and bool(subject) and any(on_subject(fact, subject) for fact in agglo_facts(view))


def _names_a_thing(question: Question, lexicon: QuestionWords, detector: _FindsTopics) -> bool:
    """The question names something besides its topic's keyword, how it asks and what it
    denies (« la piste de Loisinord »)."""
    cues = kind_cue_words(lexicon, question.kind)
    asking = lexicon.kinds.covered(question.words) | lexicon.negations.covered(question.words)
    asked = frozenset(word for index, word in enumerate(question.words) if index in asking)
    return any(
        word not in cues and word not in asked and detector.find(word) != question.topic for word in question.content
    )


def _in_the_last_place(question: Question, previous: str, kb: _Knowledge) -> Question:
    """The question, with the communes the last message named when it names none."""
    places = place_words(kb)  # type: ignore[arg-type]
    if places.intersection(question.words):
        return question
    named = tuple(word for word in keywords_of(previous) if word in places and word not in question.words)
    return (
        replace(question, words=(*question.words, *named), content=(*question.content, *named)) if named else question
    )


def _about_the_last(
    question: Question, previous: str, kb: _Knowledge, detector: _FindsTopics, lexicon: QuestionWords
) -> Question:
    """The question, with the words the last message named added to what it is about."""
    if not previous:
        return question
    last = read(previous, kb, detector, in_conversation=False, lexicon=lexicon).first
    # Its words, those that asked too (« le diagnostic amiante est obligatoire ? »: « diagnostic »).
    named = tuple(
        dict.fromkeys(
            word
            for word in last.words
            if len(word) > 2
            and word not in lexicon.small_words
            and word not in lexicon.interrogative_words
            and word not in question.content
        )
    )
    return replace(question, words=(*question.words, *named), content=(*question.content, *named))


def plan_turn(
    text: str,
    intent: str,
    dispositif: str | None,
    context: Context,
    kb: _Knowledge,
    detector: _FindsTopics,
    *,
    names_orientation: bool = False,
    only_a_commune: bool = False,
    outside_only: bool = False,
    nlu_confidence: float = 1.0,
) -> Plan:
    """What to answer: see the module's docstring. ``names_orientation``: the message names a
    question for another body (kb/orientation.yml), which its own answer handles;
    ``only_a_commune``: the message only names a commune (« et à Gosnay ? »), which answers the
    current topic for it, unless the last question had a kind (« et celle de Lillers ? »);
    ``outside_only``: the only commune it names is outside the Agglo (« le musée du
    Louvre-Lens »), which keeps a message the NLU put out of scope there; ``nlu_confidence``: how
    sure the NLU is of ``intent`` (an unsure guess does not overrule an everyday word)."""
    in_conversation = _is_topic(kb, context.topic)
    lexicon = question_words_of(kb)  # type: ignore[arg-type]
    reading = read(text, kb, detector, in_conversation=in_conversation, lexicon=lexicon)
    if names_orientation and not reading.english:
        return Plan(reading=reading)
    if only_a_commune:
        if in_conversation and context.kind and context.kind != "what" and context.topic is not None:
            return Plan(parts=(Part(context.topic, replace(reading.first, kinds=(context.kind,))),), defer=False)
        return Plan(reading=reading)
    questions = list(reading.questions)
    # What the conversation was about, unless the message says it is not about that.
    current = context.topic if in_conversation and context.topic not in reading.rejected_topics else None
    # « communes » is the commune action's; the other topic intents name their topic.
    # (Not one the message says it is not about: « non, pas la ZFE : le bus… ».)
    nlu_topic = (
        intent
        if _is_topic(kb, intent) and intent not in _COMMUNE_INTENTS and intent not in reading.rejected_topics
        else None
    )
    # « non, c'est le vélo qui m'intéresse » corrects; « non merci » does not.
    named = any(_is_topic(kb, question.topic) or question.kinds for question in questions)
    # A correction or a reference to what was said needs something said before: out of a
    # conversation, « ce n'est pas … » or « et pour … » are ordinary words.
    corrects = in_conversation and (reading.correction or (reading.negation and named))
    refers_back = corrects or (in_conversation and reading.same_question) or reading.back_to
    parts: list[Part] = []
    leaned = False
    for index, question in enumerate(questions):
        leans = index == 0 and in_conversation and not corrects and _leans_on_the_last(question, lexicon)
        if leans:
            # « elle coûte combien ? », « ses objectifs ? »: about what the last message named.
            question = _about_the_last(question, context.previous, kb, detector, lexicon)
            leaned = True
        if question.kind is None and in_conversation and reading.same_question and context.kind:
            # « même question pour … », « combien de généralistes ? » then « et d'associations ? »:
            # the last question, about (counting) what is named now.
            counted = question.content if context.kind == _FIGURE_KIND else ()
            places = place_words(kb)  # type: ignore[arg-type]
            if context.previous and _names_only_a_place(question, lexicon, places):
                # « même question pour Haisnes » after « combien de places à Lillers ? »: the
                # same count, for the commune named now.
                counted = read(context.previous, kb, detector, lexicon=lexicon).first.counted
                communes = tuple(word for word in question.content if word in places)
                question = replace(question, words=(*question.words, *counted), content=(*communes, *counted))
            question = replace(question, kinds=(context.kind,), counted=counted, elliptic=True)
        topic = (
            question.topic if _is_topic(kb, question.topic) and question.topic not in reading.rejected_topics else None
        )
        if (
            index == 0
            and topic is not None
            and nlu_topic not in (None, topic)
            and not any(other.topic == nlu_topic for other in questions[1:])
            and not (topic == current and nlu_confidence < _SURE_NLU)
            and (
                not (_distinctive(lexicon, question.topic_keyword) or question.meant or nlu_confidence < _SURE_NLU)
                or _names_too(
                    detector,
                    lexicon,
                    question,
                    nlu_topic,
                    sure=nlu_confidence >= _VERY_SURE_NLU
                    and _said_by_keywords_of(kb, question.topic_keyword, nlu_topic),
                )
            )
        ):
            # An everyday word (« l'usine de décarbonatation ») does not overrule the NLU's topic
            # (unless the NLU's topic is the second question's: « combien de communes … et
            # combien sont concernées par le permis de louer ? »), nor does any keyword when
            # another names the NLU's topic too (« rouler en vélo électrique sur la voie verte »);
            # but an unsure NLU does not take away the topic spoken of, which the question names
            # too (« et pour un vélo normal, sans batterie ? » after the bike aid).
            topic = None
        if (
            index == 0
            and topic is not None
            and current not in (None, topic)
            and not (corrects or reading.back_to)
            and len((question.topic_keyword or "").split()) == 1
            and _said_by_keywords_of(kb, question.topic_keyword, current)
            and (reading.same_question or leans or nlu_topic != topic or nlu_confidence < _VERY_SURE_NLU)
        ):
            # « et pour mon autre logement à Gosnay ? » after the permis de louer: a word that
            # the topic spoken of names too (« logement indigne ») stays with it.
            topic = current
        if (
            index == 0
            and leans
            and current is not None
            and _keyword_asks(lexicon, question.topic_keyword)
            and any(item.answers_kind for item in _scored_in(kb, current, question))
        ):
            # « et son budget ? » after the Cité de la musique: « budget » asks its price here,
            # though it names the Agglo's budget when nothing else is spoken of (nor when the
            # topic spoken of has no price: after the Agglo's communes, it is the Agglo's).
            topic = current
        if topic is None and index == 0 and leans:
            topic = current
        if topic is None and index == 0 and nlu_confidence < _SURE_NLU and dispositif is None and question.kinds:
            # « l'agglo a été créée en quelle année ? », an unsure guess of the NLU: the topic
            # of the fact that answers it, when one stands out.
            topic = topic_by_facts(kb, question, any_kind=True)
        if topic is None and index == 0:
            topic = dispositif if _is_topic(kb, dispositif) and dispositif not in reading.rejected_topics else nlu_topic
        if (
            topic is None
            and index == 0
            and not (corrects or question.kinds)
            and intent in (FALLBACK_INTENT, *CONVERSATION_INTENTS)
            and _speaks_of_the_last(kb, question, current, lexicon)
        ):
            # « merci. elle prend les vieux pneus ? », which the NLU took for thanks.
            topic = current
            leaned = True
        if (
            index == 0
            and current
            and topic in lexicon.yielding_topics
            and (
                (reading.same_question and not corrects)
                or (
                    question.kinds
                    and not _distinctive(lexicon, question.topic_keyword)
                    and not _THE_AGGLO.intersection(question.words)
                )
            )
        ):
            # « et celle de Béthune, c'est quel numéro ? », « c'est l'adresse mail pour envoyer le
            # dossier que je voulais »: the number of what was spoken of; an everyday word
            # (« adresse », « numéro ») asks its contact, not the Agglo's.
            topic = current
        if (
            index > 0
            and parts
            and topic not in (None, parts[0].topic)
            and not _distinctive(lexicon, question.topic_keyword)
        ):
            # « on s'inscrit où pour la mutuelle ? il y a une permanence à la mairie de Nœux ? »: an
            # everyday word (« mairie ») names no other topic than the first's, unless a fact of
            # that topic answers better.
            topic = _second_topic(kb, question, parts[0].topic)
        first_topic_kept = index > 0 and bool(parts) and topic in lexicon.yielding_topics
        if first_topic_kept:
            # « … et quel numéro appeler en cas de fuite ? »: the contact for the first's topic;
            # « le standard de l'agglo, et l'accueil ouvre à quelle heure ? »: the Agglo's, whose
            # unknown answers, not a déchetterie's hours.
            topic = parts[0].topic
        if topic is None and index > 0:
            # « … et quel est le taux de chômage ? »: a fact may name it; else the first's topic.
            topic = topic_by_facts(kb, question) or (_second_topic(kb, question, parts[0].topic) if parts else None)
        # The topic spoken of, the message naming none: only what it names may move it away.
        from_conversation = topic is None and current is not None and bool(question.kinds or refers_back)
        if topic is None and (question.kinds or refers_back):
            topic = current
        if topic is None and question.kinds:
            topic = topic_by_facts(kb, question)
        if topic is not None:
            topic = _topic_for_figure(kb, topic, question)
            named_here = topic == question.topic and _distinctive(lexicon, question.topic_keyword)
            # A question naming no topic follows the conversation's, whose unknown answers it
            # (« bon, et je fais la demande où ? », « si nous déposons un dossier, ça prend combien
            # de temps ? » after the water-butt aid: not the permis de louer's « demande » or month).
            topic = _topic_for_kind(
                kb,
                topic,
                question,
                named=named_here or refers_back or leans or first_topic_kept or from_conversation,
            )
        if (
            corrects
            and topic is not None
            and topic == context.topic
            and context.previous
            and not _names_a_thing(question, lexicon, detector)
        ):
            # « je ne demandais pas l'heure mais le téléphone de cette déchèterie » after the one
            # of Ruitz: a correction naming nothing new keeps where the last question was about.
            question = _in_the_last_place(question, context.previous, kb)
        if question.kind is None and corrects and (topic != context.topic or reading.correction):
            # « non, le vélo », « pas des déchetteries mais de la déchetterie gros volumes » (same
            # topic): the last question, about what is named now (« même question pour … »: above).
            question = replace(question, kinds=(context.kind,) if context.kind else (), elliptic=bool(context.kind))
        if topic is not None:
            parts.append(Part(topic=topic, question=question))
    plan = Plan(parts=tuple(parts), english=reading.english, defer=False, reading=reading)
    if reading.english:
        return plan
    if not parts:
        return Plan(reading=reading)
    if len(parts) > 1 or refers_back or leaned:
        return plan
    if intent in QUESTION_FIELDS or nlu_topic is not None:
        # The topic action would answer the same, unless the reading found the kind of question.
        return plan if parts[0].question.kinds else Plan(reading=reading)
    if intent in _SHORT_REPLIES:
        # « non » answers the assistant's own question; otherwise « non, … » corrects the topic.
        return Plan(reading=reading) if context.asked or not reading.first.words[1:] else plan
    if intent in (FALLBACK_INTENT, *CONVERSATION_INTENTS):
        # A message the NLU put out of scope, but whose words ask a question about a topic of the
        # knowledge base (« réponds par oui ou non : le bus est gratuit ? »).
        asks = (
            bool(parts[0].question.kinds)
            or reading.wrapped
            or (parts[0].topic not in lexicon.yielding_topics and _asks_of_a_name(text, reading.first.topic_keyword))
        )
        named = _distinctive(lexicon, reading.first.topic_keyword) or (
            reading.wrapped and _said_by_a_fact(kb, parts[0], lexicon)
        )
        if named and asks and not outside_only:
            return plan
        follows = _follows_up(kb, parts[0], current, lexicon) or _goes_on(parts[0], current, lexicon)
        return plan if in_conversation and follows else Plan(reading=reading)
    if intent in _COMMUNE_INTENTS:
        # « et combien de places à Haisnes ? » after the car-sharing areas: a question about the
        # topic spoken of, for a commune.
        about = reading.first.topic is not None or in_conversation
        # « le président de l'Agglo, c'est bien le maire de Béthune ? »: a topic named for sure
        # is asked about, though no kind is asked; the commune only tells where.
        named = reading.first.topic not in (None, *_COMMUNE_INTENTS) and _distinctive(
            lexicon, reading.first.topic_keyword
        )
        return plan if (reading.first.kinds and about) or named else Plan(reading=reading)
    return Plan(reading=reading)


@dataclass(frozen=True)
class Nlu:
    """What the NLU made of a message: its one intent, and the entities the answers use."""

    intent: str = ""
    dispositif: str | None = None
    bike_type: str | None = None
    # How sure the NLU is of its intent (1.0 when unknown: a test, a button's payload).
    confidence: float = 1.0

    @staticmethod
    def confidence_of(value: object) -> float:
        """A confidence as the NLU gave it (a number), 1.0 when it gave none."""
        return float(value) if isinstance(value, (int, float)) else 1.0


def _names_orientation(services: Services, text: str) -> bool:
    """The message names a question for another body, not inside a longer keyword of a topic
    (« le taux de chômage » is the territory's figure; « le chômage » is France Travail's)."""
    words = keyword_key(text)
    longer = [(hit.start, hit.end) for hit in services.topics.find_all(words)]
    return any(
        not any(start <= hit.start and hit.end <= end and end - start > hit.end - hit.start for start, end in longer)
        for hit in services.orientation.find_all(words)
    )


def turn_plan(services: Services, text: str, nlu: Nlu, context: Context) -> Plan:
    """The plan of a turn (see :func:`plan_turn`), with what the commune and orientation
    matchers of ``services`` say of the message. « jrisque koi ? » is read as « je risque
    quoi ? » (the NLU had it as typed)."""
    text = services.people.written_out(text)
    communes = [match for match in services.communes.find_all(text) if not match.destination]
    return plan_turn(
        text,
        nlu.intent,
        nlu.dispositif,
        context,
        services.kb,
        services.topics,
        names_orientation=_names_orientation(services, text),
        only_a_commune=services.communes.names_only_a_commune(text),
        nlu_confidence=nlu.confidence,
        outside_only=bool(communes) and not any(match.is_member for match in communes),
    )


@dataclass(frozen=True)
class Asked:
    """Who asks and where: the turn's commune, agent mode, and what the previous answer gave."""

    commune: str | None = None
    agent: bool = False
    contact_just_given: bool = False
    bike_type: str | None = None
    # « mon appart à Vermelles est concerné ? »: a message that only names a commune.
    only_a_commune: bool = False
    today: Any = None


def answer_parts(
    services: Services, parts: Sequence[tuple[str, Question | None]], text: str, asked: Asked
) -> list[Answer]:
    """The answers about each topic, with its question (None: read from ``text``)."""
    kb = services.kb
    answers: list[Answer] = []
    for topic, question in parts:
        words = text if question is None else ""
        if asked.agent:
            answers.append(
                agent_answer(kb, topic, commune_insee=asked.commune, question=words, asked=question, today=asked.today)
            )
            continue
        answers.append(
            resident_answer(
                kb,
                topic,
                commune_insee=asked.commune,
                bike_type=asked.bike_type,
                commune_only=asked.only_a_commune,
                question=words,
                asked=question,
                contact_just_given=asked.contact_just_given or any(answer.gave_contact for answer in answers),
                today=asked.today,
                shown=frozenset(fact for answer in answers for fact in answer.facts),
            )
        )
    return answers


def answer_plan(services: Services, plan: Plan, text: str, asked: Asked) -> list[Answer]:
    """The plan's answers, in order. A message in English gets a notice in English first, then
    the French answer, then the Agglo's contact unless the French answer showed it."""
    answers = answer_parts(services, [(part.topic, part.question) for part in plan.parts], text, asked)
    if not plan.english:
        return answers
    tag = plan.parts[0].topic if plan.parts else "incompris"
    notice = english_answer(services.kb, tag, answer_follows=bool(plan.parts))
    if not plan.parts:
        return [notice, *answers]
    contact = english_contact(services.kb, tag)
    shown = {fact for answer in answers for fact in answer.facts}
    return [notice, *answers] if shown.issuperset(contact.facts) else [notice, *answers, contact]


def first_turn_answers(services: Services, text: str, nlu: Nlu) -> list[Answer] | None:
    """:func:`answer_questions` for the first message of a conversation, the commune read from
    its words as the actions read it: what the editor's preview shows for a question."""
    match = services.communes.find(text)
    commune = match.commune.insee if match is not None and match.commune is not None else None
    asked = Asked(
        commune=commune,
        bike_type=nlu.bike_type,
        only_a_commune=commune is not None and services.communes.names_only_a_commune(text),
    )
    return answer_questions(services, text, nlu, Context(), asked)


def answer_questions(services: Services, text: str, nlu: Nlu, context: Context, asked: Asked) -> list[Answer] | None:
    """The answers a turn about a topic gets: the reading's plan when it answers, else the topic
    the intent (or the words, or the conversation) names, for the question the words or the
    intent ask. None when the turn is not about a topic of the knowledge base. The one path of
    the actions, the editor's preview and the quality bench, so that they answer alike.
    Distress or an emergency gets the national numbers alone, never a topic (the actions read
    the whole of :func:`people_first` before)."""
    emergency = emergency_answers(services, text, asked)
    if emergency:
        return emergency
    plan = turn_plan(services, text, nlu, context)
    if not plan.defer:
        return answer_plan(services, plan, text, asked)
    kb = services.kb
    if not (_is_topic(kb, nlu.intent) or nlu.intent in QUESTION_FIELDS) or nlu.intent in _COMMUNE_INTENTS:
        # Small talk, out of scope, a commune, a short reply: the NLU's own action answers.
        return None
    topic = resolve_topic(nlu.intent, nlu.dispositif, text, context.topic, kb, services.topics)
    if topic is None:
        return None
    field_name = asked_field(nlu.intent, text, kb)
    question = replace(asked_kind(kb, text, field_name), text=text) if field_name else None
    return answer_parts(services, [(topic, question)], text, asked)


@dataclass(frozen=True)
class Said:
    """A response of domain.yml said as it is (its wording lives there, nothing of the message
    is echoed), with the payload of a turn that cites no source when ``topic`` is set."""

    response: str
    topic: str | None = None
    commune: str | None = None
    buttons: list[dict[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class FirstAnswer:
    """What a message gets before any topic: ``said`` first, then ``answers``; ``about_topic``:
    the answers are a topic's, which the conversation moves to."""

    said: Said | None = None
    answers: tuple[Answer, ...] = ()
    about_topic: bool = False


def _answerable(text: str) -> bool:
    # A button the assistant offered (« /aide_velo »): its intent says what is asked.
    return bool(text.strip()) and not text.startswith("/")


def emergency_answers(services: Services, text: str, asked: Asked) -> list[Answer]:
    """The national numbers for the distress or emergencies a message says (kb/emergencies.yml),
    as one answer; [] when it says none."""
    kinds = services.emergencies.detect(text) if _answerable(text) else []
    if not kinds:
        return []
    return [services.emergencies.answer(kinds, commune_insee=asked.commune, today=asked.today).answer]


def person_answer(services: Services, response: str, topic: str, commune: str | None) -> FirstAnswer:
    """``response`` (what the assistant is, or that it still does not understand), then the
    Agglo's contact under ``topic``, with the offer of a callback by an agent (the widget's
    button and form)."""
    contact = contact_answer(services.kb, topic, commune_insee=commune)
    return FirstAnswer(said=Said(response), answers=(replace(contact, extra=with_callback_offer(contact.extra)),))


def people_first(services: Services, text: str, nlu: Nlu, asked: Asked) -> FirstAnswer | None:
    """What a message gets before any topic, or None (the action the NLU chose answers):

    1. distress or an emergency: the national numbers alone, nothing else;
    2. a request for a person, or a question whether one answers: the contact and the callback
       offer (:data:`bot.core.people.PERSON_TOPIC`, or ``identite_bot`` for the question);
    3. an insult alone: one calm sentence and the menu of headline aids. Around a question the
       NLU took for small talk or did not understand: the topic the rest of the message names
       (else the menu, or who handles a question for another body); around a question the NLU
       understood: None, the question is answered as if the insult were not there.
    """
    emergency = emergency_answers(services, text, asked)
    if emergency:
        return FirstAnswer(answers=tuple(emergency))
    if not _answerable(text):
        return None
    person_topic = services.people.person_request(text)
    if person_topic is not None:
        return person_answer(services, PERSON_RESPONSE, person_topic, asked.commune)
    english = reads_as_english(text, question_words_of(services.kb))
    insult = services.people.insult(text, typos=not english)
    if insult is None:
        return None
    if not insult.alone:
        if nlu.intent not in (*CONVERSATION_INTENTS, FALLBACK_INTENT):
            return None
        topic = named_topic(insult.rest, services.kb, services.topics)
        if topic is not None:
            return FirstAnswer(answers=tuple(answer_parts(services, [(topic, None)], text, asked)), about_topic=True)
        if nlu.intent == OUT_OF_SCOPE_INTENT:
            return None  # a question for another body (the action gives who handles it)
    return FirstAnswer(
        said=Said(INSULT_RESPONSE, topic=INSULT_TOPIC, commune=asked.commune, buttons=menu_buttons(services.kb))
    )
