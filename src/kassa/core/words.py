"""The console's words: one human label for every status, state and step of every face's
orders. The wire keeps each partner API's own codes (v1 `canceled`, v2 and loyalty
`cancelled`, delivery `CANCELLED`); a person reads the same word, "Cancelled", for all of them.
Reasons have their labels beside their codes (`kassa.core.cancellation.reasons.LABELS`)."""

from collections.abc import Mapping

from kassa.core.console import STAGES

# An order's status, any face. A ticket order's `executed` and a loyalty order's `created`
# both hold something for the buyer until payment: "Reserved".
STATUS: Mapping[str, str] = {
    "executed": "Reserved",
    "in_progress": "Payment started",
    "done": "Paid",
    "canceled": "Cancelled",
    "cancelled": "Cancelled",
    "expired": "Expired",
    "created": "Reserved",
    "fulfilled": "Paid",
    "NEW": "New",
    "ACCEPTED_BY_RESTAURANT": "Accepted",
    "COOKING": "Cooking",
    "READY": "Ready",
    "TAKEN_BY_COURIER": "With the courier",
    "DELIVERED": "Delivered",
    "CANCELLED": "Cancelled",
}

# The orders list's filters.
FACES: Mapping[str, str] = {"tickets": "Tickets", "delivery": "Delivery", "loyalty": "Loyalty"}
STAGE: Mapping[str, str] = {
    "open": "Open",
    "done": "Done",
    "cancelled": "Cancelled",
    "expired": "Expired",
}

# What happened, as the timeline's `action` records it.
ACTIONS: Mapping[str, str] = {
    "order.placed": "Reserved",
    "order.reservation_changed": "Tickets changed",
    "order.details_changed": "Details changed",
    "order.promocodes_changed": "Promo codes changed",
    "order.in_progress": "Payment started",
    "order.done": "Paid",
    "order.canceled": "Cancelled",
    "order.partially_canceled": "Partly cancelled",
    "order.expired": "Expired",
    "tickets.resent": "Tickets sent again",
    "order.visitors_set": "Visitors' names set",
    "refund.requested": "Refund requested",
    "refund.in_progress": "Refund being considered",
    "refund.approved": "Refund approved",
    "refund.rejected": "Refund rejected",
    "delivery.created": "Received from the aggregator",
    "delivery.changed": "Contents changed",
    "delivery.accepted_by_restaurant": "Accepted",
    "delivery.cooking": "Cooking",
    "delivery.ready": "Ready",
    "delivery.taken_by_courier": "Taken by the courier",
    "delivery.delivered": "Delivered",
    "delivery.cancelled": "Cancelled",
    "delivery.partially_cancelled": "Partly cancelled",
    "loyalty.applied": "Reserved",
    "loyalty.confirmed": "Paid",
    "loyalty.changed": "Changed",
    "loyalty.cancelled": "Cancelled",
}

# A loyalty ledger row's entry.
ENTRIES: Mapping[str, str] = {
    "earn": "Earned",
    "spend": "Spent",
    "return": "Given back",
    "revoke": "Taken back",
    "adjust": "Adjusted",
}

# A loyalty ledger row's account (a sticker row names its sticker beside it).
ACCOUNTS: Mapping[str, str] = {
    "bonus": "Bonuses",
    "sticker": "Stickers",
    "certificate": "Certificate",
    "spent": "Amount spent",
    "coupon": "Coupon",
}

# An event's status.
EVENTS: Mapping[str, str] = {
    "draft": "Draft",
    "public": "On sale",
    "cancelled": "Cancelled",
    "archived": "Archived",
}

# A waiting-list entry's status.
WAITING: Mapping[str, str] = {
    "waiting": "Waiting",
    "offered": "Offered tickets",
    "taken": "Took the offer",
    "passed": "Let the offer pass",
    "left": "Left the list",
    "closed": "List closed (cancelled)",
}

# Kassa's own actors in a timeline (an organisation, partner or shop is named by its name).
ACTORS: Mapping[str, str] = {
    "system": "Kassa (automatic)",
    "aggregator": "The aggregator",
    "restaurant": "The restaurant",
}


def status_label(status: str | None) -> str:
    """The word for an order's status, any face (an unknown status reads as itself)."""
    return STATUS.get(status or "", status or "")


def status_tone(status: str | None) -> str:
    """Which of open, done, cancelled, expired the status is (the badge's colour)."""
    for stage, faces in STAGES.items():
        if any(status in statuses for statuses in faces.values()):
            return stage
    return "open"


def ticket_state(state: str, order_status: str) -> str:
    """A ticket of an order: held ("Reserved") until the order is paid ("Sold")."""
    if state == "active":
        return "Sold" if order_status == "done" else "Reserved"
    return {"canceled": "Cancelled", "refunded": "Refunded", "released": "Released"}.get(
        state, state
    )


def action_label(action: str) -> str:
    return ACTIONS.get(action, action)


def waiting_label(status: str) -> str:
    return WAITING.get(status, status)


def entry_label(entry: str) -> str:
    return ENTRIES.get(entry, entry)


def account_label(account: str, sticker: str | None = None) -> str:
    """A ledger row's account: "Bonuses", "Stickers “coffee”", ..."""
    name = ACCOUNTS.get(account, account)
    return f"{name} “{sticker}”" if sticker else name
