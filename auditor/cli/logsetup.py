"""Logging for the CLI: our own loggers at the chosen verbosity, third-party ones held back.

httpx logs every request URL at INFO (a webhook URL's path is its secret), httpcore/h11/h2/hpack
log raw request and response headers at DEBUG (a vendor may echo a bearer token or the token
form in a header, or a 302 ``Location``). None of that is ours to print: at any verbosity those
loggers are held at WARNING, APScheduler too unless ``-v`` (then INFO: its DEBUG lines are
wake-up times).
Whatever they still log goes through ``ThirdPartyRedactor``: URLs cut to scheme and host,
token-looking text redacted, one line, bounded. Every record, ours too (cleaned where written),
has the live clients' secrets withheld last, in every form ``secretmatch`` knows.
"""

from __future__ import annotations

import logging
import re
import sys

from auditor.kernel.http import clean_vendor_text
from auditor.kernel.livesecrets import withhold_live

HELD_AT_WARNING = ("httpx", "httpcore", "h11", "h2", "hpack", "urllib3")
SCHEDULER_LOGGERS = ("apscheduler",)
THIRD_PARTY = (*HELD_AT_WARNING, *SCHEDULER_LOGGERS)
LOG_LIMIT = 2_000
_URL = re.compile(r"(?i)\b((?:https?|wss?)://[^/\s'\"<>?#]+)[^\s'\"<>]*")


def _third_party(name: str) -> bool:
    return any(name == root or name.startswith(root + ".") for root in THIRD_PARTY)


def redact_log_text(text: str) -> str:
    """A third-party log message fit to print: no URL path or query, no token, one line."""
    return clean_vendor_text(_URL.sub(r"\1/[path withheld]", text), limit=LOG_LIMIT)


class ThirdPartyRedactor(logging.Filter):
    """Every record: the secrets of the live clients withheld (``kernel.livesecrets``), from the
    message and any traceback. Records of third-party loggers are also cut down (see the module
    docstring), and their tracebacks dropped: that text is theirs too."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record still must not print raw args
            message = str(record.msg)
        third_party = _third_party(record.name)
        message = withhold_live(message)
        record.msg, record.args = redact_log_text(message) if third_party else message, None
        if record.exc_info or record.exc_text:
            if third_party:
                record.exc_text = None
                record.msg += " (traceback not shown)"
            elif record.exc_text:
                record.exc_text = withhold_live(record.exc_text)
            elif record.exc_info:
                traceback = logging.Formatter().formatException(record.exc_info)
                record.exc_text = withhold_live(traceback)
            record.exc_info = None
        return True


REDACTOR = ThirdPartyRedactor()


def configure_logging(*, verbose: bool, quiet: bool) -> None:
    """Root logging on stderr at the chosen level; third-party loggers held back, redacted."""
    level = logging.DEBUG if verbose else logging.ERROR if quiet else logging.INFO
    logging.basicConfig(
        level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger().setLevel(level)  # again: basicConfig does nothing the second time (-v
    # after the subcommand reconfigures)
    for name in HELD_AT_WARNING:
        logging.getLogger(name).setLevel(logging.WARNING)
    for name in SCHEDULER_LOGGERS:
        # its INFO lines ("Added job …", "Scheduler started") are not ours to print; -v shows them
        logging.getLogger(name).setLevel(logging.INFO if verbose else logging.WARNING)
    # on the handlers, so it runs after any logger's own filter (notify's webhook redactor)
    for handler in logging.getLogger().handlers:
        if REDACTOR not in handler.filters:
            handler.addFilter(REDACTOR)
