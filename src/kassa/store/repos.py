"""All repositories of one unit of work, sharing its connection."""

from functools import cached_property

from kassa.store.accounts import AccountsRepo
from kassa.store.catalog import CatalogRepo
from kassa.store.console import ConsoleRepo
from kassa.store.delivery import DeliveryRepo
from kassa.store.eventcancel import EventCancellationsRepo
from kassa.store.idempotency import IdempotencyRepo
from kassa.store.journal import AuditRepo, OutboxRepo
from kassa.store.loyalty import LoyaltyRepo
from kassa.store.loyalty_certificates import CertificatesRepo
from kassa.store.loyalty_codes import LoyaltyCodesRepo
from kassa.store.operators import OperatorsRepo
from kassa.store.ops import OpsRepo
from kassa.store.orders import InventoryRepo, OrdersRepo
from kassa.store.policies import PoliciesRepo
from kassa.store.promocodes import PromoRepo
from kassa.store.refunds import RefundRepo
from kassa.store.tenants import TenantsRepo
from kassa.store.tx import Tx
from kassa.store.visitors import VisitorsRepo
from kassa.store.webhooks import WebhookRepo


class Repositories:
    """Every repository of one unit of work, made when first used: a command uses two or three
    of them, and making all of them was a few microseconds of every request."""

    def __init__(self, conn: Tx, *, is_sqlite: bool) -> None:
        self._tx_of_repos = conn
        self._sqlite_of_repos = is_sqlite

    @cached_property
    def tenants(self) -> TenantsRepo:
        return TenantsRepo(self._tx_of_repos)

    @cached_property
    def catalog(self) -> CatalogRepo:
        return CatalogRepo(self._tx_of_repos)

    @cached_property
    def orders(self) -> OrdersRepo:
        return OrdersRepo(self._tx_of_repos, is_sqlite=self._sqlite_of_repos)

    @cached_property
    def inventory(self) -> InventoryRepo:
        return InventoryRepo(self._tx_of_repos)

    @cached_property
    def audit(self) -> AuditRepo:
        return AuditRepo(self._tx_of_repos)

    @cached_property
    def outbox(self) -> OutboxRepo:
        return OutboxRepo(self._tx_of_repos, is_sqlite=self._sqlite_of_repos)

    @cached_property
    def promos(self) -> PromoRepo:
        return PromoRepo(self._tx_of_repos)

    @cached_property
    def refunds(self) -> RefundRepo:
        return RefundRepo(self._tx_of_repos)

    @cached_property
    def loyalty(self) -> LoyaltyRepo:
        return LoyaltyRepo(self._tx_of_repos)

    @cached_property
    def certificates(self) -> CertificatesRepo:
        return CertificatesRepo(self._tx_of_repos)

    @cached_property
    def loyalty_codes(self) -> LoyaltyCodesRepo:
        return LoyaltyCodesRepo(self._tx_of_repos, is_sqlite=self._sqlite_of_repos)

    @cached_property
    def delivery(self) -> DeliveryRepo:
        return DeliveryRepo(self._tx_of_repos)

    @cached_property
    def idempotency(self) -> IdempotencyRepo:
        return IdempotencyRepo(self._tx_of_repos)

    @cached_property
    def webhooks(self) -> WebhookRepo:
        return WebhookRepo(self._tx_of_repos, is_sqlite=self._sqlite_of_repos)

    @cached_property
    def operators(self) -> OperatorsRepo:
        return OperatorsRepo(self._tx_of_repos)

    @cached_property
    def console(self) -> ConsoleRepo:
        return ConsoleRepo(self._tx_of_repos, is_sqlite=self._sqlite_of_repos)

    @cached_property
    def ops(self) -> OpsRepo:
        return OpsRepo(self._tx_of_repos, is_sqlite=self._sqlite_of_repos)

    @cached_property
    def visitors(self) -> VisitorsRepo:
        return VisitorsRepo(self._tx_of_repos)

    @cached_property
    def accounts(self) -> AccountsRepo:
        return AccountsRepo(self._tx_of_repos)

    @cached_property
    def policies(self) -> PoliciesRepo:
        return PoliciesRepo(self._tx_of_repos)

    @cached_property
    def event_cancellations(self) -> EventCancellationsRepo:
        return EventCancellationsRepo(self._tx_of_repos)
