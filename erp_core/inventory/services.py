"""The stock ledger's use-cases. Every change of stock is a StockMove plus quant updates in one
transaction; quantities never go negative and reservations never exceed what is on hand.

Concurrency: reservations and outgoing moves use conditional UPDATEs (`... WHERE quantity -
reserved_quantity >= :q`) and check the row count, so two transactions can never both take the
last unit, on SQLite (one writer at a time) and PostgreSQL (row locks taken by the UPDATE) alike.
"""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..catalog.models import Sku
from ..db import atomic
from ..errors import InsufficientStock, NotFound, ValidationFailed
from ..extensions import db
from ..outbox import publish
from .models import Location, Lot, Quant, StockMove, Warehouse

VIRTUAL_LOCATIONS = {
    # code: (usage, English name)
    "SUPPLIER": ("supplier", "Suppliers"),
    "CUSTOMER": ("customer", "Customers"),
    "INV-LOSS": ("inventory", "Inventory loss / adjustment"),
    "TRANSIT": ("transit", "Inter-warehouse transit"),
}


def virtual_location(code: str) -> Location:
    """One of the global virtual locations (supplier, customer, inventory loss, transit)."""
    loc = db.session.scalar(select(Location).filter_by(warehouse_id=None, code=code))
    if loc is None:
        usage, name = VIRTUAL_LOCATIONS[code]
        loc = Location(code=code, name=name, usage=usage, kind="virtual")
        db.session.add(loc)
        db.session.flush()
    return loc


def bin_of_type(warehouse_id: int, bin_type: str) -> Location | None:
    """The warehouse's first active bin of a type (staging, damaged, returns, ...), or None."""
    return db.session.scalar(select(Location).where(
        Location.warehouse_id == warehouse_id, Location.kind == "bin", Location.usage == "internal",
        Location.bin_type == bin_type, Location.active.is_(True)).order_by(Location.id).limit(1))


def required_bin(warehouse_id: int, bin_type: str, *, code: str, message: str) -> Location:
    """`bin_of_type`, refused (ValidationFailed `code`, with the warehouse) when the warehouse has none:
    `message` is the English sentence, `{warehouse}` in it filled with the warehouse's code."""
    found = bin_of_type(warehouse_id, bin_type)
    if found is None:
        warehouse = db.session.scalar(select(Warehouse.code).filter_by(id=warehouse_id))
        raise ValidationFailed(message.format(warehouse=warehouse), code=code, warehouse=warehouse)
    return found


def create_warehouse(code: str, name: str, *, name_zh: str = "", province: str = "", city: str = "",
                     address: str = "") -> Warehouse:
    """A warehouse with its root view location (the top of its location tree)."""
    code = code.strip().upper()
    if not code:
        raise ValidationFailed("a warehouse needs a code", code="code_required")
    with atomic():
        if db.session.scalar(select(Warehouse).filter_by(code=code)):
            raise ValidationFailed(f"warehouse code {code} is taken", code="code_taken", status=409)
        wh = Warehouse(code=code, name=name, name_zh=name_zh, province=province, city=city, address=address)
        db.session.add(wh)
        db.session.flush()
        db.session.add(Location(warehouse_id=wh.id, code=code, name=name, usage="view", kind="warehouse"))
        for vcode in VIRTUAL_LOCATIONS:
            virtual_location(vcode)
    return wh


def warehouse_root(warehouse_id: int) -> Location:
    root = db.session.scalar(select(Location).filter_by(warehouse_id=warehouse_id, kind="warehouse"))
    if root is None:
        raise NotFound("warehouse has no location tree")
    return root


def lot_is(column, lot_id: int | None):
    """`column IS NULL` for stock without a lot, else `column = lot_id` (SQL's = never matches NULL)."""
    return column.is_(None) if lot_id is None else column == lot_id


def quant_is(sku_id: int, location_id: int, lot_id: int | None):
    """The WHERE clause naming one quant: SKU + location + lot."""
    return (Quant.sku_id == sku_id) & (Quant.location_id == location_id) & lot_is(Quant.lot_id, lot_id)


def _quant_for_update(sku_id: int, location_id: int, lot_id: int | None = None) -> Quant:
    """The quant, created when missing (INSERT ... ON CONFLICT DO NOTHING on the SKU + location + lot
    unique index, so two creators never collide), read afresh under its row lock."""
    query = (select(Quant).where(quant_is(sku_id, location_id, lot_id)).with_for_update()
             .execution_options(populate_existing=True))
    quant = db.session.scalar(query)
    if quant is None:
        insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
        db.session.execute(insert(Quant).values(sku_id=sku_id, location_id=location_id, lot_id=lot_id, quantity=0,
                                                reserved_quantity=0).on_conflict_do_nothing())
        quant = db.session.scalar(query)
    return quant


def _is_stock_location(location: Location) -> bool:
    return location.usage == "internal"


def move_stock(sku_id: int, from_location_id: int, to_location_id: int, quantity: int, *, reason: str,
               reference: str = "", note: str = "", user_id: int | None = None,
               from_reserved: bool = False, lot_id: int | None = None) -> StockMove:
    """Move units (of one lot, for a lot-tracked SKU) between two locations and write the ledger line.

    Locks: the source quant row (conditional UPDATE). Guarantees: the source never goes negative and
    never below its reserved quantity (unless `from_reserved`, which consumes a reservation too); a
    lot-tracked SKU never moves without its lot, an untracked one never with one.
    Virtual locations (supplier, customer, loss, transit) hold no quants: they are the ledger's
    other side.
    """
    if quantity <= 0:
        raise ValidationFailed("quantity must be positive", code="bad_quantity")
    with atomic():
        src = db.session.get(Location, from_location_id)
        dst = db.session.get(Location, to_location_id)
        if src is None or dst is None:
            raise NotFound("no such location")
        if src.id == dst.id:
            raise ValidationFailed("source and destination are the same location", code="same_location")
        check_lot(sku_id, lot_id)
        if _is_stock_location(src):
            _take(sku_id, src, quantity, from_reserved, lot_id)
        if _is_stock_location(dst):
            quant = _quant_for_update(sku_id, dst.id, lot_id)
            db.session.execute(update(Quant).where(Quant.id == quant.id)
                               .values(quantity=Quant.quantity + quantity))
        move = StockMove(sku_id=sku_id, from_location_id=src.id, to_location_id=dst.id, quantity=quantity,
                         lot_id=lot_id, reason=reason, reference=reference[:80], note=note[:255], user_id=user_id)
        db.session.add(move)
        db.session.flush()
        if dst.usage == "inventory" and _is_valued(src):  # written off: a count, a scrap, an expiry
            _publish_adjustment(move, -quantity, src)
        elif src.usage == "inventory" and _is_valued(dst):  # found: a count up
            _publish_adjustment(move, quantity, dst)
    return move


def _is_valued(location: Location) -> bool:
    """Stock the books value (finance's valued locations): a warehouse's internal locations but its
    returns bins, whose units are not stock again until inspected."""
    return location.warehouse_id is not None and _is_stock_location(location) and location.bin_type != "returns"


def check_lot(sku_id: int, lot_id: int | None) -> None:
    """A lot-tracked SKU's stock always has a lot of that SKU; an untracked SKU's never has one."""
    sku = db.session.get(Sku, sku_id)
    tracked = bool(sku and sku.lot_tracked)
    if tracked and lot_id is None:
        raise ValidationFailed(f"{sku.code} is tracked by lot: say which lot", code="lot_required", sku_id=sku_id,
                               sku=sku.code)
    if lot_id is not None:
        lot = db.session.get(Lot, lot_id)
        if lot is None or lot.sku_id != sku_id:
            raise ValidationFailed("this lot belongs to another SKU", code="lot_of_other_sku", sku_id=sku_id,
                                   lot_id=lot_id)
        if not tracked:
            raise ValidationFailed(f"{sku.code} is not tracked by lot", code="lot_not_tracked", sku_id=sku_id,
                                   sku=sku.code)


def _take(sku_id: int, src: Location, quantity: int, from_reserved: bool, lot_id: int | None = None) -> None:
    if from_reserved:
        stmt = (update(Quant).where(quant_is(sku_id, src.id, lot_id),
                                    Quant.reserved_quantity >= quantity)
                .values(quantity=Quant.quantity - quantity,
                        reserved_quantity=Quant.reserved_quantity - quantity))
    else:
        stmt = (update(Quant).where(quant_is(sku_id, src.id, lot_id),
                                    Quant.quantity - Quant.reserved_quantity >= quantity)
                .values(quantity=Quant.quantity - quantity))
    if db.session.execute(stmt).rowcount != 1:
        raise InsufficientStock(f"not enough stock in {src.code}", sku_id=sku_id, location=src.code,
                                requested=quantity)


def receive(sku_id: int, location_id: int, quantity: int, *, reference: str = "",
            user_id: int | None = None, lot_id: int | None = None) -> StockMove:
    """Stock arriving from a supplier into a location (with its lot, for a lot-tracked SKU)."""
    return move_stock(sku_id, virtual_location("SUPPLIER").id, location_id, quantity, reason="receipt",
                      reference=reference, user_id=user_id, lot_id=lot_id)


def adjust(sku_id: int, location_id: int, new_quantity: int, *, reason_note: str,
           user_id: int | None = None, lot_id: int | None = None) -> StockMove | None:
    """Set the counted quantity of a quant, posting the difference against inventory loss.

    Locks: the quant row (SELECT ... FOR UPDATE) before reading it, so the difference is taken from
    the value under the lock: concurrent counts of one bin end at the count committed last, never at
    a quantity nobody counted. Refused below the units reserved there.
    """
    if new_quantity < 0:
        raise ValidationFailed("quantity cannot be negative", code="bad_quantity", quantity=new_quantity)
    with atomic():
        check_lot(sku_id, lot_id)
        quant = _quant_for_update(sku_id, location_id, lot_id)
        if new_quantity < quant.reserved_quantity:
            loc = db.session.get(Location, location_id)
            raise InsufficientStock(f"cannot count {new_quantity} in {loc.code}: {quant.reserved_quantity} are "
                                    f"reserved", sku_id=sku_id, location=loc.code,
                                    requested=new_quantity, reserved=quant.reserved_quantity)
        diff = new_quantity - quant.quantity
        if diff == 0:
            return None
        loss = virtual_location("INV-LOSS")
        if diff > 0:
            move = move_stock(sku_id, loss.id, location_id, diff, reason="adjustment", note=reason_note,
                              user_id=user_id, lot_id=lot_id)
        else:
            move = move_stock(sku_id, location_id, loss.id, -diff, reason="adjustment", note=reason_note,
                              user_id=user_id, lot_id=lot_id)
        _audit_adjustment(move, new_quantity - diff, new_quantity, user_id)
        return move


def _audit_adjustment(move: StockMove, before: int, after: int, user_id: int | None) -> None:
    """A manual adjustment in the audit log, with the quantity before and after (the ledger move too)."""
    from ..audit.log import record

    sku, loc = db.session.get(Sku, move.sku_id), db.session.get(Location, move.to_location_id
                                                                  if after > before else move.from_location_id)
    where = {"location": loc.code, "lot_id": move.lot_id}
    record("stock.adjust", "sku", sku.code, before={**where, "quantity": before},
           after={**where, "quantity": after, "move_id": move.id},
           summary=f"{sku.code} in {loc.code}: {before} → {after} ({move.note})", user_id=user_id)


ADJUSTMENT_TOPIC = "finance.stock_adjustment"


def _publish_adjustment(move: StockMove, delta: int, loc: Location) -> None:
    """Tell finance (after commit, through the outbox) that stock was written off or found — every move
    against inventory loss: counts, adjustments, scrap, expiry: it values the difference against
    inventory loss. Keyed by the stock move."""
    sku = db.session.get(Sku, move.sku_id)
    publish(ADJUSTMENT_TOPIC, {"move_id": move.id, "sku_id": move.sku_id, "sku": sku.code if sku else "",
                               "warehouse_id": loc.warehouse_id, "quantity": delta, "reference": move.note[:80],
                               "at": move.created_at.isoformat()}, key=f"stock-move-{move.id}")


def ledger_discrepancies() -> list[tuple[int, int, int | None, int, int]]:
    """(sku, location, lot, quant quantity, sum of moves) wherever the two disagree, per lot; empty
    when sound."""
    incoming = (select(StockMove.sku_id.label("sku"), StockMove.to_location_id.label("loc"),
                       StockMove.lot_id.label("lot"), StockMove.quantity.label("qty")))
    outgoing = (select(StockMove.sku_id, StockMove.from_location_id, StockMove.lot_id, -StockMove.quantity))
    flows = incoming.union_all(outgoing).subquery()
    sums = {(s, loc, lot): int(q) for s, loc, lot, q in db.session.execute(
        select(flows.c.sku, flows.c.loc, flows.c.lot, func.sum(flows.c.qty))
        .group_by(flows.c.sku, flows.c.loc, flows.c.lot))}
    internal = {loc_id for (loc_id,) in db.session.execute(select(Location.id).filter_by(usage="internal"))}
    bad = []
    quants = {(q.sku_id, q.location_id, q.lot_id): q.quantity for q in db.session.scalars(select(Quant))}
    for key in set(quants) | {k for k in sums if k[1] in internal}:
        if quants.get(key, 0) != sums.get(key, 0):
            bad.append((key[0], key[1], key[2], quants.get(key, 0), sums.get(key, 0)))
    return bad


# --- Adjustments with reason codes -------------------------------------------------------------

ADJUSTMENT_REASONS = ("damaged", "lost", "found", "count_correction", "expired", "sample", "other")


def adjustment_note(reason_code: str, text: str = "") -> str:
    """The ledger note of an adjustment: "<code>: <free text>" (StockMove.reason stays 'adjustment')."""
    if reason_code not in ADJUSTMENT_REASONS:
        raise ValidationFailed(f"unknown adjustment reason {reason_code!r}", code="unknown_reason")
    return f"{reason_code}: {' '.join(text.split())}".strip()


def adjust_counted(sku_id: int, location_id: int, counted_quantity: int, *, reason_code: str, note: str = "",
                   user_id: int | None = None, lot_id: int | None = None) -> StockMove | None:
    """Set the counted quantity of a SKU in a bin, with a reason code; None when nothing changed.

    Locks: the quant row (through `adjust`, before reading it). Guarantees: the count never goes
    below the units reserved for orders there (InsufficientStock, nothing changed), the bin is a
    stock location, and the live boards hear after commit when the SKU drops below its reorder point.
    """
    from .alerts import check_low_stock_after  # alerts reads stock through this module

    text = adjustment_note(reason_code, note)
    if counted_quantity < 0:
        raise ValidationFailed("quantity cannot be negative", code="bad_quantity")
    with atomic():
        loc = db.session.get(Location, location_id)
        if loc is None or loc.usage != "internal" or loc.warehouse_id is None:
            raise ValidationFailed("stock is counted in a bin of a warehouse", code="not_a_bin")
        check_low_stock_after(sku_id, loc.warehouse_id)
        return adjust(sku_id, location_id, counted_quantity, reason_note=text, user_id=user_id, lot_id=lot_id)
