"""`make audit` (ops/audit.py): which advisories affect the lock, and a new one fails the audit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.settings import PROJECT_ROOT
from ops import audit

ADVISORY = {"id": "PYSEC-1", "package": "Aio_HTTP", "aliases": ["CVE-1"], "summary": "x", "ranges": []}


def test_the_lock_is_read_with_canonical_names(tmp_path: Path) -> None:
    lock = tmp_path / "requirements.lock"
    lock.write_text("# comment\nAio_HTTP==3.9.5\n    # via rasa\nruamel.yaml==0.17.21 ; python_version < '4'\n")
    assert audit.locked(lock) == {"aio-http": "3.9.5", "ruamel-yaml": "0.17.21"}


@pytest.mark.parametrize(
    ("version", "ranges", "versions", "affected"),
    [
        ("3.9.5", [{"introduced": "0", "fixed": "3.13.4"}], [], True),
        ("3.13.4", [{"introduced": "0", "fixed": "3.13.4"}], [], False),
        ("1.0", [{"introduced": "2.0", "fixed": "3.0"}], [], False),
        ("2.5", [{"introduced": "2.0", "last_affected": "2.5"}], [], True),
        ("2.6", [{"introduced": "2.0", "last_affected": "2.5"}], [], False),
        ("1.2.3", [], ["1.2.3"], True),
    ],
)
def test_osv_ranges(version: str, ranges: list[dict[str, str]], versions: list[str], affected: bool) -> None:
    assert audit._affected(version, ranges, versions) is affected


def test_a_new_advisory_fails_and_a_reviewed_one_passes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    snapshot = tmp_path / "advisories.json"
    advisory = {**ADVISORY, "ranges": [{"introduced": "0", "fixed": "99"}]}
    snapshot.write_text(
        json.dumps({"source": "test", "commit": "0" * 40, "date": "2026-12-01", "advisories": [advisory]})
    )
    reviewed = tmp_path / "reviewed.yml"
    reviewed.write_text("advisories: []\n")
    monkeypatch.setattr(audit, "SNAPSHOT", snapshot)
    monkeypatch.setattr(audit, "REVIEWED", reviewed)
    monkeypatch.setattr(audit, "locked", lambda lock=None: {"aio-http": "3.9.5"})
    monkeypatch.setattr(audit, "pip_audit", lambda lock=None: None)  # no service reachable
    monkeypatch.setattr(audit, "write_sboms", lambda output=None: [])
    monkeypatch.setattr(audit, "PROJECT_ROOT", tmp_path)
    assert audit.check() == 1
    # Reviewed under one of its aliases: it passes.
    reviewed.write_text("advisories:\n  - {id: CVE-1, package: aio-http, reachable: 'no', why: x, mitigation: y}\n")
    assert audit.check() == 0


def test_pip_audit_skipping_every_package_means_no_service(monkeypatch: pytest.MonkeyPatch) -> None:
    skipped = {"dependencies": [{"name": "jinja2", "skip_reason": "Dependency not found on PyPI"}], "fixes": []}

    class Completed:
        stdout = json.dumps(skipped)

    monkeypatch.setattr(audit.subprocess, "run", lambda *args, **kwargs: Completed())
    monkeypatch.setattr(audit, "_reachable", lambda url: True)
    assert audit.pip_audit() is None
    found: dict[str, Any] = {
        "dependencies": [{"name": "Jinja2", "version": "3.1.2", "vulns": [{"id": "GHSA-x", "aliases": ["CVE-2"]}]}]
    }
    Completed.stdout = json.dumps(found)
    assert [(item["package"], item["id"]) for item in audit.pip_audit() or []] == [("jinja2", "GHSA-x")]
    # No network at all: pip-audit is not even started.
    monkeypatch.setattr(audit, "_reachable", lambda url: False)
    assert audit.pip_audit() is None


def test_every_reviewed_advisory_affects_the_lock_and_is_in_the_security_page() -> None:
    snapshot = json.loads(audit.SNAPSHOT.read_text(encoding="utf-8"))
    found = audit.matching([*snapshot["advisories"], *snapshot.get("added", [])], audit.locked())
    reviewed = audit.reviewed()
    assert not audit.unreviewed(found, reviewed)
    assert set(reviewed) <= {item["id"] for item in found}
    page = (PROJECT_ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    for advisory_id, entry in reviewed.items():
        assert advisory_id in page and entry["reachable"] in ("yes", "no")
