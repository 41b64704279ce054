"""Import every table, the ERP core's and the warehouse floor's, so Alembic sees the whole schema."""

from erp_core.models import *  # noqa: F403  (the ERP core's tables)

from .locations.models import (  # noqa: F401
    Asn,
    AsnLine,
    CountLine,
    CountTask,
    PickFace,
    PutawayTask,
    ReplenishmentTask,
    WarehouseLayout,
)
from .picking.models import PickList, PickTask, Wave, WaveOrder  # noqa: F401, E402
from .shipping.models import (  # noqa: F401, E402
    BoxType,
    Carrier,
    CarrierRule,
    LabelTemplate,
    Manifest,
    Package,
    Printer,
    PrintJob,
    Shipment,
    ShipmentLine,
    ShippingException,
    TrackingEvent,
    TrackingNumber,
)
from .shipping.pack_models import PackProgress  # noqa: F401, E402
