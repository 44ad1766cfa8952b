"""The simulated ConductorOne tenant's role catalogue (``providers.conductorone.dataset``):
built-in and custom role names and the permissions each role holds."""

from __future__ import annotations

# Built-in roles: names from c1i cmd/auth_login_roles.go (docs/vendors/conductorone.md §2.5). The
# name of the API-only "Read-Only to System Logs" role is not public; "system:api-logs-viewer" is
# ours.
BUILTIN_ROLES: tuple[tuple[str, str, bool], ...] = (
    ("system:owner", "Super Administrator", False),
    ("system:viewer", "Read-Only Administrator", False),
    ("system:user", "Basic User", False),
    ("system:application-admin", "Application Administrator", False),
    ("system:campaign-admin", "Campaign Administrator", False),
    ("system:api-logs-viewer", "Read-Only to System Logs", True),
)
CUSTOM_ROLES = ("custom:reports", "custom:helpdesk", "custom:auditors", "custom:onboarding")
BREAK_GLASS = "custom:break-glass"
"""A custom role holding every permission Super Administrator holds (not its id): owners of it
have Super Administrator power although no role-id check would say so. Its id comes from its own
random stream, so adding it left every other generated record as it was."""

# Role.permissions (openapi.yaml components.schemas.c1.api.iam.v1.Role): the real strings are not
# public beyond c1i's "permission/c1.api.auth.v1.Auth.Introspect" (docs/vendors/conductorone.md
# §1.4), which is "permission/" + the operationId. These are built the same way from operationIds in
# the spec (tests/providers/conductorone/test_openapi.py checks each one), grouped by what they
# touch.
_PERSONAL = [
    f"c1.api.iam.v1.PersonalClientService.{m}"
    for m in ("Create", "Delete", "Get", "List", "Update")
]
_APPS_READ = [
    "c1.api.app.v1.Apps.Get",
    "c1.api.app.v1.Apps.List",
    "c1.api.app.v1.AppEntitlements.Get",
    "c1.api.app.v1.AppEntitlements.List",
    "c1.api.app.v1.AppEntitlements.ListUsers",
]
_APPS_WRITE = [
    "c1.api.app.v1.Apps.Create",
    "c1.api.app.v1.Apps.Update",
    "c1.api.app.v1.Apps.Delete",
    "c1.api.app.v1.AppEntitlements.Create",
    "c1.api.app.v1.AppEntitlements.Update",
    "c1.api.app.v1.AppEntitlements.Delete",
]
_REVIEW_READ = [
    "c1.api.accessreview.v1.AccessReviewService.Get",
    "c1.api.accessreview.v1.AccessReviewService.List",
    "c1.api.accessreview.v1.AccessReviewReportService.List",
]
_REVIEW_WRITE = [
    "c1.api.accessreview.v1.AccessReviewService.Create",
    "c1.api.accessreview.v1.AccessReviewService.Update",
    "c1.api.accessreview.v1.AccessReviewService.Delete",
    "c1.api.accessreview.v1.AccessReviewActionsService.GenerateReport",
]
_LOGS = [
    "c1.api.systemlog.v1.SystemLogService.ListEvents",
    "c1.api.systemlog.v1.ExportService.List",
    "c1.api.systemlog.v1.ExportService.Get",
]
_ADMIN_READ = [
    "c1.api.iam.v1.PersonalClientSearchService.Search",
    "c1.api.iam.v1.Roles.Get",
    "c1.api.iam.v1.Roles.List",
    "c1.api.user.v1.UserService.List",
    "c1.api.user.v1.UserSearch.Search",
    "c1.api.settings.v1.SessionSettingsService.Get",
    "c1.api.policy.v1.Policies.Get",
    "c1.api.policy.v1.Policies.List",
    "c1.api.task.v1.TaskService.Get",
]
_ADMIN_WRITE = [
    "c1.api.iam.v1.Roles.Update",
    "c1.api.settings.v1.SessionSettingsService.Update",
    "c1.api.policy.v1.Policies.Create",
    "c1.api.policy.v1.Policies.Update",
    "c1.api.policy.v1.Policies.Delete",
    "c1.api.systemlog.v1.ExportService.Create",
    "c1.api.task.v1.TaskService.CreateRevokeTask",
    "c1.api.task.v1.TaskActionsService.Approve",
    "c1.api.task.v1.TaskActionsService.Deny",
]
_BASE = ["c1.api.auth.v1.Auth.Introspect", "c1.api.user.v1.UserService.Get"]
_OWN_TASKS = [
    "c1.api.task.v1.TaskService.CreateGrantTask",
    "c1.api.requestcatalog.v1.RequestCatalogSearchService.SearchEntitlements",
]
_READS = [
    *_BASE,
    *_APPS_READ,
    *_REVIEW_READ,
    *_LOGS,
    *_ADMIN_READ,
    "c1.api.iam.v1.PersonalClientService.Get",
    "c1.api.iam.v1.PersonalClientService.List",
]
_ALL = [
    *_BASE,
    *_PERSONAL,
    *_OWN_TASKS,
    *_APPS_READ,
    *_APPS_WRITE,
    *_REVIEW_READ,
    *_REVIEW_WRITE,
    *_LOGS,
    *_ADMIN_READ,
    *_ADMIN_WRITE,
]
ROLE_PERMISSIONS: dict[str, list[str]] = {
    "system:owner": _ALL,
    "system:viewer": _READS,  # every read, no write: Super Administrator ⊇ Read-Only Administrator
    "system:user": [*_BASE, *_PERSONAL, *_OWN_TASKS, "c1.api.app.v1.Apps.List"],
    "system:application-admin": [*_BASE, *_APPS_READ, *_APPS_WRITE],
    "system:campaign-admin": [*_BASE, *_REVIEW_READ, *_REVIEW_WRITE, *_APPS_READ],
    "system:api-logs-viewer": ["c1.api.auth.v1.Auth.Introspect", *_LOGS],
    "custom:reports": [*_BASE, *_REVIEW_READ, "c1.api.app.v1.Apps.List"],
    # intersects Basic User and Application Administrator without containing either
    "custom:helpdesk": [
        *_BASE,
        "c1.api.iam.v1.PersonalClientService.Get",
        "c1.api.app.v1.Apps.Get",
        "c1.api.user.v1.UserSearch.Search",
        "c1.api.task.v1.TaskActionsService.Approve",
    ],
    "custom:auditors": [
        *_READS,
        "c1.api.accessreview.v1.AccessReviewActionsService.GenerateReport",
    ],
    "custom:onboarding": [
        *_BASE,
        "c1.api.task.v1.TaskService.CreateGrantTask",
        "c1.api.app.v1.AppEntitlements.Update",
    ],
    BREAK_GLASS: list(reversed(_ALL)),
}
