"""Catalog use-cases."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from sqlalchemy import Select, or_, select

from ..audit.log import changes, record
from ..db import atomic
from ..errors import Conflict, NotFound, ValidationFailed
from ..extensions import db
from ..inventory.lot_rules import Gs1Data, gtin_codes, parse_gs1
from .barcodes import classify_barcode
from .lot_setup import LOT_FIELDS, check_lot_values, check_tracking_switch
from .models import KitComponent, Sku, SkuBarcode


def create_sku(code: str, name: str, *, name_zh: str = "", barcodes: Iterable[str] = (), unit: str = "pcs",
               weight_g: int = 0, dims_mm: tuple[int, int, int] = (0, 0, 0), cost: Decimal = Decimal("0"),
               price: Decimal = Decimal("0"), image_url: str = "", lot_tracked: bool = False,
               shelf_life_days: int | None = None, min_receipt_life_days: int | None = None,
               min_ship_life_days: int | None = None) -> Sku:
    """A new SKU with its barcodes and lot set-up. Raises Conflict when the code or a barcode is taken."""
    code = code.strip()
    if not code or not name.strip():
        raise ValidationFailed("a SKU needs a code and a name", code="sku_incomplete")
    if cost < 0 or price < 0 or weight_g < 0:
        raise ValidationFailed("cost, price and weight cannot be negative", code="negative_value")
    lots = {"lot_tracked": bool(lot_tracked), "shelf_life_days": shelf_life_days,
            "min_receipt_life_days": min_receipt_life_days, "min_ship_life_days": min_ship_life_days}
    check_lot_values(lots)
    with atomic():
        if db.session.scalar(select(Sku.id).filter_by(code=code)):
            raise Conflict(f"SKU {code} exists", code="sku_exists", sku=code)
        sku = Sku(code=code, name=name.strip(), name_zh=name_zh.strip(), unit=unit, weight_g=weight_g,
                  length_mm=dims_mm[0], width_mm=dims_mm[1], height_mm=dims_mm[2], cost=cost, price=price,
                  image_url=image_url, **lots)
        db.session.add(sku)
        for raw in barcodes:
            add_barcode(sku, raw)
        db.session.flush()
    return sku


def add_barcode(sku: Sku, raw: str) -> SkuBarcode:
    """Attach a barcode; EAN/UPC/GTIN check digits are verified, other codes count as internal."""
    code = raw.strip()
    symbology = classify_barcode(code)  # raises InvalidBarcode (a ValidationFailed) with the reason
    if db.session.scalar(select(SkuBarcode.id).filter_by(code=code)):
        raise Conflict(f"barcode {code} belongs to another SKU", code="barcode_taken", barcode=code)
    barcode = SkuBarcode(code=code, symbology=symbology)
    sku.barcodes.append(barcode)
    return barcode


def attach_barcode(sku_id: int, raw: str) -> SkuBarcode:
    """`add_barcode` in its own unit of work (the API's POST /skus/{code}/barcodes)."""
    with atomic():
        sku = db.session.get(Sku, sku_id)
        barcode = add_barcode(sku, raw)
        db.session.flush()
    return barcode


def remove_barcode(sku_id: int, code: str) -> None:
    """Take a barcode off its SKU (a relabelled product). Refused (unknown_barcode) when the SKU has no
    such barcode. The scan history keeps the code in its moves' notes; the code can be given again."""
    with atomic():
        barcode = db.session.scalar(select(SkuBarcode).filter_by(sku_id=sku_id, code=code.strip()))
        if barcode is None:
            raise NotFound(f"the SKU has no barcode {code}", code="unknown_barcode", barcode=code[:64])
        db.session.delete(barcode)


def sku_by_code(code: str) -> Sku:
    sku = db.session.scalar(select(Sku).filter_by(code=code))
    if sku is None:
        raise NotFound(f"no SKU {code}", code="unknown_sku", skus=[code])
    return sku


def find_sku_by_scan(scanned: str) -> Sku | None:
    """The SKU whose barcode or code was scanned, or whose GTIN (AI 01) a GS1-128 / DataMatrix scan
    carries: a lot label then works wherever an item scan is asked."""
    return scan_sku(scanned)[0]


def scan_sku(scanned: str) -> tuple[Sku | None, Gs1Data | None]:
    """The SKU a scan names and, for a GS1 element string, what else it says (lot, dates). A code
    stored as a barcode or SKU code wins over reading it as GS1, so no existing label changes meaning."""
    scanned = scanned.strip()
    sku = db.session.scalar(select(Sku).join(SkuBarcode).where(SkuBarcode.code == scanned))
    sku = sku or db.session.scalar(select(Sku).filter_by(code=scanned))
    if sku is not None or not scanned:
        return sku, None
    gs1 = parse_gs1(scanned)
    if gs1 is None or not gs1.gtin:
        return None, gs1
    codes = gtin_codes(gs1.gtin)
    return db.session.scalar(select(Sku).join(SkuBarcode).where(SkuBarcode.code.in_(codes))
                             .order_by(SkuBarcode.id).limit(1)), gs1


def sku_search(query: str) -> Select:
    """SKUs whose code, name, Chinese name or a barcode contains ``query`` (any case), by code."""
    stmt = select(Sku).order_by(Sku.code)
    query = query.strip()
    if query:
        barcode_match = select(SkuBarcode.sku_id).where(SkuBarcode.code.icontains(query, autoescape=True))
        stmt = stmt.where(or_(Sku.code.icontains(query, autoescape=True),
                              Sku.name.icontains(query, autoescape=True),
                              Sku.name_zh.icontains(query, autoescape=True),
                              Sku.id.in_(barcode_match)))
    return stmt


def set_barcodes(sku: Sku, codes: Sequence[str]) -> bool:
    """Make ``codes`` the SKU's barcodes exactly (check digits verified); True when anything changed.

    Raises InvalidBarcode for a bad code and Conflict when a code belongs to another SKU."""
    wanted = list(dict.fromkeys(code.strip() for code in codes if code.strip()))
    for code in wanted:
        classify_barcode(code)
    with atomic():
        current = {barcode.code: barcode for barcode in sku.barcodes}
        stale = [barcode for code, barcode in current.items() if code not in wanted]
        for barcode in stale:
            sku.barcodes.remove(barcode)
        added = [add_barcode(sku, code) for code in wanted if code not in current]
        db.session.flush()
    return bool(stale or added)


def kit_components_of(sku: Sku) -> list[KitComponent]:
    """The components of a kit, by component code."""
    return list(db.session.scalars(select(KitComponent).join(KitComponent.component)
                                   .where(KitComponent.kit_sku_id == sku.id).order_by(Sku.code)))


def set_kit_components(kit_code: str, components: Sequence[tuple[str, int]]) -> Sku:
    """Make a SKU a kit (组合装) of the given components and quantities, replacing what it had; an empty
    list makes it an ordinary SKU again. A kit cannot contain itself or another kit, and a SKU that is
    a component of a kit cannot become a kit. All or nothing."""
    with atomic():
        kit = sku_by_code(kit_code)
        wanted: dict[str, int] = {}
        for code, quantity in components:
            code = code.strip()
            if code in wanted:
                raise ValidationFailed(f"component {code} is listed twice", code="duplicate_component",
                                       component=code)
            if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
                raise ValidationFailed(f"bad quantity {quantity} for component {code}", code="bad_quantity",
                                       component=code, sku=code, quantity=quantity)
            if code == kit.code:
                raise ValidationFailed(f"kit {kit.code} cannot contain itself", code="kit_contains_itself",
                                       component=code)
            wanted[code] = quantity
        parts = {s.code: s for s in db.session.scalars(select(Sku).where(Sku.code.in_(wanted)))} if wanted else {}
        for code in wanted:
            if code not in parts:
                raise NotFound(f"no SKU {code}", code="unknown_sku", component=code, skus=[code])
            if parts[code].is_kit:
                raise ValidationFailed(f"{code} is a kit; a kit cannot contain another kit", code="kit_in_kit",
                                       component=code)
        if wanted and db.session.scalar(select(KitComponent.id).filter_by(component_sku_id=kit.id).limit(1)):
            raise ValidationFailed(f"{kit.code} is a component of a kit and cannot become a kit",
                                   code="component_cannot_be_kit", kit=kit.code)
        current = {c.component_sku_id: c for c in db.session.scalars(
            select(KitComponent).filter_by(kit_sku_id=kit.id))}
        for code, quantity in wanted.items():
            existing = current.pop(parts[code].id, None)
            if existing is None:
                db.session.add(KitComponent(kit_sku_id=kit.id, component_sku_id=parts[code].id, quantity=quantity))
            else:
                existing.quantity = quantity
        for stale in current.values():
            db.session.delete(stale)
        kit.is_kit = bool(wanted)
        db.session.flush()
    return kit


#: Fields of a SKU that ``update_sku`` may change.
SKU_FIELDS = ("name", "name_zh", "unit", "weight_g", "length_mm", "width_mm", "height_mm", "cost", "price",
              "image_url", "active", *LOT_FIELDS)


def update_sku(sku: Sku, **values: object) -> bool:
    """Change the given fields of a SKU; True when any value differed. Checks as ``create_sku`` does; the
    lot set-up as a whole (``lot_setup``), and lot tracking switched only while no stock is on hand that
    the switch would leave without (or with) a lot."""
    unknown = set(values) - set(SKU_FIELDS)
    if unknown:
        raise ValueError(f"not SKU fields: {sorted(unknown)}")
    if "name" in values and not str(values["name"]).strip():
        raise ValidationFailed("a SKU needs a code and a name", code="sku_incomplete")
    for key in ("cost", "price", "weight_g", "length_mm", "width_mm", "height_mm"):
        if key in values and values[key] < 0:  # type: ignore[operator]
            raise ValidationFailed("cost, price, weight and sizes cannot be negative", code="negative_value")
    if any(key in values for key in LOT_FIELDS):
        check_lot_values(values, sku)
    changed = False
    with atomic():
        money_before = {"price": sku.price, "cost": sku.cost}
        if "lot_tracked" in values and bool(values["lot_tracked"]) != bool(sku.lot_tracked):
            check_tracking_switch(sku, bool(values["lot_tracked"]))
        for key, value in values.items():
            if getattr(sku, key) != value:
                setattr(sku, key, value)
                changed = True
        db.session.flush()
        old, new = changes(money_before, {"price": sku.price, "cost": sku.cost})
        if new:  # the audit log keeps every price and cost change of a SKU
            record("sku.price_changed", "sku", sku.code, before=old, after=new,
                   summary=f"SKU {sku.code}: {', '.join(new)} changed")
    return changed
