"""The deployment files are never run here (no container engine): check what can be checked.

They parse, their probes and roles are the ones the service has, and every
``SPOTARB_*`` variable they set is a real setting.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from spotarb.core.config import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def spotarb_vars(env: Any) -> set[str]:
    names = env.keys() if isinstance(env, dict) else (e["name"] for e in env)
    return {n for n in names if n.startswith("SPOTARB_")}


def assert_real_settings(names: set[str]) -> None:
    fields = set(Settings.model_fields)
    unknown = {n for n in names if n.removeprefix("SPOTARB_").lower() not in fields}
    assert not unknown, f"not settings: {unknown}"


def test_compose_runs_two_collectors_and_api_replicas_on_postgres_and_redis() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "collector", "api"} <= set(services)
    assert services["collector"]["command"] == ["--role", "collector"]
    assert services["collector"]["deploy"]["replicas"] == 2
    assert services["api"]["command"] == ["--role", "api"]
    env = services["api"]["environment"]
    assert env["SPOTARB_DB"].startswith("postgresql://")
    assert env["SPOTARB_REDIS_URL"].startswith("redis://")
    assert_real_settings(spotarb_vars(env))


def test_kubernetes_manifests_probe_health_and_readiness() -> None:
    docs = [
        doc
        for path in sorted((DEPLOY / "k8s").glob("*.yaml"))
        for doc in yaml.safe_load_all(path.read_text())
    ]
    kinds = [d["kind"] for d in docs]
    assert kinds.count("Deployment") == 2 and "Service" in kinds and "Secret" in kinds
    roles = {}
    for deployment in (d for d in docs if d["kind"] == "Deployment"):
        component = deployment["metadata"]["labels"]["app.kubernetes.io/component"]
        [container] = deployment["spec"]["template"]["spec"]["containers"]
        roles[component] = container["args"]
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert (
            deployment["spec"]["selector"]["matchLabels"]
            == (deployment["spec"]["template"]["metadata"]["labels"])
        )
        assert_real_settings(spotarb_vars(container["env"]))
    assert roles == {"api": ["--role", "api"], "collector": ["--role", "collector"]}
    [service] = [d for d in docs if d["kind"] == "Service"]
    assert service["spec"]["selector"]["app.kubernetes.io/component"] == "api"


def test_containerfile_copies_what_exists_and_runs_serve() -> None:
    text = (ROOT / "Containerfile").read_text()
    for line in re.findall(r"^COPY (.+) \S+$", text, flags=re.MULTILINE):
        for name in line.split():
            assert (ROOT / name).exists(), name
    assert 'ENTRYPOINT ["spotarb", "serve"]' in text
    assert "uv sync --locked" in text  # the lock file decides the image's versions
