"""after-sales: cases (售后单), their lines and the units received back per lot

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import erp_core.models_base

# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

KINDS = "'refund_only', 'return_refund', 'exchange', 'resend', 'intercept'"
STATUSES = ("'requested', 'approved', 'awaiting_return', 'received', 'inspected', 'refunded', 'completed', "
            "'rejected', 'cancelled'")


def upgrade():
    op.create_table('aftersales_cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('warehouse_id', sa.Integer(), nullable=True),
    sa.Column('channel_id', sa.Integer(), nullable=True),
    sa.Column('platform_case_id', sa.String(length=64), nullable=True),
    sa.Column('reason_code', sa.String(length=24), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('refund_amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('return_tracking_number', sa.String(length=40), nullable=False),
    sa.Column('new_order_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', erp_core.models_base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', erp_core.models_base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('refunded_at', erp_core.models_base.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint(f'kind IN ({KINDS})', name=op.f('ck_aftersales_cases_kind_known')),
    sa.CheckConstraint(f'status IN ({STATUSES})', name=op.f('ck_aftersales_cases_status_known')),
    sa.CheckConstraint('refund_amount >= 0', name=op.f('ck_aftersales_cases_refund_not_negative')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_aftersales_cases_order_id_orders')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_aftersales_cases_customer_id_customers')),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouses.id'],
                            name=op.f('fk_aftersales_cases_warehouse_id_warehouses')),
    sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], name=op.f('fk_aftersales_cases_channel_id_channels')),
    sa.ForeignKeyConstraint(['new_order_id'], ['orders.id'], name=op.f('fk_aftersales_cases_new_order_id_orders')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_aftersales_cases_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aftersales_cases')),
    sa.UniqueConstraint('number', name=op.f('uq_aftersales_cases_number')),
    sa.UniqueConstraint('channel_id', 'platform_case_id', name='uq_aftersales_cases_channel_platform_case')
    )
    with op.batch_alter_table('aftersales_cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_aftersales_cases_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_aftersales_cases_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_aftersales_cases_return_tracking_number'), ['return_tracking_number'],
                              unique=False)
        batch_op.create_index('ix_aftersales_cases_status_warehouse', ['status', 'warehouse_id'], unique=False)

    op.create_table('aftersales_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('order_line_id', sa.Integer(), nullable=False),
    sa.Column('sku_id', sa.Integer(), nullable=False),
    sa.Column('exchange_sku_id', sa.Integer(), nullable=True),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('reason_code', sa.String(length=24), nullable=False),
    sa.Column('note', sa.String(length=255), nullable=False),
    sa.Column('received_quantity', sa.Integer(), nullable=False),
    sa.Column('restocked_quantity', sa.Integer(), nullable=False),
    sa.Column('damaged_quantity', sa.Integer(), nullable=False),
    sa.Column('scrapped_quantity', sa.Integer(), nullable=False),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_aftersales_lines_quantity_positive')),
    sa.CheckConstraint('received_quantity >= 0 AND received_quantity <= quantity',
                       name=op.f('ck_aftersales_lines_received_within_quantity')),
    sa.CheckConstraint('restocked_quantity >= 0 AND damaged_quantity >= 0 AND scrapped_quantity >= 0 AND '
                       'restocked_quantity + damaged_quantity + scrapped_quantity <= received_quantity',
                       name=op.f('ck_aftersales_lines_inspected_within_received')),
    sa.ForeignKeyConstraint(['case_id'], ['aftersales_cases.id'], name=op.f('fk_aftersales_lines_case_id_aftersales_cases'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['order_line_id'], ['order_lines.id'],
                            name=op.f('fk_aftersales_lines_order_line_id_order_lines')),
    sa.ForeignKeyConstraint(['sku_id'], ['skus.id'], name=op.f('fk_aftersales_lines_sku_id_skus')),
    sa.ForeignKeyConstraint(['exchange_sku_id'], ['skus.id'], name=op.f('fk_aftersales_lines_exchange_sku_id_skus')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aftersales_lines'))
    )
    with op.batch_alter_table('aftersales_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_aftersales_lines_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_aftersales_lines_order_line_id'), ['order_line_id'], unique=False)

    op.create_table('aftersales_receipts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('line_id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=True),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('inspected_quantity', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', erp_core.models_base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_aftersales_receipts_quantity_positive')),
    sa.CheckConstraint('inspected_quantity >= 0 AND inspected_quantity <= quantity',
                       name=op.f('ck_aftersales_receipts_inspected_within')),
    sa.ForeignKeyConstraint(['line_id'], ['aftersales_lines.id'],
                            name=op.f('fk_aftersales_receipts_line_id_aftersales_lines'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_aftersales_receipts_location_id_locations')),
    sa.ForeignKeyConstraint(['lot_id'], ['lots.id'], name=op.f('fk_aftersales_receipts_lot_id_lots')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_aftersales_receipts_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aftersales_receipts'))
    )
    with op.batch_alter_table('aftersales_receipts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_aftersales_receipts_line_id'), ['line_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_aftersales_receipts_lot_id'), ['lot_id'], unique=False)


def downgrade():
    with op.batch_alter_table('aftersales_receipts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_aftersales_receipts_lot_id'))
        batch_op.drop_index(batch_op.f('ix_aftersales_receipts_line_id'))
    op.drop_table('aftersales_receipts')
    with op.batch_alter_table('aftersales_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_aftersales_lines_order_line_id'))
        batch_op.drop_index(batch_op.f('ix_aftersales_lines_case_id'))
    op.drop_table('aftersales_lines')
    with op.batch_alter_table('aftersales_cases', schema=None) as batch_op:
        batch_op.drop_index('ix_aftersales_cases_status_warehouse')
        batch_op.drop_index(batch_op.f('ix_aftersales_cases_return_tracking_number'))
        batch_op.drop_index(batch_op.f('ix_aftersales_cases_customer_id'))
        batch_op.drop_index(batch_op.f('ix_aftersales_cases_order_id'))
    op.drop_table('aftersales_cases')
