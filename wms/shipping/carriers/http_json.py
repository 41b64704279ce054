"""`http_json`: the reference adapter for a carrier (or e-waybill platform) spoken to over HTTP + JSON.

The carrier's ``api_url`` is the service's base URL and ``api_key`` is sent as ``Authorization: Bearer``:

- ``POST {api_url}/waybills`` with ``{"order", "recipient": {name, phone, province, city, district,
  address, postcode}, "weight": grams, "packages": [{"sequence", "weight"}], "shipment"}``
  answers ``{"tracking_number", "routing_code", "hub_code"}`` (大头笔 / 三段码, 集包地);
- ``POST {api_url}/waybills/{number}/cancel`` cancels a waybill (any 2xx is success);
- ``GET {api_url}/tracking/{number}`` answers ``{"events": [{"external_id", "occurred_at" (ISO 8601),
  "code", "description", "location"}]}`` (or the bare list).

A connection error, a timeout (WMS_CARRIER_TIMEOUT seconds, 10 by default), a non-2xx answer or an
answer without a tracking number raises `carrier_unavailable`: the operation that called the
adapter is refused and changes nothing. The HTTP call happens inside that operation's transaction
(it must: the number is part of the shipment), so the timeout is kept short.
"""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime
from urllib.parse import quote

import requests
from flask import current_app, has_app_context

from erp_core.errors import DomainError

from .base import LabelData, TrackingUpdate, register_adapter

log = logging.getLogger(__name__)


class CarrierUnavailable(DomainError):
    code = "carrier_unavailable"
    status = 503


def _timeout() -> float:
    default = float(os.environ.get("WMS_CARRIER_TIMEOUT", "10"))
    return float(current_app.config.get("WMS_CARRIER_TIMEOUT", default)) if has_app_context() else default


def parse_time(value: str) -> datetime:
    """An ISO 8601 time as UTC (a time without a zone is taken as UTC)."""
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class HttpJsonAdapter:
    def __init__(self, carrier) -> None:
        self.carrier = carrier
        self.base = (carrier.api_url or "").rstrip("/")

    def _call(self, method: str, path: str, payload: dict | None = None) -> dict | list:
        headers = {"Accept": "application/json"}
        if self.carrier.api_key:
            headers["Authorization"] = f"Bearer {self.carrier.api_key}"
        try:
            response = requests.request(method, self.base + path, json=payload, headers=headers, timeout=_timeout())
        except requests.RequestException as error:
            log.warning("carrier %s %s %s failed: %s", self.carrier.code, method, path, error)
            raise CarrierUnavailable(f"carrier {self.carrier.code} did not answer", carrier=self.carrier.code,
                                     problem=type(error).__name__) from error
        if not 200 <= response.status_code < 300:
            raise CarrierUnavailable(f"carrier {self.carrier.code} answered {response.status_code}",
                                     carrier=self.carrier.code, problem=f"HTTP {response.status_code}")
        if not response.content:
            return {}
        try:
            return response.json()
        except ValueError as error:
            raise CarrierUnavailable(f"carrier {self.carrier.code} answered no JSON", carrier=self.carrier.code,
                                     problem="not JSON") from error

    def issue_tracking_number(self, shipment) -> LabelData:
        order = shipment.order
        body = {
            "order": order.external_id, "shipment": shipment.reference,
            "recipient": {"name": order.ship_name, "phone": order.ship_phone, "province": order.ship_province,
                          "city": order.ship_city, "district": order.ship_district, "address": order.ship_address,
                          "postcode": order.ship_postcode},
            "weight": shipment.measured_weight_g,
            "packages": [{"sequence": p.sequence, "weight": p.weight_g} for p in shipment.packages],
        }
        answer = self._call("POST", "/waybills", body)
        number = str(answer.get("tracking_number") or "").strip() if isinstance(answer, dict) else ""
        if not number or len(number) > 40:
            raise CarrierUnavailable(f"carrier {self.carrier.code} gave no tracking number",
                                     carrier=self.carrier.code, problem="no tracking_number")
        return LabelData(tracking_number=number, routing_code=str(answer.get("routing_code") or "")[:40],
                         hub_code=str(answer.get("hub_code") or "")[:20],
                         extra={k: v for k, v in answer.items() if k not in ("tracking_number", "routing_code",
                                                                               "hub_code")})

    def cancel(self, shipment) -> None:
        self._call("POST", f"/waybills/{quote(shipment.tracking_number, safe='')}/cancel", {})

    def track(self, shipment) -> list[TrackingUpdate]:
        answer = self._call("GET", f"/tracking/{quote(shipment.tracking_number, safe='')}")
        events = answer.get("events", []) if isinstance(answer, dict) else answer
        updates = []
        for event in events or []:
            try:
                updates.append(TrackingUpdate(
                    external_id=str(event["external_id"])[:80], occurred_at=parse_time(event["occurred_at"]),
                    code=str(event.get("code") or "in_transit")[:20],
                    description=str(event.get("description") or "")[:300],
                    location=str(event.get("location") or "")[:120]))
            except (KeyError, TypeError, ValueError):
                log.warning("carrier %s sent a tracking event without id or time: %r", self.carrier.code, event)
        return updates


register_adapter("http_json", HttpJsonAdapter)
