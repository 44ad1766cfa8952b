"""What every rule's test module shares: run one rule on one credential at the injected as-of."""

from __future__ import annotations

import json
from datetime import timedelta, timezone
from typing import Any

from auditor.kernel.model import Credential
from policies import RULES
from policies.base import Outcome, Params
from tests.policies.helpers import AS_OF


def run(rule_id: str, credential: Credential, params: Params | None = None) -> Outcome | None:
    rule = RULES[rule_id]
    outcome = rule.evaluate(credential, rule.context(AS_OF, params))
    if outcome is not None:
        json.dumps(outcome[2])  # evidence is JSON-able
    return outcome


def status(rule_id: str, credential: Credential, params: Params | None = None) -> str:
    outcome = run(rule_id, credential, params)
    return "pass" if outcome is None else outcome[0]


def params(rule_id: str, **values: Any) -> Params:
    model: type[Params] = RULES[rule_id].params_model
    return model.model_validate(values)


PLUS_2 = timezone(timedelta(hours=2))
MINUS_7 = timezone(timedelta(hours=-7))
