"""Step 3 of the quality benchmark: the evaluation set through the real servers
(models/agglo.tar.gz) and the REST channel, each answer checked for its payload's topic, the
required and forbidden strings, and invented figures."""

from __future__ import annotations

import datetime as dt
import json
import statistics
import time
import urllib.request
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.common.progress import Progress
from bench.common.servers import config_on_free_ports, start_rasa_and_actions, stop_servers
from bench.quality import answers
from bench.quality.conversations import Case, contains
from bench.quality.figures import unsourced_numbers
from bench.quality.report import pct
from bench.quality.scores import scores
from bot.core.emergencies import EMERGENCY_TOPIC
from bot.core.payloads import CHANNEL_SECRET_HEADER
from bot.core.people import INSULT_TOPIC
from bot.core.topics import CONVERSATION_INTENTS, NOT_UNDERSTOOD
from bot.kb.queries import KnowledgeBase
from bot.settings import Settings
from ops.dev import ServerConfig, Servers

# Answers composed from the knowledge base's facts (not small talk or a rephrase request):
# the ones whose length and readability the bench reports. An emergency answer is never
# shortened, so it is left out too.
NOT_KNOWLEDGE_TOPICS = (*CONVERSATION_INTENTS, NOT_UNDERSTOOD, "contact", EMERGENCY_TOPIC, INSULT_TOPIC)
# The servers load TensorFlow and the model: minutes on a busy 2-core machine.
SERVER_TIMEOUT = 600


def say(config: ServerConfig, sender: str, text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
    """One turn at the REST channel. A turn with metadata (the evaluation set's agent turns) is
    sent as the web front sends a console session's, with the channel secret, so that
    ``metadata.agent`` counts; any other turn as a resident's."""
    body: dict[str, Any] = {"sender": sender, "message": text}
    if metadata:
        body["metadata"] = metadata
    headers = {"Content-Type": "application/json"}
    if metadata:
        headers[CHANNEL_SECRET_HEADER] = config.channel_secret
    request = urllib.request.Request(
        f"{config.rasa_url}/webhooks/rest/webhook", data=json.dumps(body).encode(), headers=headers
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        messages: list[dict[str, Any]] = json.load(response)
    return messages


def first_payload(messages: list[dict[str, Any]]) -> dict[str, Any]:
    payloads = [message["custom"] for message in messages if isinstance(message.get("custom"), dict)]
    return payloads[0] if payloads else {}


def payload_topic(messages: list[dict[str, Any]]) -> str:
    return str(first_payload(messages).get("topic") or "(no payload)")


def payload_topics(messages: list[dict[str, Any]]) -> list[str]:
    """The topic of every answer of the turn, in order (two questions get two answers)."""
    return [str(message["custom"].get("topic")) for message in messages if isinstance(message.get("custom"), dict)]


def first_fact(messages: list[dict[str, Any]]) -> str | None:
    """The first fact the turn's answers show (payload `facts`), if any."""
    for message in messages:
        custom = message.get("custom")
        if isinstance(custom, dict) and custom.get("facts"):
            return str(custom["facts"][0])
    return None


@contextmanager
def running_servers(
    settings: Settings, model: Path, progress: Progress, work: Path, what: str
) -> Iterator[ServerConfig]:
    """The action and Rasa servers on free ports, for the duration; yields their configuration.
    Only the two servers the REST channel needs (not the web front)."""
    var_dir = work / f"e2e-{dt.datetime.now():%Y%m%d-%H%M%S}"
    servers = Servers(config_on_free_ports(settings, model, var_dir))
    progress.step(f"end to end: starting the action and Rasa servers ({model.name}), then {what}")
    var_dir.mkdir(parents=True, exist_ok=True)
    log_file = var_dir / "servers.log"
    try:
        start_rasa_and_actions(servers, SERVER_TIMEOUT, output=log_file)
        progress.note(f"servers are up (their output: {log_file})")
        yield servers.config
    finally:
        stop_servers(servers)


def rates(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Share of the checked turns that passed each check."""
    count = len(rows)

    def share(key: str) -> float:
        return sum(1 for row in rows if row[key]) / count if count else 0.0

    return {
        "messages": count,
        "topic_accuracy": share("topic_ok"),
        "must_contain_rate": share("facts_ok"),
        "must_not_contain_rate": share("forbidden_ok"),
        "no_invented_figures_rate": share("figures_ok"),
        "all_checks_rate": share("passed"),
        **_first_fact_rate(rows),
    }


def _first_fact_rate(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Share of the turns that name a first fact whose answer shows it first."""
    judged = [row for row in rows if row.get("first_fact_ok") is not None]
    if not judged:
        return {}
    return {
        "first_fact_rate": sum(1 for row in judged if row["first_fact_ok"]) / len(judged),
        "first_fact_messages": len(judged),
    }


def play_cases(
    config: ServerConfig, cases: Sequence[Case], kb: KnowledgeBase, progress: Progress, what: str
) -> list[dict[str, Any]]:
    """Every turn of the cases on servers already running, each checked (``check_turn``); one
    conversation per case, a progress note every 25 cases."""
    rows: list[dict[str, Any]] = []
    run_id = f"{time.time():.0f}"
    for number, case in enumerate(cases, start=1):
        sender = f"bench-{run_id}-{case.id}"
        for index, turn in enumerate(case.turns):
            started = time.perf_counter()
            messages = say(config, sender, turn.text, turn.metadata)
            elapsed = time.perf_counter() - started
            rows.append(check_turn(kb, case, index, messages, elapsed))
        if number % 25 == 0 or number == len(cases):
            done = rates(rows)
            progress.note(
                f"{number}/{len(cases)} {what}: topic {pct(done['topic_accuracy'])}, "
                f"required facts {pct(done['must_contain_rate'])}"
            )
    return rows


def grouped_rates(rows: Sequence[dict[str, Any]], groups: Callable[[dict[str, Any]], Iterable[str]]) -> dict[str, Any]:
    """``rates`` per group, groups sorted by name; a row counts in every group ``groups`` gives it."""
    members: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        for group in groups(row):
            members[group].append(row)
    return {group: rates(group_rows) for group, group_rows in sorted(members.items())}


def _tags(row: dict[str, Any]) -> list[str]:
    kind = [f"kind:{row['kind']}"] if row["kind"] else []
    return ["all", *kind, *row["tags"], "multi_turn" if row["multi_turn"] else "single_turn"]


def _kind(row: dict[str, Any]) -> list[str]:
    return [row["kind"] or "(no kind)"]


def summarise_conversations(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The evaluation set's section: the rates, topic macro-F1 and out-of-scope recall, time per
    turn, the rates per tag, the answers' length and readability, and every turn's row."""
    gold = [row["expected_topic"] for row in rows]
    predicted = [row["topic"] for row in rows]
    return {
        **rates(rows),
        **{key: value for key, value in scores(gold, predicted).items() if key in ("topic_macro_f1", "oos_recall")},
        "seconds_per_turn": statistics.fmean(row["seconds"] for row in rows) if rows else 0.0,
        "by_tag": grouped_rates(rows, _tags),
        "answers": answers.summary(rows),
        "turns": list(rows),
    }


def summarise_question_set(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One of issue 15's sets: the rates, how many messages stated an invented figure, and the
    rates per kind of case. No message nor answer: the sets' wording stays in bench/eval."""
    return {
        **rates(rows),
        "cases": len({row["case"] for row in rows}),
        "invented_figures_messages": sum(1 for row in rows if not row["figures_ok"]),
        "by_kind": grouped_rates(rows, _kind),
    }


def evaluate_end_to_end(
    cases: Sequence[Case], kb: KnowledgeBase, settings: Settings, model: Path, progress: Progress, work: Path
) -> dict[str, Any]:
    with running_servers(settings, model, progress, work, f"{len(cases)} conversations") as config:
        rows = play_cases(config, cases, kb, progress, "conversations")
    return summarise_conversations(rows)


def evaluate_question_sets(
    sets: dict[str, list[Case]], kb: KnowledgeBase, settings: Settings, model: Path, progress: Progress, work: Path
) -> dict[str, dict[str, Any]]:
    """Issue 15's sets, by name, on one start of the servers: per set ``summarise_question_set``."""
    what = ", ".join(f"{name} ({len(cases)} cases)" for name, cases in sets.items())
    with running_servers(settings, model, progress, work, what) as config:
        played = {name: play_cases(config, cases, kb, progress, name) for name, cases in sets.items()}
    return {name: summarise_question_set(rows) for name, rows in played.items()}


def _invented_figures(kb: KnowledgeBase, messages: list[dict[str, Any]], *, agent: bool) -> list[str]:
    """Numbers of the turn's answers that no fact of their topic (or their sources) states: each
    answer is checked with its own payload (a turn answering two questions has two)."""
    invented: list[str] = []
    text_parts: list[str] = []
    for message in messages:
        if message.get("text"):
            text_parts.append(str(message["text"]))
        custom = message.get("custom")
        if isinstance(custom, dict):
            text = "\n".join(text_parts)
            text_parts = []
            invented += unsourced_numbers(
                kb,
                str(custom.get("topic") or ""),
                text,
                custom.get("sources") or [],
                agent=agent,
                commune_insee=custom.get("commune"),
                shown=[str(fact) for fact in custom.get("facts") or []],
            )
    return invented


def check_turn(
    kb: KnowledgeBase, case: Case, index: int, messages: list[dict[str, Any]], seconds: float
) -> dict[str, Any]:
    """One answer against the turn's expectations: topic, required and forbidden strings, and
    numbers found nowhere in the knowledge base."""
    turn = case.turns[index]
    text = "\n".join(str(message.get("text") or "") for message in messages)
    payload = first_payload(messages)
    topic = payload_topic(messages)
    missing = [needle for needle in turn.must_contain if not contains(text, needle)]
    forbidden = [needle for needle in (*turn.must_not_contain, *turn.forbidden_figures) if contains(text, needle)]
    topics = payload_topics(messages)
    if turn.expected_topics:
        # Both questions answered, in order: the expected topics appear in this order among the answers'.
        remaining = iter(topics)
        topic_ok = all(any(seen == wanted for seen in remaining) for wanted in turn.expected_topics)
    else:
        topic_ok = topic == turn.expected_topic
    shown_first = first_fact(messages)
    invented = _invented_figures(kb, messages, agent=turn.agent) if payload else ["(no payload)"]
    row = {
        "case": case.id,
        "turn": index,
        "tags": list(case.tags),
        "kind": case.kind,
        "multi_turn": len(case.turns) > 1,
        "text": turn.text,
        "expected_topic": turn.expected_topic,
        "topic": topic,
        "commune": payload.get("commune"),
        "topics": topics,
        "topic_ok": topic_ok,
        "first_fact": shown_first,
        "first_fact_ok": (shown_first in turn.first_fact) if turn.first_fact else None,
        "facts_ok": not missing,
        "forbidden_ok": not forbidden,
        "figures_ok": not invented,
        "missing": missing,
        "forbidden": forbidden,
        "invented": invented,
        "seconds": seconds,
        "answer": text,
    }
    if not turn.agent and topic not in NOT_KNOWLEDGE_TOPICS and payload:
        row["answer_figures"] = answers.measure(text)
    row["passed"] = all(row[key] for key in ("topic_ok", "facts_ok", "forbidden_ok", "figures_ok")) and (
        row["first_fact_ok"] is not False
    )
    if row["passed"]:
        # Only failing answers are kept in quality.json: they are the ones to read.
        del row["answer"]
    return row
