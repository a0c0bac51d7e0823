"""The documentation keeps up with the code: every setting is in docs/operations.md's table, every
path of the README's file map exists, and every relative link of the Markdown pages resolves."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from bot.settings import PROJECT_ROOT, Settings, env_name

OPERATIONS = PROJECT_ROOT / "docs" / "operations.md"
README = PROJECT_ROOT / "README.md"
# Variables the launchers (ops/dev.py, ops/prod/) set for Rasa's endpoints files that are not
# settings; docs/operations.md lists them under the settings table.
LAUNCHER_VARIABLES = {"AGGLO_ACTIONS_URL", "AGGLO_REDIS_HOST"}
# The pages whose links are checked.
PAGES = [README, PROJECT_ROOT / "kb" / "README.md", *sorted((PROJECT_ROOT / "docs").glob("*.md"))]

_VARIABLE = re.compile(r"`(AGGLO_[A-Z0-9_]+)`")
_CODE_SPAN = re.compile(r"`([^`]+)`")
_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)|!\[[^\]]*\]\(([^)\s]+)\)")
_FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)


def _section(text: str, heading: str) -> str:
    """The lines under ``heading`` (a ``## `` heading), up to the next heading of that level."""
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", text, re.MULTILINE | re.DOTALL)
    assert match, f"no '## {heading}' section"
    return match.group(1)


def _table_variables(section: str) -> set[str]:
    """The variables named in the first column of the section's tables."""
    names: set[str] = set()
    for line in section.splitlines():
        if line.startswith("|") and not line.startswith("| ---"):
            first_cell = line.split("|")[1]
            names.update(_VARIABLE.findall(first_cell))
    return names


def test_every_setting_is_in_the_operations_table_and_nothing_else() -> None:
    documented = _table_variables(_section(OPERATIONS.read_text(encoding="utf-8"), "Settings"))
    fields = {env_name(name) for name in Settings.__fields__}
    assert fields - documented == set(), "settings missing from docs/operations.md's table"
    assert documented - fields - LAUNCHER_VARIABLES == set(), "docs/operations.md names variables that are not settings"
    assert documented >= LAUNCHER_VARIABLES, "the launcher-set variables are not listed in docs/operations.md"


def _file_map_paths() -> list[str]:
    """Every code span without spaces on the list items of the README's file map (the paths)."""
    section = _section(README.read_text(encoding="utf-8"), "File map")
    items = [line for line in section.splitlines() if line.lstrip().startswith("- ")]
    assert len(items) >= 20, "the file map should have one line per folder"
    return [span for line in items for span in _CODE_SPAN.findall(line) if not re.search(r"\s", span)]


@pytest.mark.parametrize("path", _file_map_paths())
def test_every_path_of_the_readme_file_map_exists(path: str) -> None:
    assert (PROJECT_ROOT / path).exists(), f"README's file map names {path}, which does not exist"


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"`|\*\*|\[([^\]]*)\]\([^)]*\)", lambda match: match.group(1) or "", heading.strip().lower())
    kept = "".join(char for char in text if char in " -_" or unicodedata.category(char)[0] in ("L", "M", "N"))
    return kept.replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    text = _FENCE.sub("", page.read_text(encoding="utf-8"))
    anchors: set[str] = set()
    for heading in re.findall(r"^#{1,6} (.+)$", text, re.MULTILINE):
        anchor = github_anchor(heading)
        suffix, candidate = 0, anchor
        while candidate in anchors:
            suffix += 1
            candidate = f"{anchor}-{suffix}"
        anchors.add(candidate)
    return anchors


def _links(page: Path) -> list[str]:
    text = _FENCE.sub("", page.read_text(encoding="utf-8"))
    text = re.sub(r"`[^`\n]*`", "", text)
    return [link or image for link, image in _LINK.findall(text)]


def broken_links(page: Path) -> list[str]:
    """The relative links of ``page`` whose file or ``#anchor`` does not exist."""
    broken = []
    for link in _links(page):
        if re.match(r"[a-z]+:", link):
            continue  # http(s), mailto: not checked here
        target, _, anchor = link.partition("#")
        path = (page.parent / target).resolve() if target else page
        if not path.exists():
            broken.append(f"{link} (no such file)")
        elif anchor and (path.suffix != ".md" or anchor not in _anchors(path)):
            broken.append(f"{link} (no such heading)")
    return broken


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(PROJECT_ROOT)))
def test_every_relative_link_resolves(page: Path) -> None:
    assert broken_links(page) == []


def test_anchors_are_githubs() -> None:
    assert github_anchor("Content editor (editors only)") == "content-editor-editors-only"
    assert (
        github_anchor("Freshness: `verified_on` and `kb check --stale`") == "freshness-verified_on-and-kb-check---stale"
    )
    assert github_anchor("Ce que les habitants n'ont pas obtenu : le rapport") == (
        "ce-que-les-habitants-nont-pas-obtenu--le-rapport"
    )
    assert github_anchor("Mettre à jour une réponse") == "mettre-à-jour-une-réponse"
