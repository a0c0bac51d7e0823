"""The Agglomobile's figures, on a scratch copy of ``kb/`` served by the web front alone:

- the first full sync of the whole knowledge base (every page the offline console keeps, and the
  search index), compressed as a browser receives it (target: under 1 MB), then a sync when
  nothing changed and one after one fact changed;
- how fast each fiche opens offline, cache warm, in Chromium through the service worker: until
  the page is ready to use (DOMContentLoaded: parsed, the console's script run) and until every
  resource is loaded (target: under 100 ms); each fiche ``rounds`` times, its best time kept
  (the rest is the machine's other load), with the median and the slowest of every opening.
"""

from __future__ import annotations

import gzip
import json
import statistics
import time
from pathlib import Path
from typing import Any

import requests

from bench.common.console import console_session, wait_until_served
from bench.common.machine import load_average, machine
from bench.common.progress import Log
from bench.common.results import RESULTS_DIR, markdown_table, targets_table, write_results
from bench.common.scratch import scratch_knowledge_base
from bot.kb.build import build
from bot.settings import Settings
from bot.stores.agents import AgentStore
from ops.dev import start_web_alone

FIRST_SYNC_TARGET_BYTES = 1_000_000
FICHE_TARGET_MS = 100.0
CHROMIUM = Path("/usr/bin/chromium")
AGENT, PASSWORD = "bench.agent", "mot de passe du banc assez long"
CHANGED_FACT = "La décision vous est donnée dans un délai de 1 mois"
log = Log("bench-console")


def _sync(http: requests.Session, url: str, csrf: str, held: dict[str, Any]) -> dict[str, Any]:
    """One sync as the service worker makes it; its sizes on the wire and uncompressed."""
    started = time.monotonic()
    response = http.post(
        f"{url}/console/api/offline/sync",
        json=held,
        headers={"X-CSRF-Token": csrf, "Accept-Encoding": "gzip"},
        stream=True,
        timeout=120,
    )
    response.raise_for_status()
    raw = response.raw.read(decode_content=False)
    seconds = time.monotonic() - started
    encoding = response.headers.get("Content-Encoding", "")
    body = json.loads(gzip.decompress(raw) if encoding == "gzip" else raw)
    pages = dict(held.get("pages", {}))
    for removed in body["removed"]:
        pages.pop(removed, None)
    pages.update({page_url: page["hash"] for page_url, page in body["pages"].items()})
    return {
        "compressed_bytes": len(raw),
        "encoding": encoding or "none",
        "uncompressed_bytes": len(json.dumps(body, ensure_ascii=False).encode()),
        "pages_sent": len(body["pages"]),
        "pages_held": len(pages),
        "index_sent": "index" in body,
        "seconds": round(seconds, 2),
        "held": {"kb_version": body["kb_version"], "pages": pages},
    }


def _fiche_timings(url: str, rounds: int) -> dict[str, Any]:
    """Each fiche opened offline ``rounds`` times in Chromium, the service worker's copy warm."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking"],
        )
        context = browser.new_context(base_url=url, locale="fr-FR", viewport={"width": 768, "height": 1024})
        page = context.new_page()
        page.goto("/console/login")
        page.get_by_label("Identifiant").fill(AGENT)
        page.get_by_label("Mot de passe").fill(PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_selector("html[data-synced]", timeout=60_000)
        slugs: list[str] = page.evaluate(
            """() => caches.open("agglomobile-pages").then((cache) => cache.keys())
                 .then((keys) => keys.map((key) => new URL(key.url).pathname)
                 .filter((path) => path.startsWith("/console/topic/")))"""
        )
        context.set_offline(True)
        page.goto(slugs[0])  # warms the browser up
        timings: dict[str, list[dict[str, float]]] = {slug: [] for slug in slugs}
        for _ in range(rounds):
            for slug in slugs:
                page.goto(slug)
                page.wait_for_load_state("load")
                timings[slug].append(
                    page.evaluate(
                        """() => { const [entry] = performance.getEntriesByType("navigation");
                                   return {ready: entry.domContentLoadedEventEnd - entry.startTime,
                                           loaded: entry.loadEventEnd - entry.startTime}; }"""
                    )
                )
        browser.close()
    figures: dict[str, Any] = {"fiches": len(slugs), "rounds": rounds}
    for name in ("ready", "loaded"):
        every = [timing[name] for runs in timings.values() for timing in runs]
        best = {slug: min(timing[name] for timing in runs) for slug, runs in timings.items()}
        figures[name] = {
            "median_ms": round(statistics.median(every), 1),
            "p95_ms": round(statistics.quantiles(every, n=20)[-1], 1),
            "slowest_opening_ms": round(max(every), 1),
            "slowest_fiche_best_ms": round(max(best.values()), 1),
            "slowest_fiche": max(best, key=lambda slug: best[slug]),
            "fiches_over_target": sorted(slug for slug, value in best.items() if value >= FICHE_TARGET_MS),
        }
    return figures


def _report(figures: dict[str, Any]) -> str:
    about = figures["machine"]
    first, same, changed = figures["first_sync"], figures["sync_unchanged"], figures["sync_after_a_change"]
    lines = [
        "# The Agglomobile offline (`python -m bench.console`)",
        "",
        f"Run on {about['date']}: {about['nproc']} CPUs ({about['cpu']}), load average "
        f"{about['load_average_at_start']} at start and {figures['load_average_at_end']} at the end "
        "(other work on the machine). The web front alone, on a scratch copy of `kb/`.",
        "",
        "## Targets",
        "",
        targets_table(figures["targets"]),
        "",
        "## Sync (what the service worker downloads)",
        "",
        markdown_table(
            ("sync", "on the wire", "uncompressed", "pages sent", "index", "server time (s)"),
            [
                (
                    name,
                    f"{item['compressed_bytes'] / 1000:.1f} kB ({item['encoding']})",
                    f"{item['uncompressed_bytes'] / 1000:.1f} kB",
                    f"{item['pages_sent']} of {item['pages_held']}",
                    "yes" if item["index_sent"] else "no",
                    item["seconds"],
                )
                for name, item in (
                    ("first, full", first),
                    ("nothing changed", same),
                    ("one fact changed", changed),
                )
            ],
            rule="---",
        ),
        "",
        "A sync starts with `GET /console/api/offline/state` (a few hundred bytes): when neither the",
        "knowledge base nor the open callback queue changed, nothing more is downloaded.",
        "",
    ]
    fiches = figures.get("fiche_offline")
    if fiches:
        lines += [
            "## A fiche opened offline (Chromium, cache warm, tablet viewport)",
            "",
            f"{fiches['fiches']} fiches, each opened {fiches['rounds']} times in turn.",
            "",
            markdown_table(
                ("until", "median", "p95", "slowest opening", "slowest fiche (its best)", "fiches over 100 ms"),
                [
                    (
                        label,
                        f"{item['median_ms']} ms",
                        f"{item['p95_ms']} ms",
                        f"{item['slowest_opening_ms']} ms",
                        f"{item['slowest_fiche_best_ms']} ms ({item['slowest_fiche']})",
                        len(item["fiches_over_target"]),
                    )
                    for label, item in (
                        ("ready to use (DOMContentLoaded)", fiches["ready"]),
                        ("every resource loaded", fiches["loaded"]),
                    )
                ],
                rule="---",
            ),
            "",
        ]
    else:
        lines += ["Fiche timings not measured: Chromium (`make browser`) or Playwright is missing.", ""]
    return "\n".join(lines)


def measure(settings: Settings, *, rounds: int = 5, out: Path = RESULTS_DIR) -> int:
    """Measure, write ``out``/console.md and .json (bench/results/); 0 if every target is met."""
    figures: dict[str, Any] = {"machine": machine()}
    with scratch_knowledge_base(settings, "bench-console-") as scratch_settings:
        directory, kb_dir = scratch_settings.var_dir, scratch_settings.kb_dir
        agents = directory / "agents.yml"
        AgentStore(agents).add(AGENT, PASSWORD)
        servers = start_web_alone(
            directory,
            AGGLO_DATABASE_URL=scratch_settings.database_url,
            AGGLO_KB_DIR=str(kb_dir),
            AGGLO_AGENTS_FILE=str(agents),
            AGGLO_FEEDBACK_DATABASE_URL=f"sqlite:///{directory / 'feedback.sqlite3'}",
            AGGLO_SESSIONS_DATABASE_URL=f"sqlite:///{directory / 'sessions.sqlite3'}",
        )
        try:
            url = servers.config.web_url
            http, csrf = console_session(url, AGENT, PASSWORD)
            log("first full sync")
            first = _sync(http, url, csrf, {"kb_version": None, "pages": {}})
            same = _sync(http, url, csrf, first["held"])
            topic = kb_dir / "topics" / "permis_de_louer.yml"
            topic.write_text(
                topic.read_text(encoding="utf-8").replace(CHANGED_FACT, CHANGED_FACT + " (texte modifié)"),
                encoding="utf-8",
            )
            wait_until_served(http, url, build(scratch_settings).version)
            changed = _sync(http, url, csrf, same["held"])
            for item in (first, same, changed):
                item.pop("held")
            figures.update(first_sync=first, sync_unchanged=same, sync_after_a_change=changed)
            if CHROMIUM.exists():
                log(f"every fiche opened offline, {rounds} times")
                figures["fiche_offline"] = _fiche_timings(url, rounds)
        finally:
            servers.stop()
    targets = [
        {
            "target": "first full sync, compressed < 1 MB",
            "value": f"{first['compressed_bytes'] / 1000:.1f} kB",
            "met": first["compressed_bytes"] < FIRST_SYNC_TARGET_BYTES,
        }
    ]
    if "fiche_offline" in figures:
        ready = figures["fiche_offline"]["ready"]
        targets.append(
            {
                "target": "a fiche opens offline < 100 ms (each fiche's best, ready to use)",
                "value": f"slowest {ready['slowest_fiche_best_ms']} ms, median of all openings {ready['median_ms']} ms",
                "met": ready["slowest_fiche_best_ms"] < FICHE_TARGET_MS,
            }
        )
    figures["targets"] = targets
    figures["load_average_at_end"] = load_average()
    markdown, data = write_results(out, "console", figures, _report(figures))
    log(f"written {markdown} and {data}")
    print(targets_table(targets))
    return 0 if all(target["met"] for target in targets) else 1
