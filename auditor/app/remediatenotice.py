"""Owner notices before a revoke (``credaudit remediate notify``).

Each planned revoke (or scope narrowing) still in its grace period has a due date; at each stage
of ``remediation.notice_days`` (e.g. 14, 7 and 1 days before it) the owner is told once, grouped:
one message per owner listing every credential of theirs at that stage, what will happen when, the
findings, and what to do. Notices go by e-mail (SMTP with STARTTLS and authentication; secrets
from env or file) and/or the ``notify`` webhook, and are recorded in the history database
(``auditor.app.remediatelog``) so a re-run never sends the same notice twice. Vendor text in a
message (names, ids, messages) is shown with hidden characters made visible; addresses come from
the vendor too and are refused when malformed.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from auditor.app.remediateconfig import SmtpConfig
from auditor.app.remediatelog import RemediationLog
from auditor.kernel.errors import AuditorError
from auditor.kernel.timestamps import parse_timestamp
from auditor.kernel.visible import visible

__all__ = ["Notice", "NoticeError", "due_notices", "render_email", "send_email", "stage_for"]

_ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9.-]{1,253}$")


class NoticeError(AuditorError):
    """Owner notices could not be delivered (the SMTP server or the webhook refused)."""


@dataclass
class Notice:
    """One message to one owner at one stage."""

    owner: str
    """The key notices are recorded under: the e-mail address, else the owner id."""
    name: str
    email: str | None
    stage: int
    actions: list[Mapping[str, Any]] = field(default_factory=list)


def stage_for(due: datetime, as_of: datetime, notice_days: Sequence[int]) -> int | None:
    """The notice stage reached at ``as_of``: the smallest configured day count ``d`` with
    ``due - as_of <= d days``; ``None`` before the first stage or once due."""
    left = due - as_of
    if left <= timedelta(0):
        return None
    reached = [d for d in notice_days if left <= timedelta(days=d)]
    return min(reached) if reached else None


def _address(value: Any) -> str | None:
    text = str(value or "").strip()
    return text if _ADDRESS.match(text) else None


def due_notices(
    plan: Mapping[str, Any],
    notice_days: Sequence[int],
    as_of: datetime,
    log: RemediationLog,
    channel: str,
) -> tuple[list[Notice], list[str]]:
    """The notices to send on ``channel`` now, grouped per owner, and why some owners cannot
    be told (no usable address)."""
    grouped: dict[tuple[str, int], Notice] = {}
    problems: list[str] = []
    for action in plan["actions"]:
        if action.get("action") != "notify-owner":
            continue
        due = parse_timestamp(action.get("due"))
        stage = stage_for(due, as_of, notice_days) if due is not None else None
        if stage is None:
            continue
        owner = action.get("owner") or {}
        email = _address(owner.get("email"))
        key = email or str(owner.get("id") or "")
        if not key or (channel == "email" and email is None):
            problems.append(
                f"{visible(action['tenant'])}/{visible(action['credential_id'])}: the owner has "
                "no usable e-mail address; tell them another way"
            )
            continue
        if log.notice_sent(
            key, action["tenant"], action["credential_id"], action["due"], stage, channel
        ):
            continue
        notice = grouped.setdefault(
            (key, stage), Notice(key, str(owner.get("name") or key), email, stage)
        )
        notice.actions.append(action)
    return list(grouped.values()), problems


def render_email(notice: Notice, sender: str) -> EmailMessage:
    message = EmailMessage()
    count = len(notice.actions)
    first_due = min(str(a["due"]) for a in notice.actions)[:10]
    message["Subject"] = (
        f"Action needed: {count} API credential(s) of yours will be revoked from {first_due}"
    )
    message["From"] = sender
    assert notice.email is not None
    message["To"] = notice.email
    message.set_content(render_text(notice))
    return message


def render_text(notice: Notice) -> str:
    lines = [
        f"Hello {visible(notice.name)},",
        "",
        f"A security review found problems with {len(notice.actions)} API credential(s) you "
        "own. Unless they are fixed, they will be changed on the date shown "
        f"({notice.stage} day(s) notice):",
        "",
    ]
    for action in notice.actions:
        what = "revoked" if action.get("pending_action") == "revoke" else "narrowed in scope"
        lines.append(
            f"- {visible(action.get('credential_name'))} ({visible(action['tenant'])}, id "
            f"{visible(action['credential_id'])}): {what} on {action['due']}"
        )
        for finding in action.get("findings") or ():
            lines.append(
                f"    {visible(finding.get('rule_id'))}: {visible(finding.get('message'))}"
            )
    lines += [
        "",
        "What to do: if a credential is no longer needed, delete it yourself now. If it is still "
        "needed, fix what is listed (use it from where it is meant to be used, set an expiry, "
        "narrow its scope) or ask your security team for a documented exception before that "
        "date. Nothing is changed without an approved plan, and a credential that changed since "
        "the review is left alone.",
    ]
    return "\n".join(lines) + "\n"


def smtp_secrets(
    config: SmtpConfig, env: Mapping[str, str], base_dir: Path
) -> tuple[str | None, SecretStr | None]:
    """The SMTP user name and password from env / file (never literal)."""
    from auditor.kernel.errors import ConfigError
    from auditor.kernel.inputfile import SECRET_LIMIT, read_text

    user = env.get(config.username_env) if config.username_env else None
    if config.username_env and not user:
        raise ConfigError(
            f"environment variable {config.username_env} is not set",
            key="remediation.email.username_env",
        )
    password: str | None = None
    if config.password_env:
        password = env.get(config.password_env)
        if not password:
            raise ConfigError(
                f"environment variable {config.password_env} is not set",
                key="remediation.email.password_env",
            )
    elif config.password_file:
        path = (
            config.password_file
            if config.password_file.is_absolute()
            else (base_dir / config.password_file)
        )
        password = read_text(path, limit=SECRET_LIMIT, what="file").strip()
    return user, SecretStr(password) if password else None


def send_email(
    config: SmtpConfig,
    messages: Iterable[EmailMessage],
    *,
    on_sent: Callable[[int], None],
    username: str | None,
    password: SecretStr | None,
    base_dir: Path,
) -> int:
    """Send over one SMTP session: STARTTLS (certificate verified; ``ca_bundle`` for a private
    CA) before authenticating. Errors name the server, never the password."""
    context = ssl.create_default_context(
        cafile=str(base_dir / config.ca_bundle) if config.ca_bundle else None
    )
    sent = 0
    try:
        with smtplib.SMTP(config.host, config.port, timeout=config.timeout_seconds) as smtp:
            smtp.ehlo()
            if config.starttls:
                smtp.starttls(context=context)
                smtp.ehlo()
            if username and password is not None:
                smtp.login(username, password.get_secret_value())
            for message in messages:
                smtp.send_message(message)
                on_sent(sent)  # recorded at once: a later failure does not resend this one
                sent += 1
    except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
        kind = type(exc).__name__
        code = getattr(exc, "smtp_code", None)
        raise NoticeError(
            f"SMTP {config.host}:{config.port}: {kind}"
            + (f" {code}" if code else "")
            + f" after {sent} message(s); the rest are not recorded as sent and go out next run"
        ) from None
    return sent
