"""How dates and timestamps are stored.

Days are INTEGER ordinals (``date.toordinal()``): compact, and range scans compare
integers. Timestamps are ISO-8601 UTC text of fixed width, so that text order is
time order and ``max()`` in SQL returns the latest one. The one exception is
``day_key.last_used``, aggregated with ``max()`` over tens of thousands of rows
per query: it is INTEGER microseconds since the Unix epoch, because ``max()``
over integers is much cheaper than over text (which copies every new maximum).
"""

from __future__ import annotations

import datetime as dt

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)


def day_to_db(day: dt.date) -> int:
    return day.toordinal()


def day_from_db(value: int) -> dt.date:
    return dt.date.fromordinal(value)


def ts_to_db(moment: dt.datetime) -> str:
    """UTC ISO text; a naive datetime is taken to be UTC already."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def ts_to_micros(moment: dt.datetime) -> int:
    """Microseconds since the Unix epoch; a naive datetime is taken to be UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return (moment - _EPOCH) // _MICROSECOND


def ts_from_micros(value: int) -> dt.datetime:
    # value / 1e6 is within a small fraction of a microsecond of the true time for
    # centuries to come and fromtimestamp rounds to the nearest microsecond, so the
    # result is exact (and faster than adding a timedelta to the epoch).
    return dt.datetime.fromtimestamp(value / 1_000_000, dt.UTC)


def ts_from_db(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


def optional_ts_to_micros(moment: dt.datetime | None) -> int | None:
    return None if moment is None else ts_to_micros(moment)


def optional_ts_from_micros(value: int | None) -> dt.datetime | None:
    return None if value is None else ts_from_micros(value)


def optional_ts_to_db(moment: dt.datetime | None) -> str | None:
    return None if moment is None else ts_to_db(moment)


def optional_ts_from_db(value: str | None) -> dt.datetime | None:
    return None if value is None else ts_from_db(value)
