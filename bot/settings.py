"""Settings read from the environment, with defaults that work from a fresh clone."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    """Where the content and the databases live."""

    kb_dir: Path
    database_url: str
    var_dir: Path
    french_communes_file: Path

    @property
    def sqlite_path(self) -> Path | None:
        """The database file when the knowledge base is SQLite, else None."""
        prefix = "sqlite:///"
        if self.database_url.startswith(prefix):
            return Path(self.database_url[len(prefix) :])
        return None


def load_settings() -> Settings:
    """Read the settings now (never at import time, so tests can change the environment)."""
    var_dir = Path(os.environ.get("AGGLO_VAR_DIR", PROJECT_ROOT / "var"))
    return Settings(
        kb_dir=Path(os.environ.get("AGGLO_KB_DIR", PROJECT_ROOT / "kb")),
        database_url=os.environ.get("DATABASE_URL", f"sqlite:///{var_dir / 'kb.sqlite3'}"),
        var_dir=var_dir,
        # Official list of French communes (npm package @etalab/decoupage-administratif,
        # installed by `make install`), used to recognise communes that are not members.
        french_communes_file=Path(
            os.environ.get(
                "AGGLO_FRENCH_COMMUNES",
                PROJECT_ROOT / "node_modules/@etalab/decoupage-administratif/data/communes.json",
            )
        ),
    )


def days_setting(name: str, default: int, environ: Mapping[str, str] = os.environ) -> int:
    """A number of days from the environment variable ``name`` (``default`` when unset); a
    negative or non-numeric value is refused with a message naming the variable."""
    value = environ.get(name, "").strip()
    if not value:
        return default
    try:
        days = int(value)
    except ValueError:
        raise ValueError(f"{name} must be a number of days, not {value!r}") from None
    if days < 0:
        raise ValueError(f"{name} must be a number of days ≥ 0, not {value!r}")
    return days
