"""Official datasets imported at ``kb build``: one module per dataset, registered here.

Each importer (the :class:`~bot.kb.sources.base.Importer` interface) reads a dataset installed at
install time or vendored in ``kb/sources/`` (nothing is fetched at build or run time) and gives
facts for a topic; :func:`bot.kb.content.load_content` validates them like the topic files' and
marks them ``imported_from``. To add a dataset (aides-jeunes' benefits for the territory, the
Agglo's data on data.gouv.fr), write a module with a class that has a ``name`` and a ``load``
method, put its settings in ``kb/sources/<name>/``, and add it to :data:`IMPORTERS`.
"""

from __future__ import annotations

from bot.kb.sources.base import (
    ImportContext,
    ImportedDataset,
    Importer,
    ImportFailed,
    RecordChange,
    record_changes,
)
from bot.kb.sources.mes_aides_velo import MesAidesVelo

# Every importer the build calls, in this order.
IMPORTERS: tuple[Importer, ...] = (MesAidesVelo(),)

__all__ = [
    "IMPORTERS",
    "ImportContext",
    "ImportFailed",
    "ImportedDataset",
    "Importer",
    "RecordChange",
    "record_changes",
]
