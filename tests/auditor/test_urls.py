"""``auditor.kernel.urls``: the one "https, or plain http to loopback" rule, and its callers."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pydantic import SecretStr

from auditor.app.config import check_base_url
from auditor.app.notify import check_webhook_url
from auditor.kernel.errors import ConfigError
from auditor.kernel.urls import UrlProblem, api_url_problem, is_loopback_host
from providers.base import TenantSettings
from providers.conductorone.adapter import _check_base_url
from providers.sailpoint.adapter import SailPointProvider

ACCEPTED = [
    "https://acme.api.identitynow.com",
    "https://acme.example.com:8443",
    "http://127.0.0.1:8080",
    "http://127.9.9.9",
    "http://[::1]:9000",
    "http://localhost:1",
    "http://LOCALHOST",
]
PLAIN_HTTP = ["http://acme.example.com", "http://10.0.0.1", "http://localhost.evil.example"]
NOT_HTTP_URL = ["ftp://acme.example.com", "acme.example.com", "https://", "", "http://[::1"]


@pytest.mark.parametrize(
    "host", ["localhost", "LocalHost", "127.0.0.1", "127.1.2.3", "::1", "[::1]"]
)
def test_loopback_hosts(host: str) -> None:
    assert is_loopback_host(host)


@pytest.mark.parametrize("host", ["10.0.0.1", "example.com", "localhost.example", "0.0.0.0", ""])
def test_other_hosts_are_not_loopback(host: str) -> None:
    assert not is_loopback_host(host)


def test_the_rule() -> None:
    assert [api_url_problem(u) for u in ACCEPTED] == [None] * len(ACCEPTED)
    assert {api_url_problem(u) for u in PLAIN_HTTP} == {UrlProblem.PLAIN_HTTP}
    assert {api_url_problem(u) for u in NOT_HTTP_URL} == {UrlProblem.NOT_HTTP_URL}


def _config(url: str) -> None:
    check_base_url(url)


def _conductorone(url: str) -> None:
    _check_base_url(url)


def _sailpoint(url: str) -> None:
    SailPointProvider.base_url_for(
        TenantSettings(
            name="t",
            provider="sailpoint",
            client_id="i",
            client_secret=SecretStr("s"),
            base_url=url,
        )
    )


def _webhook(url: str) -> None:
    check_webhook_url(SecretStr(url))


CALLERS: list[Callable[[str], None]] = [_config, _conductorone, _sailpoint, _webhook]


@pytest.mark.parametrize("check", CALLERS)
def test_every_caller_applies_the_same_rule(check: Callable[[str], None]) -> None:
    for url in ACCEPTED:
        check(url)
    for url in PLAIN_HTTP + [u for u in NOT_HTTP_URL if u]:
        with pytest.raises((ConfigError, ValueError)):
            check(url)
