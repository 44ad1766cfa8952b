"""Benchmark: the secret check (``auditor.kernel.secretmatch``) on every output of a large scan.

The scan is the real pipeline against the simulated tenants (as ``bench_html``) at ``--size``
credentials per tenant (two tenants: 100,000 each by default, so 200,000 credentials). The set
holds both tenants' secrets with their key material, plus ``--tokens`` made-up bearer tokens.
Measured, each on its own:

- every rendered output: render time, size, and the time ``SecretSet.contains`` takes on it
  (the last check ``auditor.app.runs.write_outputs`` runs before writing), with throughput;
- the model check ``withhold_model`` on the whole result (a JSON dump, then the same search);
- the slow path: the same text with a secret fragment planted in every 1 MB (each block with an
  anchor hit is slid window by window), and text full of zero-width characters.

Figures are printed, never asserted (no timed assertions in tests).

Usage::

    .venv/bin/python benchmarks/bench_secretmatch.py [--size 100000] [--tokens 50]
"""

from __future__ import annotations

import argparse
import functools
import secrets as random_secrets
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import policies
from auditor.app.engine import plan_for, run_scan, secrets_for
from auditor.app.sandbox import Simulation
from auditor.kernel.model import ScanResult
from auditor.kernel.secretmatch import SecretSet
from auditor.kernel.withhold import withhold_model
from providers.base import ClientFactory
from reports import FORMATS
from reports.base import joined

AS_OF = datetime(2026, 11, 24, tzinfo=UTC)


def timed(func: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = func()
    return time.perf_counter() - started, value


class FakeTime:
    """The SailPoint rate limit (100 requests per 10 s) without waiting for it."""

    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def scan(size: int) -> tuple[ScanResult, SecretSet]:
    tenants, router = Simulation(as_of=AS_OF, size=size).in_process()
    policy = policies.load_policy(None, tenants=[t.name for t in tenants], base_dir=Path.cwd())
    found = secrets_for(tenants)
    fake = FakeTime()
    result = run_scan(
        plan_for(tenants, policy, ()),
        AS_OF,
        clients=ClientFactory(transport=router, sleep=fake.sleep, clock=fake.clock),
        secrets=found,
    )
    return result, found


def _joined(render: Any, result: Any) -> dict[str, str]:
    return joined(render(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=100_000, help="credentials per tenant")
    parser.add_argument("--tokens", type=int, default=50, help="extra bearer tokens in the set")
    args = parser.parse_args()

    elapsed, (result, found) = timed(lambda: scan(args.size))
    found.add_all(random_secrets.token_urlsafe(32) for _ in range(args.tokens))
    print(f"scan of {len(result.credentials):,} credentials: {elapsed:.1f} s; {found!r}")

    print(f"{'file':<22} {'render s':>9} {'MB':>7} {'check s':>8} {'MB/s':>7}")
    texts: list[str] = []
    for render in FORMATS.values():
        render_s, files = timed(functools.partial(_joined, render, result))
        for name, text in files.items():
            check_s, hit = timed(functools.partial(found.contains, text))
            size = len(text.encode()) / 1e6
            texts.append(text)
            print(
                f"{name:<22} {render_s:>9.2f} {size:>7.1f} {check_s:>8.2f} {size / check_s:>7.0f}"
            )
            assert not hit, f"{name}: a clean scan matched a secret"
    total = sum(len(t) for t in texts) / 1e6
    check_all, _ = timed(lambda: [found.contains(t) for t in texts])
    print(f"all outputs: {total:.0f} M characters checked in {check_all:.2f} s")

    model_s, same = timed(lambda: withhold_model(result, found))
    print(f"withhold_model on the result (dump + check): {model_s:.2f} s")
    assert same is result

    biggest = max(texts, key=len)
    secret = "9f8e7d6c5b4a39281706f5e4d3c2b1a0"
    planted_set = SecretSet([secret])
    step = 1_000_000
    planted = "".join(biggest[i : i + step] + secret[:14] for i in range(0, len(biggest), step))
    slow_s, spans = timed(lambda: planted_set.spans(planted))
    print(
        f"{len(planted) / 1e6:.0f} M characters, a fragment every 1 M: {slow_s:.2f} s, "
        f"{len(spans)} spans"
    )
    invisible = biggest[:10_000_000].replace(" ", " \u200b")
    zw_s, _ = timed(lambda: planted_set.spans(invisible))
    print(
        f"{len(invisible) / 1e6:.0f} M characters with a zero-width space after every space: "
        f"{zw_s:.2f} s"
    )


if __name__ == "__main__":
    main()
