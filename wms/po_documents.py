"""A purchase order (采购单) as a PDF in the supplier's language: label_templates/purchase_order.html
rendered by WeasyPrint with the static-only URL fetcher (wms.documents). The ERP core owns the PO;
the document renderer lives on the floor side, so the PDF route does too."""

from __future__ import annotations

from flask import Blueprint, make_response

from erp_core.auth.guard import requires
from erp_core.purchasing.access import order_for
from erp_core.purchasing.domain import order_total
from erp_core.purchasing.models import PurchaseOrder
from erp_core.purchasing.suppliers import supplier_sku

from . import barcodes
from .documents import PRINTER_DPI, render_pdf

bp = Blueprint("po_documents", __name__)


def purchase_order_pdf(po: PurchaseOrder) -> bytes:
    lang = po.supplier.language
    zh = lang == "zh"
    lines = []
    for line in po.lines:
        listing = supplier_sku(po.supplier_id, line.sku_id)
        lines.append({"sku": line.sku.code, "name": line.sku.display_name(lang),
                      "supplier_code": listing.supplier_code if listing else "", "quantity": line.quantity,
                      "unit_price": line.unit_price, "amount": order_total([(line.quantity, line.unit_price)])})
    total = order_total([(x.quantity, x.unit_price) for x in po.lines])
    supplier, warehouse = po.supplier, po.warehouse
    context = {
        "po": {"number": po.number, "currency": po.currency, "notes": po.notes, "freight": po.freight,
               "expected": (po.promised_date or po.expected_date).isoformat()
               if (po.promised_date or po.expected_date) else ""},
        "supplier": {"name": supplier.name_zh if zh and supplier.name_zh else supplier.name,
                     "contact": supplier.contact_name, "phone": supplier.phone, "email": supplier.email,
                     "terms": supplier.payment_terms},
        "warehouse": {"name": warehouse.display_name(lang), "address": " ".join(
            x for x in (warehouse.province, warehouse.city, warehouse.address) if x)},
        "lines": lines, "total": total, "grand_total": total + po.freight,
        "code": barcodes.code128_svg(po.number, module_dots=2, height_dots=60, dpi=PRINTER_DPI),
    }
    return render_pdf("purchase_order.html", context, lang=lang)


@bp.route("/orders/<int:po_id>/po.pdf")
@requires("purchasing.orders")
def pdf(po_id: int):
    po = order_for(po_id)
    response = make_response(purchase_order_pdf(po))
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f"inline; filename={po.number}.pdf"
    return response
