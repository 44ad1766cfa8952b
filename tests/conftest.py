"""The vendors' privilege judgements and remediation hints, installed as the application installs
them before it loads a policy (``auditor.app.vendorhooks``): tests that use ``policies`` alone
judge the built-in vendors' credentials as a scan does."""

from __future__ import annotations

from auditor.app.vendorhooks import install_vendor_hooks

install_vendor_hooks()
