"""``rasa train`` timed from an empty cache, and the bare-Rasa baseline it trains."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench.common.results import SCRATCH_DIR
from bot.settings import PROJECT_ROOT, child_environment

# A `rasa init`-like project: its pipeline, rules answering with utter_ responses only.
BASELINE_DIR = Path(__file__).resolve().parent / "baseline"
BASELINE_MODEL = SCRATCH_DIR / "baseline.tar.gz"
# Where this run's own training of the project goes (never over models/agglo.tar.gz).
TRAINED_PROJECT_MODEL = SCRATCH_DIR / "agglo.tar.gz"


def rasa_train(project: Path, name: str) -> float:
    """``rasa train --force`` of ``project`` (its config.yml, domain.yml and data/) with an empty
    cache, so nothing is reused, into ``SCRATCH_DIR/name.tar.gz``; the seconds it took."""
    cache = SCRATCH_DIR / f"cache-{name}"
    shutil.rmtree(cache, ignore_errors=True)
    SCRATCH_DIR.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "rasa", "train", "--config", str(project / "config.yml")]
    command += ["--domain", str(project / "domain.yml"), "--data", str(project / "data"), "--out", str(SCRATCH_DIR)]
    command += ["--fixed-model-name", name, "--force", "--quiet"]
    env = child_environment(
        {"RASA_CACHE_DIRECTORY": str(cache), "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONWARNINGS": "ignore"}
    )
    log_file = SCRATCH_DIR / f"train-{name}.log"
    started = time.perf_counter()
    with log_file.open("w") as output:
        completed = subprocess.run(command, cwd=PROJECT_ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    elapsed = time.perf_counter() - started
    shutil.rmtree(cache, ignore_errors=True)
    if completed.returncode != 0:
        raise RuntimeError(f"rasa train of {name} failed (exit {completed.returncode}): see {log_file}")
    return elapsed


def train_baseline() -> float:
    return rasa_train(BASELINE_DIR, "baseline")


def train_project() -> float:
    return rasa_train(PROJECT_ROOT, "agglo")
