"""One scan, end to end, as the CLI and the scheduler both run it.

``execute_scan``: run the plan, record it in the history, write the reports (and the evidence
bundle). ``scheduled_scan`` is the same path for one scheduled run. Library code: it raises and
returns; only ``auditor.cli`` prints or exits.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor.app.config import LoadedConfig
from auditor.app.outputset import Writer, write_set
from auditor.kernel.errors import (
    EXIT_FINDINGS,
    EXIT_INCOMPLETE,
    EXIT_OK,
    ConfigError,
    UsageError,
)
from auditor.kernel.inputfile import RESULTS_LIMIT, read_text
from auditor.kernel.model import SEVERITIES, SEVERITY_RANK, ScanResult
from auditor.kernel.secretmatch import SecretSet
from auditor.kernel.secretstream import SecretScanner
from auditor.kernel.visible import visible
from auditor.kernel.withhold import withhold_model, withhold_text

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from auditor.app.engine import Progress, ScanPlan


def exit_code_for(result: ScanResult, fail_on: str) -> int:
    if result.scan.status != "complete":
        return EXIT_INCOMPLETE
    if fail_on == "never":
        return EXIT_OK
    threshold = SEVERITY_RANK[fail_on]
    if any(f.status == "fail" and SEVERITY_RANK[f.severity] >= threshold for f in result.findings):
        return EXIT_FINDINGS
    return EXIT_OK


class _SecretSeen(Exception):
    """An output being written held a fragment of a secret (``write_outputs`` starts over)."""


def _checked(name: str, chunks: Iterable[str], secrets: SecretSet) -> Iterator[str]:
    """``chunks`` as they come, checked: raises ``_SecretSeen`` after the last one if the text
    held a fragment (before the set is committed, so nothing holding one is left behind)."""
    scanner = SecretScanner(secrets)
    for chunk in chunks:
        scanner.feed(chunk)
        yield chunk
    if scanner.close():
        raise _SecretSeen(name)


def write_outputs(
    result: ScanResult,
    out_dir: Path,
    formats: Sequence[str],
    *,
    secrets: SecretSet | Sequence[str] = (),
    also: Mapping[str, Writer] | None = None,
) -> list[Path]:
    """Stream every format into its files, written as one set.

    ``secrets``: values no fragment of which may appear in an output (``known_secrets``: the
    tenants' secrets and their key material, the webhook URL; a scan's set also holds the bearer
    tokens it received). The engine already withholds them from vendor text; this is the last
    check, on the text as it is written: if any output holds a fragment, nothing is committed,
    the result is withheld again (its coverage then says vendor text was withheld) and the
    outputs are made anew, each checked again and, if it still matches, joined and replaced in
    the text (the one case where an output is held whole). Nothing holding a fragment is written.

    The files, and ``also`` (name → a function writing that file, e.g. the evidence bundle),
    are written as one set (``auditor.app.outputset``): all of them or, after a crash, none.
    """
    from reports import FORMATS

    found = secrets if isinstance(secrets, SecretSet) else SecretSet(secrets)

    def streams(r: ScanResult) -> dict[str, Iterable[str]]:
        return {f: chunks for name in formats for f, chunks in FORMATS[name](r).items()}

    try:
        return write_set(
            out_dir,
            {f: _checked(f, chunks, found) for f, chunks in streams(result).items()},
            writers=also,
        )
    except _SecretSeen:
        pass
    withheld = withhold_model(result, found)
    whole: set[str] = set()  # outputs that still matched: joined and replaced in the text
    while True:
        texts: dict[str, str | Iterable[str]] = {}
        for f, chunks in streams(withheld).items():
            if f in whole:
                texts[f] = withhold_text(f, "".join(chunks), found)
            else:
                texts[f] = _checked(f, chunks, found)
        try:
            return write_set(out_dir, texts, writers=also)
        except _SecretSeen as exc:
            whole.add(str(exc.args[0]))  # a new name each time: the loop ends


def summarize(result: ScanResult, *, every_note: bool = False) -> list[str]:
    """The terminal summary: per tenant, the reasons it is incomplete (the banner's, causes
    first), then its caveats; information notes only with ``every_note`` (``validate
    --connect``)."""
    s = result.summary
    lines = [
        f"scan {result.scan.id} as of {result.scan.as_of:%Y-%m-%d %H:%M:%S} UTC: "
        f"{result.scan.status}",
        f"  {s['credentials']} credentials in {s['tenants']} tenant(s); "
        f"{s['findings']} failing: "
        + ", ".join(f"{s['by_severity'][sev]} {sev}" for sev in SEVERITIES)
        + f"; {s['manual']} to review manually, {s['waived']} waived",
    ]
    for cov in result.coverage:
        line = f"  {cov.tenant} ({cov.provider}): {cov.status}, {cov.credential_count} credentials"
        if cov.record_errors:
            line += f", {len(cov.record_errors)} unreadable record(s)"
        lines.append(visible(line))  # vendor text in errors and notes: no terminal controls
        if cov.status != "complete":
            # the same reasons, in the same order, as the reports' banner (TenantCoverage.reasons)
            lines.extend(f"      cause: {visible(reason)}" for reason in cov.reasons())
            rest = [
                n
                for n in cov.note_details
                if n.severity == "caveat" or (every_note and n.severity == "info")
            ]
        else:  # a complete tenant's caveats too: facts left unverified (an owner lookup refused)
            rest = [n for n in cov.note_details if every_note or n.severity == "caveat"]
        lines.extend(f"      {n.severity}: {visible(n.text)}" for n in rest)
    return lines


def known_secrets(loaded: LoadedConfig, into: SecretSet | None = None) -> SecretSet:
    """The configured secrets, with the key material each tenant's provider derives from its
    secret, the webhook URL's path and query (its host is not secret), and a PostgreSQL
    history's password when it is set."""
    from urllib.parse import urlsplit

    from auditor.app.engine import default_registry
    from providers.base import Provider

    found = into if into is not None else SecretSet()
    registry = default_registry()
    for tenant in loaded.config.tenants:
        creds = loaded.credentials.get(tenant.name)
        if creds is not None:
            cls = registry.get(tenant.provider, Provider)
            cls.register_secrets(creds.client_secret, found)
    if loaded.webhook_url is not None:
        url = loaded.webhook_url.get_secret_value()
        parts = urlsplit(url)
        found.add(url, public_prefix=f"{parts.scheme}://{parts.netloc}")
    if loaded.config.history.is_postgres:  # the shared history's password
        from auditor.app.historydb import PostgresTarget
        from auditor.app.historytarget import history_target
        from auditor.kernel.errors import ConfigError

        try:
            target = history_target(loaded)
        except ConfigError:
            target = None  # not set here: nothing can leak what was never read
        if isinstance(target, PostgresTarget) and target.password is not None:
            found.add(target.password)
    return found


def reevaluation_plan(loaded: LoadedConfig | None, document: Any) -> Any:
    """Policy and waivers of ``loaded`` (the default policy without one), for re-evaluation."""
    import policies
    from auditor.app.engine import plan_for
    from auditor.app.vendorhooks import install_vendor_hooks

    install_vendor_hooks()
    saved = [c.get("tenant") for c in (document.get("coverage") or [])]
    if loaded is None:
        names = sorted({str(t) for t in saved})
        return plan_for((), policies.load_policy(None, tenants=names, base_dir=Path.cwd()), ())
    names = sorted({*(t.name for t in loaded.config.tenants), *(str(t) for t in saved)})
    try:
        policy = policies.load_policy(loaded.config.policy, tenants=names, base_dir=loaded.base_dir)
        waivers = policies.load_waivers(
            loaded.config.waivers, base_dir=loaded.base_dir, known_rules=policy.rule_ids
        )
    except ConfigError as exc:
        raise exc.located(str(loaded.path)) from None
    return plan_for((), policy, waivers, loaded=loaded)


def read_document(path: Path) -> Any:
    """A saved ``results.json`` of any supported version, in the 2.x shape (every credential and
    finding whole: ``reports.json.load``), for every reader of saved results."""
    from reports.json import load

    try:
        text = read_text(path, limit=RESULTS_LIMIT, what="file")
    except ConfigError as exc:
        raise UsageError(f"--from-inventory: {path}: {exc.message}") from None
    try:
        document = json.loads(text)
    except ValueError:
        raise UsageError(f"--from-inventory: {path} is not a JSON file") from None
    except RecursionError:
        raise UsageError(f"--from-inventory: {path} nests too deeply for a results.json") from None
    if not isinstance(document, dict) or not isinstance(document.get("coverage"), list):
        raise UsageError(f"--from-inventory: {path} is not a credaudit results.json")
    try:
        return load(document)
    except ValueError as exc:
        raise UsageError(f"--from-inventory: {path}: {exc}") from None
    except (KeyError, IndexError, TypeError, AttributeError):
        raise UsageError(
            f"--from-inventory: {path}: its credentials or findings refer to entries it does not "
            "have; not an intact credaudit results.json"
        ) from None


def record_history(
    loaded: LoadedConfig, result: ScanResult, secrets: SecretSet | None = None
) -> tuple[ScanResult, str | None]:
    """Mark and store ``result`` in the history; on failure, the reason and ``result`` unmarked.

    What is stored is first checked like the reports (``write_outputs``): every fragment of
    ``secrets`` (default ``known_secrets``) is withheld and the coverage notes it.

    ``result`` is given up: its findings are marked in place (``historymark.InPlace``, the
    memory of a large scan), so the caller uses what this returns instead; on failure that is
    ``result`` exactly as it came (the marks undone)."""
    from auditor.app.evidence import redact_config
    from auditor.app.history import History, canonical_hash
    from auditor.app.historymark import InPlace, _replace
    from auditor.app.historytarget import history_target
    from auditor.app.trend import chart_points
    from auditor.kernel.errors import ConfigError, HistoryError

    result = withhold_model(result, secrets if secrets is not None else known_secrets(loaded))
    marks = InPlace(result)
    try:
        with History(history_target(loaded)) as history:
            marked = history.record(
                result, config_hash=canonical_hash(redact_config(loaded.config)), in_place=True
            )
            tenants = [c.tenant for c in marked.coverage]
            return _replace(marked, trend=chart_points(history, tenants)), None
    except (HistoryError, ConfigError, OSError) as exc:
        marks.undo()
        return result, str(exc)
    except BaseException:
        marks.undo()
        raise


@dataclasses.dataclass(frozen=True)
class ScanOutcome:
    """What one pass of the scan path produced."""

    result: ScanResult
    written: list[Path]
    recorded: bool
    """Stored in the history (False with ``history=False`` or when storing failed)."""
    history_error: str | None = None


def write_results(
    result: ScanResult,
    out_dir: Path,
    formats: Sequence[str],
    *,
    evidence: Path | None = None,
    loaded: LoadedConfig | None = None,
    waivers: Sequence[Any] = (),
    signing_key: Ed25519PrivateKey | None = None,
    secrets: SecretSet | None = None,
) -> list[Path]:
    """The reports, then the evidence bundle when asked for. ``secrets`` (default: the
    configuration's ``known_secrets``) are withheld from both."""
    from auditor.app.evidence import write_bundle

    if secrets is None:
        secrets = known_secrets(loaded) if loaded else SecretSet()

    def bundle(path: Path) -> None:
        write_bundle(
            path,
            result,
            config=loaded.config if loaded else None,
            waivers=waivers,
            signing_key=signing_key,
            secrets=secrets,
        )

    inside = evidence is not None and evidence.parent.resolve() == out_dir.resolve()
    also = {evidence.name: bundle} if evidence is not None and inside else None
    written = write_outputs(result, out_dir, formats, secrets=secrets, also=also)
    if evidence is not None and not inside:  # elsewhere: its own atomic rename
        bundle(evidence)
        written.append(evidence)
    return written


def execute_scan(
    loaded: LoadedConfig,
    plan: ScanPlan,
    as_of: datetime,
    out_dir: Path,
    formats: Sequence[str],
    *,
    history: bool = True,
    evidence: Path | None = None,
    signing_key: Ed25519PrivateKey | None = None,
    progress: Progress | None = None,
) -> ScanOutcome:
    """The scan path of ``credaudit scan`` and of every scheduled run: run_scan → history.record
    → write outputs (+ evidence). A history failure is returned, not raised: the reports are
    still written (unmarked) and the caller decides what it means."""
    from auditor.app.engine import run_scan

    secrets = known_secrets(loaded)  # the scan adds the bearer tokens it receives
    result = run_scan(plan, as_of, progress=progress, secrets=secrets)
    error: str | None = None
    if history:
        result, error = record_history(loaded, result, secrets)  # withholds what it stores
    else:
        result = withhold_model(result, secrets)
    written = write_results(
        result,
        out_dir,
        formats,
        evidence=evidence,
        loaded=loaded,
        waivers=plan.waivers,
        signing_key=signing_key,
        secrets=secrets,
    )
    return ScanOutcome(result, written, history and error is None, error)


def scheduled_scan(
    loaded: LoadedConfig, run_dir: Path, as_of: datetime, *, quiet: bool = False
) -> ScanOutcome:
    """One scheduled run into ``run_dir``: the configured formats, the history, and an
    ``evidence.zip`` (signed when ``evidence.signing_key_file`` is set) when ``evidence`` is
    configured. The plan is prepared per run, so edited policy and waiver files take effect."""
    from auditor.app.engine import prepare
    from auditor.app.progress import LogProgress
    from auditor.app.signing import load_signing_key

    plan = prepare(loaded)
    settings = loaded.config
    key_file = settings.evidence.signing_key_file if settings.evidence else None
    return execute_scan(
        loaded,
        plan,
        as_of,
        run_dir,
        settings.output.formats,
        evidence=run_dir / "evidence.zip" if settings.evidence is not None else None,
        signing_key=load_signing_key(loaded.resolve_path(key_file)) if key_file else None,
        progress=None if quiet else LogProgress(),
    )
