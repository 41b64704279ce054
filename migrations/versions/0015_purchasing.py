"""purchasing: suppliers, their SKUs and price history, purchase orders, receipts; the supplier role
(users.supplier_id) and the ASN's purchase order (asns.purchase_order_id)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import erp_core.models_base

# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

_OLD_ROLES = "role IN ('admin', 'supervisor', 'picker', 'packer', 'shipping', 'purchaser', 'finance', 'viewer')"
_NEW_ROLES = ("role IN ('admin', 'supervisor', 'picker', 'packer', 'shipping', 'purchaser', 'finance', 'viewer', "
              "'supplier')")
_PO_STATUSES = ("status IN ('draft', 'sent', 'confirmed', 'partially_received', 'received', 'closed', "
                "'cancelled')")


def upgrade():
    op.create_table('suppliers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('name_zh', sa.String(length=120), nullable=False),
    sa.Column('contact_name', sa.String(length=120), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('email', sa.String(length=200), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('lead_time_days', sa.Integer(), nullable=False),
    sa.Column('payment_terms', sa.String(length=60), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', erp_core.models_base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', erp_core.models_base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('lead_time_days >= 0', name=op.f('ck_suppliers_lead_time_not_negative')),
    sa.CheckConstraint("language IN ('en', 'zh')", name=op.f('ck_suppliers_language_known')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_suppliers')),
    sa.UniqueConstraint('code', name=op.f('uq_suppliers_code'))
    )
    op.create_table('supplier_skus',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('sku_id', sa.Integer(), nullable=False),
    sa.Column('supplier_code', sa.String(length=64), nullable=False),
    sa.Column('pack_size', sa.Integer(), nullable=False),
    sa.Column('moq', sa.Integer(), nullable=False),
    sa.Column('price', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('preferred', sa.Boolean(), nullable=False),
    sa.Column('updated_at', erp_core.models_base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('pack_size >= 1 AND moq >= 1', name=op.f('ck_supplier_skus_pack_and_moq_positive')),
    sa.CheckConstraint('price >= 0', name=op.f('ck_supplier_skus_price_not_negative')),
    sa.ForeignKeyConstraint(['sku_id'], ['skus.id'], name=op.f('fk_supplier_skus_sku_id_skus')),
    sa.ForeignKeyConstraint(['supplier_id'], ['suppliers.id'], name=op.f('fk_supplier_skus_supplier_id_suppliers'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supplier_skus')),
    sa.UniqueConstraint('supplier_id', 'sku_id', name='uq_supplier_skus_supplier_sku')
    )
    with op.batch_alter_table('supplier_skus', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supplier_skus_sku_id'), ['sku_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_supplier_skus_supplier_id'), ['supplier_id'], unique=False)

    op.create_table('supplier_price_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('supplier_sku_id', sa.Integer(), nullable=False),
    sa.Column('old_price', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('new_price', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('changed_at', erp_core.models_base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['supplier_sku_id'], ['supplier_skus.id'],
                            name=op.f('fk_supplier_price_changes_supplier_sku_id_supplier_skus'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_supplier_price_changes_user_id_users'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supplier_price_changes'))
    )
    with op.batch_alter_table('supplier_price_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supplier_price_changes_supplier_sku_id'), ['supplier_sku_id'],
                              unique=False)

    op.create_table('purchase_orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('expected_date', sa.Date(), nullable=True),
    sa.Column('promised_date', sa.Date(), nullable=True),
    sa.Column('freight', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('over_receipt_pct', sa.Integer(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', erp_core.models_base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', erp_core.models_base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', erp_core.models_base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('confirmed_at', erp_core.models_base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', erp_core.models_base.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint(_PO_STATUSES, name=op.f('ck_purchase_orders_status_known')),
    sa.CheckConstraint('freight >= 0', name=op.f('ck_purchase_orders_freight_not_negative')),
    sa.CheckConstraint('over_receipt_pct >= 0 AND over_receipt_pct <= 100',
                       name=op.f('ck_purchase_orders_tolerance_sane')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_purchase_orders_created_by_id_users'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['supplier_id'], ['suppliers.id'], name=op.f('fk_purchase_orders_supplier_id_suppliers')),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouses.id'],
                            name=op.f('fk_purchase_orders_warehouse_id_warehouses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_purchase_orders')),
    sa.UniqueConstraint('number', name=op.f('uq_purchase_orders_number'))
    )
    with op.batch_alter_table('purchase_orders', schema=None) as batch_op:
        batch_op.create_index('ix_purchase_orders_updated_at', ['updated_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_purchase_orders_supplier_id'), ['supplier_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_purchase_orders_warehouse_id'), ['warehouse_id'], unique=False)

    op.create_table('purchase_order_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('sku_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_price', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('received_quantity', sa.Integer(), nullable=False),
    sa.CheckConstraint('quantity > 0 AND received_quantity >= 0', name=op.f('ck_purchase_order_lines_quantities_sane')),
    sa.CheckConstraint('unit_price >= 0', name=op.f('ck_purchase_order_lines_price_not_negative')),
    sa.ForeignKeyConstraint(['order_id'], ['purchase_orders.id'],
                            name=op.f('fk_purchase_order_lines_order_id_purchase_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sku_id'], ['skus.id'], name=op.f('fk_purchase_order_lines_sku_id_skus')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_purchase_order_lines')),
    sa.UniqueConstraint('order_id', 'sku_id', name='uq_purchase_order_lines_order_sku')
    )
    with op.batch_alter_table('purchase_order_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_purchase_order_lines_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_purchase_order_lines_sku_id'), ['sku_id'], unique=False)

    op.create_table('purchase_receipts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('line_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('landed_unit_cost', sa.Numeric(precision=14, scale=4), nullable=False),
    sa.Column('asn_id', sa.Integer(), nullable=True),
    sa.Column('asn_reference', sa.String(length=40), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('received_at', erp_core.models_base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_purchase_receipts_quantity_positive')),
    sa.ForeignKeyConstraint(['line_id'], ['purchase_order_lines.id'],
                            name=op.f('fk_purchase_receipts_line_id_purchase_order_lines'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['order_id'], ['purchase_orders.id'],
                            name=op.f('fk_purchase_receipts_order_id_purchase_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_purchase_receipts_user_id_users'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_purchase_receipts'))
    )
    with op.batch_alter_table('purchase_receipts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_purchase_receipts_line_id'), ['line_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_purchase_receipts_order_id'), ['order_id'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('supplier_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_users_supplier_id_suppliers'), 'suppliers', ['supplier_id'],
                                    ['id'], ondelete='SET NULL')
        batch_op.drop_constraint(batch_op.f('ck_users_role_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_users_role_known'), _NEW_ROLES)

    with op.batch_alter_table('asns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('purchase_order_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_asns_purchase_order_id'), ['purchase_order_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_asns_purchase_order_id_purchase_orders'), 'purchase_orders',
                                    ['purchase_order_id'], ['id'])


def downgrade():
    with op.batch_alter_table('asns', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_asns_purchase_order_id_purchase_orders'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_asns_purchase_order_id'))
        batch_op.drop_column('purchase_order_id')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_users_role_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_users_role_known'), _OLD_ROLES)
        batch_op.drop_constraint(batch_op.f('fk_users_supplier_id_suppliers'), type_='foreignkey')
        batch_op.drop_column('supplier_id')

    for table, indexes in (('purchase_receipts', ('ix_purchase_receipts_order_id', 'ix_purchase_receipts_line_id')),
                           ('purchase_order_lines', ('ix_purchase_order_lines_sku_id',
                                                     'ix_purchase_order_lines_order_id')),
                           ('purchase_orders', ('ix_purchase_orders_warehouse_id', 'ix_purchase_orders_supplier_id',
                                                'ix_purchase_orders_updated_at')),
                           ('supplier_price_changes', ('ix_supplier_price_changes_supplier_sku_id',)),
                           ('supplier_skus', ('ix_supplier_skus_supplier_id', 'ix_supplier_skus_sku_id'))):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for index in indexes:
                batch_op.drop_index(index)
        op.drop_table(table)
    op.drop_table('suppliers')
