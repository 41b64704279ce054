{#- Waybill in ZPL: 100x150, 76x130 一联, 100x180 二联 (receipt part below the dashed rule). Positions in mm.
    Context: z (ZplCanvas), d (WaybillData), f (LabelFormat), codes {tracking, hub, order: Placed}, strip_mm,
    strip_top_mm, body_mm, receipt (BarcodeLayout or none), routing_mm, tracking_mm. -#}
{% set m = f.margin_mm %}{% set w = body_mm %}{% set y = namespace(v=m) %}
{{ z.start(f.width_mm, f.height_mm) }}
{{ z.text(m, y.v, d.carrier_name, 4.5, width_mm=w * 0.6, bold=True) }}
{{ z.text(m + f.inner_mm * 0.62, y.v + 1, d.reference, 2.4, width_mm=f.inner_mm * 0.38) }}
{% set y.v = y.v + 6 %}{{ z.rule(m, y.v, w, 0.5) }}{% set y.v = y.v + 1 %}
{% if d.routing_code %}
{{ z.text(m, y.v, d.routing_code, routing_mm, width_mm=w, bold=True) }}
{% set y.v = y.v + routing_mm + 1 %}{{ z.rule(m, y.v, w, 0.5) }}{% set y.v = y.v + 1 %}
{% endif %}
{% if d.hub_code %}
{{ z.text(m, y.v + 1, d.hub_code, 4, width_mm=w * 0.4, bold=True) }}
{% if codes.hub is defined and not codes.hub.rotated %}{{ z.barcode(codes.hub, m + 10 + 2.5 * d.hub_code|length, y.v) }}{% endif %}
{% set y.v = y.v + f.small_bar_mm + 1 %}
{% endif %}
{% if codes.tracking is defined and not codes.tracking.rotated %}
{{ z.barcode(codes.tracking, m, y.v) }}{% set y.v = y.v + f.tracking_bar_mm + 1 %}
{% endif %}
{{ z.text(m, y.v, d.tracking_number, tracking_mm, width_mm=w, bold=True) }}
{% set y.v = y.v + tracking_mm + 1.5 %}{{ z.rule(m, y.v, w, 0.3) }}{% set y.v = y.v + 1 %}
{{ z.text(m, y.v, d.recipient.name, 4, width_mm=w * 0.5, bold=True) }}{{ z.text(m + w * 0.52, y.v, d.recipient.phone, 4, width_mm=w * 0.48, bold=True) }}
{% set y.v = y.v + 5 %}{{ z.text(m, y.v, d.recipient.address, 3.2, width_mm=w, lines=2) }}
{% set y.v = y.v + 8 %}{{ z.rule(m, y.v, w, 0.3) }}{% set y.v = y.v + 1 %}
{{ z.text(m, y.v, d.sender.name, 3.2, width_mm=w * 0.62, bold=True) }}{{ z.text(m + w * 0.64, y.v, d.sender.phone, 3.2, width_mm=w * 0.36) }}
{% set y.v = y.v + 4 %}{{ z.text(m, y.v, d.sender.address, 2.8, width_mm=w) }}
{% set y.v = y.v + 4 %}{{ z.rule(m, y.v, w, 0.3) }}{% set y.v = y.v + 1 %}
{{ z.text(m, y.v, d.item_summary, 2.6, width_mm=w, lines=2) }}
{% set y.v = y.v + 6.5 %}{{ z.text(m, y.v, d.order_number, 2.4, width_mm=w) }}{% set y.v = y.v + 3 %}
{% if codes.order is defined and not codes.order.rotated %}{{ z.barcode(codes.order, m, y.v) }}{% endif %}
{% for placed in codes.values() if placed.rotated %}
{{ z.barcode(placed, placed.x_mm, strip_top_mm + placed.y_mm) }}
{% endfor %}
{% if f.receipt_mm %}
{% set r = f.main_mm %}
{{ z.rule(0, r, f.width_mm, 0.4) }}
{{ z.text(m, r + m, d.carrier_name, 4.5, width_mm=f.inner_mm * 0.6, bold=True) }}
{{ z.barcode(namespace(layout=receipt), m, r + m + 6) }}
{{ z.text(m, r + m + 7 + f.small_bar_mm + 3, d.tracking_number, tracking_mm, width_mm=f.inner_mm, bold=True) }}
{{ z.text(m, r + m + 13 + f.small_bar_mm + 3, d.recipient.name ~ " " ~ d.recipient.phone, 3.6, width_mm=f.inner_mm) }}
{{ z.text(m, r + m + 18 + f.small_bar_mm + 3, d.recipient.address, 3, width_mm=f.inner_mm, lines=2) }}
{{ z.text(m, r + m + 26 + f.small_bar_mm + 3, d.order_number ~ " " ~ d.item_summary, 2.6, width_mm=f.inner_mm) }}
{% endif %}
^XZ
