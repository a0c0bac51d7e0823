"""The three NLU systems the quality benchmark compares, behind one small interface.

1. the project's pipeline (config.yml), 2. Rasa 3.6's default pipeline
(bench/quality/config_rasa_default.yml), both trained with Rasa's own training API; 3. a lexical
baseline: TF-IDF (words and character n-grams) with a linear SVM, from scikit-learn.

Every system turns a message into an intent and, when it extracts one, the `dispositif`
entity; the topic is then derived by :func:`bot.core.topics.turn_topic`, the same for all.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import yaml

from bot.settings import PROJECT_ROOT

NLU_DATA = PROJECT_ROOT / "data" / "nlu"
PROJECT_CONFIG = PROJECT_ROOT / "config.yml"
DEFAULT_CONFIG = PROJECT_ROOT / "bench" / "quality" / "config_rasa_default.yml"
# The compared systems, in the report's order.
SYSTEMS = ("project", "rasa_default", "tfidf")
# Components whose `epochs` the smoke mode shrinks.
_EPOCH_COMPONENTS = ("DIETClassifier", "ResponseSelector", "TEDPolicy", "UnexpecTEDIntentPolicy")


@dataclass(frozen=True)
class Example:
    """A training example: its annotated source line, plain text, intent and `dispositif`."""

    raw: str
    text: str
    intent: str
    dispositif: str | None


@dataclass(frozen=True)
class Parse:
    intent: str
    dispositif: str | None
    seconds: float


class NluSystem(Protocol):
    name: str

    def parse_all(self, texts: Sequence[str]) -> list[Parse]: ...

    def close(self) -> None: ...


@dataclass
class NluData:
    """data/nlu split into intent examples and everything else (synonyms, lookup tables)."""

    examples: list[Example]
    resources: list[dict[str, Any]]

    def write(self, path: Path, examples: Sequence[Example]) -> Path:
        """A Rasa NLU file with these examples and all the synonyms and lookup tables."""
        by_intent: dict[str, list[str]] = {}
        for example in examples:
            by_intent.setdefault(example.intent, []).append(example.raw)
        items: list[dict[str, Any]] = [
            {"intent": intent, "examples": "".join(f"- {raw}\n" for raw in raws)} for intent, raws in by_intent.items()
        ]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            yaml.safe_dump({"version": "3.1", "nlu": items + self.resources}, allow_unicode=True, sort_keys=False),
            encoding="utf-8",
        )
        return path


def load_nlu_data(directory: Path = NLU_DATA) -> NluData:
    from rasa.shared.nlu.training_data.entities_parser import parse_training_example

    examples: list[Example] = []
    resources: list[dict[str, Any]] = []
    for file in sorted(directory.rglob("*.yml")):
        content = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        for item in content.get("nlu") or []:
            if "intent" not in item:
                resources.append(item)
                continue
            for line in str(item.get("examples") or "").splitlines():
                raw = line.strip()
                if not raw.startswith("- "):
                    continue
                raw = raw[2:].strip()
                message = parse_training_example(raw, item["intent"])
                dispositif = next(
                    (str(e["value"]) for e in message.get("entities") or [] if e.get("entity") == "dispositif"), None
                )
                examples.append(Example(raw, str(message.get("text")), str(item["intent"]), dispositif))
    return NluData(examples, resources)


def config_with_epochs(config: Path, epochs: int | None, out: Path) -> Path:
    """The config itself, or a copy whose neural components train for ``epochs`` (smoke runs)."""
    if epochs is None:
        return config
    content = yaml.safe_load(config.read_text(encoding="utf-8"))
    for component in [*(content.get("pipeline") or []), *(content.get("policies") or [])]:
        if component.get("name") in _EPOCH_COMPONENTS:
            component["epochs"] = epochs
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(yaml.safe_dump(content, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return out


def quiet_rasa() -> None:
    """Rasa's per-message debug lines and its dependencies' warnings, off: the benchmark prints
    one progress line per step. Called again after Rasa's calls, which reset the filters."""
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)
    for name in ("rasa", "tensorflow", "absl", "spacy"):
        logging.getLogger(name).setLevel(logging.WARNING)
    warnings.filterwarnings("ignore")


def train_rasa_nlu(config: Path, nlu_file: Path, out_dir: Path, name: str) -> Path:
    """An NLU-only model trained with Rasa's API (``rasa train nlu``)."""
    from rasa.model_training import train_nlu

    quiet_rasa()
    model = train_nlu(config=str(config), nlu_data=str(nlu_file), output=str(out_dir), fixed_model_name=name)
    quiet_rasa()
    if not model:
        raise RuntimeError(f"Rasa could not train {name} from {nlu_file} with {config}")
    return Path(model)


class RasaSystem:
    """A trained Rasa model (NLU-only or complete), parsed with ``Agent.parse_message``."""

    def __init__(self, name: str, model: Path) -> None:
        from rasa.core.agent import Agent

        self.name = name
        self.model = model
        quiet_rasa()
        self._agent: Any = Agent.load(str(model))
        quiet_rasa()

    def parse_all(self, texts: Sequence[str]) -> list[Parse]:
        async def parse() -> list[Parse]:
            results = []
            for text in texts:
                started = time.perf_counter()
                data = await self._agent.parse_message(text)
                elapsed = time.perf_counter() - started
                dispositif = next(
                    (str(e["value"]) for e in data.get("entities") or [] if e.get("entity") == "dispositif"), None
                )
                results.append(Parse(str((data.get("intent") or {}).get("name") or ""), dispositif, elapsed))
            return results

        return asyncio.run(parse())

    def close(self) -> None:
        self._agent = None
        gc.collect()


class TfidfSystem:
    """TF-IDF over word 1-2-grams and character 2-5-grams, and a linear SVM: intents only."""

    def __init__(self, name: str, texts: Sequence[str], intents: Sequence[str], seed: int) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.pipeline import make_pipeline, make_union
        from sklearn.svm import LinearSVC

        self.name = name
        features = make_union(
            TfidfVectorizer(analyzer="word", ngram_range=(1, 2), strip_accents="unicode", sublinear_tf=True),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), strip_accents="unicode", sublinear_tf=True),
        )
        self._model = make_pipeline(features, LinearSVC(C=1.0, random_state=seed))
        self._model.fit(list(texts), list(intents))

    def parse_all(self, texts: Sequence[str]) -> list[Parse]:
        results = []
        # One message at a time, as a chatbot receives them, so the time per message compares.
        for text in texts:
            started = time.perf_counter()
            intent = str(self._model.predict([text])[0])
            results.append(Parse(intent, None, time.perf_counter() - started))
        return results

    def close(self) -> None:
        return
