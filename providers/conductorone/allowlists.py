"""Tenant-wide source allow lists for personal clients (ConductorOne session settings).

Vendor facts:

- ``GET /api/v1/settings/session`` (``paths./api/v1/settings/session.get``, operationId
  ``c1.api.settings.v1.SessionSettingsService.Get``) answers ``GetSessionSettingsResponse``
  ``{"sessionSettings": SessionSettings | null}``. ``SessionSettings`` ("per-role IP
  restrictions") has ``pccUserSource`` and ``pccAdminSource``, each a ``CIDRRestriction`` or
  null: ``{"enabled": bool ("Whether this CIDR restriction is enforced"), "sourceCidr": [CIDR] |
  null}`` (openapi.yaml ``components.schemas.c1.api.settings.v1.SessionSettings``,
  ``…CIDRRestriction``). ``ssoUserSource``/``ssoAdminSource`` govern web sessions and
  ``connectorSource`` connector keys, not personal clients, so they are not read.
- The UI names the two lists "API keys for all users" and "API keys with Super
  Administrator-level user permissions"; "All allow lists are opt-in: any category that is not
  enabled will not place any limits"; "Saving an empty allow list means 'no IP addresses are
  allowed', which effectively blocks all access"; "API keys that have a source IP allow list are
  evaluated first, followed by other types of access" (DOCS ``product/admin/global-settings.mdx``,
  https://www.conductorone.com/docs/product/admin/global-settings/).

Interpretation, where the sources are silent, chosen so that it cannot produce a false pass
under any reading the sources allow:

- Which lists apply. The user list ("all users") applies to every personal client, unless
  "per-role IP restrictions" (the ``SessionSettings`` description) means keys with Super
  Administrator-level permissions are governed by the admin list alone. The admin list applies
  to a key that holds Super Administrator's permissions itself (``privilege.SUPER_ADMIN`` among
  its effective roles); "Super Administrator-level user permissions" may also mean the owner's,
  so a key whose owner may be a Super Administrator *may* be covered.
- Restricted (``enforced``): an enforced list applies under every reading: for a key that holds
  or may hold Super Administrator power, the admin list must be enforced (an enforced user list
  alone may not govern it); for one that may not hold it, the user list. Else ``unknown`` when
  some list may apply (the rules say ``manual`` and why), ``none`` when none does. An enabled
  empty list blocks everything: restricted, with no network.
- Breadth: judged on every enforced list that may apply (``cidrs``, each list named in
  ``lists``), so a broad list that may govern the key is never missed.
- A key with its own ``allowSourceCidr`` is restricted by it (``no-source-restriction`` passes),
  but per-key lists are only said to be "evaluated first": whether the tenant lists then still
  admit other addresses is not documented. So the lists that may apply are carried alongside
  (``enforced`` with them, or ``none``; ``unknown`` when the settings are unreadable), and
  ``broad-source-restriction`` judges the union of both.
- The settings could not be read: ``unknown`` for every key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from ipaddress import IPv4Network, IPv6Network, ip_network
from typing import Any

from auditor.kernel.model import EffectivePrivilege, InheritedRestriction
from providers.conductorone.privilege import SUPER_ADMIN

SETTINGS_PATH = "/api/v1/settings/session"
SETTINGS_PERMISSION = "permission/c1.api.settings.v1.SessionSettingsService.Get"
"""The permission a 403 names (the operationId as a permission, as ConductorOne's 403 bodies do,
docs/vendors/conductorone.md §4); Super Administrators hold it (DOCS global-settings.mdx: "These
tasks all require the Super Administrator role")."""
USER_LIST = "pccUserSource"
ADMIN_LIST = "pccAdminSource"

Networks = tuple[IPv4Network | IPv6Network, ...]


class SettingsError(ValueError):
    """Session settings of a shape the spec does not describe."""


@dataclass
class TenantAllowLists:
    """The two lists as read: ``None`` = not enforced; ``readable`` False with a ``reason``."""

    readable: bool = True
    reason: str = ""
    user: Networks | None = None
    admin: Networks | None = None
    _cache: dict[tuple[bool, bool, bool, bool], InheritedRestriction] = field(default_factory=dict)

    @property
    def enforced(self) -> bool:
        return self.user is not None or self.admin is not None

    def describe(self) -> str:
        """One line for coverage notes."""
        if not self.readable:
            return self.reason
        parts = []
        for name, nets in ((USER_LIST, self.user), (ADMIN_LIST, self.admin)):
            if nets is None:
                parts.append(f"{name} not enforced")
            else:
                parts.append(f"{name} enforced with {len(nets)} network(s)")
        return "tenant API-key allow lists: " + ", ".join(parts)

    def inherited(
        self, key: EffectivePrivilege | None, owner: EffectivePrivilege | None, own: bool = False
    ) -> InheritedRestriction:
        """The tenant lists for a key. ``key``/``owner``: the key's effective privilege and its
        owner's full privilege (``None``: unknown). ``own``: the key has its own list, so this is
        what may apply alongside it (``enforced`` with those lists, or ``none``)."""
        if not self.readable:
            return self._shared((False, False, False, own), self.reason)
        certain = key is not None and SUPER_ADMIN in key.roles
        maybe = certain or _may_hold(key) or _may_hold(owner)
        return self._shared((True, certain, maybe, own), "")

    def _shared(
        self, signature: tuple[bool, bool, bool, bool], reason: str
    ) -> InheritedRestriction:
        cached = self._cache.get(signature)
        if cached is None:
            cached = self._cache[signature] = self._restriction(*signature, reason)
        return cached

    def _restriction(
        self, readable: bool, admin_certain: bool, admin_maybe: bool, own: bool, reason: str
    ) -> InheritedRestriction:
        if not readable:
            return InheritedRestriction(state="unknown", reason=reason)
        applying: list[tuple[str, Networks]] = []  # every list that may apply (breadth)
        if self.user is not None:
            applying.append((USER_LIST, self.user))
        if self.admin is not None and admin_maybe:
            applying.append((ADMIN_LIST, self.admin))
        if not applying:
            return InheritedRestriction(
                state="none",
                origin="tenant session settings (no enforced API-key allow list applies)",
            )
        cidrs: list[IPv4Network | IPv6Network] = []
        for _, nets in applying:
            cidrs += [n for n in nets if n not in cidrs]
        names = " and ".join(name for name, _ in applying)
        enforced = InheritedRestriction(
            state="enforced",
            cidrs=tuple(cidrs),
            origin=f"tenant session settings ({names})",
            lists=tuple((name, nets) for name, nets in applying),
        )
        # Restricted for certain only if an enforced list governs it whatever its level: the
        # admin list when it may be Super Administrator-level (under the "per-role IP
        # restrictions" reading of SessionSettings' description, that list alone governs it),
        # the user list when it may not be.
        if own or (
            (not admin_maybe or self.admin is not None) and (admin_certain or self.user is not None)
        ):
            return enforced
        if self.admin is None:
            why = (
                f"only the tenant's allow list for all users' API keys ({USER_LIST}) is "
                'enforced; the settings are "per-role IP restrictions", so a key with Super '
                "Administrator-level permissions (its own, or possibly its owner's) may be "
                f"governed by the Super Administrator list ({ADMIN_LIST}) alone, which is not "
                "enforced"
            )
        else:
            why = (
                f"only the tenant's allow list for Super Administrator-level API keys "
                f"({ADMIN_LIST}) is enforced, and whether it applies to this key (its "
                "own or its owner's Super Administrator permissions) is not certain"
            )
        return InheritedRestriction(
            state="unknown", origin=enforced.origin, reason=why, lists=enforced.lists
        )


def _may_hold(privilege: EffectivePrivilege | None) -> bool:
    if privilege is None or privilege.max_roles is None:
        return True
    return SUPER_ADMIN in privilege.max_roles


def unreadable(why: str) -> TenantAllowLists:
    return TenantAllowLists(
        readable=False,
        reason=(
            f"the tenant session settings could not be read ({why}), so whether a tenant-wide "
            f"API-key allow list restricts keys without their own is unknown; give the scanning "
            f"credential {SETTINGS_PERMISSION} (Super Administrator)"
        ),
    )


def parse_settings(body: Any) -> TenantAllowLists:
    """``GetSessionSettingsResponse`` -> the two lists; ``SettingsError`` on a wrong shape.
    ``sessionSettings`` null or absent, and a list null or absent: nothing enforced (protojson
    omits empty messages; every field is optional, docs/vendors/conductorone.md §2)."""
    if not isinstance(body, dict):
        raise SettingsError("the response is not a JSON object")
    settings = body.get("sessionSettings")
    if settings is None:
        return TenantAllowLists()
    if not isinstance(settings, dict):
        raise SettingsError("sessionSettings is not an object")
    return TenantAllowLists(
        user=_restriction(settings, USER_LIST), admin=_restriction(settings, ADMIN_LIST)
    )


def _restriction(settings: Mapping[str, Any], name: str) -> Networks | None:
    raw = settings.get(name)
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise SettingsError(f"{name} is not an object")
    enabled = raw.get("enabled", False)  # protojson omits false
    if not isinstance(enabled, bool):
        raise SettingsError(f"{name}.enabled is not a boolean")
    cidrs = raw.get("sourceCidr")
    if cidrs is None:
        cidrs = []
    if not isinstance(cidrs, list) or not all(isinstance(c, str) for c in cidrs):
        raise SettingsError(f"{name}.sourceCidr is not a list of strings")
    if not enabled:
        return None
    networks: list[IPv4Network | IPv6Network] = []
    for text in cidrs:
        try:
            networks.append(ip_network(text.strip(), strict=False))
        except ValueError:
            raise SettingsError(f"{name}.sourceCidr: {text[:60]!r} is not an IP network") from None
    return tuple(networks)
