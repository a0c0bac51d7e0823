"""External French utterances (``../shared/eval/external/``): how the assistant does on language
nobody wrote for it. Evaluation only: the lines are read at run time and never written to the
repository; the report keeps counts and per-category shares, not the lines themselves.

- ``oos_fr.txt``: out-of-scope messages; a good answer carries a non-content slug
  (``hors_sujet``, ``incompris`` or a conversation slug).
- ``in_domain_fr.tsv``: residents' questions with the topics acceptable for each
  (``accepted_topics``, ``|``-separated).

Every line is one conversation (a fresh sender, no context). The NLU view parses the lines with
each system and derives the topic as the actions would (``bot.core.topics.turn_topic``); the end-to-end
view sends them to the real servers through the REST channel and reads the payload's topic.
"""

from __future__ import annotations

import csv
import random
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common.progress import Progress
from bench.quality.end_to_end import payload_topic, running_servers, say
from bench.quality.report import SYSTEM_LABELS, pct
from bench.quality.systems import NluSystem
from bench.quality.topics import Topics
from bot.core.emergencies import EMERGENCY_TOPIC
from bot.core.people import INSULT_TOPIC
from bot.core.topics import CONVERSATION_INTENTS, NOT_UNDERSTOOD
from bot.settings import PROJECT_ROOT, Settings

# Where the files live: ``shared/eval/external`` beside the project root or one of its
# ancestors (../shared for the main checkout, ../../shared for a worktree under wt/), unless
# the settings name the folder (AGGLO_EXTERNAL_EVAL).
EXTERNAL_PARTS = ("shared", "eval", "external")
OOS_FILE = "oos_fr.txt"
PROVENANCE_FILE = "oos_fr_provenance.tsv"
IN_DOMAIN_FILE = "in_domain_fr.tsv"
# Answers that are not about an Agglo topic: what every out-of-scope line should get (an
# emergency's numbers and the calm answer to an insult are not about one either).
NON_CONTENT = frozenset({*CONVERSATION_INTENTS, NOT_UNDERSTOOD, EMERGENCY_TOPIC, INSULT_TOPIC})
TARGET_OOS_NON_CONTENT = 0.97
TARGET_IN_DOMAIN_ACCEPTED = 0.92
UNKNOWN_SOURCE = "(no provenance)"
SMOKE_OOS_LINES = 20
SMOKE_IN_DOMAIN_LINES = 10


@dataclass(frozen=True)
class ExternalSet:
    """The lines, and for each the category the report breaks the figures down by."""

    directory: Path
    oos: list[str]
    oos_sources: list[str]
    in_domain: list[str]
    accepted: list[frozenset[str]]

    def sample(self, seed: int) -> ExternalSet:
        """A few lines of each file (smoke runs)."""
        chooser = random.Random(seed)
        oos = sorted(chooser.sample(range(len(self.oos)), min(SMOKE_OOS_LINES, len(self.oos))))
        inside = sorted(chooser.sample(range(len(self.in_domain)), min(SMOKE_IN_DOMAIN_LINES, len(self.in_domain))))
        return ExternalSet(
            self.directory,
            [self.oos[i] for i in oos],
            [self.oos_sources[i] for i in oos],
            [self.in_domain[i] for i in inside],
            [self.accepted[i] for i in inside],
        )


def find_directory(named: Path | None) -> tuple[Path | None, str]:
    """The folder of the external files (``named``, else looked for beside the project), or
    None and why it is not there."""
    candidates = [named] if named is not None else [base.joinpath(*EXTERNAL_PARTS) for base in PROJECT_ROOT.parents]
    for candidate in candidates:
        if (candidate / OOS_FILE).is_file() and (candidate / IN_DOMAIN_FILE).is_file():
            return candidate, ""
    where = (
        str(named)
        if named is not None
        else f"{Path(*EXTERNAL_PARTS)} beside {PROJECT_ROOT} or one of its parent folders"
    )
    return None, f"no {OOS_FILE} and {IN_DOMAIN_FILE} in {where}"


def _tsv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file, delimiter="\t", quoting=csv.QUOTE_NONE))


def load_external(directory: Path) -> ExternalSet:
    oos = [line.strip() for line in (directory / OOS_FILE).read_text(encoding="utf-8").splitlines() if line.strip()]
    provenance = directory / PROVENANCE_FILE
    source_of = (
        {row["utterance"].strip(): row["source_key"] for row in _tsv_rows(provenance)} if provenance.is_file() else {}
    )
    rows = [row for row in _tsv_rows(directory / IN_DOMAIN_FILE) if (row.get("utterance") or "").strip()]
    return ExternalSet(
        directory=directory,
        oos=oos,
        oos_sources=[source_of.get(line, UNKNOWN_SOURCE) for line in oos],
        in_domain=[row["utterance"].strip() for row in rows],
        accepted=[frozenset(t.strip() for t in row["accepted_topics"].split("|") if t.strip()) for row in rows],
    )


def in_domain_category(accepted: frozenset[str]) -> str:
    return "|".join(sorted(accepted))


def score(external: ExternalSet, oos_topics: Sequence[str], in_domain_topics: Sequence[str]) -> dict[str, Any]:
    """Shares and per-category figures; the topics given to misses are counted, never the lines."""
    oos_ok = [topic in NON_CONTENT for topic in oos_topics]
    inside_ok = [topic in accepted for topic, accepted in zip(in_domain_topics, external.accepted, strict=True)]
    by_source: dict[str, list[bool]] = defaultdict(list)
    for source, ok in zip(external.oos_sources, oos_ok, strict=True):
        by_source[source].append(ok)
    by_topic: dict[str, list[bool]] = defaultdict(list)
    for accepted, ok in zip(external.accepted, inside_ok, strict=True):
        by_topic[in_domain_category(accepted)].append(ok)

    def share(values: Sequence[bool]) -> float:
        return sum(values) / len(values) if values else 0.0

    def breakdown(groups: dict[str, list[bool]]) -> dict[str, dict[str, Any]]:
        return {key: {"lines": len(values), "rate": share(values)} for key, values in sorted(groups.items())}

    def misses(found: Sequence[str], ok: Sequence[bool]) -> dict[str, int]:
        return dict(Counter(topic for topic, good in zip(found, ok, strict=True) if not good).most_common())

    return {
        "oos_lines": len(oos_ok),
        "oos_non_content_rate": share(oos_ok),
        "oos_by_source": breakdown(by_source),
        "oos_content_topics": misses(oos_topics, oos_ok),
        "in_domain_lines": len(inside_ok),
        "in_domain_accepted_rate": share(inside_ok),
        "in_domain_by_topic": breakdown(by_topic),
        "in_domain_wrong_topics": misses(in_domain_topics, inside_ok),
    }


def evaluate_nlu(system: NluSystem, external: ExternalSet, topics: Topics) -> dict[str, Any]:
    """NLU view: every line parsed on its own, topic derived with no conversation context."""
    texts = [*external.oos, *external.in_domain]
    parses = system.parse_all(texts)
    found = [topics.of(parse.intent, parse.dispositif, text) for parse, text in zip(parses, texts, strict=True)]
    result = score(external, found[: len(external.oos)], found[len(external.oos) :])
    result["nlu_seconds"] = sum(parse.seconds for parse in parses) / len(parses) if parses else None
    return result


def evaluate_end_to_end(
    external: ExternalSet, settings: Settings, model: Path, progress: Progress, work: Path
) -> dict[str, Any]:
    """Every line through the REST channel of the real servers, one fresh conversation each."""
    texts = [*external.oos, *external.in_domain]
    found: list[str] = []
    run_id = f"{time.time():.0f}"
    started = time.perf_counter()
    with running_servers(
        settings, model, progress, work, f"external: {len(texts)} lines, one conversation each"
    ) as config:
        for number, text in enumerate(texts, start=1):
            found.append(payload_topic(say(config, f"external-{run_id}-{number}", text, {})))
            if number % 500 == 0 or number == len(texts):
                progress.note(f"{number}/{len(texts)} lines sent")
    result = score(external, found[: len(external.oos)], found[len(external.oos) :])
    result["seconds_per_turn"] = (time.perf_counter() - started) / len(texts) if texts else 0.0
    return result


def targets(section: dict[str, Any]) -> list[dict[str, Any]]:
    """Issue 9's targets on the external lines: end to end when it was run, else the NLU view;
    against the baselines, like for like (NLU view)."""
    found: list[dict[str, Any]] = []
    nlu = section.get("nlu") or {}
    ours = section.get("end_to_end") or nlu.get("project")
    view = "end to end" if section.get("end_to_end") else "NLU view"
    if ours:
        for key, minimum, label in (
            ("oos_non_content_rate", TARGET_OOS_NON_CONTENT, "external out-of-scope lines answered off-topic"),
            ("in_domain_accepted_rate", TARGET_IN_DOMAIN_ACCEPTED, "external in-domain lines given an accepted topic"),
        ):
            found.append(
                {
                    "name": f"{label} ≥ {100 * minimum:.0f} %, {view}",
                    "value": pct(ours[key]),
                    "met": ours[key] >= minimum - 1e-9,
                }
            )
    project = nlu.get("project")
    for baseline in ("rasa_default", "tfidf"):
        theirs = nlu.get(baseline)
        if project and theirs:
            for key, label in (("oos_non_content_rate", "out of scope"), ("in_domain_accepted_rate", "in domain")):
                found.append(
                    {
                        "name": f"beats {SYSTEM_LABELS[baseline]} on the external lines, {label} (NLU view)",
                        "value": f"{pct(project[key])} vs {pct(theirs[key])}",
                        "met": project[key] > theirs[key],
                    }
                )
    return found
