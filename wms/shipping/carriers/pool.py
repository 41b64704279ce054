"""Number-pool carriers: ranges of tracking numbers the carrier issued, imported, handed out once.

Handing out: the lowest free number is claimed by a conditional UPDATE (`... WHERE id = :id AND
status = 'free'`, row count checked), retried on the next candidate when another desk took it
first; on PostgreSQL the candidate is read with FOR UPDATE SKIP LOCKED, so concurrent desks take
different numbers without waiting. A number is never given twice: the UPDATE is the proof.
"""

from __future__ import annotations

from sqlalchemy import select, update

from erp_core.errors import Conflict
from erp_core.extensions import db
from erp_core.models_base import utcnow

from ..models import TrackingNumber
from .base import LabelData, TrackingUpdate, register_adapter

MAX_TRIES = 20


def claim_number(carrier_id: int, package_id: int | None = None) -> str:
    """The next free number of the carrier's pool, now used; Conflict `pool_empty` when none is left."""
    for _ in range(MAX_TRIES):
        stmt = (select(TrackingNumber.id, TrackingNumber.number)
                .where(TrackingNumber.carrier_id == carrier_id, TrackingNumber.status == "free")
                .order_by(TrackingNumber.id).limit(1))
        if db.engine.dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        row = db.session.execute(stmt).first()
        if row is None:
            break
        taken = db.session.execute(
            update(TrackingNumber).where(TrackingNumber.id == row.id, TrackingNumber.status == "free")
            .values(status="used", used_at=utcnow(), package_id=package_id)
            .execution_options(synchronize_session=False)).rowcount
        if taken == 1:
            return row.number
    raise Conflict("the carrier's pool of tracking numbers is empty: import a new range", code="pool_empty",
                   carrier_id=carrier_id)


class PoolAdapter:
    def __init__(self, carrier) -> None:
        self.carrier = carrier

    def issue_tracking_number(self, shipment) -> LabelData:
        return LabelData(tracking_number=claim_number(self.carrier.id))

    def cancel(self, shipment) -> None:
        """A pool number once printed is void (never reused), as carriers require."""
        db.session.execute(update(TrackingNumber).where(TrackingNumber.carrier_id == self.carrier.id,
                                                        TrackingNumber.number == shipment.tracking_number)
                           .values(status="void").execution_options(synchronize_session=False))

    def track(self, shipment) -> list[TrackingUpdate]:
        return []  # a pool carrier reports tracking by webhook or file, not by pull


register_adapter("pool", PoolAdapter)
