"""One cause, one row: a credential whose owner could not be looked up gets one manual finding,
not two (issue 17).

An owner whose status is ``unknown`` makes two rules ``manual`` for each of its credentials:
``inactive-owner`` (the owner may be gone: critical if so) and ``owner-unverified`` (the lookup
itself). Both results stay in ``Evaluation.result_counts`` — neither is ever counted as a pass —
but the findings hold one row: the ``inactive-owner`` manual, whose message carries the reason
(``Owner.status_reason``) and whose evidence names the rule folded into it
(``"also_manual": ["owner-unverified"]``). ``inactive-owner`` keeps the row because it carries the
worse consequence (a departed owner's live key: critical) and sorts first; ``owner-unverified``
keeps its own row whenever ``inactive-owner`` has none for that credential (the rule disabled for
the tenant, or its result waived), so no unverified owner is ever left without a row.

docs/architecture.md "Rule catalogue" states the contract; ``tests/policies/reference.py`` computes
the same fold on its own.
"""

from __future__ import annotations

from collections.abc import Sequence

from auditor.kernel.model import Finding

__all__ = ["ALSO_KEY", "CARRIER", "FOLDED", "fold_unverified_owners"]

CARRIER = "inactive-owner"
FOLDED = "owner-unverified"
ALSO_KEY = "also_manual"
"""The evidence key of the carrier row listing the rule folded into it."""


def fold_unverified_owners(findings: Sequence[Finding]) -> list[Finding]:
    """``findings`` (grouped by tenant and credential, as the evaluator orders them) with each
    ``owner-unverified`` manual folded into the same credential's ``inactive-owner`` manual."""
    out: list[Finding] = []
    carrier: dict[tuple[str, str], int] = {}
    for finding in findings:
        if finding.status == "manual":
            key = (finding.tenant, finding.credential_id)
            if finding.rule_id == CARRIER:
                carrier[key] = len(out)
            elif finding.rule_id == FOLDED and key in carrier:
                index = carrier.pop(key)
                row = out[index]
                evidence = {**row.evidence, ALSO_KEY: [FOLDED]}
                out[index] = row.model_copy(update={"evidence": evidence})
                continue
        out.append(finding)
    return out
