"""Re-performing a scan from the inventory saved in its ``results.json`` (``reevaluate``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from auditor.kernel.coveragenotes import info
from auditor.kernel.errors import EvidenceError
from auditor.kernel.model import Credential, ScanResult, TenantCoverage, TenantInventory
from auditor.kernel.timestamps import check_as_of, parse_timestamp
from reports.json import load


def inventories_from_document(document: Any) -> tuple[list[TenantInventory], datetime, str]:
    """The inventories, as-of and scan id of a ``results.json`` document, validated."""
    if not isinstance(document, dict):
        raise EvidenceError("results.json: not a JSON object")
    try:
        document = load(document)  # 2.x as it is; 3.x expanded to the 2.x shape
    except ValueError as exc:
        raise EvidenceError(str(exc)) from None
    except (KeyError, IndexError, TypeError, AttributeError):
        raise EvidenceError(
            "results.json: its credentials refer to tables entries it does not have; "
            "not an intact credaudit results file"
        ) from None
    known = {c.get("tenant") for c in document.get("coverage") or () if isinstance(c, dict)}
    for item in document.get("credentials") or ():
        if isinstance(item, dict) and item.get("tenant") not in known:
            raise EvidenceError(
                f"results.json: credential of unknown tenant {item.get('tenant')!r}"
            )
    try:
        coverage = [TenantCoverage.model_validate(c) for c in document.get("coverage") or ()]
        credentials = [Credential.model_validate(c) for c in document.get("credentials") or ()]
        scan = document["scan"]
        as_of = parse_timestamp(scan["as_of"])
        as_of = check_as_of(as_of) if as_of is not None else None
        scan_id = str(scan["id"])
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        raise EvidenceError(f"results.json: {where}: {first['msg']}") from None
    except (KeyError, TypeError, ValueError):
        raise EvidenceError("results.json: no valid `scan` section with `id` and `as_of`") from None
    if as_of is None or not coverage:
        raise EvidenceError("results.json: no as-of or no coverage; not a credaudit results file")
    by_tenant: dict[str, list[Credential]] = {c.tenant: [] for c in coverage}
    for credential in credentials:
        if credential.tenant not in by_tenant:
            raise EvidenceError(f"results.json: credential of unknown tenant {credential.tenant!r}")
        by_tenant[credential.tenant].append(credential)
    inventories = [
        TenantInventory(coverage=c, credentials=tuple(by_tenant[c.tenant])) for c in coverage
    ]
    return inventories, as_of, scan_id


def reevaluate(
    document: Any,
    plan: Any,
    *,
    as_of: datetime | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> ScanResult:
    """Re-perform the test: evaluate the saved inventory under ``plan``'s policy and waivers at
    ``as_of`` (default: the document's), with no vendor access. The coverage notes say so."""
    from auditor.app.engine import assemble

    inventories, saved_as_of, scan_id = inventories_from_document(document)
    note = info(
        "re-evaluated",
        f"re-evaluated from the saved inventory of scan {scan_id}; no vendor was contacted",
    )
    inventories = [
        inv.model_copy(update={"coverage": inv.coverage.with_notes(note)}) for inv in inventories
    ]
    started = now()
    return assemble(plan, inventories, as_of or saved_as_of, started=started, finished=now())
