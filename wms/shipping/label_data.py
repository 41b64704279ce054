"""What a waybill, a packing slip and a pallet label print, as plain data read from the shipping tables.

The templates (HTML for PDF, ZPL for thermal printers) see only these dataclasses, never the ORM,
so the preview can feed them a sample shipment and a benchmark can feed them thousands.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from sqlalchemy import select

from erp_core.extensions import db
from erp_core.inventory.models import Warehouse

from .models import Shipment

SUMMARY_CHARS = 60  # the item summary line of a waybill: the slip has the full list


@dataclass(frozen=True)
class Party:
    """A sender or a recipient as the waybill prints them."""

    name: str
    phone: str = ""
    address: str = ""


@dataclass(frozen=True)
class SlipLine:
    """One line of a packing slip: SKU, name, units and the lot they came from."""

    sku: str
    name: str
    quantity: int
    lot: str = ""


@dataclass(frozen=True)
class WaybillData:
    """One parcel's label (面单): its own tracking number, the routing blocks, sender, recipient, items."""

    reference: str
    tracking_number: str
    carrier_code: str
    carrier_name: str
    label_format: str
    routing_code: str
    hub_code: str
    order_number: str
    sender: Party
    recipient: Party
    lines: tuple[SlipLine, ...] = field(default_factory=tuple)
    weight_g: int = 0
    package_no: int = 1
    package_count: int = 1
    created: str = ""

    @property
    def item_summary(self) -> str:
        return item_summary(self.lines)


def mask_phone(phone: str) -> str:
    """A phone as waybills print it since the privacy rules: 13800138000 -> 138****8000."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    if len(digits) >= 11:
        return f"{digits[:3]}****{digits[-4:]}"
    if len(digits) >= 7:
        return f"{digits[:2]}***{digits[-2:]}"
    return "*" * len(digits) if digits else ""


def item_summary(lines: tuple[SlipLine, ...] | list[SlipLine], limit: int = SUMMARY_CHARS) -> str:
    """"SKU×qty" of every line, cut with an ellipsis at ``limit`` characters."""
    text = ", ".join(f"{line.sku}×{line.quantity}" for line in lines)
    return text if len(text) <= limit else text[: limit - 1].rstrip(", ") + "…"


def _address(*parts: str) -> str:
    return " ".join(p for p in parts if p)


def sender_of(warehouse: Warehouse, lang: str) -> Party:
    name = warehouse.name_zh if lang.startswith("zh") and warehouse.name_zh else warehouse.name
    return Party(name=name, phone=getattr(warehouse, "phone", "") or "",
                 address=_address(warehouse.province, warehouse.city, warehouse.address))


def waybill_data(shipment: Shipment, *, lang: str = "zh") -> list[WaybillData]:
    """One label per package of the shipment, in package order (the first carries the shipment's number)."""
    order, carrier = shipment.order, shipment.carrier
    lines = tuple(SlipLine(sku=line.sku.code, name=(line.sku.name_zh if lang.startswith("zh") and line.sku.name_zh
                                                    else line.sku.name),
                           quantity=line.quantity, lot=line.lot.lot_number if line.lot else "")
                  for line in shipment.lines)
    base = WaybillData(
        reference=shipment.reference, tracking_number=shipment.tracking_number,
        carrier_code=carrier.code if carrier else "", carrier_name=carrier.display_name(lang) if carrier else "",
        label_format=carrier.label_format if carrier else "100x150", routing_code=shipment.routing_code,
        hub_code=shipment.hub_code, order_number=order.external_id,
        sender=sender_of(db.session.get(Warehouse, shipment.warehouse_id), lang),
        recipient=Party(name=order.ship_name, phone=mask_phone(order.ship_phone),
                        address=_address(order.ship_province, order.ship_city, order.ship_district,
                                         order.ship_address)),
        lines=lines, weight_g=shipment.measured_weight_g, created=shipment.created_at.strftime("%Y-%m-%d %H:%M"))
    packages = list(shipment.packages) or [None]
    labels = []
    for n, package in enumerate(packages, start=1):
        number = (package.tracking_number if package is not None and package.tracking_number else "") or \
            base.tracking_number
        package_lines = tuple(line for line, row in zip(lines, shipment.lines, strict=True)
                              if package is None or row.package_id == package.id)
        labels.append(replace(base, tracking_number=number, package_no=n, package_count=len(packages),
                              weight_g=package.weight_g if package is not None else base.weight_g,
                              lines=package_lines or lines))
    return labels


def packing_slip_data(shipment: Shipment, *, lang: str = "zh") -> WaybillData:
    """One slip a shipment: the first parcel's label data with every line of every parcel."""
    labels = waybill_data(shipment, lang=lang)
    return replace(labels[0], lines=tuple(line for label in labels for line in label.lines),
                   weight_g=shipment.measured_weight_g)


def wave_shipments(wave_id: int) -> list[Shipment]:
    """The live shipments of a wave's orders in pick order (pick list, then the order's place in it)."""
    from wms.picking.models import PickList, WaveOrder

    rows = db.session.execute(
        select(Shipment).join(WaveOrder, WaveOrder.order_id == Shipment.order_id)
        .outerjoin(PickList, PickList.id == WaveOrder.pick_list_id)
        .where(WaveOrder.wave_id == wave_id, Shipment.status != "cancelled")
        .order_by(PickList.sequence, WaveOrder.sequence, WaveOrder.id, Shipment.id)).scalars().all()
    seen: set[int] = set()
    return [s for s in rows if not (s.id in seen or seen.add(s.id))]


def sample_waybill(label_format: str = "100x150") -> WaybillData:
    """The shipment the template editor previews: every block filled, a Chinese address, a lot."""
    return WaybillData(
        reference="SHP-000123", tracking_number="ZT7000000001", carrier_code="ZTO", carrier_name="中通快递",
        label_format=label_format, routing_code="310-A12 07", hub_code="HZ310", order_number="TM202611200001",
        sender=Party("上海一号仓 Shanghai DC1", "021-61234567", "上海 上海市 浦东新区 张江路 88 号"),
        recipient=Party("王芳", mask_phone("13800138000"), "浙江省 杭州市 西湖区 文三路 100 号 3 楼"),
        lines=(SlipLine("TEA-LJ-250", "龙井茶 250g", 2, "L2026-10"), SlipLine("CUP-01", "Thermos cup", 1)),
        weight_g=820, created="2026-11-20 10:15")
