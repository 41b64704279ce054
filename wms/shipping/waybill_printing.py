"""Printing a shipment's waybills to its pack station's printer through the print queue.

The desk prints where it packs: `print_waybill` renders the waybills (ZPL at the printer's dpi for a
thermal printer, PDF otherwise) and queues them in the caller's transaction, so a pack-out that rolls
back prints nothing and a printer that is off never holds the desk (the queue retries; the print-jobs
page reprints). A station without a printer prints from the browser (the waybill PDF link).
"""

from __future__ import annotations

from erp_core.errors import DomainError

from . import labels, template_store, zpl
from .label_data import waybill_data
from .models import PrintJob, Shipment
from .printing import PDF, ZPL, enqueue_print, station_printer


def print_waybill(shipment: Shipment, *, user_id: int | None = None, lang: str = "zh") -> PrintJob | None:
    """Queue the shipment's waybills (one a parcel) on its station's printer; None when the station has
    none or no tracking number is known yet (a manual carrier's number is scanned first)."""
    printer = station_printer(shipment.station_location_id)
    if printer is None or printer.kind == "browser" or not shipment.tracking_number:
        return None
    data = waybill_data(shipment, lang=lang)
    if printer.language == "zpl":
        payload, content_type = zpl.waybill_zpl(data, dpi=printer.dpi).encode("utf-8"), ZPL
    else:
        payload, content_type = labels.waybills_pdf(data, lang=lang,
                                                    body=template_store.override_body("waybill.html")), PDF
    return enqueue_print(printer.id, "waybill", shipment.reference, payload, content_type, user_id=user_id)


def print_waybill_quietly(shipment: Shipment, *, user_id: int | None = None) -> str:
    """`print_waybill` at the end of a pack-out: a label that cannot be made never undoes the packing;
    the refusal's code is returned for the screen to say ("" when queued or nothing to do)."""
    try:
        print_waybill(shipment, user_id=user_id)
    except DomainError as error:
        return error.code
    return ""
