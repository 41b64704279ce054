"""The statements (profit and loss, balance sheet, cash flow) as a PDF in the reader's language:
label_templates/finance_statements.html rendered by WeasyPrint (wms.documents). The books belong to
the ERP core; the document renderer lives on the floor side, so the PDF route does too."""

from __future__ import annotations

from flask import Blueprint, flash, make_response, redirect, url_for
from flask_babel import get_locale

from erp_core.auth.guard import requires
from erp_core.errors import DomainError
from erp_core.finance.report_routes import period_args
from erp_core.finance.statements import statements
from erp_core.messages import describe

from .documents import render_pdf

bp = Blueprint("finance_documents", __name__)


@bp.route("/statements.pdf")
@requires("finance.view")
def statements_pdf():
    try:
        day_from, day_to = period_args()
    except DomainError as error:
        flash(describe(error), "error")
        return redirect(url_for("finance.statements_page"))
    lang = "zh" if str(get_locale()).startswith("zh") else "en"
    report = statements(day_from, day_to, lang)
    pdf = render_pdf("finance_statements.html", {"report": report}, lang=lang)
    response = make_response(pdf)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f"inline; filename=statements-{day_from}-{day_to}.pdf"
    return response
