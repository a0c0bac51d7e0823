"""The speed report: figures side by side with their ratio to the baseline, and the targets."""

from __future__ import annotations

from typing import Any

from bench.common.results import markdown_table, targets_table
from bench.speed.profiles import PROFILE_NAMES

# The targets of the issue, as (profile, figure, comparison, limit); "×base" limits are ratios
# to the baseline measured in the same run.
MAX_P95_MS_AT_1 = 100.0
MIN_DEFAULT_RATIO_AT_10 = 0.8
MIN_WORKERS_RATIO = 1.5
MAX_WORKERS_P95_MS_AT_10 = 400.0
MAX_KB_P95_MS = 2.0
MAX_RSS_MB_PER_PROCESS = 1536.0
MAX_READY_S = 45.0


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "—"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:.{digits}f}"
    return str(value)


def _ratio(value: Any, base: Any) -> str:
    if not isinstance(value, int | float) or not isinstance(base, int | float) or not base:
        return "—"
    return f"{value / base:.2f}×"


def _level(report: dict[str, Any], profile: str, conversations: int, key: str) -> Any:
    return report["profiles"].get(profile, {}).get("levels", {}).get(str(conversations), {}).get(key)


def table_rows(report: dict[str, Any]) -> list[list[str]]:
    """Figure, default, workers2, baseline, default ÷ baseline, workers2 ÷ baseline."""
    rows: list[list[str]] = []

    def add(label: str, values: dict[str, Any], digits: int = 1) -> None:
        base = values.get("baseline")
        rows.append(
            [label]
            + [_fmt(values.get(name), digits) for name in PROFILE_NAMES]
            + [_ratio(values.get("default"), base), _ratio(values.get("workers2"), base)]
        )

    profiles_run = report["profiles"]
    add("ready after start (s)", {name: data.get("ready_s") for name, data in profiles_run.items()})
    for conversations in report["settings"]["conversations"]:
        for key, label in (
            ("throughput_msg_s", "msg/s"),
            ("p50_ms", "p50 ms"),
            ("p95_ms", "p95 ms"),
            ("p99_ms", "p99 ms"),
            ("rasa_cpu_ms_per_msg", "Rasa CPU ms/msg"),
            ("actions_cpu_ms_per_msg", "actions CPU ms/msg"),
            ("errors", "errors"),
        ):
            values = {name: _level(report, name, conversations, key) for name in profiles_run}
            if any(value is not None for value in values.values()):
                add(f"@{conversations} conv: {label}", values, 0 if key == "errors" else 1)
    add(
        "Rasa RSS, max per process (MB)",
        {name: data.get("memory", {}).get("rasa", {}).get("max_mb") for name, data in profiles_run.items()},
        0,
    )
    add(
        "Rasa RSS, all processes (MB)",
        {name: data.get("memory", {}).get("rasa", {}).get("total_mb") for name, data in profiles_run.items()},
        0,
    )
    add(
        "action server RSS (MB)",
        {name: data.get("memory", {}).get("actions", {}).get("total_mb") for name, data in profiles_run.items()},
        0,
    )
    train = report.get("train", {})
    add("rasa train (s)", {"default": train.get("project_s"), "baseline": train.get("baseline_s")}, 0)
    kb = report.get("kb")
    if kb:
        add("KB query p50 (ms, in-process)", {"default": kb["answer"]["p50_ms"]}, 3)
        add("KB query p95 (ms, in-process)", {"default": kb["answer"]["p95_ms"]}, 3)
    return rows


def evaluate_targets(report: dict[str, Any]) -> list[dict[str, Any]]:
    targets: list[dict[str, Any]] = []

    def check(name: str, value: Any, limit: float, at_most: bool, unit: str = "") -> None:
        if not isinstance(value, int | float):
            return
        met = value <= limit if at_most else value >= limit
        sign = "≤" if at_most else "≥"
        targets.append({"target": f"{name} {sign} {limit:g}{unit}", "value": round(value, 2), "met": met})

    def ratio(profile: str, conversations: int) -> float | None:
        value = _level(report, profile, conversations, "throughput_msg_s")
        base = _level(report, "baseline", conversations, "throughput_msg_s")
        return value / base if value and base else None

    check("default p95 @1 (ms)", _level(report, "default", 1, "p95_ms"), MAX_P95_MS_AT_1, True)
    check("default msg/s @10 ÷ baseline", ratio("default", 10), MIN_DEFAULT_RATIO_AT_10, False, "×")
    check("workers2 msg/s @10 ÷ baseline", ratio("workers2", 10), MIN_WORKERS_RATIO, False, "×")
    check("workers2 msg/s @50 ÷ baseline", ratio("workers2", 50), MIN_WORKERS_RATIO, False, "×")
    check("workers2 p95 @10 (ms)", _level(report, "workers2", 10, "p95_ms"), MAX_WORKERS_P95_MS_AT_10, True)
    kb = report.get("kb")
    if kb:
        check("KB query p95 (ms)", kb["answer"]["p95_ms"], MAX_KB_P95_MS, True)
    for name in ("default", "workers2"):
        data = report["profiles"].get(name)
        if data:
            check(f"{name} Rasa RSS per process (MB)", data["memory"]["rasa"]["max_mb"], MAX_RSS_MB_PER_PROCESS, True)
            check(f"{name} ready (s)", data["ready_s"], MAX_READY_S, True)
            errors = sum(level["errors"] for level in data["levels"].values())
            check(f"{name} failed requests", errors, 0, True)
    return targets


def markdown(report: dict[str, Any]) -> str:
    header = ["figure", *PROFILE_NAMES, "default ÷ base", "workers2 ÷ base"]
    info = report["machine"]
    settings = report["settings"]
    out = [
        "# Speed benchmark (`make bench-speed`)",
        "",
        f"Run on {info['date']}: {info['nproc']} CPUs ({info['cpu']}), {info['memory_gb']} GB, "
        f"load average {info['load_average_at_start']} at start and {info.get('load_average_at_end', '?')} at "
        f"the end (other work on the machine), Python {info['python']}, "
        f"Rasa {info['rasa']}, rasa_sdk {info['rasa_sdk']}.",
        f"Load: {settings['duration']} s or {settings['max_messages'] or 'unlimited'} messages per level, "
        f"{settings['warmup']} warm-up message(s) per conversation not measured, conversations of "
        "bench/speed/messages.yml, one connection per message, from a separate process; each level run on every "
        f"profile back to back ({settings.get('rounds', 1)} round(s), median kept).",
        "",
        "Profiles: " + "; ".join(f"**{name}**: {data['description']}" for name, data in report["profiles"].items()),
        "",
        markdown_table(header, table_rows(report), rule="---"),
        "",
        "Ratios are to the bare-Rasa baseline measured in the same run (the only meaningful comparison on "
        "a shared machine). CPU ms/msg is the servers' own CPU time divided by the messages they answered, "
        "less sensitive to other load than wall-clock figures.",
        "",
        "## Targets",
        "",
        targets_table(report["targets"]),
        "",
    ]
    return "\n".join(out)


def print_table(report: dict[str, Any]) -> None:
    header = ["figure", *PROFILE_NAMES, "dflt÷base", "w2÷base"]
    rows = [header, *table_rows(report)]
    widths = [max(len(row[index]) for row in rows) for index in range(len(header))]
    for number, row in enumerate(rows):
        print("  ".join(cell.ljust(widths[0]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row)))
        if number == 0:
            print("  ".join("-" * width for width in widths))
    print()
    for target in report["targets"]:
        print(f"  [{'ok' if target['met'] else 'MISSED'}] {target['target']}: {target['value']}")
