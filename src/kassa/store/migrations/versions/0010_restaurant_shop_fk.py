"""restaurants.shop_id references loyalty_shops

Revision ID: 0010_restaurant_shop_fk
Revises: 0009_operators
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_restaurant_shop_fk"
down_revision: str | Sequence[str] | None = "0009_operators"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FK = "fk_restaurants_shop_id_loyalty_shops"


def upgrade() -> None:
    # Before the key existed a restaurant could name any shop id: one that never existed, or
    # another organisation's (its delivered orders then paid bonuses in that tenant's shop).
    # Neither is a link the organisation may keep, and the key cannot be added over them:
    # the restaurant is detached from the shop (its orders simply stop earning).
    restaurants = sa.table("restaurants", sa.column("org_id"), sa.column("shop_id"))
    shops = sa.table("loyalty_shops", sa.column("id"), sa.column("org_id"))
    own_shop = (
        sa.select(shops.c.id)
        .where(shops.c.id == restaurants.c.shop_id, shops.c.org_id == restaurants.c.org_id)
        .exists()
    )
    op.execute(
        restaurants.update()
        .where(restaurants.c.shop_id.is_not(None), ~own_shop)
        .values(shop_id=None)
    )
    with op.batch_alter_table("restaurants") as batch:
        batch.create_foreign_key(FK, "loyalty_shops", ["shop_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("restaurants") as batch:
        batch.drop_constraint(FK, type_="foreignkey")
