"""Shared test set-up.

- The vendors' privilege judgements and remediation hints, installed as the application installs
  them before it loads a policy (``auditor.app.vendorhooks``): tests that use ``policies`` alone
  judge the built-in vendors' credentials as a scan does.
- The throwaway PostgreSQL server and the two history backends (``tests.pgserver``).
"""

from __future__ import annotations

from auditor.app.vendorhooks import install_vendor_hooks
from tests.pgserver import history_target, pg_cluster, pg_target

__all__ = ["history_target", "pg_cluster", "pg_target"]

install_vendor_hooks()
