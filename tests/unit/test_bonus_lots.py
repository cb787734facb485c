"""The bonus fold (`BonusLots`) against the plain definition of a FIFO-by-expiry balance, on
random ledgers: the same balance at every `now`, and the same when the fold stops at any point
in time, goes to JSON and back, and goes on with the later entries."""

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from kassa.core.loyalty import BonusLots, Entry, LedgerEntry, bonus_balance

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def reference(entries: list[LedgerEntry], now: datetime) -> Decimal:
    """The definition, spelt out: every lot in a list, each take sorts the lots live then."""
    lots: list[list[Any]] = []  # [expires_at or None, remaining]
    debt = Decimal(0)

    def take(amount: Decimal, at: datetime) -> Decimal:
        live = sorted(
            (lot for lot in lots if lot[1] > 0 and (lot[0] is None or lot[0] > at)),
            key=lambda lot: (lot[0] is None, lot[0] or at),
        )
        for lot in live:
            if amount <= 0:
                break
            taken = min(lot[1], amount)
            lot[1] -= taken
            amount -= taken
        return amount

    for item in sorted(entries, key=lambda e: e.at):
        if item.amount > 0:
            if item.expires_at is not None and item.expires_at <= item.at:
                continue
            lots.append([item.expires_at, item.amount])
            if debt > 0:
                debt = take(debt, item.at)
        elif item.amount < 0:
            debt = take(debt - item.amount, item.at)
    remaining = sum((lot[1] for lot in lots if lot[0] is None or lot[0] > now), Decimal(0))
    return remaining - debt


def ledger(rng: random.Random, n: int) -> list[LedgerEntry]:
    """Earnings (some never expiring, some expiring at the same moment, some already expired),
    spends, returns, revokes and adjustments, several at the same time."""
    found = []
    at = T0
    for _ in range(n):
        at += timedelta(hours=rng.choice([0, 0, 1, 5, 24, 24 * 30]))
        amount = Decimal(rng.randint(1, 300))
        kind = rng.random()
        if kind < 0.45:
            expires = rng.choice(
                [None, at + timedelta(days=rng.randint(-1, 400)), T0 + timedelta(days=90)]
            )
            found.append(LedgerEntry(amount, Entry.EARN, at, None, expires))
        elif kind < 0.8:
            found.append(LedgerEntry(-amount, Entry.SPEND, at))
        elif kind < 0.9:
            found.append(LedgerEntry(amount, Entry.RETURN, at))
        else:
            found.append(LedgerEntry(-amount, Entry.REVOKE, at))
    return found


@pytest.mark.parametrize("seed", range(200))
def test_the_fold_is_the_fifo_balance(seed: int) -> None:
    rng = random.Random(seed)
    entries = ledger(rng, rng.randint(0, 80))
    last = entries[-1].at if entries else T0
    for now in (T0, last, last + timedelta(days=100), last + timedelta(days=500)):
        assert bonus_balance(entries, now) == reference(entries, now)


@pytest.mark.parametrize("seed", range(200))
def test_a_fold_stopped_kept_and_gone_on_is_the_whole_fold(seed: int) -> None:
    rng = random.Random(seed)
    entries = ledger(rng, rng.randint(1, 80))
    upto = rng.choice(entries).at
    older = [e for e in entries if e.at <= upto]
    newer = [e for e in entries if e.at > upto]
    kept = BonusLots().folded(older).as_json(upto)
    for now in (upto, entries[-1].at, entries[-1].at + timedelta(days=100)):
        assert BonusLots.from_json(kept).folded(newer).balance(now) == reference(entries, now)


def test_the_kept_fold_drops_what_can_never_count_again() -> None:
    lots = BonusLots().folded(
        [
            LedgerEntry(Decimal(10), Entry.EARN, T0, None, T0 + timedelta(days=1)),
            LedgerEntry(Decimal(20), Entry.EARN, T0, None, None),
            LedgerEntry(Decimal(-20), Entry.SPEND, T0 + timedelta(hours=1)),
        ]
    )
    # The 10 expiring lot is taken first; 10 of the never-expiring 20 are left.
    kept = lots.as_json(T0 + timedelta(hours=1))
    assert [[e, Decimal(a)] for e, a in kept["lots"]] == [[None, 10]] and Decimal(kept["debt"]) == 0
    late = BonusLots().folded([LedgerEntry(Decimal(10), Entry.EARN, T0, None, T0)])
    assert late.as_json(T0)["lots"] == []  # expired as it was earned
    unspent = BonusLots().folded(
        [
            LedgerEntry(Decimal(10), Entry.EARN, T0, None, T0 + timedelta(days=1)),
            LedgerEntry(Decimal(5), Entry.EARN, T0, None, None),
        ]
    )
    assert unspent.as_json(T0 + timedelta(days=2))["lots"] == [[None, "5"]]  # 10 ran out


def test_lots_that_expire_together_are_kept_as_one() -> None:
    end = T0 + timedelta(days=30)
    lots = BonusLots().folded(
        [
            LedgerEntry(Decimal(10), Entry.EARN, T0, None, end),
            LedgerEntry(Decimal(7), Entry.EARN, T0 + timedelta(hours=1), None, None),
            LedgerEntry(Decimal(5), Entry.EARN, T0 + timedelta(hours=2), None, end),
            LedgerEntry(Decimal(3), Entry.EARN, T0 + timedelta(hours=3), None, None),
        ]
    )
    kept = lots.as_json(T0 + timedelta(hours=3))
    assert kept["lots"] == [[end.isoformat(), "15"], [None, "10"]]
    assert BonusLots.from_json(kept).balance(end) == 10
