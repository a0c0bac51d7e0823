"""The production report: load, growth and faults tables, and the targets."""

from __future__ import annotations

from typing import Any

from bench.common.results import markdown_table, targets_table
from bench.prod.checks import server_errors

MIN_RATIO = 1.5
MAX_P95_MS_AT_200 = 1000.0
MAX_GROWTH_RATIO = 1.2


def evaluate(report: dict[str, Any]) -> list[dict[str, Any]]:
    targets: list[dict[str, Any]] = []

    def check(name: str, value: Any, met: bool) -> None:
        targets.append({"target": name, "value": value, "met": bool(met)})

    load = report.get("load", {})
    for level, data in load.items():
        prod, base = data["prod"], data["baseline"]
        ratio = prod["throughput_msg_s"] / base["throughput_msg_s"] if base["throughput_msg_s"] else 0.0
        check(f"prod msg/s @{level} ≥ {MIN_RATIO}× baseline", f"{ratio:.2f}×", ratio >= MIN_RATIO)
        check(
            f"prod 5xx @{level} = 0 (429s apart: {prod['statuses'].get('429', 0)})",
            server_errors(prod),
            server_errors(prod) == 0,
        )
    if "200" in load:
        p95 = load["200"]["prod"]["p95_ms"]
        check(f"prod p95 @200 ≤ {MAX_P95_MS_AT_200:.0f} ms", p95, p95 is not None and p95 <= MAX_P95_MS_AT_200)
    if "trackers" in report:
        check("stored trackers match what was sent", report["trackers"]["lost_turns"], report["trackers"]["ok"])
    growth = report.get("growth")
    if growth and "full" in growth:
        ratio = growth["full"]["p95_ms"] / growth["empty"]["p95_ms"]
        check(f"growth p95 @10 full ÷ empty ≤ {MAX_GROWTH_RATIO}", f"{ratio:.2f}", ratio <= MAX_GROWTH_RATIO)
    rate = report.get("rate_limit")
    if rate:
        check("rate limit answers 429 with the French message", rate["limited_429"], rate["french_message"])
    for name, fault in report.get("faults", {}).items():
        check(
            f"fault {name}: nothing stored lost, recovered",
            fault["stored"]["lost_turns"],
            fault["stored"]["ok"] and fault["recovered_by_itself"],
        )
        seen = fault["residents_saw"]
        silent = seen.get("silence_200", 0) + seen["other"]
        check(f"fault {name}: every failed turn got an apology (no empty reply, no bare error)", silent, silent == 0)
    return targets


def _load_rows(report: dict[str, Any]) -> list[list[object]]:
    rows: list[list[object]] = []
    for level, data in report.get("load", {}).items():
        base = data["baseline"]["throughput_msg_s"]
        for name in ("prod", "default", "baseline"):
            entry = data[name]
            ratio = f"{entry['throughput_msg_s'] / base:.2f}×" if base else "—"
            rows.append(
                [
                    level,
                    name,
                    entry["throughput_msg_s"],
                    ratio,
                    entry["p50_ms"],
                    entry["p95_ms"],
                    entry["p99_ms"],
                    entry["statuses"],
                ]
            )
    return rows


def _fault_rows(faults: dict[str, Any]) -> list[list[object]]:
    rows: list[list[object]] = []
    for name, fault in faults.items():
        seen = fault["residents_saw"]
        rows.append(
            [
                f"{name}: {fault['fault']}",
                fault["requests"],
                seen["answered"],
                seen["silence_200"],
                seen["apology_200"],
                seen["apology_503"],
                f"{seen['other']} {seen['other_statuses'] or ''}",
                fault["failures_window_s"],
                "yes" if fault["recovered_by_itself"] else "**no**",
                f"{fault['stored']['lost_turns']} / {fault['stored']['reordered_conversations']}",
            ]
        )
    return rows


def markdown(report: dict[str, Any]) -> str:
    info = report["machine"]
    lines = [
        "# Production profile under load, growth and faults (`make test-prod`)",
        "",
        f"Run on {info['date']}: {info['nproc']} CPUs ({info['cpu']}), {info['memory_gb']} GB, load average "
        f"{info['load_average_at_start']} at start and {info.get('load_average_at_end', '?')} at the end, "
        f"Python {info['python']}, Rasa {info['rasa']}. {report['settings']['duration']} s per load level.",
        "",
        "Profiles: **prod** = PostgreSQL + Redis + "
        f"{report['settings']['rasa']} Rasa + {report['settings']['actions']} action servers + "
        f"{report['settings']['web']} web fronts behind nginx, driven at nginx's public `/api/chat`; "
        "**default** = `make run` (1 Rasa process, SQLite), and **baseline** = bare Rasa (bench/speed/), "
        "both driven at Rasa's REST channel. The load generator's 127.0.0.1 is exempt from the rate limit "
        "for this run (AGGLO_RATE_LIMIT_EXEMPT); the limiter is checked from 127.0.0.2.",
        "",
        "## Load",
        "",
        markdown_table(
            ("conversations", "profile", "msg/s", "÷ baseline", "p50 ms", "p95 ms", "p99 ms", "statuses"),
            _load_rows(report),
            rule="---",
        ),
    ]
    trackers = report.get("trackers")
    if trackers:
        lines += [
            "",
            f"Stored trackers (prod, both levels): {trackers['conversations']} conversations, "
            f"{trackers['answered_turns']} answered turns, {trackers['lost_turns']} lost, "
            f"{trackers['reordered_conversations']} reordered, "
            f"{trackers['turns_stored_but_never_sent']} stored but never sent.",
        ]
    rate = report.get("rate_limit")
    if rate:
        lines += [
            "",
            f"Rate limit: {rate['requests']} requests in a row from {rate['from']} (rate {rate['rate']}, burst "
            f"{rate['burst']}): {rate['answered_200']} answered, {rate['limited_429']} × 429 with the French "
            f"message: {'yes' if rate['french_message'] else 'no'}.",
        ]
    growth = report.get("growth")
    if growth and "full" in growth:
        fill = growth["fill"]
        ratio = growth["full"]["p95_ms"] / growth["empty"]["p95_ms"]
        stores = [
            [
                name,
                growth[name]["throughput_msg_s"],
                growth[name]["p50_ms"],
                growth[name]["p95_ms"],
                growth[name]["p99_ms"],
            ]
            for name in ("empty", "full")
        ]
        lines += [
            "",
            "## Growth",
            "",
            f"{fill['events_inserted']:,} events of {fill['conversations']:,} synthetic conversations inserted in "
            f"{fill['seconds']} s ({fill['events_in_table']:,} in the table).",
            "",
            markdown_table(("store", "msg/s @10", "p50 ms", "p95 ms", "p99 ms"), stores, rule="---"),
            "",
            f"p95 full ÷ empty: {ratio:.2f}. Indexes on `events`: {', '.join(fill['indexes'])}. "
            f"Plan of the session-start lookup: `{' / '.join(line.strip() for line in fill['session_start_plan'])}`.",
        ]
    faults = report.get("faults")
    if faults:
        header = (
            "fault",
            "requests",
            "answered",
            "empty reply",
            "apology (200)",
            "apology (503)",
            "other",
            "failures over (s)",
            "recovered",
            "answered turns not stored / reordered",
        )
        lines += ["", "## Faults", "", markdown_table(header, _fault_rows(faults), rule="---")]
    lines += ["", "## Targets", "", targets_table(report["targets"])]
    return "\n".join(lines) + "\n"
