"""The benchmarks read the environment only in their entry points (``__main__``), through the
settings; every other module takes what it needs as arguments."""

from __future__ import annotations

import ast
from pathlib import Path

from bot.settings import PROJECT_ROOT

BENCH = PROJECT_ROOT / "bench"
# What reads the environment: the process's own mapping, and the settings loaders.
ENVIRONMENT_READERS = {"environ", "getenv", "load_settings", "production_settings"}


def _names_used(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    names |= {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    return names


def test_only_the_entry_points_read_the_environment() -> None:
    modules = [path for path in BENCH.rglob("*.py") if path.name != "__main__.py"]
    assert len(modules) > 20
    readers = {str(path.relative_to(PROJECT_ROOT)): sorted(_names_used(path) & ENVIRONMENT_READERS) for path in modules}
    assert {module: names for module, names in readers.items() if names} == {}


def test_every_benchmark_has_an_entry_point() -> None:
    for name in ("quality", "speed", "prod", "report_speed", "live_kb"):
        assert (BENCH / name / "__main__.py").is_file(), name
