"""Cron expressions with crontab(5) semantics, as APScheduler 3 triggers."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
"""crontab(5) numbering: 0 (and 7) is Sunday."""


def _weekday(token: str) -> int:
    if token.isdigit() and 0 <= int(token) <= 7:
        return int(token)
    if token in _WEEKDAYS:
        return _WEEKDAYS.index(token)
    raise ValueError(f"day-of-week {token!r}: use 0-7 (0 and 7 are Sunday) or sun-sat")


def cron_weekdays(field: str) -> str:
    """A crontab day-of-week field as an APScheduler 3 ``day_of_week``. APScheduler 3 numbers Monday
    0 (``CronTrigger.from_crontab`` docstring, and APScheduler's own tracker:
    https://github.com/agronholm/apscheduler/issues/286) where crontab numbers Sunday 0 and 7, so
    ``1-5`` would silently mean Tuesday to Saturday. Names mean the same day in both: the field is
    rewritten as the explicit list of day names (ranges, lists and steps expanded)."""
    if field == "*":
        return "*"
    days: set[int] = set()
    for part in field.lower().split(","):
        base, slash, step_text = part.partition("/")
        step = int(step_text) if step_text.isdigit() else 0
        if slash and step < 1:
            raise ValueError(f"day-of-week step {part!r}: use a positive number after /")
        if base == "*":
            low, high = 0, 6
        elif "-" in base:
            first, _, last = base.partition("-")
            low, high = _weekday(first), _weekday(last)
        else:
            low = _weekday(base)
            high = 7 if slash else low
        if high < low:
            raise ValueError(f"day-of-week range {base!r} runs backwards")
        days.update(day % 7 for day in range(low, high + 1, step or 1))
    return ",".join(_WEEKDAYS[day] for day in sorted(days))


def cron_trigger(expr: str, zone: ZoneInfo) -> Any:
    """A trigger with crontab(5) semantics: day-of-week numbered as in cron, and, when both
    day-of-month and day-of-week are restricted (neither starts with ``*``), a day matching
    EITHER fires (crontab(5), "Note: The day of a command's execution…"); a single APScheduler
    CronTrigger would require both, so that case is an ``OrTrigger`` of two."""
    from apscheduler.triggers.combining import OrTrigger
    from apscheduler.triggers.cron import CronTrigger

    fields = expr.split()
    if len(fields) != 5:
        raise ValueError(f"expected 5 fields (minute hour day month weekday), got {len(fields)}")
    minute, hour, day, month, weekday = fields
    weekdays = cron_weekdays(weekday)

    def cron(day: str, day_of_week: str) -> Any:
        return CronTrigger(
            minute=minute, hour=hour, day=day, month=month, day_of_week=day_of_week, timezone=zone
        )

    if day.startswith("*") or weekday.startswith("*"):
        return cron(day, weekdays)
    return OrTrigger([cron(day, "*"), cron("*", weekdays)])
