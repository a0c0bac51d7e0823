"""Read a message for what it asks, apart from its topic: the kind of question, the unit of a
« combien de … », the audience, corrections and references to what was said, two questions in
one message, and English.

The NLU gives one intent per message, so the topic, the question kind and the commune compete
there; here each is read on its own axis, from the words of kb/lexicon.yml and the topics'
keywords (kb/topics/*.yml). Both are content, editable without retraining: a new build is read
within seconds (the reader is rebuilt with each knowledge-base snapshot).

Plain functions of the text and the knowledge base: the actions decide what to do with a
:class:`Reading` (bot/core/turns.py), the answers choose the facts for a :class:`Question`
(bot/core/selection.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from bot.core.matching import KeywordFinder, KeywordHit, keyword_key
from bot.kb.question_words import INFLECTED_KEY

# « combien » alone asks an amount; followed by a unit word (within this many words: « combien
# de kilos de déchets ») it asks a figure.
_UNIT_WINDOW = 3
_SENTENCE_END = re.compile(r"[?!.;]+\s*")
# « quels jours puis-je les joindre ? » asks one question: « puis » there is no « then ».
_MAY_I = "puis-je"
# « ou » (folded: « où » too, whose question has a kind of its own) between choices.
_ALTERNATIVE = "ou"
# An English message: at least this many English words, and this share of its words.
_MIN_ENGLISH_WORDS = 2
_MIN_ENGLISH_SHARE = 0.3
_FIGURE_KIND = "figure"
# A reference that asks the last question again when it opens a message this short.
_ELLIPSIS = "same_question_opening"
_ELLIPSIS_MAX_WORDS = 4
_WHAT_KIND = "what"
_CONTACT_KIND = "contact"
_WHEN_KIND = "when"
_OPENING_KIND = "opening"
_AMOUNT_KIND = "amount"
_HOW_MANY = "combien"
# « il y en a combien, des piscines ? »: « en » and the partitive that names what it stands for.
_PRONOUN_EN = "en"
# « je peux tous les amener ? »: the pronoun one word after the verb at most.
_PRONOUN_REACH = 2
# « c'est le propriétaire qui … ? »: « c'est » (read « est ») this many words before « qui ».
_CLEFT = "est"
_CLEFT_REACH = 5
_WHO_IN_TEXT = re.compile(r"(^|[,;:.!?(«]\s*)?\bqui\b", re.IGNORECASE)
# « il y en a combien », « on en compte combien »; not « on peut en prendre combien ».
_COUNTING_VERBS = frozenset({"a", "ai", "avez", "ont", "compte", "comptez", "existe", "reste"})
_PARTITIVES = frozenset({"des", "de", "du", "d"})
# The words of a counting verb said between « combien » and « de » (« combien compte-t-on de »,
# « combien y a-t-il de », « combien il y a de »), as many as that at most.
_COUNTING_INVERSION = _COUNTING_VERBS | frozenset({"on", "il", "y", "ya", "recense", "trouve"})
_INVERTED_REACH = 4
_NOT = "pas"
# « combien de … », « combien d'… » (the elided « d' » is dropped by the tokenizer).
_OF = frozenset({"de", "des", "du"})
# « combien d'habitants »: the tokenizer drops an elided « d' », which tells what is counted.
_HOW_MANY_OF = re.compile(r"\b(combien|nombre)\s+d['’]\s*", re.IGNORECASE)


# « 70 € »: the tokenizer drops the sign, which tells an amount is asked about.
_EURO_SIGN = re.compile(r"\s*€")


# An unaccented « ou » that offers an alternative (« … ou c'est au propriétaire ? », « … ce
# jour-là ou c'est fermé ? », « ou bien », « ou pas ») is no « où »: folded, it would ask where
# (« où est »).
_ALTERNATIVE_OR = re.compile(
    r"(?<=\w)([\s,]+)ou\s+(?=(?:bien|alors|pas|non|plutôt|plutot)\b|c['’]\s*est\s+(?:à|a|au|aux|moi|lui|elle|eux|nous|vous|plutôt|plutot|mieux|pareil|fermée?s?|payante?s?|gratuite?s?|interdite?s?|obligatoires?|complete?s?|complète?s?|trop|possible|impossible)\b)",
    re.IGNORECASE,
)


# The « t » of « y a-t-il », « compte-t-on »: read alone, it is the unit « t » (tonnes).
_EUPHONIC_T = re.compile(r"-t-(?=(?:il|elle|on|ils|elles)\b)", re.IGNORECASE)
# « l ecole d ingenieurs », « j ai », « qu il »: an elision typed without its apostrophe (not a
# unit after a number: « 240 l au maximum »).
_ELISION_WITHOUT_APOSTROPHE = re.compile(
    r"(?<![\d\w'’])(?<!\d )([cdjlmnst]|qu) (?=[aeiouyhàâäéèêëîïôöûüœ])", re.IGNORECASE
)


# « permis d louer »: « de » typed as its letter before a consonant, SMS-style.
_SMS_DE = re.compile(r"(?<![\d\w'’])(?<!\d )(d) (?=[^\W\daeiouyhàâäéèêëîïôöûüœAEIOUYH])")


# « … elle existe déjà ou pas » asks, question mark or not.
_YES_OR_NO_END = re.compile(r"\bou\s+(?:pas|non)\s*$", re.IGNORECASE)


def _as_typed(text: str) -> str:
    """The text with « combien d'… » written « combien de … », « € » as « euros », an
    alternative's « ou » and the « t » of « a-t-il » left out, « l ecole » as « l'ecole » and
    « d louer » as « de louer »: what the tokenizer would lose or misread."""
    text = _ELISION_WITHOUT_APOSTROPHE.sub(r"\1'", _EUPHONIC_T.sub("-", _ALTERNATIVE_OR.sub(r"\1", text)))
    text = _SMS_DE.sub(r"\1e ", text)
    return _EURO_SIGN.sub(" euros ", _HOW_MANY_OF.sub(r"\1 de ", text))


def keywords_of(text: str) -> list[str]:
    """The text's words as keywords are compared (bot/core/matching.py), read by :func:`_as_typed`."""
    return keyword_key(_as_typed(text))


class _KnowsWords(Protocol):
    def message(self, name: str) -> Any: ...


class _FindsTopics(Protocol):
    def find(self, text: str, ignore: frozenset[str] = ...) -> str | None: ...

    def find_keyword(self, text: str, ignore: frozenset[str] = ...) -> tuple[str, str] | None: ...


@dataclass(frozen=True)
class Question:
    """One question of a message: its words (synonyms added), the kinds it asks, most specific
    first, what a « combien de … » counts, and the topic its words name, if any."""

    text: str
    words: tuple[str, ...]
    kinds: tuple[str, ...] = ()
    # What a « combien de … » counts: its words, the unit they name first (« l » for litres).
    counted: tuple[str, ...] = ()
    topic: str | None = None
    # Its words apart from those that ask (« combien », « c'est quoi ») and the small ones: what
    # it is about.
    content: tuple[str, ...] = ()
    # The keyword that names its topic (folded, singular), if any.
    topic_keyword: str | None = None
    # It asks the last question again, of what it names (« et le train ? »): all its words
    # name what it is about.
    elliptic: bool = False
    # Its topic is named after « mais » (« on parlait de X, mais au fait le bus … ? »): what the
    # message says it asks about, whatever the NLU thought.
    meant: bool = False
    # The words only a sentence telling the resident's situation said (« je suis locataire dans
    # le quartier de la gare. » before « est-ce à moi de faire la demande ? »).
    told: tuple[str, ...] = ()

    @property
    def kind(self) -> str | None:
        return self.kinds[0] if self.kinds else None

    @property
    def search_text(self) -> str:
        """The words facts are compared with (the message's, and its synonyms' meanings)."""
        return " ".join(self.words)


@dataclass(frozen=True)
class Reading:
    """What a message asks, on every axis but the commune (bot/core/matching.py finds it)."""

    questions: tuple[Question, ...]
    english: bool = False
    # « non, … » at the start of the message: a correction when it names what is meant.
    negation: bool = False
    # « je ne parle pas de X (mais de Y) »: what follows it is what is meant.
    correction: bool = False
    # « revenons à X ».
    back_to: bool = False
    # « même question pour Y », « et celle de Lillers ? »: the last question, for Y.
    same_question: bool = False
    audience: str | None = None
    # The message carries politeness, anger or « confirme-moi… » around its question.
    wrapped: bool = False
    # Topics the message says it is NOT about (« je ne parle pas du vélo »).
    rejected_topics: tuple[str, ...] = ()

    @property
    def first(self) -> Question:
        return self.questions[0]

    @property
    def topics(self) -> tuple[str, ...]:
        return tuple(question.topic for question in self.questions if question.topic)


@dataclass(frozen=True)
class QuestionWords:
    """kb/lexicon.yml, ready to match (built once per knowledge-base snapshot)."""

    synonyms: KeywordFinder
    synonym_words: dict[str, tuple[str, ...]]
    kinds: KeywordFinder
    # Phrases that ask their kind only when nothing else asks (« je dois faire une demande ? »
    # asks whether one must; « je dois faire une demande où ? » asks where).
    kinds_alone: KeywordFinder
    kind_order: tuple[str, ...]
    kind_fields: dict[str, tuple[str, ...]]
    # The words that tell a fact answers a kind, each cue as its words (« mise en service »).
    kind_cues: dict[str, tuple[tuple[str, ...], ...]]
    # Kinds a fact answers only by saying so in words (« ouvert le samedi »), whatever its field.
    needs_cue: frozenset[str]
    # A word that asks a kind when it ends the question (« je peux les amener où ? »), not
    # within it (« où », folded, is also « ou »).
    kind_endings: dict[str, str]
    units: KeywordFinder
    unit_words: dict[str, frozenset[str]]
    audiences: KeywordFinder
    audience_words: frozenset[str]
    wrappers: KeywordFinder
    references: KeywordFinder
    negations: KeywordFinder
    apologies: KeywordFinder
    joiners: KeywordFinder
    interrogatives: KeywordFinder
    # Words that say nothing of what is counted (« combien de petits … » keeps « petit »).
    small_words: frozenset[str]
    # Everyday words that are also topic keywords: alone, they name no topic for sure.
    generic_words: frozenset[str]
    english: frozenset[str] = field(default_factory=frozenset)
    # Topics that give way to any other topic the same words name (« le site internet pour le
    # récupérateur d'eau » asks about the récupérateur).
    yielding_topics: frozenset[str] = field(default_factory=frozenset)
    # Topics whose name frames what another names (« l'Agglomobile dont parle le projet de
    # territoire » is about the Agglomobile).
    framing_topics: frozenset[str] = field(default_factory=frozenset)
    # « ses », « son »: a question that says them speaks of what was named before.
    possessives: frozenset[str] = field(default_factory=frozenset)
    # « en prendre », « le plus petit »: they stand for what was named before.
    referring_phrases: KeywordFinder = field(default_factory=lambda: KeywordFinder([]))
    # « on peut le dépenser où ? »: a pronoun after one of these verbs does too.
    modal_verbs: frozenset[str] = field(default_factory=frozenset)
    object_pronouns: frozenset[str] = field(default_factory=frozenset)
    # « je peux tous les amener »: the only words that may stand between that verb and the
    # pronoun; after another (« doit faire la demande ») the pronoun is an article.
    before_pronoun: frozenset[str] = field(default_factory=frozenset)
    subject_pronouns: frozenset[str] = field(default_factory=frozenset)
    # The words of ``interrogatives`` (« combien », « quoi »…), one by one.
    interrogative_words: frozenset[str] = field(default_factory=frozenset)
    # First words of a sentence that tells the resident's situation rather than asks.
    statement_starts: frozenset[str] = field(default_factory=frozenset)
    # Words of a change (« réduire »): with them, « combien » alone asks a figure, not a price.
    change_words: frozenset[str] = field(default_factory=frozenset)
    # Interrogatives that ask only at a clause's start or after ``asking_before`` (« qui »):
    # elsewhere they open a relative clause.
    relative_pronouns: frozenset[str] = field(default_factory=frozenset)
    asking_before: frozenset[str] = field(default_factory=frozenset)
    # Words that ask of a start (« commencé », « depuis »), and those a fact gives it by.
    start_words: KeywordFinder = field(default_factory=lambda: KeywordFinder([]))
    start_cues: KeywordFinder = field(default_factory=lambda: KeywordFinder([]))
    # The words by which a fact says a service is open to those who do not live in the Agglo.
    open_to_all: KeywordFinder = field(default_factory=lambda: KeywordFinder([]))
    # The units a price is asked per (« le mètre cube coûte combien ? »).
    priced_by: frozenset[str] = field(default_factory=frozenset)
    # Words by which an agent asks for a topic's whole fiche, not one thing of it.
    whole_fiche: KeywordFinder = field(default_factory=lambda: KeywordFinder([]))

    def asking_words(self, words: Sequence[str]) -> list[KeywordHit]:
        """The interrogatives of ``words`` that ask (« l'usine qui brûle … »: none)."""
        return [hit for hit in self.interrogatives.find_all(words) if not self.relates(words, hit.start)]

    def refers_back(self, words: Sequence[str]) -> bool:
        """The words stand for what the last message named: « en prendre », « le plus petit », or a
        pronoun between a verb like « pouvoir » and the next verb (« je peux tous les amener ? »),
        one word of ``before_pronoun`` apart at most."""
        if self.referring_phrases.find_all(words):
            return True
        return any(word in self.modal_verbs and self._pronoun_follows(words, index) for index, word in enumerate(words))

    def _pronoun_follows(self, words: Sequence[str], index: int) -> bool:
        for gap, word in enumerate(words[index + 1 : index + 1 + _PRONOUN_REACH], start=1):
            if word in self.object_pronouns:
                return index + gap < len(words) - 1
            if word not in self.before_pronoun:
                return False
        return False

    def relates(self, words: Sequence[str], start: int) -> bool:
        """The word at ``start`` opens a relative clause (« l'usine qui brûle … »), asking nothing."""
        return start > 0 and words[start] in self.relative_pronouns and words[start - 1] not in self.asking_before

    @classmethod
    def from_lexicon(cls, lexicon: dict[str, Any]) -> QuestionWords:
        kinds: dict[str, Any] = lexicon["question_kinds"]
        units: dict[str, list[str]] = lexicon["units"]
        synonyms = KeywordFinder((meaning, words) for meaning, words in lexicon["synonyms"].items())
        synonym_words = {meaning: tuple(keyword_key(meaning)) for meaning in lexicon["synonyms"]}
        return cls(
            synonyms=synonyms,
            synonym_words=synonym_words,
            # With the other forms of its verbs the build adds (bot/kb/question_words.py).
            kinds=KeywordFinder(
                (name, _as_read([*kind["asked_by"], *kind.get(INFLECTED_KEY, ())], synonyms, synonym_words))
                for name, kind in kinds.items()
            ),
            kinds_alone=KeywordFinder(
                (name, _as_read(kind["asked_alone"], synonyms, synonym_words))
                for name, kind in kinds.items()
                if kind.get("asked_alone")
            ),
            kind_order=tuple(kinds),
            kind_fields={name: tuple(kind["fields"]) for name, kind in kinds.items()},
            kind_cues={
                name: tuple(
                    tuple(words)
                    for words in map(keyword_key, kind.get("answered_by") or [])
                    # « jusqu'au » keeps only « au »: a word that small says nothing.
                    if any(len(word) > 2 for word in words)
                )
                for name, kind in kinds.items()
            },
            needs_cue=frozenset(name for name, kind in kinds.items() if kind.get("needs_cue") is True),
            kind_endings={
                " ".join(keyword_key(phrase)): name
                for name, kind in reversed(kinds.items())
                for phrase in kind.get("asked_last") or ()
            },
            units=KeywordFinder(units.items()),
            priced_by=frozenset(lexicon.get("priced_by") or ()),
            # One-word spellings only: « pour cent » split would count « 50 M€ pour l'Agglo ».
            unit_words={
                unit: frozenset(key[0] for key in (keyword_key(phrase) for phrase in (unit, *phrases)) if len(key) == 1)
                for unit, phrases in units.items()
            },
            audiences=KeywordFinder(lexicon["audiences"].items()),
            audience_words=frozenset(
                word for words in lexicon["audiences"].values() for phrase in words for word in keyword_key(phrase)
            ),
            wrappers=KeywordFinder([("wrapper", _read_as_messages(lexicon["wrappers"]))]),
            references=KeywordFinder(
                (label, _read_as_messages(phrases)) for label, phrases in lexicon["references"].items()
            ),
            negations=KeywordFinder([("negation", lexicon["negations"])]),
            apologies=KeywordFinder([("apology", lexicon["apologies"])]),
            joiners=KeywordFinder([("joiner", lexicon["question_joiners"])]),
            interrogatives=KeywordFinder([("interrogative", lexicon["interrogatives"])]),
            interrogative_words=_words_of(lexicon, "interrogatives"),
            small_words=_words_of(lexicon, "small_words"),
            generic_words=frozenset(" ".join(keyword_key(phrase)) for phrase in lexicon["generic_words"]),
            english=_words_of(lexicon, "english_words"),
            yielding_topics=frozenset(lexicon["yielding_topics"]),
            framing_topics=frozenset(lexicon["framing_topics"]),
            possessives=_words_of(lexicon, "possessives"),
            referring_phrases=KeywordFinder([("referring", lexicon.get("referring_phrases") or [])]),
            modal_verbs=_words_of(lexicon, "modal_verbs"),
            object_pronouns=_words_of(lexicon, "object_pronouns"),
            before_pronoun=_words_of(lexicon, "before_pronoun"),
            subject_pronouns=_words_of(lexicon, "subject_pronouns"),
            statement_starts=_words_of(lexicon, "statement_starts"),
            change_words=_words_of(lexicon, "change_words"),
            relative_pronouns=_words_of(lexicon, "relative_pronouns"),
            asking_before=_words_of(lexicon, "asking_before"),
            start_words=KeywordFinder([("start", lexicon.get("start_words") or [])]),
            start_cues=KeywordFinder([("start", lexicon.get("start_cues") or [])]),
            open_to_all=KeywordFinder([("open", lexicon.get("open_to_all") or [])]),
            whole_fiche=KeywordFinder([("fiche", lexicon.get("whole_fiche") or [])]),
        )


def _read_as_messages(phrases: Iterable[str]) -> list[str]:
    """Phrases as a message's words are read (:func:`keywords_of`): « oui ou non » without its
    alternative's « ou », « moins de combien d'années » with its « de »."""
    return [_as_typed(phrase) for phrase in phrases]


def _words_of(lexicon: dict[str, Any], section: str) -> frozenset[str]:
    """Every word of a section's phrases, one by one (none when the section is absent)."""
    return frozenset(word for phrase in lexicon.get(section) or () for word in keyword_key(phrase))


def question_words(kb: _KnowsWords) -> QuestionWords:
    return QuestionWords.from_lexicon(kb.message("lexicon"))


def _without(words: list[str], hits: Iterable[KeywordHit]) -> list[str]:
    dropped = {index for hit in hits for index in range(hit.start, hit.end)}
    return [word for index, word in enumerate(words) if index not in dropped]


def reads_as_english(text: str, lexicon: QuestionWords) -> bool:
    """The message is in English (its words, by kb/lexicon.yml ``english_words``)."""
    return _is_english(keywords_of(text), lexicon.english)


def _is_english(words: Sequence[str], english: frozenset[str]) -> bool:
    counted = [word for word in words if not word.isdigit()]
    found = sum(1 for word in counted if word in english)
    return found >= _MIN_ENGLISH_WORDS and found >= _MIN_ENGLISH_SHARE * len(counted)


def _in_place(words: list[str], lexicon: QuestionWords) -> list[str]:
    """The words with each synonym replaced by its meaning where it stands (« cb de … » reads
    « combien de … »), for the kinds of question, which depend on word order."""
    return _synonyms_in_place(words, lexicon.synonyms, lexicon.synonym_words)


def _synonyms_in_place(words: list[str], synonyms: KeywordFinder, meanings: dict[str, tuple[str, ...]]) -> list[str]:
    result: list[str] = []
    position = 0
    for hit in synonyms.find_all(words):
        result += words[position : hit.start] + list(meanings[hit.label])
        position = hit.end
    return result + words[position:]


def _as_read(phrases: Iterable[str], synonyms: KeywordFinder, meanings: dict[str, tuple[str, ...]]) -> list[str]:
    """Each phrase, and the phrase as a question is read for its kind, synonyms replaced: the
    question « dans quelle poubelle ? » reads « dans quelle bac » and must still be found."""
    phrases = _read_as_messages(phrases)
    return phrases + [" ".join(_synonyms_in_place(keyword_key(phrase), synonyms, meanings)) for phrase in phrases]


def _with_synonyms(words: list[str], lexicon: QuestionWords) -> list[str]:
    """The words, followed by the meaning of every synonym found (« proprio » adds « propriétaire »)."""
    hits = lexicon.synonyms.find_all(words)
    meanings = [word for hit in hits for word in lexicon.synonym_words[hit.label]]
    # The words of a phrase that says its meaning in other words are not words of their own
    # (« pots de confiture » are « bocaux », not any « pots »); a variant keeps them (« médecin
    # traitant » is a « médecin », and the facts say « médecin traitant »).
    phrased = {
        index
        for hit in hits
        if hit.end - hit.start > 1 and not set(words[hit.start : hit.end]) & set(lexicon.synonym_words[hit.label])
        for index in range(hit.start, hit.end)
    }
    kept = [word for index, word in enumerate(words) if index not in phrased or word in meanings]
    added: list[str] = []
    for hit in hits:
        meaning = list(lexicon.synonym_words[hit.label])
        if len(meaning) == 1:
            added += [word for word in meaning if word not in kept and word not in added]
        elif not _holds_phrase(kept + added, meaning):
            # A meaning of several words is added whole, so that it names what a keyword of
            # the same words names (« sans diplôme » → « école de la seconde chance »).
            added += meaning
    return kept + added


def _holds_phrase(words: Sequence[str], phrase: Sequence[str]) -> bool:
    size = len(phrase)
    return any(list(words[start : start + size]) == list(phrase) for start in range(len(words) - size + 1))


def _counted(words: Sequence[str], index: int, lexicon: QuestionWords) -> tuple[str, ...]:
    """What « combien de … » counts: the words after « de » (up to a few, the question's small
    words left out), with the unit they name (« litres » → « l »): « combien de petits
    commerces » counts « petit », « commerce »."""
    start = index + 1
    # « combien compte-t-on de … », « combien y a-t-il de … »: the verb before « de » counts.
    while start < len(words) and start - index <= _INVERTED_REACH and words[start] in _COUNTING_INVERSION:
        start += 1
    if start > index + 1 and (start >= len(words) or words[start] not in _OF):
        return ()
    after = list(words[start : start + _UNIT_WINDOW + 1])
    if not after or after[0] not in _OF:
        # « combien pour un vélo ? », « combien ça coûte ? »: nothing counted.
        return ()
    after = after[1:]
    counted: list[str] = []
    for word in after:
        if word in _OF or word in lexicon.small_words or word.isdigit():
            if counted:
                break  # « combien de villages de moins de … »: the villages are counted
            continue
        counted.append(word)
    units = [hit.label for hit in lexicon.units.find_all(counted)]
    return tuple(dict.fromkeys([*units, *counted]))


def _kinds(words: Sequence[str], lexicon: QuestionWords, text: str = "") -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The kinds of question the words ask (most specific first), and what a « combien de … »
    counts (its words, the unit first when one is named); ``text``, when given, tells which
    « qui » open a clause."""
    opening = _opening_whos(text)
    hits = [hit for hit in lexicon.kinds.find_all(words) if not _relative(words, hit, opening, lexicon)]
    found = {hit.label for hit in hits}
    alone = lexicon.kinds_alone.covered(words)
    if alone and all(index in alone for hit in hits for index in range(hit.start, hit.end)):
        # « il doit faire une demande ? »: whether one must (« faire une demande » inside it asks
        # nothing else), unless another word asks (« … où ? », « comment … ? »).
        asks_else = any(
            word in lexicon.interrogative_words or word in lexicon.kind_endings
            for index, word in enumerate(words)
            if index not in alone
        )
        if not asks_else:
            found = {hit.label for hit in lexicon.kinds_alone.find_all(words)}
    if not found and words and words[-1] in lexicon.kind_endings:
        found.add(lexicon.kind_endings[words[-1]])
    counted: tuple[str, ...] = ()
    # « combien » within the words of a kind asks that kind (« combien de temps »: a delay), no count.
    asking = lexicon.kinds.covered(words)
    for index, word in enumerate(words):
        if word != _HOW_MANY or index in asking:
            continue
        counted = counted or _counted(words, index, lexicon)
        if counted:
            found.add(_FIGURE_KIND)
        elif not found or (index == len(words) - 1 and _PRONOUN_EN not in words):
            # « c'est combien ? », « combien pour un vélo cargo ? »: a price, whatever else the
            # message asks when it ends on it (« je veux demander l'aide pour un cargo, ça fait
            # combien »); « de combien … réduire les déchets ? »: by how much, a figure.
            # « il y en a combien ? », « on en compte combien ? »: a count of what « en » stands for.
            counts_en = index > 1 and words[index - 2] == _PRONOUN_EN and words[index - 1] in _COUNTING_VERBS
            found.add(_FIGURE_KIND if counts_en or lexicon.change_words.intersection(words) else _AMOUNT_KIND)
    if not counted and _AMOUNT_KIND in found:
        # « le mètre cube me coûtera combien ? »: the price per that unit.
        counted = tuple(hit.label for hit in lexicon.units.find_all(words) if hit.label in lexicon.priced_by)
    if not counted and _FIGURE_KIND in found:
        # « le nombre de généralistes », « les déchetteries, il y en a combien ? »: what the
        # question names, apart from how it asks.
        named = [
            word
            for index, word in enumerate(words)
            if index not in asking and word not in lexicon.small_words and len(word) > 3 and not word.isdigit()
        ]
        # The unit may be a word that asks (« quel pourcentage »): then it is the one counted, not
        # another the question names (« l'argent … monter de quel pourcentage ? »).
        unit_hits = lexicon.units.find_all(words)
        units = [hit.label for hit in unit_hits if hit.start in asking] or [hit.label for hit in unit_hits]
        counted = tuple(dict.fromkeys([*units, *named]))
    if {_CONTACT_KIND, _WHEN_KIND} <= found:
        # « quel jour je peux appeler ? »: when the service answers, its opening days.
        found = (found - {_WHEN_KIND}) | {_OPENING_KIND}
    if len(found) > 1:
        # « c'est quoi le délai ? », « il y a une aide pour ouvrir une boutique, c'est combien ? »:
        # what it is only frames the other kind, which a fact about the topic would not answer.
        found.discard(_WHAT_KIND)
    return tuple(kind for kind in lexicon.kind_order if kind in found), counted


def _opening_whos(text: str) -> list[bool]:
    """For each « qui » of the text, whether it opens a clause (« le permis de louer, qui … ? »)."""
    return [bool(match.group(1)) for match in _WHO_IN_TEXT.finditer(text)]


def _relative(words: Sequence[str], hit: KeywordHit, opening: Sequence[bool], lexicon: QuestionWords) -> bool:
    """The hit is a relative clause, not a question of who (« un fourgon qui fait 2,30 m »); « c'est
    l'agglo qui s'occupe … ? », « …, qui vient ? » ask who all the same."""
    if not lexicon.relates(words, hit.start):
        return False
    ordinal = words[: hit.start].count(words[hit.start])
    return (
        not (ordinal < len(opening) and opening[ordinal])
        and _CLEFT not in words[max(0, hit.start - _CLEFT_REACH) : hit.start]
    )


def _only_asks(words: Sequence[str], lexicon: QuestionWords) -> bool:
    """The words only ask (« et quand ? », « et où ? »): no word of their own."""
    joining = lexicon.joiners.covered(words)
    rest = [word for index, word in enumerate(words) if index not in joining]
    return bool(rest) and all(word in lexicon.interrogative_words for word in rest)


def _content(words: list[str], lexicon: QuestionWords) -> tuple[str, ...]:
    # What wraps the question (« dites-moi », « oui ou non ») or refers to the last one
    # (« plutôt », « même question pour ») names nothing asked about.
    asking = (
        lexicon.kinds.covered(words)
        | lexicon.kinds_alone.covered(words)
        | lexicon.interrogatives.covered(words)
        | lexicon.wrappers.covered(words)
        | lexicon.references.covered(words)
    )
    return tuple(
        word
        for index, word in enumerate(words)
        if index not in asking and word not in lexicon.small_words and len(word) > 2 and word != _HOW_MANY
    )


def _topic(
    words: list[str], lexicon: QuestionWords, detector: _FindsTopics, ignore: frozenset[str]
) -> tuple[str, str] | None:
    """The topic the words name. A word that asks a kind of question (« horaires », « prix »,
    « combien ») names a topic only when no other word does: « les horaires de la déchetterie »
    is about the déchetterie. The words of ``ignore`` name no topic (audiences, during a
    conversation)."""
    asking = lexicon.kinds.covered(words) | lexicon.interrogatives.covered(words)
    without_asking = [word for index, word in enumerate(words) if index not in asking]
    found = detector.find_keyword(" ".join(without_asking), ignore) or detector.find_keyword(" ".join(words), ignore)
    if found and (found[1] in lexicon.generic_words or found[1] in lexicon.audience_words):
        # « la rénovation de Loisinord »: an everyday word yields to another keyword named, and
        # so does a word saying who asks (« je suis propriétaire, combien coûte un composteur ? »).
        other = detector.find_keyword(" ".join(without_asking), ignore | frozenset(found[1].split()))
        if other:
            return other
        # Nor to a keyword of several words that holds a word asking (« qui s'occupe de l'eau »).
        other = detector.find_keyword(" ".join(words), ignore | frozenset(found[1].split()))
        if other and len(other[1].split()) > 1:
            return other
    if found and found[0] in lexicon.yielding_topics:
        other = detector.find_keyword(" ".join(words), ignore | frozenset(found[1].split()))
        if other and other[0] not in lexicon.yielding_topics:
            return other
    if found and found[0] in lexicon.framing_topics:
        # « l'Agglomobile dont parle le projet de territoire »: what the plan speaks of, when a
        # keyword names it for sure.
        other = detector.find_keyword(" ".join(without_asking), ignore | frozenset(found[1].split()))
        if other and other[0] not in lexicon.yielding_topics and names_for_sure(other[1], lexicon):
            return other
    return found


def names_for_sure(keyword: str, lexicon: QuestionWords) -> bool:
    """A keyword that names a topic of the knowledge base for sure: several words (« permis de
    louer ») or a word that is not an everyday one too (kb/lexicon.yml, ``generic_words``:
    « emploi », « numéro ») nor one that says who asks (« propriétaire »: an audience of many
    topics)."""
    return len(keyword.split()) > 1 or keyword not in (lexicon.generic_words | lexicon.audience_words)


def _question(
    text: str, words: list[str], lexicon: QuestionWords, detector: _FindsTopics, ignore: frozenset[str] = frozenset()
) -> Question:
    expanded = _with_synonyms(words, lexicon)
    in_place = _in_place(words, lexicon)
    kinds, counted = _kinds(in_place, lexicon, text)
    # What « combien de … » counts names its topic, though it may say who asks elsewhere
    # (« et pour une commune ? » against « combien de communes dans l'agglo ? »).
    ignore = ignore - frozenset(counted)
    named = _topic(expanded, lexicon, detector, ignore)
    # (without a synonym, the words as written are the words read: nothing to compare)
    as_written = _topic(words, lexicon, detector, ignore) if expanded != words else named
    if named and as_written and as_written[0] != named[0] and len(as_written[1].split()) > 1:
        # A keyword of several words the resident wrote (« louer un vélo ») names the topic
        # before the longer one a synonym's meaning adds (« vélo électrique » → « vélo à
        # assistance électrique »).
        named = as_written
    meant = _topic_after_but(words, lexicon, detector, ignore)
    if meant is not None and named is not None and meant[0] != named[0]:
        named = meant
    else:
        meant = None
    return Question(
        text=text,
        words=tuple(expanded),
        kinds=kinds,
        counted=counted,
        topic=named[0] if named else None,
        content=_content(in_place, lexicon),
        topic_keyword=named[1] if named else None,
        meant=meant is not None,
    )


def _topic_after_but(
    words: list[str], lexicon: QuestionWords, detector: _FindsTopics, ignore: frozenset[str]
) -> tuple[str, str] | None:
    """« on parlait du permis de louer, mais au fait le bus est gratuit ? »: what follows the last
    « mais » (kb/lexicon.yml references ``but``) is what is asked about, when it names a topic
    (not by a word that says who asks)."""
    hits = [hit for hit in lexicon.references.find_all(words) if hit.label == "but"]
    if not hits:
        return None
    named = _topic(_with_synonyms(words[hits[-1].end :], lexicon), lexicon, detector, ignore)
    return None if named is None or named[1] in lexicon.audience_words else named


def _asks(words: list[str], lexicon: QuestionWords) -> bool:
    """The words ask something: a kind of question, or a question word (« quel », « combien »)."""
    in_place = _in_place(words, lexicon)
    return bool(_kinds(in_place, lexicon)[0] or lexicon.asking_words(in_place))


def _segments(text: str, lexicon: QuestionWords) -> list[tuple[str, list[str], list[str]]]:
    """The message cut where a new question starts: after « ? », or at a joining word (« et »)
    when what follows asks something of its own (a kind of question). Each segment: its text,
    its words, and those only a sentence telling the situation said."""
    # Each piece's words, whether it ends with « ? », whether it exclaims before a question.
    pieces: list[tuple[list[str], bool, bool]] = []
    sentences = _pieces(text, _SENTENCE_END)
    may_i = keyword_key(_MAY_I)
    for index, (sentence, mark) in enumerate(sentences):
        words = keywords_of(sentence)
        questioned = "?" in mark
        if "!" in mark and not questioned and any("?" in later for _, later in sentences[index + 1 :]):
            # « ras-le-bol de la paperasse ! …, il faut le refaire ? »: an exclamation before a
            # question asks nothing (its words that would ask a kind are left out); what it names
            # joins the question.
            asking = lexicon.kinds.covered(words)
            pieces.append(([word for position, word in enumerate(words) if position not in asking], False, True))
            continue
        starts = [0]
        for hit in lexicon.joiners.find_all(words):
            if words[hit.start : hit.start + len(may_i)] == may_i:
                continue
            after = words[hit.end :]
            before = words[starts[-1] : hit.start]
            if _asks(after, lexicon) and _asks(before, lexicon):
                starts.append(hit.start)
        for begin, end in zip(starts, [*starts[1:], len(words)], strict=True):
            if words[begin:end]:
                # A sentence that ends with « ? » asks, whatever its words (« il sera où ? »).
                pieces.append((words[begin:end], questioned and end == len(words), False))
    return _merge_statements(pieces, lexicon)


def _pieces(text: str, ends: re.Pattern[str]) -> list[tuple[str, str]]:
    """The non-empty pieces of a text between the marks ``ends`` finds, each with the mark that
    ends it (« ? »: a question ends there; « ! »: an exclamation; empty at the end)."""
    pieces: list[tuple[str, str]] = []
    position = 0
    for match in [*ends.finditer(text), None]:
        end = match.start() if match else len(text)
        if text[position:end].strip():
            pieces.append((text[position:end], match.group() if match is not None else ""))
        position = match.end() if match else end
    return pieces


def _tells_a_situation(words: list[str], questioned: bool, lexicon: QuestionWords) -> bool:
    """« je renouvelle le bail avec le même locataire » before a question: the resident's
    situation, even with a word that may ask a kind (« renouvelle »), when no question word or
    « ? » makes it a question."""
    return (
        not questioned
        and bool(words)
        and words[0] in lexicon.statement_starts
        and not lexicon.asking_words(_in_place(words, lexicon))
    )


def _merge_statements(
    pieces: list[tuple[list[str], bool, bool]], lexicon: QuestionWords
) -> list[tuple[str, list[str], list[str]]]:
    """Sentences that ask nothing (« ça fait des semaines que ma poubelle n'est pas vidée ! »)
    join the question that follows them (or the one before, at the end): they tell its topic."""
    merged: list[tuple[str, list[str], list[str]]] = []
    pending: list[str] = []
    for index, (words, questioned, exclaimed) in enumerate(pieces):
        if (
            exclaimed
            or not (questioned or _asks(words, lexicon))
            or (index < len(pieces) - 1 and _tells_a_situation(words, questioned, lexicon))
        ):
            pending += words
            continue
        combined = pending + words
        # (a comma where they join: « j'habite Isbergues, qui s'occupe … ? » asks who)
        told = [word for word in pending if word not in words]
        merged.append((", ".join(" ".join(part) for part in (pending, words) if part), combined, told))
        pending = []
    if pending:
        if merged:
            text, asked, told = merged[-1]
            told = told + [word for word in pending if word not in asked]
            merged[-1] = (f"{text}, {' '.join(pending)}", asked + pending, told)
        else:
            merged.append((" ".join(pending), pending, []))
    return merged


def question_of(text: str, lexicon: QuestionWords) -> Question:
    """The question a text asks, topic left aside (the topic is already known)."""
    words = keywords_of(text)
    expanded = _with_synonyms(words, lexicon)
    in_place = _in_place(words, lexicon)
    kinds, counted = _kinds(in_place, lexicon, text)
    return Question(text=text, words=tuple(expanded), kinds=kinds, counted=counted, content=_content(in_place, lexicon))


_CLAUSE_END = re.compile(r"[,;:.!?]+")


def _elliptic_negation(words: list[str], lexicon: QuestionWords) -> int:
    """Where « pas » opening a clause ends (« pas la cuve », « non pas la cuve », « non pardon,
    pas la cuve »), or 0; « pas du tout » is an answer, not a correction."""
    start = 1 if words[:1] and lexicon.negations.find_all(words[:1]) else 0
    apology = next((hit for hit in lexicon.apologies.find_all(words[start:]) if hit.start == 0), None)
    if start and apology is not None:
        # « non excusez-moi, pas … »
        start += apology.end
    if words[start : start + 1] != [_NOT] or lexicon.negations.find_all(words[start:]):
        return 0
    return start + 1


def _without_corrections(text: str, lexicon: QuestionWords, detector: _FindsTopics) -> tuple[list[str], str, bool]:
    """The topics a correction says are not meant, the message without what they reject, and
    whether it corrects: « je ne parle pas de X (mais de Y) » rejects X up to « mais » or the end
    of its clause; « c'est pas ma question, … » rejects only itself."""
    rejected: list[str] = []
    kept: list[str] = []
    corrected = False
    for clause, mark in _pieces(text, _CLAUSE_END):
        asks = "?" in mark or _YES_OR_NO_END.search(clause)
        end_mark = " ?" if asks else " !" if "!" in mark else "."
        words = keywords_of(clause)
        hits = lexicon.references.find_all(words)
        wrong = [hit for hit in hits if hit.label in ("not_that", "wrong")]
        elliptic = _elliptic_negation(words, lexicon)
        if not wrong and elliptic:
            # « non, pas la zone à faibles émissions : le bus » : « pas … » opening a clause.
            wrong = [KeywordHit("not_that", elliptic - 1, elliptic)]
            hits = [*wrong, *hits]
        if not wrong:
            kept.append(" ".join(words) + end_mark)
            continue
        corrected = True
        start = wrong[0]
        if start.label == "wrong":
            kept.append(" ".join(words[: start.start] + words[start.end :]) + end_mark)
            continue
        end = next((hit.start for hit in hits if hit.label == "but" and hit.start > start.end), len(words))
        rejected_words = words[start.end : end]
        # « pas de l'amende mais du prix »: a kind of question is corrected, not the topic.
        topic = None if _kinds(rejected_words, lexicon)[0] else detector.find(" ".join(rejected_words))
        if topic:
            rejected.append(topic)
        kept.append(" ".join(words[: start.start] + words[end:]) + end_mark)
    return rejected, " ".join(part for part in kept if part.strip(" .?")), corrected


def read(
    text: str,
    kb: _KnowsWords,
    detector: _FindsTopics,
    *,
    in_conversation: bool = False,
    lexicon: QuestionWords | None = None,
) -> Reading:
    """What ``text`` asks (see :class:`Reading`); at most two questions. ``in_conversation``: a
    topic is being discussed, so words naming an audience (« et pour une association ? ») name
    no topic of their own."""
    lexicon = lexicon or question_words(kb)
    ignore = lexicon.audience_words if in_conversation else frozenset()
    words = keywords_of(text)
    english = _is_english(words, lexicon.english)
    wrappers = lexicon.wrappers.find_all(words)
    labels = [hit.label for hit in lexicon.references.find_all(words)]
    negation = bool(lexicon.negations.find_all(words[:2]))
    rejected, kept_text, corrected = _without_corrections(text, lexicon, detector)
    segments = _segments(kept_text, lexicon)[:2] or [(kept_text, keywords_of(kept_text), [])]
    questions = [
        replace(_question(piece, piece_words, lexicon, detector, ignore), told=tuple(dict.fromkeys(told)))
        for piece, piece_words, told in segments
    ]
    if len(questions) == 2 and questions[0].kinds and _refers_to_the_first(segments[1][1], lexicon):
        # « la piscine de Bruay est ouverte l'hiver ? et celle de Lillers ? »: the same question
        # for what the second names.
        first, second = questions
        questions = [
            first,
            replace(
                second,
                kinds=first.kinds,
                counted=second.counted or first.counted,
                topic=second.topic or first.topic,
                topic_keyword=second.topic_keyword or first.topic_keyword,
            ),
        ]
    elif len(questions) == 2 and questions[0].kinds and _only_asks(segments[1][1], lexicon):
        # « le PAT a démarré où et quand ? »: one question of two kinds, which one fact may answer
        # (two answers showed it twice).
        first, second = questions
        questions = [replace(first, kinds=tuple(dict.fromkeys([*first.kinds, *second.kinds])))]
    elif len(questions) == 2:
        first, second = questions
        if (
            (not second.kinds and second.topic is None)
            # « qui gère l'eau, l'agglo ou la mairie ? »: a second that only offers choices for
            # the first's answer.
            or (first.kinds and not second.kinds and _ALTERNATIVE in segments[1][1])
            # « sérieux ?! les médecins, on en a que 114 ? »: a first that asks nothing of its own.
            or (not first.kinds and first.topic is None)
            # « il y en a combien en tout, des piscines ? »: the thing « en » stands for, said last.
            or (first.kinds and not second.kinds and _dislocated(segments[0][1], segments[1][1]))
            # « elle arrive quand, votre mutuelle pour tous ? »: what a question that names nothing
            # is about, said after it.
            or (first.kinds and first.topic is None and second.topic is not None and not second.kinds)
            or (
                (first.topic, first.kind, first.counted)
                == (
                    second.topic or first.topic,
                    second.kind,
                    second.counted or first.counted,
                )
                # (« quel est le taux de chômage ? et le nombre de zones d'activités ? »: the
                # same kind about another thing is another question)
                and set(second.content) <= set(first.content)
            )
        ):
            # The same question said twice (« c'est quoi … et c'est pour quoi ? »), or a second
            # that asks nothing of its own (« …, on a quoi comme info ? »): one answer;
            # « combien d'habitants … et combien de communes ? » counts two things.
            told = [word for _, _, told_words in segments for word in told_words]
            asked = {word for _, piece_words, _ in segments for word in piece_words} - set(told)
            questions = [
                replace(
                    _question(kept_text, keywords_of(kept_text), lexicon, detector, ignore),
                    told=tuple(dict.fromkeys(word for word in told if word not in asked)),
                )
            ]
    if len(questions) == 2 and _asks_of_the_first(questions[1]):
        # « les déchetteries ouvrent à quelle heure, et faut-il un justificatif ? »: the second
        # asks of what the first named (the déchetteries' proof of address, not a form for bins).
        first, second = questions
        named = tuple(word for word in first.content if word not in second.content)
        questions = [first, replace(second, words=(*second.words, *named), content=(*second.content, *named))]
    audiences = lexicon.audiences.find_all(words)
    # « non, pas l'école d'ingénieurs, la cité des métiers »: another aspect of the same topic is
    # meant, so the topic itself is not rejected (only the words of what was).
    rejected = [topic for topic in rejected if topic not in {question.topic for question in questions}]
    return Reading(
        questions=tuple(questions),
        english=english,
        negation=negation,
        correction=corrected,
        back_to="back_to" in labels,
        same_question="same_question" in labels or _elliptic(words, questions, lexicon),
        audience=audiences[0].label if audiences else None,
        wrapped=bool(wrappers),
        rejected_topics=tuple(rejected),
    )


def _dislocated(first: Sequence[str], second: Sequence[str]) -> bool:
    """The second words only say what the first's « en » stood for (« …, des piscines »)."""
    return _PRONOUN_EN in first and bool(second) and second[0] in _PARTITIVES


def _asks_of_the_first(second: Question) -> bool:
    """A second question of a kind that names no topic and no word of its own (« et faut-il un
    justificatif ? »: « faut » aside)."""
    return bool(second.kinds) and second.topic is None and not [word for word in second.content if len(word) > 4]


def _refers_to_the_first(words: list[str], lexicon: QuestionWords) -> bool:
    """The words open with « et celle de », « même question pour »: they ask the question before
    them again, of something else."""
    return any(hit.label == "same_question" and hit.start == 0 for hit in lexicon.references.find_all(words))


def _elliptic(words: list[str], questions: Sequence[Question], lexicon: QuestionWords) -> bool:
    """A short message that opens with « et » and asks nothing of its own (« et d'associations ? »):
    the last question, of what it names."""
    return (
        len(words) <= _ELLIPSIS_MAX_WORDS
        and not any(question.kinds for question in questions)
        and any(hit.label == _ELLIPSIS and hit.start == 0 for hit in lexicon.references.find_all(words))
    )


def kind_fields(kind: str | None, lexicon: QuestionWords) -> tuple[str, ...]:
    """The fields whose facts answer a kind of question, best first (none: an overview)."""
    return lexicon.kind_fields.get(kind or "", ())
