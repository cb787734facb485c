"""The waiting list's rules, without I/O: who is offered what (first fit, in joining order,
exactly the quantity), places in line, and what an entry may be."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kassa.core.waitlist import (
    Entry,
    EntryStatus,
    WaitingListInvalid,
    match,
    normalized_email,
    positions,
    validate_quantity,
)

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def entry(
    n: int, quantity: int, set_id: str = "s1", status: EntryStatus = EntryStatus.WAITING
) -> Entry:
    return Entry(
        id=f"{n:024x}",
        org_id="o",
        event_id="e",
        set_id=set_id,
        vendor_id="o",
        email=f"p{n}@x.io",
        name=None,
        quantity=quantity,
        status=status,
        hold=timedelta(hours=2),
        created_at=T0 + timedelta(minutes=n),
        updated_at=T0,
    )


def test_the_first_entry_that_fits_is_offered_exactly_its_quantity() -> None:
    line = [entry(1, 3), entry(2, 1), entry(3, 2)]
    offers, left = match({"s1": ["t1", "t2"]}, line)
    assert [(e.id, tickets) for e, tickets in offers] == [(line[1].id, ("t1",))]
    assert left == {"s1": ["t2"]}  # one left: entry 3 wants two, entry 1 three


def test_enough_tickets_serve_the_line_in_joining_order_across_sets() -> None:
    line = [entry(2, 1), entry(1, 2), entry(3, 1, set_id="s2")]
    offers, left = match({"s1": ["a", "b", "c"], "s2": ["z"]}, line)
    assert [(e.id, tickets) for e, tickets in offers] == [
        (line[1].id, ("a", "b")),
        (line[0].id, ("c",)),
        (line[2].id, ("z",)),
    ]
    assert left == {}


def test_only_waiting_entries_are_offered() -> None:
    offered = entry(1, 1, status=EntryStatus.OFFERED)
    offers, left = match({"s1": ["a"]}, [offered])
    assert offers == [] and left == {"s1": ["a"]}


@given(
    free=st.integers(0, 12),
    wants=st.lists(st.integers(1, 4), max_size=10),
)
def test_every_free_ticket_is_offered_once_or_left_on_sale(free: int, wants: list[int]) -> None:
    tickets = [f"t{n:02d}" for n in range(free)]
    line = [entry(n, q) for n, q in enumerate(wants)]
    offers, left = match({"s1": tickets}, line)
    given_out = [t for _, ts in offers for t in ts]
    assert sorted(given_out + left.get("s1", [])) == tickets
    assert all(len(ts) == e.quantity for e, ts in offers)
    # Nobody skipped could have been served by what is left.
    served = {e.id for e, _ in offers}
    rest = len(left.get("s1", []))
    assert all(e.quantity > rest for e in line if e.id not in served)


def test_places_count_waiting_entries_only() -> None:
    line = [entry(1, 1, status=EntryStatus.OFFERED), entry(2, 1), entry(3, 2)]
    assert positions(line) == {line[1].id: 1, line[2].id: 2}


def test_an_entry_needs_an_address_and_a_sensible_quantity() -> None:
    assert normalized_email("  Ann@Example.COM ") == "ann@example.com"
    for bad in ("", "ann", "ann@", "@x.io", "ann@localhost", "a b@x.io"):
        with pytest.raises(WaitingListInvalid):
            normalized_email(bad)
    assert validate_quantity(20) == 20
    for bad in (0, 21, -1):
        with pytest.raises(WaitingListInvalid):
            validate_quantity(bad)


def test_an_offer_is_open_until_its_hold_runs_out() -> None:
    from dataclasses import replace

    offered = replace(
        entry(1, 1), status=EntryStatus.OFFERED, offer_expires_at=T0 + timedelta(hours=2)
    )
    assert offered.offer_open(T0 + timedelta(hours=1, minutes=59))
    assert not offered.offer_open(T0 + timedelta(hours=2))
    assert not entry(1, 1).offer_open(T0)
