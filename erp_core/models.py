"""Import every ERP table so Alembic and create_app see the schema (wms/models.py adds the floor's)."""

from .aftersales.models import AfterSalesCase, AfterSalesLine, AfterSalesReceipt
from .api.models import IdempotencyRecord
from .audit.models import AuditEvent
from .auth.models import ApiToken, User, user_warehouses
from .auth.sessions import UserSession
from .catalog.models import KitComponent, Sku, SkuBarcode
from .channels.models import Channel, ImportJob
from .customers.models import Customer, CustomerFeedback, CustomerMerge, CustomerMergeMove, CustomerNote, CustomerTag
from .finance.models import (
    Account,
    CostHistory,
    CostOfSale,
    CurrencyRate,
    FinancePeriod,
    JournalEntry,
    JournalLine,
    PlatformFee,
    ShipmentCharge,
    SkuCost,
    SupplierPayment,
)
from .finance.reconciliation.models import Statement, StatementLine
from .inventory.models import (
    Location,
    Lot,
    Quant,
    ReorderRule,
    StockMove,
    StockReservation,
    StockTransfer,
    StockTransferLine,
    Warehouse,
)
from .jobs.models import Job
from .orders.models import Order, OrderEvent, OrderLine
from .outbox import OutboxMessage
from .purchasing.models import (
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseReceipt,
    Supplier,
    SupplierContact,
    SupplierPriceChange,
    SupplierSku,
)
from .sequences import Counter
from .settings import Setting
from .webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription

__all__ = [
    "Account", "AfterSalesCase", "AfterSalesLine", "AfterSalesReceipt", "ApiToken", "AuditEvent", "Channel",
    "CostHistory", "CostOfSale", "Counter", "CurrencyRate", "Customer", "CustomerFeedback", "CustomerMerge",
    "CustomerMergeMove", "CustomerNote", "CustomerTag", "FinancePeriod", "IdempotencyRecord", "ImportJob",
    "Job", "JournalEntry", "JournalLine", "KitComponent", "Location", "Lot", "Order", "OrderEvent",
    "OrderLine", "OutboxMessage", "PlatformFee", "PurchaseOrder", "PurchaseOrderLine", "PurchaseReceipt",
    "Quant", "ReorderRule", "Setting", "ShipmentCharge", "Sku", "SkuBarcode", "SkuCost", "Statement",
    "StatementLine", "StockMove", "StockReservation", "StockTransfer", "StockTransferLine", "Supplier",
    "SupplierContact", "SupplierPayment", "SupplierPriceChange", "SupplierSku", "User", "UserSession",
    "Warehouse", "WebhookAttempt", "WebhookDelivery", "WebhookSubscription", "user_warehouses",
]
