"""The policy engine: rule catalogue, thresholds, waivers, custom rules, compliance mapping.

Public interface (used by ``auditor.app.engine`` and ``auditor.cli``)::

    RULES                    built-in rules, rule id -> rule
    load_policy(raw, *, tenants, base_dir) -> Policy
    load_waivers(raw, *, base_dir, known_rules) -> tuple[Waiver, ...]
    evaluate(inventories, policy, waivers, as_of) -> auditor.kernel.model.Evaluation
    describe_rules(policy) -> list[dict]

Dependencies point one way (docs/architecture.md): this package imports ``auditor.kernel.model``,
``auditor.kernel.errors`` and ``auditor.kernel.timestamps`` only.
"""

from __future__ import annotations

from policies.base import Outcome, Params, Rule, RuleContext
from policies.custom import CustomRule
from policies.describe import describe_rules
from policies.evaluator import evaluate, policy_gaps
from policies.policy import Policy, RuleSettings, default_policy, load_policy
from policies.registry import RULES
from policies.waivers import Waiver, WaiverMatch, load_waivers

__all__ = [
    "RULES",
    "CustomRule",
    "Outcome",
    "Params",
    "Policy",
    "Rule",
    "RuleContext",
    "RuleSettings",
    "Waiver",
    "WaiverMatch",
    "default_policy",
    "describe_rules",
    "evaluate",
    "load_policy",
    "load_waivers",
    "policy_gaps",
]
