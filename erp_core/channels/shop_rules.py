"""A shop's platform rules that reach the warehouse: the share of a lot's shelf life that must be left
when it ships (e.g. 67 = two thirds; Tmall and JD set such rules for food and cosmetics)."""

from __future__ import annotations

from ..db import atomic
from ..errors import NotFound, ValidationFailed
from ..extensions import db
from .models import Channel


def set_min_ship_life_percent(channel_id: int, percent: int | None) -> Channel:
    """Set (or, with None, clear) the shop's minimum share of shelf life left at shipment, 1..100 percent.
    Allocation applies it together with each SKU's own minimum, the stricter winning."""
    if percent is not None and (isinstance(percent, bool) or not isinstance(percent, int) or not 1 <= percent <= 100):
        raise ValidationFailed("the share of shelf life left at shipment is 1 to 100 percent",
                               code="bad_ship_life_percent", percent=percent)
    with atomic():
        channel = db.session.get(Channel, channel_id)
        if channel is None:
            raise NotFound("no such channel", code="unknown_channel")
        channel.min_ship_life_percent = percent
        db.session.flush()
    return channel
