"""The long-lived objects a process needs, created on first use and then reused."""

from __future__ import annotations

import threading
from functools import cached_property

from bot.kb.queries import KnowledgeBase
from bot.matching import CommuneMatcher, OrientationFinder, TopicDetector
from bot.settings import Settings, load_settings


class Services:
    """One knowledge base connection and the matchers built from it."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @cached_property
    def kb(self) -> KnowledgeBase:
        return KnowledgeBase(self.settings.database_url)

    @cached_property
    def communes(self) -> CommuneMatcher:
        return CommuneMatcher(self.kb.communes(), self.kb.aliases(), self.kb.french_words())

    @cached_property
    def topics(self) -> TopicDetector:
        return TopicDetector(self.kb.topics())

    @cached_property
    def orientation(self) -> OrientationFinder:
        return OrientationFinder(self.kb.orientations())


_lock = threading.Lock()
_services: Services | None = None


def get_services() -> Services:
    """The process-wide services, created from the environment on first call."""
    global _services
    with _lock:
        if _services is None:
            _services = Services(load_settings())
        return _services


def reset_services() -> None:
    """Forget the process-wide services (tests, or after a knowledge-base rebuild)."""
    global _services
    with _lock:
        _services = None
