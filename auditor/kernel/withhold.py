"""Withholding text that matched a secret: in the model, in rendered outputs, in log text.

``auditor.kernel.secretmatch`` finds fragments; this module decides what to do with them. Text is
replaced by ``WITHHELD``, never dropped wholesale, so a scan that met a hostile echo is still
reported, and the coverage of each tenant whose text was touched says so (``WITHHELD_NOTE``).

- ``withhold_model``: any model (an inventory, a whole ``ScanResult``) through its JSON dump: a
  dump without a fragment (the normal case) returns the model unchanged, otherwise every string is
  redacted and the model validated again, with the note added.
- ``Vouched`` / ``clean`` / ``withhold_inventory``: a provider that searched its credentials
  itself while collecting (in the time it waits on the network) says so with a ``Vouched``; the
  engine then searches only the coverage, as long as the credentials are the very ones vouched
  for and no secret was added since (``SecretSet.generation``). Anything else takes
  ``withhold_model`` whole.
- ``withhold_json``: a vendor's JSON response, string by string, before any adapter reads it.
- ``withhold_text``: the last check on a rendered output (a report, a bundle entry): replace, check
  again, and raise rather than hand back text that still holds a fragment.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from auditor.kernel.coveragenotes import caveat
from auditor.kernel.errors import AuditorError
from auditor.kernel.jsonpieces import dumps_pieces
from auditor.kernel.results import TenantInventory
from auditor.kernel.secretmatch import WITHHELD, SecretSet
from auditor.kernel.secretstream import LooseScanner, SecretScanner

WITHHELD_NOTE = (
    "vendor text was withheld from this report because it matched a configured secret or a "
    "credential-derived value (a vendor echoing what it was sent)"
)
WITHHELD_DETAIL = caveat("secret-withheld", WITHHELD_NOTE)

_M = TypeVar("_M", bound=BaseModel)
_ALL = "\x00all"


def _scrub(value: Any, secrets: SecretSet, tenant: str, touched: set[str]) -> Any:
    if isinstance(value, str):
        redacted = secrets.redact(value)
        if WITHHELD in redacted:  # withheld here, or earlier (the HTTP layer withholds at source)
            touched.add(tenant)
        return redacted
    if isinstance(value, list):
        return [_scrub(v, secrets, tenant, touched) for v in value]
    if isinstance(value, dict):
        here = value.get("tenant")
        context = here if isinstance(here, str) and not secrets.contains(here) else tenant
        return {
            _scrub(k, secrets, context, touched): _scrub(v, secrets, context, touched)
            for k, v in value.items()
        }
    return value


def _note(coverage: Any, touched: set[str]) -> Any:
    """Add WITHHELD_NOTE to every coverage entry (dumped) of a touched tenant."""
    if not isinstance(coverage, dict):
        return coverage
    if _ALL in touched or coverage.get("tenant") in touched:
        notes = list(coverage.get("notes") or [])
        if WITHHELD_NOTE not in notes:
            coverage["notes"] = [*notes, WITHHELD_NOTE]
            details = list(coverage.get("note_details") or [])
            coverage["note_details"] = [*details, WITHHELD_DETAIL.model_dump()]
    return coverage


def clean(model: BaseModel, secrets: SecretSet) -> bool:
    """Whether ``withhold_model`` would return ``model`` as it is (no fragment, no mark)."""
    return not secrets or not _touched(model, secrets)


def clean_each(models: Sequence[BaseModel], secrets: SecretSet) -> list[bool]:
    """``[clean(m, secrets) for m in models]``, with the models searched as one text first.

    A text that holds none of the secrets' fragments holds none in any part of it, so when the
    models' JSON, one after another, is clean, each is; only when it is not is each searched on
    its own (a fragment can also straddle two of them: then each is found clean after all). One
    search of a batch instead of one per model: each search is a call into C that lets go of
    the interpreter lock, and with another thread at work every such call waits to get it
    back (about 30 us, ten times the search of a credential: ``docs/architecture.md``)."""
    if not secrets:
        return [True] * len(models)
    if len(models) > 1:
        scanner = SecretScanner(secrets)
        for model in models:
            for piece in _pieces(model):
                if WITHHELD in piece:
                    break
                scanner.feed(piece)
                scanner.feed("\n")
            else:
                continue
            break
        else:
            if not scanner.close():
                return [True] * len(models)
    return [clean(model, secrets) for model in models]


@dataclass(frozen=True)
class Vouched:
    """``credentials`` (the tuple a provider returns) were each found ``clean`` against
    ``secrets`` at ``generation`` or later, with no value added after."""

    credentials: tuple[BaseModel, ...]
    secrets: SecretSet
    generation: int

    def covers(self, credentials: tuple[BaseModel, ...], secrets: SecretSet) -> bool:
        return (
            credentials is self.credentials
            and secrets is self.secrets
            and secrets.generation == self.generation
        )


def withhold_inventory(
    inventory: TenantInventory, secrets: SecretSet, vouched: Vouched | None = None
) -> TenantInventory:
    """``withhold_model`` of a provider's inventory; credentials ``vouched`` for are not
    searched again."""
    if (
        vouched is not None
        and vouched.covers(inventory.credentials, secrets)
        and clean(inventory.coverage, secrets)
    ):
        return inventory
    return withhold_model(inventory, secrets)


def withhold_model(model: _M, secrets: SecretSet) -> _M:
    """``model`` with every fragment of ``secrets`` withheld and the coverage noting it (also
    when the text was withheld before, at source: ``WITHHELD`` is already in it)."""
    if not secrets or not _touched(model, secrets):
        return model
    touched: set[str] = set()
    original = json.loads(model.model_dump_json())
    data = _scrub(original, secrets, _ALL, touched)
    if isinstance(data, dict):
        coverage = data.get("coverage")
        if isinstance(coverage, list):
            data["coverage"] = [_note(c, touched) for c in coverage]
        elif coverage is not None:
            data["coverage"] = _note(coverage, touched | {_ALL})
    try:
        return type(model).model_validate(data)
    except ValidationError as exc:
        # A constrained field (a provider name, a time, a network) had validated before, so it
        # holds no vendor free text: it keeps its value, and the free text stays withheld.
        for error in exc.errors():
            _restore(data, original, error["loc"])
    try:
        return type(model).model_validate(data)
    except ValidationError:
        raise AuditorError(
            "text matching a secret could not be withheld without breaking the scan result; "
            "refusing to use it (please report this)"
        ) from None  # the validation error would quote the text


_PIECEWISE = 64
"""A tuple field of more models than this is checked one model at a time."""


def _pieces(model: BaseModel) -> Iterator[str]:
    """``model``'s JSON in pieces: its large tuples of models (credentials, findings) one model at
    a time, nested models field by field, the rest at once; never the whole text (a 200,000-
    credential result dumps to hundreds of MB)."""
    large: list[str] = []
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, BaseModel) or (
            isinstance(value, tuple)
            and len(value) > _PIECEWISE
            and all(isinstance(v, BaseModel) for v in value)
        ):
            large.append(name)
    yield model.model_dump_json(exclude=set(large))
    for name in large:
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            yield from _pieces(value)
        else:
            for item in value:
                yield item.model_dump_json()


def _touched(model: BaseModel, secrets: SecretSet) -> bool:
    """Whether ``model``'s JSON holds a fragment of ``secrets`` or the withheld mark (what
    ``secrets.contains(model.model_dump_json())`` answers, checked piece by piece)."""
    scanner = SecretScanner(secrets)
    for piece in _pieces(model):
        if WITHHELD in piece:
            return True
        scanner.feed(piece)
        scanner.feed("\n")
        if scanner.found:
            return True
    return scanner.close()


def _restore(data: Any, original: Any, loc: tuple[int | str, ...]) -> None:
    try:
        for key in loc[:-1]:
            data, original = data[key], original[key]
        data[loc[-1]] = original[loc[-1]]
    except (KeyError, IndexError, TypeError):
        return


def withhold_json(value: Any, secrets: SecretSet) -> Any:
    """A parsed vendor JSON document with every string holding a fragment withheld, so that an
    adapter never quotes, cuts, ``repr``-escapes or stores one (the HTTP layer calls this on
    every API response). Checked as one text first (``json.dumps``, written and searched in
    pieces: ``auditor.kernel.jsonpieces``): a clean document is returned as it is."""
    if not secrets:
        return value
    scanner, loose = SecretScanner(secrets), LooseScanner(secrets)
    for piece in dumps_pieces(value):
        scanner.feed(piece)
        loose.feed(piece)
    if scanner.close():
        value = _scrub(value, secrets, _ALL, set())
    if loose.close():
        value = _scrub_loose(value, secrets)
    return value


def _scrub_loose(value: Any, secrets: SecretSet) -> Any:
    """Every string holding a secret broken up by separators (``SecretSet.contains_loose``),
    withheld whole: vendor text only, where no legitimate value looks like that."""
    if isinstance(value, str):
        return WITHHELD if secrets.contains_loose(value) else value
    if isinstance(value, list):
        return [_scrub_loose(v, secrets) for v in value]
    if isinstance(value, dict):
        return {_scrub_loose(k, secrets): _scrub_loose(v, secrets) for k, v in value.items()}
    return value


def withhold_text(name: str, text: str, secrets: SecretSet) -> str:
    """``text`` (an output called ``name``) with every fragment replaced; raises if any is left."""
    if not secrets:
        return text
    cleaned = secrets.redact(text)
    if cleaned is not text and secrets.contains(cleaned):
        raise AuditorError(
            f"{name}: text matching a secret could not be withheld; refusing to write it "
            "(please report this)"
        )
    return cleaned
