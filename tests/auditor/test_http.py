from __future__ import annotations

import asyncio
import email.utils
from typing import Any

import httpx
import pytest
import respx

from auditor.kernel import http as http_module
from auditor.kernel.errors import (
    AuthError,
    ClientRequestError,
    NotFoundError,
    PaginationError,
    PermissionDeniedError,
    RateLimitedError,
    ResponseFormatError,
    ServerError,
    TransportError,
)
from auditor.kernel.http import ApiClient, HttpSettings, RateLimit, parse_retry_after
from auditor.kernel.httpresponses import URLS_KEPT
from tests.fakes import FakeTime

BASE = "https://api.example.test"
WALL = 1_800_000_000.0


class CountingTokens:
    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.minted = 0
        self.invalidated = 0
        self.current: str | None = None

    async def get_token(self, client: ApiClient) -> str:
        if self.current is None:
            self.current = self.tokens[min(self.minted, len(self.tokens) - 1)]
            self.minted += 1
        return self.current

    def invalidate(self) -> None:
        self.invalidated += 1
        self.current = None


def make_client(fake: FakeTime, settings: HttpSettings | None = None, **kwargs: Any) -> ApiClient:
    return ApiClient(
        tenant="t1",
        base_url=BASE,
        settings=settings or HttpSettings(),
        sleep=fake.sleep,
        clock=fake.clock,
        wall_clock=lambda: WALL,
        jitter=lambda: 0.0,
        **kwargs,
    )


def run(coro: Any) -> Any:
    return asyncio.run(coro)


@respx.mock(base_url=BASE)
def test_429_honours_retry_after_seconds(respx_mock: respx.MockRouter) -> None:
    fake = FakeTime()
    route = respx_mock.get("/items").mock(
        side_effect=[
            httpx.Response(
                429, headers={"Retry-After": "7"}, json={"message": " Rate Limit Exceeded "}
            ),
            httpx.Response(200, json=[1]),
        ]
    )

    async def go() -> Any:
        async with make_client(fake) as client:
            return await client.get_json("/items"), client.stats

    body, stats = run(go())
    assert body == [1]
    assert route.call_count == 2
    assert fake.sleeps == [7.0]
    assert (stats.requests, stats.retries, stats.rate_limited) == (2, 1, 1)


@respx.mock(base_url=BASE)
def test_429_honours_retry_after_http_date(respx_mock: respx.MockRouter) -> None:
    fake = FakeTime()
    when = email.utils.formatdate(WALL + 12, usegmt=True)
    respx_mock.get("/items").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": when}),
            httpx.Response(200, json={}),
        ]
    )

    async def go() -> None:
        async with make_client(fake) as client:
            await client.get_json("/items")

    run(go())
    assert fake.sleeps == [12.0]


@respx.mock(base_url=BASE)
def test_retry_after_is_capped(respx_mock: respx.MockRouter) -> None:
    fake = FakeTime()
    respx_mock.get("/items").mock(
        side_effect=[
            httpx.Response(503, headers={"Retry-After": "86400"}),
            httpx.Response(200, json={}),
        ]
    )

    async def go() -> None:
        async with make_client(fake, HttpSettings(retry_after_cap=45)) as client:
            await client.get_json("/items")

    run(go())
    assert fake.sleeps == [45.0]


@respx.mock(base_url=BASE)
def test_backoff_is_exponential_then_gives_up(respx_mock: respx.MockRouter) -> None:
    fake = FakeTime()
    route = respx_mock.get("/items").mock(
        return_value=httpx.Response(503, json={"message": "down"})
    )

    async def go() -> None:
        async with make_client(fake, HttpSettings(max_retries=4, backoff_base=0.5)) as client:
            await client.get_json("/items")

    with pytest.raises(ServerError, match=r"HTTP 503: down \(after 5 attempts\)") as info:
        run(go())
    assert info.value.status_code == 503
    assert route.call_count == 5
    # jitter=0 gives the lower edge of [d/2, d] for d = 0.5, 1, 2, 4
    assert fake.sleeps == [0.25, 0.5, 1.0, 2.0]


@pytest.mark.parametrize(
    ("raised", "kind", "calls", "retries", "sleeps"),
    [
        # transient: retried with its waits, then the last one raised, naming the attempts
        (httpx.ConnectError("refused"), TransportError, 3, 2, [0.25, 0.5]),
        (httpx.Response(503), ServerError, 3, 2, [0.25, 0.5]),
        # not transient: raised at once, never retried, never waited on
        (httpx.Response(404), NotFoundError, 1, 0, []),
        (RuntimeError("a bug below the client"), RuntimeError, 1, 0, []),
        (asyncio.CancelledError(), asyncio.CancelledError, 1, 0, []),
    ],
    ids=["connect-error", "503", "404", "bug", "cancelled"],
)
@respx.mock(base_url=BASE, assert_all_called=False)  # respx does not count a cancelled call
def test_what_is_retried_and_what_ends_the_attempts(
    respx_mock: respx.MockRouter,
    monkeypatch: pytest.MonkeyPatch,
    raised: Any,
    kind: type[BaseException],
    calls: int,
    retries: int,
    sleeps: list[float],
) -> None:
    fake = FakeTime()
    answered: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        answered.append(request)
        if isinstance(raised, httpx.Response):
            return raised
        raise raised  # respx takes only an Exception as a side effect; a cancellation is not one

    respx_mock.get("/items").mock(side_effect=answer)
    client = make_client(fake, HttpSettings(max_retries=2, backoff_base=0.5))
    if kind is asyncio.CancelledError:  # not caught at all, whatever is deemed transient
        monkeypatch.setattr(http_module, "_is_transient", lambda exc: True)

    async def go() -> None:
        async with client:
            await client.get_json("/items")

    with pytest.raises(kind) as info:
        run(go())
    assert len(answered) == calls
    assert client.stats.retries == retries
    assert fake.sleeps == sleeps
    assert ("after 3 attempts" in str(info.value)) is (calls == 3)


def test_jitter_stays_within_half_to_full_delay() -> None:
    fake = FakeTime()
    client = ApiClient(
        tenant="t",
        base_url=BASE,
        settings=HttpSettings(backoff_base=1.0, backoff_max=8.0),
        sleep=fake.sleep,
        clock=fake.clock,
        jitter=lambda: 1.0,
    )

    failed = TransportError("GET /x: cannot reach it", tenant="t")
    assert client._wait(failed, 5) == 8.0  # 1 * 2**4 = 16, capped at 8


@respx.mock(base_url=BASE)
def test_post_is_not_retried_unless_read_only(respx_mock: respx.MockRouter) -> None:
    fake = FakeTime()
    route = respx_mock.post("/write").mock(return_value=httpx.Response(503))

    async def go() -> None:
        async with make_client(fake) as client:
            await client.post_json("/write", json={}, read_only=False)

    with pytest.raises(ServerError):
        run(go())
    assert route.call_count == 1
    assert fake.sleeps == []


@respx.mock(base_url=BASE)
def test_read_only_search_post_is_retried(respx_mock: respx.MockRouter) -> None:
    fake = FakeTime()
    route = respx_mock.post("/search").mock(
        side_effect=[httpx.Response(502), httpx.Response(200, json={"list": []})]
    )

    async def go() -> Any:
        async with make_client(fake) as client:
            return await client.post_json("/search", json={"pageSize": 25})

    assert run(go()) == {"list": []}
    assert route.call_count == 2


@respx.mock(base_url=BASE)
def test_connection_errors_are_retried_then_mapped(respx_mock: respx.MockRouter) -> None:
    fake = FakeTime()
    respx_mock.get("/items").mock(side_effect=httpx.ConnectError("connection refused"))

    async def go() -> None:
        async with make_client(fake, HttpSettings(max_retries=2)) as client:
            await client.get_json("/items")

    with pytest.raises(
        TransportError, match=r"cannot reach .*connection refused.*after 3 attempts"
    ):
        run(go())
    assert len(fake.sleeps) == 2


@respx.mock(base_url=BASE)
def test_timeout_is_a_transport_error(respx_mock: respx.MockRouter) -> None:
    fake = FakeTime()
    respx_mock.get("/items").mock(side_effect=httpx.ReadTimeout("slow"))

    async def go() -> None:
        async with make_client(fake, HttpSettings(max_retries=0)) as client:
            await client.get_json("/items")

    with pytest.raises(TransportError, match="timed out waiting for"):
        run(go())


@respx.mock(base_url=BASE)
def test_401_refreshes_token_once_then_succeeds(respx_mock: respx.MockRouter) -> None:
    fake = FakeTime()
    tokens = CountingTokens(["old", "new"])

    def handler(request: httpx.Request) -> httpx.Response:
        ok = request.headers["Authorization"] == "Bearer new"
        return httpx.Response(200, json={"ok": True}) if ok else httpx.Response(401)

    respx_mock.get("/me").mock(side_effect=handler)

    async def go() -> Any:
        async with make_client(fake, auth=tokens) as client:
            return await client.get_json("/me")

    assert run(go()) == {"ok": True}
    assert (tokens.minted, tokens.invalidated) == (2, 1)


@respx.mock(base_url=BASE)
def test_second_401_raises_auth_error_without_token(respx_mock: respx.MockRouter) -> None:
    fake = FakeTime()
    tokens = CountingTokens(["eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2ln"])
    route = respx_mock.get("/me").mock(
        return_value=httpx.Response(401, json={"error": "JWT validation failed: JWT is expired"})
    )

    async def go() -> None:
        async with make_client(fake, auth=tokens) as client:
            await client.get_json("/me")

    with pytest.raises(AuthError) as info:
        run(go())
    assert route.call_count == 2
    assert tokens.minted == 2
    assert "JWT validation failed: JWT is expired" in str(info.value)
    assert "eyJ" not in str(info.value)


@respx.mock(base_url=BASE)
def test_vendor_error_text_surfaces_and_tokens_are_redacted(respx_mock: respx.MockRouter) -> None:
    fake = FakeTime()
    respx_mock.get("/x").mock(
        return_value=httpx.Response(
            403,
            json={
                "code": 7,
                "message": "Permission denied for Bearer abc.def secret-token:xyz\nnext",
            },
        )
    )

    async def go() -> None:
        async with make_client(fake) as client:
            await client.get_json("/x")

    with pytest.raises(PermissionDeniedError) as info:
        run(go())
    text = str(info.value)
    assert text.startswith("t1: GET /x returned HTTP 403: Permission denied for Bearer [redacted]")
    assert "secret-token:xyz" not in text and "abc.def" not in text and "\n" not in text


@respx.mock(base_url=BASE)
def test_non_json_success_is_a_format_error(respx_mock: respx.MockRouter) -> None:
    fake = FakeTime()
    respx_mock.get("/x").mock(return_value=httpx.Response(200, text="<html>login</html>"))

    async def go() -> None:
        async with make_client(fake) as client:
            await client.get_json("/x")

    with pytest.raises(ResponseFormatError, match="not JSON"):
        run(go())


@respx.mock(base_url=BASE)
def test_redirects_are_not_followed(respx_mock: respx.MockRouter) -> None:
    fake = FakeTime()
    respx_mock.get("/x/").mock(return_value=httpx.Response(301, headers={"Location": "/x"}))

    async def go() -> None:
        async with make_client(fake) as client:
            await client.get_json("/x/")

    with pytest.raises(ClientRequestError, match="redirect to '/x' not followed"):
        run(go())


@respx.mock(base_url=BASE)
def test_rate_limited_error_after_retries(respx_mock: respx.MockRouter) -> None:
    fake = FakeTime()
    respx_mock.get("/x").mock(return_value=httpx.Response(429, headers={"Retry-After": "1"}))

    async def go() -> None:
        async with make_client(fake, HttpSettings(max_retries=1)) as client:
            await client.get_json("/x")

    with pytest.raises(RateLimitedError):
        run(go())


def test_page_guard_detects_repeated_token() -> None:
    fake = FakeTime()
    guard = make_client(fake).page_guard("search personal clients")
    guard.next_page("a")
    guard.next_page("b")
    with pytest.raises(PaginationError, match="already returned \\(after 3 pages\\)"):
        guard.next_page("a")


def test_page_guard_limits_pages() -> None:
    fake = FakeTime()
    guard = make_client(fake, HttpSettings(max_pages=3)).page_guard("list")
    guard.next_page("1")
    guard.next_page("2")
    with pytest.raises(PaginationError, match="more than 3 pages"):
        guard.next_page("3")


def test_rate_limit_never_exceeded_in_any_window() -> None:
    fake = FakeTime()
    starts: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        starts.append(fake.now)
        return httpx.Response(200, json={})

    settings = HttpSettings(rate_limit=RateLimit(100, 10.0), max_concurrency=50)

    async def go() -> None:
        async with make_client(fake, settings, transport=httpx.MockTransport(handler)) as client:
            await asyncio.gather(*(client.get_json("/x") for _ in range(350)))

    run(go())
    assert len(starts) == 350
    for i, start in enumerate(starts):
        in_window = [s for s in starts[i:] if s < start + 10.0]
        assert len(in_window) <= 100
    # and it is not needlessly slow: 350 requests need 3 full waits of one window
    assert fake.now - 1000.0 == pytest.approx(30.0)


def test_concurrency_cap() -> None:
    fake = FakeTime()
    in_flight = 0
    peak = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        in_flight -= 1
        return httpx.Response(200, json={})

    async def go() -> None:
        settings = HttpSettings(max_concurrency=3)
        async with make_client(fake, settings, transport=httpx.MockTransport(handler)) as client:
            await asyncio.gather(*(client.get_json("/x") for _ in range(20)))

    run(go())
    assert peak == 3


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("5", 5.0),
        ("0", 0.0),
        ("-3", 0.0),
        ("1.5", 1.5),
        (email.utils.formatdate(WALL + 30, usegmt=True), 30.0),
        (email.utils.formatdate(WALL - 30, usegmt=True), 0.0),
        ("soon", None),
        (None, None),
        ("nan", None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, now=WALL) == expected


@respx.mock(base_url=BASE)
def test_token_refreshed_at_most_once_per_request_even_across_retries(
    respx_mock: respx.MockRouter,
) -> None:
    fake = FakeTime()
    tokens = CountingTokens(["a", "b", "c"])
    respx_mock.get("/me").mock(
        side_effect=[httpx.Response(401), httpx.Response(503), httpx.Response(401)]
    )

    async def go() -> None:
        async with make_client(fake, auth=tokens) as client:
            await client.get_json("/me")

    with pytest.raises(AuthError):
        run(go())
    assert tokens.minted == 2


@pytest.mark.parametrize("code", [408, 500])
@respx.mock(base_url=BASE)
def test_500_and_408_are_retried_for_safe_requests(respx_mock: respx.MockRouter, code: int) -> None:
    fake = FakeTime()
    route = respx_mock.get("/items").mock(
        side_effect=[httpx.Response(code), httpx.Response(200, json=[])]
    )

    async def go() -> Any:
        async with make_client(fake) as client:
            return await client.get_json("/items")

    assert run(go()) == []
    assert route.call_count == 2


SECRET_48 = "q7Rw2ZkL9vXn4TbM8cYp3HdJ6sFg1AeU5oVi0tQhGjKlNzPx"


@pytest.mark.parametrize(
    "echo",
    [
        "x" * (300 - 45) + SECRET_48,  # the cut at 300 would leave 45 of its 48 characters
        "invalid " + SECRET_48.upper(),
        "invalid " + "\u200b".join(SECRET_48),  # rejoined when invisibles are removed
    ],
    ids=["cut", "upper", "zero-width"],
)
def test_secrets_are_withheld_from_vendor_text_before_it_is_cut_or_cleaned(echo: str) -> None:
    from auditor.kernel.http import clean_vendor_text
    from auditor.kernel.secretmatch import WITHHELD, SecretSet

    secrets = SecretSet([SECRET_48])
    text = clean_vendor_text(echo, secrets=secrets)
    assert len(text) <= 301 and "\u200b" not in text
    assert WITHHELD[:12] in text
    folded = text.casefold()
    assert not any(SECRET_48[i : i + 12].casefold() in folded for i in range(len(SECRET_48) - 11))


@pytest.mark.parametrize("pad", range(270, 301, 3))
def test_the_cut_never_splits_the_withheld_mark(pad: int) -> None:
    from auditor.kernel.http import clean_vendor_text
    from auditor.kernel.secretmatch import WITHHELD, SecretSet

    text = clean_vendor_text("x" * pad + SECRET_48 + " tail", secrets=SecretSet([SECRET_48]))
    assert text.endswith("…")
    assert WITHHELD in text or text == "x" * 300 + "…"


@respx.mock(base_url=BASE)
def test_bearer_tokens_received_are_withheld_from_vendor_text(
    respx_mock: respx.MockRouter,
) -> None:
    from auditor.kernel.secretmatch import SecretSet

    token = "tok-4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c"
    respx_mock.get("/x").mock(
        return_value=httpx.Response(400, json={"message": f"unknown token {token.upper()}"})
    )
    secrets = SecretSet()

    async def go() -> None:
        async with make_client(FakeTime(), auth=CountingTokens([token]), secrets=secrets) as c:
            await c.get_json("/x")

    with pytest.raises(ClientRequestError) as info:
        run(go())
    assert "[withheld: matched a secret]" in str(info.value)
    assert token[4:16].casefold() not in str(info.value).casefold()
    assert info.value.vendor_message is not None and "4F9A8B7C6D5E" not in info.value.vendor_message
    assert secrets.contains(token)  # registered for the outputs' last check too


def test_an_absolute_url_with_raw_content_and_a_label_for_messages() -> None:
    """What notifications need: post bytes to a full URL that is itself a secret."""
    fake = FakeTime()
    secret_url = "https://hooks.example.test/services/T/B/s3cr3tT0ken"
    with respx.mock() as mock:
        route = mock.post(secret_url).mock(
            side_effect=[httpx.Response(500), httpx.Response(404, json={"message": "gone"})]
        )

        async def go() -> None:
            async with make_client(fake) as client:
                await client.request(
                    "POST",
                    secret_url,
                    content=b'{"text": "x"}',
                    headers={"Content-Type": "application/json"},
                    retry=True,
                    shown_as="webhook",
                )

        with pytest.raises(NotFoundError) as caught:
            run(go())
    assert route.call_count == 2
    assert route.calls[0].request.content == b'{"text": "x"}'
    assert str(caught.value) == "t1: POST webhook returned HTTP 404: gone (after 2 attempts)"
    assert "s3cr3tT0ken" not in str(caught.value)


@pytest.mark.parametrize(
    ("base", "path"),
    [
        (BASE, "/api/v1/search/iam/personal_clients"),
        (BASE, "api/v1/users/u-1"),
        (BASE + "/prefix", "/v3/personal-access-tokens"),
        (BASE + "/prefix/", "v3/auth-users/2c9180"),
        (BASE, "/v3/identities/a%2Fb c?"),
        (BASE, "/beta/ünïcode/ids"),
        (BASE, "https://hooks.example.test/services/T000/B000/XXXX"),
        ("http://127.0.0.1:8080", "/"),
    ],
)
def test_a_path_is_joined_to_the_base_url_as_httpx_joins_it(base: str, path: str) -> None:
    """``ResponseMapping._url`` joins a path once: the request sent is the one a plain httpx
    client builds from the same path and parameters, an httpx upgrade that changes the join
    fails here rather than sending elsewhere."""
    params = {"filters": 'id eq "a b/c"', "limit": "250"}
    sent: list[httpx.URL] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request.url)
        return httpx.Response(200, json={})

    async def go() -> None:
        async with ApiClient(
            tenant="t",
            base_url=base,
            settings=HttpSettings(),
            transport=httpx.MockTransport(answer),
        ) as client:
            for _ in range(2):
                await client.get_json(path, params=params)
            assert client._url(path) is client._url(path)  # joined once

    asyncio.run(go())
    plain = httpx.AsyncClient(base_url=base.rstrip("/"))
    expected = plain.build_request("GET", path, params=params).url
    assert sent == [expected, expected]


def test_joined_urls_kept_are_bounded() -> None:
    client = ApiClient(tenant="t", base_url=BASE, settings=HttpSettings())
    for number in range(URLS_KEPT * 3):
        assert str(client._url(f"/users/u-{number}")) == f"{BASE}/users/u-{number}"
        assert len(client._urls) <= URLS_KEPT
