"""lots and expiry: lots on quants, moves, reservations and tasks; SKU shelf-life rules

Existing stock has no lot (lot_id NULL) and every SKU starts untracked, so it keeps working as it
did; quants become unique per SKU + location + lot (NULL counted as one value).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 14:15:33

"""
from alembic import op
import sqlalchemy as sa

import erp_core.models_base

OLD_BIN_TYPES = ("pick", "reserve", "staging", "put_wall", "packing", "returns", "damaged", "tote")
NEW_BIN_TYPES = OLD_BIN_TYPES + ("clearance",)
LIFE_DAYS = ("(shelf_life_days IS NULL OR shelf_life_days > 0) AND (min_receipt_life_days IS NULL OR "
             "min_receipt_life_days >= 0) AND (min_ship_life_days IS NULL OR min_ship_life_days >= 0)")


def _bin_types(values):
    return f"bin_type IS NULL OR bin_type IN ({', '.join(repr(v) for v in values)})"


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('lots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sku_id', sa.Integer(), nullable=False),
    sa.Column('lot_number', sa.String(length=40), nullable=False),
    sa.Column('production_date', sa.Date(), nullable=True),
    sa.Column('expiry_date', sa.Date(), nullable=True),
    sa.Column('on_hold', sa.Boolean(), nullable=False),
    sa.Column('hold_reason', sa.String(length=255), nullable=False),
    sa.Column('short_dated_receipt', sa.Boolean(), nullable=False),
    sa.Column('clearance_note', sa.String(length=255), nullable=False),
    sa.Column('created_at', erp_core.models_base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('production_date IS NULL OR expiry_date IS NULL OR production_date <= expiry_date', name=op.f('ck_lots_dates_in_order')),
    sa.ForeignKeyConstraint(['sku_id'], ['skus.id'], name=op.f('fk_lots_sku_id_skus')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lots')),
    sa.UniqueConstraint('sku_id', 'lot_number', name='uq_lots_sku_number')
    )
    with op.batch_alter_table('lots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lots_expiry_date'), ['expiry_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_lots_sku_id'), ['sku_id'], unique=False)

    with op.batch_alter_table('channels', schema=None) as batch_op:
        batch_op.add_column(sa.Column('min_ship_life_percent', sa.Integer(), nullable=True))

    with op.batch_alter_table('count_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lot_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_count_lines_lot_id_lots'), 'lots', ['lot_id'], ['id'])

    with op.batch_alter_table('locations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mixed_lots', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.drop_constraint(op.f('ck_locations_bin_type_known'), type_='check')
        batch_op.create_check_constraint('bin_type_known', _bin_types(NEW_BIN_TYPES))

    with op.batch_alter_table('pick_tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lot_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_pick_tasks_lot_id_lots'), 'lots', ['lot_id'], ['id'])

    with op.batch_alter_table('putaway_tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lot_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_putaway_tasks_lot_id_lots'), 'lots', ['lot_id'], ['id'])

    with op.batch_alter_table('quants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lot_id', sa.Integer(), nullable=True))
        batch_op.drop_constraint(batch_op.f('uq_quants_sku_location'), type_='unique')
        batch_op.create_index(batch_op.f('ix_quants_lot_id'), ['lot_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_quants_lot_id_lots'), 'lots', ['lot_id'], ['id'])
    # One quant per SKU + location + lot, "no lot" being one value (an expression index, on both databases).
    op.create_index('uq_quants_sku_location_lot', 'quants', ['sku_id', 'location_id', sa.text('coalesce(lot_id, 0)')],
                    unique=True)

    with op.batch_alter_table('replenishment_tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lot_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_replenishment_tasks_lot_id_lots'), 'lots', ['lot_id'], ['id'])

    with op.batch_alter_table('skus', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lot_tracked', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('shelf_life_days', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('min_receipt_life_days', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('min_ship_life_days', sa.Integer(), nullable=True))
        batch_op.create_check_constraint('life_days_sane', LIFE_DAYS)

    with op.batch_alter_table('stock_moves', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lot_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_stock_moves_lot_id'), ['lot_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_stock_moves_lot_id_lots'), 'lots', ['lot_id'], ['id'])

    with op.batch_alter_table('stock_reservations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lot_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_stock_reservations_lot_id'), ['lot_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_stock_reservations_lot_id_lots'), 'lots', ['lot_id'], ['id'])

    with op.batch_alter_table('stock_transfer_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lot_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_stock_transfer_lines_lot_id_lots'), 'lots', ['lot_id'], ['id'])



def downgrade():
    with op.batch_alter_table('stock_transfer_lines', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_stock_transfer_lines_lot_id_lots'), type_='foreignkey')
        batch_op.drop_column('lot_id')

    with op.batch_alter_table('stock_reservations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_stock_reservations_lot_id_lots'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_stock_reservations_lot_id'))
        batch_op.drop_column('lot_id')

    with op.batch_alter_table('stock_moves', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_stock_moves_lot_id_lots'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_stock_moves_lot_id'))
        batch_op.drop_column('lot_id')

    with op.batch_alter_table('skus', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_skus_life_days_sane'), type_='check')
        batch_op.drop_column('min_ship_life_days')
        batch_op.drop_column('min_receipt_life_days')
        batch_op.drop_column('shelf_life_days')
        batch_op.drop_column('lot_tracked')

    with op.batch_alter_table('replenishment_tasks', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_replenishment_tasks_lot_id_lots'), type_='foreignkey')
        batch_op.drop_column('lot_id')

    op.drop_index('uq_quants_sku_location_lot', table_name='quants')
    with op.batch_alter_table('quants', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_quants_lot_id_lots'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_quants_lot_id'))
        batch_op.create_unique_constraint(batch_op.f('uq_quants_sku_location'), ['sku_id', 'location_id'])
        batch_op.drop_column('lot_id')

    with op.batch_alter_table('putaway_tasks', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_putaway_tasks_lot_id_lots'), type_='foreignkey')
        batch_op.drop_column('lot_id')

    with op.batch_alter_table('pick_tasks', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_pick_tasks_lot_id_lots'), type_='foreignkey')
        batch_op.drop_column('lot_id')

    with op.batch_alter_table('locations', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_locations_bin_type_known'), type_='check')
        batch_op.create_check_constraint('bin_type_known', _bin_types(OLD_BIN_TYPES))
        batch_op.drop_column('mixed_lots')

    with op.batch_alter_table('count_lines', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_count_lines_lot_id_lots'), type_='foreignkey')
        batch_op.drop_column('lot_id')

    with op.batch_alter_table('channels', schema=None) as batch_op:
        batch_op.drop_column('min_ship_life_percent')

    with op.batch_alter_table('lots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lots_sku_id'))
        batch_op.drop_index(batch_op.f('ix_lots_expiry_date'))

    op.drop_table('lots')
