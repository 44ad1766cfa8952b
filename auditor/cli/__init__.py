"""The command line: the only package that prints or exits (click's rule); library code raises.

Exit codes (docs/architecture.md; defined once in ``auditor.kernel.errors``): 0 complete scan with
nothing at or above ``--fail-on``; 1 unwaived findings at or above it; 2 usage or configuration
error; 3 scan incomplete (a tenant failed, or was collected only partially). 3 wins over 1: when the
population is incomplete, the findings cannot be the whole story, and a CI gate must not read the
run as a normal one.
"""

from __future__ import annotations

from collections.abc import Sequence

from auditor.cli.common import (
    EXIT_FINDINGS,
    EXIT_INCOMPLETE,
    EXIT_OK,
    EXIT_USAGE,
    parse_as_of,
    parse_formats,
    printable,
)
from auditor.cli.group import cli

# Importing each module registers its commands on ``cli``; the commands are re-exported so that
# ``from auditor.cli import scan`` is the command, as it was when the CLI was one module.
from auditor.cli.records import diff, history, verify
from auditor.cli.remediate import remediate
from auditor.cli.scanning import rules, scan, validate
from auditor.cli.scheduling import schedule
from auditor.cli.simulation import demo, sandbox
from auditor.cli.trends import trend

__all__ = [
    "EXIT_FINDINGS",
    "EXIT_INCOMPLETE",
    "EXIT_OK",
    "EXIT_USAGE",
    "cli",
    "demo",
    "diff",
    "history",
    "main",
    "parse_as_of",
    "parse_formats",
    "printable",
    "remediate",
    "rules",
    "sandbox",
    "scan",
    "schedule",
    "trend",
    "validate",
    "verify",
]


def main(argv: Sequence[str] | None = None) -> None:
    cli.main(args=list(argv) if argv is not None else None, prog_name="credaudit")
