"""Bad input files get a clear error (exit 2, the path, the key) in bounded time and memory (hostile
or broken input files): devices, FIFOs, huge files, deep nesting, non-finite numbers, hostile
patterns."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from auditor.app.config import load_config
from auditor.app.signing import load_public_key, load_signing_key
from auditor.cli import cli
from auditor.kernel.errors import ConfigError, EvidenceError
from auditor.kernel.inputfile import MIB, YAML_LIMIT, read_bytes
from auditor.kernel.yamlfile import MAX_DEPTH, read_yaml_file
from policies import RULES, evaluate, load_policy, load_waivers
from tests.auditor.test_config import ENV, GOOD, write
from tests.policies.helpers import AS_OF, cred, inventory

DEV_ZERO = Path("/dev/zero")


def finishes(call: Callable[[], Any], seconds: float = 60.0) -> Any:
    """Run ``call`` in a thread and fail (instead of hanging the suite) if it never returns: a
    guard against a blocking read, not a performance limit."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = call()
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "the read blocked"
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def fifo(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    os.mkfifo(path)
    return path


# -- devices and FIFOs -----------------------------------------------------------------------------


def test_config_on_dev_zero_exits_2_without_reading() -> None:
    result = CliRunner().invoke(cli, ["validate", "-c", str(DEV_ZERO)])
    assert result.exit_code == 2, result.output
    assert "/dev/zero: the file is a character device, not a regular file" in result.output


def test_config_on_a_fifo_does_not_block(tmp_path: Path) -> None:
    path = fifo(tmp_path, "config.yaml")
    with pytest.raises(ConfigError, match=r"config\.yaml: the file is a named pipe \(FIFO\)"):
        finishes(lambda: load_config(path, env=ENV))


def test_secret_file_on_dev_zero_names_the_key(tmp_path: Path) -> None:
    text = GOOD.replace("client_secret_env: C1_SECRET", "client_secret_file: /dev/zero")
    with pytest.raises(ConfigError) as info:
        finishes(lambda: load_config(write(tmp_path, text), env=ENV))
    assert (
        "tenants[0].client_secret_file: cannot read /dev/zero: the file is a character device"
        in str(info.value)
    )


@pytest.mark.parametrize("where", ["device", "fifo"])
def test_waiver_and_custom_rule_files_that_are_not_files(tmp_path: Path, where: str) -> None:
    target = str(DEV_ZERO) if where == "device" else str(fifo(tmp_path, "rules.yaml"))
    with pytest.raises(ConfigError) as info:
        finishes(lambda: load_policy({"custom_rules": target}, tenants=[], base_dir=tmp_path))
    assert "policy.custom_rules" in str(info.value) and "not a regular file" in str(info.value)
    with pytest.raises(ConfigError) as info:
        finishes(lambda: load_waivers(target, base_dir=tmp_path, known_rules=list(RULES)))
    assert "waivers" in str(info.value) and "not a regular file" in str(info.value)


def test_keys_and_inventories_that_are_not_files(tmp_path: Path) -> None:
    with pytest.raises(EvidenceError, match="character device"):
        load_signing_key(DEV_ZERO)
    with pytest.raises(EvidenceError, match="named pipe"):
        finishes(lambda: load_public_key(fifo(tmp_path, "key.pub")))
    result = CliRunner().invoke(cli, ["scan", "--from-inventory", str(DEV_ZERO)])
    assert result.exit_code == 2, result.output
    assert "--from-inventory: /dev/zero: the file is a character device" in result.output
    bundle = fifo(tmp_path, "bundle.zip")
    result = finishes(lambda: CliRunner().invoke(cli, ["verify", str(bundle)]))
    assert result.exit_code == 2, result.output
    assert "named pipe" in result.output


# -- size ------------------------------------------------------------------------------------------


def test_a_100_mb_config_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("wb") as handle:  # sparse: no disk used
        handle.truncate(100 * MIB)
    with pytest.raises(ConfigError, match=r"huge\.yaml: the file is 100 MiB, over the 2 MiB"):
        load_config(path, env=ENV)


def test_the_limit_is_exact(tmp_path: Path) -> None:
    path = tmp_path / "limit.yaml"
    path.write_bytes(b"#" * YAML_LIMIT)
    assert len(read_bytes(path, limit=YAML_LIMIT, what="file")) == YAML_LIMIT
    path.write_bytes(b"#" * (YAML_LIMIT + 1))
    with pytest.raises(ConfigError, match="over the 2 MiB limit"):
        read_bytes(path, limit=YAML_LIMIT, what="file")


# -- nesting and numbers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "tenants: " + "[" * 100_000 + "]" * 100_000,  # flow lists: PyYAML recursion
        "tenants: " + "{a: " * 50_000 + "1" + "}" * 50_000,  # flow mappings
        "tenants:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 60)) + "  " * 60 + "x: 1",
    ],
    ids=["lists", "mappings", "block"],
)
def test_deep_nesting_is_a_config_error_not_an_internal_error(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError, match=f"nested more than {MAX_DEPTH} levels deep"):
        read_yaml_file(path)
    result = CliRunner().invoke(cli, ["validate", "-c", str(path)])
    assert result.exit_code == 2, result.output
    assert "internal error" not in result.output


def test_at_most_the_limit_of_nesting_is_fine(tmp_path: Path) -> None:
    text = "x: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1)
    assert read_yaml_file(write(tmp_path, text)) is not None


@pytest.mark.parametrize("value", [".inf", "-.inf", ".nan", "1e400"])
def test_non_finite_numbers_are_refused_with_the_key(tmp_path: Path, value: str) -> None:
    text = GOOD.replace(
        "    provider: conductorone\n",
        f"    provider: conductorone\n    http: {{read_timeout: {value}}}\n",
    )
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text), env=ENV)
    assert "tenants[0].http.read_timeout" in str(info.value)


def test_overlong_strings_are_refused(tmp_path: Path) -> None:
    text = GOOD.replace(
        "base_url: https://acme.api.identitynow.com", "base_url: https://" + "a" * 5000
    )
    with pytest.raises(ConfigError, match=r"tenants\[1\]\.base_url"):
        load_config(write(tmp_path, text), env=ENV)


# -- custom-rule patterns --------------------------------------------------------------------------


def test_a_catastrophic_pattern_is_matched_in_linear_time() -> None:
    """``(a+)+$`` against 'aaaa…b' backtracks exponentially in Python's re; RE2 matches it in
    time linear in the text, so this returns (with re it would not, in any useful time)."""
    policy = load_policy(
        {
            "custom_rules": [
                {
                    "id": "greedy",
                    "title": "t",
                    "severity": "low",
                    "remediation": "r",
                    "condition": {"field": "name", "matches": "(a+)+$"},
                }
            ]
        },
        tenants=["t1"],
        base_dir=Path(),
    )
    credential = cred(tenant="t1", name="a" * 5_000 + "b")
    result = finishes(lambda: evaluate([inventory("t1", credential)], policy, [], AS_OF))
    assert not [f for f in result.findings if f.rule_id == "greedy"]
    match = cred(tenant="t1", id="c2", name="a" * 5_000)
    result = evaluate([inventory("t1", match)], policy, [], datetime(2026, 11, 1, tzinfo=UTC))
    assert [f.status for f in result.findings if f.rule_id == "greedy"] == ["fail"]


def test_a_yaml_alias_bomb_is_refused_before_it_expands(tmp_path: Path) -> None:
    """Nine lines whose aliases expand to 10^9 values: refused while counting, in bounded time
    (the check stops at the limit), with exit 2."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    path = write(tmp_path, "\n".join([*lines, "tenants: *a8"]))
    with pytest.raises(ConfigError, match="more than 200,000 values once YAML aliases"):
        finishes(lambda: read_yaml_file(path))
    result = finishes(lambda: CliRunner().invoke(cli, ["validate", "-c", str(path)]))
    assert result.exit_code == 2, result.output
