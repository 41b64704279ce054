"""The stock ledger's invariants per lot under random sequences of lot operations (hypothesis.stateful).

A lot-tracked SKU with four lots of different expiry dates (one already too short-dated to ship)
is received, moved between two pick faces, a reserve bin and a cart, counted, reserved FEFO for an
order line, released, picked to the cart, transferred to a second warehouse (FEFO per bin, a line
per lot) and received there, and its lots put on hold and released, against the real database.
A plain model keeps the expected quantity and reservation of every lot in every bin and predicts
which lots and bins a FEFO reservation must take; after every step the database must agree, and
the whole ledger's invariants (per lot) must hold. Refused operations must change nothing.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import timedelta

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import select

from erp_core.errors import DomainError, InsufficientStock
from tests.builders import FloorBuilder

LOTS = st.integers(0, 3)
BINS = st.integers(0, 2)  # P-1, P-2 (pick faces), R-1 (reserve); the cart is index 3
LOT_DAYS = (12, 200, 60, 400)  # days left per lot; min 30 days at shipment -> lot 0 is never shipped
MIN_SHIP_DAYS = 30


def _attempt(operation, *refusals) -> bool:
    try:
        operation()
    except refusals:
        return False
    return True


class LotLedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        from erp_core.catalog.models import Sku
        from erp_core.extensions import db
        from erp_core.inventory.lots import get_or_create_lot
        from erp_core.inventory.reservations import business_today
        from tests.stock_helpers import holder_line

        tag = uuid.uuid4().hex[:8].upper()
        floor = (FloorBuilder()
                 .warehouse(f"L{tag}", "Lots", key="wh")
                 .bin("R-1", "reserve").bin("P-1", "pick").bin("P-2", "pick").bin("CART", "tote")
                 .warehouse(f"M{tag}", "Destination", key="dest")
                 .bin("D-1", "pick", key="D-1", warehouse="dest")
                 .sku(f"LOT-{tag}", "Infant formula", key="sku")
                 .build())
        self.warehouse_id, self.dest_id = floor["wh"], floor["dest"]
        self.bins = [floor["P-1"], floor["P-2"], floor["R-1"], floor["CART"]]
        self.dest_bin = floor["D-1"]
        self.sku_id = floor["sku"]
        sku = db.session.get(Sku, self.sku_id)
        sku.lot_tracked, sku.shelf_life_days, sku.min_ship_life_days = True, 720, MIN_SHIP_DAYS
        db.session.commit()
        self.today = business_today()
        self.limit = self.today + timedelta(days=MIN_SHIP_DAYS)
        self.lots = []
        self.expiry = {}
        for i, days in enumerate(LOT_DAYS):
            lot = get_or_create_lot(sku, f"{tag}-{i}", expiry_date=self.today + timedelta(days=days))
            db.session.commit()
            self.lots.append(lot.id)
            self.expiry[lot.id] = lot.expiry_date
        self.line_id = holder_line(self.sku_id)
        self.qty: dict[tuple[int, int], int] = defaultdict(int)       # (lot, location) -> on hand
        self.reserved: dict[tuple[int, int], int] = defaultdict(int)  # (lot, location) -> reserved
        self.created: list[tuple[int, int]] = []                      # quants in creation (= id) order
        self.held: set[int] = set()

    # --- the model -------------------------------------------------------------------------------

    def _free(self, key) -> int:
        return self.qty[key] - self.reserved[key]

    def _arrive(self, key, qty) -> None:
        if key not in self.created:
            self.created.append(key)
        self.qty[key] += qty

    def _fefo_plan(self, quantity: int) -> list[tuple[tuple[int, int], int]] | None:
        """What reserve_line must take: lots not held and not short-dated, earliest expiry first, pick
        faces before the reserve bin, older quants first; never the cart. None when not enough."""
        pick = set(self.bins[:2])
        candidates = [key for key in self.created
                      if key[1] in self.bins[:3] and key[0] not in self.held
                      and self.expiry[key[0]] >= self.limit and self._free(key) > 0]
        candidates.sort(key=lambda k: (self.expiry[k[0]], 0 if k[1] in pick else 1, self.created.index(k)))
        plan, left = [], quantity
        for key in candidates:
            take = min(left, self._free(key))
            plan.append((key, take))
            left -= take
            if not left:
                return plan
        return None

    # --- rules -----------------------------------------------------------------------------------

    @rule(lot=LOTS, bin_index=BINS, qty=st.integers(1, 15))
    def receive(self, lot, bin_index, qty):
        from erp_core.inventory.services import receive

        receive(self.sku_id, self.bins[bin_index], qty, reference="ASN-test", lot_id=self.lots[lot])
        self._arrive((self.lots[lot], self.bins[bin_index]), qty)

    @rule(lot=LOTS, from_index=BINS, to_index=BINS, qty=st.integers(1, 10))
    def move(self, lot, from_index, to_index, qty):
        from erp_core.inventory.services import move_stock

        if from_index == to_index:
            return
        lot_id, src, dst = self.lots[lot], self.bins[from_index], self.bins[to_index]
        expected = self._free((lot_id, src)) >= qty
        assert _attempt(lambda: move_stock(self.sku_id, src, dst, qty, reason="move", lot_id=lot_id),
                        InsufficientStock) == expected
        if expected:
            self.qty[(lot_id, src)] -= qty
            self._arrive((lot_id, dst), qty)

    @rule(lot=LOTS, bin_index=BINS, counted=st.integers(0, 20))
    def count(self, lot, bin_index, counted):
        from erp_core.inventory.services import adjust_counted

        key = (self.lots[lot], self.bins[bin_index])
        expected = counted >= self.reserved[key]
        assert _attempt(lambda: adjust_counted(self.sku_id, key[1], counted, reason_code="count_correction",
                                               lot_id=key[0]), InsufficientStock) == expected
        if expected:
            if key not in self.created:
                self.created.append(key)  # adjust creates the quant (maybe empty) under its lock
            self.qty[key] = counted

    @rule(qty=st.integers(1, 12))
    def reserve_fefo(self, qty):
        from erp_core.inventory.reservations import reserve_line

        plan = self._fefo_plan(qty)
        ok = _attempt(lambda: reserve_line(self.line_id, self.sku_id, self.warehouse_id, qty, min_expiry=self.limit),
                      InsufficientStock)
        assert ok == (plan is not None)
        for key, take in plan or []:
            self.reserved[key] += take

    @rule(lot=LOTS, bin_index=st.integers(0, 3), qty=st.integers(1, 8))
    def release(self, lot, bin_index, qty):
        from erp_core.inventory.reservations import release_at

        key = (self.lots[lot], self.bins[bin_index])
        expected = self.reserved[key] >= qty
        assert _attempt(lambda: release_at(self.line_id, self.sku_id, key[1], qty, lot_id=key[0]),
                        DomainError) == expected
        if expected:
            self.reserved[key] -= qty

    @rule(lot=LOTS, bin_index=BINS, qty=st.integers(1, 8))
    def pick_to_cart(self, lot, bin_index, qty):
        from erp_core.inventory.reservations import move_reserved

        lot_id, src, cart = self.lots[lot], self.bins[bin_index], self.bins[3]
        expected = self.reserved[(lot_id, src)] >= qty
        assert _attempt(lambda: move_reserved(self.line_id, self.sku_id, src, cart, qty, reason="pick",
                                              lot_id=lot_id), DomainError) == expected
        if expected:
            self.qty[(lot_id, src)] -= qty
            self.reserved[(lot_id, src)] -= qty
            self._arrive((lot_id, cart), qty)
            self.reserved[(lot_id, cart)] += qty

    @rule(bin_index=BINS, qty=st.integers(1, 12))
    def transfer_from_a_bin(self, bin_index, qty):
        """Ship a transfer of the SKU from one bin (FEFO over the bin's lots, held and expired ones left
        out; split into a line per lot) and receive it whole at the destination, lots kept."""
        from erp_core.inventory.transfers import create_transfer, receive_transfer, ship_transfer

        src = self.bins[bin_index]
        lots = sorted((lot for lot in self.lots if lot not in self.held and self._free((lot, src)) > 0),
                      key=lambda lot: self.expiry[lot])
        plan, left = [], qty
        for lot in lots:
            take = min(left, self._free((lot, src)))
            plan.append((lot, take))
            left -= take
            if not left:
                break
        transfer_id = create_transfer(self.warehouse_id, self.dest_id, [(self.sku_id, qty, src)]).id
        assert _attempt(lambda: ship_transfer(transfer_id), InsufficientStock) == (left == 0)
        if left:
            return
        shipped = receive_transfer(transfer_id, {line.id: line.quantity for line in
                                                 self._lines(transfer_id)}, self.dest_bin)
        assert shipped.status == "received"
        assert sorted((line.lot_id, line.quantity) for line in shipped.lines) == sorted(plan)
        for lot, take in plan:
            self.qty[(lot, src)] -= take
            self._arrive((lot, self.dest_bin), take)

    def _lines(self, transfer_id):
        from erp_core.inventory.transfers import get_transfer

        return get_transfer(transfer_id).lines

    @rule(lot=LOTS)
    def toggle_hold(self, lot):
        from erp_core.extensions import db
        from erp_core.inventory.models import Lot

        lot_id = self.lots[lot]
        row = db.session.get(Lot, lot_id)
        row.on_hold = lot_id not in self.held
        db.session.commit()
        self.held ^= {lot_id}

    def teardown(self) -> None:
        from erp_core.catalog.models import Sku
        from erp_core.extensions import db
        from erp_core.inventory.models import (
            Location,
            Lot,
            Quant,
            StockMove,
            StockReservation,
            StockTransfer,
            StockTransferLine,
            Warehouse,
        )
        from erp_core.orders.models import Order, OrderLine

        db.session.remove()
        with db.engine.begin() as conn:  # Core deletes: the ORM's immutability guard is for business code
            conn.execute(StockMove.__table__.delete().where(StockMove.sku_id == self.sku_id))
            conn.execute(StockReservation.__table__.delete().where(StockReservation.sku_id == self.sku_id))
            holders = list(conn.scalars(select(OrderLine.order_id).where(OrderLine.sku_id == self.sku_id)))
            conn.execute(OrderLine.__table__.delete().where(OrderLine.sku_id == self.sku_id))
            conn.execute(Order.__table__.delete().where(Order.id.in_(holders)))
            conn.execute(Quant.__table__.delete().where(Quant.sku_id == self.sku_id))
            conn.execute(StockTransferLine.__table__.delete().where(StockTransferLine.sku_id == self.sku_id))
            conn.execute(StockTransfer.__table__.delete().where(StockTransfer.from_warehouse_id == self.warehouse_id))
            conn.execute(Lot.__table__.delete().where(Lot.sku_id == self.sku_id))
            warehouses = [self.warehouse_id, self.dest_id]
            conn.execute(Location.__table__.delete().where(Location.warehouse_id.in_(warehouses)))
            conn.execute(Warehouse.__table__.delete().where(Warehouse.id.in_(warehouses)))
            conn.execute(Sku.__table__.delete().where(Sku.id == self.sku_id))

    # --- invariants ------------------------------------------------------------------------------

    @invariant()
    def every_lot_in_every_bin_matches_the_model_and_the_ledger(self):
        from erp_core.extensions import db
        from erp_core.inventory.integrity import stock_invariant_violations
        from erp_core.inventory.models import Quant

        db.session.expire_all()
        rows = db.session.execute(select(Quant.lot_id, Quant.location_id, Quant.quantity, Quant.reserved_quantity)
                                  .where(Quant.sku_id == self.sku_id)).all()
        actual = {(lot, loc): (q, r) for lot, loc, q, r in rows if q or r}
        expected = {key: (q, self.reserved[key]) for key, q in self.qty.items() if q or self.reserved[key]}
        assert actual == expected
        assert all(lot is not None for lot, *_ in rows)
        assert stock_invariant_violations() == []

    @invariant()
    def no_new_reservation_lands_on_a_short_dated_lot(self):
        short = self.lots[0]
        assert all(self.reserved[(short, loc)] == 0 for loc in self.bins)


def test_the_ledger_stays_sound_per_lot_under_random_sequences_of_lot_operations(app):
    with app.app_context():
        try:
            run_state_machine_as_test(LotLedgerMachine, settings=settings(
                max_examples=12, stateful_step_count=25, deadline=None,
                phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target],
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
        finally:
            from erp_core.extensions import db

            db.session.remove()
