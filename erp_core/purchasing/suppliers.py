"""Suppliers (供应商) and the SKUs they supply: create, change, deactivate; every price change kept.

Every service validates before it writes and runs in one unit of work.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select, update

from ..audit.log import record
from ..catalog.models import Sku
from ..db import atomic
from ..errors import Conflict, NotFound, ValidationFailed
from ..extensions import db
from .models import SUPPLIER_LANGUAGES, Supplier, SupplierContact, SupplierPriceChange, SupplierSku

SUPPLIER_FIELDS = ("code", "name", "name_zh", "contact_name", "phone", "email", "currency", "lead_time_days",
                   "payment_terms", "language", "active")
_LENGTHS = {"code": 20, "name": 120, "name_zh": 120, "contact_name": 120, "phone": 40, "email": 200,
            "payment_terms": 60}
_CURRENCY = re.compile(r"[A-Z]{3}")
MAX_PRICE = Decimal("9999999999.99")


def _check_supplier(values: Mapping[str, object]) -> dict[str, object]:
    clean: dict[str, object] = {}
    for key, value in values.items():
        if key not in SUPPLIER_FIELDS:
            continue
        if isinstance(value, str):
            value = value.strip()
            if len(value) > _LENGTHS.get(key, 1000):
                raise ValidationFailed(f"{key} is longer than {_LENGTHS[key]} characters",
                                       code="supplier_field_too_long", field=key, limit=_LENGTHS[key])
        clean[key] = value
    if "code" in clean:
        clean["code"] = str(clean["code"]).upper()
    if "currency" in clean:
        clean["currency"] = check_currency(str(clean["currency"]))
    if "lead_time_days" in clean and (not isinstance(clean["lead_time_days"], int) or
                                      not 0 <= int(clean["lead_time_days"]) <= 365):
        raise ValidationFailed("lead time is 0 to 365 days", code="bad_lead_time", value=clean["lead_time_days"])
    if "language" in clean and clean["language"] not in SUPPLIER_LANGUAGES:
        raise ValidationFailed("a supplier's language is en or zh", code="bad_supplier_language",
                               value=clean["language"])
    return clean


def check_currency(text: str) -> str:
    code = text.strip().upper()
    if not _CURRENCY.fullmatch(code):
        raise ValidationFailed(f"a currency is three letters (CNY, USD), not {text!r}", code="bad_currency",
                               value=text)
    return code


def create_supplier(values: Mapping[str, object]) -> Supplier:
    """A new supplier. Raises supplier_incomplete, supplier_code_taken and the field checks."""
    clean = _check_supplier(values)
    if not clean.get("code") or not clean.get("name"):
        raise ValidationFailed("a supplier needs a code and a name", code="supplier_incomplete")
    with atomic():
        if db.session.scalar(select(Supplier.id).filter_by(code=clean["code"])):
            raise Conflict(f"supplier {clean['code']} exists already", code="supplier_code_taken",
                           supplier=clean["code"])
        supplier = Supplier(**clean)
        db.session.add(supplier)
        db.session.flush()
    return supplier


def get_supplier(supplier_id: int) -> Supplier:
    supplier = db.session.get(Supplier, supplier_id)
    if supplier is None:
        raise NotFound("no such supplier", code="unknown_supplier")
    return supplier


def update_supplier(supplier_id: int, values: Mapping[str, object]) -> Supplier:
    """Change the given fields (deactivate with active=False: it is kept for its history)."""
    clean = _check_supplier(values)
    if "name" in clean and not clean["name"]:
        raise ValidationFailed("a supplier needs a code and a name", code="supplier_incomplete")
    with atomic():
        supplier = get_supplier(supplier_id)
        code = clean.get("code")
        if code and code != supplier.code and db.session.scalar(select(Supplier.id).filter_by(code=code)):
            raise Conflict(f"supplier {code} exists already", code="supplier_code_taken", supplier=code)
        for key, value in clean.items():
            setattr(supplier, key, value)
        db.session.flush()
    return supplier


CONTACT_LENGTHS = {"name": 120, "title": 60, "phone": 40, "email": 200}


def add_contact(supplier_id: int, values: Mapping[str, object]) -> SupplierContact:
    """One more contact person at the supplier. Refused: no name (supplier_contact_incomplete), a field
    too long (supplier_field_too_long)."""
    clean = {key: str(values.get(key) or "").strip() for key in CONTACT_LENGTHS}
    for key, limit in CONTACT_LENGTHS.items():
        if len(clean[key]) > limit:
            raise ValidationFailed(f"{key} is longer than {limit} characters", code="supplier_field_too_long",
                                   field=key, limit=limit)
    if not clean["name"]:
        raise ValidationFailed("a contact needs a name", code="supplier_contact_incomplete")
    with atomic():
        get_supplier(supplier_id)
        contact = SupplierContact(supplier_id=supplier_id, **clean)
        db.session.add(contact)
        db.session.flush()
    return contact


def remove_contact(supplier_id: int, contact_id: int) -> None:
    """Remove a contact of the supplier (unknown_supplier_contact when it is not one of its contacts)."""
    with atomic():
        contact = db.session.get(SupplierContact, contact_id)
        if contact is None or contact.supplier_id != supplier_id:
            raise NotFound("no such contact at this supplier", code="unknown_supplier_contact")
        db.session.delete(contact)


@dataclass(frozen=True)
class SupplierSkuValues:
    sku_id: int
    price: Decimal
    supplier_code: str = ""
    pack_size: int = 1
    moq: int = 1
    currency: str = ""  # empty: the supplier's
    preferred: bool = False


def check_supplier_sku(values: SupplierSkuValues) -> None:
    """Refused before any write: a pack or MOQ below 1, a negative or huge price, a long code."""
    if not isinstance(values.pack_size, int) or not 1 <= values.pack_size <= 1_000_000:
        raise ValidationFailed("a pack holds 1 to 1000000 units", code="bad_pack_size", value=values.pack_size)
    if not isinstance(values.moq, int) or not 1 <= values.moq <= 10_000_000:
        raise ValidationFailed("a minimum order is 1 to 10000000 units", code="bad_moq", value=values.moq)
    if not isinstance(values.price, Decimal) or not Decimal("0") <= values.price <= MAX_PRICE:
        raise ValidationFailed("a price is a non-negative amount", code="bad_price", value=str(values.price))
    if len(values.supplier_code) > 64:
        raise ValidationFailed("a supplier's SKU code has at most 64 characters", code="supplier_field_too_long",
                               field="supplier_code", limit=64)


def set_supplier_sku(supplier_id: int, values: SupplierSkuValues, *, user_id: int | None = None) -> SupplierSku:
    """Add a SKU to a supplier's list, or change it. A new or changed price writes a price history row
    (date, old, new, who). Preferred: the SKU's other suppliers lose the flag (one preferred each).

    Locks: the supplier SKU row when it exists (price read under the lock, so two concurrent changes
    each record the price they replaced)."""
    check_supplier_sku(values)
    with atomic():
        supplier = get_supplier(supplier_id)
        if db.session.get(Sku, values.sku_id) is None:
            raise NotFound("no such SKU", code="unknown_sku")
        row = db.session.scalar(select(SupplierSku).filter_by(supplier_id=supplier.id, sku_id=values.sku_id)
                                .with_for_update().execution_options(populate_existing=True))
        old_price = None if row is None else row.price
        if row is None:
            row = SupplierSku(supplier_id=supplier.id, sku_id=values.sku_id)
            db.session.add(row)
        row.supplier_code = values.supplier_code.strip()
        row.pack_size, row.moq, row.price = values.pack_size, values.moq, values.price.quantize(Decimal("0.01"))
        row.currency = check_currency(values.currency) if values.currency else supplier.currency
        row.preferred = values.preferred
        db.session.flush()
        if values.preferred:
            db.session.execute(update(SupplierSku).where(SupplierSku.sku_id == values.sku_id, SupplierSku.id != row.id)
                               .values(preferred=False).execution_options(synchronize_session=False))
        if old_price is None or old_price != row.price:
            db.session.add(SupplierPriceChange(supplier_sku_id=row.id, old_price=old_price, new_price=row.price,
                                               user_id=user_id))
            db.session.flush()
            record("supplier_price.changed", "supplier_sku", row.id, before={"price": old_price},
                   after={"price": row.price, "currency": row.currency},
                   summary=f"price of SKU {row.sku_id} at supplier {supplier.code}: {old_price} → {row.price}",
                   user_id=user_id)
    return row


def supplier_sku(supplier_id: int, sku_id: int) -> SupplierSku | None:
    return db.session.scalar(select(SupplierSku).filter_by(supplier_id=supplier_id, sku_id=sku_id))


def price_history(supplier_id: int, sku_id: int | None = None) -> list[SupplierPriceChange]:
    stmt = (select(SupplierPriceChange).join(SupplierSku, SupplierSku.id == SupplierPriceChange.supplier_sku_id)
            .where(SupplierSku.supplier_id == supplier_id))
    if sku_id is not None:
        stmt = stmt.where(SupplierSku.sku_id == sku_id)
    return list(db.session.scalars(stmt.order_by(SupplierPriceChange.changed_at.desc(), SupplierPriceChange.id.desc())))


def active_suppliers() -> list[Supplier]:
    return list(db.session.scalars(select(Supplier).where(Supplier.active.is_(True)).order_by(Supplier.code)))
