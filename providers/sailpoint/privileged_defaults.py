"""The default privileged scopes and user levels of ``privileged-access`` for SailPoint, with where
each comes from: the ``sailpoint_*`` parameters the SailPoint judge declares
(``providers.sailpoint.judge``) default to these, and a configuration may replace them.

SailPoint scopes: every ``:manage`` scope of the v3 spec that secures an operation changing
credentials and authentication, identities, access, sources, tenant configuration or workflows.
Each entry names one such operation of the dereferenced v3 spec
(``deref-sailpoint-api.v3.yaml``, ``paths``; github.com/sailpoint-oss/api-specs); the tests check
that every scope here secures the operation it names, so no default is a scope no spec has.
Scopes left out on purpose: the base level's own (``idn:access-request:manage``,
``sp:my-personal-access-tokens:manage``), searches, reports, tags and branding.

``idn:identity:manage`` is the one default outside the v3 spec: it secures the identity
operations of the newer APIs (``/v2025/identities``; the per-service identities v1 API,
``POST /identities/v1/process`` among them: github.com/sailpoint-oss/api-specs,
``idn/apis/identities``), which v3 does not have. The specs the tests read do not include that
API, so its entry cites the public spec path instead of a v3 operation.
"""

from __future__ import annotations

DEFAULT_SAILPOINT_SCOPES: dict[str, str] = {
    # credentials and authentication
    "sp:all-personal-access-tokens:manage": "POST /v3/personal-access-tokens",
    "sp:oauth-client:manage": "POST /v3/oauth-clients",
    "sp:auth-user:manage": "PATCH /v3/auth-users/{id}",  # grants user levels
    "sp:auth-org:manage": "POST /v3/auth-org/network-config",
    "idn:mfa-configuration:manage": "PUT /v3/mfa/okta-verify/config",
    "idn:password-org-config:manage": "PUT /v3/password-org-config",
    "idn:password-change:manage": "POST /v3/set-password",
    "idn:password-sync-group:manage": "POST /v3/password-sync-groups",
    "idn:remote-client:manage": "POST /v3/managed-clients",
    # identities
    "idn:identity-profile:manage": "POST /v3/identity-profiles",
    "idn:identity-lifecycle-state:manage": "POST /v3/identities/{identity-id}/set-lifecycle-state",
    "idn:identity-profile-lifecycle-state:manage": (
        "POST /v3/identity-profiles/{identity-profile-id}/lifecycle-states"
    ),
    "idn:nelm:manage": "POST /v3/non-employee-records",
    "idn:identity:manage": "per-service identities v1 (api-specs idn/apis/identities)",
    # access
    "idn:access-profile:manage": "POST /v3/access-profiles",
    "idn:role-checked:manage": "POST /v3/roles",
    "idn:role-unchecked:manage": "POST /v3/roles",
    "idn:access-request-config:manage": "PUT /v3/access-request-config",
    "idn:access-request-approvals:manage": "POST /v3/access-request-approvals/{approvalId}/approve",
    "idn:accounts:manage": "POST /v3/accounts",
    "idn:accounts-state:manage": "POST /v3/accounts/{id}/enable",
    "idn:provisioning-policy:manage": "POST /v3/sources/{sourceId}/provisioning-policies",
    "idn:provisioning-policy-source-admin-operations:manage": (
        "POST /v3/sources/{sourceId}/provisioning-policies"
    ),
    "idn:sod-policy:manage": "POST /v3/sod-policies",
    "idn:campaign:manage": "POST /v3/campaigns",
    # sources
    "idn:sources:manage": "POST /v3/sources",
    "idn:sources-admin:manage": "POST /v3/sources/{sourceId}/upload-connector-file",
    "idn:source-schema:manage": "POST /v3/sources/{sourceId}/schemas",
    "idn:connector-config:manage": "DELETE /v3/connectors/{scriptName}",
    "idn:transform:manage": "POST /v3/transforms",
    "idn:service-desk-integration:manage": "POST /v3/service-desk-integrations",
    # tenant configuration
    "sp:config-backup:manage": "POST /v3/configuration-hub/backups/uploads",
    "sp:config-object-mapping:manage": "POST /v3/configuration-hub/object-mappings/{sourceOrg}",
    "idn:account-config:manage": "POST /v3/accounts/search-attribute-config",
    "idn:segment:manage": "POST /v3/segments",
    # workflows
    "sp:workflow:manage": "POST /v3/workflows",
}

OUTSIDE_V3 = frozenset({"idn:identity:manage"})
"""Defaults whose operations are not in the v3 spec (see the module docstring)."""

DEFAULT_SAILPOINT_LEVELS = ("ORG_ADMIN", "HELPDESK", "SOURCE_ADMIN", "SOURCE_SUBADMIN")
"""Owner user levels that make a full-scope PAT privileged: those the v3 spec lists
(``x-sailpoint-userLevels``) on operations secured by a default privileged scope that changes
credentials, authentication or sources: ORG_ADMIN (``sp:auth-org:manage``, ``sp:workflow:manage``),
HELPDESK (``sp:auth-org:manage``: ``PATCH /v3/auth-org/lockout-config``; ``idn:accounts:manage``),
SOURCE_ADMIN and SOURCE_SUBADMIN (``idn:sources:manage``, ``sp:workflow:manage``)."""
