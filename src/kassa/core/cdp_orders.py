"""The shop's own orders as its CDP knows them (REES46 `POST /sync/orders`), without I/O.

A CDP order is not a loyalty checkout: syncing one, even with a cancelled status, changes only
the CDP order (its status, contents and history). It never refunds bonuses, certificates or
promo codes and never takes back rewards; only `/loyalty/checkout/cancel` and `change` do.

The shop's status is free text, mapped to one of three states: `fulfilled` (final: paid and
delivered), `cancelled` (final: cancelled, refunded, refused) or `placed` (anything else,
including a status Kassa does not know). Re-sending an id updates that order; fields left out
(or empty) keep their old values, so `{id, status}` alone is a status change. Lines whose
`status` is `cancelled` or `refunded` leave the stored order: that is how partial returns come.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

MAX_ORDERS = 5000
MAX_ITEMS = 1000
MAX_AMOUNT = Decimal("9999999999.99")
MAX_TEXT = 500
# UNIX seconds Kassa accepts: 2000-01-01 .. 2100-01-01.
DATE_RANGE = (946684800, 4102444800)
CUSTOMER_KEYS = ("email", "phone", "external_id", "loyalty_id", "telegram_id")
ITEM_STATUSES = frozenset({"created", "invoiced", "shipped", "delivered", "cancelled", "refunded"})
REMOVED_ITEM_STATUSES = frozenset({"cancelled", "refunded"})
OPTIONAL_FIELDS = (
    "offline",
    "location_id",
    "promocode",
    "delivery_type",
    "delivery_address",
    "delivery_date",
    "delivery_time",
    "payment_type",
    "tax_free",
    "bank_issuer",
    "bank_pos_processor",
    "bank_loyalty_program",
    "bank_total_installment",
    "payment_card_provider",
    "gift_package",
    "comment",
    "payment_structure",
    "custom",
)


class CdpState(StrEnum):
    PLACED = "placed"
    FULFILLED = "fulfilled"
    CANCELLED = "cancelled"


# The statuses shops commonly send, by their lower-cased text; anything else is `placed`.
STATES: Mapping[str, CdpState] = {
    **dict.fromkeys(
        ("delivered", "completed", "complete", "done", "fulfilled"), CdpState.FULFILLED
    ),
    **dict.fromkeys(
        ("cancelled", "canceled", "refunded", "refused", "returned", "rejected"),
        CdpState.CANCELLED,
    ),
}


def state_of(status: str) -> CdpState:
    return STATES.get(status.strip().lower(), CdpState.PLACED)


class CdpInvalid(ValueError):
    """One synced order that cannot be taken, with the reason."""


@dataclass(frozen=True)
class CdpOrder:
    shop_id: str
    id: str
    status: str
    channel: str
    total: Decimal
    status_at: datetime
    customer: dict[str, str] = field(default_factory=dict)
    items: list[dict[str, Any]] = field(default_factory=list)
    fields: dict[str, Any] = field(default_factory=dict)

    @property
    def state(self) -> CdpState:
        return state_of(self.status)


def _text(raw: Mapping[str, Any], name: str, limit: int = 64) -> str | None:
    value = raw.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or len(value) > limit:
        raise CdpInvalid(f"{name} is not valid")
    return value


def _amount(value: Any, name: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        raise CdpInvalid(f"{name} is not valid")
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise CdpInvalid(f"{name} is not valid") from None
    if not amount.is_finite() or not 0 <= amount <= MAX_AMOUNT:
        raise CdpInvalid(f"{name} is not valid")
    return amount.quantize(Decimal("0.01"))


def _date(value: Any) -> datetime:
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not (DATE_RANGE[0] <= value < DATE_RANGE[1])
    ):
        raise CdpInvalid("date is not valid (UNIX seconds)")
    return datetime.fromtimestamp(value, UTC)


def _item(raw: Any, index: int) -> dict[str, Any] | None:
    if not isinstance(raw, Mapping):
        raise CdpInvalid(f"items[{index}] is not valid")
    item_id = _text(raw, "id")
    if item_id is None:
        raise CdpInvalid(f"items[{index}].id is required")
    status = _text(raw, "status")
    if status is not None and status not in ITEM_STATUSES:
        raise CdpInvalid(f"items[{index}].status is not valid")
    quantity = raw.get("quantity")
    if isinstance(quantity, bool) or not isinstance(quantity, int | Decimal) or quantity <= 0:
        raise CdpInvalid(f"items[{index}].quantity is not valid")
    if status in REMOVED_ITEM_STATUSES:
        return None
    return {
        "id": item_id,
        "price": str(_amount(raw.get("price"), f"items[{index}].price")),
        "quantity": str(_amount(quantity, f"items[{index}].quantity")),
        **({"status": status} if status else {}),
    }


def _items(raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or len(raw) > MAX_ITEMS:
        raise CdpInvalid("items is not valid")
    ids = [i.get("id") for i in raw if isinstance(i, Mapping)]
    if len(set(map(str, ids))) != len(ids):
        raise CdpInvalid("items have the same id twice")
    return [kept for i, item in enumerate(raw) if (kept := _item(item, i)) is not None]


def _customer(raw: Mapping[str, Any]) -> dict[str, str]:
    return {k: v for k in CUSTOMER_KEYS if (v := _text(raw, k, 254)) is not None}


def _fields(raw: Mapping[str, Any]) -> dict[str, Any]:
    found = {k: raw[k] for k in OPTIONAL_FIELDS if raw.get(k) not in (None, "")}
    comment = found.get("comment")
    if comment is not None and (not isinstance(comment, str) or len(comment) > MAX_TEXT):
        raise CdpInvalid("comment is not valid")
    return found


def synced(shop_id: str, raw: Any, before: CdpOrder | None) -> CdpOrder:
    """The order after this sync: a new one (every required field), or `before` with what
    the sync sends (empty fields keep their old values)."""
    if not isinstance(raw, Mapping):
        raise CdpInvalid("order is not valid")
    order_id = _text(raw, "id")
    status = _text(raw, "status")
    if order_id is None or status is None:
        raise CdpInvalid("id and status are required")
    value = raw.get("value")
    if value is not None and not isinstance(value, Mapping):
        raise CdpInvalid("value is not valid")
    if before is None:
        return _new(shop_id, order_id, status, raw, value)
    return replace(
        before,
        status=status,
        channel=_text(raw, "channel") or before.channel,
        total=_amount(value["total"], "value.total") if value else before.total,
        status_at=_date(raw["date"]) if raw.get("date") is not None else before.status_at,
        customer={**before.customer, **_customer(raw)},
        items=_items(raw["items"]) if raw.get("items") else before.items,
        fields={**before.fields, **_fields(raw)},
    )


def _new(shop_id: str, order_id: str, status: str, raw: Mapping[str, Any], value: Any) -> CdpOrder:
    channel = _text(raw, "channel")
    if channel is None:
        raise CdpInvalid("channel is required")
    if not value or "total" not in value:
        raise CdpInvalid("value.total is required")
    if "items" not in raw:
        raise CdpInvalid("items is required")
    customer = _customer(raw)
    if not customer:
        raise CdpInvalid("a customer key is required (" + ", ".join(CUSTOMER_KEYS) + ")")
    return CdpOrder(
        shop_id,
        order_id,
        status,
        channel,
        _amount(value["total"], "value.total"),
        _date(raw.get("date")),
        customer,
        _items(raw["items"]),
        _fields(raw),
    )
