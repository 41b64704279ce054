"""Carrier adapters behind one interface (`base.CarrierAdapter`); `adapter_for(carrier)` picks one.

- `pool`: numbers the carrier issued in ranges, imported into `tracking_numbers` and handed out once
  (the reference implementation);
- `manual`: the desk types or scans the number from a pre-printed waybill;
- API adapters (a platform e-waybill service: 菜鸟, 拼多多, 抖音, 京东; or the carrier's own API) register
  under their name with `register_adapter` and are chosen by `Carrier.adapter` for kind "api".
"""

from __future__ import annotations

from .base import CarrierAdapter, LabelData, TrackingUpdate, adapter_for, register_adapter

__all__ = ["CarrierAdapter", "LabelData", "TrackingUpdate", "adapter_for", "register_adapter"]
