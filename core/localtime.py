"""UTC instants to the owner's calendar and clock: zones, local days, weeks, and how times read."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from core.errors import UsageError

UTC_ZONE = ZoneInfo("UTC")


class ZoneError(UsageError):
    """A time zone name the zone database does not know; the message says what to use."""


def zone(name: str | None) -> ZoneInfo:
    """The IANA zone `name` ("Europe/Paris"); UTC when none is given."""
    if name is None or not name.strip():
        return UTC_ZONE
    name = name.strip()
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ZoneError(
            f"time zone {name!r} is not an IANA zone name: use one like "
            "'Europe/Paris', 'America/Los_Angeles' or 'UTC'"
        ) from None


def zone_names() -> list[str]:
    """Every zone a user may choose, sorted (the tzdata package's list)."""
    return sorted(available_timezones())


def system_zone_name(localtime_path: Path = Path("/etc/localtime")) -> str | None:
    """The laptop's own zone name, read from /etc/localtime's link (None when it is not one)."""
    try:
        target = str(localtime_path.resolve())
    except OSError:
        return None
    marker = "zoneinfo/"
    if marker not in target:
        return None
    name = target.split(marker, 1)[1]
    try:
        zone(name)
    except ZoneError:
        return None
    return name


def _aware(moment_utc: datetime) -> datetime:
    # Stored times are UTC; a naive one here came from the store's own parse, so it is UTC.
    return moment_utc if moment_utc.tzinfo is not None else moment_utc.replace(tzinfo=UTC)


def local(moment_utc: datetime, tz: tzinfo) -> datetime:
    return _aware(moment_utc).astimezone(tz)


def local_date(moment_utc: datetime, tz: tzinfo) -> date:
    """The calendar day `moment_utc` falls on in `tz` (22:30 in Los Angeles is that evening)."""
    return local(moment_utc, tz).date()


def week_start(day: date) -> date:
    """The Monday of `day`'s ISO week."""
    return day - timedelta(days=day.weekday())


def month_start(day: date) -> date:
    return day.replace(day=1)


def day_start_utc(day: date, tz: tzinfo) -> datetime:
    """The UTC instant local midnight of `day` begins (a DST change day is 23 or 25 hours)."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def day_bounds_utc(first: date, last: date, tz: tzinfo) -> tuple[datetime, datetime]:
    """[start, end) in UTC covering the local days `first`..`last` inclusive, for a store query."""
    return day_start_utc(first, tz), day_start_utc(last + timedelta(days=1), tz)


def abbreviation(moment_utc: datetime, tz: tzinfo) -> str:
    """The zone's abbreviation at that moment ("PST", "IST"); "UTC+14" where tzdata has only
    an offset."""
    name = local(moment_utc, tz).tzname() or ""
    if not name or name[0] in "+-":
        offset = local(moment_utc, tz).utcoffset() or timedelta(0)
        return "UTC" + fmt_offset(offset)
    return name


def fmt_offset(offset: timedelta) -> str:
    """"+05:30", "-08:00", "+14:00"."""
    minutes = round(offset.total_seconds() / 60)
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{rest:02d}"


def fmt_datetime(moment_utc: datetime, tz: tzinfo) -> str:
    """"29 Nov 2026, 22:30 PST": the local clock with its zone, never bare UTC."""
    moment = local(moment_utc, tz)
    return f"{fmt_date(moment.date())}, {moment:%H:%M} {abbreviation(moment_utc, tz)}"


def fmt_time(moment_utc: datetime, tz: tzinfo) -> str:
    """"22:30 PST"."""
    return f"{local(moment_utc, tz):%H:%M} {abbreviation(moment_utc, tz)}"


def fmt_date(d: date) -> str:
    """"29 Nov 2026" (a calendar day has no zone)."""
    return f"{d.day} {d:%b %Y}"


def fixed_zone(offset_s: int) -> timezone:
    """A zone of a constant offset, for a record whose source gave an offset but no name."""
    return timezone(timedelta(seconds=offset_s))


def record_zone(name: str | None, offset_s: int | None = None) -> tzinfo:
    """The zone a record was made in: its IANA name, else its fixed offset, else UTC (old
    records carry neither)."""
    if name:
        try:
            return zone(name)
        except ZoneError:
            pass
    if offset_s is not None:
        return fixed_zone(offset_s)
    return UTC_ZONE
