"""reconciliation: imported settlement / bank statements and their matched lines

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-10 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import erp_core.models_base

# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('recon_statements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('format', sa.String(length=10), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=True),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('file_sha256', sa.String(length=64), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('period_start', erp_core.models_base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('period_end', erp_core.models_base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', erp_core.models_base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', erp_core.models_base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('confirmed_by_id', sa.Integer(), nullable=True),
    sa.Column('confirmed_at', erp_core.models_base.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("format IN ('alipay', 'shopify', 'generic', 'bank')",
                       name=op.f('ck_recon_statements_format_known')),
    sa.CheckConstraint("status IN ('open', 'reconciled', 'confirmed')", name=op.f('ck_recon_statements_status_known')),
    sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], name=op.f('fk_recon_statements_channel_id_channels')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_recon_statements_created_by_id_users'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['confirmed_by_id'], ['users.id'],
                            name=op.f('fk_recon_statements_confirmed_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recon_statements')),
    sa.UniqueConstraint('format', 'file_sha256', name='uq_recon_statements_format_file')
    )
    with op.batch_alter_table('recon_statements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recon_statements_channel_id'), ['channel_id'], unique=False)
        batch_op.create_index('ix_recon_statements_status', ['status'], unique=False)

    op.create_table('recon_statement_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('statement_id', sa.Integer(), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=True),
    sa.Column('occurred_at', erp_core.models_base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('fee_kind', sa.String(length=16), nullable=False),
    sa.Column('external_ref', sa.String(length=120), nullable=False),
    sa.Column('reference', sa.String(length=120), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.Column('counterparty', sa.String(length=120), nullable=False),
    sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('fee', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('expected_amount', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('purchase_order_id', sa.Integer(), nullable=True),
    sa.Column('reconciled_by_id', sa.Integer(), nullable=True),
    sa.Column('reconciled_at', erp_core.models_base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reconcile_note', sa.String(length=500), nullable=False),
    sa.CheckConstraint("kind IN ('sale', 'refund', 'fee', 'withdrawal', 'payment', 'other')",
                       name=op.f('ck_recon_statement_lines_kind_known')),
    sa.CheckConstraint("status IN ('matched', 'difference', 'missing', 'unexpected', 'info')",
                       name=op.f('ck_recon_statement_lines_status_known')),
    sa.CheckConstraint('fee >= 0', name=op.f('ck_recon_statement_lines_fee_not_negative')),
    sa.ForeignKeyConstraint(['statement_id'], ['recon_statements.id'],
                            name=op.f('fk_recon_statement_lines_statement_id_recon_statements'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_recon_statement_lines_order_id_orders')),
    sa.ForeignKeyConstraint(['case_id'], ['aftersales_cases.id'],
                            name=op.f('fk_recon_statement_lines_case_id_aftersales_cases')),
    sa.ForeignKeyConstraint(['purchase_order_id'], ['purchase_orders.id'],
                            name=op.f('fk_recon_statement_lines_purchase_order_id_purchase_orders')),
    sa.ForeignKeyConstraint(['reconciled_by_id'], ['users.id'],
                            name=op.f('fk_recon_statement_lines_reconciled_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recon_statement_lines'))
    )
    with op.batch_alter_table('recon_statement_lines', schema=None) as batch_op:
        batch_op.create_index('ix_recon_statement_lines_statement_status', ['statement_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_recon_statement_lines_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_recon_statement_lines_purchase_order_id'), ['purchase_order_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('recon_statement_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recon_statement_lines_purchase_order_id'))
        batch_op.drop_index(batch_op.f('ix_recon_statement_lines_order_id'))
        batch_op.drop_index('ix_recon_statement_lines_statement_status')
    op.drop_table('recon_statement_lines')
    with op.batch_alter_table('recon_statements', schema=None) as batch_op:
        batch_op.drop_index('ix_recon_statements_status')
        batch_op.drop_index(batch_op.f('ix_recon_statements_channel_id'))
    op.drop_table('recon_statements')
