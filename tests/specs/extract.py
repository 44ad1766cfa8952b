"""Build the vendored spec subsets in this folder from the vendors' full upstream files.

Usage (from the repository root; ``UPSTREAM`` holds the full files laid out as in
``tests/specs``, e.g. a folder with ``conductorone/openapi.yaml`` from
ConductorOne/terraform-provider-conductorone and ``sailpoint/`` from sailpoint-oss/api-specs):

    python tests/specs/extract.py UPSTREAM

What is kept (see each folder's SOURCE.txt):

- ConductorOne ``openapi.yaml``: every path and method (so path matching is unchanged) with each
  operation's ``operationId`` and ``security``; the operations credaudit and its simulator call
  (``FULL_C1``) whole; the components those need (the transitive closure of their ``$ref`` s, plus
  ``google.rpc.Status`` and ``c1.api.user.v1.User``, which the tests read directly, and every
  security scheme); ``openapi``, ``info``, ``servers``, ``security``.
- SailPoint ``dereferenced/deref-sailpoint-api.v3.yaml``: every path and method with each
  operation's ``operationId``, ``security`` and ``x-sailpoint-userLevels`` (the scope -> user
  level table in ``providers/sailpoint/scope_levels.json`` is derived from all of them); the
  operations credaudit calls (``FULL_SAILPOINT_V3``) whole; the components those need (closure of
  the internal ``$ref`` s left in the dereferenced file) and every security scheme.
- SailPoint ``idn/``: the PAT list path files the tests assemble (``SAILPOINT_IDN``) and every file
  they reference through relative ``$ref`` s, copied byte for byte.

Dropped parts are removed, never rewritten: what is kept is the upstream text's data unchanged.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

FULL_C1: dict[str, tuple[str, ...]] = {
    "/api/v1/iam/personal_clients": ("get",),
    "/api/v1/iam/personal_clients/{id}": ("get", "delete"),
    "/api/v1/search/iam/personal_clients": ("post",),
    "/api/v1/iam/roles": ("get",),
    "/api/v1/iam/roles/{role_id}": ("get",),
    "/api/v1/search/users": ("post",),
    "/api/v1/users/{id}": ("get",),
    "/api/v1/settings/session": ("get",),
}
C1_SCHEMAS = ("google.rpc.Status", "c1.api.user.v1.User")

FULL_SAILPOINT_V3: dict[str, tuple[str, ...]] = {
    "/personal-access-tokens": METHODS,
    "/personal-access-tokens/{id}": METHODS,
    "/public-identities": METHODS,
    "/auth-users/{id}": METHODS,
}

SAILPOINT_IDN = (
    "idn/beta/paths/personal-access-tokens.yaml",
    "idn/v2024/paths/personal-access-tokens.yaml",
    "idn/v2025/paths/personal-access-tokens.yaml",
    "idn/v2026/paths/personal-access-tokens.yaml",
    "idn/apis/personal-access-tokens/paths/personal-access-tokens-v1.yaml",
)


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


def _load(path: Path) -> Any:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with path.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=loader)


def _dump(doc: Any, path: Path, header: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    path.write_text(header + text, encoding="utf-8")


def _internal_refs(node: Any, out: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            out.add(ref)
        for value in node.values():
            _internal_refs(value, out)
    elif isinstance(node, list):
        for value in node:
            _internal_refs(value, out)


def _pointer(doc: Any, ref: str) -> tuple[list[str], Any]:
    parts = [p.replace("~1", "/").replace("~0", "~") for p in ref[2:].split("/")]
    node = doc
    for part in parts:
        node = node[part]
    return parts, node


def _closure(doc: dict[str, Any], roots: list[Any], seeds: set[str]) -> dict[str, Any]:
    """The components reachable from ``roots`` and ``seeds`` through internal ``$ref`` s."""
    pending: set[str] = set(seeds)
    for root in roots:
        _internal_refs(root, pending)
    seen: set[str] = set()
    components: dict[str, Any] = {}
    while pending:
        ref = pending.pop()
        if ref in seen:
            continue
        seen.add(ref)
        parts, node = _pointer(doc, ref)
        if parts[0] != "components" or len(parts) != 3:
            raise SystemExit(f"unexpected $ref {ref}")
        components.setdefault(parts[1], {})[parts[2]] = node
        _internal_refs(node, pending)
    # keep upstream order within each section
    ordered: dict[str, Any] = {}
    for section, items in doc["components"].items():
        if section in components:
            ordered[section] = {k: v for k, v in items.items() if k in components[section]}
    return ordered


def _subset(
    doc: dict[str, Any],
    full: dict[str, tuple[str, ...]],
    stub_keys: tuple[str, ...],
    seeds: set[str],
) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    kept: list[Any] = []
    for path, item in doc["paths"].items():
        out: dict[str, Any] = {}
        for key, value in item.items():
            if key in METHODS and isinstance(value, dict):
                if key in full.get(path, ()):
                    out[key] = value
                    kept.append(value)
                else:
                    out[key] = {k: value[k] for k in stub_keys if k in value}
                    out[key]["responses"] = {}
            elif path in full:
                out[key] = value
                kept.append(value)
        paths[path] = out
    schemes = {f"#/components/securitySchemes/{n}" for n in doc["components"]["securitySchemes"]}
    result: dict[str, Any] = {}
    for key, value in doc.items():
        if key == "paths":
            result[key] = paths
        elif key == "components":
            result[key] = _closure(doc, kept, seeds | schemes)
        elif key in ("openapi", "info", "servers", "security"):
            result[key] = value
    return result


HEADER = (
    "# SUBSET of the upstream file named in SOURCE.txt, built by tests/specs/extract.py: the\n"
    "# operations credaudit calls and the components they need; other operations keep only the\n"
    "# keys listed in extract.py. Data otherwise unchanged.\n"
)


def conductorone(upstream: Path) -> None:
    doc = _load(upstream / "conductorone" / "openapi.yaml")
    seeds = {f"#/components/schemas/{name}" for name in C1_SCHEMAS}
    out = _subset(doc, FULL_C1, ("operationId", "security"), seeds)
    _dump(out, HERE / "conductorone" / "openapi.yaml", HEADER)


def sailpoint(upstream: Path) -> None:
    name = "dereferenced/deref-sailpoint-api.v3.yaml"
    doc = _load(upstream / "sailpoint" / name)
    stub = ("operationId", "security", "x-sailpoint-userLevels")
    out = _subset(doc, FULL_SAILPOINT_V3, stub, set())
    _dump(out, HERE / "sailpoint" / name, HEADER)
    root = upstream / "sailpoint"
    pending = [root / p for p in SAILPOINT_IDN]
    seen: set[Path] = set()
    while pending:
        path = pending.pop().resolve()
        if path in seen:
            continue
        seen.add(path)
        refs: set[str] = set()
        _external_refs(_load(path), refs)
        pending.extend(path.parent / ref.split("#", 1)[0] for ref in refs)
    for path in sorted(seen):
        target = HERE / "sailpoint" / path.relative_to(root.resolve())
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)


def _external_refs(node: Any, out: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and not ref.startswith("#"):
            out.add(ref)
        for value in node.values():
            _external_refs(value, out)
    elif isinstance(node, list):
        for value in node:
            _external_refs(value, out)


def main(argv: list[str]) -> None:
    if len(argv) != 2:
        raise SystemExit(__doc__)
    upstream = Path(argv[1])
    conductorone(upstream)
    sailpoint(upstream)


if __name__ == "__main__":
    main(sys.argv)
