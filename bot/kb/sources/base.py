"""What every importer of an official dataset gives the knowledge-base build.

An importer reads one dataset installed at install time (an npm package in ``node_modules``)
or vendored in ``kb/sources/`` (a copy with its commit and SHA-256), never the network, and
turns the part that concerns the Agglo into facts of a topic, in the same raw form as the
topic files' facts: :mod:`bot.kb.content` validates them by the same rules, and marks them
``imported_from`` (read-only in the console's editor). It also gives a flat ``record`` of what
it read (amounts, dates, address), which the build compares with the previous build's to show
what changed when the data is upgraded.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol


class ImportFailed(Exception):
    """The dataset cannot be imported as it is: each problem names the file and what to do."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class ImportContext:
    """Where the datasets are: the content folder (vendored copies and each import's settings
    under ``kb/sources/``) and the npm packages installed at install time (None: none)."""

    kb_dir: Path
    packages_dir: Path | None = None


@dataclass(frozen=True)
class ImportedDataset:
    """What one importer read, and the facts it makes of it."""

    dataset: str  # a stable name, e.g. "mes_aides_velo"
    title: str  # how residents and editors know it, e.g. "Mes Aides Vélo"
    topic: str  # the topic slug the facts belong to
    config: Path  # the import's settings file, relative to kb/, named in problems
    # The copy used (package and version, or repository and commit) and why it was chosen.
    origin: str
    notes: tuple[str, ...]
    # The dataset's own date of last update: its facts are dated from it (source.verified_on).
    last_update: dt.date
    # Raw facts, as in a topic file, each with "variant" and "told_when_ended" when relevant.
    facts: tuple[dict[str, Any], ...]
    # Flat description of what was read, compared build to build (the import's change report).
    record: Mapping[str, str] = field(default_factory=dict)


class Importer(Protocol):
    """One official dataset. ``load`` raises :class:`ImportFailed` with every problem."""

    name: str

    def load(self, context: ImportContext) -> ImportedDataset: ...


@dataclass(frozen=True)
class RecordChange:
    """One line of what changed in an imported dataset since the previous build."""

    key: str
    old: str | None  # None: new in this build
    new: str | None  # None: gone from the data


def record_changes(previous: Mapping[str, str] | None, current: Mapping[str, str]) -> list[RecordChange]:
    """What differs between two records, in the current record's order, then what disappeared.
    No previous record (a first import) gives no change."""
    if previous is None:
        return []
    changes = [
        RecordChange(key, previous.get(key), value) for key, value in current.items() if previous.get(key) != value
    ]
    changes += [RecordChange(key, value, None) for key, value in previous.items() if key not in current]
    return changes


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
