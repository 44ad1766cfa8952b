"""The YAML handed to the lead for config.example.yaml must load as documented."""

from __future__ import annotations

from pathlib import Path

import yaml

from policies import RULES, describe_rules, evaluate, load_policy, load_waivers
from tests.policies.helpers import AS_OF, cred, inventory

DATA = Path(__file__).with_name("data")


def test_config_example_sections_load() -> None:
    config = yaml.safe_load((DATA / "config_policy_example.yaml").read_text())
    tenants = [t["name"] for t in config["tenants"]]
    policy = load_policy(config["policy"], tenants=tenants, base_dir=DATA)
    # Every built-in key is spelled out with its default, so only the tenant override differs.
    assert {rid: s.as_dict() for rid, s in policy.rules.items() if rid in RULES} == {
        rid: s.as_dict() for rid, s in load_policy(None, tenants=[], base_dir=DATA).rules.items()
    }
    assert policy.to_dict()["tenants"]["acme-isc"]["stale"]["parameters"]["max_idle_days"] == 45
    assert [row["id"] for row in describe_rules(policy)][-1] == "managed-full-scope"
    known = [*RULES, *(rule.id for rule in policy.custom_rules)]
    waivers = load_waivers(config["waivers"], base_dir=DATA, known_rules=known)
    assert [w.id for w in waivers] == ["W-2026-014"]

    managed = cred(
        provider="sailpoint",
        tenant="acme-isc",
        managed=True,
        scope_mode="full",
        scopes=("sp:scopes:all",),
        created_at=AS_OF.replace(year=2025),
    )
    result = evaluate([inventory("acme-isc", managed)], policy, waivers, AS_OF)
    assert [f.status for f in result.findings if f.rule_id == "managed-full-scope"] == ["fail"]


def test_sample_waiver_file_loads() -> None:
    waivers = load_waivers("waivers.example.yaml", base_dir=DATA, known_rules=list(RULES))
    assert [(w.id, w.rule_id, w.expires_label) for w in waivers] == [
        ("W-2026-014", "no-expiry", "2027-03-31"),
        ("W-2026-015", "stale", "2027-09-15T00:00:00Z"),
    ]
