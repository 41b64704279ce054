"""labels.batch and labels.zpl: printing waybills as one PDF, as one-page PDFs, and as ZPL.

labels.batch: 100 waybills of 100x150 mm (4x6 in, Code 128 tracking, hub and order barcodes, Chinese
text) rendered as ONE PDF against the same 100 rendered as separate one-page documents (the baseline:
what printing label by label costs). Also reported: the share of the batch time spent making the
barcodes (fitting + SVG), which BENCHMARKS.md wants <= 10 %.

labels.zpl: 1,000 waybills as ZPL at 203 dpi (Chinese text as ^GFA graphic fields) against the same
1,000 as one PDF; reported as the speed-up and as labels a second.

Inputs are seeded: distinct tracking and order numbers, recipients drawn from a pool of names with
their own street numbers (so the Chinese address of every label differs and is drawn afresh), 1-3
lines a parcel. Every timed run starts with the per-text caches empty (the ZPL text graphics and the
barcode encodings); the glyph and font caches of a running server stay warm. Runs interleave A B A B;
medians of at least three.
"""

from __future__ import annotations

import random
import time
from dataclasses import replace

from bench.common import MIN_REPEATS, BenchResult, interleaved, main_for
from wms import barcodes
from wms.shipping import labels, zpl
from wms.shipping.label_data import Party, SlipLine, WaybillData, mask_phone, sample_waybill

SEED = 7
_NAMES = ("张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄强", "周杰", "吴霞")
_PLACES = ("浙江省 杭州市 西湖区 文三路", "广东省 深圳市 南山区 科技园路", "上海市 上海市 浦东新区 张江路",
           "北京市 北京市 朝阳区 建国路", "四川省 成都市 武侯区 人民南路", "江苏省 南京市 鼓楼区 中山北路")


def waybills(count: int, seed: int = SEED) -> list[WaybillData]:
    """``count`` distinct 4x6 waybills."""
    rng = random.Random(f"labels-{seed}-{count}")
    base = sample_waybill("100x150")
    out = []
    for n in range(count):
        lines = tuple(SlipLine(f"BK-{rng.randint(1, 500):04d}", "商品", rng.randint(1, 4))
                      for _ in range(rng.randint(1, 3)))
        phone = mask_phone(f"13{rng.randint(0, 9)}{rng.randint(0, 99_999_999):08d}")
        address = f"{rng.choice(_PLACES)}{rng.randint(1, 999)}号{rng.randint(1, 30)}楼{rng.randint(101, 2505)}室"
        out.append(replace(
            base, reference=f"SHP-{n + 1:06d}", tracking_number=f"ZT{7_100_000_000 + n * 7:010d}",
            order_number=f"TM{seed:02d}{20261120000000 + n}", hub_code=f"HZ{rng.randint(100, 999)}",
            routing_code=f"{rng.randint(100, 999)}-A{n % 40:02d} 0{n % 9}",
            recipient=Party(rng.choice(_NAMES), phone, address), lines=lines, weight_g=rng.randint(100, 5000)))
    return out


def _cold() -> None:
    """Empty the caches keyed by a label's own texts, so a repeat costs what a fresh label costs."""
    zpl.text_graphic.cache_clear()
    barcodes.code128_bars.cache_clear()
    barcodes.code128_codewords.cache_clear()


def _batch(data: list[WaybillData]) -> bytes:
    _cold()
    return labels.waybills_pdf(data)


def _one_by_one(data: list[WaybillData]) -> list[bytes]:
    _cold()
    return [labels.waybills_pdf([label]) for label in data]


def _zpl(data: list[WaybillData]) -> str:
    _cold()
    return zpl.waybill_zpl(data, dpi=203)


def _barcodes_only(data: list[WaybillData]) -> None:
    _cold()
    for label in data:
        for placed in labels.waybill_layout(label, labels.FORMATS["100x150"])["codes"].values():
            placed.src  # noqa: B018 (the SVG is what the batch pays for)


def run(quick: bool) -> list[BenchResult]:
    count = 20 if quick else 100
    zpl_count = 100 if quick else 1000
    repeats = MIN_REPEATS
    data = waybills(count)
    batch = interleaved(lambda: _one_by_one(data), lambda: _batch(data), repeats)
    start = time.perf_counter()
    for _ in range(repeats):
        _barcodes_only(data)
    barcode_time = (time.perf_counter() - start) / repeats
    many = waybills(zpl_count)
    as_zpl = interleaved(lambda: _pdf_of(many), lambda: _zpl(many), repeats)
    params = {"labels": count, "format": "100x150", "seed": SEED, "repeats": repeats}
    zpl_params = {"labels": zpl_count, "format": "100x150", "dpi": 203, "seed": SEED, "repeats": repeats}
    return [
        BenchResult("labels.batch", "speedup", batch.a / batch.b, "one-page documents", params),
        BenchResult("labels.batch", "seconds_per_label", batch.b / count, None, params),
        BenchResult("labels.batch", "barcode_share", barcode_time / batch.b, None, params),
        BenchResult("labels.zpl", "speedup_vs_pdf", as_zpl.a / as_zpl.b, "one PDF", zpl_params),
        BenchResult("labels.zpl", "labels_per_second", zpl_count / as_zpl.b, None, zpl_params),
        BenchResult("labels.zpl", "pdf_labels_per_second", zpl_count / as_zpl.a, None, zpl_params),
    ]


def _pdf_of(data: list[WaybillData]) -> bytes:
    _cold()
    return labels.waybills_pdf(data)


if __name__ == "__main__":
    main_for(run)
