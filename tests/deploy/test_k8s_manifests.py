"""deploy/k8s: every document of every file validated against the Kubernetes schemas
(kubernetes-validate, offline), the overlay's patches merged into what they patch and validated
too, and the properties operators rely on (probes, limits, non-root, read-only root, one beat)."""

from __future__ import annotations

import copy
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"
KUBERNETES_VERSION = "1.30"
KUSTOMIZE_KINDS = {"Kustomization"}


def _documents(path: Path) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


def _patch_files() -> set[Path]:
    patches = set()
    for kustomization in K8S.rglob("kustomization.yaml"):
        spec = yaml.safe_load(kustomization.read_text())
        patches.update(kustomization.parent / p["path"] for p in spec.get("patches", []))
    return patches


def _resource_files() -> list[Path]:
    patches = _patch_files()
    return sorted(
        path
        for path in K8S.rglob("*.yaml")
        if path.name != "kustomization.yaml" and path not in patches
    )


def _base() -> dict[tuple[str, str], dict]:
    found = {}
    for path in sorted((K8S / "base").glob("*.yaml")):
        for doc in _documents(path):
            if doc["kind"] not in KUSTOMIZE_KINDS:
                found[(doc["kind"], doc["metadata"]["name"])] = doc
    return found


def _merge(target, patch):
    """Strategic merge, as far as these patches need it: maps merge, lists of named items
    merge by name, anything else is replaced."""
    if isinstance(target, dict) and isinstance(patch, dict):
        merged = dict(target)
        for key, value in patch.items():
            merged[key] = _merge(target[key], value) if key in target else value
        return merged
    if (
        isinstance(target, list)
        and isinstance(patch, list)
        and all(isinstance(item, dict) and "name" in item for item in target + patch)
    ):
        by_name = {item["name"]: item for item in target}
        for item in patch:
            by_name[item["name"]] = _merge(by_name.get(item["name"], {}), item)
        return list(by_name.values())
    return patch


def _validate(doc: dict, where: str) -> None:
    try:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as exc:
        pytest.fail(f"{where}: {doc['kind']}/{doc['metadata']['name']}: {exc.message}")


def test_every_document_of_every_file_is_valid():
    files = _resource_files()
    assert len(files) >= 10
    count = 0
    for path in files:
        for doc in _documents(path):
            _validate(doc, str(path.relative_to(K8S)))
            count += 1
    assert count >= 18


def test_overlay_patches_merged_into_the_base_are_valid():
    base = _base()
    patched = 0
    for kustomization in K8S.rglob("kustomization.yaml"):
        spec = yaml.safe_load(kustomization.read_text())
        for entry in spec.get("patches", []):
            for patch in _documents(kustomization.parent / entry["path"]):
                target = base[(patch["kind"], patch["metadata"]["name"])]
                _validate(_merge(copy.deepcopy(target), patch), entry["path"])
                patched += 1
        for resource in spec.get("resources", []):
            assert (kustomization.parent / resource).exists(), resource
    assert patched >= 1


def test_an_invalid_manifest_is_caught():
    broken = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "x"},
        "spec": {"replicas": "two", "template": {}},
    }
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def _pod_specs():
    for (kind, name), doc in _base().items():
        if kind == "Deployment":
            yield name, doc["spec"]["template"]["spec"]
        if kind == "Job":
            yield name, doc["spec"]["template"]["spec"]


def test_pods_are_non_root_with_a_read_only_root_and_resources():
    specs = dict(_pod_specs())
    assert set(specs) == {
        "demandplan-web",
        "demandplan-worker",
        "demandplan-beat",
        "demandplan-migrate",
    }
    for name, spec in specs.items():
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        for container in spec["containers"]:
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True, name
            assert security["allowPrivilegeEscalation"] is False, name
            assert security["capabilities"]["drop"] == ["ALL"], name
            assert {"cpu", "memory"} <= set(container["resources"]["requests"]), name
            assert {"cpu", "memory"} <= set(container["resources"]["limits"]), name
            refs = container["envFrom"]
            assert {"configMapRef", "secretRef"} == {key for ref in refs for key in ref}, name


def test_web_probes_beat_is_single_and_the_rest_scales():
    base = _base()
    web = base[("Deployment", "demandplan-web")]["spec"]["template"]["spec"]["containers"][0]
    assert web["livenessProbe"]["httpGet"]["path"] == "/health"
    assert web["readinessProbe"]["httpGet"]["path"] == "/health/ready"
    beat = base[("Deployment", "demandplan-beat")]["spec"]
    assert beat["replicas"] == 1 and beat["strategy"]["type"] == "Recreate"
    scaled = {
        doc["spec"]["scaleTargetRef"]["name"]
        for (kind, _), doc in base.items()
        if kind == "HorizontalPodAutoscaler"
    }
    assert scaled == {"demandplan-web", "demandplan-worker"}
    budgets = {name for kind, name in base if kind == "PodDisruptionBudget"}
    assert budgets == {"demandplan-web", "demandplan-worker"}
    ingress = base[("Ingress", "demandplan")]
    assert "cert-manager.io/cluster-issuer" in ingress["metadata"]["annotations"]
    assert ingress["spec"]["tls"][0]["secretName"]
    assert ("NetworkPolicy", "demandplan-default-deny") in base
    assert ("Job", "demandplan-migrate") in base
