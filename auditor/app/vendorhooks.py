"""What the vendors declare for the policy, installed where the policy package finds it.

``policies`` may not import ``providers`` (layers), so the vendors' privilege judgements
(``auditor.kernel.privilege``) and remediation hints (``auditor.kernel.remediation``) reach the
rules through two small kernel registries, filled here from the provider registry (built-in
vendors and ``credaudit.providers`` plug-ins). Everything in the application that loads a policy
or evaluates (a live scan, the demo, ``credaudit report`` and reperformance on saved results,
``credaudit rules``) calls ``install_vendor_hooks`` first; it is cheap after the first call.
"""

from __future__ import annotations

from auditor.kernel.privilege import PrivilegeJudge, install_judges
from auditor.kernel.remediation import install_hints
from providers.registry import registry


def install_vendor_hooks() -> None:
    """Install every registered vendor's judge and hints (idempotent)."""
    providers = registry().providers
    found: dict[str, PrivilegeJudge] = {}
    for name, provider in providers.items():
        if provider.privilege_judge is not None:
            found[name] = provider.privilege_judge
    install_judges(found)
    install_hints({name: provider.remediation_hints for name, provider in providers.items()})
