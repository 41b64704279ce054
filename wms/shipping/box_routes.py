"""Box types admin (shipping.manage): list, create, edit, deactivate."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from erp_core.auth.guard import requires
from erp_core.errors import DomainError
from erp_core.extensions import db
from erp_core.messages import describe

from .box_services import FIELDS, create_box_type, update_box_type
from .models import BoxType

bp = Blueprint("boxes", __name__)


def _form_values() -> dict:
    values = {name: request.form.get(name, "") for name in FIELDS if name != "active"}
    values["active"] = bool(request.form.get("active"))
    return values


@bp.route("/boxes", methods=["GET", "POST"])
@requires("shipping.manage")
def box_types():
    form: dict = {"active": True}
    if request.method == "POST":
        form = _form_values()
        try:
            box = create_box_type(form)
        except DomainError as error:
            flash(describe(error), "error")
        else:
            flash(_("Box type %(code)s created.", code=box.code), "success")
            return redirect(url_for("boxes.box_types"))
    boxes = db.session.scalars(select(BoxType).order_by(BoxType.active.desc(), BoxType.code)).all()
    return render_template("shipping/pack_boxes.html", boxes=boxes, form=form, box=None)


@bp.route("/boxes/<int:box_id>", methods=["GET", "POST"])
@requires("shipping.manage")
def edit_box_type(box_id: int):
    box = db.session.get(BoxType, box_id) or abort(404)
    form = {name: getattr(box, name) for name in FIELDS}
    if request.method == "POST":
        form = _form_values()
        try:
            update_box_type(box.id, form)
        except DomainError as error:
            flash(describe(error), "error")
        else:
            flash(_("Box type %(code)s saved.", code=box.code), "success")
            return redirect(url_for("boxes.box_types"))
    return render_template("shipping/pack_box_form.html", box=box, form=form)


@bp.route("/boxes/<int:box_id>/active", methods=["POST"])
@requires("shipping.manage")
def toggle_box_type(box_id: int):
    box = db.session.get(BoxType, box_id) or abort(404)
    update_box_type(box.id, {"active": not box.active})
    flash(_("Box type %(code)s is active again.", code=box.code) if box.active
          else _("Box type %(code)s deactivated.", code=box.code), "success")
    return redirect(url_for("boxes.box_types"))
