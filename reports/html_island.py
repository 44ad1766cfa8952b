"""The data islands of ``report.html``: every finding and credential as compact JSON arrays.

At 100,000 credentials a table row per finding and credential made a 100 MB page that took
13 s to become interactive (issue #16). Instead the page carries its rows as data in
``<script type="application/json">`` elements (never executed, so the CSP needs no entry for
them) and ``templates/report.js`` builds only the rows on screen, with ``textContent``.

Encoding (read by ``report.js``; both sides change together):

- ``strings``: every distinct text the rows show, **sorted** (case-folded, then exact), so a
  column is sorted by comparing indices; ``""`` is index 0. Each value passes through
  ``kernel.visible`` first, like every text the template prints.
- ``findings``: one array per finding, ``FINDING_FIELDS`` in order; text fields are indices into
  ``strings``, ``sev`` an index into ``SEVERITIES``, ``status`` into ``view.STATUS_ORDER``,
  ``action`` into ``ACTION_IDS``.
- ``inventory``: one array per credential, ``CREDENTIAL_FIELDS`` in order (``worst``: an index
  into ``SEVERITIES``, or ``len(SEVERITIES)`` for none).

Safety: vendor strings are untrusted. JSON inside a ``<script>`` element ends at the first
``</script``, and an HTML comment opener changes how the parser looks for it, so ``<``, ``>``
and ``&`` are written as ``\\u003c``, ``\\u003e`` and ``\\u0026``; U+2028 and U+2029 (line
terminators to older JavaScript parsers) as escapes too. ``island`` is the only producer of
island text, and tests feed it every one of those sequences.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence

from auditor.kernel.model import SEVERITIES, Credential, Finding
from auditor.kernel.visible import visible
from reports import view
from reports.view_fix import ACTIONS, OWNER_ACTION, action_of

FINDING_FIELDS = (
    "sev",
    "status",
    "rule",
    "tenant",
    "name",
    "id",
    "owner",
    "message",
    "remediation",
    "waiver",
    "new",
    "action",
)
CREDENTIAL_FIELDS = (
    "tenant",
    "name",
    "id",
    "notes",
    "owner",
    "contact",
    "owner_status",
    "created",
    "last_used",
    "expires",
    "access",
    "scopes",
    "networks",
    "worst",
    "open",
)
ACTION_IDS = ("", *(a.id for a in ACTIONS), OWNER_ACTION.id)
CHUNK_ROWS = 2000
KEEP = "\n\r\t"
"""Characters ``visible`` leaves alone: line breaks and tabs are shown as such (``white-space``)."""

_UNSAFE = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


def safe_json(value: object) -> str:
    """JSON that cannot end, or open anything inside, the ``<script>`` element holding it."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).translate(_UNSAFE)


def waiver_text(f: Finding) -> str:
    w = f.waiver
    if w is None:
        return ""
    when = view.fmt_date(w.expires)
    head = f"Waiver {w.id} expired {when}" if w.expired else f"Waived by {w.id} until {when}"
    return f"{head}, approved by {w.approved_by}: {w.reason}"


def finding_texts(f: Finding) -> tuple[str, ...]:
    """The text fields of a finding row, in ``FINDING_FIELDS`` order (rule … waiver)."""
    return (
        f.rule_id,
        f.tenant,
        f.credential_name,
        f.credential_id,
        f.owner_name or f.owner_id or "",
        f.message,
        f.remediation,
        waiver_text(f),
    )


def last_used_text(c: Credential) -> str:
    if not c.capabilities.last_used:
        return "not reported"
    return view.fmt_date(c.last_used_at) if c.last_used_at else "never"


def credential_texts(c: Credential, open_rules: Sequence[str]) -> tuple[str, ...]:
    """The text fields of an inventory row, in ``CREDENTIAL_FIELDS`` order (all but worst)."""
    networks = (
        ", ".join(str(n) for n in c.allowed_cidrs) or "any"
        if c.capabilities.network_restriction
        else "n/a"
    )
    return (
        c.tenant,
        c.name,
        c.id,
        "\n".join(c.notes),
        c.owner.name or "",
        c.owner.email or c.owner.id or "",
        "" if c.owner.status == "active" else c.owner.status,
        view.fmt_date(c.created_at),
        last_used_text(c),
        view.fmt_date(c.expires_at) if c.expires_at else "never",
        c.scope_mode,
        ", ".join(c.scopes),
        networks,
        ", ".join(open_rules),
    )


class StringTable:
    """The sorted table of distinct texts; built once, then looked up while rows stream."""

    def __init__(self, texts: Iterable[str]) -> None:
        distinct = {visible(t, keep=KEEP) for t in texts}
        distinct.add("")
        self.strings = sorted(distinct, key=lambda s: (s.casefold(), s))
        self._index = {s: i for i, s in enumerate(self.strings)}

    def __getitem__(self, text: str) -> int:
        return self._index[visible(text, keep=KEEP)]


def string_table(
    findings: Sequence[Finding],
    credentials: Sequence[Credential],
    open_rules: dict[tuple[str, str], list[str]],
) -> StringTable:
    def texts() -> Iterator[str]:
        for f in findings:
            yield from finding_texts(f)
        for c in credentials:
            yield from credential_texts(c, open_rules.get(c.key, ()))

    return StringTable(texts())


def finding_row(f: Finding, table: StringTable) -> list[int]:
    return [
        SEVERITIES.index(f.severity),
        view.STATUS_ORDER.index(f.status),
        *(table[t] for t in finding_texts(f)),
        1 if f.change == "new" else 0,
        ACTION_IDS.index(action_of(f)),
    ]


def credential_row(
    c: Credential, table: StringTable, open_rules: Sequence[str], worst: str | None
) -> list[int]:
    texts = [table[t] for t in credential_texts(c, open_rules)]
    worst_index = SEVERITIES.index(worst) if worst else len(SEVERITIES)
    return [*texts[:13], worst_index, texts[13]]


def island(head: dict[str, object], rows: Iterable[object]) -> Iterator[str]:
    """``{...head, "rows": [...]}`` as safe JSON, in chunks of ``CHUNK_ROWS`` rows."""
    yield safe_json(head)[:-1] + ',"rows":[' if head else '{"rows":['

    batch: list[str] = []
    first = True
    for row in rows:
        batch.append(safe_json(row))
        if len(batch) == CHUNK_ROWS:
            yield ("" if first else ",") + ",".join(batch)
            first = False
            batch = []
    if batch:
        yield ("" if first else ",") + ",".join(batch)
    yield "]}"
