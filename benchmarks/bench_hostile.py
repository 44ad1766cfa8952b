"""Benchmark: time and peak memory of one tenant's request against each hostile loopback vendor
(gzip and deflate bombs, huge bodies, endless paging, dripping, stalls), with the default
``HttpSettings`` unless overridden (figures printed, never asserted; docs/architecture.md: no
timed assertions in tests).

Each case runs in its own process so that its peak RSS is its own (``ru_maxrss``)::

    .venv/bin/python benchmarks/bench_hostile.py CASE [--set key=value ...]

CASE: gzip-bomb, deflate-bomb, content-length, endless-tokens, empty-pages, drip,
silent-token, 429-forever, all (each of the quick ones in turn, in subprocesses).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from auditor.kernel.errors import ProviderError
from auditor.kernel.http import ApiClient, HttpSettings
from tests.rawserver import Served, bomb, head, raw_server

QUICK = ("gzip-bomb", "deflate-bomb", "content-length", "endless-tokens", "empty-pages")


def _json(status: int, body: Any, **headers: str) -> bytes:
    data = json.dumps(body).encode()
    return head(status, Content_Type="application/json", Content_Length=str(len(data)),
                **headers) + data  # fmt: skip


def handler(case: str, served: Served) -> Any:
    if case in ("gzip-bomb", "deflate-bomb"):
        return bomb(case.split("-")[0], served, blocks=100_000)  # about 100 GiB decoded
    pages = {"n": 0}

    async def answer(line: str, writer: asyncio.StreamWriter) -> None:
        pages["n"] += 1
        if case == "content-length":
            writer.write(head(200, Content_Length="5000000000") + b"[" * 65536)
            await asyncio.sleep(3600)
        elif case in ("endless-tokens", "empty-pages"):
            items = [] if case == "empty-pages" else [{"id": f"c{pages['n']}"}]
            writer.write(_json(200, {"list": items, "nextPageToken": f"t{pages['n']}"}))
        elif case == "drip":
            writer.write(head(200, Content_Length="100000"))
            while True:
                writer.write(b" ")
                await writer.drain()
                await asyncio.sleep(1)
        elif case == "silent-token":
            await asyncio.sleep(3600)
        elif case == "429-forever":
            writer.write(_json(429, {"message": "slow down"}, Retry_After="999999999"))

    return answer


class _Token:
    async def get_token(self, api: ApiClient) -> str:
        body = await api.post_form("/token", data={"grant_type": "client_credentials"})
        return str(body["access_token"])

    def invalidate(self) -> None:
        return None


async def run_case(case: str, settings: HttpSettings) -> str:
    served = Served()
    async with raw_server(handler(case, served)) as real:
        api = ApiClient(
            tenant="t", base_url=real.url, settings=settings,
            auth=_Token() if case == "silent-token" else None,
            deadline=time.monotonic() + settings.tenant_timeout,
        )  # fmt: skip
        async with api:
            try:
                if case in ("endless-tokens", "empty-pages"):
                    guard, token = api.page_guard("search"), ""
                    while True:
                        body = await api.get_json("/list", params={"t": token} if token else None)
                        token = body["nextPageToken"]
                        guard.next_page(token, items=len(body["list"]))
                await api.get_json("/x")
                return "completed (unexpected)"
            except ProviderError as exc:
                return f"{type(exc).__name__} after {api.stats.requests} requests: {exc}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("case")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args()
    if args.case == "all":
        extra = [part for s in args.set for part in ("--set", s)]
        for case in QUICK:
            subprocess.run([sys.executable, __file__, case, *extra], check=True)
        return
    overrides = {k: float(v) if "." in v else int(v) for k, v in (s.split("=") for s in args.set)}
    settings = HttpSettings(**overrides)  # type: ignore[arg-type]
    started = time.monotonic()
    outcome = asyncio.run(run_case(args.case, settings))
    elapsed = time.monotonic() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{args.case}: {elapsed:.2f} s, peak RSS {peak:.0f} MiB — {outcome[:300]}")


if __name__ == "__main__":
    main()
