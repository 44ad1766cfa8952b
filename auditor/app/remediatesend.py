"""``credaudit remediate notify``: the owner notices due now, sent by e-mail and/or the notify
webhook, each recorded in the history database as it goes out, so a re-run never sends it twice
(notices are built and rendered in ``auditor.app.remediatenotice``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from auditor.app.config import LoadedConfig
from auditor.app.historytarget import history_target
from auditor.app.remediate import remediation_config
from auditor.app.remediatelog import RemediationLog
from auditor.kernel.errors import ConfigError
from auditor.kernel.timestamps import format_timestamp

__all__ = ["send_notices"]


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
