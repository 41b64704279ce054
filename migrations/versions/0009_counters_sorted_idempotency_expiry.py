"""counters for references, the order status 'sorted', idempotency keys that expire

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 12:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

OLD = ("pending", "held", "approved", "backordered", "released", "picking", "picked", "packed", "shipped",
       "cancelled", "rejected")
NEW = ("pending", "held", "approved", "backordered", "released", "picking", "picked", "sorted", "packed",
       "shipped", "cancelled", "rejected")


def _check(values):
    return f"status IN ({', '.join(repr(v) for v in values)})"


def upgrade():
    op.create_table(
        'counters',
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('value', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_counters')),
    )
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_orders_status_known'), type_='check')
        batch_op.create_check_constraint('status_known', _check(NEW))
    with op.batch_alter_table('idempotency_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idempotency_records_created_at'), ['created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('idempotency_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idempotency_records_created_at'))
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_orders_status_known'), type_='check')
        batch_op.create_check_constraint('status_known', _check(OLD))
    op.drop_table('counters')
