"""kassa.core.orders: status machine, order views, reservation requests and planning."""

import itertools
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kassa.core.errors import OrderNotChangeable, OrderStatusTransitionInvalid, ReservationInvalid
from kassa.core.orders import (
    MAX_TICKETS_PER_ORDER,
    OPEN,
    Flow,
    LineState,
    OrderLine,
    OrderStatus,
    ReservationDelta,
    ReservationRequest,
    ensure_details_changeable,
    ensure_reservation_allowed,
    ensure_transition,
    plan_reservation,
)
from kassa.core.pricing import SetValues
from tests.unit.builders import HOLD, T0, line, order

S = OrderStatus
D_ = Flow.DIRECT
P_ = Flow.PAYMENT_STEP

# --- status machine -------------------------------------------------------------------------

# Every transition a client may ask for. Everything else is forbidden.
ALLOWED = {
    (S.EXECUTED, S.IN_PROGRESS, P_),
    (S.EXECUTED, S.CANCELED, P_),
    (S.IN_PROGRESS, S.DONE, P_),
    (S.IN_PROGRESS, S.CANCELED, P_),
    (S.EXECUTED, S.DONE, D_),
    (S.EXECUTED, S.CANCELED, D_),
    (S.IN_PROGRESS, S.DONE, D_),
    (S.IN_PROGRESS, S.CANCELED, D_),
}
EVERY = list(itertools.product(list(S), list(S), list(Flow)))
FORBIDDEN = [case for case in EVERY if case not in ALLOWED]


def _id(case: tuple[OrderStatus, OrderStatus, Flow]) -> str:
    current, target, flow = case
    return f"{flow.value}:{current.value}->{target.value}"


def test_transition_table_is_complete() -> None:
    assert len(EVERY) == 50
    assert len(FORBIDDEN) == 42


@pytest.mark.parametrize("case", sorted(ALLOWED), ids=_id)
def test_allowed_transitions(case: tuple[OrderStatus, OrderStatus, Flow]) -> None:
    current, target, flow = case
    assert ensure_transition(current, target, flow) is None


@pytest.mark.parametrize("case", FORBIDDEN, ids=_id)
def test_forbidden_transitions(case: tuple[OrderStatus, OrderStatus, Flow]) -> None:
    current, target, flow = case
    with pytest.raises(OrderStatusTransitionInvalid) as info:
        ensure_transition(current, target, flow)
    assert info.value.code == "order_status_transition_invalid"


@pytest.mark.parametrize("current", list(S))
@pytest.mark.parametrize("flow", list(Flow))
@pytest.mark.parametrize("target", [S.EXPIRED, S.EXECUTED])
def test_expired_and_executed_are_never_set_by_hand(
    current: OrderStatus, target: OrderStatus, flow: Flow
) -> None:
    with pytest.raises(OrderStatusTransitionInvalid, match="cannot be set by hand"):
        ensure_transition(current, target, flow)


def test_payment_step_flow_cannot_skip_in_progress() -> None:
    with pytest.raises(OrderStatusTransitionInvalid) as info:
        ensure_transition(S.EXECUTED, S.DONE, Flow.PAYMENT_STEP)
    assert info.value.details == {"current": S.EXECUTED, "target": S.DONE}
    assert "Incorrect status executed" in info.value.message


def test_direct_flow_has_no_in_progress_step() -> None:
    with pytest.raises(OrderStatusTransitionInvalid) as info:
        ensure_transition(S.EXECUTED, S.IN_PROGRESS, Flow.DIRECT)
    assert info.value.details == {"current": S.EXECUTED, "target": S.IN_PROGRESS}


@pytest.mark.parametrize("current", [S.DONE, S.CANCELED, S.EXPIRED])
@pytest.mark.parametrize("target", [S.IN_PROGRESS, S.DONE, S.CANCELED])
@pytest.mark.parametrize("flow", list(Flow))
def test_final_statuses_go_nowhere(current: OrderStatus, target: OrderStatus, flow: Flow) -> None:
    with pytest.raises(OrderStatusTransitionInvalid, match=f"Incorrect status {current}"):
        ensure_transition(current, target, flow)


def test_open_statuses() -> None:
    assert frozenset({S.EXECUTED, S.IN_PROGRESS}) == OPEN


# --- Order views ----------------------------------------------------------------------------


def test_order_lines_by_state() -> None:
    active = line("t1", "set-a", 1, price="100")
    released = line("t2", "set-a", 2, state=LineState.RELEASED, price="100")
    canceled = line("t3", "set-b", 1, state=LineState.CANCELED, price="50", rule_id="rule-b2")
    o = order(lines=[active, released, canceled])
    assert o.active_lines == [active]
    assert o.listed_lines == [active, canceled]
    values = o.values
    assert str(values.full) == "150.00"
    assert values.sets == (
        SetValues("set-a", 1, Decimal("100.00"), Decimal("0.00"), Decimal("100.00")),
        SetValues("set-b", 1, Decimal("50.00"), Decimal("0.00"), Decimal("50.00")),
    )
    assert o.rules == {"set-a": "rule-set-a", "set-b": "rule-b2"}


def test_order_without_lines_has_zero_values() -> None:
    o = order()
    assert o.active_lines == []
    assert str(o.values.full) == "0.00"
    assert o.values.sets == ()
    assert o.rules == {}


@pytest.mark.parametrize(
    ("status", "offset", "due"),
    [
        (S.EXECUTED, -timedelta(microseconds=1), False),
        (S.EXECUTED, timedelta(0), True),  # the hold ends at reserved_till
        (S.EXECUTED, timedelta(minutes=1), True),
        (S.IN_PROGRESS, timedelta(0), True),
        (S.IN_PROGRESS, -timedelta(seconds=1), False),
        (S.DONE, timedelta(days=1), False),
        (S.CANCELED, timedelta(days=1), False),
        (S.EXPIRED, timedelta(days=1), False),
    ],
)
def test_order_is_due(status: OrderStatus, offset: timedelta, due: bool) -> None:
    o = order(status, reserved_till=T0 + HOLD)
    assert o.is_due(T0 + HOLD + offset) is due


# --- ReservationRequest ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tickets", "random"),
    [(("t1",), {"set-a": 1}), ((), {}), (("t1",), {}), ((), {"set-a": 0})],
)
def test_tickets_and_random_together_are_rejected(
    tickets: tuple[str, ...], random: dict[str, int]
) -> None:
    with pytest.raises(ReservationInvalid) as info:
        ReservationRequest(tickets=tickets, random=random)
    assert info.value.message == "Only one of tickets or random can be set"


def test_negative_count_is_rejected() -> None:
    with pytest.raises(ReservationInvalid, match="count for set set-b must not be negative"):
        ReservationRequest(random={"set-a": 1, "set-b": -1})


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"tickets": tuple(f"t{i}" for i in range(MAX_TICKETS_PER_ORDER))},
        {"random": {"set-a": MAX_TICKETS_PER_ORDER}},
        {"random": {"set-a": 250, "set-b": 250}},
        {"random": {"set-a": 0}},
        {"tickets": ()},
        {"random": {}},
    ],
)
def test_requests_up_to_the_maximum_are_accepted(request_kwargs: dict[str, object]) -> None:
    request = ReservationRequest(**request_kwargs)  # type: ignore[arg-type]
    assert not request.is_empty


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"tickets": tuple(f"t{i}" for i in range(MAX_TICKETS_PER_ORDER + 1))},
        {"random": {"set-a": MAX_TICKETS_PER_ORDER + 1}},
        {"random": {"set-a": 250, "set-b": 251}},  # the total across sets counts
    ],
)
def test_more_than_the_maximum_is_rejected(request_kwargs: dict[str, object]) -> None:
    with pytest.raises(ReservationInvalid, match="an order holds at most 500 tickets, 501 asked"):
        ReservationRequest(**request_kwargs)  # type: ignore[arg-type]


def test_max_tickets_per_order() -> None:
    assert MAX_TICKETS_PER_ORDER == 500


@pytest.mark.parametrize("tickets", [("t1", "t1"), ("t1", "t2", "t1"), ("a", "b", "c", "b")])
def test_duplicate_ticket_ids_are_rejected(tickets: tuple[str, ...]) -> None:
    with pytest.raises(ReservationInvalid, match="tickets must not repeat"):
        ReservationRequest(tickets=tickets)


def test_empty_request() -> None:
    request = ReservationRequest()
    assert request.is_empty
    assert request.all_or_nothing is False
    assert ReservationRequest(all_or_nothing=True).is_empty


def test_reservation_errors_are_invalid_kind() -> None:
    with pytest.raises(ReservationInvalid) as info:
        ReservationRequest(tickets=("t1", "t1"))
    assert info.value.code == "reservation_invalid"
    assert info.value.kind.value == "invalid"


# --- ReservationDelta -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("delta", "claims", "wanted"),
    [
        (ReservationDelta(), False, 0),
        (ReservationDelta(release=("t1", "t2")), False, 0),
        (ReservationDelta(claim_random={"set-a": 0, "set-b": 0}), False, 0),
        (ReservationDelta(claim_ids=("t1",)), True, 1),
        (ReservationDelta(claim_random={"set-a": 2, "set-b": 0}), True, 2),
        (ReservationDelta(claim_ids=("t1", "t2"), claim_random={"set-a": 3}), True, 5),
    ],
)
def test_delta_claims_and_wanted(delta: ReservationDelta, claims: bool, wanted: int) -> None:
    assert delta.claims_anything is claims
    assert delta.wanted == wanted


# --- plan_reservation: explicit tickets (the desired full list) -----------------------------


HELD = [line("t1", "set-a", 1), line("t2", "set-a", 2), line("t3", "set-b", 1)]


def test_plan_tickets_releases_missing_and_claims_new_in_request_order() -> None:
    delta = plan_reservation(HELD, ReservationRequest(tickets=("t5", "t2", "t4", "t3")))
    assert delta == ReservationDelta(release=("t1",), claim_ids=("t5", "t4"))
    assert delta.claim_random == {}


def test_plan_tickets_same_as_held_changes_nothing() -> None:
    delta = plan_reservation(HELD, ReservationRequest(tickets=("t3", "t1", "t2")))
    assert delta == ReservationDelta()
    assert not delta.claims_anything


def test_plan_tickets_empty_list_releases_everything_sorted() -> None:
    held = [line("t9", number=3), line("t1", number=1), line("t5", number=2)]
    delta = plan_reservation(held, ReservationRequest(tickets=()))
    assert delta == ReservationDelta(release=("t1", "t5", "t9"))


def test_plan_tickets_from_nothing_claims_all() -> None:
    delta = plan_reservation([], ReservationRequest(tickets=("b", "a")))
    assert delta == ReservationDelta(claim_ids=("b", "a"))


def test_plan_with_empty_request_changes_nothing() -> None:
    assert plan_reservation(HELD, ReservationRequest()) == ReservationDelta()


def test_plan_accepts_any_iterable_of_lines() -> None:
    delta = plan_reservation(iter(HELD), ReservationRequest(tickets=("t1",)))
    assert delta.release == ("t2", "t3")


# --- plan_reservation: random (desired totals per set) --------------------------------------


# ids deliberately not in number order: the highest numbers are the ones given back
RANDOM_HELD = [
    line("z-a1", "set-a", 1),
    line("b-a3", "set-a", 3),
    line("m-a2", "set-a", 2),
    line("c-b1", "set-b", 1),
    line("a-b2", "set-b", 2),
]


def test_plan_random_shrinking_keeps_lowest_numbers() -> None:
    delta = plan_reservation(RANDOM_HELD, ReservationRequest(random={"set-a": 1, "set-b": 2}))
    assert delta == ReservationDelta(release=("b-a3", "m-a2"))
    assert delta.claim_random == {}


def test_plan_random_growing_claims_the_difference() -> None:
    delta = plan_reservation(RANDOM_HELD, ReservationRequest(random={"set-a": 5, "set-b": 2}))
    assert delta == ReservationDelta(claim_random={"set-a": 2})


def test_plan_random_new_set_is_claimed() -> None:
    delta = plan_reservation(
        RANDOM_HELD, ReservationRequest(random={"set-a": 3, "set-b": 2, "set-c": 4})
    )
    assert delta == ReservationDelta(claim_random={"set-c": 4})


def test_plan_random_set_absent_from_request_drops_to_zero() -> None:
    delta = plan_reservation(RANDOM_HELD, ReservationRequest(random={"set-a": 3}))
    assert delta == ReservationDelta(release=("a-b2", "c-b1"))


def test_plan_random_empty_mapping_releases_everything() -> None:
    delta = plan_reservation(RANDOM_HELD, ReservationRequest(random={}))
    assert delta.release == ("a-b2", "b-a3", "c-b1", "m-a2", "z-a1")
    assert delta.claim_random == {}
    assert delta.claim_ids == ()


def test_plan_random_zero_for_unheld_set_claims_nothing() -> None:
    delta = plan_reservation([], ReservationRequest(random={"set-a": 0, "set-b": 2}))
    assert delta == ReservationDelta(claim_random={"set-b": 2})
    assert "set-a" not in delta.claim_random


def test_plan_random_mixed_grow_shrink_and_drop() -> None:
    delta = plan_reservation(RANDOM_HELD, ReservationRequest(random={"set-a": 4, "set-c": 1}))
    assert delta == ReservationDelta(
        release=("a-b2", "c-b1"), claim_random={"set-a": 1, "set-c": 1}
    )
    assert delta.wanted == 2


# --- plan_reservation: applying the plan gives exactly the desired state (properties) -------

SETS = ["set-a", "set-b", "set-c"]


@st.composite
def held_lines(draw: st.DrawFn) -> list[OrderLine]:
    """Distinct ticket ids; within a set, distinct numbers."""
    lines: list[OrderLine] = []
    for set_id in SETS:
        numbers = draw(st.lists(st.integers(1, 50), unique=True, max_size=8))
        lines.extend(line(f"{set_id}#{n}", set_id, n) for n in numbers)
    return draw(st.permutations(lines))


@given(held_lines(), st.dictionaries(st.sampled_from([*SETS, "set-d"]), st.integers(0, 12)))
def test_applying_random_plan_gives_desired_counts(
    held: list[OrderLine], desired: dict[str, int]
) -> None:
    delta = plan_reservation(held, ReservationRequest(random=desired))
    assert delta.claim_ids == ()
    assert list(delta.release) == sorted(delta.release)
    held_ids = {h.ticket_id for h in held}
    assert set(delta.release) <= held_ids
    assert len(set(delta.release)) == len(delta.release)
    assert all(count > 0 for count in delta.claim_random.values())

    kept = [h for h in held if h.ticket_id not in set(delta.release)]
    after = Counter(h.set_id for h in kept) + Counter(delta.claim_random)
    assert dict(after) == {s: n for s, n in desired.items() if n > 0}

    # a set only ever shrinks or grows, never both; shrinking keeps the lowest numbers
    for set_id in {h.set_id for h in held}:
        mine = sorted((h for h in held if h.set_id == set_id), key=lambda h: h.number)
        want = desired.get(set_id, 0)
        assert [h.ticket_id for h in kept if h.set_id == set_id] == [
            h.ticket_id for h in held if h in mine[:want]
        ]
        if set_id in delta.claim_random:
            assert not any(h.set_id == set_id for h in held if h.ticket_id in delta.release)


ticket_ids = st.sampled_from([f"t{i}" for i in range(20)])


@given(st.sets(ticket_ids, max_size=12), st.lists(ticket_ids, unique=True, max_size=12))
def test_applying_tickets_plan_gives_desired_tickets(held: set[str], desired: list[str]) -> None:
    lines = [line(t, "set-a", i) for i, t in enumerate(sorted(held))]
    delta = plan_reservation(lines, ReservationRequest(tickets=tuple(desired)))
    assert delta.claim_random == {}
    assert list(delta.release) == sorted(delta.release)
    assert set(delta.release) <= held
    assert not set(delta.claim_ids) & held
    assert (held - set(delta.release)) | set(delta.claim_ids) == set(desired)
    # claims come in the order they were asked for
    assert list(delta.claim_ids) == [t for t in desired if t not in held]
    assert delta.claims_anything is bool(set(desired) - held)


# --- ensure_reservation_allowed / ensure_details_changeable ---------------------------------

NOTHING = ReservationDelta()
RELEASE_ONLY = ReservationDelta(release=("t1",))
ZERO_RANDOM = ReservationDelta(release=("t1",), claim_random={"set-a": 0})
CLAIM_IDS = ReservationDelta(claim_ids=("t2",))
CLAIM_RANDOM = ReservationDelta(claim_random={"set-a": 1})
CLAIM_AND_RELEASE = ReservationDelta(release=("t1",), claim_ids=("t2",))
DELTAS = [NOTHING, RELEASE_ONLY, ZERO_RANDOM, CLAIM_IDS, CLAIM_RANDOM, CLAIM_AND_RELEASE]


@pytest.mark.parametrize("delta", DELTAS)
def test_executed_order_may_change_freely(delta: ReservationDelta) -> None:
    assert ensure_reservation_allowed(S.EXECUTED, delta) is None


@pytest.mark.parametrize("delta", [NOTHING, RELEASE_ONLY, ZERO_RANDOM])
def test_in_progress_order_may_drop_tickets(delta: ReservationDelta) -> None:
    assert ensure_reservation_allowed(S.IN_PROGRESS, delta) is None


@pytest.mark.parametrize("delta", [CLAIM_IDS, CLAIM_RANDOM, CLAIM_AND_RELEASE])
def test_in_progress_order_may_not_add_tickets(delta: ReservationDelta) -> None:
    with pytest.raises(OrderNotChangeable, match="tickets cannot be added") as info:
        ensure_reservation_allowed(S.IN_PROGRESS, delta)
    assert info.value.details == {"status": S.IN_PROGRESS}
    assert info.value.code == "order_not_changeable"


@pytest.mark.parametrize("status", [S.DONE, S.CANCELED, S.EXPIRED])
@pytest.mark.parametrize("delta", DELTAS)
def test_closed_order_reservation_never_changes(
    status: OrderStatus, delta: ReservationDelta
) -> None:
    with pytest.raises(OrderNotChangeable, match=f"Incorrect status {status}"):
        ensure_reservation_allowed(status, delta)


def test_executed_details_are_changeable() -> None:
    assert ensure_details_changeable(S.EXECUTED) is None


@pytest.mark.parametrize("status", [S.IN_PROGRESS, S.DONE, S.CANCELED, S.EXPIRED])
def test_details_are_frozen_after_executed(status: OrderStatus) -> None:
    with pytest.raises(
        OrderNotChangeable, match=f"Incorrect status {status} for this operation"
    ) as info:
        ensure_details_changeable(status)
    assert info.value.details == {"status": status}
