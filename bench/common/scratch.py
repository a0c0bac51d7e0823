"""A scratch copy of ``kb/``, built into a temporary directory, for the benchmarks that change
the content while they measure (the project's own kb/ and var/ are never touched)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.kb.build import build
from bot.settings import PROJECT_ROOT, Settings


@contextmanager
def scratch_knowledge_base(settings: Settings, prefix: str) -> Iterator[Settings]:
    """``settings`` with a copy of ``kb/`` (``kb_dir``), built into ``var_dir``'s own SQLite
    database; everything is deleted afterwards."""
    with tempfile.TemporaryDirectory(prefix=prefix) as scratch:
        directory = Path(scratch)
        kb_dir = directory / "kb"
        shutil.copytree(PROJECT_ROOT / "kb", kb_dir)
        scratch_settings = settings.copy(
            update={"kb_dir": kb_dir, "var_dir": directory, "database_url": f"sqlite:///{directory / 'kb.sqlite3'}"}
        )
        build(scratch_settings)
        yield scratch_settings
