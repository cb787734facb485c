"""What the engine asks of a kind of order: find it, plan its cancel, apply the plan, record.

Adding a kind of order means implementing this protocol once and registering it in
`kassa.app.cancellation.engine.KINDS`; no face or console changes.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from kassa.core.cancellation import Basis, OrderKind, Plan, Policy
from kassa.core.tenancy import Principal
from kassa.store.db import UnitOfWork

SYSTEM = "system"


@dataclass(frozen=True)
class Part:
    """What to cancel: nothing named is the whole order; else some tickets of a ticket order,
    or quantities of the lines (menu item or product ids) of a delivery or loyalty order."""

    tickets: tuple[str, ...] = ()
    items: Mapping[str, Decimal] = field(default_factory=dict)
    # A whole cancel of a sold ticket order refunds every ticket; a partner's status change
    # to `canceled` may only end an open order (a done one is a 400 on its wire).
    refund_sold: bool = True

    @property
    def whole(self) -> bool:
        return not self.tickets and not self.items


WHOLE = Part()
WHOLE_OPEN = Part(refund_sold=False)  # the ticketing faces' `canceled`: open orders only


class Kind(Protocol):
    """One kind of order, as the cancellation engine sees it."""

    kind: OrderKind

    async def find(
        self,
        uow: UnitOfWork,
        who: Principal | None,
        order_id: str,
        *,
        lock: bool,
        policy: bool = False,
    ) -> Any | None:
        """The order the caller may see (`who` None: Kassa itself), locked for change when
        `lock`; None when it is not an order of this kind for this caller. `policy`: the
        caller will ask for `basis` next, which a kind may read with the order."""

    async def refs(self, uow: UnitOfWork, who: Principal, ref: str) -> list[str]:
        """Kassa's ids of the orders of this kind the caller sees whose face's own id is
        `ref` (a ticket order's number, an aggregator's eatsId, a shop's order_id)."""

    def due(self, order: Any, now: datetime) -> bool:
        """True when the order's hold ran out: it is expired instead of cancelled."""

    async def plan(
        self, uow: UnitOfWork, order: Any, part: Part, now: datetime, *, expire: bool = False
    ) -> Plan:
        """The plan (raises when the order or the part cannot be cancelled)."""

    async def basis(self, uow: UnitOfWork, order: Any, plan: Plan) -> tuple[Policy | None, Basis]:
        """The policy of the order's owner (event, restaurant, shop; None: none set) and what
        its fee is computed from: paid or not, the money back, the deadline's anchor."""

    async def apply(
        self, uow: UnitOfWork, order: Any, plan: Plan, actor: str, now: datetime
    ) -> Any:
        """Apply the whole plan in the caller's transaction; returns the order as it is now."""

    async def record(
        self,
        uow: UnitOfWork,
        order: Any,
        plan: Plan,
        actor: str,
        now: datetime,
        details: dict[str, Any],
    ) -> None:
        """The timeline entry (with `details`) and the webhook, in the same transaction."""
