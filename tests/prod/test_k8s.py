"""The Kubernetes manifests (ops/k8s/) render and validate offline, and say what docs/deploy.md says.

Rendered with ``kubectl kustomize`` (kubectl 1.27 or later: kustomize v5; this machine image
ships it) and validated with ``kubernetes-validate`` (ops/tools/, installed by ``make tools``)
against the schemas it ships, strictly (an unknown field fails). Nothing is sent to a cluster.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.settings import PROJECT_ROOT

K8S = PROJECT_ROOT / "ops" / "k8s"
VALIDATOR = PROJECT_ROOT / ".venv-tools" / "bin" / "kubernetes-validate"
KUBERNETES_VERSION = "1.30.0"
OVERLAYS = ("production", "production-migrate", "test-cluster")
# Workloads that run the application image (the others are nginx, PostgreSQL and Redis).
APPLICATION = ("rasa", "actions", "web", "editor", "migrate")


def _validator() -> Path:
    if not VALIDATOR.exists():
        pytest.fail(f"{VALIDATOR} is missing: run `make tools` (ops/tools/requirements.lock)")
    return VALIDATOR


def _validate(*paths: Path) -> subprocess.CompletedProcess[str]:
    """One run for all of them: loading the schemas is most of its time."""
    command = [str(_validator()), "--strict", "--quiet", "-k", KUBERNETES_VERSION, *map(str, paths)]
    return subprocess.run(command, capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    """Each overlay rendered by kustomize, its secrets from the committed .example files."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.fail("kubectl (1.27 or later, with kustomize v5) is missing: see docs/deploy.md")
    copy = tmp_path_factory.mktemp("k8s") / "ops"
    shutil.copytree(PROJECT_ROOT / "ops", copy, ignore=shutil.ignore_patterns("__pycache__", "*.env"))
    for example in (copy / "k8s" / "overlays").glob("*/*.env.example"):
        shutil.copy(example, example.with_suffix(""))
    result = {}
    for overlay in OVERLAYS:
        # The test cluster's roles come from ops/roles.sql, outside its folder.
        restrictor = ["--load-restrictor", "LoadRestrictionsNone"] if overlay == "test-cluster" else []
        command = [kubectl, "kustomize", *restrictor, str(copy / "k8s" / "overlays" / overlay)]
        completed = subprocess.run(command, capture_output=True, text=True, check=False)
        assert completed.returncode == 0, completed.stderr
        (copy / f"{overlay}.yaml").write_text(completed.stdout)
        result[overlay] = [document for document in yaml.safe_load_all(completed.stdout) if document]
    validated = _validate(*(copy / f"{overlay}.yaml" for overlay in OVERLAYS))
    assert validated.returncode == 0, f"{validated.stdout}{validated.stderr}"
    return result


def _workloads(documents: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    for document in documents:
        if document["kind"] in ("Deployment", "StatefulSet", "Job"):
            yield document["metadata"]["name"], document["spec"]["template"]["spec"]


def _by_kind(documents: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {document["metadata"]["name"]: document for document in documents if document["kind"] == kind}


def test_every_committed_manifest_validates_on_its_own(tmp_path: Path) -> None:
    files = [path for path in K8S.rglob("*.yaml") if path.name != "kustomization.yaml"]
    assert len(files) >= 10
    completed = _validate(*files)
    assert completed.returncode == 0, f"{completed.stdout}{completed.stderr}"


def test_the_validator_rejects_a_broken_manifest(tmp_path: Path) -> None:
    broken = yaml.safe_load((K8S / "base" / "actions.yaml").read_text().split("---")[1])
    broken["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {"httpGet": {"path": "/ready"}}
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(broken))
    assert _validate(path).returncode != 0


def test_the_production_topology(rendered: dict[str, list[dict[str, Any]]]) -> None:
    documents = rendered["production"]
    deployments, statefulsets = _by_kind(documents, "Deployment"), _by_kind(documents, "StatefulSet")
    assert {"web", "actions", "nginx", "editor"} <= set(deployments) and set(statefulsets) == {"rasa"}
    assert all(deployments[name]["spec"]["replicas"] >= 2 for name in ("web", "actions", "nginx"))
    # PostgreSQL and Redis are external in production.
    assert not {"postgres", "redis"} & (set(deployments) | set(statefulsets))
    # The web fronts know every Rasa pod, through the headless Service, in step with the replicas.
    configmaps = _by_kind(documents, "ConfigMap")
    settings = next(configmap for name, configmap in configmaps.items() if name.startswith("agglo-settings"))
    urls = settings["data"]["AGGLO_RASA_URLS"].split(",")
    rasa = statefulsets["rasa"]
    assert urls == [f"http://rasa-{index}.rasa:5005" for index in range(rasa["spec"]["replicas"])]
    assert _by_kind(documents, "Service")["rasa"]["spec"]["clusterIP"] == "None"
    assert rasa["spec"]["serviceName"] == "rasa"


def test_readiness_means_ready(rendered: dict[str, list[dict[str, Any]]]) -> None:
    workloads = dict(_workloads(rendered["production"]))
    probes = {name: spec["containers"][0]["readinessProbe"]["httpGet"]["path"] for name, spec in workloads.items()}
    assert probes == {
        "rasa": "/webhooks/rest/ready",  # the model loaded and a parse answers (channels/rest.py)
        "actions": "/ready",  # the knowledge base's snapshot loaded (rasa_sdk_plugins/)
        "web": "/healthz",
        "editor": "/healthz",
        "nginx": "/widget.js",
    }
    assert workloads["rasa"]["containers"][0]["startupProbe"]["httpGet"]["path"] == "/webhooks/rest/ready"


def test_the_new_version_waits_for_its_migration(rendered: dict[str, list[dict[str, Any]]]) -> None:
    for name, spec in _workloads(rendered["production"]):
        if name in APPLICATION:
            assert [init["name"] for init in spec.get("initContainers", [])] == ["wait-for-migrations"], name
    (job,) = _by_kind(rendered["production-migrate"], "Job").values()
    command = " ".join(job["spec"]["template"]["spec"]["containers"][0]["command"])
    assert "bot db upgrade" in command and "bot kb build" in command


def test_non_root_read_only_with_requests_and_limits(rendered: dict[str, list[dict[str, Any]]]) -> None:
    for overlay in OVERLAYS:
        for name, spec in _workloads(rendered[overlay]):
            assert spec["securityContext"]["runAsNonRoot"] is True, name
            assert spec.get("automountServiceAccountToken") is False, name
            for container in spec["containers"] + spec.get("initContainers", []):
                security = container["securityContext"]
                assert security["readOnlyRootFilesystem"] is True, (name, container["name"])
                assert security["allowPrivilegeEscalation"] is False and security["capabilities"]["drop"] == ["ALL"]
                assert {"cpu", "memory"} <= set(container["resources"]["requests"]), name
                assert {"cpu", "memory"} <= set(container["resources"]["limits"]), name


def test_only_the_web_fronts_reach_rasa_and_only_rasa_the_action_servers(
    rendered: dict[str, list[dict[str, Any]]],
) -> None:
    documents = rendered["production"]
    policies = _by_kind(documents, "NetworkPolicy")
    assert policies["default-deny-ingress"]["spec"]["podSelector"] == {}
    labels = _pod_labels(documents)

    def allowed(target: str) -> set[str]:
        sources: set[str] = set()
        for policy in policies.values():
            if not _selects(policy["spec"]["podSelector"], labels[target]):
                continue
            for rule in policy["spec"].get("ingress", []):
                for peer in rule.get("from", []):
                    sources |= {name for name, pod in labels.items() if _selects(peer["podSelector"], pod)}
        return sources

    assert allowed("rasa") == {"web", "editor"}
    assert allowed("actions") == {"rasa"}


def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """A label selector (matchLabels, matchExpressions with In) matches these pod labels."""
    if not selector.get("matchLabels", {}).items() <= labels.items():
        return False
    return all(
        expression["operator"] == "In" and labels.get(expression["key"]) in expression["values"]
        for expression in selector.get("matchExpressions", [])
    )


def _pod_labels(documents: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
    return {
        document["metadata"]["name"]: document["spec"]["template"]["metadata"]["labels"]
        for document in documents
        if document["kind"] in ("Deployment", "StatefulSet")
    }


def test_no_secret_is_committed() -> None:
    committed = subprocess.run(
        ["git", "ls-files", "ops/k8s"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert committed, "ops/k8s is committed"
    assert not [path for path in committed if path.endswith(".env")]
    for path in committed:
        text = (PROJECT_ROOT / path).read_text(encoding="utf-8")
        documents = list(yaml.safe_load_all(text)) if path.endswith(".yaml") else []
        assert not any(isinstance(document, dict) and document.get("kind") == "Secret" for document in documents), path
