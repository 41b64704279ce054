"""Demo data that makes a first run meaningful: two warehouses with bins, ~200 SKUs with stock, a user
for every role, and a few hundred orders from a Tmall shop and a Shopify store. Deterministic (seeded).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from erp_core.auth.services import create_user
from erp_core.catalog.barcodes import ean13_check_digit
from erp_core.catalog.models import Sku
from erp_core.catalog.services import create_sku
from erp_core.channels.models import Channel
from erp_core.db import atomic
from erp_core.extensions import db
from erp_core.inventory.lots import get_or_create_lot
from erp_core.inventory.models import Location, Warehouse
from erp_core.inventory.reservations import business_today
from erp_core.inventory.services import create_warehouse, receive
from erp_core.orders.models import Order
from erp_core.orders.services import NewOrder, NewOrderLine, cancel_order, create_order
from erp_core.orders.workflow import audit_order, bulk, hold_order
from erp_core.purchasing.suppliers import SupplierSkuValues, create_supplier, set_supplier_sku

from .locations.replenishment import assign_pick_face
from .locations.services import LayoutSpec, ZoneSpec, create_bin, create_layout

DEMO_PASSWORD = "demo1234"  # noqa: S105  (demo accounts only; printed by `make run`)
DEMO_USERS = [
    # username, role, full name, badge, warehouses (codes; empty = all)
    ("admin", "admin", "Admin 管理员", None, ()),
    ("supervisor", "supervisor", "Wang Lei 王磊", "BADGE-SUP-0001", ()),
    ("picker1", "picker", "Li Na 李娜", "BADGE-PCK-0001", ("SH1",)),
    ("picker2", "picker", "Zhang Wei 张伟", "BADGE-PCK-0002", ("SH1",)),
    ("packer", "packer", "Chen Jing 陈静", "BADGE-PAK-0001", ("SH1",)),
    ("shipping", "shipping", "Liu Yang 刘洋", "BADGE-SHP-0001", ()),
    ("purchaser", "purchaser", "Zhao Min 赵敏", None, ()),
    ("finance", "finance", "Sun Li 孙丽", None, ()),
    ("viewer", "viewer", "Guest 访客", None, ()),
]

SUPPLIER_LOGIN = "supplier1"  # the outside login of the demo's first supplier
DEMO_LOGINS = [u[0] for u in DEMO_USERS] + [SUPPLIER_LOGIN]

_PRODUCTS = [  # English, Chinese, weight g, price CNY
    ("Stainless steel thermos", "不锈钢保温杯", 320, 59), ("Bamboo cutting board", "竹制砧板", 900, 45),
    ("Silicone phone case", "硅胶手机壳", 40, 19), ("USB-C charging cable", "USB-C 充电线", 35, 15),
    ("Wireless earbuds", "无线蓝牙耳机", 60, 129), ("Ceramic coffee mug", "陶瓷咖啡杯", 380, 29),
    ("Cotton T-shirt", "纯棉T恤", 180, 49), ("Yoga mat", "瑜伽垫", 1100, 79), ("LED desk lamp", "LED台灯", 650, 89),
    ("Facial mask pack", "补水面膜", 120, 39), ("Green tea 250g", "绿茶 250克", 280, 68),
    ("Kids' building blocks", "儿童积木", 700, 99), ("Running socks", "跑步袜", 60, 25),
    ("Glass food container", "玻璃保鲜盒", 520, 35), ("Power bank 10000mAh", "充电宝 10000毫安", 230, 99),
    ("Notebook A5", "A5笔记本", 210, 12), ("Hand cream", "护手霜", 70, 22), ("Umbrella", "折叠伞", 330, 45),
    ("Pet chew toy", "宠物磨牙玩具", 90, 18), ("Sunscreen SPF50", "防晒霜 SPF50", 80, 75),
]
# Products kept by lot (批次) with their shelf life, minimum days left at receipt and at shipment.
_LOT_TRACKED = {9: (1095, 180, 90), 10: (540, 90, 60), 16: (1095, 180, 90), 19: (1095, 180, 90)}
_VARIANTS = [("Black", "黑色"), ("White", "白色"), ("Blue", "蓝色"), ("Pink", "粉色"), ("Grey", "灰色"),
             ("Green", "绿色"), ("Large", "大号"), ("Small", "小号"), ("Red", "红色"), ("Beige", "米色")]
_PROVINCES = [("上海", "上海市", "浦东新区"), ("浙江省", "杭州市", "西湖区"), ("江苏省", "南京市", "鼓楼区"),
              ("广东省", "深圳市", "南山区"), ("广东省", "广州市", "天河区"), ("北京", "北京市", "朝阳区"),
              ("四川省", "成都市", "武侯区"), ("湖北省", "武汉市", "洪山区"), ("福建省", "厦门市", "思明区")]
_NAMES = ["王芳", "李强", "张敏", "刘洋", "陈杰", "杨丽", "黄磊", "赵静", "周涛", "吴霞", "徐明", "孙颖"]
_US = [("Emma Johnson", "CA", "Los Angeles", "1234 Sunset Blvd"), ("Liam Smith", "NY", "New York", "55 W 45th St"),
       ("Olivia Brown", "WA", "Seattle", "800 Pine St"), ("Noah Davis", "TX", "Austin", "301 Congress Ave")]


def ean13(body12: str) -> str:
    return body12 + str(ean13_check_digit(body12))


def demo_loaded() -> bool:
    return db.session.scalar(select(Warehouse.id).filter_by(code="SH1")) is not None


def load_demo(seed: int = 7, orders: int = 300) -> dict[str, int]:
    """Create the demo data in one transaction. Refuses to run twice."""
    if demo_loaded():
        return {}
    rng = random.Random(seed)
    with atomic():
        sh1 = create_warehouse("SH1", "Shanghai Main DC", name_zh="上海主仓", province="上海", city="上海市",
                               address="上海市嘉定区马陆镇物流园 8 号")
        sz1 = create_warehouse("SZ1", "Shenzhen Small Warehouse", name_zh="深圳小仓", province="广东省",
                               city="深圳市", address="深圳市宝安区福永街道仓储中心 2 栋")
        bins = create_layout(sh1.id, LayoutSpec(zones=(
            ZoneSpec("A", aisles=4, bays_per_aisle=20, levels=3, reserve_levels_from=3, name="Fast movers 快销区"),
            ZoneSpec("B", aisles=6, bays_per_aisle=30, levels=4, reserve_levels_from=3, name="Main pick 主拣货区"),
        )))
        bins += create_layout(sz1.id, LayoutSpec(zones=(
            ZoneSpec("A", aisles=3, bays_per_aisle=12, levels=3, reserve_levels_from=3),)))
        for wh in (sh1, sz1):
            for code, kind in (("STAGE-IN", "staging"), ("PACK-01", "packing"), ("PACK-02", "packing"),
                               ("RET-01", "returns"), ("DMG-01", "damaged")):
                create_bin(wh.id, code, kind)
        skus = _demo_skus(rng)
        _demo_stock(rng, skus, sh1, sz1)
        users = _demo_users({"SH1": sh1.id, "SZ1": sz1.id})
        users += _demo_suppliers(skus)
        _demo_shipping(sz1.id)
        n_orders = _demo_orders(rng, skus, orders)
    _demo_audit()
    return {"warehouses": 2, "bins": bins, "skus": len(skus), "users": users, "orders": n_orders}


def _demo_skus(rng: random.Random) -> list[tuple[str, int]]:
    skus = []
    for i, (en, zh, weight, price) in enumerate(_PRODUCTS):
        for j, (ven, vzh) in enumerate(_VARIANTS):
            code = f"SKU-{i + 1:02d}{j:02d}"
            barcodes = [ean13(f"69{i + 10:02d}{j:02d}{rng.randrange(10**6):06d}")]
            if j == 0:
                barcodes.append(f"INT{i + 1:03d}{j:02d}")  # an internal code beside the EAN
            price_d = Decimal(price) + Decimal(rng.choice([0, 0, 5, 10]))
            dims = (rng.randint(50, 300), rng.randint(50, 200), rng.randint(20, 120))
            sku = create_sku(code, f"{en} - {ven}", name_zh=f"{zh} - {vzh}", barcodes=barcodes,
                             weight_g=weight, dims_mm=dims, price=price_d,
                             cost=(price_d * Decimal("0.45")).quantize(Decimal("0.01")))
            if i in _LOT_TRACKED:
                sku.lot_tracked = True
                sku.shelf_life_days, sku.min_receipt_life_days, sku.min_ship_life_days = _LOT_TRACKED[i]
            skus.append((sku.code, sku.id))
    return skus


def _demo_stock(rng: random.Random, skus: list[tuple[str, int]], sh1: Warehouse, sz1: Warehouse) -> None:
    def bins_of(wh: Warehouse, bin_type: str) -> list[int]:
        return list(db.session.scalars(select(Location.id).filter_by(warehouse_id=wh.id, kind="bin", bin_type=bin_type)
                                       .where(Location.aisle_no.is_not(None)).order_by(Location.id)))

    sh_pick, sh_reserve, sz_pick = bins_of(sh1, "pick"), bins_of(sh1, "reserve"), bins_of(sz1, "pick")
    rng.shuffle(sh_pick)
    rng.shuffle(sh_reserve)
    today = business_today()
    dates = random.Random(len(skus))  # lots' dates from their own stream: the rest of the demo stays as it was
    for n, (code, sku_id) in enumerate(skus):
        if n % 17 == 5:
            continue  # a few SKUs out of stock, so audit and allocation have something to say
        sku = db.session.get(Sku, sku_id)

        def lot(suffix: str, days: int, sku: Sku = sku, code: str = code) -> int | None:
            if not sku.lot_tracked:
                return None
            return get_or_create_lot(sku, f"{code[4:]}{suffix}", expiry_date=today + timedelta(days=days)).id

        # Pick faces hold up to their capacity (60) and are topped up from reserve below 10. A lot-tracked
        # SKU's face holds a fresh lot, its reserve an older one; every other one keeps a few units of a
        # lot close to expiry (never allocated: below the minimum left at shipment; the expiry list shows it).
        opening = "DEMO-OPENING"
        receive(sku_id, sh_pick[n], rng.randint(12, 60), reference=opening, lot_id=lot("A", dates.randint(700, 1000)))
        assign_pick_face(sh_pick[n], sku_id, 10, 60)
        if sku.lot_tracked and n % 2 == 0:
            receive(sku_id, sh_pick[n], dates.randint(3, 6), reference=opening, lot_id=lot("C", dates.randint(20, 60)))
        if n % 3 == 0:
            receive(sku_id, sh_reserve[n], rng.choice([48, 96, 144]), reference=opening,
                    lot_id=lot("B", dates.randint(300, 600)))
        if n % 4 == 0 and n // 4 < len(sz_pick):
            receive(sku_id, sz_pick[n // 4], rng.randint(5, 40), reference=opening,
                    lot_id=lot("S", dates.randint(700, 1000)))


def _demo_shipping(south_warehouse_id: int) -> None:
    """What the shipping desk needs to pack on day one: box types, two pool carriers with a range of
    numbers each, a manual one, and the rules that choose between them."""
    from .shipping.models import BoxType, Carrier, CarrierRule, TrackingNumber

    db.session.add_all([
        BoxType(code="S", name="Small carton", name_zh="小号纸箱", inner_length_mm=250, inner_width_mm=180,
                inner_height_mm=100, tare_g=60, cost=Decimal("0.80")),
        BoxType(code="M", name="Medium carton", name_zh="中号纸箱", inner_length_mm=350, inner_width_mm=250,
                inner_height_mm=250, tare_g=150, cost=Decimal("1.50")),
        BoxType(code="L", name="Large carton", name_zh="大号纸箱", inner_length_mm=650, inner_width_mm=400,
                inner_height_mm=300, tare_g=400, cost=Decimal("3.00")),
        BoxType(code="BAG", name="Poly mailer", name_zh="快递袋", inner_length_mm=350, inner_width_mm=250,
                inner_height_mm=40, tare_g=15, cost=Decimal("0.30"), max_weight_g=2000),
    ])
    zto = Carrier(code="ZTO", name="ZTO Express", name_zh="中通快递", kind="pool", label_format="76x130",
                  cost_table='{"default": [[1000, "4.50"], [3000, "7.00"], [10000, "12.00"]]}')
    yto = Carrier(code="YTO", name="YTO Express", name_zh="圆通速递", kind="pool", label_format="100x180",
                  cost_table='{"default": [[1000, "4.20"], [3000, "6.80"], [10000, "11.50"]]}')
    sf = Carrier(code="SF", name="SF Express", name_zh="顺丰速运", kind="manual", label_format="100x150",
                 cost_table='{"default": [[1000, "12.00"], [3000, "18.00"], [10000, "28.00"]]}')
    db.session.add_all([zto, yto, sf])
    db.session.flush()
    db.session.add_all([TrackingNumber(carrier_id=zto.id, number=f"73{n:010d}") for n in range(1, 501)]
                       + [TrackingNumber(carrier_id=yto.id, number=f"YT{n:013d}") for n in range(1, 301)])
    db.session.add_all([CarrierRule(priority=10, carrier_id=yto.id, warehouse_id=south_warehouse_id),
                        CarrierRule(priority=20, carrier_id=sf.id, min_weight_g=10000),
                        CarrierRule(priority=100, carrier_id=zto.id)])
    db.session.flush()


def _demo_users(warehouse_ids: dict[str, int]) -> int:
    for username, role, full_name, badge, whs in DEMO_USERS:
        create_user(username, DEMO_PASSWORD, role, full_name=full_name, badge=badge,
                    warehouse_ids=[warehouse_ids[c] for c in whs])
    return len(DEMO_USERS)


def _demo_suppliers(skus: list[tuple[str, int]]) -> int:
    """Two suppliers with price lists (each SKU preferred at one of them, cost price, packs of 6 or 12)
    and the first one's outside login (SUPPLIER_LOGIN). Returns the number of users created."""
    home = create_supplier({"code": "SUP-HZ", "name": "Hangzhou Homeware Co.", "name_zh": "杭州家居用品有限公司",
                            "contact_name": "Zhou Jie 周杰", "phone": "0571-88886666", "email": "sales@hz-home.example",
                            "currency": "CNY", "lead_time_days": 7, "payment_terms": "月结 30 天", "language": "zh"})
    overseas = create_supplier({"code": "SUP-GLB", "name": "Global Goods Ltd.", "contact_name": "Anna Lee",
                                "phone": "+852 2345 6789", "email": "orders@globalgoods.example", "currency": "USD",
                                "lead_time_days": 21, "payment_terms": "T/T 30% deposit", "language": "en"})
    for n, (code, sku_id) in enumerate(skus):
        cost = db.session.get(Sku, sku_id).cost or Decimal("1")
        set_supplier_sku(home.id, SupplierSkuValues(sku_id=sku_id, price=cost, supplier_code=f"HZ-{code}",
                                                    pack_size=6, moq=12, preferred=n % 4 != 3))
        if n % 4 == 3:
            usd = (cost / Decimal("7.1")).quantize(Decimal("0.01"))
            set_supplier_sku(overseas.id, SupplierSkuValues(sku_id=sku_id, price=usd, supplier_code=f"GG{n:04d}",
                                                            pack_size=12, moq=48, preferred=True))
    create_user(SUPPLIER_LOGIN, DEMO_PASSWORD, "supplier", full_name="Zhou Jie 周杰", supplier_id=home.id)
    return 1


def _demo_orders(rng: random.Random, skus: list[tuple[str, int]], count: int) -> int:
    # Tmall's rule for lot-tracked goods in the demo: at least half of the shelf life left when shipped.
    tmall = Channel(code="TMALL-FLAGSHIP", name="天猫旗舰店 Tmall flagship", platform="tmall", min_ship_life_percent=50)
    shopify = Channel(code="SHOPIFY-GLOBAL", name="Shopify global store", platform="shopify")
    db.session.add_all([tmall, shopify])
    db.session.flush()
    # A skewed popularity, like real baskets: a few SKUs sell most.
    weights = [1.0 / (rank + 1) ** 0.9 for rank in range(len(skus))]
    now = datetime.now(UTC).replace(microsecond=0)
    for n in range(count):
        ordered = now - timedelta(minutes=rng.randint(5, 72 * 60))
        picks = rng.choices(skus, weights=weights, k=rng.choice([1, 1, 1, 2, 2, 3, 4, 5]))
        lines: dict[str, int] = {}
        for code, _sid in picks:
            lines[code] = lines.get(code, 0) + rng.choice([1, 1, 1, 2, 3])
        if n % 4 == 3:
            name, state, city, street = rng.choice(_US)
            new = NewOrder(channel_code=shopify.code, external_id=f"#{1001 + n}", currency="USD",
                           lines=[NewOrderLine(c, q, Decimal(rng.choice([12, 19, 25, 39]))) for c, q in lines.items()],
                           ship_name=name, ship_phone=f"+1 206 555 {rng.randint(1000, 9999)}", ship_country="US",
                           ship_province=state, ship_city=city, ship_address=street, ship_postcode="98101",
                           buyer_id=f"shopify-{rng.randint(10**6, 10**7)}", shipping_fee=Decimal("8.00"),
                           ordered_at=ordered, paid_at=ordered + timedelta(minutes=1))
        else:
            province, city, district = rng.choice(_PROVINCES)
            note = rng.choice(["", "", "", "", "", "请尽快发货，谢谢", "送人的，不要放发票"])
            street = f"{rng.choice(['中山路', '人民路', '建设路', '解放路'])}{rng.randint(1, 999)}号"
            new = NewOrder(channel_code=tmall.code, external_id=f"{3876543210123456789 + n * 7919}",
                           lines=[NewOrderLine(c, q, Decimal(rng.choice([19, 29, 45, 59, 99])))
                                  for c, q in lines.items()],
                           ship_name=rng.choice(_NAMES),
                           ship_phone=f"1{rng.choice('3589')}{rng.randint(10**8, 10**9 - 1)}",
                           ship_province=province, ship_city=city, ship_district=district,
                           ship_address=f"{district}{street}",
                           buyer_id=f"tb_{rng.randint(10**7, 10**8)}", buyer_note=note, ordered_at=ordered,
                           paid_at=None if n % 29 == 0 else ordered + timedelta(minutes=2))
        order = create_order(new)
        _demo_status(order, n)
    return count


def _demo_audit() -> None:
    """The office has audited two thirds of the pending orders: most are released to the floor."""
    pending = db.session.scalars(select(Order.id).where(Order.status == "pending").order_by(Order.id)).all()
    bulk(audit_order, [order_id for n, order_id in enumerate(pending) if n % 3])


def _demo_status(order: Order, n: int) -> None:
    if order.buyer_note:
        hold_order(order.id, "buyer note 买家留言")
    elif order.paid_at is None:
        cancel_order(order.id, "not paid in time 超时未付款")
