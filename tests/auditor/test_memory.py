"""Issue 16, memory: what keeps a 200,000-credential scan in bounded memory changes nothing a
reader can see. Equal parts are shared (``auditor.kernel.sharing``), the secret check of a model
reads it piece by piece (``withhold_model``), history marks share their fields sets and packs
its rows in batches."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from auditor.app.historymark import _replace
from auditor.app.historyschema import _FINDINGS, _pack, _unpack
from auditor.kernel.model import (
    Capabilities,
    Credential,
    EffectivePrivilege,
    Evaluation,
    Owner,
    ScanResult,
    TenantCoverage,
    TenantInventory,
)
from auditor.kernel.secretmatch import WITHHELD, SecretSet
from auditor.kernel.sharing import Sharing
from auditor.kernel.withhold import WITHHELD_NOTE, withhold_model
from tests.fakes import count_compactions

if TYPE_CHECKING:
    from auditor.app.historydb import Target

CAPS = Capabilities(network_restriction=True, expiry=True, last_used=True)
SECRET = "9f8e7d6c5b4a39281706f5e4d3c2b1a0"


def credential(i: int, name: str = "") -> Credential:
    return Credential(
        provider="sailpoint",
        tenant="t",
        id=f"c{i}",
        name=name or f"key {i}",
        owner=Owner(id=f"o{i % 3}", status="active", roles=("admin",)),
        scopes=("sp:scopes:all",),
        capabilities=Capabilities(network_restriction=True, expiry=True, last_used=True),
        privilege=EffectivePrivilege(roles=("admin",), permissions=3, basis="full"),
    )


def test_sharing_makes_equal_parts_one_object_and_changes_nothing_visible() -> None:
    creds = [credential(i) for i in range(9)]
    before = [c.model_dump(mode="json") for c in creds]
    hashes = [hash(c) for c in creds]
    Sharing().share_all(creds)
    assert [c.model_dump(mode="json") for c in creds] == before
    assert [hash(c) for c in creds] == hashes
    assert creds == [credential(i) for i in range(9)]
    assert len({id(c.capabilities) for c in creds}) == 1
    assert len({id(c.privilege) for c in creds}) == 1
    assert len({id(c.owner) for c in creds}) == 3  # three distinct owners
    assert len({id(c.scopes) for c in creds}) == 1
    assert len({id(c.__pydantic_fields_set__) for c in creds}) == 1
    # a copy with an update still gets its own fields set: the shared one is never changed
    renamed = creds[0].model_copy(update={"name": "other"})
    assert renamed.name == "other" and creds[1].name == "key 1"
    assert creds[1].model_fields_set == before_fields(creds[1])


def test_a_model_this_pool_shared_is_passed_over_and_another_pools_is_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The engine shares each inventory through the provider's own pool
    (``Provider.sharing``): a credential that pool shared already is passed over, one it did not
    (another pool's, a copy with an update, a fresh one) is shared as ever."""
    models = count_compactions(monkeypatch)
    adapter, other = Sharing(), Sharing()
    creds = [credential(i) for i in range(4)]
    adapter.share_all(creds[:3])  # what the adapter made
    other.share(creds[3])  # shared by another pool
    copied = creds[0].model_copy(update={"name": "renamed"})  # its own fields set
    fresh = credential(7)
    models.clear()
    everything = [*creds, copied, fresh]
    adapter.share_all(everything)  # the engine's pass, through the adapter's pool
    assert [m.id for m in models if isinstance(m, Credential)] == ["c3", "c0", "c7"]
    assert [c.model_dump_json() for c in everything] == [
        *(credential(i).model_dump_json() for i in range(4)),
        credential(0).model_copy(update={"name": "renamed"}).model_dump_json(),
        credential(7).model_dump_json(),
    ]
    # what the second pass shared is the pool's: one privilege object for all of them
    assert len({id(c.privilege) for c in everything}) == 1
    models.clear()
    adapter.share_all(everything)
    assert models == []
    # a pool meeting another pool's models shares every one of them: it never takes the other
    # pool's fields set for its own, which would pass over the rest as if it had shared them
    models.clear()
    Sharing().share_all(creds[:3])
    assert [m.id for m in models if isinstance(m, Credential)] == ["c0", "c1", "c2"]


def before_fields(c: Credential) -> set[str]:
    return set(credential(int(c.id[1:])).model_fields_set)


def test_history_marks_share_fields_sets(rich: ScanResult) -> None:
    marked = [_replace(f, change="new") for f in rich.findings]
    assert len({id(f.__pydantic_fields_set__) for f in marked}) <= 2
    assert [f.change for f in marked] == ["new"] * len(marked)
    assert [f.model_copy(update={"change": None}) for f in marked] == [
        f.model_copy(update={"change": None}) for f in rich.findings
    ]


@pytest.mark.parametrize("count", [0, 1, 1999, 2000, 2001, 4500])
def test_history_rows_are_packed_in_batches_to_the_same_json(rich: ScanResult, count: int) -> None:
    findings = (list(rich.findings) * (count // max(1, len(rich.findings)) + 1))[:count]
    assert _unpack(_pack(_FINDINGS, findings)) == _FINDINGS.dump_python(findings, mode="json")


def test_a_secret_deep_in_a_large_population_is_found_and_withheld() -> None:
    """``withhold_model`` checks a large tuple one model at a time: a fragment in the last of
    500 credentials, or in the coverage, is still found (and a clean one is returned as is)."""
    creds = (*(credential(i) for i in range(499)), credential(499, f"key {SECRET}"))
    coverage = TenantCoverage(tenant="t", provider="sailpoint", status="complete")
    dirty = TenantInventory(coverage=coverage, credentials=creds)
    secrets = SecretSet([SECRET])
    out = withhold_model(dirty, secrets)
    assert out.credentials[-1].name == f"key {WITHHELD}"
    assert WITHHELD_NOTE in out.coverage.notes
    clean = TenantInventory(coverage=coverage, credentials=creds[:-1])
    assert withhold_model(clean, secrets) is clean
    noted = TenantInventory(
        coverage=coverage.model_copy(update={"error": f"e {SECRET}"}), credentials=creds[:-1]
    )
    assert withhold_model(noted, secrets).coverage.error == f"e {WITHHELD}"


def test_saved_3_0_results_read_whole_by_every_reader(rich: ScanResult, tmp_path: Path) -> None:
    """``read_document`` (``scan --from-inventory``, ``remediate plan --from-results``) gives
    the 2.x shape: the fingerprints and first-seen instants a 3.0 file leaves out are there."""
    from auditor.app.remediateplan import first_seen_from_document
    from auditor.app.runs import read_document
    from reports import render

    path = tmp_path / "results.json"
    path.write_text(render("json", rich)["results.json"], encoding="utf-8")
    document = read_document(path)
    assert [f["fingerprint"] for f in document["findings"]] == [
        f.fingerprint for f in rich.findings
    ]
    assert first_seen_from_document(document) == {
        f.fingerprint: f.first_seen for f in rich.findings if f.first_seen is not None
    }
    assert first_seen_from_document(document)  # rich has "new" findings


def test_a_large_tenant_is_stored_in_pieces_and_read_back_whole(
    history_target: Target,
) -> None:
    """The history writes a tenant's inventory and findings into its row piece by piece
    (``Backend.insert_blobs``: SQLite's incremental blob I/O, PostgreSQL one parameter), never
    holding the blob joined; what it reads back is every credential and finding as stored."""
    from datetime import UTC, datetime, timedelta

    from auditor.app.history import History
    from auditor.kernel.model import Finding, ScanInfo, ToolInfo, fingerprint

    when = datetime(2026, 11, 24, tzinfo=UTC)
    creds = tuple(credential(i) for i in range(4500))  # three batches of _PACK_BATCH and more
    findings = tuple(
        Finding(
            rule_id=rule,
            status="fail",
            severity="high",
            provider="sailpoint",
            tenant="t",
            credential_id=c.id,
            credential_name=c.name,
            message=f"{rule} on {c.id}",
            evidence={"n": n},
            fingerprint=fingerprint("t", c.id, rule),
        )
        for n, c in enumerate(creds)
        for rule in ("stale", "no-expiry")
    )
    coverage = TenantCoverage(
        tenant="t", provider="sailpoint", status="complete", credential_count=len(creds)
    )
    result = ScanResult(
        tool=ToolInfo(version="9.9"),
        scan=ScanInfo(
            id="large", started_at=when, finished_at=when + timedelta(minutes=1), as_of=when,
            status="complete",
        ),
        coverage=(coverage,),
        credentials=creds,
        evaluation=Evaluation(findings=findings),
    )  # fmt: skip
    with History(history_target) as history:
        marked = history.record(result)
        (record,) = history.scans()
        assert history.findings(record) == list(marked.findings)
        (inventory,) = history.inventories(record)
    assert inventory.credentials == creds
    assert inventory.coverage == coverage


def test_shared_field_dicts_are_key_sharing_smaller_and_hold_the_same_items() -> None:
    """``Sharing`` puts a credential's field dict in a key-sharing dict (one names table per
    class): smaller, the same items in the same order; a model of a few fields is left as it
    is (a key-sharing dict keeps room for about 30 values)."""
    import sys

    creds = [credential(i) for i in range(3)]
    plain = [dict(c.__dict__) for c in creds]
    sizes = [sys.getsizeof(c.__dict__) for c in creds]
    owner_size = sys.getsizeof(creds[0].owner.__dict__)
    Sharing().share_all(creds)
    assert [list(c.__dict__.items()) for c in creds] == [list(p.items()) for p in plain]
    assert all(sys.getsizeof(c.__dict__) < s for c, s in zip(creds, sizes, strict=True))
    assert sys.getsizeof(creds[0].owner.__dict__) <= owner_size
    fresh = [credential(i) for i in range(3)]
    assert [c.model_dump_json() for c in creds] == [c.model_dump_json() for c in fresh]
    # a copy with an update keeps its own values and leaves the shared names alone
    copy = creds[0].model_copy(update={"name": "other"})
    assert copy.name == "other" and creds[0].name == "key 0"
    # a model whose dict is not pydantic's layout is left as it is
    odd = credential(9)
    object.__setattr__(odd, "__dict__", {"extra": 1, **odd.__dict__})
    before = odd.__dict__
    Sharing().share(odd)
    assert odd.__dict__ is before


def test_evidence_pool_shares_only_what_reads_the_same() -> None:
    """Equal evidence of a rule is one dict; values that compare equal but read differently
    (``1``, ``True``, ``1.0``; a list and a tuple; another key order) are never merged, and a
    rule whose evidence is mostly unique stops being pooled after ``PROBE`` results."""
    from policies.construct import EvidencePool

    pool = EvidencePool()
    first = pool.shared({"expires_at": None})
    assert pool.shared({"expires_at": None}) is first
    kinds: list[dict[str, Any]] = [{"x": 1}, {"x": True}, {"x": 1.0}, {"x": [1]}, {"x": (1,)}]
    assert [pool.shared(dict(k)) for k in kinds] == kinds
    shared = [pool.shared(dict(k)) for k in kinds]
    assert [type(s["x"]) for s in shared] == [type(k["x"]) for k in kinds]
    a, b = pool.shared({"a": 1, "b": 2}), pool.shared({"b": 2, "a": 1})
    assert a is not b and list(b) == ["b", "a"]
    sparse = EvidencePool()
    for n in range(EvidencePool.PROBE):
        sparse.shared({"idle_seconds": n})
    assert sparse.table is None  # stopped: no repr per result from here on
    late = {"idle_seconds": 1}
    assert sparse.shared(late) is late


def test_the_evaluator_shares_equal_messages_and_evidence(rich: ScanResult) -> None:
    """What the evaluator builds: equal messages are one str, equal evidence of a rule one
    dict (the findings still dump exactly as before: ``tests/policies`` and the goldens)."""
    by_text: dict[str, set[int]] = {}
    by_evidence: dict[tuple[str, str, str], set[int]] = {}
    for f in rich.findings:
        by_text.setdefault(f.message, set()).add(id(f.message))
        if f.rule_id != "inactive-owner":  # its fold makes a new dict per row
            key = (f.tenant, f.rule_id, repr(f.evidence))  # one pool per tenant and rule
            by_evidence.setdefault(key, set()).add(id(f.evidence))
    assert all(len(ids) == 1 for ids in by_text.values())
    assert all(len(ids) == 1 for ids in by_evidence.values())
    assert len(by_evidence) < len(rich.findings)  # some evidence is shared at all


def test_a_history_blob_that_decompresses_past_its_cap_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A zlib bomb in a (shared, tampered) history database: refused before it fills memory."""
    import zlib

    from auditor.app import historyschema
    from auditor.kernel.errors import HistoryError

    monkeypatch.setattr(historyschema, "UNPACK_FLOOR", 1 << 16)
    bomb = zlib.compress(b"[" + b" " * (50 << 20) + b"]", 9)  # 50 MiB of spaces: ~50 KB
    assert len(bomb) * historyschema.UNPACK_RATIO < 50 << 20
    with pytest.raises(HistoryError, match="decompresses to more than"):
        _unpack(bomb)
    with pytest.raises(HistoryError, match="does not decompress"):
        _unpack(b"not zlib at all")
    fine = zlib.compress(b"[" + b" " * 60_000 + b"]")  # within the floor
    assert _unpack(fine) == []
