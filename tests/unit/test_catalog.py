"""kassa.core.catalog: price rule windows, rule precedence, sale and catalogue checks."""

import itertools
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kassa.core.catalog import (
    Event,
    EventStatus,
    PriceRule,
    TicketSet,
    validate_capacity,
    validate_lifetime,
    validate_price,
)
from kassa.core.errors import CatalogInvalid, ErrorKind, EventNotOnSale, SetNotOnSale

T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
US = timedelta(microseconds=1)
H = timedelta(hours=1)


def ticket_set(*rules: PriceRule) -> TicketSet:
    return TicketSet(
        id="set-a",
        event_id="event-1",
        name="Standard",
        price=Decimal("100.00"),
        capacity=10,
        serial="AAA",
        rules=rules,
    )


OPEN = PriceRule("open", "set-a", Decimal("100.00"))


# --- PriceRule.covers: [starts_at, ends_at) -------------------------------------------------


@pytest.mark.parametrize(
    ("starts_at", "ends_at", "now", "covered"),
    [
        (None, None, T0, True),
        (T0, T0 + H, T0 - US, False),  # just before the start
        (T0, T0 + H, T0, True),  # start is inclusive
        (T0, T0 + H, T0 + H - US, True),  # just before the end
        (T0, T0 + H, T0 + H, False),  # end is exclusive
        (T0, T0 + H, T0 + 2 * H, False),
        (T0, None, T0 - US, False),
        (T0, None, T0, True),
        (T0, None, T0 + 1000 * H, True),
        (None, T0, T0 - 1000 * H, True),
        (None, T0, T0 - US, True),
        (None, T0, T0, False),
    ],
)
def test_rule_covers_half_open_window(
    starts_at: datetime | None, ends_at: datetime | None, now: datetime, covered: bool
) -> None:
    rule = PriceRule("r", "set-a", Decimal("1"), starts_at, ends_at)
    assert rule.covers(now) is covered


def test_rule_covers_compares_instants_across_offsets() -> None:
    msk = timezone(timedelta(hours=3))
    rule = PriceRule("r", "set-a", Decimal("1"), T0, T0 + H)
    assert rule.covers(datetime(2030, 1, 1, 15, 0, tzinfo=msk))  # == T0
    assert not rule.covers(datetime(2030, 1, 1, 14, 59, tzinfo=msk))  # T0 - 1 min


@pytest.mark.parametrize(
    ("starts_at", "ends_at", "windowed"),
    [(None, None, False), (T0, None, True), (None, T0, True), (T0, T0 + H, True)],
)
def test_rule_is_windowed(
    starts_at: datetime | None, ends_at: datetime | None, windowed: bool
) -> None:
    assert PriceRule("r", "s", Decimal("1"), starts_at, ends_at).is_windowed is windowed


# --- TicketSet.rule_at ----------------------------------------------------------------------


def test_set_without_rules_is_not_on_sale() -> None:
    with pytest.raises(SetNotOnSale) as info:
        ticket_set().rule_at(T0)
    assert info.value.details == {"set": "set-a"}
    assert info.value.code == "set_not_on_sale"
    assert "set-a" in info.value.message


@pytest.mark.parametrize("now", [T0 - US, T0 + H, T0 + 2 * H])
def test_set_whose_only_window_does_not_cover_now_is_not_on_sale(now: datetime) -> None:
    rule = PriceRule("w", "set-a", Decimal("80"), T0, T0 + H)
    with pytest.raises(SetNotOnSale):
        ticket_set(rule).rule_at(now)


def test_open_rule_alone_is_always_in_force() -> None:
    ts = ticket_set(OPEN)
    for now in (T0 - 1000 * H, T0, T0 + 1000 * H):
        assert ts.rule_at(now) is OPEN


EARLY = PriceRule("early", "set-a", Decimal("80"), T0, T0 + 10 * H)
FLASH = PriceRule("flash", "set-a", Decimal("50"), T0 + 2 * H, T0 + 3 * H)
UNTIL = PriceRule("until", "set-a", Decimal("90"), None, T0 + 5 * H)


@pytest.mark.parametrize("rules", list(itertools.permutations([OPEN, EARLY, FLASH, UNTIL])))
@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (T0 - H, UNTIL),  # only the open rule and the end-only window cover: window wins
        (T0, EARLY),  # EARLY started later than UNTIL (whose start is open)
        (T0 + 2 * H - US, EARLY),
        (T0 + 2 * H, FLASH),  # latest start wins among overlapping windows
        (T0 + 3 * H - US, FLASH),
        (T0 + 3 * H, EARLY),  # FLASH is over: back to EARLY
        (T0 + 10 * H - US, EARLY),
        (T0 + 10 * H, OPEN),  # every window is over: the open rule
    ],
)
def test_rule_at_precedence_is_independent_of_declaration_order(
    rules: tuple[PriceRule, ...], now: datetime, expected: PriceRule
) -> None:
    assert ticket_set(*rules).rule_at(now) == expected


def test_windowed_rule_beats_open_rule_even_when_open_is_declared_last() -> None:
    window = PriceRule("w", "set-a", Decimal("120"), T0, T0 + H)
    ts = ticket_set(window, OPEN)
    assert ts.rule_at(T0).price == Decimal("120")
    assert ts.rule_at(T0 + H).price == Decimal("100.00")
    assert ts.rule_at(T0 - US).price == Decimal("100.00")


def test_windows_only_leave_gaps_not_on_sale() -> None:
    first = PriceRule("first", "set-a", Decimal("1"), T0, T0 + H)
    second = PriceRule("second", "set-a", Decimal("2"), T0 + 2 * H, T0 + 3 * H)
    ts = ticket_set(first, second)
    assert ts.rule_at(T0) is first
    assert ts.rule_at(T0 + 2 * H) is second
    with pytest.raises(SetNotOnSale):
        ts.rule_at(T0 + H)  # the gap between the windows


offsets = st.one_of(st.none(), st.integers(min_value=-6, max_value=6))


@st.composite
def rule_strategy(draw: st.DrawFn) -> PriceRule:
    start = draw(offsets)
    end = draw(offsets)
    if start is not None and end is not None:
        end = start + draw(st.integers(min_value=1, max_value=6))
    return PriceRule(
        f"r{draw(st.integers(0, 10**6))}",
        "set-a",
        Decimal(draw(st.integers(0, 1000))),
        T0 + start * H if start is not None else None,
        T0 + end * H if end is not None else None,
    )


@given(st.lists(rule_strategy(), max_size=6), st.integers(min_value=-8, max_value=8))
def test_rule_at_picks_the_highest_precedence_covering_rule(
    rules: list[PriceRule], hour: int
) -> None:
    now = T0 + hour * H
    covering = [r for r in rules if r.covers(now)]
    ts = ticket_set(*rules)
    if not covering:
        with pytest.raises(SetNotOnSale):
            ts.rule_at(now)
        return
    chosen = ts.rule_at(now)
    assert chosen in covering
    windowed = [r for r in covering if r.is_windowed]
    if windowed:
        assert chosen.is_windowed
        starts = [r.starts_at for r in windowed if r.starts_at is not None]
        if starts:
            assert chosen.starts_at == max(starts)
        else:
            assert chosen.starts_at is None
    else:
        assert not chosen.is_windowed


# --- Event.ensure_on_sale -------------------------------------------------------------------


def event(status: EventStatus = EventStatus.PUBLIC) -> Event:
    return Event(
        id="event-1",
        org_id="org-1",
        title="Concert",
        description=None,
        starts_at=T0,
        ends_at=T0 + 3 * H,
        timezone="UTC",
        status=status,
    )


@pytest.mark.parametrize("now", [T0 - 1000 * H, T0, T0 + 3 * H - US])
def test_public_event_is_on_sale_until_it_ends(now: datetime) -> None:
    assert event().ensure_on_sale(now) is None


@pytest.mark.parametrize("now", [T0 + 3 * H, T0 + 4 * H])
def test_event_is_not_on_sale_once_over(now: datetime) -> None:
    with pytest.raises(EventNotOnSale, match="is over") as info:
        event().ensure_on_sale(now)
    assert info.value.details == {"event": "event-1"}


@pytest.mark.parametrize("status", [EventStatus.DRAFT, EventStatus.CANCELLED, EventStatus.ARCHIVED])
def test_non_public_event_is_not_on_sale(status: EventStatus) -> None:
    with pytest.raises(EventNotOnSale, match="is not on sale") as info:
        event(status).ensure_on_sale(T0)
    assert info.value.code == "event_not_on_sale"
    assert info.value.details == {"event": "event-1"}


# --- validators -----------------------------------------------------------------------------


def test_validate_lifetime_accepts_aware_ordered_times() -> None:
    assert validate_lifetime(T0, T0 + US) is None
    msk = timezone(timedelta(hours=3))
    # 14:00+03:00 is 11:00Z, before 12:00Z
    assert validate_lifetime(datetime(2030, 1, 1, 14, 0, tzinfo=msk), T0) is None


@pytest.mark.parametrize(
    ("starts_at", "ends_at"),
    [
        (T0.replace(tzinfo=None), T0 + H),
        (T0, (T0 + H).replace(tzinfo=None)),
        (T0.replace(tzinfo=None), (T0 + H).replace(tzinfo=None)),
    ],
)
def test_validate_lifetime_rejects_naive_times(starts_at: datetime, ends_at: datetime) -> None:
    with pytest.raises(CatalogInvalid, match="timezone"):
        validate_lifetime(starts_at, ends_at)


@pytest.mark.parametrize(
    ("starts_at", "ends_at"),
    [
        (T0, T0),
        (T0 + H, T0),
        # the same instant written with another offset
        (T0, datetime(2030, 1, 1, 15, 0, tzinfo=timezone(timedelta(hours=3)))),
    ],
)
def test_validate_lifetime_rejects_empty_or_reversed(
    starts_at: datetime, ends_at: datetime
) -> None:
    with pytest.raises(CatalogInvalid, match="start must be before finish"):
        validate_lifetime(starts_at, ends_at)


@pytest.mark.parametrize("price", ["0", "0.00", "0.01", "9999999999.99"])
def test_validate_price_accepts_non_negative(price: str) -> None:
    assert validate_price(Decimal(price)) is None


@pytest.mark.parametrize("price", ["-0.01", "-100"])
def test_validate_price_rejects_negative(price: str) -> None:
    with pytest.raises(CatalogInvalid, match="must not be negative") as info:
        validate_price(Decimal(price))
    assert info.value.kind is ErrorKind.INVALID
    assert info.value.code == "catalog_invalid"


@pytest.mark.parametrize(
    ("capacity", "held"), [(0, 0), (1, 0), (100_000, 0), (5, 5), (5, 4), (100_000, 100_000)]
)
def test_validate_capacity_accepts(capacity: int, held: int) -> None:
    assert validate_capacity(capacity, sold_or_held=held) is None


@pytest.mark.parametrize("capacity", [-1, 100_001, 10**9])
def test_validate_capacity_rejects_out_of_range(capacity: int) -> None:
    with pytest.raises(CatalogInvalid, match="between 0 and 100000"):
        validate_capacity(capacity)


def test_validate_capacity_rejects_below_held_tickets() -> None:
    with pytest.raises(CatalogInvalid, match="capacity 4 is below the 5 tickets"):
        validate_capacity(4, sold_or_held=5)
