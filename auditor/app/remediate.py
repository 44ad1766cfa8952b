"""``credaudit remediate``: the application side (the CLI drives these; nothing here prints).

- ``make_plan``: a plan from a scan result (``auditor.app.remediateplan``);
- ``approve`` / ``check_approved``: ``auditor.app.remediateapprove``;
- ``dry_run`` / ``execute_plan``: ``auditor.app.remediateapply``, with each tenant's own
  remediation credential (``remediation_settings``) and the receipts written as a bundle
  ``credaudit verify`` checks (``write_receipts``) and recorded in the history database.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import SecretStr

from auditor.app.config import LoadedConfig, _resolve
from auditor.app.historytarget import history_target
from auditor.app.remediateapply import dry_run_lines, execute, plan_tenants
from auditor.app.remediateconfig import RemediationConfig
from auditor.app.remediatelog import RemediationLog
from auditor.app.remediateplan import build_plan
from auditor.kernel.errors import ConfigError
from auditor.kernel.model import ScanResult
from auditor.kernel.secretmatch import SecretSet
from auditor.kernel.timestamps import format_timestamp
from providers.base import ClientFactory, Provider, TenantSettings

__all__ = [
    "RECEIPT_FORMAT",
    "dry_run",
    "execute_plan",
    "make_plan",
    "remediation_config",
    "remediation_settings",
    "write_receipts",
]

RECEIPT_FORMAT = "credaudit-remediation-receipt/1"


def remediation_config(loaded: LoadedConfig) -> RemediationConfig:
    config = loaded.config.remediation
    if config is None or not config.policy:
        raise ConfigError(
            "no remediation policy",
            file=str(loaded.path),
            key="remediation.policy",
            fix="add entries such as {rules: [inactive-owner], action: revoke, grace_days: 14} "
            "(config.example.yaml)",
        )
    return config


def _bare_settings(loaded: LoadedConfig) -> dict[str, TenantSettings]:
    """Tenant settings without any secret: enough to build the vendor requests of a plan."""
    return {
        t.name: TenantSettings(
            name=t.name,
            provider=t.provider,
            client_id="",
            client_secret=SecretStr(""),
            base_url=t.base_url,
            api_version=t.api_version,
        )
        for t in loaded.config.tenants
    }


def base_urls(loaded: LoadedConfig, registry: Mapping[str, type[Provider]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, settings in _bare_settings(loaded).items():
        cls = registry.get(settings.provider)
        if cls is not None:
            try:
                out[name] = cls.base_url_for(settings)
            except ConfigError:
                continue
    return out


def make_plan(
    loaded: LoadedConfig,
    result: ScanResult,
    *,
    registry: Mapping[str, type[Provider]],
    known_rules: Sequence[str],
    now: datetime,
    first_seen: Mapping[str, datetime] | None = None,
) -> dict[str, Any]:
    config = remediation_config(loaded)
    try:
        return build_plan(
            result,
            config,
            tenants=_bare_settings(loaded),
            registry=registry,
            known_rules=known_rules,
            identities={t.name: t.remediation_identity for t in loaded.config.tenants},
            created_at=now,
            first_seen=first_seen,
        )
    except ConfigError as exc:
        raise exc.located(str(loaded.path)) from None


def dry_run(
    loaded: LoadedConfig, plan: Mapping[str, Any], registry: Mapping[str, type[Provider]]
) -> list[str]:
    return dry_run_lines(plan, base_urls(loaded, registry))


def remediation_settings(
    loaded: LoadedConfig,
    scanning: Sequence[TenantSettings],
    tenants: Sequence[str],
    env: Mapping[str, str],
) -> dict[str, TenantSettings]:
    """The scanning settings of ``tenants`` with the remediation credential in their place;
    one ``ConfigError`` lists every tenant without one."""
    problems: list[ConfigError] = []
    by_name = {s.name: s for s in scanning}
    out: dict[str, TenantSettings] = {}
    for index, tenant in enumerate(loaded.config.tenants):
        if tenant.name not in tenants:
            continue
        key = f"tenants[{index}]"
        has_id = any(getattr(tenant, f"remediation_client_id{s}") for s in ("", "_env", "_file"))
        has_secret = tenant.remediation_client_secret_env or tenant.remediation_client_secret_file
        if not has_secret:
            problems.append(
                ConfigError(
                    "no remediation credential for this tenant",
                    key=f"{key}.remediation_client_secret_env",
                    fix="set remediation_client_secret_env (and remediation_client_id_env) to a "
                    "credential with the write rights README lists; the scanning credential "
                    "is never used to change anything",
                )
            )
            continue
        client_id = (
            _resolve(tenant, "remediation_client_id", env, loaded, key, problems, secret=False)
            if has_id
            else ""
        )
        secret = _resolve(
            tenant, "remediation_client_secret", env, loaded, key, problems, secret=True
        )
        if client_id is not None and secret is not None and tenant.name in by_name:
            out[tenant.name] = dataclasses.replace(
                by_name[tenant.name], client_id=client_id, client_secret=SecretStr(secret)
            )
    if problems:
        raise ConfigError("remediation credentials", file=str(loaded.path), problems=problems)
    return out


def execute_plan(
    loaded: LoadedConfig,
    plan: Mapping[str, Any],
    *,
    reread: Callable[[Sequence[str]], tuple[ScanResult, Sequence[TenantSettings]]],
    registry: Mapping[str, type[Provider]],
    env: Mapping[str, str],
    clock: Callable[[], datetime],
    clients: ClientFactory | None = None,
) -> list[dict[str, Any]]:
    """Re-read the plan's tenants (``reread``: a scan of those tenants with the scanning
    credential, and their settings), then send what is still as planned."""
    tenants = plan_tenants(plan)
    if not tenants:
        return []
    result, scanning = reread(tenants)
    settings = remediation_settings(loaded, scanning, tenants, env)
    secrets = SecretSet()  # withheld from vendor text, with the bearer tokens received
    for tenant in settings.values():
        registry[tenant.provider].register_secrets(tenant.client_secret, secrets)
    factory = dataclasses.replace(clients or ClientFactory(), secrets=secrets)
    remediators = {}
    for name, tenant in settings.items():
        cls = registry[tenant.provider].remediator
        assert cls is not None  # the plan was built with it
        remediators[name] = cls(tenant, factory)
    identities = {t.name: t.remediation_identity for t in loaded.config.tenants}
    return execute(plan, result, remediators, clock=clock, identities=identities)


def write_receipts(
    path: Path,
    plan: Mapping[str, Any],
    receipts: Sequence[Mapping[str, Any]],
    *,
    applied_at: datetime,
    signing_key: Ed25519PrivateKey | None = None,
) -> None:
    """A zip ``credaudit verify`` checks like an evidence bundle: ``plan.json`` (as approved),
    ``receipts.json`` and a SHA-256 manifest, signed with the evidence key when configured."""
    import base64

    from cryptography.hazmat.primitives import serialization

    from auditor.app.evidence import MANIFEST, PUBLIC_KEY, SIGNATURE, _json, write_zip
    from auditor.app.signing import fingerprint_key

    files = {"plan.json": _json(plan), "receipts.json": _json(list(receipts))}
    manifest: dict[str, Any] = {
        "format": RECEIPT_FORMAT,
        "scan": {"id": plan.get("plan_id"), "as_of": format_timestamp(applied_at)},
        "plan": {"id": plan.get("plan_id"), "approval": plan.get("approval")},
        "files": {
            name: {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
            for name, data in sorted(files.items())
        },
    }
    if signing_key is not None:
        manifest["signature"] = {
            "algorithm": "Ed25519",
            "public_key_sha256": fingerprint_key(signing_key.public_key()),
        }
    files[MANIFEST] = _json(manifest)
    if signing_key is not None:
        files[SIGNATURE] = base64.b64encode(signing_key.sign(files[MANIFEST])) + b"\n"
        files[PUBLIC_KEY] = signing_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    write_zip(path, files)


def record_receipts(
    loaded: LoadedConfig, plan_id: str, receipts: Sequence[Mapping[str, Any]]
) -> None:
    with RemediationLog(history_target(loaded)) as log:
        log.record_receipts(plan_id, receipts)


def send_notices(
    loaded: LoadedConfig,
    plan: Mapping[str, Any],
    *,
    as_of: datetime,
    env: Mapping[str, str],
    sent_at: datetime,
) -> tuple[list[str], list[str]]:
    """Owner notices due at ``as_of`` by e-mail and/or webhook, each recorded as it goes out;
    (what was sent, problems)."""
    from auditor.app.remediatenotice import (
        due_notices,
        render_email,
        render_text,
        send_email,
        smtp_secrets,
    )

    config = remediation_config(loaded)
    channels = [c for c, on in (("email", config.email), ("webhook", config.webhook)) if on]
    if not channels:
        raise ConfigError(
            "no channel for owner notices",
            file=str(loaded.path),
            key="remediation.email",
            fix="configure remediation.email (SMTP) and/or set remediation.webhook: true",
        )
    done: list[str] = []
    problems: list[str] = []
    stamp = str(format_timestamp(sent_at))
    with RemediationLog(history_target(loaded)) as log:
        for channel in channels:
            notices, unreachable = due_notices(plan, config.notice_days, as_of, log, channel)
            problems += unreachable

            def record(i: int, channel: str = channel, notices: Any = notices) -> None:
                notice = notices[i]
                items = [(a["tenant"], a["credential_id"], a["due"]) for a in notice.actions]
                log.record_notice(notice.owner, items, notice.stage, channel, stamp)
                done.append(
                    f"{channel}: {notice.owner} ({len(items)} credential(s), "
                    f"{notice.stage}-day notice)"
                )

            if channel == "email" and notices:
                assert config.email is not None
                user, password = smtp_secrets(config.email, env, loaded.base_dir)
                messages = [render_email(n, config.email.sender) for n in notices]
                send_email(
                    config.email,
                    messages,
                    on_sent=record,
                    username=user,
                    password=password,
                    base_dir=loaded.base_dir,
                )
            elif channel == "webhook" and notices:
                from auditor.app.notify import Notifier

                notifier = Notifier.from_config(loaded)
                if notifier is None:
                    raise ConfigError(
                        "remediation.webhook needs the notify webhook",
                        file=str(loaded.path),
                        key="notify.webhook_url_env",
                    )
                for i, notice in enumerate(notices):
                    notifier.send({"text": render_text(notice)})
                    record(i)
    return done, problems


DEMO_POLICY = RemediationConfig.model_validate(
    {
        "policy": [
            {
                "rules": ["inactive-owner"],
                "min_severity": "high",
                "action": "revoke",
                "grace_days": 0,
            },
            {"rules": ["stale", "never-used"], "action": "revoke", "grace_days": 14},
        ]
    }
)
"""What ``credaudit demo --remediation`` plans with (README "Remediation")."""


def demo_remediation(
    result: ScanResult,
    tenants: Sequence[TenantSettings],
    *,
    registry: Mapping[str, type[Provider]],
    known_rules: Sequence[str],
    now: datetime,
) -> tuple[dict[str, Any], list[str]]:
    """The demo's plan and its dry run (no request is sent)."""
    plan = build_plan(
        result,
        DEMO_POLICY,
        tenants={t.name: t for t in tenants},
        registry=registry,
        known_rules=known_rules,
        identities={},
        created_at=now,
    )
    urls = {t.name: registry[t.provider].base_url_for(t) for t in tenants}
    return plan, dry_run_lines(plan, urls)
