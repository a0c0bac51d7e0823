"""``make audit``: known advisories of the locked Python set, and the SBOMs (docs/security.md).

    python -m ops.audit                       # check requirements.lock, write the SBOMs
    python -m ops.audit snapshot REPOSITORY   # refresh ops/audit/advisories.json from a
                                              # checkout of github.com/pypa/advisory-database

1. ``pip-audit`` (ops/tools/, ``make tools``) asks its advisory services about every locked
   version. From the project's machines neither answers: PyPI's per-version JSON API (pip-audit's
   ``pypi`` service) is not served here, only the package index, and OSV's API is not reachable;
   pip-audit then skips every package. When that happens, and only then, the check falls back
   to the reviewed snapshot of the PyPA advisory database committed in ``ops/audit/advisories.json``
   (every advisory of every locked package, with its affected ranges), and says so.
2. Every advisory that affects a locked version must be in ``ops/audit/reviewed.yml``, with
   whether this deployment can reach it and its mitigation (docs/security.md lists them): an
   advisory that is not fails the audit, so CI fails on a new one.
3. The SBOMs (CycloneDX JSON) go to ``var/audit/``: the locked Python set (``cyclonedx-py
   requirements``: the lock file, since no container image can be built here) and the npm
   packages (``npm sbom``, from package-lock.json).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from bot.settings import PROJECT_ROOT

LOCK = PROJECT_ROOT / "requirements.lock"
AUDIT_DIR = PROJECT_ROOT / "ops" / "audit"
SNAPSHOT = AUDIT_DIR / "advisories.json"
REVIEWED = AUDIT_DIR / "reviewed.yml"
TOOLS = PROJECT_ROOT / ".venv-tools" / "bin"
OUTPUT = PROJECT_ROOT / "var" / "audit"
PYPI_PROBE = "https://pypi.org/pypi/pip/json"
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;]+)")


def locked(lock: Path = LOCK) -> dict[str, str]:
    """Package (canonical name) → locked version."""
    pins: dict[str, str] = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        match = _PIN.match(line.strip())
        if match:
            pins[canonicalize_name(match.group(1))] = match.group(2)
    return pins


def _affected(version: str, ranges: Iterable[Mapping[str, str]], versions: Iterable[str]) -> bool:
    """OSV's rule: listed explicitly, or inside an ECOSYSTEM range [introduced, fixed)."""
    if version in versions:
        return True
    try:
        current = Version(version)
    except InvalidVersion:
        return False
    for events in ranges:
        introduced = Version(events.get("introduced", "0") or "0")
        fixed = events.get("fixed")
        last = events.get("last_affected")
        if current < introduced:
            continue
        if fixed is not None and current >= Version(fixed):
            continue
        if last is not None and current > Version(last):
            continue
        return True
    return False


def matching(advisories: Iterable[Mapping[str, Any]], pins: Mapping[str, str]) -> list[dict[str, Any]]:
    """The advisories that affect a locked version."""
    found = []
    for advisory in advisories:
        package = canonicalize_name(advisory["package"])
        if package in pins and _affected(pins[package], advisory["ranges"], advisory.get("versions", [])):
            found.append({"id": advisory["id"], "package": package, "version": pins[package], **_about(advisory)})
    return found


def _about(advisory: Mapping[str, Any]) -> dict[str, Any]:
    return {"aliases": advisory.get("aliases", []), "summary": advisory.get("summary", "")}


def pip_audit(lock: Path = LOCK) -> list[dict[str, Any]] | None:
    """pip-audit's findings, or None when its services could not audit the lock (from here:
    every package skipped, or no answer at all)."""
    if not _reachable(PYPI_PROBE):
        return None
    command = [str(TOOLS / "pip-audit"), "-r", str(lock), "--no-deps", "--disable-pip", "-f", "json"]
    command += ["--progress-spinner", "off", "-s", "pypi", "--timeout", "10"]
    try:
        completed = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    except subprocess.TimeoutExpired:
        return None
    try:
        report = json.loads(completed.stdout)
    except ValueError:
        return None
    dependencies = report.get("dependencies", [])
    if not dependencies or all("skip_reason" in dependency for dependency in dependencies):
        return None
    return [
        {"id": vulnerability["id"], "package": canonicalize_name(dependency["name"]), "version": dependency["version"]}
        | {"aliases": vulnerability.get("aliases", []), "summary": vulnerability.get("description", "")[:200]}
        for dependency in dependencies
        for vulnerability in dependency.get("vulns", [])
    ]


def _reachable(url: str) -> bool:
    """One quick request first: with no network at all, pip-audit would wait on every package."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - a fixed https URL
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def reviewed(path: Path | None = None) -> dict[str, dict[str, Any]]:
    entries = yaml.safe_load((path or REVIEWED).read_text(encoding="utf-8"))["advisories"]
    return {entry["id"]: entry for entry in entries}


def unreviewed(found: Iterable[Mapping[str, Any]], known: Mapping[str, Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Findings no reviewed entry covers (by id or by one of its aliases)."""
    return [
        finding
        for finding in found
        if finding["id"] not in known and not any(alias in known for alias in finding.get("aliases", []))
    ]


def write_sboms(output: Path = OUTPUT) -> list[Path]:
    output.mkdir(parents=True, exist_ok=True)
    python_sbom = output / "sbom-python.cdx.json"
    subprocess.run(
        [str(TOOLS / "cyclonedx-py"), "requirements", str(LOCK), "--of", "JSON", "-o", str(python_sbom)],
        check=True,
        capture_output=True,
    )
    written = [python_sbom]
    npm = shutil.which("npm")
    if npm is not None:
        # From package-lock.json alone, like the Python one from the lock file.
        sbom = subprocess.run(
            [npm, "sbom", "--sbom-format", "cyclonedx", "--omit", "dev", "--package-lock-only"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        (output / "sbom-npm.cdx.json").write_text(sbom.stdout, encoding="utf-8")
        written.append(output / "sbom-npm.cdx.json")
    return written


def check() -> int:
    pins = locked()
    found = pip_audit()
    if found is None:
        snapshot = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
        print(
            f"pip-audit could not reach an advisory service (PyPI's per-version JSON API and OSV are not "
            f"served here): checking the {len(pins)} locked packages against the reviewed snapshot "
            f"{SNAPSHOT.relative_to(PROJECT_ROOT)} ({snapshot['source']} at {snapshot['commit'][:12]}, "
            f"{snapshot['date']}: {len(snapshot['advisories'])} advisories; and {len(snapshot.get('added', []))} "
            "added by hand since)."
        )
        found = matching([*snapshot["advisories"], *snapshot.get("added", [])], pins)
    else:
        print(f"pip-audit audited the {len(pins)} locked packages: {len(found)} advisories.")
    known = reviewed()
    new = unreviewed(found, known)
    print(f"{len(found)} advisories affect the locked set, {len(found) - len(new)} reviewed (docs/security.md).")
    for finding in new:
        print(f"  NEW: {finding['package']} {finding['version']}: {finding['id']} {finding['aliases']}")
    matched = {finding["id"] for finding in found} | {
        alias for finding in found for alias in finding.get("aliases", [])
    }
    for stale in sorted(set(known) - matched):
        print(f"  no longer affects the lock, remove it from {REVIEWED.name}: {stale}")
    for path in write_sboms():
        print(f"SBOM: {path.relative_to(PROJECT_ROOT)}")
    if new:
        print(f"error: review them in {REVIEWED.relative_to(PROJECT_ROOT)} and docs/security.md", file=sys.stderr)
        return 1
    return 0


def snapshot(repository: Path, pins: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Every advisory of the locked packages in a checkout of pypa/advisory-database."""
    pins = pins or locked()
    advisories = []
    for folder in sorted((repository / "vulns").iterdir()):
        if canonicalize_name(folder.name) not in pins:
            continue
        for path in sorted(folder.glob("*.yaml")):
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            if data.get("withdrawn"):
                continue
            for affected in data.get("affected", []):
                ranges = [
                    {key: value for event in item["events"] for key, value in event.items()}
                    for item in affected.get("ranges", [])
                    if item.get("type") == "ECOSYSTEM"
                ]
                advisory = {
                    "id": data["id"],
                    "package": canonicalize_name(affected["package"]["name"]),
                    "aliases": data.get("aliases", []),
                    "summary": " ".join(str(data.get("summary") or data.get("details", "")).split())[:160],
                    "ranges": ranges,
                }
                if not ranges:  # only the explicit list (and git commits, which say nothing here)
                    advisory["versions"] = affected.get("versions", [])
                advisories.append(advisory)
    commit = subprocess.run(
        ["git", "-C", str(repository), "rev-parse", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    date = subprocess.run(
        ["git", "-C", str(repository), "log", "-1", "--format=%cs"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return {"source": "github.com/pypa/advisory-database", "commit": commit, "date": date, "advisories": advisories}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.audit", description=__doc__.splitlines()[0])
    parser.add_argument("command", nargs="?", default="check", choices=("check", "snapshot"))
    parser.add_argument("repository", nargs="?", type=Path, help="snapshot: a checkout of pypa/advisory-database")
    args = parser.parse_args(argv)
    if args.command == "snapshot":
        if args.repository is None:
            parser.error("snapshot needs the advisory database's checkout")
        fresh = snapshot(args.repository)
        if SNAPSHOT.exists():  # the advisories added by hand stay
            kept = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
            fresh |= {key: kept[key] for key in ("note", "added") if key in kept}
        SNAPSHOT.write_text(json.dumps(fresh, indent=1, ensure_ascii=False) + "\n")
        print(f"Written: {SNAPSHOT}")
        return 0
    return check()


if __name__ == "__main__":
    raise SystemExit(main())
