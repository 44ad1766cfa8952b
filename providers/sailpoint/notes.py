"""The coverage notes ``SailPointProvider.collect`` adds to every SailPoint tenant's coverage:
platform-managed PATs seen or possibly missing, owner user levels not read, and the precision of
``lastUsed`` (``providers.sailpoint.adapter`` re-exports them)."""

from __future__ import annotations

__all__ = ["LAST_USED_NOTE", "MANAGED_SEEN_NOTE", "MANAGED_UNKNOWN_NOTE", "OFF_NOTE"]

# v3 spec paths./personal-access-tokens.get, parameter owner-id: "If the caller has the following
# right, then managed personal access tokens associated with owner-id will be retrieved:
# 'idn:managed-personal-access-tokens:read'". No endpoint reports the caller's rights, so a list
# with no managed PAT cannot tell "none exist" from "not allowed to see them".
MANAGED_SEEN_NOTE = (
    "platform-managed PATs (created by Workflows) are covered: the list included {count}, which "
    "SailPoint returns only to a caller holding idn:managed-personal-access-tokens:read"
)
MANAGED_UNKNOWN_NOTE = (
    "platform-managed PATs (created by Workflows) may be missing: none were listed, and SailPoint "
    "lists them only to a caller holding idn:managed-personal-access-tokens:read, which this scan "
    "cannot confirm; if the tenant runs Workflows, give the auditing PAT's owner that right"
)
OFF_NOTE = (
    "owner user levels were not read (user_levels is off, the default), so privileged-access is "
    "manual for {pats} full-scope PATs of known owners; user_levels: true reads them: one GET "
    "/v3/auth-users/{{id}} per owner ({owners} here), scope sp:auth-user:read"
)
LAST_USED_NOTE = "SailPoint refreshes lastUsed at most once a day: idle times are accurate to a day"
