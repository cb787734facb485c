"""The uses of promo codes without a limit, counted on a few rows per code instead of one. On
the one `metadata` of `kassa.store.tables`.

Every order that takes or gives back such a code changes its count. On the code's own row
(`promocodes.used`) those changes queue on one row lock, held until each order's commit: with
one popular code, every PATCH and cancel waited its turn (BENCHMARKS.md, fourth pass). Here a
use is counted on one of `SHARDS` rows chosen at random, a give-back too (a row's `n` may go
below zero); a code's uses are `promocodes.used` plus the sum of its rows. A code with a limit
is still counted on its own row by one conditional UPDATE, so its last use goes to one order.

No foreign key to `promocodes`: its check would lock the code's row again (FOR KEY SHARE).
"""

from sqlalchemy import Column, Integer, SmallInteger, Table

from kassa.store.tables import Id, metadata

SHARDS = 16

promocode_uses = Table(
    "promocode_uses",
    metadata,
    Column("promo_id", Id, primary_key=True),
    Column("shard", SmallInteger, primary_key=True, autoincrement=False),
    Column("n", Integer, nullable=False),
)
