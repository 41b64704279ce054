"""pack station: the scan progress of each order being packed (pack_progress)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import erp_core.models_base

# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('pack_progress',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('station_location_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.Text(), nullable=False),
    sa.Column('updated_at', erp_core.models_base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_pack_progress_order_id_orders'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['station_location_id'], ['locations.id'],
                            name=op.f('fk_pack_progress_station_location_id_locations')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_pack_progress_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pack_progress')),
    sa.UniqueConstraint('order_id', name='uq_pack_progress_order')
    )
    with op.batch_alter_table('pack_progress', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pack_progress_station_location_id'), ['station_location_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('pack_progress', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pack_progress_station_location_id'))
    op.drop_table('pack_progress')
