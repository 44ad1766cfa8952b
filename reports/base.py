"""The report contract: a format streams a ``ScanResult`` as text; the caller writes the files.

A format may produce several files (CSV gives ``findings.csv`` and ``inventory.csv``), so each
format module has

- ``stream(result) -> Mapping[str, Iterable[str]]``: file name → a *lazy* iterable of text
  chunks (a generator). Nothing is rendered until the iterable is consumed, and a consumer that
  writes each chunk as it comes never holds a whole file: a 200,000-credential scan writes
  hundreds of MB of output in bounded memory (``auditor.app.outputset`` writes, hashes and checks
  the chunks as they come). Each iterable may be consumed once.
- ``render(result) -> Mapping[str, str]``: the same files joined (``joined``), for callers that
  want the text (tests, small outputs).

``reports.FORMATS`` registers the streaming form (``Streamer``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping

from auditor.kernel.model import ScanResult

Streamer = Callable[[ScanResult], Mapping[str, Iterable[str]]]
"""A format: file name → lazy chunks of its text."""
Renderer = Callable[[ScanResult], Mapping[str, str]]
"""A format's joined form: file name → its whole text."""


def joined(streams: Mapping[str, Iterable[str]]) -> dict[str, str]:
    """Every stream consumed and joined: ``render`` from ``stream``."""
    return {name: "".join(chunks) for name, chunks in streams.items()}


def streaming(render: Renderer) -> Streamer:
    """A whole-text renderer as a ``Streamer`` (one chunk per file), for a format that does not
    stream yet. Its text is rendered when ``stream`` is called (the file names come from it);
    each file's text is handed out, and let go, as it is consumed."""

    def stream(result: ScanResult) -> Mapping[str, Iterable[str]]:
        rendered = dict(render(result))

        def chunks(name: str) -> Iterator[str]:
            yield rendered.pop(name)

        return {name: chunks(name) for name in list(rendered)}

    return stream


def buffered(chunks: Iterable[str], size: int = 1 << 16) -> Iterator[str]:
    """``chunks`` regrouped into pieces of about ``size`` characters: a format may yield one
    small piece per row; whoever writes, hashes and checks them does it per ``size``."""
    pending: list[str] = []
    length = 0
    for chunk in chunks:
        pending.append(chunk)
        length += len(chunk)
        if length >= size:
            yield "".join(pending)
            pending, length = [], 0
    if pending:
        yield "".join(pending)
