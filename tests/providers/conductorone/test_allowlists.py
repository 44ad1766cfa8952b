"""Tenant-wide API-key allow lists: reading SessionSettings and what applies to which key."""

from __future__ import annotations

from typing import Any

import pytest

from auditor.kernel.model import EffectivePrivilege
from providers.conductorone.allowlists import (
    SettingsError,
    TenantAllowLists,
    parse_settings,
    unreadable,
)

ADMIN = EffectivePrivilege(roles=("system:owner",), max_roles=("system:owner",))
PLAIN = EffectivePrivilege(roles=("system:user",), max_roles=("system:user",))
UNBOUNDED = EffectivePrivilege(roles=(), max_roles=None)


def on(*cidrs: str) -> dict[str, Any]:
    return {"enabled": True, "sourceCidr": list(cidrs)}


@pytest.mark.parametrize(
    ("body", "user", "admin"),
    [
        ({}, None, None),
        ({"sessionSettings": None}, None, None),
        ({"sessionSettings": {}}, None, None),
        ({"sessionSettings": {"pccUserSource": None}}, None, None),
        # switched off: ignored whatever it lists ("opt-in", DOCS global-settings.mdx)
        ({"sessionSettings": {"pccUserSource": {"sourceCidr": ["10.0.0.0/8"]}}}, None, None),
        (
            {
                "sessionSettings": {
                    "pccUserSource": {"enabled": False, "sourceCidr": ["1.2.3.0/24"]}
                }
            },
            None,
            None,
        ),
        # on and empty: "no IP addresses are allowed" (DOCS global-settings.mdx FAQ)
        ({"sessionSettings": {"pccUserSource": {"enabled": True}}}, (), None),
        ({"sessionSettings": {"pccAdminSource": on("10.1.2.3/24")}}, None, ("10.1.2.0/24",)),
        # web-session and connector lists do not govern personal clients
        (
            {"sessionSettings": {"ssoUserSource": on("0.0.0.0/0"), "connectorSource": on()}},
            None,
            None,
        ),
    ],
)
def test_parse_settings(
    body: dict[str, Any], user: tuple[str, ...] | None, admin: tuple[str, ...] | None
) -> None:
    lists = parse_settings(body)
    assert lists.readable
    assert (None if lists.user is None else tuple(map(str, lists.user))) == user
    assert (None if lists.admin is None else tuple(map(str, lists.admin))) == admin


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"sessionSettings": []},
        {"sessionSettings": {"pccUserSource": "on"}},
        {"sessionSettings": {"pccUserSource": {"enabled": "true"}}},
        {"sessionSettings": {"pccUserSource": {"enabled": True, "sourceCidr": "10.0.0.0/8"}}},
        {"sessionSettings": {"pccAdminSource": on("10.0.0.300/8")}},
    ],
)
def test_parse_settings_refuses_wrong_shapes(body: Any) -> None:
    with pytest.raises(SettingsError):
        parse_settings(body)


USER = ("10.9.0.0/16",)
ADMINS = ("203.0.113.0/24",)
CASES = [
    # user list, admin list, key privilege, owner privilege -> state, networks judged
    ("nothing enforced", None, None, ADMIN, ADMIN, "none", ()),
    ("user list applies to every key", USER, None, PLAIN, PLAIN, "enforced", USER),
    # "per-role IP restrictions": an admin-level key may be governed by the admin list alone
    ("user list alone: an admin key is unknown", USER, None, ADMIN, ADMIN, "unknown", ()),
    ("user list alone: a possibly-admin key is unknown", USER, None, PLAIN, ADMIN, "unknown", ()),
    ("user list alone: owner unknown", USER, None, UNBOUNDED, UNBOUNDED, "unknown", ()),
    ("user list alone: privilege not computed", USER, None, None, None, "unknown", ()),
    ("an empty user list alone: an admin key", (), None, ADMIN, ADMIN, "unknown", ()),
    ("admin list: an admin key", None, ADMINS, ADMIN, ADMIN, "enforced", ADMINS),
    ("admin list: a plain key of a plain owner", None, ADMINS, PLAIN, PLAIN, "none", ()),
    # the owner is a Super Administrator, the key is scoped below: the admin list may apply
    ("admin list: scoped-down key of an admin", None, ADMINS, PLAIN, ADMIN, "unknown", ()),
    ("admin list: owner unknown", None, ADMINS, UNBOUNDED, UNBOUNDED, "unknown", ()),
    ("admin list: privilege not computed", None, ADMINS, None, None, "unknown", ()),
    ("both: an admin key is judged on both", USER, ADMINS, ADMIN, ADMIN, "enforced", USER + ADMINS),
    (
        "both: a possibly-admin key is restricted by the user list, judged on both",
        USER,
        ADMINS,
        PLAIN,
        ADMIN,
        "enforced",
        USER + ADMINS,
    ),
    ("both: a plain key is judged on the user list", USER, ADMINS, PLAIN, PLAIN, "enforced", USER),
    ("an empty enforced list blocks everything", (), None, PLAIN, PLAIN, "enforced", ()),
]


def settings_with(user: tuple[str, ...] | None, admin: tuple[str, ...] | None) -> TenantAllowLists:
    """Session settings with the user and admin API-key lists enforced (None: absent)."""
    body: dict[str, Any] = {}
    if user is not None:
        body["pccUserSource"] = on(*user)
    if admin is not None:
        body["pccAdminSource"] = on(*admin)
    return parse_settings({"sessionSettings": body})


@pytest.mark.parametrize(
    ("user", "admin", "key", "owner", "state", "networks"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_what_applies_to_a_key_without_its_own_list(
    user: tuple[str, ...] | None,
    admin: tuple[str, ...] | None,
    key: EffectivePrivilege | None,
    owner: EffectivePrivilege | None,
    state: str,
    networks: tuple[str, ...],
) -> None:
    lists = settings_with(user, admin)
    inherited = lists.inherited(key, owner)
    assert inherited.state == state
    assert tuple(map(str, inherited.cidrs)) == networks
    if state == "unknown":
        assert "pccAdminSource" in inherited.reason
    assert lists.inherited(key, owner) is inherited  # shared instances


def test_unreadable_settings_make_every_key_unknown() -> None:
    lists = unreadable("refused: Permission denied (PERMISSION_DENIED 7)")
    inherited = lists.inherited(PLAIN, PLAIN)
    assert inherited.state == "unknown"
    assert "permission/c1.api.settings.v1.SessionSettingsService.Get" in inherited.reason
    assert lists.describe() == inherited.reason
    assert not TenantAllowLists().enforced


OWN_CASES = [
    # user list, admin list, key privilege, owner privilege -> state, networks that may apply
    ("nothing enforced", None, None, ADMIN, ADMIN, "none", ()),
    ("user list: a plain key", USER, None, PLAIN, PLAIN, "enforced", USER),
    ("user list: an admin key", USER, None, ADMIN, ADMIN, "enforced", USER),
    ("admin list: a plain key of a plain owner", None, ADMINS, PLAIN, PLAIN, "none", ()),
    ("admin list: a possibly-admin key", None, ADMINS, PLAIN, ADMIN, "enforced", ADMINS),
    ("admin list: owner unknown", None, ADMINS, UNBOUNDED, UNBOUNDED, "enforced", ADMINS),
    ("both: an admin key", USER, ADMINS, ADMIN, ADMIN, "enforced", USER + ADMINS),
    ("both: a plain key", USER, ADMINS, PLAIN, PLAIN, "enforced", USER),
    ("an empty enforced list adds nothing", (), None, PLAIN, PLAIN, "enforced", ()),
]


@pytest.mark.parametrize(
    ("user", "admin", "key", "owner", "state", "networks"),
    [c[1:] for c in OWN_CASES],
    ids=[c[0] for c in OWN_CASES],
)
def test_what_may_apply_alongside_a_keys_own_list(
    user: tuple[str, ...] | None,
    admin: tuple[str, ...] | None,
    key: EffectivePrivilege | None,
    owner: EffectivePrivilege | None,
    state: str,
    networks: tuple[str, ...],
) -> None:
    """Per-key lists are "evaluated first" (DOCS global-settings.mdx): whether the tenant lists
    still admit other addresses is not said, so those that may apply are carried along."""
    inherited = settings_with(user, admin).inherited(key, owner, own=True)
    assert inherited.state == state
    assert tuple(map(str, inherited.cidrs)) == networks
    named = [(name, tuple(map(str, nets))) for name, nets in inherited.lists]
    expected = [("pccUserSource", user)] if user is not None else []
    if admin is not None and state == "enforced" and ADMINS[0] in networks:
        expected.append(("pccAdminSource", admin))
    assert named == expected
    unread = unreadable("refused").inherited(key, owner, own=True)
    assert unread.state == "unknown"
