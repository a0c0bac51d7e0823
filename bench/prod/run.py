"""`make test-prod`: the production profile on loopback under load, growth and faults.

Starts the production topology (ops/prod: PostgreSQL, Redis, 2 Rasa servers, 2 action servers,
2 web fronts behind nginx, under supervisord) in a scratch directory, and beside it the
single-process default profile (`make run`) and the bare-Rasa baseline of bench/speed.py, then:

  rate limit  a burst from 127.0.0.2: nginx answers 429 with the French JSON message;
  load        50 and 200 concurrent conversations for a fixed time on each profile, back to back
              (the production profile through nginx's public /api/chat, the other two at Rasa's
              REST channel as in bench/speed.py); msg/s, p50/p95/p99, ratios to the baseline;
              HTTP statuses (429s apart); every stored tracker checked against what was sent;
  growth      p95 at 10 conversations on the empty store, then with ~1,000,000 events of
              ~50,000 synthetic past conversations inserted into PostgreSQL;
  faults      under load: kill -9 one action server, one Rasa server, one web front; stop and
              restart PostgreSQL, then Redis; what residents saw, and that nothing stored was lost.

The load generator's address, 127.0.0.1, is exempted from the rate limit for this run only
(AGGLO_RATE_LIMIT_EXEMPT), so that nginx's limiter does not distort the figures; the limiter is
checked from 127.0.0.2, which it does limit.

    python -m bench.prod            # everything (~12 min on 2 cores)
    python -m bench.prod --quick    # a short check (levels 5 and 10, 20,000 events)

Writes bench/results/prod.md and bench/results/prod.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import aiohttp
import sqlalchemy as sa
import yaml

from bench.speed.run import (
    BASELINE_DIR,
    BASELINE_MODEL,
    RESULTS_DIR,
    TMP_DIR,
    Running,
    _stop,
    machine,
    profiles,
    rasa_train,
    start_profile,
)
from bot.settings import PROJECT_ROOT, Settings
from ops.dev import DEFAULT_MODEL, free_port
from ops.prod.env_file import production_settings
from ops.prod.run import ProdStack

CHAT_PATH = "/api/chat"
WEBHOOK_PATH = "/webhooks/rest/webhook"
MIN_RATIO = 1.5
MAX_P95_MS_AT_200 = 1000.0
MAX_GROWTH_RATIO = 1.2
APOLOGY = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"][
    "utter_erreur_technique"
][0]["text"]


def log(message: str) -> None:
    print(f"[test-prod] {message}", flush=True)


# Load ---------------------------------------------------------------------------------------
def run_load(
    url: str, conversations: int, duration: float, path: str, record: Path | None = None, warmup: int = 1
) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.speed.load", "--url", url, "--conversations", str(conversations)]
    command += ["--duration", str(duration), "--warmup", str(warmup), "--path", path, "--timeout", "90"]
    if record is not None:
        command += ["--record", str(record)]
    completed = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"load generator failed: {completed.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def level_line(name: str, level: dict[str, Any]) -> str:
    return (
        f"{name:>9} @{level['conversations']:>3}: {level['throughput_msg_s']:6.1f} msg/s, p50 {level['p50_ms']} ms, "
        f"p95 {level['p95_ms']} ms, p99 {level['p99_ms']} ms, statuses {level['statuses']}"
    )


def server_errors(level: dict[str, Any]) -> int:
    return sum(count for status, count in level["statuses"].items() if int(status) >= 500 or int(status) == 0)


# Stored trackers ----------------------------------------------------------------------------
def _is_subsequence(wanted: list[str], stored: list[str]) -> bool:
    remaining = iter(stored)
    return all(any(item == text for item in remaining) for text in wanted)


def check_trackers(
    engine: sa.engine.Engine, records: list[dict[str, Any]], sender_prefix: str = "web-"
) -> dict[str, Any]:
    """Every turn a resident got an answer to is stored, once, in the order it was sent; nothing
    is stored that was not sent. Turns that failed (an apology, an empty reply, a 5xx, no answer)
    may or may not be stored."""
    sent: dict[str, list[dict[str, Any]]] = {}
    for entry in sorted(records, key=lambda item: item["sent_at"]):
        sent.setdefault(sender_prefix + entry["sender"], []).append(entry)
    stored: dict[str, list[str]] = {sender: [] for sender in sent}
    query = sa.text("SELECT sender_id, data FROM events WHERE type_name = 'user' AND sender_id = ANY(:ids) ORDER BY id")
    senders = list(sent)
    with engine.connect() as connection:
        for start in range(0, len(senders), 500):
            for sender_id, data in connection.execute(query, {"ids": senders[start : start + 500]}):
                stored[sender_id].append(str(json.loads(data).get("text", "")))
    return compare_turns(sent, stored)


def compare_turns(sent: dict[str, list[dict[str, Any]]], stored: dict[str, list[str]]) -> dict[str, Any]:
    """``sent``: each sender's requests in the order sent; ``stored``: its stored user texts."""
    lost = reordered = extra = answered = 0
    problems: list[str] = []
    for sender, entries in sent.items():
        kept = stored.get(sender, [])
        answered_texts = [entry["message"].strip() for entry in entries if seen_by_resident(entry) == "answered"]
        all_texts = [entry["message"].strip() for entry in entries]
        answered += len(answered_texts)
        missing = [text for text in answered_texts if text not in kept]
        lost += len(missing)
        if not missing and not _is_subsequence(answered_texts, kept):
            reordered += 1
        unexpected = [text for text in kept if text not in all_texts]
        extra += max(len(unexpected), len(kept) - len(all_texts))
        if missing or unexpected or len(kept) > len(all_texts):
            problems.append(f"{sender}: sent {all_texts}, stored {kept}")
    return {
        "conversations": len(sent),
        "answered_turns": answered,
        "stored_turns": sum(len(texts) for texts in stored.values()),
        "lost_turns": lost,
        "reordered_conversations": reordered,
        "turns_stored_but_never_sent": extra,
        "ok": lost == 0 and reordered == 0 and extra == 0,
        "problems": problems[:5],
    }


# Rate limit ---------------------------------------------------------------------------------
async def _burst(url: str, count: int, source: str) -> list[tuple[int, dict[str, Any]]]:
    connector = aiohttp.TCPConnector(local_addr=(source, 0), force_close=True)
    answers: list[tuple[int, dict[str, Any]]] = []
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=90)) as session:
        for index in range(count):
            body = {"sender": f"ratelimit-{index:04d}", "message": "bonjour"}
            async with session.post(url + CHAT_PATH, json=body) as response:
                data = await response.json(content_type=None)
                answers.append((response.status, data if isinstance(data, dict) else {}))
    return answers


def check_rate_limit(stack: ProdStack, count: int = 20) -> dict[str, Any]:
    answers = asyncio.run(_burst(stack.public_url, count, "127.0.0.2"))
    limited = [data for status, data in answers if status == 429]
    expected = yaml.safe_load((PROJECT_ROOT / "kb" / "messages.yml").read_text(encoding="utf-8"))["proxy"]
    return {
        "requests": count,
        "from": "127.0.0.2",
        "rate": stack.settings.chat_rate,
        "burst": stack.settings.chat_burst,
        "answered_200": sum(1 for status, _ in answers if status == 200),
        "limited_429": len(limited),
        "french_message": bool(limited) and all(data.get("message") == expected["rate_limited"] for data in limited),
    }


# Growth -------------------------------------------------------------------------------------
FILL_SQL = """
INSERT INTO events (sender_id, type_name, timestamp, intent_name, action_name, data)
SELECT 'synthetic-' || c,
       t.type_name,
       :start + c * 20 + e,
       CASE WHEN t.type_name = 'user' THEN 'demander_montant' END,
       CASE WHEN t.type_name = 'action' THEN t.action_name END,
       json_build_object('event', t.type_name, 'timestamp', :start + c * 20 + e,
                         'text', CASE WHEN t.type_name IN ('user', 'bot')
                                      THEN 'message de la conversation synthétique ' || c || ' ' || repeat('x', 200)
                                 END,
                         'name', t.action_name)::text
FROM generate_series(:first, :last) AS c,
     generate_series(1, :per) AS e,
     LATERAL (SELECT CASE WHEN e = 1 THEN 'action' WHEN e = 2 THEN 'session_started'
                          ELSE (ARRAY['action', 'user', 'action', 'bot'])[(e % 4) + 1] END AS type_name,
                     CASE WHEN e = 1 THEN 'action_session_start' WHEN e % 4 = 2 THEN 'action_listen'
                          ELSE 'action_aide_velo' END AS action_name) AS t
"""


def fill_events(owner_url: str, conversations: int, per_conversation: int = 20) -> dict[str, Any]:
    engine = sa.create_engine(owner_url, future=True)
    started = time.perf_counter()
    start_ts = time.time() - 400 * 86400
    batch = 5000
    with engine.connect() as connection:
        for first in range(1, conversations + 1, batch):
            last = min(first + batch - 1, conversations)
            with connection.begin():
                connection.execute(
                    sa.text(FILL_SQL), {"start": start_ts, "first": first, "last": last, "per": per_conversation}
                )
        connection.exec_driver_sql("ANALYZE events")
        connection.commit()
        total = connection.execute(sa.text("SELECT count(*) FROM events")).scalar_one()
        indexes = connection.execute(sa.text("SELECT indexname FROM pg_indexes WHERE tablename = 'events'")).scalars()
        index_names = sorted(indexes)
        plan = connection.execute(
            sa.text(
                "EXPLAIN SELECT max(timestamp) FROM events WHERE sender_id = 'synthetic-777' "
                "AND type_name = 'session_started'"
            )
        ).scalars()
        plan_lines = list(plan)
    engine.dispose()
    return {
        "conversations": conversations,
        "events_inserted": conversations * per_conversation,
        "events_in_table": total,
        "seconds": round(time.perf_counter() - started, 1),
        "indexes": index_names,
        "session_start_plan": plan_lines,
    }


# Faults -------------------------------------------------------------------------------------
def seen_by_resident(entry: dict[str, Any]) -> str:
    """answered, silence_200 (an empty reply), apology_200 (the assistant's apology), apology_503
    (nginx's), rate_limited_429, other.

    The recorded body may be cut short (long agent fiches): it is matched as text."""
    status, body = entry["status"], entry["body"]
    if status == 200 and body.replace(" ", "") == "[]":
        return "silence_200"
    if status == 200 and body.startswith("["):
        return "apology_200" if APOLOGY in body or json.dumps(APOLOGY)[1:-1] in body else "answered"
    if status == 503 and '"unavailable"' in body:
        return "apology_503"
    if status == 429:
        return "rate_limited_429"
    return "other"


def classify(records: list[dict[str, Any]]) -> dict[str, Any]:
    """What the residents saw, request by request (warm-up included: they are residents too)."""
    seen = {"answered": 0, "silence_200": 0, "apology_200": 0, "apology_503": 0, "rate_limited_429": 0, "other": 0}
    others: dict[str, int] = {}
    failures: list[float] = []
    for entry in records:
        kind = seen_by_resident(entry)
        seen[kind] += 1
        if kind == "other":
            others[str(entry["status"])] = others.get(str(entry["status"]), 0) + 1
        if kind != "answered":
            failures.append(entry["sent_at"])
    return {**seen, "other_statuses": others, "failure_times": failures}


def fault_run(
    stack: ProdStack, engine: sa.engine.Engine, name: str, inject: Callable[[], str], args: argparse.Namespace
) -> dict[str, Any]:
    record = TMP_DIR / f"prod-fault-{name}.json"
    record.unlink(missing_ok=True)
    injected: dict[str, Any] = {}

    def _inject() -> None:
        time.sleep(args.fault_at)
        injected["at"] = time.perf_counter()
        injected["what"] = inject()
        injected["done"] = time.perf_counter()

    thread = threading.Thread(target=_inject)
    thread.start()
    level = run_load(stack.public_url, args.fault_conversations, args.fault_duration, CHAT_PATH, record)
    thread.join()
    records = json.loads(record.read_text())
    seen = classify(records)
    failures = seen.pop("failure_times")
    end = max(entry["answered_at"] for entry in records)
    # Recovered: the last quarter of the run was answered normally.
    tail_start = end - args.fault_duration / 4
    tail = [entry for entry in records if entry["sent_at"] >= tail_start]
    recovered = bool(tail) and all(seen_by_resident(entry) == "answered" for entry in tail)
    trackers = check_trackers(engine, records)
    result = {
        "fault": injected.get("what", "?"),
        "injected_after_s": args.fault_at,
        "requests": len(records),
        "residents_saw": seen,
        "failures_window_s": round(max(failures) - min(failures), 1) if failures else 0.0,
        "recovered_by_itself": recovered,
        "throughput_msg_s": level["throughput_msg_s"],
        "p95_ms": level["p95_ms"],
        "stored": trackers,
    }
    log(
        f"fault {name}: {result['fault']}; residents saw {seen}; recovered: {recovered}; "
        f"stored turns lost {trackers['lost_turns']}, reordered {trackers['reordered_conversations']}"
    )
    # Supervisord restarts what was killed; the next fault starts from a whole stack.
    stack.wait_healthy(180)
    return result


def kill_program(stack: ProdStack, program: str) -> Callable[[], str]:
    def inject() -> str:
        pid = stack.pid(program)
        os.kill(pid, signal.SIGKILL)
        return f"kill -9 {program} (pid {pid}); supervisord restarts it"

    return inject


def restart_service(stack: ProdStack, program: str, down_s: float) -> Callable[[], str]:
    def inject() -> str:
        stack.supervisorctl("stop", program)
        time.sleep(down_s)
        stack.supervisorctl("start", program)
        return f"supervisorctl stop {program}, {down_s:.0f} s down, start"

    return inject


# Report -------------------------------------------------------------------------------------
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
        "**default** = `make run` (1 Rasa process, SQLite), and **baseline** = bare Rasa (bench/speed.py), "
        "both driven at Rasa's REST channel. The load generator's 127.0.0.1 is exempt from the rate limit "
        "for this run (AGGLO_RATE_LIMIT_EXEMPT); the limiter is checked from 127.0.0.2.",
        "",
        "## Load",
        "",
        "| conversations | profile | msg/s | ÷ baseline | p50 ms | p95 ms | p99 ms | statuses |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for level, data in report.get("load", {}).items():
        base = data["baseline"]["throughput_msg_s"]
        for name in ("prod", "default", "baseline"):
            entry = data[name]
            ratio = f"{entry['throughput_msg_s'] / base:.2f}×" if base else "—"
            lines.append(
                f"| {level} | {name} | {entry['throughput_msg_s']} | {ratio} | {entry['p50_ms']} | {entry['p95_ms']} "
                f"| {entry['p99_ms']} | {entry['statuses']} |"
            )
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
        lines += [
            "",
            "## Growth",
            "",
            f"{fill['events_inserted']:,} events of {fill['conversations']:,} synthetic conversations inserted in "
            f"{fill['seconds']} s ({fill['events_in_table']:,} in the table).",
            "",
            "| store | msg/s @10 | p50 ms | p95 ms | p99 ms |",
            "|---|---|---|---|---|",
            *[
                f"| {name} | {growth[name]['throughput_msg_s']} | {growth[name]['p50_ms']} | {growth[name]['p95_ms']} "
                f"| {growth[name]['p99_ms']} |"
                for name in ("empty", "full")
            ],
            "",
            f"p95 full ÷ empty: {ratio:.2f}. Indexes on `events`: {', '.join(fill['indexes'])}. "
            f"Plan of the session-start lookup: `{' / '.join(line.strip() for line in fill['session_start_plan'])}`.",
        ]
    faults = report.get("faults")
    if faults:
        lines += [
            "",
            "## Faults",
            "",
            "| fault | requests | answered | empty reply | apology (200) | apology (503) | other | failures over (s) "
            "| recovered | answered turns not stored / reordered |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for name, fault in faults.items():
            seen = fault["residents_saw"]
            lines.append(
                f"| {name}: {fault['fault']} | {fault['requests']} | {seen['answered']} | {seen['silence_200']} "
                f"| {seen['apology_200']} "
                f"| {seen['apology_503']} | {seen['other']} {seen['other_statuses'] or ''} | "
                f"{fault['failures_window_s']} | {'yes' if fault['recovered_by_itself'] else '**no**'} | "
                f"{fault['stored']['lost_turns']} / {fault['stored']['reordered_conversations']} |"
            )
    lines += ["", "## Targets", "", "| target | value | met |", "|---|---|---|"]
    lines += [f"| {t['target']} | {t['value']} | {'yes' if t['met'] else '**no**'} |" for t in report["targets"]]
    return "\n".join(lines) + "\n"


# Main ---------------------------------------------------------------------------------------
def prod_settings(prod_dir: Path) -> Settings:
    """The production profile in ``prod_dir`` on free ports, with fresh secrets, whatever .env says."""
    return production_settings(
        env_file=None,
        prod_dir=prod_dir,
        public_host="127.0.0.1",
        public_port=free_port(),
        pg_port=0,
        redis_port=0,
        rate_limit_exempt="127.0.0.1/32",
        db_owner_password=secrets.token_hex(16),
        db_app_password=secrets.token_hex(16),
        redis_password=secrets.token_hex(16),
        rasa_api_token=secrets.token_hex(16),
        channel_secret=secrets.token_hex(16),
    )


@contextmanager
def prod_stack(var_dir: Path) -> Iterator[ProdStack]:
    if var_dir.exists():
        shutil.rmtree(var_dir)
    stack = ProdStack(prod_settings(var_dir))
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.prod", description=__doc__.splitlines()[0])
    parser.add_argument("--levels", default="50,200")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per load level")
    parser.add_argument("--growth-conversations", type=int, default=50_000, help="x 20 events each")
    parser.add_argument("--fault-conversations", type=int, default=10)
    parser.add_argument("--fault-duration", type=float, default=30.0)
    parser.add_argument("--fault-at", type=float, default=6.0)
    parser.add_argument("--down", type=float, default=5.0, help="seconds PostgreSQL and Redis stay stopped")
    parser.add_argument("--skip", default="", help="comma-separated: load, growth, faults")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--output", type=Path, default=RESULTS_DIR)
    parser.add_argument("--report-only", action="store_true", help="rewrite prod.md from prod.json, run nothing")
    args = parser.parse_args(argv)
    if args.quick:
        args.levels, args.duration, args.growth_conversations = "5,10", 5.0, 1000
        args.fault_duration, args.fault_at, args.down = 14.0, 3.0, 3.0
    args.levels = [int(level) for level in str(args.levels).split(",") if level]
    args.skip = {name for name in str(args.skip).split(",") if name}
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.report_only:
        report = json.loads((args.output / "prod.json").read_text())
        report["targets"] = evaluate(report)
        (args.output / "prod.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
        (args.output / "prod.md").write_text(markdown(report))
        return 0
    TMP_DIR.mkdir(parents=True, exist_ok=True)
    if not DEFAULT_MODEL.exists():
        print(f"error: no trained model at {DEFAULT_MODEL}: run `make train`", file=sys.stderr)
        return 2
    report: dict[str, Any] = {"machine": machine(), "settings": {"levels": args.levels, "duration": args.duration}}
    started = time.monotonic()
    with ExitStack() as stack_of_servers:
        log("starting the production profile")
        stack = stack_of_servers.enter_context(prod_stack(TMP_DIR / "prod"))
        report["settings"] |= {
            "rasa": len(stack.ports.rasa),
            "actions": len(stack.ports.actions),
            "web": len(stack.ports.web),
        }
        log(f"production profile ready at {stack.public_url} ({time.monotonic() - started:.0f} s)")
        # pre_ping: the checks run across PostgreSQL's restart.
        engine = sa.create_engine(stack.owner_url, future=True, pool_pre_ping=True)
        stack_of_servers.callback(engine.dispose)
        report["rate_limit"] = check_rate_limit(stack)
        log(f"rate limit: {report['rate_limit']}")
        if "growth" not in args.skip:
            log("growth: 10 conversations on the empty store")
            report["growth"] = {"empty": run_load(stack.public_url, 10, args.duration, CHAT_PATH)}
            log(level_line("empty", report["growth"]["empty"]))
        if "load" not in args.skip:
            running: dict[str, Running] = {}
            arguments = argparse.Namespace(start_timeout=300.0)
            if not BASELINE_MODEL.exists():
                log("training the bare-Rasa baseline (bench/baseline/)")
                rasa_train(
                    BASELINE_DIR / "config.yml", BASELINE_DIR / "domain.yml", BASELINE_DIR / "data", TMP_DIR, "baseline"
                )
            for name in ("default", "baseline"):
                log(f"starting the {name} profile")
                running[name] = start_profile(profiles(DEFAULT_MODEL)[name], arguments, None)
            records: list[dict[str, Any]] = []
            report["load"] = {}
            try:
                for level in args.levels:
                    data: dict[str, Any] = {}
                    record = TMP_DIR / f"prod-load-{level}.json"
                    data["prod"] = run_load(stack.public_url, level, args.duration, CHAT_PATH, record)
                    records += json.loads(record.read_text())
                    log(level_line("prod", data["prod"]))
                    for name, current in running.items():
                        data[name] = run_load(current.servers.config.rasa_url, level, args.duration, WEBHOOK_PATH)
                        log(level_line(name, data[name]))
                    report["load"][str(level)] = data
            finally:
                for current in running.values():
                    _stop(current.servers)
            report["trackers"] = check_trackers(engine, records)
            log(f"stored trackers: {report['trackers']}")
        if "growth" not in args.skip:
            log(f"growth: inserting {args.growth_conversations * 20:,} events")
            report["growth"]["fill"] = fill_events(stack.owner_url, args.growth_conversations)
            log(f"inserted in {report['growth']['fill']['seconds']} s")
            report["growth"]["full"] = run_load(stack.public_url, 10, args.duration, CHAT_PATH)
            log(level_line("full", report["growth"]["full"]))
        if "faults" not in args.skip:
            report["faults"] = {}
            for name, inject in (
                ("action_server", kill_program(stack, "app:actions-0")),
                ("rasa", kill_program(stack, "app:rasa-0")),
                ("web_front", kill_program(stack, "app:web-0")),
                ("postgresql", restart_service(stack, "postgres", args.down)),
                ("redis", restart_service(stack, "redis", args.down)),
            ):
                report["faults"][name] = fault_run(stack, engine, name, inject, args)
    report["machine"]["load_average_at_end"] = [round(value, 2) for value in os.getloadavg()]
    report["machine"]["minutes"] = round((time.monotonic() - started) / 60, 1)
    report["targets"] = evaluate(report)
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "prod.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    (args.output / "prod.md").write_text(markdown(report))
    print()
    print(markdown(report))
    print(f"Written: {args.output / 'prod.md'}, {args.output / 'prod.json'} ({report['machine']['minutes']} min)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
