"""Rows for ``credaudit rules`` (and its ``--format json``): every rule, built-in and custom."""

from __future__ import annotations

from typing import Any

from policies.compliance import control_details
from policies.policy import Policy


def describe_rules(policy: Policy) -> list[dict[str, Any]]:
    """JSON-able rows in catalogue order, custom rules last, with the effective global values.

    ``tenant_overrides`` lists, per tenant, the settings that differ from the global ones.
    """
    rows: list[dict[str, Any]] = []
    overrides = policy.to_dict()["tenants"]
    for rule_id, settings in policy.rules.items():
        rule = settings.rule
        custom_controls = list(rule.controls)
        details = control_details(rule_id)
        rows.append(
            {
                "id": rule_id,
                "title": rule.title,
                "source": rule.source,
                "enabled": settings.enabled,
                "severity": settings.severity,
                "parameters": settings.params.model_dump(mode="json"),
                "description": rule.description,
                # not_applicable (counted, never a finding) where the vendor lacks this
                "requires_capability": rule.requires,
                "remediation": rule.remediation,
                "controls": [d["ref"] for d in details] + custom_controls,
                "control_details": details,
                "tenant_overrides": {
                    tenant: changed[rule_id]
                    for tenant, changed in overrides.items()
                    if rule_id in changed
                },
            }
        )
    return rows
