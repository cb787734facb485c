"""One vocabulary for the console: every status, state, step and reason of every face has a
human label, and one thing has one word whichever face spells it."""

from kassa.core import words
from kassa.core.cancellation.reasons import LABELS
from kassa.core.catalog import EventStatus
from kassa.core.console import STAGES
from kassa.core.delivery import Status
from kassa.core.loyalty import Entry, LoyaltyStatus
from kassa.core.orders import LineState, OrderStatus


def test_every_status_of_every_face_has_a_word() -> None:
    for status in [*OrderStatus, *Status, *LoyaltyStatus, "cancelled"]:
        label = words.status_label(status.value if hasattr(status, "value") else status)
        assert label and label != status and "_" not in label, status
    for event_status in EventStatus:
        assert words.EVENTS[event_status.value][0].isupper()
    for entry in Entry:
        assert words.entry_label(entry.value) != entry.value


def test_cancelled_reads_the_same_in_every_face() -> None:
    spellings = ("canceled", "cancelled", "CANCELLED")
    assert {words.status_label(s) for s in spellings} == {"Cancelled"}
    assert {words.status_tone(s) for s in spellings} == {"cancelled"}
    assert words.status_label("executed") == words.status_label("created") == "Reserved"
    assert words.status_label("done") == words.status_label("fulfilled") == "Paid"
    assert {words.action_label(a) for a in ("order.canceled", "delivery.cancelled")} == {
        "Cancelled"
    }


def test_every_stage_and_face_of_the_orders_list_has_a_word() -> None:
    assert set(words.STAGE) == set(STAGES)
    assert set(words.FACES) == {face for stage in STAGES.values() for face in stage}


def test_a_ticket_is_reserved_until_its_order_is_paid() -> None:
    assert words.ticket_state(LineState.ACTIVE.value, "executed") == "Reserved"
    assert words.ticket_state(LineState.ACTIVE.value, "in_progress") == "Reserved"
    assert words.ticket_state(LineState.ACTIVE.value, "done") == "Sold"
    assert words.ticket_state(LineState.CANCELED.value, "canceled") == "Cancelled"
    assert words.ticket_state(LineState.REFUNDED.value, "done") == "Refunded"


def test_reason_labels_are_words_not_codes() -> None:
    for code, label in LABELS.items():
        assert "_" not in label and label[0].isupper(), code


def test_an_unknown_code_reads_as_itself() -> None:
    assert words.status_label("weird") == "weird"
    assert words.action_label("x.y") == "x.y"
    assert words.account_label("sticker", "coffee") == "Stickers “coffee”"
