"""The data islands of ``report.html``: every finding and credential, compactly (issue #16).

A table row per finding and credential made a 100 MB page at 100,000 credentials that took 13 s
to become interactive. Instead the page carries its rows as data in
``<script type="application/json">`` elements (never executed, so the CSP needs no entry for
them) and ``templates/report.js`` builds only the rows on screen, with ``textContent``.

Encoding (read by ``report.js``; both sides change together):

- ``data-dicts``: the label lists (``sev``, ``status``, ``status_ids``, ``actions``), one
  **sorted** dictionary of distinct texts per field (``dicts``; ``""`` first), so sorting a column
  is comparing its codes, and ``owners``: sorted ``[name, contact, status, id]`` entries.
- ``data-credentials``: ``name`` and ``id`` as string arrays, credentials sorted by name (so a
  credential's index is its rank by name); the other fields as *code columns*.
- ``data-findings``: code columns ``cred`` (an index into the credentials), ``rule``, ``msg`` and
  ``p`` = severity + 5 * status + 25 * action (indices into ``sev``, ``status_ids``, ``actions``),
  in the report's order (most severe first); ``extra`` lists ``[finding, remediation, waiver,
  new]`` only where the remediation is not the rule's usual one (``rem``), a waiver applies or the
  finding is new.

A code column is a string of fixed-width base-64 digits (``DIGITS``, most significant first):
100,000 codes below 4,096 take 200 KB instead of 500 KB of JSON numbers. A finding whose
credential is not in the inventory (or names it differently) gets an entry of its own after the
inventory's ``count`` entries, so it is still shown.

Safety: vendor strings are untrusted. JSON inside a ``<script>`` element ends at the first
``</script``, and an HTML comment opener changes how the parser looks for it, so ``<``, ``>``
and ``&`` are written as ``\\u003c``, ``\\u003e`` and ``\\u0026``; U+2028 and U+2029 (line
terminators to older JavaScript parsers) as escapes too. Every value first passes through
``kernel.visible`` like every text the template prints. ``safe_json`` is the only producer of
island text; the digits need no escaping.
"""

from __future__ import annotations

import json
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence

from auditor.kernel.model import SEVERITIES, SEVERITY_RANK, Credential, Finding
from auditor.kernel.visible import visible
from reports import view
from reports.view_fix import ACTIONS, OWNER_ACTION, action_of

ACTION_IDS = ("", *(a.id for a in ACTIONS), OWNER_ACTION.id)
DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
KEEP = "\n\r\t"
"""Characters ``visible`` leaves alone: line breaks and tabs are shown as such (``white-space``)."""
CHUNK = 65536
"""Characters per streamed chunk of a long column or string list."""

_UNSAFE = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


def safe_json(value: object) -> str:
    """JSON that cannot end, or open anything inside, the ``<script>`` element holding it."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).translate(_UNSAFE)


def shown(text: str | None) -> str:
    return visible(text or "", keep=KEEP)


_ONE = list(DIGITS)
_TWO = [a + b for a in DIGITS for b in DIGITS]


def encode(codes: Sequence[int]) -> tuple[int, str]:
    """(width, digits): every code in ``width`` base-64 digits, most significant first."""
    top = max(codes, default=0)
    width = 1
    while top >= 64**width:
        width += 1
    if width == 1:
        return width, "".join([_ONE[c] for c in codes])
    if width == 2:
        return width, "".join([_TWO[c] for c in codes])
    if width == 3:
        return width, "".join([_ONE[c >> 12] + _TWO[c & 4095] for c in codes])
    if width == 4:
        return width, "".join([_TWO[c >> 12] + _TWO[c & 4095] for c in codes])
    digits = ("".join(DIGITS[(c >> (6 * k)) & 63] for k in range(width - 1, -1, -1)) for c in codes)
    return width, "".join(digits)


def waiver_text(f: Finding) -> str:
    w = f.waiver
    if w is None:
        return ""
    when = view.fmt_date(w.expires)
    head = f"Waiver {w.id} expired {when}" if w.expired else f"Waived by {w.id} until {when}"
    return f"{head}, approved by {w.approved_by}: {w.reason}"


def last_used_text(c: Credential) -> str:
    if not c.capabilities.last_used:
        return "not reported"
    return view.fmt_date(c.last_used_at) if c.last_used_at else "never"


def expires_text(c: Credential) -> str:
    return view.fmt_date(c.expires_at) if c.expires_at else "never"


def networks_text(c: Credential) -> str:
    if not c.capabilities.network_restriction:
        return "n/a"
    return ", ".join(str(n) for n in c.allowed_cidrs) or "any"


class Dictionary:
    """One field's sorted distinct texts (as ``shown``); codes are positions. Looked up by the
    raw text, so ``visible`` runs once per distinct text, not once per row."""

    def __init__(self, texts: Iterable[str | None]) -> None:
        raw = {t or "" for t in texts} | {""}
        shown_of = {t: shown(t) for t in raw}
        self.texts = sorted(set(shown_of.values()), key=lambda s: (s.casefold(), s))
        code = {s: i for i, s in enumerate(self.texts)}
        self._code = {t: code[v] for t, v in shown_of.items()}

    def __getitem__(self, text: str | None) -> int:
        return self._code[text or ""]


Owner = tuple[str, str, str, str]


def owner_of(c: Credential) -> Owner:
    """(name, contact, status unless active, id): what the inventory and the findings show."""
    o = c.owner
    status = "" if o.status == "active" else o.status
    return (shown(o.name), shown(o.email or o.id), status, shown(o.id))


def finding_owner(f: Finding) -> tuple[str, str]:
    return (shown(f.owner_name), shown(f.owner_id))


class Islands:
    """Every dictionary and column of the three islands, computed once from the result.

    Memory (docs/architecture.md "Memory boundary"): a code column is an ``array`` of machine
    integers (4 bytes a code, not a list of int objects), ``extra`` one flat array of four codes
    per finding, the inventory's entries parallel lists with equal owners one tuple, and a
    finding is checked against its credential's own fields rather than a copy of them per
    credential: at 200,000 credentials and 560,000 findings the islands are held while the
    page is written."""

    def __init__(self, findings: Sequence[Finding], credentials: Sequence[Credential]) -> None:
        open_worst = _open_and_worst(findings)
        names = {c.key: shown(c.name) for c in credentials}
        ordered = sorted(
            credentials, key=lambda c: (names[c.key].casefold(), names[c.key], c.tenant, c.id)
        )
        self.count = len(ordered)
        owner_pool: dict[Owner, Owner] = {}
        # the entries, as parallel lists: tenant, name and id shown, owner, credential (None: an
        # entry of a finding whose credential is not in the inventory or is named differently)
        self.tenants: list[str] = [c.tenant for c in ordered]
        self.names: list[str] = [names[c.key] for c in ordered]
        names.clear()
        self.ids: list[str] = [shown(c.id) for c in ordered]
        self.entry_owners: list[Owner] = [_pooled(owner_pool, owner_of(c)) for c in ordered]
        self.creds: list[Credential | None] = list(ordered)
        index = {c.key: i for i, c in enumerate(ordered)}
        # what a finding must say of its credential to be shown with the inventory's entry: the
        # fields of the credential ``index`` points at, or ``said`` once a finding's own entry
        # replaced it
        said: dict[tuple[str, str], tuple[str, str, str]] = {}
        self.cred = array("i")
        for f in findings:
            key = (f.tenant, f.credential_id)
            found = index.get(key, -1)
            saying = (f.credential_name, f.owner_name or "", f.owner_id or "")
            if key in said:
                known = said[key]
            elif found >= 0:
                own = ordered[found]
                known = (own.name, own.owner.name or "", own.owner.id or "")
            else:
                known = None
            if known != saying:
                owner_name, owner_id = finding_owner(f)
                self.tenants.append(f.tenant)
                self.names.append(shown(f.credential_name))
                self.ids.append(shown(f.credential_id))
                self.entry_owners.append(_pooled(owner_pool, (owner_name, owner_id, "", owner_id)))
                self.creds.append(None)
                found = index[key] = len(self.creds) - 1  # its other findings use it too
                said[key] = saying
            self.cred.append(found)
        del index, said, ordered
        self.owners = sorted(owner_pool, key=lambda o: (o[0].casefold(), *o))
        del owner_pool
        owner_code = {o: i for i, o in enumerate(self.owners)}
        creds = self.creds
        self.dicts = {
            "tenant": Dictionary(self.tenants),
            "date": Dictionary(
                t
                for c in creds
                if c is not None
                for t in (
                    view.fmt_date(c.created_at),
                    last_used_text(c),
                    expires_text(c),
                )
            ),
            "access": Dictionary(c.scope_mode for c in creds if c is not None),
            "scopes": Dictionary(", ".join(c.scopes) for c in creds if c is not None),
            "networks": Dictionary(networks_text(c) for c in creds if c is not None),
            "notes": Dictionary("\n".join(c.notes) for c in creds if c is not None),
            "open": Dictionary(rules for rules, _ in open_worst.values()),
            "rule": Dictionary(f.rule_id for f in findings),
            "message": Dictionary(f.message for f in findings),
            "remediation": Dictionary(f.remediation for f in findings),
            "waiver": Dictionary(waiver_text(f) for f in findings),
        }
        d = self.dicts
        self.cred_columns: dict[str, array[int]] = {
            "tenant": array("i", [d["tenant"][t] for t in self.tenants]),
            "owner": array("i", [owner_code[o] for o in self.entry_owners]),
        }
        del owner_code
        # column by column as each credential's codes are made (not a dict per credential held
        # for the whole population: docs/architecture.md "Memory boundary")
        blanks = {name: len(SEVERITIES) if name == "worst" else 0 for name in CREDENTIAL_COLUMNS}
        columns: dict[str, array[int]] = {name: array("i") for name in CREDENTIAL_COLUMNS}
        for c in creds:
            codes = _credential_codes(c, d, open_worst) if c is not None else {}
            for name, column in columns.items():
                column.append(codes.get(name, blanks[name]))
        del open_worst
        self.cred_columns.update(columns)
        usual = _usual_remediation(findings)
        self.rem = {rule: d["remediation"][text] for rule, text in usual.items()}
        self.finding_columns: dict[str, array[int]] = {
            "cred": self.cred,
            "rule": array("i", (d["rule"][f.rule_id] for f in findings)),
            "msg": array("i", (d["message"][f.message] for f in findings)),
            "p": array(
                "i",
                (
                    SEVERITIES.index(f.severity)
                    + 5 * view.STATUS_ORDER.index(f.status)
                    + 25 * ACTION_IDS.index(action_of(f))
                    for f in findings
                ),
            ),
        }
        # [finding, remediation, waiver, new] where the remediation is not the rule's usual one,
        # a waiver applies or the finding is new: four codes each, flat
        self.extra = array("i")
        for i, f in enumerate(findings):
            if f.remediation != usual.get(f.rule_id, "") or f.waiver or f.change == "new":
                self.extra.extend(
                    (
                        i,
                        d["remediation"][f.remediation],
                        d["waiver"][waiver_text(f)],
                        int(f.change == "new"),
                    )
                )

    def dictionaries(self) -> Iterator[str]:
        yield safe_json(
            {
                "sev": list(SEVERITIES),
                "status": [view.STATUS_LABELS[s] for s in view.STATUS_ORDER],
                "status_ids": list(view.STATUS_ORDER),
                "actions": list(ACTION_IDS),
                "rem": {self.dicts["rule"][rule]: code for rule, code in self.rem.items()},
            }
        )[:-1]
        for name, dictionary in self.dicts.items():
            yield f',"{name}":'
            yield from _strings(dictionary.texts)
        yield ',"owners":'
        yield from _chunked(self.owners)
        yield "}"

    def credentials(self) -> Iterator[str]:
        yield f'{{"count":{self.count},"name":'
        yield from _strings(self.names)
        yield ',"id":'
        yield from _strings(self.ids)
        yield from _columns(self.cred_columns)
        yield "}"

    def findings(self) -> Iterator[str]:
        yield f'{{"count":{len(self.cred)}'
        yield from _columns(self.finding_columns)
        yield ',"extra":'
        yield from _quads(self.extra)
        yield "}"


def _open_and_worst(findings: Iterable[Finding]) -> dict[tuple[str, str], tuple[str, str]]:
    """(tenant, credential id) → (the rule ids of its open findings joined by ", ", the most
    severe one's severity): ``view.open_rules_by_credential`` joined and ``view.worst_severity``
    in one dict, each distinct pair one tuple (a few hundred pairs for 200,000 credentials)."""
    out: dict[tuple[str, str], tuple[str, str]] = {}
    pool: dict[tuple[str, str], tuple[str, str]] = {}
    rank = SEVERITY_RANK
    for f in findings:
        if f.status not in view.OPEN_STATUSES:
            continue
        key = (f.tenant, f.credential_id)
        known = out.get(key)
        pair: tuple[str, str]
        if known is None:
            pair = (f.rule_id, f.severity)
        else:
            rules, worst = known
            severity = f.severity if rank[f.severity] > rank[worst] else worst
            pair = (f"{rules}, {f.rule_id}", severity)
        out[key] = pool.setdefault(pair, pair)
    return out


def _pooled(pool: dict[Owner, Owner], owner: Owner) -> Owner:
    return pool.setdefault(owner, owner)


def _quads(flat: array[int]) -> Iterator[str]:
    """``flat`` read four codes at a time, as a JSON array of four-number arrays: the text
    ``_chunked`` writes for the same values as tuples, 4,096 of them per chunk."""
    yield "["
    step = 4 * 4096
    for start in range(0, len(flat), step):
        part = flat[start : start + step]
        quads = ",".join(f"[{i},{r},{w},{n}]" for i, r, w, n in zip(*[iter(part)] * 4, strict=True))
        yield ("," if start else "") + quads
    yield "]"


CREDENTIAL_COLUMNS = (
    "created",
    "last_used",
    "expires",
    "access",
    "scopes",
    "networks",
    "notes",
    "open",
    "worst",
)


def _credential_codes(
    c: Credential,
    d: dict[str, Dictionary],
    open_worst: dict[tuple[str, str], tuple[str, str]],
) -> dict[str, int]:
    return {
        "created": d["date"][view.fmt_date(c.created_at)],
        "last_used": d["date"][last_used_text(c)],
        "expires": d["date"][expires_text(c)],
        "access": d["access"][c.scope_mode],
        "scopes": d["scopes"][", ".join(c.scopes)],
        "networks": d["networks"][networks_text(c)],
        "notes": d["notes"]["\n".join(c.notes)],
        "open": d["open"][open_worst[c.key][0] if c.key in open_worst else ""],
        "worst": SEVERITIES.index(open_worst[c.key][1]) if c.key in open_worst else len(SEVERITIES),
    }


def _usual_remediation(findings: Iterable[Finding]) -> dict[str, str]:
    """Per rule, its most frequent remediation text (others are listed in ``extra``)."""
    counts: Counter[tuple[str, str]] = Counter((f.rule_id, f.remediation) for f in findings)
    usual: dict[str, str] = {}
    for (rule, text), _ in counts.most_common():
        usual.setdefault(rule, text)
    return usual


def _strings(texts: Sequence[str]) -> Iterator[str]:
    yield from _chunked(texts)


def _chunked(values: Sequence[object]) -> Iterator[str]:
    """A JSON array, a few thousand items per chunk."""
    yield "["
    for start in range(0, len(values), 4096):
        part = ",".join(safe_json(v) for v in values[start : start + 4096])
        yield ("," if start else "") + part
    yield "]"


def _columns(columns: Mapping[str, Sequence[int]]) -> Iterator[str]:
    yield ',"cols":{'
    for n, (name, codes) in enumerate(columns.items()):
        width, digits = encode(codes)
        yield f'{"," if n else ""}"{name}":{{"w":{width},"d":"'
        for start in range(0, len(digits), CHUNK):
            yield digits[start : start + CHUNK]
        yield '"}'
    yield "}"
