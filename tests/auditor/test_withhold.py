"""``auditor.kernel.withhold``: text matching a secret is replaced in the model, and the coverage
says so; and the ConductorOne key material a secret carries is registered with it."""

from __future__ import annotations

import contextlib
import sqlite3
import zlib
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from pydantic import SecretStr

from auditor.app.engine import secrets_for
from auditor.kernel.model import (
    Capabilities,
    Credential,
    Owner,
    RecordError,
    TenantCoverage,
    TenantInventory,
)
from auditor.kernel.secretmatch import WITHHELD, SecretSet
from auditor.kernel.secretstream import SecretScanner
from auditor.kernel.withhold import (
    WITHHELD_NOTE,
    Vouched,
    clean,
    clean_each,
    withhold_inventory,
    withhold_model,
    withhold_text,
)
from providers.base import TenantSettings
from providers.conductorone.auth import SECRET_PREFIX, b64url_encode, encode_client_secret

CAPS = Capabilities(network_restriction=True, expiry=True, last_used=True)
SECRET = "9f8e7d6c5b4a39281706f5e4d3c2b1a0"


def inventory(text: str, tenant: str = "t") -> TenantInventory:
    return TenantInventory(
        coverage=TenantCoverage(
            tenant=tenant,
            provider="sailpoint",
            status="partial",
            error=f"e {text}",
            notes=(f"n {text}",),
            record_errors=(RecordError(record_id=text, message=f"m {text}"),),
        ),
        credentials=(
            Credential(
                provider="sailpoint",
                tenant=tenant,
                id="c1",
                name=f"deploy {text}",
                owner=Owner(name=f"owner {text}"),
                scopes=(text,),
                capabilities=CAPS,
            ),
        ),
    )


def test_every_text_field_is_withheld_and_the_coverage_says_so() -> None:
    secrets = SecretSet([SECRET])
    out = withhold_model(inventory(SECRET.upper()[:20] + "…"), secrets)
    dumped = out.model_dump_json()
    assert not secrets.contains(dumped)
    (cred,) = out.credentials
    assert (cred.name, cred.owner.name) == (f"deploy {WITHHELD}…", f"owner {WITHHELD}…")
    assert WITHHELD_NOTE in out.coverage.notes
    (note,) = [n for n in out.coverage.note_details if n.kind == "secret-withheld"]
    assert (note.severity, note.text) == ("caveat", WITHHELD_NOTE)
    assert withhold_model(out, secrets).coverage.notes.count(WITHHELD_NOTE) == 1


def test_a_clean_model_is_returned_unchanged() -> None:
    clean = inventory("nothing secret here")
    assert withhold_model(clean, SecretSet([SECRET])) is clean
    assert withhold_model(clean, SecretSet()) is clean


def test_constrained_fields_keep_their_value() -> None:
    # a secret around the 12 characters "conductorone" makes the provider name itself a match
    secrets = SecretSet(["x-conductorone-x"])
    leaked = inventory("x-conductorone-x")
    leaked = TenantInventory(
        coverage=leaked.coverage.model_copy(update={"provider": "conductorone"}),
        credentials=tuple(
            c.model_copy(update={"provider": "conductorone"}) for c in leaked.credentials
        ),
    )
    out = withhold_model(leaked, secrets)
    assert out.coverage.provider == "conductorone"  # a Literal: validated, never vendor text
    assert out.credentials[0].provider == "conductorone"
    assert out.coverage.error == f"e {WITHHELD}"
    assert out.credentials[0].name == f"deploy {WITHHELD}"


def test_withhold_text_replaces_and_leaves_clean_text_alone() -> None:
    secrets = SecretSet([SECRET])
    assert withhold_text("a.md", f"| {SECRET} |", secrets) == f"| {WITHHELD} |"
    assert withhold_text("a.md", "| clean |", secrets) == "| clean |"


def test_conductorone_key_material_is_registered_with_the_secret() -> None:
    key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    secret = encode_client_secret(key)
    seed = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    tenant = TenantSettings(
        name="c1", provider="conductorone", client_id="x@y/pcc", client_secret=SecretStr(secret)
    )
    secrets = secrets_for([tenant])
    d = b64url_encode(seed)
    for leak in (secret, secret.upper(), secret[40:60], d, seed.hex(), f'"d":"{d}"'):
        assert secrets.contains(f"vendor said {leak}"), leak
    assert secrets.redact(f"a {secret} b") == f"a {WITHHELD} b"
    public_jwk = '{"kty":"OKP","crv":"Ed25519","x":"'
    for public in (SECRET_PREFIX, "conductorone personal client", public_jwk):
        assert not secrets.contains(public), public


def test_the_history_stores_only_withheld_text(tmp_path: Path) -> None:
    from auditor.app.config import load_config
    from auditor.app.runs import record_history
    from tests.auditor.test_cli import result_with

    config = tmp_path / "c.yaml"
    config.write_text(
        "tenants:\n"
        "  - name: t0\n"
        "    provider: sailpoint\n"
        "    base_url: https://acme.api.identitynow.com\n"
        "    client_id: 0123456789abcdef0123456789abcdef\n"
        "    client_secret_env: S\n"
        "history:\n"
        "  database: h.db\n"
    )
    loaded = load_config(config, env={"S": SECRET})
    result = result_with(["failed"], [("fail", "high")])
    leaked = result.model_copy(
        update={
            "coverage": (result.coverage[0].model_copy(update={"error": f"x {SECRET.upper()}"}),)
        }
    )
    stored, error = record_history(loaded, leaked)  # the configuration's secrets by default
    assert error is None
    assert stored.coverage[0].error == f"x {WITHHELD}"
    assert WITHHELD_NOTE in stored.coverage[0].notes
    rows = []
    with contextlib.closing(sqlite3.connect(tmp_path / "h.db")) as db:
        for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall():
            for row in db.execute(f"SELECT * FROM {table}"):
                for value in row:
                    if isinstance(value, bytes):
                        with contextlib.suppress(zlib.error):
                            value = zlib.decompress(value)
                        value = value.decode("utf-8", "replace")
                    rows.append(str(value))
    assert any(WITHHELD in r for r in rows)
    assert not SecretSet([SECRET]).contains("\n".join(rows))


def test_a_conductorone_private_key_in_pkcs8_pem_is_withheld() -> None:
    """The seed sits at byte 16 of the DER, so its base64 in a PEM is at another alignment than
    the seed's own base64 (review finding)."""
    from providers.conductorone.auth import encode_client_secret, register_key_material

    key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    secrets = SecretSet()
    register_key_material(encode_client_secret(key), secrets)
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
    body = pem.splitlines()[1]  # MC4CAQAwBQYDK2VwBCIEI…
    assert secrets.contains(body)
    assert WITHHELD in secrets.redact(f"key was {body}")


# -- credentials a provider vouches for (auditor.kernel.withhold.Vouched) ----------------------


def _credentials_only(text: str) -> TenantInventory:
    """``text`` in a credential; the coverage clean."""
    made = inventory(text)
    return TenantInventory(coverage=inventory("clean").coverage, credentials=made.credentials)


def test_vouched_credentials_are_not_searched_again() -> None:
    secrets = SecretSet([SECRET])
    clean_one = _credentials_only("nothing secret")
    assert clean(clean_one.credentials[0], secrets)
    vouched = Vouched(clean_one.credentials, secrets, secrets.generation)
    assert withhold_inventory(clean_one, secrets, vouched) is clean_one
    # what it skips: a vouch that (wrongly) covers a fragment is taken at its word ...
    echo = _credentials_only(SECRET[:20])
    assert not clean(echo.credentials[0], secrets)
    lied = Vouched(echo.credentials, secrets, secrets.generation)
    assert withhold_inventory(echo, secrets, lied) is echo
    # ... which is why a vouch covers exactly those credentials, that set, that generation
    assert withhold_inventory(echo, secrets, None) is not echo


def test_a_vouch_covers_only_its_tuple_its_set_and_its_generation() -> None:
    secrets = SecretSet([SECRET])
    echo = _credentials_only(SECRET[:20])
    same_values = TenantInventory(coverage=echo.coverage, credentials=tuple(echo.credentials))
    for vouched in (
        Vouched(same_values.credentials, secrets, secrets.generation),  # another tuple
        Vouched(echo.credentials, SecretSet([SECRET]), secrets.generation),  # another set
        Vouched(echo.credentials, secrets, secrets.generation - 1),  # a value added since
    ):
        out = withhold_inventory(echo, secrets, vouched)
        assert out is not echo and not secrets.contains(out.model_dump_json())
        assert WITHHELD_NOTE in out.coverage.notes


def test_a_value_added_after_the_vouch_voids_it() -> None:
    secrets = SecretSet([SECRET])
    later = "a-bearer-token-received-later-0123456789"
    echo = _credentials_only(later[:20])
    vouched = Vouched(echo.credentials, secrets, secrets.generation)  # clean when vouched
    secrets.add(later)
    out = withhold_inventory(echo, secrets, vouched)
    assert WITHHELD in out.credentials[0].name and WITHHELD_NOTE in out.coverage.notes


def test_the_coverage_is_searched_even_when_the_credentials_are_vouched_for() -> None:
    secrets = SecretSet([SECRET])
    touched = TenantInventory(
        coverage=inventory(SECRET[:20]).coverage,
        credentials=_credentials_only("clean").credentials,
    )
    vouched = Vouched(touched.credentials, secrets, secrets.generation)
    out = withhold_inventory(touched, secrets, vouched)
    assert not secrets.contains(out.model_dump_json())
    assert WITHHELD_NOTE in out.coverage.notes


def _named(*names: str) -> list[Credential]:
    return [
        Credential(
            provider="sailpoint",
            tenant="t",
            id=f"c{i}",
            name=name,
            owner=Owner(),
            capabilities=CAPS,
        )
        for i, name in enumerate(names)
    ]


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        ((), []),
        (("a",), [True]),
        (("a", "b", "c"), [True, True, True]),
        (("a", f"x{SECRET[:14]}", "c"), [True, False, True]),  # one touched among clean ones
        ((f"{SECRET[:14]}", "b", SECRET.upper()), [False, True, False]),
        (("a", f"b {WITHHELD}", "c"), [True, False, True]),  # the mark counts as touched
    ],
)
def test_clean_each_answers_as_clean_does_one_by_one(
    names: tuple[str, ...], expected: list[bool]
) -> None:
    secrets = SecretSet([SECRET])
    models = _named(*names)
    assert clean_each(models, secrets) == expected == [clean(m, secrets) for m in models]


def test_clean_each_searches_a_clean_batch_once() -> None:
    secrets = SecretSet([SECRET])
    searched: list[int] = []
    real = secrets._view_spans

    def counted(view: str) -> list[tuple[int, int]]:
        searched.append(len(view))
        return real(view)

    secrets._view_spans = counted  # type: ignore[method-assign]
    assert clean_each(_named(*(f"client {i}" for i in range(25))), secrets) == [True] * 25
    assert len(searched) == 1


def test_clean_each_with_no_secrets_searches_nothing() -> None:
    assert clean_each(_named("a", SECRET), SecretSet()) == [True, True]


def test_a_batch_found_touched_as_a_whole_is_searched_model_by_model(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A fragment only across two models (the batch's text is theirs run together): the batch
    is found touched, and each model is then searched on its own, here both clean."""
    real, calls = SecretScanner.close, []

    def close(self: SecretScanner) -> bool:
        calls.append(1)
        return True if len(calls) == 1 else real(self)  # the batch's search: touched

    monkeypatch.setattr(SecretScanner, "close", close)
    secrets = SecretSet([SECRET])
    models = _named("a", "b", "c")
    assert clean_each(models, secrets) == [True, True, True]
    assert len(calls) == 1 + 3  # the batch, then each model
