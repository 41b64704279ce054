"""Customers (buyers), matched by platform buyer id, else phone + name; their tags, notes, feedback and
complaints, and the trail of merges (客户合并) that can be undone."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models_base import UTCDateTime, utcnow


class Customer(db.Model):
    __tablename__ = "customers"
    __table_args__ = (
        UniqueConstraint("platform", "buyer_id", name="uq_customers_platform_buyer"),
        Index("ix_customers_phone_name", "phone", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str | None] = mapped_column(String(20))
    buyer_id: Mapped[str | None] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    blacklisted: Mapped[bool] = mapped_column(default=False)
    blacklist_reason: Mapped[str] = mapped_column(String(255), default="")
    first_channel_id: Mapped[int | None] = mapped_column(ForeignKey("channels.id"))
    # Set while this record is merged into another (the survivor); cleared by un-merging.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, index=True)

    tags = relationship("CustomerTag", order_by="CustomerTag.tag", viewonly=True)
    first_channel = relationship("Channel")

    @property
    def tag_names(self) -> list[str]:
        return [t.tag for t in self.tags]


class CustomerTag(db.Model):
    __tablename__ = "customer_tags"
    __table_args__ = (UniqueConstraint("customer_id", "tag", name="uq_customer_tags_customer_tag"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    tag: Mapped[str] = mapped_column(String(40), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CustomerNote(db.Model):
    __tablename__ = "customer_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user = relationship("User")


FEEDBACK_KINDS = ("feedback", "complaint")
FEEDBACK_STATUSES = ("open", "resolved")
# A feedback or complaint record is resolved, and may be reopened.
FEEDBACK_TRANSITIONS = {"open": frozenset({"resolved"}), "resolved": frozenset({"open"})}


class CustomerFeedback(db.Model):
    """Feedback or a complaint (投诉) from a customer, optionally about one of their orders."""

    __tablename__ = "customer_feedback"
    __table_args__ = (
        CheckConstraint("kind IN ('feedback', 'complaint')", name="kind_known"),
        CheckConstraint("status IN ('open', 'resolved')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    text: Mapped[str] = mapped_column(Text)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="open")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    order = relationship("Order")
    created_by = relationship("User", foreign_keys=[created_by_id])
    resolved_by = relationship("User", foreign_keys=[resolved_by_id])


MERGE_STATUSES = ("merged", "unmerged")
MERGE_TRANSITIONS = {"merged": frozenset({"unmerged"}), "unmerged": frozenset()}
MOVE_KINDS = ("order", "tag", "note", "feedback")


class CustomerMerge(db.Model):
    """One merge of `merged` into `survivor`: who, when, and (in its moves) exactly what moved."""

    __tablename__ = "customer_merges"
    __table_args__ = (
        CheckConstraint("status IN ('merged', 'unmerged')", name="status_known"),
        CheckConstraint("survivor_id <> merged_id", name="not_itself"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survivor_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    merged_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="merged")
    merged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    merged_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    unmerged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    unmerged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The survivor's blacklist before the merge, when the merge carried the merged record's flag over.
    took_blacklist: Mapped[bool] = mapped_column(default=False)
    survivor_blacklist_reason_before: Mapped[str] = mapped_column(String(255), default="")

    survivor = relationship("Customer", foreign_keys=[survivor_id])
    merged = relationship("Customer", foreign_keys=[merged_id])
    merged_by = relationship("User", foreign_keys=[merged_by_id])
    unmerged_by = relationship("User", foreign_keys=[unmerged_by_id])
    moves = relationship("CustomerMergeMove", order_by="CustomerMergeMove.id", cascade="all, delete-orphan")

    def moved(self, kind: str) -> list[int]:
        return [m.record_id for m in self.moves if m.kind == kind]


class CustomerMergeMove(db.Model):
    """One record (order, tag, note, feedback) a merge moved from the merged customer to the survivor."""

    __tablename__ = "customer_merge_moves"
    __table_args__ = (
        UniqueConstraint("merge_id", "kind", "record_id", name="uq_customer_merge_moves_record"),
        CheckConstraint("kind IN ('order', 'tag', 'note', 'feedback')", name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    merge_id: Mapped[int] = mapped_column(ForeignKey("customer_merges.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    record_id: Mapped[int] = mapped_column()
