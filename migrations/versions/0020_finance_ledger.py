"""finance ledger: chart of accounts, journal, periods, currency rates, moving-average cost and its
history, cost of sales, shipment charges, platform fees, supplier payments

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import erp_core.models_base

# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

UTC = erp_core.models_base.UTCDateTime(timezone=True)


def _money(name, precision=14, scale=2):
    return sa.Column(name, sa.Numeric(precision=precision, scale=scale), nullable=False)


def upgrade():
    op.create_table('finance_accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('name_zh', sa.String(length=120), nullable=False),
    sa.Column('type', sa.String(length=10), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', UTC, nullable=False),
    sa.CheckConstraint("type IN ('asset', 'liability', 'equity', 'income', 'expense')",
                       name=op.f('ck_finance_accounts_type_known')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_finance_accounts')),
    sa.UniqueConstraint('code', name=op.f('uq_finance_accounts_code'))
    )

    op.create_table('journal_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=24), nullable=False),
    sa.Column('entry_date', sa.Date(), nullable=False),
    sa.Column('source', sa.String(length=40), nullable=False),
    sa.Column('source_key', sa.String(length=120), nullable=False),
    sa.Column('reference', sa.String(length=60), nullable=False),
    sa.Column('memo', sa.String(length=255), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    _money('rate', 18, 8),
    sa.Column('posted_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', UTC, nullable=False),
    sa.ForeignKeyConstraint(['posted_by_id'], ['users.id'], name=op.f('fk_journal_entries_posted_by_id_users'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journal_entries')),
    sa.UniqueConstraint('number', name=op.f('uq_journal_entries_number')),
    sa.UniqueConstraint('source', 'source_key', name='uq_journal_entries_source_key')
    )
    with op.batch_alter_table('journal_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_journal_entries_entry_date'), ['entry_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_journal_entries_reference'), ['reference'], unique=False)
        batch_op.create_index(batch_op.f('ix_journal_entries_created_at'), ['created_at'], unique=False)

    op.create_table('journal_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    _money('debit'), _money('credit'), _money('base_debit'), _money('base_credit'),
    sa.Column('memo', sa.String(length=255), nullable=False),
    sa.CheckConstraint('debit >= 0 AND credit >= 0 AND base_debit >= 0 AND base_credit >= 0',
                       name=op.f('ck_journal_lines_amounts_not_negative')),
    sa.ForeignKeyConstraint(['account_id'], ['finance_accounts.id'],
                            name=op.f('fk_journal_lines_account_id_finance_accounts')),
    sa.ForeignKeyConstraint(['entry_id'], ['journal_entries.id'], name=op.f('fk_journal_lines_entry_id_journal_entries'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journal_lines'))
    )
    with op.batch_alter_table('journal_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_journal_lines_entry_id'), ['entry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_journal_lines_account_id'), ['account_id'], unique=False)

    op.create_table('finance_periods',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('month', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.Column('changed_at', UTC, nullable=False),
    sa.CheckConstraint("status IN ('open', 'closed')", name=op.f('ck_finance_periods_status_known')),
    sa.CheckConstraint('month >= 1 AND month <= 12', name=op.f('ck_finance_periods_month_valid')),
    sa.ForeignKeyConstraint(['changed_by_id'], ['users.id'], name=op.f('fk_finance_periods_changed_by_id_users'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_finance_periods')),
    sa.UniqueConstraint('year', 'month', name='uq_finance_periods_year_month')
    )

    op.create_table('currency_rates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    _money('rate', 18, 8),
    sa.Column('created_at', UTC, nullable=False),
    sa.CheckConstraint('rate > 0', name=op.f('ck_currency_rates_rate_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_currency_rates')),
    sa.UniqueConstraint('currency', 'day', name='uq_currency_rates_currency_day')
    )

    op.create_table('sku_costs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sku_id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    _money('average_cost', 14, 4),
    sa.Column('updated_at', UTC, nullable=False),
    sa.ForeignKeyConstraint(['sku_id'], ['skus.id'], name=op.f('fk_sku_costs_sku_id_skus'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouses.id'], name=op.f('fk_sku_costs_warehouse_id_warehouses'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sku_costs')),
    sa.UniqueConstraint('sku_id', 'warehouse_id', name='uq_sku_costs_sku_warehouse')
    )

    op.create_table('cost_history',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sku_id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('effective_at', UTC, nullable=False),
    _money('average_cost', 14, 4),
    sa.Column('quantity_after', sa.Integer(), nullable=False),
    sa.Column('quantity_in', sa.Integer(), nullable=False),
    _money('cost_in', 14, 4),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('source_key', sa.String(length=120), nullable=False),
    sa.ForeignKeyConstraint(['sku_id'], ['skus.id'], name=op.f('fk_cost_history_sku_id_skus'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouses.id'], name=op.f('fk_cost_history_warehouse_id_warehouses'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cost_history')),
    sa.UniqueConstraint('source_key', name=op.f('uq_cost_history_source_key'))
    )
    with op.batch_alter_table('cost_history', schema=None) as batch_op:
        batch_op.create_index('ix_cost_history_sku_warehouse_at', ['sku_id', 'warehouse_id', 'effective_at'],
                              unique=False)

    op.create_table('cost_of_sales',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_key', sa.String(length=120), nullable=False),
    sa.Column('shipment', sa.String(length=40), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('order_line_id', sa.Integer(), nullable=False),
    sa.Column('lot_key', sa.Integer(), nullable=False),
    sa.Column('sku_id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=True),
    sa.Column('shipped_at', UTC, nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    _money('unit_price', 12, 2), _money('unit_cost', 14, 4), _money('total'),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_cost_of_sales_quantity_positive')),
    sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], name=op.f('fk_cost_of_sales_channel_id_channels')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_cost_of_sales_order_id_orders')),
    sa.ForeignKeyConstraint(['order_line_id'], ['order_lines.id'],
                            name=op.f('fk_cost_of_sales_order_line_id_order_lines')),
    sa.ForeignKeyConstraint(['sku_id'], ['skus.id'], name=op.f('fk_cost_of_sales_sku_id_skus')),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouses.id'], name=op.f('fk_cost_of_sales_warehouse_id_warehouses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cost_of_sales')),
    sa.UniqueConstraint('message_key', 'order_line_id', 'lot_key', name='uq_cost_of_sales_key_line')
    )
    with op.batch_alter_table('cost_of_sales', schema=None) as batch_op:
        for column in ('message_key', 'shipment', 'order_id', 'order_line_id', 'sku_id', 'shipped_at'):
            batch_op.create_index(batch_op.f(f'ix_cost_of_sales_{column}'), [column], unique=False)

    op.create_table('shipment_charges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_key', sa.String(length=120), nullable=False),
    sa.Column('shipment', sa.String(length=40), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=True),
    sa.Column('shipped_at', UTC, nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    _money('goods'), _money('discount'), _money('shipping_charged'), _money('shipping_cost'),
    sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], name=op.f('fk_shipment_charges_channel_id_channels')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_shipment_charges_order_id_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shipment_charges')),
    sa.UniqueConstraint('message_key', name=op.f('uq_shipment_charges_message_key'))
    )
    with op.batch_alter_table('shipment_charges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shipment_charges_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shipment_charges_shipped_at'), ['shipped_at'], unique=False)

    op.create_table('platform_fees',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    _money('amount'),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=True),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], name=op.f('fk_platform_fees_channel_id_channels')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_platform_fees_order_id_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_platform_fees')),
    sa.UniqueConstraint('key', name=op.f('uq_platform_fees_key'))
    )
    with op.batch_alter_table('platform_fees', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_platform_fees_day'), ['day'], unique=False)
        batch_op.create_index(batch_op.f('ix_platform_fees_order_id'), ['order_id'], unique=False)

    op.create_table('supplier_payments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('supplier_code', sa.String(length=20), nullable=False),
    sa.Column('purchase_order', sa.String(length=40), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    _money('amount'),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('note', sa.String(length=255), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', UTC, nullable=False),
    sa.CheckConstraint('amount > 0', name=op.f('ck_supplier_payments_amount_positive')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_supplier_payments_user_id_users'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supplier_payments')),
    sa.UniqueConstraint('key', name=op.f('uq_supplier_payments_key'))
    )
    with op.batch_alter_table('supplier_payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supplier_payments_supplier_code'), ['supplier_code'], unique=False)


def downgrade():
    for table in ('supplier_payments', 'platform_fees', 'shipment_charges', 'cost_of_sales', 'cost_history',
                  'sku_costs', 'currency_rates', 'finance_periods', 'journal_lines', 'journal_entries',
                  'finance_accounts'):
        op.drop_table(table)
