"""Sales channels (shops) on a platform."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models_base import UTCDateTime, utcnow

PLATFORMS = ("taobao", "tmall", "jd", "pinduoduo", "douyin", "shopify", "manual", "other", "api")


class Channel(db.Model):
    __tablename__ = "channels"
    __table_args__ = (
        CheckConstraint(f"platform IN ({', '.join(repr(p) for p in PLATFORMS)})", name="platform_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    platform: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The platform's rule for lot-tracked goods: at least this share of the shelf life left when
    # shipped (e.g. 67 for "2/3 of the shelf life"); None = only the SKU's own minimum applies.
    min_ship_life_percent: Mapped[int | None] = mapped_column()
    # Pull adapter (orders fetched from a feed since a cursor); empty feed_url = no pulling.
    adapter: Mapped[str] = mapped_column(String(20), default="")
    feed_url: Mapped[str] = mapped_column(String(500), default="")
    # Secrets, encrypted at rest (erp_core.crypto; a value saved before encryption reads as it is):
    # the JSON feed's token, and the platform's credentials as one encrypted JSON object.
    feed_token: Mapped[str] = mapped_column(String(1000), default="")
    credentials: Mapped[str] = mapped_column(Text, default="")
    pull_cursor: Mapped[str] = mapped_column(String(200), default="")
    pull_interval_minutes: Mapped[int] = mapped_column(default=15)
    last_pulled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_pull_error: Mapped[str] = mapped_column(String(500), default="")
    # The lease of the pull under way (two processes never pull one channel at once).
    pull_lease_token: Mapped[str] = mapped_column(String(32), default="")
    pull_lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The warehouse that ships this shop's orders when it can fill them (None = allocation's own choice).
    warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("warehouses.id"))
    # Stock sync back to the platform (库存同步): what is offered = floor(available x ratio% - buffer).
    stock_sync_enabled: Mapped[bool] = mapped_column(default=False)
    stock_interval_minutes: Mapped[int] = mapped_column(default=30)
    stock_ratio_percent: Mapped[int] = mapped_column(default=100)
    stock_buffer: Mapped[int] = mapped_column(default=0)
    last_stock_sync_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Shopify: the location whose inventory levels are set.
    platform_location_id: Mapped[str] = mapped_column(String(40), default="")

    warehouse = relationship("Warehouse")


class ChannelSkuLink(db.Model):
    """A SKU as the shop's platform knows it (商品映射), with the last stock level pushed to it."""

    __tablename__ = "channel_sku_links"
    __table_args__ = (UniqueConstraint("channel_id", "sku_id", name="uq_channel_sku_links_channel_sku"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"), index=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"), index=True)
    # Taobao: num_iid and sku_id; Shopify: the variant id and its inventory_item_id.
    platform_item_id: Mapped[str] = mapped_column(String(64), default="")
    platform_sku_id: Mapped[str] = mapped_column(String(64), default="")
    # The push log: the value queued for pushing, the last value the platform accepted, and when.
    queued_quantity: Mapped[int | None] = mapped_column()
    pushed_quantity: Mapped[int | None] = mapped_column()
    pushed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    push_error: Mapped[str] = mapped_column(String(500), default="")

    channel = relationship("Channel")
    sku = relationship("Sku")


IMPORT_STATUSES = ("queued", "running", "done", "failed")


class ImportJob(db.Model):
    """One file import, run in the background; its progress and error report survive a page reload."""

    __tablename__ = "import_jobs"
    __table_args__ = (
        CheckConstraint(f"status IN ({', '.join(repr(s) for s in IMPORT_STATUSES)})", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    file_names: Mapped[str] = mapped_column(String(1000), default="")
    format: Mapped[str] = mapped_column(String(20), default="")
    status: Mapped[str] = mapped_column(String(10), default="queued")
    total_orders: Mapped[int] = mapped_column(default=0)
    processed_orders: Mapped[int] = mapped_column(default=0)
    created_orders: Mapped[int] = mapped_column(default=0)
    duplicate_orders: Mapped[int] = mapped_column(default=0)
    error_rows: Mapped[int] = mapped_column(default=0)
    # The error report is a file (instance/import-reports/<id>.csv, see channels/jobs.py); the row
    # keeps where it is (relative to the reports directory; "" = none or purged) and its first rows.
    report_path: Mapped[str] = mapped_column(String(255), default="")
    report_preview: Mapped[str] = mapped_column(Text, default="")
    message: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    channel = relationship("Channel")
