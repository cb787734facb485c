"""Reading posted form fields and query values: trimmed text, amounts, whole numbers, dates.
A value that does not parse is CatalogInvalid (400), never a 500."""

from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from kassa.core.errors import CatalogInvalid


def text(form: Mapping[str, Any], name: str, limit: int = 500) -> str:
    """The field trimmed and cut to `limit` characters; "" when it is missing."""
    value = form.get(name)
    return str(value).strip()[:limit] if value is not None else ""


def day(text: str | None, *, end: bool = False) -> datetime | None:
    """`YYYY-MM-DD` as the start of that UTC day (`end`: of the next one); None when empty."""
    if not text:
        return None
    try:
        date = datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise CatalogInvalid(f"{text!r} is not a date (YYYY-MM-DD)") from None
    start = datetime.combine(date, time(0), tzinfo=UTC)
    return start + timedelta(days=1) if end else start


def moment(text: str, what: str) -> datetime:
    """An ISO date and time, in UTC (a naive one is taken as UTC)."""
    try:
        parsed = datetime.fromisoformat(text)
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (ValueError, OverflowError):  # 9999-12-31T23:00-05:00 has no UTC time
        raise CatalogInvalid(f"{what}: {text!r} is not a date and time") from None


def amount(text: str, what: str) -> Decimal:
    """A finite decimal amount; a comma is read as the decimal point."""
    try:
        value = Decimal(text.replace(",", "."))
    except InvalidOperation:
        raise CatalogInvalid(f"{what}: {text!r} is not an amount") from None
    if not value.is_finite():
        raise CatalogInvalid(f"{what}: {text!r} is not an amount")
    return value


def whole(text: str, what: str) -> int:
    """A non-negative whole number of at most seven digits."""
    if not text.isdigit() or len(text) > 7:
        raise CatalogInvalid(f"{what}: {text!r} is not a whole number")
    return int(text)
