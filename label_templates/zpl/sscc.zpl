{#- GS1 logistic (SSCC) pallet label, 100x150 mm. Context: z, p (PalletLabel), fmt, codes {route, sscc}, strip_mm,
    strip_top_mm, sscc_text, route_text. -#}
{% set m = fmt.margin_mm %}{% set w = fmt.inner_mm - strip_mm %}{% set y = namespace(v=m) %}
{{ z.start(fmt.width_mm, fmt.height_mm) }}
{{ z.text(m, y.v, p.ship_from, 3, width_mm=w) }}{% set y.v = y.v + 5 %}{{ z.rule(m, y.v, w) }}{% set y.v = y.v + 2 %}
{{ z.text(m, y.v, p.ship_to, 5, width_mm=w, bold=True) }}{% set y.v = y.v + 6 %}
{{ z.text(m, y.v, p.postcode, 3, width_mm=w) }}{% set y.v = y.v + 5 %}{{ z.rule(m, y.v, w) }}{% set y.v = y.v + 2 %}
{{ z.text(m, y.v, p.carrier ~ " " ~ p.consignment ~ (" x" ~ p.parcels if p.parcels else ""), 3, width_mm=w) }}
{% set y.v = y.v + 5 %}{{ z.rule(m, y.v, w) }}{% set y.v = y.v + 3 %}
{% if codes.route is defined %}
{% if not codes.route.rotated %}{{ z.barcode(codes.route, m, y.v) }}{% set y.v = y.v + codes.route.height_mm + 1 %}{% endif %}
{{ z.text(m, y.v, route_text, 3.4, width_mm=w, bold=True) }}{% set y.v = y.v + 7 %}
{% endif %}
{{ z.text(m, y.v, "SSCC", 5, width_mm=w, bold=True) }}{% set y.v = y.v + 6 %}
{% if not codes.sscc.rotated %}{{ z.barcode(codes.sscc, m, y.v) }}{% set y.v = y.v + codes.sscc.height_mm + 1 %}{% endif %}
{{ z.text(m, y.v, sscc_text, 3.4, width_mm=w, bold=True) }}
{% for placed in codes.values() if placed.rotated %}
{{ z.barcode(placed, placed.x_mm, strip_top_mm + placed.y_mm) }}
{% endfor %}
^XZ
