"""SailPoint's ``privileged-access`` judgement (``auditor.kernel.privilege``): PAT scopes and the
owner's user level.

Effective rights = PAT scopes ∩ the owner's user level
(https://developer.sailpoint.com/docs/api/authorization). Listed scopes are an upper bound, so a
privileged scope on the PAT fails (it grants the right whenever the owner's level holds it),
unless the adapter established that the owner's level cannot exercise it
(``Credential.unusable_scopes``, from the v3 spec's user levels per operation). A PAT whose
privileged scopes are all unusable is ``manual``, not a critical ``fail`` for a right the token
cannot carry, and never ``pass``: the scope takes effect the day the owner's level is raised.

A full-scope PAT (``sp:scopes:all`` or null) holds everything the owner's user level allows. The
level is not part of the PAT record: the adapter reads it per owner (``providers.sailpoint.levels``,
``GET /v3/auth-users/{id}``) into ``Owner.roles``. When it did not (``user_levels`` off, the
default; no ``sp:auth-user:read``; a failed lookup) the result is ``manual`` (never ``pass``: an
ORG_ADMIN owner makes it all-powerful, and never ``fail``: most owners are plain users);
``full-owner-access`` already fails such PATs. A full-scope PAT fails when its owner holds a
privileged level, passes only when every level the owner holds is in
``sailpoint_unprivileged_user_levels`` (default ``USER``, the base level), and is ``manual``
otherwise: CERT_ADMIN, REPORT_ADMIN, a custom user level or one added later, whose reach is not
known here, is never a pass.

Default privileged scopes and levels: ``privileged_defaults``. Entries may use ``*`` wildcards.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from auditor.kernel.model import Credential
from auditor.kernel.privilege import (
    NameMatcher,
    PrivilegeColumns,
    PrivilegeJudge,
    PrivilegeOutcome,
    evidence,
    rows,
)
from providers.sailpoint.privileged_defaults import (
    DEFAULT_SAILPOINT_LEVELS,
    DEFAULT_SAILPOINT_SCOPES,
)

SCOPES, LEVELS, PLAIN = (
    "sailpoint_scopes",
    "sailpoint_user_levels",
    "sailpoint_unprivileged_user_levels",
)


class SailPointJudge(PrivilegeJudge):
    params: ClassVar[Mapping[str, tuple[str, ...]]] = {
        SCOPES: tuple(DEFAULT_SAILPOINT_SCOPES),
        LEVELS: DEFAULT_SAILPOINT_LEVELS,
        PLAIN: ("USER",),
    }

    def screen(
        self, columns: PrivilegeColumns, indices: Sequence[int] | None, prepared: Any
    ) -> list[int]:
        """Everything but the certain passes: a scoped PAT with no privileged scope, or a full one
        whose owner's levels are known and all unprivileged."""
        scopes_clear = prepared[SCOPES].disjoint
        plain = prepared[PLAIN].covers
        candidates: list[int] = []
        add = candidates.append
        for index, (mode, scopes, _status, roles, _unresolved, _privilege) in rows(
            columns, indices
        ):
            if mode == "scoped":
                if not scopes_clear(scopes):
                    add(index)
            elif mode == "full":
                if not roles or not plain(roles):  # a pass needs every level unprivileged
                    add(index)
            else:  # "unknown" (and anything else): the rule decides
                add(index)
        return candidates

    def judge(self, credential: Credential, prepared: Any) -> PrivilegeOutcome | None:
        matchers: dict[str, NameMatcher] = prepared
        if credential.scope_mode == "scoped":
            return _scoped(credential, matchers[SCOPES])
        # The level is read on its own (GET /v3/auth-users/{id}), not with the owner's status:
        # an owner whose status lookup failed can still have a known level. Empty: not read.
        levels = list(credential.owner.roles)
        if not levels:
            return (
                "manual",
                "full scope (sp:scopes:all) grants every right of the owner's user level, which "
                "is unknown; review the owner's level",
                evidence(credential),
            )
        privileged = matchers[LEVELS].select(levels)
        if privileged:
            return (
                "fail",
                f"full scope (sp:scopes:all) with an owner at privileged user level(s) "
                f"{', '.join(privileged)}",
                evidence(credential, privileged=privileged),
            )
        plain = matchers[PLAIN]
        if plain.covers(levels):
            return None
        # A level in neither list (an administrative level whose rights this rule does not know,
        # or one SailPoint added later): its reach is unknown, so it is not a pass.
        unclassified = [level for level in levels if not plain.any([level])]
        return (
            "manual",
            f"full scope (sp:scopes:all) grants every right of the owner's user level(s) "
            f"{', '.join(unclassified)}, which are neither privileged nor unprivileged in the "
            f"policy; review them ({LEVELS}, {PLAIN})",
            evidence(credential, unclassified_levels=unclassified),
        )


def _scoped(credential: Credential, matcher: NameMatcher) -> PrivilegeOutcome | None:
    privileged = matcher.select(credential.scopes)
    if not privileged:
        return None
    inert = [s for s in privileged if s in credential.unusable_scopes]
    effective = [s for s in privileged if s not in credential.unusable_scopes]
    owner_levels = ", ".join(credential.owner.roles)
    if not effective:
        return (
            "manual",
            f"{len(inert)} privileged scope(s) granted that the owner's user level(s) "
            f"{owner_levels} cannot exercise (the vendor's documented levels), so they grant "
            f"nothing today: {', '.join(inert)}; they take effect if the owner's level is "
            "raised: narrow the scope",
            evidence(credential, privileged=[], latent=inert),
        )
    latent = f"; {len(inert)} more the owner's level cannot exercise" if inert else ""
    return (
        "fail",
        f"{len(effective)} privileged scope(s) granted (effective where the owner's user "
        f"level holds them): {', '.join(effective)}{latent}",
        evidence(credential, privileged=effective, **({"latent": inert} if inert else {})),
    )
