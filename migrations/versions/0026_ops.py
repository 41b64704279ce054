"""Data cleanup: 'opening' stock moves (old moves summarised per SKU, location and lot when archived)

Revision ID: 0026
Revises: 0025
"""
from alembic import op

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None

OLD = ('receipt', 'putaway', 'adjustment', 'count', 'pick', 'pack', 'ship', 'transfer_out', 'transfer_in',
       'replenishment', 'return', 'scrap', 'move')
NEW = OLD + ('opening',)


def _check(values):
    return f"reason IN ({', '.join(repr(v) for v in values)})"


def upgrade():
    with op.batch_alter_table('stock_moves', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_stock_moves_reason_known'), type_='check')
        batch_op.create_check_constraint('reason_known', _check(NEW))


def downgrade():
    # Refused (the CHECK fails) while opening moves exist: they stand for archived moves and cannot go.
    with op.batch_alter_table('stock_moves', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_stock_moves_reason_known'), type_='check')
        batch_op.create_check_constraint('reason_known', _check(OLD))
