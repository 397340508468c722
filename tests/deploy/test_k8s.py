"""deploy/k8s (kustomize base, components, example overlay) agrees with the code.

Each agreement is a function returning problems: the tests assert the built overlay has none, and
`test_each_drift_is_caught` breaks a copy of the built objects to prove each check can fail.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.config.loader import load_template
from tests.deploy import cluster
from tests.deploy.cluster import (
    ALLOW_LIST_ANNOTATION,
    GUARDED_PREFIXES,
    OVERLAY,
    WEBHOOK_ROUTES,
    Obj,
    all_containers,
    by_kind,
    container_env,
    named,
    pod_spec,
)
from tests.deploy.kustomize import build, build_here, build_with_tool, kustomize_command, strip_hashes
from tests.deploy.test_manifest import load_manifest, request_urls

SERVER, WORKER = "interrupt-bridge", "interrupt-bridge-worker"


@pytest.fixture(scope="module")
def objects() -> list[Obj]:
    return build(OVERLAY)


@pytest.fixture(scope="module")
def routes() -> dict[str, set[str]]:
    return cluster.app_routes()


# -- checks ---------------------------------------------------------------------------------------
def workload_problems(objects: list[Obj], routes: dict[str, set[str]]) -> list[str]:
    """Replicas, probes on real routes and the real port, resources, a locked-down pod."""
    problems: list[str] = []
    server = named(objects, "Deployment", SERVER)
    port = int(cluster.image_env()["BRIDGE_PORT"])
    if server["spec"]["replicas"] < 2:
        problems.append(f"{SERVER}: {server['spec']['replicas']} replica(s), at least 2 wanted")
    [main] = pod_spec(server)["containers"]
    env = container_env(objects, main)
    if int(env.get("BRIDGE_PORT", {}).get("value", port)) != port:
        problems.append(f"{SERVER}: BRIDGE_PORT differs from the image's {port}")
    ports = {p["name"]: p["containerPort"] for p in main.get("ports", [])}
    if ports.get("http") != port:
        problems.append(
            f"{SERVER}: container port 'http' is {ports.get('http')}, the service listens on {port}"
        )
    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz"), ("startupProbe", None)):
        get = main.get(probe, {}).get("httpGet")
        if get is None:
            if path is not None:
                problems.append(f"{SERVER}: no {probe}")
            continue
        if path is not None and get["path"] != path:
            problems.append(f"{SERVER}: {probe} on {get['path']}, expected {path}")
        if get["path"] not in routes or "GET" not in routes[get["path"]]:
            problems.append(f"{SERVER}: {probe} path {get['path']} is not a GET route of the app")
        if ports.get(get["port"], get["port"]) != port:
            problems.append(f"{SERVER}: {probe} port {get['port']} is not the service's port {port}")
    annotations = server["spec"]["template"]["metadata"].get("annotations", {})
    if annotations.get("prometheus.io/path") not in routes:
        problems.append(
            f"{SERVER}: prometheus.io/path {annotations.get('prometheus.io/path')} is not a route"
        )
    if int(annotations.get("prometheus.io/port", 0)) != port:
        problems.append(f"{SERVER}: prometheus.io/port is not {port}")
    for workload in by_kind(objects, "Deployment"):
        problems += _pod_security_problems(workload)
    return problems


def _pod_security_problems(workload: Obj) -> list[str]:
    name, spec = workload["metadata"]["name"], pod_spec(workload)
    problems = []
    pod = spec.get("securityContext", {})
    if pod.get("runAsNonRoot") is not True:
        problems.append(f"{name}: runAsNonRoot is not set")
    if pod.get("runAsUser", cluster.image_user()) != cluster.image_user():
        problems.append(
            f"{name}: runAsUser {pod.get('runAsUser')} is not the image's user {cluster.image_user()}"
        )
    volumes = {v["name"]: v for v in spec.get("volumes", [])}
    for container in all_containers(workload):
        where = f"{name}/{container['name']}"
        context = container.get("securityContext", {})
        if context.get("readOnlyRootFilesystem") is not True:
            problems.append(f"{where}: root filesystem is writable")
        if context.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{where}: allowPrivilegeEscalation is not false")
        mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
        if "emptyDir" not in volumes.get(mounts.get("/tmp", ""), {}):
            problems.append(f"{where}: /tmp is not a writable emptyDir (the root filesystem is read-only)")
        resources = container.get("resources", {})
        if not resources.get("requests", {}).get("memory") or not resources.get("limits", {}).get("memory"):
            problems.append(f"{where}: memory request and limit are required")
        if not resources.get("requests", {}).get("cpu"):
            problems.append(f"{where}: no CPU request")
    return problems


def command_problems(objects: list[Obj]) -> list[str]:
    """Migrations run before the server; every container runs a real CLI command."""
    problems = []
    server = named(objects, "Deployment", SERVER)
    init = pod_spec(server).get("initContainers", [])
    if not any(c.get("args") == ["migrate"] for c in init):
        problems.append(f"{SERVER}: no init container runs `interrupt-bridge migrate`")
    for workload in by_kind(objects, "Deployment"):
        for container in all_containers(workload):
            args = container.get("args", [])
            if container.get("command"):
                problems.append(f"{container['name']}: overrides the image's ENTRYPOINT interrupt-bridge")
            if not args or args[0] not in cluster.cli_commands() or not cluster.parses_as_cli(args):
                problems.append(
                    f"{container['name']}: `interrupt-bridge {' '.join(args)}` is not a CLI command"
                )
    if WORKER in {d["metadata"]["name"] for d in by_kind(objects, "Deployment")}:
        [worker] = pod_spec(named(objects, "Deployment", WORKER))["containers"]
        [main] = pod_spec(server)["containers"]
        if worker.get("args") != ["worker"] or "--no-worker" not in main.get("args", []):
            problems.append("with a worker Deployment, it runs `worker` and the server `serve --no-worker`")
    return problems


def env_problems(objects: list[Obj]) -> list[str]:
    """Every variable is a setting; secrets come from Secret references only, never inline."""
    problems = []
    known, secrets = cluster.setting_names(), cluster.secret_settings()
    for workload in by_kind(objects, "Deployment"):
        for container in all_containers(workload):
            where = f"{workload['metadata']['name']}/{container['name']}"
            env = container_env(objects, container)
            for name, entry in env.items():
                if name not in known:
                    problems.append(f"{where}: {name} is not a setting of app/settings.py")
                if name in secrets and "secretKeyRef" not in entry.get("valueFrom", {}):
                    problems.append(f"{where}: {name} is a secret but not a secretKeyRef")
            if container.get("args", [None])[0] in ("serve", "worker"):
                missing = secrets - set(env)
                if missing - {"SLACK_APP_TOKEN"}:  # Socket Mode only (the server has it, optional)
                    problems.append(f"{where}: secrets not provided: {sorted(missing)}")
    problems += [f"Secret {s['metadata']['name']} is in the manifests" for s in by_kind(objects, "Secret")]
    return problems


def config_problems(objects: list[Obj], tmp_path: Path) -> list[str]:
    """BRIDGE_CONFIG names the file the template ConfigMap is mounted as, and that template loads."""
    problems = []
    for workload in by_kind(objects, "Deployment"):
        spec = pod_spec(workload)
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        for container in spec["containers"]:
            where = f"{workload['metadata']['name']}/{container['name']}"
            config = container_env(objects, container).get("BRIDGE_CONFIG", {}).get("value")
            mounted = {}
            for mount in container.get("volumeMounts", []):
                source = volumes[mount["name"]].get("configMap")
                for item in (source or {}).get("items", []):
                    mounted[f"{mount['mountPath'].rstrip('/')}/{item['path']}"] = (
                        source["name"],
                        item["key"],
                    )
            if config not in mounted:
                problems.append(
                    f"{where}: BRIDGE_CONFIG={config} is not a mounted ConfigMap file {list(mounted)}"
                )
                continue
            configmap, key = mounted[config]
            data = cluster.configmap_data(objects, configmap)
            if key not in data:
                problems.append(f"{where}: ConfigMap {configmap} has no key {key}")
                continue
            copy_path = tmp_path / key
            copy_path.write_text(data[key], encoding="utf-8")
            try:
                load_template(copy_path)
            except Exception as exc:
                problems.append(f"{where}: the mounted template does not load: {exc}")
    return problems


def network_problems(objects: list[Obj], routes: dict[str, set[str]]) -> list[str]:
    """The Service reaches the server's port; the public Ingress routes the webhooks and nothing else."""
    problems = []
    server = named(objects, "Deployment", SERVER)
    [main] = pod_spec(server)["containers"]
    port_names = {p["name"] for p in main.get("ports", [])}
    services = {s["metadata"]["name"]: s for s in by_kind(objects, "Service")}
    pod_labels = server["spec"]["template"]["metadata"]["labels"]
    for service in services.values():
        if not set(service["spec"]["selector"].items()) <= set(pod_labels.items()):
            problems.append(f"Service {service['metadata']['name']} does not select the server pods")
        for port in service["spec"]["ports"]:
            if port["targetPort"] not in port_names:
                problems.append(
                    f"Service port {port['name']} targets {port['targetPort']}, not a container port"
                )
    public_paths: set[str] = set()
    for ingress in by_kind(objects, "Ingress"):
        guarded = ALLOW_LIST_ANNOTATION in ingress["metadata"].get("annotations", {})
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                service = services.get(backend["name"])
                if service is None or backend["port"].get("name") not in {
                    p["name"] for p in service["spec"]["ports"]
                }:
                    problems.append(f"Ingress path {path['path']} goes to no Service port")
                if path["path"].startswith(GUARDED_PREFIXES):
                    if not guarded:
                        problems.append(f"Ingress path {path['path']} is served without an allow-list")
                    continue
                public_paths.add(path["path"])
                if path["path"] not in WEBHOOK_ROUTES:
                    problems.append(f"Ingress exposes {path['path']}: only the webhook routes may be public")
                elif path["path"] not in routes or "POST" not in routes[path["path"]]:
                    problems.append(f"Ingress path {path['path']} is not a POST route of the app")
                if path["pathType"] != "Exact":
                    problems.append(f"Ingress path {path['path']} is {path['pathType']}, not Exact")
    for missing in sorted(WEBHOOK_ROUTES - public_paths):
        problems.append(f"the Ingress does not route {missing}")
    return problems


def disruption_problems(objects: list[Obj]) -> list[str]:
    problems = []
    for workload in by_kind(objects, "Deployment"):
        labels = workload["spec"]["template"]["metadata"]["labels"]
        budgets = [
            pdb
            for pdb in by_kind(objects, "PodDisruptionBudget")
            if set(pdb["spec"]["selector"]["matchLabels"].items()) <= set(labels.items())
        ]
        if len(budgets) != 1:
            problems.append(f"{workload['metadata']['name']}: {len(budgets)} PodDisruptionBudgets select it")
        elif not 0 < budgets[0]["spec"].get("minAvailable", 0) < workload["spec"]["replicas"]:
            problems.append(f"{workload['metadata']['name']}: minAvailable must leave room for a drain")
    return problems


def all_problems(objects: list[Obj], routes: dict[str, set[str]], tmp_path: Path) -> list[str]:
    return (
        workload_problems(objects, routes)
        + command_problems(objects)
        + env_problems(objects)
        + config_problems(objects, tmp_path)
        + network_problems(objects, routes)
        + disruption_problems(objects)
    )


# -- the shipped manifests ----------------------------------------------------------------------
def test_every_yaml_file_under_deploy_parses() -> None:
    files = sorted(cluster.DEPLOY.rglob("*.y*ml"))
    assert len(files) >= 12
    for path in files:
        assert list(yaml.safe_load_all(path.read_text(encoding="utf-8"))), path


def test_the_overlay_builds_the_expected_objects(objects: list[Obj]) -> None:
    kinds = sorted((o["kind"], cluster._base_name(o["metadata"]["name"])) for o in objects)
    assert kinds == [
        ("ConfigMap", "interrupt-bridge-env"),
        ("ConfigMap", "interrupt-bridge-template"),
        ("Deployment", SERVER),
        ("Deployment", WORKER),
        ("Ingress", "interrupt-bridge"),
        ("Ingress", "interrupt-bridge-reports"),
        ("PodDisruptionBudget", "interrupt-bridge"),
        ("PodDisruptionBudget", "interrupt-bridge-worker"),
        ("Service", "interrupt-bridge"),
        ("ServiceAccount", "interrupt-bridge"),
    ]
    assert {o["metadata"]["namespace"] for o in objects} == {"interrupt-bridge"}


def test_the_base_alone_builds_with_the_worker_inside_serve() -> None:
    base = build_here(OVERLAY.parents[1] / "base")
    [server] = by_kind(base, "Deployment")
    assert pod_spec(server)["containers"][0]["args"] == ["serve"]


def test_workloads(objects: list[Obj], routes: dict[str, set[str]]) -> None:
    assert workload_problems(objects, routes) == []


def test_commands(objects: list[Obj]) -> None:
    assert command_problems(objects) == []


def test_env_names_and_secret_references(objects: list[Obj]) -> None:
    assert env_problems(objects) == []


def test_template_is_mounted_at_bridge_config(objects: list[Obj], tmp_path: Path) -> None:
    assert config_problems(objects, tmp_path) == []


def test_service_and_ingress(objects: list[Obj], routes: dict[str, set[str]]) -> None:
    assert network_problems(objects, routes) == []
    assert "/metrics" in routes  # served, but (above) never through the Ingress


def test_disruption_budgets(objects: list[Obj]) -> None:
    assert disruption_problems(objects) == []


def test_slack_manifest_urls_are_routed_by_the_ingress(
    objects: list[Obj], routes: dict[str, set[str]]
) -> None:
    from urllib.parse import urlsplit

    public = {
        path["path"]
        for ingress in by_kind(objects, "Ingress")
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    }
    for where, url in request_urls(load_manifest()).items():
        path = urlsplit(url).path
        assert "POST" in routes.get(path, set()), f"{where}: {path} is not a POST route"
        assert path in public, f"{where}: {path} is not routed by the Ingress"


def test_objects_validate_against_the_kubernetes_schemas(objects: list[Obj]) -> None:
    kubernetes_validate = pytest.importorskip(
        "kubernetes_validate", reason="kubernetes-validate not installed"
    )
    version = kubernetes_validate.utils.latest_version()
    for obj in objects:
        kubernetes_validate.validate(obj, version, strict=True)
    broken = copy.deepcopy(named(objects, "Deployment", SERVER))
    pod_spec(broken)["containers"][0]["livenessProbe"]["httpGett"] = {"path": "/healthz"}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, version, strict=True)


def test_the_fallback_builder_agrees_with_kustomize() -> None:
    if kustomize_command() is None:
        pytest.skip("neither kubectl nor kustomize is installed; the tests used the fallback builder")
    for directory in (OVERLAY, OVERLAY.parents[1] / "base"):

        def key(obj: Obj) -> tuple[str, str]:
            return obj["kind"], obj["metadata"]["name"]

        real = sorted(strip_hashes(build_with_tool(directory)), key=key)
        assert real == sorted(build_here(directory), key=key)


# -- each check can fail ------------------------------------------------------------------------
def _server(objects: list[Obj]) -> Obj:
    container: Obj = pod_spec(named(objects, "Deployment", SERVER))["containers"][0]
    return container


def _env(objects: list[Obj], name: str) -> Obj:
    [entry] = [e for e in _server(objects)["env"] if e["name"] == name]
    return entry


def _ingress_paths(objects: list[Obj]) -> list[Obj]:
    paths: list[Obj] = named(objects, "Ingress", "interrupt-bridge")["spec"]["rules"][0]["http"]["paths"]
    return paths


Edit = Callable[[list[Obj]], Any]
DRIFTS: dict[str, tuple[Edit, str]] = {
    "one replica": (
        lambda o: named(o, "Deployment", SERVER)["spec"].update(replicas=1),
        "1 replica(s), at least 2 wanted",
    ),
    "readiness on a route that does not exist": (
        lambda o: _server(o)["readinessProbe"]["httpGet"].update(path="/ready"),
        "readinessProbe path /ready is not a GET route",
    ),
    "liveness on readyz": (
        lambda o: _server(o)["livenessProbe"]["httpGet"].update(path="/readyz"),
        "livenessProbe on /readyz, expected /healthz",
    ),
    "container port off": (
        lambda o: _server(o)["ports"][0].update(containerPort=8080),
        "container port 'http' is 8080",
    ),
    "writable root": (
        lambda o: _server(o)["securityContext"].update(readOnlyRootFilesystem=False),
        "root filesystem is writable",
    ),
    "root user": (
        lambda o: pod_spec(named(o, "Deployment", SERVER))["securityContext"].pop("runAsNonRoot"),
        "runAsNonRoot is not set",
    ),
    "no memory limit": (
        lambda o: _server(o)["resources"].pop("limits"),
        "memory request and limit are required",
    ),
    "no migration step": (
        lambda o: pod_spec(named(o, "Deployment", SERVER)).pop("initContainers"),
        "no init container runs `interrupt-bridge migrate`",
    ),
    "unknown command": (
        lambda o: _server(o).update(args=["server"]),
        "`interrupt-bridge server` is not a CLI command",
    ),
    "misspelt setting": (
        lambda o: _server(o)["env"].append({"name": "JIRA_CONCURENCY", "value": "4"}),
        "JIRA_CONCURENCY is not a setting",
    ),
    "inline secret": (
        lambda o: _env(o, "SLACK_BOT_TOKEN").update(value="xoxb-inline", valueFrom={}),
        "SLACK_BOT_TOKEN is a secret but not a secretKeyRef",
    ),
    "secret left out": (
        lambda o: _server(o)["env"].remove(_env(o, "JIRA_WEBHOOK_SECRET")),
        "secrets not provided: ['JIRA_WEBHOOK_SECRET']",
    ),
    "config path off": (
        lambda o: _env(o, "BRIDGE_CONFIG").update(value="/etc/interrupt-bridge/template.yaml"),
        "BRIDGE_CONFIG=/etc/interrupt-bridge/template.yaml is not a mounted ConfigMap file",
    ),
    "broken template": (
        lambda o: cluster.configmap_data(
            o, named(o, "ConfigMap", "interrupt-bridge-template")["metadata"]["name"]
        ).update({"bridge.yaml": "teams: 3\n"}),
        "the mounted template does not load",
    ),
    "metrics on the Ingress": (
        lambda o: _ingress_paths(o).append({**_ingress_paths(o)[0], "path": "/metrics"}),
        "Ingress exposes /metrics",
    ),
    "webhook route renamed": (
        lambda o: _ingress_paths(o)[1].update(path="/jira/webhooks"),
        "the Ingress does not route /jira/webhook",
    ),
    "reports without an allow-list": (
        lambda o: named(o, "Ingress", "interrupt-bridge-reports")["metadata"].pop("annotations"),
        "Ingress path /reports is served without an allow-list",
    ),
    "service to a missing port": (
        lambda o: named(o, "Service", "interrupt-bridge")["spec"]["ports"][0].update(targetPort="web"),
        "targets web, not a container port",
    ),
    "budget blocks drains": (
        lambda o: named(o, "PodDisruptionBudget", "interrupt-bridge")["spec"].update(minAvailable=3),
        "minAvailable must leave room for a drain",
    ),
}


@pytest.mark.parametrize("drift", DRIFTS)
def test_each_drift_is_caught(
    drift: str, objects: list[Obj], routes: dict[str, set[str]], tmp_path: Path
) -> None:
    edit, expected = DRIFTS[drift]
    assert all_problems(objects, routes, tmp_path) == []
    broken = copy.deepcopy(objects)
    edit(broken)
    problems = all_problems(broken, routes, tmp_path)
    assert any(expected in problem for problem in problems), problems


def test_the_example_overlay_ships_the_example_template() -> None:
    # kustomize loads files only from inside the overlay, so it holds a copy; keep it the same.
    copied = (OVERLAY / "bridge.yaml").read_text(encoding="utf-8")
    assert copied == (cluster.DEPLOY / "bridge.example.yaml").read_text(encoding="utf-8"), (
        "cp deploy/bridge.example.yaml deploy/k8s/overlays/example/bridge.yaml"
    )
