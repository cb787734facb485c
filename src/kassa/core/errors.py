"""One error root. Each error names a noun and its problem and carries a stable code.

Faces map `kind` to their own wire format and HTTP status in one handler; the core never
knows which face called.
"""

from enum import StrEnum
from typing import Any


class ErrorKind(StrEnum):
    INVALID = "invalid"
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    UNAVAILABLE = "unavailable"


class KassaError(Exception):
    """Root of every business error."""

    kind: ErrorKind = ErrorKind.INVALID
    code: str = "kassa_error"
    # Details safe to show the caller beside the message (Kassa's own JSON errors add them).
    public: tuple[str, ...] = ()

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class ApiKeyInvalid(KassaError):
    kind = ErrorKind.UNAUTHORIZED
    code = "api_key_invalid"


class ActionForbidden(KassaError):
    kind = ErrorKind.FORBIDDEN
    code = "action_forbidden"


class NotFound(KassaError):
    kind = ErrorKind.NOT_FOUND
    code = "not_found"


class EventNotFound(NotFound):
    code = "event_not_found"


class SetNotFound(NotFound):
    code = "set_not_found"


class OrderNotFound(NotFound):
    code = "order_not_found"


class PartnerNotFound(NotFound):
    code = "partner_not_found"


class OrganisationNotFound(NotFound):
    code = "organisation_not_found"


class OrderUnknown(KassaError):
    """A request body names an order that does not exist or is not the caller's."""

    code = "order_not_found"


class UserDataInvalid(KassaError):
    """Visitors' names that do not fit the order (Mosbilet `user_data`)."""

    code = "user_data_invalid"


class DealNotFound(NotFound):
    code = "deal_not_found"


class UserNotFound(NotFound):
    code = "user_not_found"


class VenueNotFound(NotFound):
    code = "venue_not_found"


class EventUnknown(KassaError):
    """A request body names an event that does not exist or is not the caller's."""

    code = "event_not_found"


class SetUnknown(KassaError):
    """A request body names a ticket set that the event does not have."""

    code = "set_not_found"


class OrderBusy(KassaError):
    """Another change to the same order is still in flight."""

    kind = ErrorKind.CONFLICT
    code = "order_busy"


class OrderStatusTransitionInvalid(KassaError):
    code = "order_status_transition_invalid"


class OrderNotCancellable(KassaError):
    code = "order_not_cancellable"


class OrderNotChangeable(KassaError):
    code = "order_not_changeable"


class ReservationInvalid(KassaError):
    code = "reservation_invalid"


class NotEnoughTickets(KassaError):
    code = "not_enough_tickets"


class TicketNotInEvent(KassaError):
    code = "ticket_not_in_event"


class EventNotOnSale(KassaError):
    code = "event_not_on_sale"


class SetNotOnSale(KassaError):
    code = "set_not_on_sale"


class CatalogInvalid(KassaError):
    code = "catalog_invalid"


class QueryInvalid(KassaError):
    """A query-string filter that cannot be understood."""

    code = "query_invalid"


class FieldsSchemaInvalid(KassaError):
    """A v1 `fields-schema` that does not parse or names what the resource lacks."""

    code = "fields_schema_invalid"


class TicketsNotInOrder(KassaError):
    """Tickets named for a refund or partial cancel that the order does not hold."""

    code = "tickets_not_in_order"


class RefundInvalid(KassaError):
    code = "refund_invalid"


class RefundNotFound(NotFound):
    code = "refund_not_found"


class PromoCodeInvalid(KassaError):
    """An organiser's promo code that does not make sense (bad discount, lifetime, counts)."""

    code = "promocode_invalid"


class PromoCodeNotFound(NotFound):
    code = "promocode_not_found"


class PromoCodeTaken(KassaError):
    """Another code of the event already has these letters (case-insensitively)."""

    kind = ErrorKind.CONFLICT
    code = "promocode_exists"


class ExpiredAfterNotChangeable(KassaError):
    code = "expired_after_not_changeable"


class PromoCodeUnknown(KassaError):
    """The seller's check of a code that does not exist or does not apply now: 400."""

    code = "promocode_not_found"


class LoyaltyInvalid(KassaError):
    """A loyalty request the program refuses; the message is the REES46 one."""

    code = "loyalty_invalid"


class LoyaltyShopUnknown(KassaError):
    kind = ErrorKind.UNAUTHORIZED
    code = "shop_not_found"


class LoyaltySecretWrong(KassaError):
    kind = ErrorKind.FORBIDDEN
    code = "secret_not_correct"


class LoyaltyNotFound(NotFound):
    code = "loyalty_not_found"


class DeliveryTokenInvalid(KassaError):
    """A missing, wrong or expired Bearer token on the delivery face: 401 `{"reason": ...}`."""

    kind = ErrorKind.UNAUTHORIZED
    code = "token_invalid"


class DeliveryRequestInvalid(KassaError):
    """A delivery request the aggregator's API does not allow (shape, value, or step)."""

    code = "delivery_request_invalid"


class DeliveryClientInvalid(KassaError):
    """Wrong aggregator credentials or grant type when asking for a token."""

    code = "delivery_client_invalid"


class EatsIdInvalid(KassaError):
    code = "eats_id_invalid"


class EatsIdMismatch(KassaError):
    code = "eats_id_mismatch"


class CommentTooLong(KassaError):
    code = "comment_too_long"


class RestaurantUnknown(KassaError):
    """A request body names a restaurant that is not the caller's: 400."""

    code = "restaurant_unknown"


class RestaurantNotFound(NotFound):
    """The path names a restaurant that is not the caller's: 404."""

    code = "restaurant_not_found"


class RestaurantTaken(KassaError):
    """A new restaurant's id is already a restaurant's (of this or another organisation)."""

    kind = ErrorKind.CONFLICT
    code = "restaurant_exists"


class ShopUnknown(KassaError):
    """A request body names a loyalty shop that is not the caller's (missing or another
    organisation's: the same answer): 400."""

    code = "shop_unknown"


class MenuItemUnknown(KassaError):
    code = "menu_item_unknown"


class DeliveryStatusNotAllowed(KassaError):
    """A status move the delivery order's machine (or the caller's side) does not allow."""

    code = "delivery_status_not_allowed"


class DeliveryOrderDuplicate(KassaError):
    """The same eatsId sent again with other contents."""

    code = "delivery_order_duplicate"


class DeliveryOrderNotFound(NotFound):
    code = "delivery_order_not_found"


class DeliveryReasonUnknown(KassaError):
    """A cancel reason outside the aggregator's list."""

    code = "delivery_reason_unknown"


class OrderChanged(KassaError):
    """The order changed since the preview the client passes the version of."""

    kind = ErrorKind.CONFLICT
    code = "order_changed"


class OrderAmbiguous(KassaError):
    """A face's own order id names several orders the caller sees (two shops' `A-1`): the
    caller picks one by Kassa's id, from `candidates`."""

    kind = ErrorKind.CONFLICT
    code = "order_ambiguous"
    public = ("candidates",)


class ReasonUnknown(KassaError):
    code = "reason_unknown"


class SignInFailed(KassaError):
    kind = ErrorKind.UNAUTHORIZED
    code = "sign_in_failed"


class OperatorBusy(KassaError):
    """Another sign-in holds the operator's row past the lock timeout (a burst of them)."""

    kind = ErrorKind.CONFLICT
    code = "operator_busy"


class OperatorInvalid(KassaError):
    code = "operator_invalid"


class DatabaseUnavailable(KassaError):
    """The database cannot be reached, refuses more connections, or every connection of this
    process's pool is busy: nothing was changed, try again in a moment."""

    kind = ErrorKind.UNAVAILABLE
    code = "database_unavailable"


class CodeNotSent(KassaError):
    """A one-time code could not be handed to its sender (SMTP down, say): try again."""

    kind = ErrorKind.UNAVAILABLE
    code = "code_not_sent"


class CancellationClosed(KassaError):
    """The policy of the order's event, restaurant or shop does not allow this cancel now
    (past its deadline, or not at all); an operator may override it with a reason."""

    kind = ErrorKind.CONFLICT
    code = "cancellation_closed"
    public = ("deadline",)
