"""Waybills (面单), packing slips and SSCC pallet labels as PDF: label sizes, where each barcode goes,
and the documents (many labels in one document: WeasyPrint's start-up costs far more than a page).

Barcodes come from :mod:`wms.barcodes`, fitted to their box in whole dots. A code too long for its
box upright is turned 90° into a strip down the label's right edge (see :func:`place_barcodes`);
the HTML and the ZPL templates both place them from the same :class:`Placed` list.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from wms import barcodes
from wms.documents import StaticOnlyURLFetcher

from .label_data import WaybillData
from .sscc import PalletLabel
from .template_store import render_document

# Positions of barcodes are whole dots at 203 dpi (the PDF's printer): margins, gaps, the side strip.
_snap = barcodes.snap_mm
GAP_MM = _snap(1.5)


@dataclass(frozen=True)
class LabelFormat:
    """A label stock: page size, margin, the bar heights of its barcodes, and (二联) the receipt part's height."""

    name: str
    width_mm: float
    height_mm: float
    margin_mm: float
    tracking_bar_mm: float
    small_bar_mm: float
    routing_mm: float  # the largest 大头笔 text
    receipt_mm: float = 0.0  # 二联: the lower, tear-off part with the same number

    @property
    def inner_mm(self) -> float:
        return self.width_mm - 2 * self.margin_mm

    @property
    def main_mm(self) -> float:
        """Height of the main part (the whole label unless it has a receipt part)."""
        return self.height_mm - self.receipt_mm


FORMATS = {
    "100x150": LabelFormat("100x150", 100, 150, _snap(3), 16, 8, 15),
    "76x130": LabelFormat("76x130", 76, 130, _snap(2.5), 13, 7, 12),
    "100x180": LabelFormat("100x180", 100, 180, _snap(3), 14, 7, 14, receipt_mm=62),
}
SLIP_FORMATS = {"a4": (210, 297), "100x150": (100, 150)}
SSCC_FORMAT = LabelFormat("sscc", 100, 150, _snap(4), 25, 18, 0)
STRIP_TOP_MM = _snap(12.0)  # the side strip starts below the carrier line
HUB_TEXT_MM = 10.0  # "集包地" before the hub code (4 mm bold, ~2.5 mm a character) and its barcode


def label_format(name: str | None, default: str = "100x150") -> LabelFormat:
    if name and name not in FORMATS:
        raise ValueError(f"unknown label format {name!r}")
    return FORMATS[name or default]


@dataclass(frozen=True)
class Placed:
    """A fitted barcode and where it sits: upright in the flow, or turned at (x, y) mm in the side strip."""

    name: str
    layout: barcodes.BarcodeLayout
    x_mm: float = 0.0
    y_mm: float = 0.0

    @property
    def rotated(self) -> bool:
        return self.layout.rotated

    @property
    def src(self) -> str:
        return self.layout.svg()

    @property
    def width_mm(self) -> float:
        return self.layout.width_mm

    @property
    def height_mm(self) -> float:
        return self.layout.height_mm


def place_barcodes(slots: Sequence[tuple[str, str, float] | tuple[str, str, float, float]], *, width_mm: float,
                   strip_x_mm: float, strip_mm: float, dpi: int = 203,
                   gs1: bool = False) -> tuple[dict[str, Placed], float]:
    """Fit ``slots`` = [(name, data, bar height mm[, mm taken by text beside it])]: upright across
    ``width_mm`` less the side strip, or, when a code is too long, turned 90° in a strip ``strip_mm``
    long at the right edge (``strip_x_mm``).

    Returns ({name: Placed}, the strip's width in mm). Raises BarcodeDoesNotFit if a code fits neither way.
    """
    slots = [(s[0], s[1], s[2], s[3] if len(s) > 3 else 0.0) for s in slots if s[1]]
    turned: list[str] = []
    while True:
        strip_w = sum(bar + GAP_MM for name, _, bar, _ in slots if name in turned)
        placed: dict[str, Placed] = {}
        moved = False
        for name, data, bar, beside in slots:
            if name in turned:
                continue
            try:
                room = width_mm - strip_w - beside
                placed[name] = Placed(name, barcodes.fit_code128(data, width_mm=room, height_mm=bar,
                                                                 dpi=dpi, gs1=gs1, rotate=False))
            except barcodes.BarcodeDoesNotFit:
                turned.append(name)
                moved = True
        if not moved:
            break
    x = _snap(strip_x_mm)
    for name, data, bar, _ in reversed([s for s in slots if s[0] in turned]):
        layout = barcodes.fit_code128(data, width_mm=bar, height_mm=strip_mm, bar_mm=bar, dpi=dpi, gs1=gs1)
        x -= layout.width_mm
        placed[name] = Placed(name, layout, x_mm=x, y_mm=0.0)
        x -= GAP_MM
    return placed, strip_w


def waybill_layout(data: WaybillData, fmt: LabelFormat, dpi: int = 203) -> dict:
    """Everything a waybill template needs besides the data: barcodes placed and text sizes fitted."""
    strip_mm = fmt.main_mm - STRIP_TOP_MM - fmt.margin_mm
    hub_text = _snap(HUB_TEXT_MM + 2.5 * len(data.hub_code))
    codes, strip_w = place_barcodes(
        [("tracking", data.tracking_number, fmt.tracking_bar_mm),
         ("hub", data.hub_code, fmt.small_bar_mm, hub_text),
         ("order", data.order_number, fmt.small_bar_mm)],
        width_mm=fmt.inner_mm, strip_x_mm=fmt.width_mm - fmt.margin_mm, strip_mm=strip_mm, dpi=dpi)
    body_mm = fmt.inner_mm - strip_w
    receipt = None
    if fmt.receipt_mm:
        receipt = barcodes.fit_code128(data.tracking_number, width_mm=fmt.inner_mm, height_mm=fmt.small_bar_mm + 3,
                                       dpi=dpi, rotate=False)
    return {
        "codes": codes, "strip_mm": strip_w, "strip_top_mm": STRIP_TOP_MM, "body_mm": body_mm,
        "receipt": receipt, "hub_text_mm": hub_text,
        "routing_mm": barcodes.text_mm(data.routing_code, width_mm=body_mm, largest_mm=fmt.routing_mm, smallest_mm=4),
        # "运单号 " / "Tracking no. " before the number: about eight characters more.
        "tracking_mm": barcodes.text_mm(data.tracking_number + "x" * 8, width_mm=body_mm, largest_mm=4.2),
    }


def waybill_context(labels: Sequence[WaybillData], label_format: str | None = None) -> dict:
    """The context of waybill.html: each label in its carrier's format unless ``label_format`` says otherwise."""
    pages = []
    for data in labels:
        fmt = FORMATS[label_format or data.label_format]
        pages.append({"d": data, "fmt": fmt, **waybill_layout(data, fmt)})
    return {"labels": pages, "formats": FORMATS}


def waybills_pdf(labels: Sequence[WaybillData], *, label_format: str | None = None, lang: str = "zh",
                 body: str | None = None, url_fetcher: StaticOnlyURLFetcher | None = None) -> bytes:
    """One PDF of every label, one page each, in the given order."""
    return render_document("waybill.html", waybill_context(labels, label_format), lang=lang, body=body,
                           url_fetcher=url_fetcher)


def slip_layout(data: WaybillData, size: str, dpi: int = 203) -> dict:
    width, height = SLIP_FORMATS[size]
    margin = _snap(10 if size == "a4" else 3)
    column = _snap((width - 2 * margin) / (2 if size == "a4" else 1))  # A4: the two codes side by side
    codes, strip_w = place_barcodes([("order", data.order_number, 10 if size == "a4" else 8),
                                     ("tracking", data.tracking_number, 10 if size == "a4" else 8)],
                                    width_mm=column,
                                    strip_x_mm=width - margin, strip_mm=height - STRIP_TOP_MM - margin, dpi=dpi)
    return {"codes": codes, "strip_mm": strip_w, "strip_top_mm": STRIP_TOP_MM, "margin_mm": margin, "column_mm": column,
            "page_w": width, "page_h": height}


def packing_slips_pdf(labels: Sequence[WaybillData], *, size: str = "a4", lang: str = "zh", body: str | None = None,
                      url_fetcher: StaticOnlyURLFetcher | None = None) -> bytes:
    """Packing slips (装箱单) with every line and its lot, A4 or 100x150, one per shipment."""
    return render_document("packing_slip.html", slip_context(labels, size), lang=lang, body=body,
                           url_fetcher=url_fetcher)


def slip_context(labels: Sequence[WaybillData], size: str = "a4") -> dict:
    if size not in SLIP_FORMATS:
        raise ValueError(f"unknown packing slip size {size!r}")
    return {"slips": [{"d": data, **slip_layout(data, size)} for data in labels], "size": size}


def sscc_layout(label: PalletLabel, dpi: int = 203) -> dict:
    """GS1 logistic label layout: the SSCC (00) alone in the bottom barcode, ship-to and consignment above it."""
    fmt = SSCC_FORMAT
    sscc_data = "00" + label.sscc
    rest = PalletLabel(sscc=label.sscc, postcode=label.postcode, consignment=label.consignment).barcode_data
    rest = rest[len(sscc_data):]
    codes, strip_w = place_barcodes([("route", rest, fmt.small_bar_mm), ("sscc", sscc_data, fmt.tracking_bar_mm)],
                                    width_mm=fmt.inner_mm, strip_x_mm=fmt.width_mm - fmt.margin_mm,
                                    strip_mm=fmt.height_mm - STRIP_TOP_MM - fmt.margin_mm, dpi=dpi, gs1=True)
    hri = label.human_readable
    cut = hri.find("(", 1)
    return {"codes": codes, "strip_mm": strip_w, "strip_top_mm": STRIP_TOP_MM, "fmt": fmt,
            "sscc_text": hri[:cut] if cut > 0 else hri, "route_text": hri[cut:] if cut > 0 else ""}


def sscc_pdf(labels: Sequence[PalletLabel], *, lang: str = "zh", body: str | None = None,
             url_fetcher: StaticOnlyURLFetcher | None = None) -> bytes:
    """GS1-128 SSCC pallet labels, 100x150 mm, one a page."""
    return render_document("sscc.html", sscc_context(labels), lang=lang, body=body, url_fetcher=url_fetcher)


def sscc_context(labels: Sequence[PalletLabel]) -> dict:
    return {"labels": [{"p": label, **sscc_layout(label)} for label in labels]}
