from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from auditor.app.config import check_base_url, load_config
from auditor.kernel.errors import ConfigError

SECRET = "s3cr3t-VALUE-that-must-never-appear"
ENV = {
    "C1_ID": "abc@acme.conductor.one/pcc",
    "C1_SECRET": SECRET,
    "SP_ID": "id",
    "SP_SECRET": SECRET,
}

GOOD = """
tenants:
  - name: acme-c1
    provider: conductorone
    client_id_env: C1_ID
    client_secret_env: C1_SECRET
  - name: acme-isc
    provider: sailpoint
    base_url: https://acme.api.identitynow.com
    client_id_env: SP_ID
    client_secret_env: SP_SECRET
schedules:
  - name: nightly
    cron: "0 2 * * *"
    timezone: Europe/Paris
"""


def write(tmp_path: Path, text: str, name: str = "config.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def error_for(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> ConfigError:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path, env=ENV if env is None else env)
    message = str(info.value)
    assert SECRET not in message
    assert str(path) in message
    return info.value


def test_good_config_resolves_secrets_as_secretstr(tmp_path: Path) -> None:
    loaded = load_config(write(tmp_path, GOOD), env=ENV)
    creds = loaded.credentials["acme-c1"]
    assert creds.client_id == "abc@acme.conductor.one/pcc"
    assert creds.client_secret.get_secret_value() == SECRET
    assert SECRET not in repr(loaded)
    assert loaded.config.schedules[0].timezone == "Europe/Paris"


def test_secret_from_file_relative_to_config(tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text(SECRET + "\n")
    text = GOOD.replace("client_secret_env: C1_SECRET", "client_secret_file: secret.txt")
    loaded = load_config(write(tmp_path, text), env=ENV)
    assert loaded.credentials["acme-c1"].client_secret.get_secret_value() == SECRET


def test_unknown_key_names_key_and_suggests(tmp_path: Path) -> None:
    err = error_for(tmp_path, GOOD.replace("    provider: sailpoint", "    provder: sailpoint"))
    text = str(err)
    assert "tenants[1].provder: unknown key" in text
    assert "did you mean 'provider'" in text


def test_unknown_top_level_key(tmp_path: Path) -> None:
    err = error_for(tmp_path, GOOD + "outputs: {dir: x}\n")
    assert "outputs: unknown key" in str(err)
    assert "did you mean 'output'" in str(err)


def test_duplicate_tenant_name(tmp_path: Path) -> None:
    err = error_for(tmp_path, GOOD.replace("name: acme-isc", "name: acme-c1"))
    assert "duplicate tenant name(s): acme-c1" in str(err)


def test_unknown_provider_lists_known(tmp_path: Path) -> None:
    err = error_for(tmp_path, GOOD.replace("provider: sailpoint", "provider: okta"))
    assert (
        "tenants[1].provider: unknown provider 'okta'; use one of: conductorone, sailpoint"
        in str(err)
    )


def test_every_missing_env_var_is_listed_at_once(tmp_path: Path) -> None:
    err = error_for(tmp_path, GOOD, env={})
    text = str(err)
    assert "4 configuration problems" in text
    for var, key in [
        ("C1_ID", "tenants[0].client_id_env"),
        ("C1_SECRET", "tenants[0].client_secret_env"),
        ("SP_ID", "tenants[1].client_id_env"),
        ("SP_SECRET", "tenants[1].client_secret_env"),
    ]:
        assert f"{key}: environment variable {var} is not set (fix: export {var}=" in text


def test_literal_secret_is_refused_without_echo(tmp_path: Path) -> None:
    text = GOOD.replace("    client_secret_env: C1_SECRET", f"    client_secret: {SECRET}")
    err = error_for(tmp_path, text)
    assert "tenants[0].client_secret: secrets must not be written in the configuration" in str(err)
    assert "client_secret_env" in str(err)


def test_literal_webhook_url_is_refused(tmp_path: Path) -> None:
    err = error_for(tmp_path, GOOD + f"notify:\n  webhook_url: https://hooks.example/{SECRET}\n")
    assert "notify.webhook_url: secrets must not be written" in str(err)


def test_secret_source_required(tmp_path: Path) -> None:
    err = error_for(tmp_path, GOOD.replace("    client_secret_env: C1_SECRET\n", ""))
    assert "tenants[0]: set exactly one of client_secret_env" in str(err)


@pytest.mark.parametrize(
    "url",
    ["http://acme.api.identitynow.com", "http://10.0.0.5:8080", "http://127.0.0.1.nip.io"],
)
def test_non_loopback_http_refused(tmp_path: Path, url: str) -> None:
    err = error_for(tmp_path, GOOD.replace("https://acme.api.identitynow.com", url))
    assert "tenants[1].base_url: http:// is allowed only for loopback hosts" in str(err)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080", "http://127.8.9.10", "http://[::1]:9000", "http://localhost"]
)
def test_loopback_http_allowed(url: str) -> None:
    assert check_base_url(url + "/") == url


def test_credentials_in_url_refused(tmp_path: Path) -> None:
    err = error_for(tmp_path, GOOD.replace("https://acme.api", f"https://user:{SECRET}@acme.api"))
    assert "must not contain credentials" in str(err)


def test_invalid_cron(tmp_path: Path) -> None:
    err = error_for(tmp_path, GOOD.replace('"0 2 * * *"', '"0 25 * * *"'))
    assert "schedules[0]: invalid cron expression '0 25 * * *'" in str(err)


def test_invalid_timezone(tmp_path: Path) -> None:
    err = error_for(tmp_path, GOOD.replace("Europe/Paris", "Mars/Olympus"))
    assert "schedules[0]: unknown time zone 'Mars/Olympus'" in str(err)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.yaml: file not found"):
        load_config(tmp_path / "nope.yaml", env=ENV)


def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "dir.yaml"
    path.mkdir()
    with pytest.raises(ConfigError, match="the file is a directory, not a regular file"):
        load_config(path, env=ENV)


def test_invalid_yaml_reports_position_not_content(tmp_path: Path) -> None:
    err = error_for(tmp_path, f"tenants:\n  - name: x\n   secret_thing: {SECRET}: oops\n")
    assert "not valid YAML at line" in str(err)


def test_yaml_not_a_mapping(tmp_path: Path) -> None:
    err = error_for(tmp_path, "- just\n- a list\n")
    assert "must be a YAML mapping" in str(err)


def test_duplicate_yaml_key(tmp_path: Path) -> None:
    err = error_for(tmp_path, GOOD + "output: {dir: a}\noutput: {dir: b}\n")
    assert "duplicate key 'output'" in str(err)


def test_bad_tenant_name(tmp_path: Path) -> None:
    err = error_for(tmp_path, GOOD.replace("name: acme-isc", "name: ../../etc"))
    assert "tenants[1].name: invalid name" in str(err)


def test_missing_ca_bundle(tmp_path: Path) -> None:
    text = GOOD.replace(
        "    provider: sailpoint\n", "    provider: sailpoint\n    ca_bundle: ca.pem\n"
    )
    err = error_for(tmp_path, text)
    assert "tenants[1].ca_bundle: ca_bundle file ca.pem: file not found" in str(err)


def test_unknown_format(tmp_path: Path) -> None:
    err = error_for(tmp_path, GOOD + "output: {formats: [pdf]}\n")
    assert "output.formats[0]" in str(err)
    assert "html, markdown, json, csv, ocsf" in str(err)


def test_formats_come_from_the_report_registry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Adding a format is its module plus one registration in ``reports.FORMATS``."""
    import reports
    from auditor.app.config import FORMAT_NAMES
    from auditor.cli.common import parse_formats

    assert tuple(reports.FORMATS) == FORMAT_NAMES
    monkeypatch.setitem(reports.FORMATS, "extra", lambda result: {})
    loaded = load_config(write(tmp_path, GOOD + "output: {formats: [extra]}\n"), env=ENV)
    assert loaded.config.output.formats == ("extra",)
    assert parse_formats("extra,json", ()) == ["extra", "json"]


def test_item_errors_do_not_cascade_into_too_short(tmp_path: Path) -> None:
    err = error_for(tmp_path, GOOD.replace("provider: conductorone", "provider: okta"))
    assert "at least 1 item" not in str(err)


def test_empty_tenants(tmp_path: Path) -> None:
    err = error_for(tmp_path, "tenants: []\n")
    assert "tenants: at least one tenant is required" in str(err)


@pytest.mark.parametrize(
    "pasted",
    [
        f"secret-token:conductorone.com:v1:{SECRET}",
        "1d1bef2b9f426383447f64f69349fc7cac17604" + SECRET,
    ],
)
def test_secret_pasted_as_env_name_is_not_echoed(tmp_path: Path, pasted: str) -> None:
    err = error_for(
        tmp_path, GOOD.replace("client_secret_env: C1_SECRET", f"client_secret_env: '{pasted}'")
    )
    assert "tenants[0].client_secret_env: not a valid environment variable name" in str(err)
    assert pasted not in str(err)


def test_secret_pasted_as_file_path_is_not_echoed(tmp_path: Path) -> None:
    pasted = "1d1bef2b9f426383447f64f69349fc7c" + SECRET.replace("-", "")
    text = GOOD.replace("client_secret_env: C1_SECRET", f"client_secret_file: {pasted}")
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path, env=ENV)
    assert "tenants[0].client_secret_file: cannot read the file named there" in str(info.value)
    assert pasted not in str(info.value)


def test_missing_secret_file_with_a_real_path_is_named(tmp_path: Path) -> None:
    text = GOOD.replace("client_secret_env: C1_SECRET", "client_secret_file: secrets/c1.txt")
    err = error_for(tmp_path, text)
    assert f"cannot read {tmp_path / 'secrets/c1.txt'}: file not found" in str(err)


def test_webhook_env_name_validated(tmp_path: Path) -> None:
    err = error_for(tmp_path, GOOD + f"notify: {{webhook_url_env: 'https://hooks/{SECRET}'}}\n")
    assert "notify.webhook_url_env: not a valid environment variable name" in str(err)


@pytest.mark.parametrize("cron", ["0 2 * * 7", "0 2 * * 0", "0 2 * * 1-5"])
def test_crontab_weekdays_are_accepted_as_cron_means_them(tmp_path: Path, cron: str) -> None:
    loaded = load_config(write(tmp_path, GOOD.replace('"0 2 * * *"', f'"{cron}"')), env=ENV)
    assert loaded.config.schedules[0].cron == cron
