"""The ``credaudit`` click group: global options and logging."""

from __future__ import annotations

import logging
import sys

import click

from auditor import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="credaudit")
@click.option("-v", "--verbose", is_flag=True, help="Debug logging on stderr.")
@click.option("-q", "--quiet", is_flag=True, help="Only errors on stderr.")
@click.pass_context
def cli(ctx: click.Context, verbose: bool, quiet: bool) -> None:
    """credaudit: audit personal API credentials in ConductorOne and SailPoint ISC."""
    level = logging.DEBUG if verbose else logging.ERROR if quiet else logging.INFO
    logging.basicConfig(
        level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("httpx").setLevel(logging.WARNING if not verbose else logging.INFO)
    ctx.obj = {"quiet": quiet, "verbose": verbose}
