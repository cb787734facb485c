"""Column types that keep money exact and times UTC-aware on both SQLite and PostgreSQL."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BindParameter, DateTime, Dialect, Numeric, String, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator, TypeEngine


class ExactDecimal(TypeDecorator[Decimal]):
    """NUMERIC(p,s) on PostgreSQL; an exact decimal string on SQLite (which has no decimal)."""

    impl = Numeric
    cache_ok = True

    def __init__(self, precision: int = 14, scale: int = 2) -> None:
        super().__init__(precision, scale, asdecimal=True)
        self.precision = precision
        self.scale = scale

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(32))
        return dialect.type_descriptor(Numeric(self.precision, self.scale, asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        return str(value) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value)


def Money() -> ExactDecimal:
    """Amounts: two places."""
    return ExactDecimal(14, 2)


class UTCDateTime(TypeDecorator[datetime]):
    """TIMESTAMPTZ on PostgreSQL; on SQLite a UTC string. Always aware, always UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: times must be timezone-aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)


class _JsonField(FunctionElement[str]):
    """A text field inside a JSON column, normalised for search; the same SQL in queries and in
    the expression index that serves them (so the planner can match the two on both
    databases). Subclasses fix the path and the normalisation."""

    type = String()
    inherit_cache = True
    path: tuple[str, ...] = ()
    normalise = "{}"


class BuyerEmail(_JsonField):
    """`lower(customer.email)` of a ticket order."""

    name = "kassa_buyer_email"
    inherit_cache = True
    path = ("email",)
    normalise = "lower({})"


class BuyerPhone(_JsonField):
    """`customer.phone` of a ticket order, without a leading +."""

    name = "kassa_buyer_phone"
    inherit_cache = True
    path = ("phone",)
    normalise = "replace({}, '+', '')"


class DeliveryPhone(_JsonField):
    """`deliveryInfo.phoneNumber` of a delivery order, without a leading +."""

    name = "kassa_delivery_phone"
    inherit_cache = True
    path = ("deliveryInfo", "phoneNumber")
    normalise = "replace({}, '+', '')"


@compiles(_JsonField, "postgresql")
def _json_field_pg(element: _JsonField, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    if len(element.path) == 1:
        extracted = f"({column} ->> '{element.path[0]}')"
    else:
        extracted = f"({column} #>> '{{{','.join(element.path)}}}')"
    return element.normalise.format(extracted)


@compiles(_JsonField, "sqlite")
def _json_field_sqlite(element: _JsonField, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    path = "$." + ".".join(element.path)
    return element.normalise.format(f"json_extract({column}, '{path}')")


def fixed(value: str) -> BindParameter[str]:
    """A constant of the code (never input) written into the statement as a literal: a
    generic plan (write transactions on PostgreSQL: `kassa.store.tx`) can then still match
    it to a partial index's predicate (`status = 'vacant'`), which a parameter cannot."""
    return literal(value, String(), literal_execute=True)
