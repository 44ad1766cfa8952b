"""Applying an approved remediation plan (``credaudit remediate apply``).

Dry run (the default): the exact requests ``--execute`` would send, built by each vendor's
``Remediator.request_for`` from the plan; no vendor is contacted at all. ``--execute``: every
credential of the plan is re-read first with the read-only scanning credential (a scan of the
plan's tenants); a credential whose fingerprint changed since the plan (used again, renewed,
re-scoped, another owner) is skipped and reported, one already gone is reported ``already-gone``
with no request sent, and a tenant that could not be re-read completely is not acted on. The rest
is sent with the tenant's *remediation* credential through the kernel HTTP layer. Every action
gets a receipt (request, status, vendor request id, time, result).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from auditor.app.remediateplan import credential_fingerprint
from auditor.kernel.model import Credential, ScanResult
from auditor.kernel.timestamps import format_timestamp
from providers.remediation import Remediator, VendorRequest

__all__ = ["SENDS", "dry_run_lines", "execute", "plan_tenants", "sendable"]

SENDS = ("revoke", "narrow-scope")
"""The actions that send a vendor request; ``notify-owner`` only notifies."""


def sendable(plan: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [a for a in plan["actions"] if isinstance(a, dict) and a.get("action") in SENDS]


def plan_tenants(plan: Mapping[str, Any]) -> list[str]:
    return sorted({str(a["tenant"]) for a in sendable(plan)})


def _request(action: Mapping[str, Any]) -> VendorRequest:
    raw = action["request"]
    return VendorRequest(raw["method"], raw["path"], raw.get("content_type"), raw.get("body"))


def dry_run_lines(plan: Mapping[str, Any], base_urls: Mapping[str, str]) -> list[str]:
    """What ``--execute`` would send, one request per action, exactly."""
    import json

    lines: list[str] = []
    for action in plan["actions"]:
        who = f"{action['tenant']}/{action['credential_id']} ({action.get('credential_name', '')})"
        if action.get("action") not in SENDS:
            lines.append(
                f"{action['id']} {action.get('action')} {who}: no request "
                f"({action.get('pending_action')} due {action.get('due')})"
            )
            continue
        request = _request(action)
        url = base_urls.get(str(action["tenant"]), "<base_url>") + request.path
        lines.append(f"{action['id']} {action['action']} {who}: {request.method} {url}")
        if request.content_type:
            lines.append(f"    Content-Type: {request.content_type}")
        if request.body is not None:
            lines.append(f"    {json.dumps(request.body, separators=(',', ':'))}")
    return lines


def _describe_change(action: Mapping[str, Any], now: Credential) -> str:
    facts = action.get("facts") or {}
    if format_timestamp(now.last_used_at) != facts.get("last_used_at"):
        return f"now in use (last used {format_timestamp(now.last_used_at)}); not touched"
    if format_timestamp(now.expires_at) != facts.get("expires_at") or format_timestamp(
        now.updated_at
    ) != facts.get("updated_at"):
        return "renewed or updated since the plan; not touched"
    return "changed since the plan (scope, owner or name); not touched"


async def _send_all(
    actions: Sequence[Mapping[str, Any]],
    remediators: Mapping[str, Remediator],
    clock: Callable[[], datetime],
) -> list[dict[str, Any]]:
    receipts: list[dict[str, Any]] = []
    by_tenant: dict[str, list[Mapping[str, Any]]] = {}
    for action in actions:
        by_tenant.setdefault(str(action["tenant"]), []).append(action)
    for tenant, items in by_tenant.items():
        remediator = remediators[tenant]
        async with remediator.client() as api:
            for action in items:
                request = _request(action)
                outcome = await remediator.send(api, request)
                receipts.append(
                    _receipt(
                        action,
                        outcome.result,
                        clock(),
                        status=outcome.status,
                        request_id=outcome.request_id,
                        detail=outcome.detail,
                        attempts=outcome.attempts,
                        sent=True,
                        url=api.base_url,
                    )
                )
    return receipts


def _receipt(
    action: Mapping[str, Any],
    result: str,
    at: datetime,
    *,
    status: int | None = None,
    request_id: str | None = None,
    detail: str = "",
    attempts: int = 0,
    sent: bool = False,
    url: str | None = None,
) -> dict[str, Any]:
    request = dict(action["request"])
    if url is not None:
        request["url"] = url + request["path"]
    return {
        "action_id": action["id"],
        "action": action["action"],
        "tenant": action["tenant"],
        "provider": action.get("provider"),
        "credential_id": action["credential_id"],
        "credential_fingerprint": action["credential_fingerprint"],
        "request": request,
        "sent": sent,
        "attempts": attempts,
        "status": status,
        "vendor_request_id": request_id,
        "result": result,
        "detail": detail,
        "time": format_timestamp(at),
    }


def _vendor_check(
    action: Mapping[str, Any],
    now: Credential,
    remediator: Remediator | None,
    identity: str | None,
) -> str:
    """Why not to send: the vendor refuses the action now, or the plan's request is not the one
    the vendor's operation is (only requests ``request_for`` builds are ever sent)."""
    if remediator is None:
        return "the tenant has no remediation credential in this configuration; nothing sent"
    params = {**(action.get("params") or {}), "remediation_identity": identity}
    refusal = remediator.refusal(str(action["action"]), now, params)
    if refusal is not None:
        return f"{refusal}; nothing sent"
    expected = remediator.request_for(str(action["action"]), now, params).as_dict()
    if expected != action["request"]:
        return "the plan's request is not the vendor operation for this action (altered?)"
    return ""


def execute(
    plan: Mapping[str, Any],
    reread: ScanResult,
    remediators: Mapping[str, Remediator],
    *,
    clock: Callable[[], datetime],
    identities: Mapping[str, str | None] | None = None,
) -> list[dict[str, Any]]:
    """Re-check every sendable action against ``reread`` (a fresh scan of the plan's tenants),
    send what is still as planned, and return one receipt per sendable action."""
    identities = identities or {}
    complete = {c.tenant for c in reread.coverage if c.status == "complete"}
    current = {c.key: c for c in reread.credentials}
    receipts: list[dict[str, Any]] = []
    to_send: list[Mapping[str, Any]] = []
    for action in sendable(plan):
        key = (str(action["tenant"]), str(action["credential_id"]))
        if key[0] not in complete:
            receipts.append(
                _receipt(
                    action,
                    "skipped",
                    clock(),
                    detail=("the tenant could not be re-read completely; nothing was sent"),
                )
            )
            continue
        now = current.get(key)
        if now is None:
            receipts.append(
                _receipt(
                    action,
                    "already-gone",
                    clock(),
                    detail=("not in the re-read population (deleted since the plan); nothing sent"),
                )
            )
            continue
        if now.managed:
            receipts.append(
                _receipt(action, "skipped", clock(), detail="platform-managed: never touched")
            )
            continue
        if credential_fingerprint(now) != action["credential_fingerprint"]:
            receipts.append(
                _receipt(action, "skipped", clock(), detail=_describe_change(action, now))
            )
            continue
        problem = _vendor_check(action, now, remediators.get(key[0]), identities.get(key[0]))
        if problem:
            receipts.append(_receipt(action, "skipped", clock(), detail=problem))
            continue
        to_send.append(action)
    receipts.extend(asyncio.run(_send_all(to_send, remediators, clock)))
    order = {a["id"]: i for i, a in enumerate(plan["actions"])}
    return sorted(receipts, key=lambda r: order.get(r["action_id"], 0))
