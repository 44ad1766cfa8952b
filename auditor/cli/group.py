"""The ``credaudit`` click group: global options and logging."""

from __future__ import annotations

import click

from auditor import __version__
from auditor.cli.logsetup import configure_logging


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="credaudit")
@click.option("-v", "--verbose", is_flag=True, help="Debug logging on stderr.")
@click.option("-q", "--quiet", is_flag=True, help="Only errors on stderr.")
@click.pass_context
def cli(ctx: click.Context, verbose: bool, quiet: bool) -> None:
    """credaudit: audit personal API credentials in ConductorOne and SailPoint ISC."""
    configure_logging(verbose=verbose, quiet=quiet)
    from auditor.app.vendorhooks import install_vendor_hooks

    install_vendor_hooks()  # the vendors' privilege judgements and remediation words
    ctx.obj = {"quiet": quiet, "verbose": verbose}
