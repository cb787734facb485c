"""A checkout request as the app takes it, and as an order keeps it (its last request)."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from kassa.core.loyalty import CartItem


@dataclass(frozen=True)
class CheckoutRequest:
    items: tuple[CartItem, ...]
    identifier: str | None = None
    order_id: str | None = None
    payment_type: str | None = None
    promo_codes: tuple[str, ...] = ()
    certificates: tuple[str, ...] = ()
    charge_bonuses: bool = False
    bonuses_amount: Decimal | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "identifier": self.identifier,
            "payment_type": self.payment_type,
            "promo_codes": list(self.promo_codes),
            "certificates": list(self.certificates),
            "charge_bonuses": self.charge_bonuses,
            "bonuses_amount": str(self.bonuses_amount) if self.bonuses_amount is not None else None,
            "cart_items": [
                {
                    "product_id": i.product_id,
                    "price": str(i.price),
                    "quantity": str(i.quantity),
                    "discountable": i.discountable,
                    "bonusable": i.bonusable,
                    "rewardable": i.rewardable,
                }
                for i in self.items
            ],
        }


def request_from(data: dict[str, Any]) -> CheckoutRequest:
    """The inverse of `as_dict` (a stored order's last request)."""
    return CheckoutRequest(
        items=tuple(
            CartItem(
                i["product_id"],
                Decimal(i["price"]),
                Decimal(i["quantity"]),
                i["discountable"],
                i["bonusable"],
                i["rewardable"],
            )
            for i in data["cart_items"]
        ),
        identifier=data.get("identifier"),
        payment_type=data.get("payment_type"),
        promo_codes=tuple(data.get("promo_codes") or ()),
        certificates=tuple(data.get("certificates") or ()),
        charge_bonuses=bool(data.get("charge_bonuses")),
        bonuses_amount=Decimal(data["bonuses_amount"]) if data.get("bonuses_amount") else None,
    )
