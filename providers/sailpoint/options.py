"""SailPoint's own tenant keys (``providers.options``)."""

from __future__ import annotations

from pydantic import field_validator, model_validator

from providers.options import Options


class LifecycleStatesOptions(Options):
    """Which identity lifecycle states (tenant-defined names) mean the owner is active or has
    left; compared case-insensitively. An omitted list keeps the default
    (``providers.sailpoint.owners``)."""

    active: tuple[str, ...] | None = None
    inactive: tuple[str, ...] | None = None

    @field_validator("active", "inactive")
    @classmethod
    def _names(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is not None and any(not v.strip() for v in value):
            raise ValueError("every lifecycle state must be a non-empty string")
        return None if value is None else tuple(v.strip() for v in value)

    @model_validator(mode="after")
    def _disjoint(self) -> LifecycleStatesOptions:
        both = {v.casefold() for v in self.active or ()} & {
            v.casefold() for v in self.inactive or ()
        }
        if both:
            raise ValueError(
                f"{', '.join(sorted(both))} listed as both active and inactive; keep each "
                "state in one list"
            )
        return self


class SailPointOptions(Options):
    user_levels: bool | None = None
    """Read the user level of owners whose level decides privileged-access (default off: one
    request per owner and the scope sp:auth-user:read); see ``providers.sailpoint.levels``."""
    lifecycle_states: LifecycleStatesOptions | None = None
    """Lifecycle state names meaning active / left (``providers.sailpoint.owners``)."""
