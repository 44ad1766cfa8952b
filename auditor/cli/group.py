"""The ``credaudit`` click group: global options and logging.

``-v``/``-q`` are accepted before the subcommand (``credaudit -q scan``) and after it
(``credaudit scan -q``): ``VerbosityGroup`` adds both options to every command it registers."""

from __future__ import annotations

import click

from auditor import __version__
from auditor.cli.logsetup import configure_logging

VERBOSE_HELP = "Debug logging on stderr."
QUIET_HELP = "Only errors on stderr."


def _set_verbosity(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    """A subcommand's ``-v``/``-q``: adds to what the group was given, logging reconfigured."""
    if not value:
        return
    obj = ctx.find_root().obj
    if not isinstance(obj, dict):  # a command invoked on its own (tests)
        obj = ctx.find_root().obj = {"quiet": False, "verbose": False}
    obj[param.name or ""] = True
    configure_logging(verbose=obj["verbose"], quiet=obj["quiet"])


def _verbosity_options() -> list[click.Option]:
    return [
        click.Option(
            ["-v", "--verbose"], is_flag=True, expose_value=False, is_eager=True,
            callback=_set_verbosity, help=VERBOSE_HELP,
        ),
        click.Option(
            ["-q", "--quiet"], is_flag=True, expose_value=False, is_eager=True,
            callback=_set_verbosity, help=QUIET_HELP,
        ),
    ]  # fmt: skip


class VerbosityGroup(click.Group):
    """A group whose commands also take ``-v``/``-q`` after their name."""

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        taken = {opt for p in cmd.params for opt in getattr(p, "opts", ())}
        cmd.params.extend(
            o for o in _verbosity_options() if not taken.intersection(o.opts + o.secondary_opts)
        )
        super().add_command(cmd, name)


@click.group(cls=VerbosityGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="credaudit")
@click.option("-v", "--verbose", is_flag=True, help=VERBOSE_HELP)
@click.option("-q", "--quiet", is_flag=True, help=QUIET_HELP)
@click.pass_context
def cli(ctx: click.Context, verbose: bool, quiet: bool) -> None:
    """credaudit: audit personal API credentials in ConductorOne and SailPoint ISC."""
    configure_logging(verbose=verbose, quiet=quiet)
    from auditor.app.vendorhooks import install_vendor_hooks

    install_vendor_hooks()  # the vendors' privilege judgements and remediation words
    ctx.obj = {"quiet": quiet, "verbose": verbose}
