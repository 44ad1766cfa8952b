"""Which ``Credential`` fields custom rules may test, and of which kind: read from the model.

``Credential`` (``auditor/kernel/model.py``) is the one statement of the fields and their types.
Here only the *decision* is written down: each field (dotted into ``owner`` and ``capabilities``)
is either in ``EXPOSED`` (its kind, hence its operators, comes from its type) or in
``NOT_EXPOSED`` with the reason. ``tests/policies/test_fields.py`` fails when a field is added to
the model without that decision.
"""

from __future__ import annotations

import types
import typing
from datetime import datetime
from ipaddress import IPv4Network, IPv6Network
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from auditor.kernel.model import Capabilities, Credential, Owner

EXPOSED: tuple[str, ...] = (
    "provider",
    "tenant",
    "id",
    "client_id",
    "name",
    "owner.id",
    "owner.name",
    "owner.email",
    "owner.status",
    "owner.roles",
    "created_at",
    "updated_at",
    "last_used_at",
    "expires_at",
    "deleted_at",
    "scopes",
    "scope_mode",
    "allowed_cidrs",
    "managed",
    "access_token_ttl_seconds",
    "capabilities.network_restriction",
    "capabilities.expiry",
    "capabilities.last_used",
    "capabilities.last_used_granularity_seconds",
    "notes",
)
"""The fields a custom rule may test, in the order error messages list them."""

NOT_EXPOSED: dict[str, str] = {
    "owner.kind": "display only: the vendor's own wording of the user type",
    "owner.status_reason": "display only: explains owner.status, which is exposed",
    "capabilities.last_used_since": "judged by the built-in stale/never-used rules",
    "unusable_scopes": "derived by the adapter; judged by built-in rules",
    "unresolved_roles": "derived by the adapter; judged by privileged-access",
    "privilege": "a structured computation, judged by privileged-access",
    "inherited_restriction": "a structured fact, judged by network-restriction",
}
"""Fields deliberately not offered to custom rules, with why."""

DESCENDED: dict[str, type[BaseModel]] = {"owner": Owner, "capabilities": Capabilities}
"""Nested models whose fields are addressed one by one (``owner.status``)."""

Kind = Literal["str", "strs", "int", "bool", "time", "nets"]


def annotation_of(path: str) -> Any:
    """The type of a dotted ``Credential`` field, as the model declares it."""
    model: type[BaseModel] = Credential
    *parents, leaf = path.split(".")
    for part in parents:
        model = DESCENDED[part]
    return model.model_fields[leaf].annotation


def kind_of(annotation: Any) -> Kind:
    """The custom-rule kind of a field type; ``TypeError`` for a type no kind fits."""
    if get_origin(annotation) is tuple:
        item = _scalar(get_args(annotation)[0])
        if item == "str":
            return "strs"
        if item == "net":
            return "nets"
        raise TypeError(f"no custom-rule kind for a tuple of {item}")
    scalar = _scalar(annotation)
    if scalar == "net":
        raise TypeError("a single network has no custom-rule kind; use a tuple")
    return typing.cast(Kind, scalar)


def _scalar(annotation: Any) -> str:
    origin = get_origin(annotation)
    if origin is Annotated:
        return _scalar(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        members = [a for a in get_args(annotation) if a is not type(None)]
        kinds = {_scalar(a) for a in members}
        if len(kinds) == 1:
            return kinds.pop()
        raise TypeError(f"no custom-rule kind for {annotation!r}")
    if origin is Literal and all(isinstance(a, str) for a in get_args(annotation)):
        return "str"
    for python_type, kind in (
        (bool, "bool"),  # before int: bool is an int
        (int, "int"),
        (str, "str"),
        (datetime, "time"),
        (IPv4Network, "net"),
        (IPv6Network, "net"),
    ):
        if annotation is python_type:
            return kind
    raise TypeError(f"no custom-rule kind for {annotation!r}")


FIELDS: dict[str, str] = {name: kind_of(annotation_of(name)) for name in EXPOSED}
"""Field name → kind, the table ``policies.conditions`` validates and compiles against."""
