"""Rasa's own checks: data validation, test stories and the held-out NLU evaluation."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.settings import PROJECT_ROOT
from ops.dev import DEFAULT_MODEL

RASA = [sys.executable, "-m", "rasa"]
RESULTS = PROJECT_ROOT / "results"
# Held-out NLU floors. The aim is 95 % accuracy and 90 % out-of-scope recall; the last
# measured figures are in the README, and a drop below these floors fails the suite.
MIN_INTENT_ACCURACY = 0.93
MIN_OUT_OF_SCOPE_RECALL = 0.88

pytestmark = pytest.mark.rasa

needs_model = pytest.mark.skipif(not DEFAULT_MODEL.exists(), reason="no trained model: run `make train`")


HOLDOUT = Path(__file__).parent / "holdout"


def rasa(*args: str) -> subprocess.CompletedProcess[str]:
    # endpoints.yml takes these from the environment (ops/dev.py sets them for the servers).
    env = {
        **os.environ,
        "AGGLO_TRACKER_DATABASE_URL": f"sqlite:///{RESULTS / 'tracker-test.sqlite3'}",
        "AGGLO_ACTIONS_URL": "http://127.0.0.1:5055/webhook",
    }
    RESULTS.mkdir(exist_ok=True)
    return subprocess.run([*RASA, *args], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=900, env=env)


def responses_sent_by_actions() -> set[str]:
    """The domain responses that custom actions send by name (so no story mentions them): named
    in actions/ or in what bot/core decides for them (bot/core/turns.py's people first)."""
    paths = [*(PROJECT_ROOT / "actions").glob("*.py"), *(PROJECT_ROOT / "bot" / "core").glob("*.py")]
    sources = "\n".join(path.read_text(encoding="utf-8") for path in paths)
    named = set(re.findall(r'"(utter_[a-z_]+)"', sources))
    named |= {f"utter_{slug}" for slug in re.findall(r'"([a-z_]+)": "\1"', sources)}  # utter_<topic>
    return named


def test_rasa_data_validate_has_only_explained_warnings() -> None:
    result = rasa("data", "validate", "--max-history", "3")
    assert result.returncode == 0, result.stdout + result.stderr
    warnings = re.findall(r"UserWarning: (.*)", result.stdout + result.stderr)
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    explained = responses_sent_by_actions()
    # The channel reads utter_erreur_technique; utter_default is Rasa's own fallback response.
    explained |= {"utter_erreur_technique", "utter_default"}
    assert explained <= set(domain["responses"])
    for warning in warnings:
        match = re.fullmatch(r"The utterance '(utter_[a-z_]+)' is not used in any story or rule\.", warning.strip())
        assert match is not None and match.group(1) in explained, warning


@needs_model
def test_stories_are_predicted_without_errors() -> None:
    result = rasa(
        "test",
        "core",
        "--stories",
        "tests/integration/rasa/test_stories.yml",
        "--model",
        str(DEFAULT_MODEL),
        "--out",
        str(RESULTS / "core"),
        "--fail-on-prediction-errors",
    )
    failed = RESULTS / "core" / "failed_test_stories.yml"
    assert result.returncode == 0, (failed.read_text() if failed.exists() else "") + result.stderr[-3000:]


@needs_model
def test_nlu_on_the_held_out_split() -> None:
    result = rasa(
        "test",
        "nlu",
        "--nlu",
        "tests/integration/rasa/holdout",
        "--model",
        str(DEFAULT_MODEL),
        "--out",
        str(RESULTS / "nlu"),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads((RESULTS / "nlu" / "intent_report.json").read_text(encoding="utf-8"))
    print("\nHeld-out NLU evaluation (tests/integration/rasa/holdout/, never used for training)")
    print(f"{'intent':<24} {'precision':>9} {'recall':>7} {'f1':>6} {'n':>4}")
    for intent, scores in sorted(report.items()):
        if isinstance(scores, dict) and "support" in scores and not intent.endswith("avg"):
            precision, recall, f1 = scores["precision"], scores["recall"], scores["f1-score"]
            print(f"{intent:<24} {precision:>9.2f} {recall:>7.2f} {f1:>6.2f} {scores['support']:>4}")
    print(f"accuracy {report['accuracy']:.3f}, out-of-scope recall {report['hors_sujet']['recall']:.2f}")
    assert report["accuracy"] >= MIN_INTENT_ACCURACY
    assert report["hors_sujet"]["recall"] >= MIN_OUT_OF_SCOPE_RECALL
