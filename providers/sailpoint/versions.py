"""The PAT API versions credaudit speaks, and how their payloads differ.

Every version serves the same list operation with the same two query parameters; the payloads
differ only in two fields (docs/vendors/sailpoint.md §2.1, §2.6):

- ``expirationDate`` is nullable in beta, v2025, v2026 and v1 (null = never expires) and not
  nullable in v3 and v2024. Records created before 2025-07-15 carry no ``expirationDate`` or
  ``accessTokenValiditySeconds`` at all (field history, docs/vendors/sailpoint.md §2.6) in any
  version.
- ``userAwareTokenNeverExpires`` exists only in v2025, v2026 and v1.

A PAT that never expires therefore reaches us in three forms, and ``records.parse_pat`` reads all
three as "never expires", so ``no-expiry`` fails it whatever the version: ``null`` (documented in
beta, v2025, v2026 and v1: "When expirationDate is null or empty, the token will never expire"),
the field absent (records older than the field, and v3/v2024, whose schema has no null), or
``null`` even in v3/v2024 (the same record served through the older schema; SailPoint's own
Python SDK declares the field optional). The v3 text "6 Months from created date" is the default
applied when a PAT is *created* through v3 without a date: such a PAT has a real date, which
``long-lifetime``, ``expired`` and ``expiring-soon`` judge.

The per-service API is spelled ``v1`` in configuration (``api_version: v1``): it is the version
string of ``idn/apis/personal-access-tokens/openapi.yaml`` (``info.version: v1``) and the last
segment of its path ``/personal-access-tokens/v1``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ApiVersion:
    name: str
    pat_path: str
    expiration_nullable: bool
    has_user_aware_flag: bool


VERSIONS: dict[str, ApiVersion] = {
    # spec idn/v3/schemas/GetPersonalAccessTokenResponse.yaml: expirationDate not nullable
    "v3": ApiVersion("v3", "/v3/personal-access-tokens", False, False),
    # spec idn/beta/schemas/GetPersonalAccessTokenResponse.yaml expirationDate: nullable, no flag
    "beta": ApiVersion("beta", "/beta/personal-access-tokens", True, False),
    # spec idn/v2024/schemas/GetPersonalAccessTokenResponse.yaml: same as v3
    "v2024": ApiVersion("v2024", "/v2024/personal-access-tokens", False, False),
    # spec idn/v2025/schemas/GetPersonalAccessTokenResponse.yaml: expirationDate nullable, and
    # userAwareTokenNeverExpires
    "v2025": ApiVersion("v2025", "/v2025/personal-access-tokens", True, True),
    "v2026": ApiVersion("v2026", "/v2026/personal-access-tokens", True, True),
    # spec idn/apis/personal-access-tokens/openapi.yaml paths: /personal-access-tokens/v1
    "v1": ApiVersion("v1", "/personal-access-tokens/v1", True, True),
}

DEFAULT_VERSION = "v3"
SUPPORTED_VERSIONS: tuple[str, ...] = ("v3", "beta", "v2024", "v2025", "v2026", "v1")

# Owner lookups always use v3: /public-identities exists there and needs only sp:scopes:default
# (v3 spec paths./public-identities.get). v3 works until Q1 2029 (docs/vendors/sailpoint.md §2.1).
PUBLIC_IDENTITIES_PATH = "/v3/public-identities"
# Owner user levels: getAuthUser exists only in v3 (v3 spec paths./auth-users/{id}.get, security
# sp:auth-user:read).
AUTH_USERS_PATH = "/v3/auth-users"
TOKEN_PATH = "/oauth/token"  # noqa: S105 - a URL path, not a password
