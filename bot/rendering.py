"""HTML pages from Jinja2 templates, every value escaped: the web front's pages and the staff report."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import jinja2

_HTTP_URL = re.compile(r"https?://[^\s]+\Z", re.IGNORECASE)


def french_date(value: dt.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else "?"


def french_datetime(value: dt.datetime | None) -> str:
    return value.strftime("%d/%m/%Y à %H:%M") if value else "?"


def http_url(value: str) -> str:
    """The address itself if it is http(s), else a harmless one (never ``javascript:``)."""
    return value if _HTTP_URL.match(value) else "#"


def make_environment(templates_dir: Path) -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir),
        # Escape everything, whatever the file name: pages show knowledge-base and user text.
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["french_date"] = french_date
    environment.filters["french_datetime"] = french_datetime
    environment.filters["http_url"] = http_url
    return environment


def render(environment: jinja2.Environment, name: str, **context: Any) -> str:
    return environment.get_template(name).render(**context)
