"""All repositories of one unit of work, sharing its connection."""

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
    def __init__(self, conn: Tx, *, is_sqlite: bool) -> None:
        self.tenants = TenantsRepo(conn)
        self.catalog = CatalogRepo(conn)
        self.orders = OrdersRepo(conn, is_sqlite=is_sqlite)
        self.inventory = InventoryRepo(conn)
        self.audit = AuditRepo(conn)
        self.outbox = OutboxRepo(conn, is_sqlite=is_sqlite)
        self.promos = PromoRepo(conn)
        self.refunds = RefundRepo(conn)
        self.loyalty = LoyaltyRepo(conn)
        self.certificates = CertificatesRepo(conn)
        self.loyalty_codes = LoyaltyCodesRepo(conn, is_sqlite=is_sqlite)
        self.delivery = DeliveryRepo(conn)
        self.idempotency = IdempotencyRepo(conn)
        self.webhooks = WebhookRepo(conn, is_sqlite=is_sqlite)
        self.operators = OperatorsRepo(conn)
        self.console = ConsoleRepo(conn, is_sqlite=is_sqlite)
        self.ops = OpsRepo(conn, is_sqlite=is_sqlite)
        self.visitors = VisitorsRepo(conn)
        self.accounts = AccountsRepo(conn)
        self.policies = PoliciesRepo(conn)
        self.event_cancellations = EventCancellationsRepo(conn)
