"""kassa.core.errors: one root, a kind and a stable code per error."""

import pytest

from kassa.core import errors as e


@pytest.mark.parametrize(
    ("cls", "kind", "code"),
    [
        (e.KassaError, e.ErrorKind.INVALID, "kassa_error"),
        (e.ApiKeyInvalid, e.ErrorKind.UNAUTHORIZED, "api_key_invalid"),
        (e.ActionForbidden, e.ErrorKind.FORBIDDEN, "action_forbidden"),
        (e.NotFound, e.ErrorKind.NOT_FOUND, "not_found"),
        (e.EventNotFound, e.ErrorKind.NOT_FOUND, "event_not_found"),
        (e.SetNotFound, e.ErrorKind.NOT_FOUND, "set_not_found"),
        (e.OrderNotFound, e.ErrorKind.NOT_FOUND, "order_not_found"),
        (e.PartnerNotFound, e.ErrorKind.NOT_FOUND, "partner_not_found"),
        (e.EventUnknown, e.ErrorKind.INVALID, "event_not_found"),
        (e.SetUnknown, e.ErrorKind.INVALID, "set_not_found"),
        (e.OrderBusy, e.ErrorKind.CONFLICT, "order_busy"),
        (e.OrderStatusTransitionInvalid, e.ErrorKind.INVALID, "order_status_transition_invalid"),
        (e.OrderNotCancellable, e.ErrorKind.INVALID, "order_not_cancellable"),
        (e.OrderNotChangeable, e.ErrorKind.INVALID, "order_not_changeable"),
        (e.ReservationInvalid, e.ErrorKind.INVALID, "reservation_invalid"),
        (e.NotEnoughTickets, e.ErrorKind.INVALID, "not_enough_tickets"),
        (e.TicketNotInEvent, e.ErrorKind.INVALID, "ticket_not_in_event"),
        (e.EventNotOnSale, e.ErrorKind.INVALID, "event_not_on_sale"),
        (e.SetNotOnSale, e.ErrorKind.INVALID, "set_not_on_sale"),
        (e.CatalogInvalid, e.ErrorKind.INVALID, "catalog_invalid"),
        (e.QueryInvalid, e.ErrorKind.INVALID, "query_invalid"),
    ],
)
def test_error_kind_and_code(cls: type[e.KassaError], kind: e.ErrorKind, code: str) -> None:
    error = cls("something is wrong", thing="t1", count=2)
    assert isinstance(error, e.KassaError)
    assert error.kind is kind
    assert error.code == code
    assert error.message == "something is wrong"
    assert str(error) == "something is wrong"
    assert error.details == {"thing": "t1", "count": 2}


def test_details_default_to_empty() -> None:
    assert e.KassaError("x").details == {}
