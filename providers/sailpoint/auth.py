"""Client-credentials tokens for a SailPoint PAT (docs/vendors/sailpoint.md §1).

A PAT is an OAuth client: its id is the ``client_id`` and its secret the ``client_secret``,
sent as a url-encoded form to ``<base_url>/oauth/token`` (§1.1, as SailPoint's Python and Go SDKs
do). The access token is cached for ``expires_in`` seconds minus a margin, measured on the API
client's injected monotonic clock, and a PAT gets no refresh token (§1.2): we mint a new one.
"""

from __future__ import annotations

from typing import Any

from pydantic import SecretStr

from auditor.kernel.errors import NotFoundError, ResponseFormatError
from auditor.kernel.http import ApiClient
from auditor.kernel.tokens import token_lifetime
from providers.sailpoint.versions import TOKEN_PATH

DEFAULT_TTL = 300.0
"""Used when the token response has no usable ``expires_in``: short, so we re-mint early."""


class SailPointTokenProvider:
    """``auditor.kernel.http.TokenProvider`` for one PAT. The secret never appears in a repr."""

    def __init__(self, client_id: str, client_secret: SecretStr, *, tenant: str | None = None):
        self._client_id = client_id
        self._secret = client_secret
        self._tenant = tenant
        self._token: str | None = None
        self._expires_at = 0.0
        self.minted = 0
        """How many tokens were fetched (tests assert the cache works)."""

    def __repr__(self) -> str:
        return f"SailPointTokenProvider(client_id={self._client_id!r})"

    def invalidate(self) -> None:
        self._token = None

    async def get_token(self, client: ApiClient) -> str:
        if self._token is not None and client.clock() < self._expires_at:
            return self._token
        data = {
            "grant_type": "client_credentials",  # lowercase, as every SDK sends (§1.1)
            "client_id": self._client_id,
            "client_secret": self._secret.get_secret_value(),
        }
        try:
            body = await client.post_form(TOKEN_PATH, data=data)
        except NotFoundError as exc:
            exc.args = (
                f"{exc.args[0]} (is base_url the API host https://<tenant>.api.identitynow.com?)",
            )
            raise
        token, ttl = self._parse(body)
        self.minted += 1
        # refresh a little early: 10 % of the lifetime, at most a minute (§1.2)
        self._expires_at = client.clock() + ttl - min(60.0, ttl * 0.1)
        self._token = token
        return token

    def _parse(self, body: Any) -> tuple[str, float]:
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise ResponseFormatError(
                f"POST {TOKEN_PATH} answered 200 without an access_token", tenant=self._tenant
            )
        return token, token_lifetime(body.get("expires_in"), DEFAULT_TTL)
