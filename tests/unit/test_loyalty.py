"""The loyalty calculation and ledgers as pure functions."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kassa.core.errors import LoyaltyInvalid
from kassa.core.loyalty import (
    Buyer,
    CartItem,
    Certificate,
    Checkout,
    Entry,
    LedgerEntry,
    Level,
    Program,
    PromoCode,
    bonus_balance,
    calculate,
    program_from,
    validate_cart,
    validate_identifier,
)
from kassa.core.money import allocate

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)
PROGRAM = Program(
    earn_percent=Decimal(5),
    spend_cap_percent=Decimal(30),
    levels=(Level("Gold", Decimal(0), Decimal(5)),),
    referee_discount_percent=Decimal(10),
    referrer_reward=Decimal(300),
)

amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("50000"), places=2)


@given(
    st.lists(st.decimals(min_value=0, max_value=Decimal("9999"), places=2), min_size=1, max_size=8),
    amounts,
)
def test_allocate_is_exact_and_capped(caps: list[Decimal], amount: Decimal) -> None:
    parts = allocate(amount, caps)
    assert sum(parts) == min(amount, sum(caps))
    assert all(Decimal(0) <= p <= c for p, c in zip(parts, caps, strict=True))


items = st.lists(
    st.builds(
        CartItem,
        product_id=st.text(alphabet="abcdefgh", min_size=1, max_size=3),
        price=amounts,
        quantity=st.integers(1, 5).map(Decimal),
        discountable=st.booleans(),
        bonusable=st.booleans(),
        rewardable=st.booleans(),
    ),
    min_size=1,
    max_size=6,
    unique_by=lambda i: i.product_id,
)


@settings(max_examples=200)
@given(
    items,
    st.decimals(min_value=0, max_value=Decimal(5000), places=0),
    st.booleans(),
    st.sampled_from(
        [None, PromoCode("FIX", "fix", Decimal(150)), PromoCode("PCT", "percent", Decimal(12))]
    ),
    st.one_of(st.none(), st.builds(lambda b: Certificate("c1", "GIFT", b), amounts)),
    st.booleans(),
)
def test_every_amount_adds_up(
    cart: list[CartItem],
    bonuses: Decimal,
    charge: bool,
    code: PromoCode | None,
    certificate: Certificate | None,
    referral: bool,
) -> None:
    buyer = Buyer("m1", "79990000001", bonuses, Decimal(0), referrer_id="m0" if referral else None)
    calc = calculate(
        PROGRAM,
        Checkout(
            items=tuple(cart),
            buyer=buyer,
            codes=(code,) if code else (),
            certificates=(certificate,) if certificate else (),
            referral=referral,
            charge_bonuses=charge,
        ),
    )
    for line in calc.lines:
        assert line.left >= 0
        parts = line.offers + line.promo + line.referral + line.level + line.bonuses
        assert parts + sum(line.certificates.values(), Decimal(0)) + line.left == line.item.total
        if not line.item.discountable:
            assert line.promo == line.referral == line.level == 0
        if not line.item.bonusable:
            assert line.bonuses == 0
        if not line.item.rewardable:
            assert line.reward == 0
    assert calc.bonuses_used <= bonuses
    assert calc.bonuses_used == (calc.max_bonuses if charge else 0)
    assert calc.order_to_pay == calc.order_total - (
        calc.total("offers")
        + calc.total("promo")
        + calc.total("referral")
        + calc.total("level")
        + calc.bonuses_used
        + calc.saved_by_certificates
    )
    if certificate:
        assert calc.certificate_used("c1") <= certificate.balance


def test_bonus_balance_is_fifo_by_expiry() -> None:
    soon, later = NOW + timedelta(days=10), NOW + timedelta(days=100)
    entries = [
        LedgerEntry(Decimal(100), Entry.EARN, NOW - timedelta(days=5), expires_at=soon),
        LedgerEntry(Decimal(100), Entry.EARN, NOW - timedelta(days=4), expires_at=later),
        LedgerEntry(Decimal(-150), Entry.SPEND, NOW - timedelta(days=3)),
    ]
    assert bonus_balance(entries, NOW) == 50
    # The soon lot was spent first, so its expiry takes nothing more.
    assert bonus_balance(entries, soon + timedelta(days=1)) == 50
    assert bonus_balance(entries, later + timedelta(days=1)) == 0


def test_a_revoked_reward_already_spent_leaves_a_debt_the_next_earning_pays() -> None:
    entries = [
        LedgerEntry(Decimal(50), Entry.EARN, NOW - timedelta(days=3)),
        LedgerEntry(Decimal(-50), Entry.SPEND, NOW - timedelta(days=2)),
        LedgerEntry(Decimal(-50), Entry.REVOKE, NOW - timedelta(days=1)),
    ]
    assert bonus_balance(entries, NOW) == -50
    entries.append(LedgerEntry(Decimal(80), Entry.EARN, NOW))
    assert bonus_balance(entries, NOW) == 30


@pytest.mark.parametrize(
    "bad", ["89990000001", "7999000000", "799900000011", "7999000000a", "", None]
)
def test_identifier(bad: str | None) -> None:
    with pytest.raises(LoyaltyInvalid, match="Identifier is not valid"):
        validate_identifier(bad)


def test_cart_rules() -> None:
    with pytest.raises(LoyaltyInvalid, match="Cart is empty"):
        validate_cart([])
    twice = [CartItem("a", Decimal(1), Decimal(1)), CartItem("a", Decimal(2), Decimal(1))]
    with pytest.raises(LoyaltyInvalid, match="Cart contains line items with the same product ID"):
        validate_cart(twice)
    with pytest.raises(LoyaltyInvalid):
        validate_cart([CartItem("a", Decimal(0), Decimal(1))])


def test_program_validation() -> None:
    assert program_from({}).earn_percent == 5
    for bad in (
        {"earn_percent": "101"},
        {"levels": [{"name": "x"}]},
        {"coupons": [{"min_order_total": "1", "kind": "gift", "value": "1", "valid_days": 1}]},
    ):
        with pytest.raises(LoyaltyInvalid):
            program_from(bad)
