"""The stock ledger's invariants under random sequences of stock operations (hypothesis.stateful).

A state machine receives, reserves, releases, moves between three bins, adjusts with reason codes,
ships transfers to a second warehouse and receives them in parts, against the real database. A plain
model of the expected quantities is kept alongside; after every step the database must agree with
it, every quant must satisfy 0 <= reserved <= quantity, and quants must equal the sum of their moves.
Operations the model says must be refused (not enough stock, over-release, over-receipt) must be
refused, and must change nothing.
"""

from __future__ import annotations

import uuid
from collections import defaultdict

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test
from sqlalchemy import select

from erp_core.errors import DomainError, InsufficientStock, ValidationFailed
from tests.builders import FloorBuilder

SKUS = st.integers(0, 1)
BINS = st.integers(0, 2)  # source warehouse: P-1 and P-2 (pick faces), R-1 (reserve)


def _attempt(operation, *refusals) -> bool:
    """True when the operation went through, False when it was refused with one of `refusals`."""
    try:
        operation()
    except refusals:
        return False
    return True


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        from erp_core.inventory.alerts import set_reorder_rule

        tag = uuid.uuid4().hex[:8].upper()  # fresh warehouses and SKUs for every example
        builder = (FloorBuilder()
                   .warehouse(f"S{tag}", "Source", key="source")
                   .warehouse(f"D{tag}", "Destination", key="destination")
                   # created out of code order, so the pick-faces-first order is not the creation order
                   .bin("R-1", "reserve", warehouse="source")
                   .bin("P-1", "pick", warehouse="source")
                   .bin("P-2", "pick", warehouse="source")
                   .bin("D-1", "pick", warehouse="destination"))
        for i in range(2):
            builder.sku(f"SKU-{tag}-{i}", f"Item {i}", key=f"sku{i}")
        floor = builder.build()
        self.source_id, self.destination_id = floor["source"], floor["destination"]
        self.bins = [floor["P-1"], floor["P-2"], floor["R-1"]]
        self.dest_bin = floor["D-1"]
        self.skus = [floor["sku0"], floor["sku1"]]
        set_reorder_rule(self.skus[0], self.source_id, 5, 20)  # so adjustments and shipments check for low stock
        self.qty: dict[tuple[int, int], int] = defaultdict(int)       # (sku, location) -> on hand
        self.reserved: dict[tuple[int, int], int] = defaultdict(int)  # (sku, location) -> reserved
        self.open_transfers: dict[int, dict[int, list[int]]] = {}     # id -> {line id: [sku, qty, received]}

    # --- helpers -------------------------------------------------------------------------------

    def _available(self, stock: dict, sku: int, loc: int) -> int:
        return stock[(sku, loc)] - self.reserved[(sku, loc)]

    def _ship_plan(self, lines: list[tuple[int, int, int | None]]) -> dict | None:
        """The quantities after shipping the lines, as the service must do it; None when refused."""
        after = defaultdict(int, self.qty)
        for sku, qty, bin_index in lines:
            if bin_index is not None:
                loc = self.bins[bin_index]
                if self._available(after, sku, loc) < qty:
                    return None
                after[(sku, loc)] -= qty
                continue
            if sum(max(0, self._available(after, sku, loc)) for loc in self.bins) < qty:
                return None
            left = qty
            for loc in self.bins:  # P-1, P-2, then R-1: pick faces first, then by code
                take = min(left, max(0, self._available(after, sku, loc)))
                after[(sku, loc)] -= take
                left -= take
        return after

    # --- rules ---------------------------------------------------------------------------------

    @rule(sku=SKUS, bin_index=BINS, qty=st.integers(1, 20))
    def receive(self, sku, bin_index, qty):
        from erp_core.inventory.services import receive

        receive(self.skus[sku], self.bins[bin_index], qty, reference="PO-test")
        self.qty[(self.skus[sku], self.bins[bin_index])] += qty

    @rule(sku=SKUS, bin_index=BINS, qty=st.integers(1, 12))
    def reserve(self, sku, bin_index, qty):
        from tests.stock_helpers import reserve

        key = (self.skus[sku], self.bins[bin_index])
        expected = self._available(self.qty, *key) >= qty
        assert _attempt(lambda: reserve(*key, qty), InsufficientStock) == expected
        if expected:
            self.reserved[key] += qty

    @rule(sku=SKUS, bin_index=BINS, qty=st.integers(1, 12))
    def release(self, sku, bin_index, qty):
        from tests.stock_helpers import release

        key = (self.skus[sku], self.bins[bin_index])
        expected = self.reserved[key] >= qty
        assert _attempt(lambda: release(*key, qty), DomainError) == expected
        if expected:
            self.reserved[key] -= qty

    @rule(sku=SKUS, from_index=BINS, to_index=BINS, qty=st.integers(1, 15))
    def move(self, sku, from_index, to_index, qty):
        from erp_core.inventory.services import move_stock

        if from_index == to_index:
            return
        sku_id, src, dst = self.skus[sku], self.bins[from_index], self.bins[to_index]
        expected = self._available(self.qty, sku_id, src) >= qty
        assert _attempt(lambda: move_stock(sku_id, src, dst, qty, reason="move"), InsufficientStock) == expected
        if expected:
            self.qty[(sku_id, src)] -= qty
            self.qty[(sku_id, dst)] += qty

    @rule(sku=SKUS, bin_index=BINS, counted=st.integers(0, 30),
          reason=st.sampled_from(["damaged", "lost", "found", "count_correction", "expired", "sample", "other"]))
    def adjust(self, sku, bin_index, counted, reason):
        from erp_core.inventory.services import adjust_counted

        key = (self.skus[sku], self.bins[bin_index])
        expected = counted >= self.reserved[key]
        assert _attempt(lambda: adjust_counted(*key, counted, reason_code=reason, note="stateful"),
                        InsufficientStock) == expected
        if expected:
            self.qty[key] = counted

    @rule(lines=st.lists(st.tuples(SKUS, st.integers(1, 15), st.none() | BINS), min_size=1, max_size=2))
    def ship_transfer(self, lines):
        from erp_core.inventory.transfers import create_transfer, get_transfer, ship_transfer

        wanted = [(self.skus[s], q, b) for s, q, b in lines]
        transfer = create_transfer(self.source_id, self.destination_id,
                                   [(s, q, None if b is None else self.bins[b]) for s, q, b in wanted])
        transfer_id = transfer.id
        line_ids = [line.id for line in transfer.lines]
        plan = self._ship_plan(wanted)
        assert _attempt(lambda: ship_transfer(transfer_id), InsufficientStock) == (plan is not None)
        if plan is None:
            assert get_transfer(transfer_id).status == "draft"
            return
        self.qty = plan
        self.open_transfers[transfer_id] = {lid: [s, q, 0] for lid, (s, q, _b) in zip(line_ids, wanted, strict=True)}

    @precondition(lambda self: bool(self.open_transfers))
    @rule(data=st.data())
    def receive_transfer(self, data):
        from erp_core.inventory.transfers import receive_transfer

        transfer_id = data.draw(st.sampled_from(sorted(self.open_transfers)))
        lines = self.open_transfers[transfer_id]
        receipts = {lid: data.draw(st.integers(0, qty - got)) for lid, (_s, qty, got) in lines.items()}
        expected = any(receipts.values())
        assert _attempt(lambda: receive_transfer(transfer_id, receipts, self.dest_bin), ValidationFailed) == expected
        if not expected:
            return
        for lid, q in receipts.items():
            lines[lid][2] += q
            self.qty[(lines[lid][0], self.dest_bin)] += q
        if all(got == qty for _s, qty, got in lines.values()):
            del self.open_transfers[transfer_id]

    @precondition(lambda self: bool(self.open_transfers))
    @rule(data=st.data())
    def receive_more_than_shipped(self, data):
        from erp_core.inventory.transfers import receive_transfer

        transfer_id = data.draw(st.sampled_from(sorted(self.open_transfers)))
        lid, (_s, qty, got) = data.draw(st.sampled_from(sorted(self.open_transfers[transfer_id].items())))
        assert not _attempt(lambda: receive_transfer(transfer_id, {lid: qty - got + 1}, self.dest_bin),
                            ValidationFailed)

    def teardown(self) -> None:
        """Delete what the example created, so the global ledger check stays fast from one example to
        the next (and while hypothesis shrinks). The shared virtual locations stay."""
        from erp_core.catalog.models import Sku
        from erp_core.extensions import db
        from erp_core.inventory.models import (
            Location,
            Quant,
            ReorderRule,
            StockMove,
            StockReservation,
            StockTransfer,
            StockTransferLine,
            Warehouse,
        )
        from erp_core.orders.models import Order, OrderLine

        db.session.remove()
        warehouses = [self.source_id, self.destination_id]
        with db.engine.begin() as conn:  # Core deletes: the ORM's immutability guard is for business code
            conn.execute(StockMove.__table__.delete().where(StockMove.sku_id.in_(self.skus)))
            conn.execute(StockReservation.__table__.delete().where(StockReservation.sku_id.in_(self.skus)))
            holders = list(conn.scalars(select(OrderLine.order_id).where(OrderLine.sku_id.in_(self.skus))))
            conn.execute(OrderLine.__table__.delete().where(OrderLine.sku_id.in_(self.skus)))
            conn.execute(Order.__table__.delete().where(Order.id.in_(holders), Order.external_id.like("HOLD-%")))
            conn.execute(Quant.__table__.delete().where(Quant.sku_id.in_(self.skus)))
            conn.execute(StockTransferLine.__table__.delete().where(StockTransferLine.sku_id.in_(self.skus)))
            conn.execute(StockTransfer.__table__.delete().where(StockTransfer.from_warehouse_id.in_(warehouses)))
            conn.execute(ReorderRule.__table__.delete().where(ReorderRule.sku_id.in_(self.skus)))
            conn.execute(Location.__table__.delete().where(Location.warehouse_id.in_(warehouses)))
            conn.execute(Warehouse.__table__.delete().where(Warehouse.id.in_(warehouses)))
            conn.execute(Sku.__table__.delete().where(Sku.id.in_(self.skus)))

    # --- invariants ----------------------------------------------------------------------------

    @invariant()
    def quants_match_the_model_and_the_ledger(self):
        from erp_core.extensions import db
        from erp_core.inventory.models import Quant
        from erp_core.inventory.services import ledger_discrepancies

        rows = db.session.execute(select(Quant.sku_id, Quant.location_id, Quant.quantity, Quant.reserved_quantity)
                                  .where(Quant.sku_id.in_(self.skus))).all()
        for _sku, _loc, quantity, reserved in rows:
            assert quantity >= 0 and 0 <= reserved <= quantity
        actual = {(s, loc): (q, r) for s, loc, q, r in rows if q or r}
        expected = {key: (q, self.reserved[key]) for key, q in self.qty.items() if q or self.reserved[key]}
        assert actual == expected
        assert ledger_discrepancies() == []

    @invariant()
    def transit_matches_the_open_transfers(self):
        from erp_core.extensions import db
        from erp_core.inventory.models import StockTransfer, StockTransferLine
        from erp_core.inventory.stock_queries import in_transit

        expected: dict[tuple[int, int], int] = defaultdict(int)
        for lines in self.open_transfers.values():
            for sku, qty, got in lines.values():
                if qty > got:
                    expected[(sku, self.destination_id)] += qty - got
        assert in_transit(sku_ids=self.skus) == dict(expected)
        received = dict(db.session.execute(
            select(StockTransferLine.id, StockTransferLine.received_quantity)
            .join(StockTransfer).where(StockTransfer.status == "shipped",
                                       StockTransfer.from_warehouse_id == self.source_id)).all())
        assert received == {lid: got for lines in self.open_transfers.values() for lid, (_s, _q, got) in lines.items()}


def test_the_ledger_stays_sound_under_random_sequences_of_stock_operations(app):
    with app.app_context():
        try:
            run_state_machine_as_test(LedgerMachine, settings=settings(
                max_examples=15, stateful_step_count=25, deadline=None,
                # No shrink and explain phases: with the database behind every step they take the whole
                # five minutes hypothesis allows them, past the test timeout. A failure prints its full
                # sequence of steps (and replays first on the next run); add Phase.shrink to minimise it.
                phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target],
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
        finally:
            from erp_core.extensions import db

            db.session.remove()
