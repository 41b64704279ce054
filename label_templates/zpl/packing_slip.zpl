{#- Packing slip on 100x150 mm thermal stock. Context: z, d (WaybillData), page_w, page_h, codes {order, tracking},
    strip_mm, strip_top_mm, margin_mm. -#}
{% set m = margin_mm %}{% set w = page_w - 2 * m - strip_mm %}{% set y = namespace(v=m) %}
{{ z.start(page_w, page_h) }}
{{ z.text(m, y.v, d.order_number, 4.5, width_mm=w, bold=True) }}{% set y.v = y.v + 6 %}
{{ z.text(m, y.v, d.carrier_name ~ " " ~ d.tracking_number, 2.8, width_mm=w) }}{% set y.v = y.v + 4 %}
{{ z.text(m, y.v, d.recipient.name ~ " " ~ d.recipient.phone ~ " " ~ d.recipient.address, 2.6, width_mm=w, lines=2) }}
{% set y.v = y.v + 7 %}
{% for name in ("order", "tracking") if codes[name] is defined and not codes[name].rotated %}
{{ z.barcode(codes[name], m, y.v) }}{% set y.v = y.v + codes[name].height_mm + 1.5 %}
{% endfor %}
{{ z.rule(m, y.v, w, 0.3) }}{% set y.v = y.v + 1 %}
{% for line in d.lines[:14] %}
{{ z.text(m, y.v, line.sku, 2.6, width_mm=w * 0.3) }}
{{ z.text(m + w * 0.31, y.v, line.name, 2.6, width_mm=w * 0.39) }}
{{ z.text(m + w * 0.71, y.v, line.lot or "-", 2.6, width_mm=w * 0.2) }}
{{ z.text(m + w * 0.92, y.v, line.quantity, 2.6, width_mm=w * 0.08) }}
{% set y.v = y.v + 3.6 %}
{% endfor %}
{{ z.rule(m, y.v, w, 0.3) }}
{{ z.text(m + w * 0.71, y.v + 1, "= " ~ d.lines|sum(attribute="quantity"), 3, width_mm=w * 0.29, bold=True) }}
{% for placed in codes.values() if placed.rotated %}
{{ z.barcode(placed, placed.x_mm, strip_top_mm + placed.y_mm) }}
{% endfor %}
^XZ
