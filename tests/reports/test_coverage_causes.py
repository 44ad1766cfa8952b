"""Issue 17: every output's incomplete-scan banner shows the same causes, first, and not the
routine notes in their place. The tenant is a real partial one: the simulated SailPoint tenant
scanned with a PAT that may list only its own tokens (the whole-tenant list answers 403)."""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import io
import json
from pathlib import Path

import pytest
from markupsafe import escape
from pydantic import SecretStr

import policies
from auditor.app.engine import NullProgress, assemble, collect_all, default_registry, plan_for
from auditor.app.runs import summarize
from auditor.app.sandbox import Simulation
from auditor.kernel.coveragenotes import caveat, info
from auditor.kernel.model import ScanResult, TenantCoverage
from providers.base import ClientFactory
from reports import html, markdown, render
from reports.markdown import md_text

from .conftest import AS_OF, FINISHED, STARTED

ROUTINE = ("api version v3", "lastUsed at most once a day")


@pytest.fixture(scope="module")
def partial_isc() -> ScanResult:
    sim = Simulation(as_of=AS_OF)
    tenants, router = sim.in_process()
    pat_id, pat_secret = sim.tenant("sailpoint").simulator.mint_client("own_only")
    isc = dataclasses.replace(tenants[1], client_id=pat_id, client_secret=SecretStr(pat_secret))
    policy = policies.load_policy(None, tenants=[isc.name], base_dir=Path.cwd())
    loaded = policies.load_waivers([], base_dir=Path.cwd(), known_rules=policy.rule_ids)
    plan = plan_for((isc,), policy, loaded)
    inventories = asyncio.run(
        collect_all(
            plan.tenants,
            registry=default_registry(),
            clients=ClientFactory(transport=router),
            progress=NullProgress(),
        )
    )
    return assemble(plan, inventories, AS_OF, started=STARTED, finished=FINISHED)


def _cause(result: ScanResult) -> str:
    (cov,) = result.coverage
    assert cov.status == "partial"
    (cause,) = cov.causes
    assert cause.kind == "list-refused"
    assert cause.text.startswith("Listing the whole tenant was refused (HTTP 403")
    assert cov.reasons() == (cause.text,)
    return cause.text


def test_markdown_caution_shows_the_403_not_the_routine_notes(partial_isc: ScanResult) -> None:
    # before: the CAUTION line showed the first two notes ("api version v3 …" and another
    # routine one) and left out the 403 that made the tenant partial
    cause = _cause(partial_isc)
    text = markdown.to_markdown(partial_isc)
    banner = text.split("## Summary", 1)[0]
    assert "> [!CAUTION]" in banner
    assert f"**PARTIAL** — {md_text(cause, 400)}" in banner
    for routine in ROUTINE:
        assert md_text(routine) not in banner
    # the Coverage section still lists every note, labelled, the cause first
    coverage = text.split("## Coverage", 1)[1]
    assert coverage.index("(cause): Listing the whole tenant") < coverage.index(
        "(information): api version v3"
    )


def test_every_output_shows_the_same_causes(partial_isc: ScanResult) -> None:
    cause = _cause(partial_isc)
    page = html.to_html(partial_isc)
    banner = page[page.index('id="coverage-alert"') : page.index("</section>")]
    assert f"<li>{escape(cause)}</li>" in banner
    for routine in ROUTINE:
        assert routine not in banner
    summary = summarize(partial_isc)
    causes = [line.strip() for line in summary if line.strip().startswith("cause:")]
    assert causes == [f"cause: {cause}"]
    assert not any(routine in line for line in summary for routine in ROUTINE)
    (data,) = json.loads(partial_isc.model_dump_json())["coverage"]
    assert data["notes"][0] == cause
    assert data["note_details"][0]["severity"] == "cause"
    files = render("csv", partial_isc)
    rows = list(csv.DictReader(io.StringIO(files["findings.csv"])))
    (row,) = [r for r in rows if r["rule_id"] == "coverage"]
    assert row["message"] == f"tenant sandbox-isc was collected only partially: {cause}"
    (lines,) = render("ocsf", partial_isc).values()
    events = [json.loads(line) for line in lines.splitlines()]
    (event,) = [e for e in events if cause in e["message"]]
    assert event["message"] == f"tenant sandbox-isc was collected only partially: {cause}"


def test_the_terminal_summary_shows_a_complete_tenants_caveats(partial_isc: ScanResult) -> None:
    # a refused owner lookup leaves the population whole (complete) but every owner unverified:
    # the summary says so, and keeps the routine notes for validate --connect
    cov = TenantCoverage(
        tenant="c1",
        provider="conductorone",
        status="complete",
        note_details=(
            caveat("owner-lookup-refused", "owner lookup refused (x)", count=3, unit="owner"),
            info("api-version", "api version v1"),
        ),
    )
    lines = summarize(partial_isc.model_copy(update={"coverage": (cov,)}))
    assert "      caveat: owner lookup refused (x) for 3 owners" in lines
    assert not any("api version" in line for line in lines)
    assert "      info: api version v1" in summarize(
        partial_isc.model_copy(update={"coverage": (cov,)}), every_note=True
    )
