"""Import every table so Alembic and create_app see the whole schema."""

from .api.models import IdempotencyRecord
from .auth.models import ApiToken, User, user_warehouses
from .catalog.models import Sku, SkuBarcode
from .channels.models import Channel
from .customers.models import Customer
from .inventory.models import Location, Quant, StockMove, Warehouse
from .orders.models import Order, OrderEvent, OrderLine

__all__ = [
    "ApiToken", "Channel", "Customer", "IdempotencyRecord", "Location", "Order", "OrderEvent", "OrderLine",
    "Quant", "Sku", "SkuBarcode", "StockMove", "User", "Warehouse", "user_warehouses",
]
