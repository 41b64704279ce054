"""The shipping desk's tables: box types, carriers and their number pools and rules, shipments with
packages and packed lines, handover manifests, printers and print jobs, tracking events, exceptions.

Each aggregate with a life declares its transition table here (applied by
erp_core.statemachine.compare_and_set): shipments, manifests, print jobs and exceptions.
"""

from __future__ import annotations

from datetime import datetime, time
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, Numeric, String, Text, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from erp_core.extensions import db
from erp_core.models_base import UTCDateTime, utcnow


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


CARRIER_KINDS = ("pool", "manual", "api")
LABEL_FORMATS = ("100x150", "76x130", "100x180")
SHIPMENT_STATUSES = ("packed", "manifested", "shipped", "cancelled")
MANIFEST_STATUSES = ("open", "closed", "cancelled")
NUMBER_STATUSES = ("free", "used", "void")
PRINTER_KINDS = ("tcp9100", "cups", "browser")
PRINT_JOB_STATUSES = ("queued", "printing", "done", "failed", "cancelled")
EXCEPTION_KINDS = ("short_pick", "intercept", "weight", "missing_item", "damaged", "tracking", "other")
EXCEPTION_STATUSES = ("open", "resolved")

SHIPMENT_TRANSITIONS = {
    "packed": frozenset({"manifested", "shipped", "cancelled"}),
    "manifested": frozenset({"packed", "shipped", "cancelled"}),  # back to packed: taken off a handover
    "shipped": frozenset(),
    "cancelled": frozenset(),
}
MANIFEST_TRANSITIONS = {"open": frozenset({"closed", "cancelled"}), "closed": frozenset(), "cancelled": frozenset()}
PRINT_JOB_TRANSITIONS = {
    "queued": frozenset({"printing", "cancelled"}),
    "printing": frozenset({"done", "failed", "queued"}),
    "failed": frozenset({"queued", "cancelled"}),
    "done": frozenset({"queued"}),  # a reprint queues the job again
    "cancelled": frozenset(),
}
EXCEPTION_TRANSITIONS = {"open": frozenset({"resolved"}), "resolved": frozenset()}


class BoxType(db.Model):
    """A carton the desk packs into (纸箱): inner size, tare and cost."""

    __tablename__ = "box_types"
    __table_args__ = (
        CheckConstraint("inner_length_mm > 0 AND inner_width_mm > 0 AND inner_height_mm > 0", name="size_positive"),
        CheckConstraint("tare_g >= 0 AND cost >= 0", name="tare_cost_sane"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    name_zh: Mapped[str] = mapped_column(String(80), default="")
    inner_length_mm: Mapped[int] = mapped_column()
    inner_width_mm: Mapped[int] = mapped_column()
    inner_height_mm: Mapped[int] = mapped_column()
    tare_g: Mapped[int] = mapped_column(default=0)
    max_weight_g: Mapped[int | None] = mapped_column()
    cost: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal("0"))
    active: Mapped[bool] = mapped_column(default=True)


class Carrier(db.Model):
    """A carrier (快递公司) and how its tracking numbers come: from an imported pool, typed by hand,
    or from an API adapter (a platform e-waybill service or the carrier's own)."""

    __tablename__ = "carriers"
    __table_args__ = (
        CheckConstraint(_in("kind", CARRIER_KINDS), name="kind_known"),
        CheckConstraint(_in("label_format", LABEL_FORMATS), name="label_format_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)  # e.g. SF, ZTO, YTO, JD, EMS
    name: Mapped[str] = mapped_column(String(80))
    name_zh: Mapped[str] = mapped_column(String(80), default="")
    kind: Mapped[str] = mapped_column(String(10), default="pool")
    adapter: Mapped[str] = mapped_column(String(30), default="")  # the adapter name for kind "api"
    check_rule: Mapped[str] = mapped_column(String(20), default="")  # the number pool's check-digit rule
    label_format: Mapped[str] = mapped_column(String(10), default="100x150")
    api_url: Mapped[str] = mapped_column(String(300), default="")
    api_key: Mapped[str] = mapped_column(String(300), default="")
    # {"default": [[max_g, "price"], ...], "<province>": [...]}: the price of a parcel by weight.
    cost_table: Mapped[str] = mapped_column(Text, default="{}")
    tracking_stale_hours: Mapped[int] = mapped_column(default=72)
    # The last collection of the day (local time, WMS_DISPLAY_TIMEZONE): what the wave board's
    # projected finish is held against (migration 0027).
    cutoff_time: Mapped[time | None] = mapped_column(Time)
    active: Mapped[bool] = mapped_column(default=True)

    def display_name(self, locale: str) -> str:
        return self.name_zh if locale.startswith("zh") and self.name_zh else self.name


class TrackingNumber(db.Model):
    """A tracking number the carrier issued into a pool; handed out once (free -> used)."""

    __tablename__ = "tracking_numbers"
    __table_args__ = (
        UniqueConstraint("carrier_id", "number", name="uq_tracking_numbers_carrier_number"),
        CheckConstraint(_in("status", NUMBER_STATUSES), name="status_known"),
        Index("ix_tracking_numbers_carrier_status", "carrier_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    carrier_id: Mapped[int] = mapped_column(ForeignKey("carriers.id"))
    number: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(8), default="free")
    package_id: Mapped[int | None] = mapped_column(ForeignKey("packages.id"))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CarrierRule(db.Model):
    """One carrier-choice rule (lowest priority number first): the first that matches an order wins."""

    __tablename__ = "carrier_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    priority: Mapped[int] = mapped_column(default=100)
    carrier_id: Mapped[int] = mapped_column(ForeignKey("carriers.id", ondelete="CASCADE"))
    warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("warehouses.id"))
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channels.id"))
    provinces: Mapped[str] = mapped_column(String(500), default="")  # comma-separated; empty = any
    min_weight_g: Mapped[int | None] = mapped_column()
    max_weight_g: Mapped[int | None] = mapped_column()
    active: Mapped[bool] = mapped_column(default=True)

    carrier = relationship("Carrier")


class Shipment(db.Model):
    """What left (or will leave) for one order: its packages, carrier and tracking number (运单号)."""

    __tablename__ = "shipments"
    __table_args__ = (CheckConstraint(_in("status", SHIPMENT_STATUSES), name="status_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), index=True)
    station_location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))  # the packing bin
    carrier_id: Mapped[int | None] = mapped_column(ForeignKey("carriers.id"), index=True)
    tracking_number: Mapped[str] = mapped_column(String(40), default="", index=True)
    carrier_note: Mapped[str] = mapped_column(String(300), default="")  # why this carrier (the rules' result)
    routing_code: Mapped[str] = mapped_column(String(40), default="")  # 大头笔 / 三段码
    hub_code: Mapped[str] = mapped_column(String(20), default="")  # 集包地
    status: Mapped[str] = mapped_column(String(12), default="packed")
    expected_weight_g: Mapped[int] = mapped_column(default=0)
    measured_weight_g: Mapped[int] = mapped_column(default=0)
    shipping_cost: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal("0"))
    manifest_id: Mapped[int | None] = mapped_column(ForeignKey("manifests.id"), index=True)
    packed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    order = relationship("Order")
    carrier = relationship("Carrier")
    station = relationship("Location")
    packages = relationship("Package", back_populates="shipment", cascade="all, delete-orphan",
                            order_by="Package.sequence")
    lines = relationship("ShipmentLine", back_populates="shipment", cascade="all, delete-orphan",
                         order_by="ShipmentLine.id")
    events = relationship("TrackingEvent", back_populates="shipment", order_by="TrackingEvent.occurred_at")


class Package(db.Model):
    """One parcel of a shipment (多包裹): its box, weight and (for the second and later) its own number."""

    __tablename__ = "packages"
    __table_args__ = (
        UniqueConstraint("shipment_id", "sequence", name="uq_packages_shipment_sequence"),
        CheckConstraint("weight_g >= 0", name="weight_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"), index=True)
    sequence: Mapped[int] = mapped_column(default=1)
    box_type_id: Mapped[int | None] = mapped_column(ForeignKey("box_types.id"))
    weight_g: Mapped[int] = mapped_column(default=0)
    tracking_number: Mapped[str] = mapped_column(String(40), default="")

    shipment = relationship("Shipment", back_populates="packages")
    box_type = relationship("BoxType")


class ShipmentLine(db.Model):
    """Units of an order line (and lot) packed into a package."""

    __tablename__ = "shipment_lines"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"), index=True)
    package_id: Mapped[int] = mapped_column(ForeignKey("packages.id", ondelete="CASCADE"))
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"))
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"), index=True)
    quantity: Mapped[int] = mapped_column()

    shipment = relationship("Shipment", back_populates="lines")
    package = relationship("Package")
    sku = relationship("Sku")
    lot = relationship("Lot")


class Manifest(db.Model):
    """An end-of-day handover (交接单) of parcels to one carrier's courier."""

    __tablename__ = "manifests"
    __table_args__ = (CheckConstraint(_in("status", MANIFEST_STATUSES), name="status_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    carrier_id: Mapped[int] = mapped_column(ForeignKey("carriers.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    status: Mapped[str] = mapped_column(String(10), default="open")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    courier_name: Mapped[str] = mapped_column(String(80), default="")  # who signed for it (migration 0012)

    carrier = relationship("Carrier")
    shipments = relationship("Shipment", order_by="Shipment.id")


class Printer(db.Model):
    """A printer at a station: raw TCP 9100 (ZPL), a CUPS queue (lp), or the browser (PDF download)."""

    __tablename__ = "printers"
    __table_args__ = (
        CheckConstraint(_in("kind", PRINTER_KINDS), name="kind_known"),
        CheckConstraint("dpi IN (203, 300)", name="dpi_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    station_location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))
    name: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(10), default="browser")
    address: Mapped[str] = mapped_column(String(200), default="")  # host:port or the CUPS queue name
    language: Mapped[str] = mapped_column(String(4), default="pdf")  # zpl | pdf
    dpi: Mapped[int] = mapped_column(default=203)
    label_format: Mapped[str] = mapped_column(String(10), default="100x150")
    active: Mapped[bool] = mapped_column(default=True)


class PrintJob(db.Model):
    """A document sent (or to be sent) to a printer; kept for status, retry and reprint."""

    __tablename__ = "print_jobs"
    __table_args__ = (CheckConstraint(_in("status", PRINT_JOB_STATUSES), name="status_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    printer_id: Mapped[int] = mapped_column(ForeignKey("printers.id"), index=True)
    document: Mapped[str] = mapped_column(String(30))  # waybill, packing_slip, manifest, sscc, wave_waybills
    reference: Mapped[str] = mapped_column(String(80), default="")  # shipment / wave / manifest reference
    content_type: Mapped[str] = mapped_column(String(40), default="application/pdf")
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    printer = relationship("Printer")


class TrackingEvent(db.Model):
    """One scan of a parcel's journey as the carrier reports it (订单跟踪)."""

    __tablename__ = "tracking_events"
    __table_args__ = (UniqueConstraint("shipment_id", "external_id", name="uq_tracking_events_shipment_external"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"), index=True)
    external_id: Mapped[str] = mapped_column(String(80))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    code: Mapped[str] = mapped_column(String(20))  # picked_up, in_transit, delivering, delivered, returned, refused
    description: Mapped[str] = mapped_column(String(300), default="")
    location: Mapped[str] = mapped_column(String(120), default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    shipment = relationship("Shipment", back_populates="events")


class ShippingException(db.Model):
    """An order that needs the office (异常): short pick, interception, pack discrepancy, tracking."""

    __tablename__ = "shipping_exceptions"
    __table_args__ = (
        CheckConstraint(_in("kind", EXCEPTION_KINDS), name="kind_known"),
        CheckConstraint(_in("status", EXCEPTION_STATUSES), name="status_known"),
        Index("ix_shipping_exceptions_status_kind", "status", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    shipment_id: Mapped[int | None] = mapped_column(ForeignKey("shipments.id"))
    warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("warehouses.id"))
    status: Mapped[str] = mapped_column(String(10), default="open")
    details: Mapped[str] = mapped_column(Text, default="{}")  # JSON: what was seen (expected/measured, ...)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolution: Mapped[str] = mapped_column(String(300), default="")
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    order = relationship("Order")
    shipment = relationship("Shipment")


class LabelTemplate(db.Model):
    """An admin's edited copy of a label template (label_templates/<name>); the file is the default."""

    __tablename__ = "label_template_overrides"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    body: Mapped[str] = mapped_column(Text)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
