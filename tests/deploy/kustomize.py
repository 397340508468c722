"""Build a kustomization for the deploy tests: with `kubectl kustomize` / `kustomize build` when one is
installed, else with `build_here`, a small builder of exactly the kustomize features deploy/k8s uses
(resources, components, namespace, labels, images, configMapGenerator with merge, inline JSON 6902
patches). Where kubectl is installed, a test checks that both builders agree.
"""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

Obj = dict[str, Any]
# kustomize appends a content hash to generated ConfigMap names (`name-<10 chars>`).
_HASH_SUFFIX = re.compile(r"-[a-z0-9]{10}$")


def kustomize_command() -> list[str] | None:
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize"]
    if shutil.which("kustomize"):
        return ["kustomize", "build"]
    return None


def build_with_tool(directory: Path) -> list[Obj]:
    command = kustomize_command()
    assert command is not None
    result = subprocess.run(
        [*command, str(directory)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def build(directory: Path) -> list[Obj]:
    """The overlay's objects, from the real tool when there is one."""
    return build_with_tool(directory) if kustomize_command() else build_here(directory)


def strip_hashes(objects: list[Obj]) -> list[Obj]:
    """Generated names without their hash suffix (and references to them), to compare builders."""
    generated = {
        obj["metadata"]["name"]
        for obj in objects
        if obj["kind"] == "ConfigMap" and _HASH_SUFFIX.search(obj["metadata"]["name"])
    }

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, str) and value in generated:
            return _HASH_SUFFIX.sub("", value)
        return value

    return [walk(obj) for obj in objects]


# -- the builder ----------------------------------------------------------------------------------
def build_here(directory: Path) -> list[Obj]:
    objects: list[Obj] = []
    _apply(directory, objects)
    return objects


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _apply(directory: Path, objects: list[Obj]) -> None:
    kustomization = _load(directory / "kustomization.yaml")
    for resource in kustomization.get("resources", []):
        path = directory / resource
        if path.is_dir():
            _apply(path, objects)
        else:
            objects.extend(doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc)
    for generator in kustomization.get("configMapGenerator", []):
        _generate(directory, generator, objects)
    for component in kustomization.get("components", []):
        _apply(directory / component, objects)
    for patch in kustomization.get("patches", []):
        target = patch["target"]
        for obj in objects:
            if obj["kind"] == target["kind"] and obj["metadata"]["name"] == target["name"]:
                for op in yaml.safe_load(patch["patch"]):
                    _json_patch(obj, op)
    for label in kustomization.get("labels", []):
        for obj in objects:
            obj["metadata"].setdefault("labels", {}).update(label["pairs"])
    for image in kustomization.get("images", []):
        for container in _containers(objects):
            if container.get("image") == image["name"]:
                container["image"] = f"{image.get('newName', image['name'])}:{image['newTag']}"
    if "namespace" in kustomization:
        for obj in objects:
            obj["metadata"]["namespace"] = kustomization["namespace"]


def _generate(directory: Path, generator: Obj, objects: list[Obj]) -> None:
    data: dict[str, str] = {}
    for literal in generator.get("literals", []):
        key, _, value = literal.partition("=")
        data[key] = value
    for entry in generator.get("files", []):
        key, _, source = entry.rpartition("=") if "=" in entry else ("", "", entry)
        data[key or Path(source).name] = (directory / source).read_text(encoding="utf-8")
    if generator.get("behavior") == "merge":
        [existing] = [
            o for o in objects if o["kind"] == "ConfigMap" and o["metadata"]["name"] == generator["name"]
        ]
        existing["data"].update(data)
        return
    objects.append(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": generator["name"]}, "data": data}
    )


def _json_patch(obj: Obj, op: Obj) -> None:
    *parents, last = op["path"].split("/")[1:]
    node: Any = obj
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    key: Any = int(last) if isinstance(node, list) else last
    assert op["op"] in ("add", "replace"), f"unsupported patch op {op['op']}"
    node[key] = copy.deepcopy(op["value"])


def _containers(objects: list[Obj]) -> list[Obj]:
    found = []
    for obj in objects:
        spec = obj.get("spec", {}).get("template", {}).get("spec", {})
        found += spec.get("containers", []) + spec.get("initContainers", [])
    return found
