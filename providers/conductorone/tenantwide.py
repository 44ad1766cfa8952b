"""The tenant-wide reads of one ConductorOne collection (the ``_Run`` of
``providers.conductorone.adapter``), each running alongside the personal client search:

- the role catalogue, ⌈R/100⌉ pages of ``GET /api/v1/iam/roles``: role names for the report and
  each role's ``permissions`` for every key's effective privilege
  (``providers.conductorone.privilege``); unreadable, the population is ``partial`` and role ids
  stand in for names;
- the session settings, one ``GET /api/v1/settings/session``: the tenant-wide API-key allow lists
  (``providers.conductorone.allowlists``); refused or failed, they are recorded as unreadable.

``_TenantWide`` is a mixin of ``_Run``; ``providers.conductorone.adapter`` re-exports
``ROLES_PATH``."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from auditor.kernel.coveragenotes import CoverageNote, cause
from auditor.kernel.errors import PermissionDeniedError, ProviderError
from auditor.kernel.http import ApiClient
from providers.conductorone.allowlists import (
    SETTINGS_PATH,
    SettingsError,
    TenantAllowLists,
    parse_settings,
    unreadable,
)
from providers.conductorone.normalise import read_page
from providers.conductorone.privilege import Catalogue, read_role

if TYPE_CHECKING:
    from providers.conductorone.adapter import ConductorOneProvider

__all__ = ["ROLES_PATH", "_TenantWide"]

ROLES_PATH = "/api/v1/iam/roles"  # page_size/page_token in the query (§2.5)


class _TenantWide:
    """The role and session-settings reads of ``_Run`` (which sets these attributes in its
    ``__init__``)."""

    provider: ConductorOneProvider
    api: ApiClient
    tenant: str
    notes: list[CoverageNote]
    partial: bool
    roles: dict[str, str]
    catalogue: Catalogue
    allow_lists: TenantAllowLists
    _slots: asyncio.Semaphore

    # -- roles --------------------------------------------------------------------------------

    async def _load_roles(self) -> None:
        guard = self.api.page_guard("role list")
        params: dict[str, Any] = {"page_size": self.provider.roles_page_size}
        try:
            while True:
                body = await self.api.get_json(ROLES_PATH, params=params)
                page, token = read_page(body, "role list", self.tenant)
                for raw in page:
                    role = read_role(raw) if isinstance(raw, dict) else None
                    if role is not None:
                        self.roles[role.id] = role.name
                        self.catalogue.roles[role.id] = role
                if not token:
                    return
                guard.next_page(token, items=len(page))
                params = {**params, "page_token": token}
        except ProviderError as exc:
            self.partial = True
            self.catalogue.readable = False
            detail = getattr(exc, "vendor_message", None) or exc.message
            self.notes.append(
                cause(
                    "roles-unreadable",
                    f"the role catalogue could not be read ({detail}); role ids are reported as "
                    "ids, so privileged-access cannot recognise privileged roles",
                )
            )

    # -- tenant allow lists -------------------------------------------------------------------

    async def _load_settings(self) -> None:
        """``GET /api/v1/settings/session`` (``providers.conductorone.allowlists``)."""
        try:
            async with self._slots:
                body = await self.api.get_json(SETTINGS_PATH)
            self.allow_lists = parse_settings(body)
        except ProviderError as exc:
            refused = isinstance(exc, PermissionDeniedError)
            detail = getattr(exc, "vendor_message", None) or exc.message
            self.allow_lists = unreadable(f"{'refused' if refused else 'failed'}: {detail}")
        except SettingsError as exc:
            self.allow_lists = unreadable(f"unexpected response: {exc}")
