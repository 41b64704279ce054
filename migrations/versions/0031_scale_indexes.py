"""orders: indexes for the audit's duplicate check (ship_phone, buyer_id with ordered_at) and the 'audit
pending' list (status, id), so neither reads the whole order history

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-01 22:00:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index('ix_orders_ship_phone_ordered', ['ship_phone', 'ordered_at'], unique=False)
        batch_op.create_index('ix_orders_buyer_ordered', ['buyer_id', 'ordered_at'], unique=False)
        batch_op.create_index('ix_orders_status_id', ['status', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index('ix_orders_status_id')
        batch_op.drop_index('ix_orders_buyer_ordered')
        batch_op.drop_index('ix_orders_ship_phone_ordered')
