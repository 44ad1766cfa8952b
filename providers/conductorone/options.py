"""ConductorOne's own tenant keys (``providers.options``)."""

from __future__ import annotations

from pydantic import field_validator

from providers.options import Options


class ConductorOneOptions(Options):
    inactive_employment_statuses: tuple[str, ...] | None = None
    """``User.employmentStatus`` values meaning the person left, compared without case, also as
    a prefix before a separator (``None``: ``providers.conductorone.owners`` defaults; ``[]``:
    none)."""

    @field_validator("inactive_employment_statuses")
    @classmethod
    def _statuses(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is None:
            return None
        if any(not v.strip() for v in value):
            raise ValueError("inactive_employment_statuses must not contain empty values")
        return tuple(v.strip() for v in value)
