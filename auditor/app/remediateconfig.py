"""The ``remediation:`` section of a configuration (``credaudit remediate``).

Which failing findings lead to which action (``policy``: rules and a minimum severity → ``revoke``
or ``narrow-scope``, with a grace period counted from the finding's ``first_seen``), how old an
approved plan may be when applied, whether approvals must be signed, and how owners are told
(``notice_days`` stages, by ``email`` and/or the configured ``notify`` webhook). Each tenant's own
remediation credential is set on the tenant (``remediation_client_id_env``,
``remediation_client_secret_env`` …, ``auditor.app.configmodel.TenantConfig``), separate from the
read-only scanning credential.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    field_validator,
    model_validator,
)

from auditor.kernel.model import Severity

__all__ = ["RemediationConfig", "RemediationRule", "SmtpConfig"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, str_max_length=4096)


class RemediationRule(_Strict):
    """Failing findings of ``rules`` at or above ``min_severity`` lead to ``action`` once
    ``grace_days`` have passed since the finding was first seen."""

    rules: tuple[str, ...] = Field(min_length=1)
    min_severity: Severity = "info"
    action: Literal["revoke", "narrow-scope"]
    grace_days: NonNegativeInt = 14
    scope: tuple[str, ...] | None = None
    """``narrow-scope`` only: the scopes the credential keeps."""

    @model_validator(mode="after")
    def _scope_for_narrowing(self) -> RemediationRule:
        if self.action == "narrow-scope" and not self.scope:
            raise ValueError("action narrow-scope needs `scope`: the list of scopes to keep")
        if self.action != "narrow-scope" and self.scope is not None:
            raise ValueError("`scope` applies only to action narrow-scope")
        return self


class SmtpConfig(_Strict):
    """Owner notices by email: SMTP with STARTTLS (required off loopback) and authentication."""

    host: str = Field(min_length=1)
    port: PositiveInt = 587
    starttls: bool = True
    sender: str = Field(min_length=3, pattern=r"^[^@\s]+@[^@\s]+$")
    username_env: str | None = None
    password_env: str | None = None
    password_file: Path | None = None
    ca_bundle: Path | None = None
    timeout_seconds: PositiveFloat = 30.0

    @model_validator(mode="after")
    def _auth(self) -> SmtpConfig:
        if self.password_env and self.password_file:
            raise ValueError("set at most one of password_env and password_file")
        if (self.password_env or self.password_file) and not self.username_env:
            raise ValueError("a password needs username_env (the variable holding the user name)")
        if not self.starttls and self.host not in ("localhost", "127.0.0.1", "::1"):
            raise ValueError("starttls: false is allowed only for a loopback SMTP host")
        return self


class RemediationConfig(_Strict):
    policy: tuple[RemediationRule, ...] = ()
    notice_days: tuple[PositiveInt, ...] = (14, 7, 1)
    plan_max_age_hours: PositiveFloat = 72.0
    """An approved plan older than this (from its creation) is refused: its facts are stale."""
    require_signature: bool = False
    """Refuse an approval without a valid Ed25519 signature."""
    public_key_file: Path | None = None
    """The approvers' Ed25519 public key; set, an approval must be signed by it."""
    email: SmtpConfig | None = None
    webhook: bool = False
    """Also send owner notices to the ``notify`` webhook."""

    @field_validator("notice_days")
    @classmethod
    def _distinct(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if len(set(value)) != len(value):
            raise ValueError("notice_days must not repeat a day")
        return tuple(sorted(value, reverse=True))
