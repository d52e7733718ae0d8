"""Due times of a cron expression (parsed by ``cronsim``) or of a fixed interval.

Cron is evaluated on the wall clock of the schedule's time zone, with cronsim's rules at DST
changes (those of Debian's cron): a time the clock skips (02:30 on the spring-forward night)
fires once, at the first moment after the gap (03:00); a time that occurs twice (02:30 on the
fall-back night) fires once, at its first occurrence. Expressions with a wildcard hour
(``*/30 * * * *``) fire on every real occurrence, so both 02:00s of the fall-back night.
Intervals are counted in real seconds from the Unix epoch, so every beat agrees on them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _cronsim() -> tuple[type, type[Exception]]:
    try:
        from cronsim import CronSim, CronSimError
    except ImportError as exc:  # pragma: no cover - cronsim is a dependency
        raise RuntimeError("Cron schedules need the cronsim package: pip install cronsim.") from exc
    return CronSim, CronSimError


def definition_problems(cron: str | None, every_seconds: int | None, tz: str) -> list[str]:
    """What is wrong with a schedule's calendar ([] when it is usable)."""
    found = []
    if bool(cron) == (every_seconds is not None):
        found.append("give exactly one of cron=... and every=...")
    if cron:
        cron_sim, cron_error = _cronsim()
        try:
            cron_sim(cron, datetime.now(UTC))
        except (cron_error, ValueError, TypeError) as exc:
            found.append(f"cron {cron!r} is not valid: {exc}")
    if every_seconds is not None and every_seconds < 1:
        found.append("every=... must be at least one second")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        found.append(f"time zone {tz!r} is unknown (use an IANA name such as 'Europe/Paris')")
    return found


def next_due(cron: str, every_seconds: int | None, tz: str, after: datetime) -> datetime:
    """The first due time strictly after ``after``."""
    if not cron:
        elapsed = (after - _EPOCH) // timedelta(seconds=every_seconds or 1)
        return _EPOCH + timedelta(seconds=(elapsed + 1) * (every_seconds or 1))
    cron_sim, _ = _cronsim()
    return next(cron_sim(cron, after.astimezone(ZoneInfo(tz)))).astimezone(UTC)


def recent_due(cron: str, every_seconds: int | None, tz: str, after: datetime | None,
               until: datetime, limit: int) -> list[datetime]:
    """Up to ``limit`` of the newest due times in (``after``, ``until``], oldest first."""
    found: list[datetime] = []
    if not cron:
        step = timedelta(seconds=every_seconds or 1)
        last = _EPOCH + ((until - _EPOCH) // step) * step
        while len(found) < limit and (after is None or last > after):
            found.append(last)
            last -= step
        return found[::-1]
    cron_sim, _ = _cronsim()
    start = until.replace(microsecond=0) + timedelta(seconds=1)  # cronsim looks strictly before
    for due in cron_sim(cron, start.astimezone(ZoneInfo(tz)), reverse=True):
        due = due.astimezone(UTC)
        if len(found) >= limit or (after is not None and due <= after):
            break
        found.append(due)
    return found[::-1]
