"""The long-lived objects a process needs, created on first use and then reused."""

from __future__ import annotations

from functools import cached_property

from bot.core.emergencies import SAFETY_FAMILY, EmergencyDetector, emergency_detector
from bot.core.matching import CommuneMatcher, OrientationFinder, TopicDetector
from bot.core.people import PeopleDetector, people_detector
from bot.core.streets import street_matcher
from bot.kb.queries import KnowledgeBase
from bot.settings import Settings


def _commune_matcher(kb: KnowledgeBase) -> CommuneMatcher:
    return CommuneMatcher(kb.communes(), kb.aliases(), kb.french_words(), street_matcher(kb).street_words)


def _topic_detector(kb: KnowledgeBase) -> TopicDetector:
    # The emergencies are recognised by their own patterns (bot/core/emergencies.py), never as a topic.
    return TopicDetector(topic for topic in kb.topics() if topic.family != SAFETY_FAMILY)


def _orientation_finder(kb: KnowledgeBase) -> OrientationFinder:
    return OrientationFinder(kb.orientations())


class Services:
    """One knowledge base connection and the matchers built from it.

    The matchers belong to the knowledge base's snapshot: when a new build is published they
    are rebuilt from it, so they never disagree with the content being served.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @classmethod
    def over(cls, kb: KnowledgeBase, settings: Settings) -> Services:
        """The services of a knowledge base already open (the editor's trial copy)."""
        services = cls(settings)
        services.__dict__["kb"] = kb
        return services

    @cached_property
    def kb(self) -> KnowledgeBase:
        return KnowledgeBase(self.settings.database_url)

    @property
    def communes(self) -> CommuneMatcher:
        return self.kb.derived("communes", _commune_matcher)

    @property
    def topics(self) -> TopicDetector:
        return self.kb.derived("topics", _topic_detector)

    @property
    def orientation(self) -> OrientationFinder:
        return self.kb.derived("orientation", _orientation_finder)

    @property
    def emergencies(self) -> EmergencyDetector:
        return self.kb.derived("emergencies", emergency_detector)

    @property
    def people(self) -> PeopleDetector:
        return self.kb.derived("people", people_detector)
