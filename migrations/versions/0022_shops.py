"""shops: platform credentials (encrypted), preferred warehouse, stock sync settings, SKU links with
the push log; platforms douyin and other

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-20 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import erp_core.models_base

# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

_OLD_PLATFORMS = "platform IN ('taobao', 'tmall', 'jd', 'pinduoduo', 'shopify', 'manual', 'api')"
_NEW_PLATFORMS = ("platform IN ('taobao', 'tmall', 'jd', 'pinduoduo', 'douyin', 'shopify', 'manual', 'other', "
                  "'api')")


def upgrade():
    with op.batch_alter_table('channels', schema=None) as batch_op:
        batch_op.alter_column('feed_token', existing_type=sa.String(length=500), type_=sa.String(length=1000),
                              existing_nullable=False)
        batch_op.add_column(sa.Column('credentials', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('warehouse_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('stock_sync_enabled', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('stock_interval_minutes', sa.Integer(), nullable=False, server_default='30'))
        batch_op.add_column(sa.Column('stock_ratio_percent', sa.Integer(), nullable=False, server_default='100'))
        batch_op.add_column(sa.Column('stock_buffer', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('last_stock_sync_at', erp_core.models_base.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('platform_location_id', sa.String(length=40), nullable=False,
                                      server_default=''))
        batch_op.create_foreign_key(batch_op.f('fk_channels_warehouse_id_warehouses'), 'warehouses',
                                    ['warehouse_id'], ['id'])
        batch_op.drop_constraint(batch_op.f('ck_channels_platform_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_channels_platform_known'), _NEW_PLATFORMS)

    op.create_table('channel_sku_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.Column('sku_id', sa.Integer(), nullable=False),
    sa.Column('platform_item_id', sa.String(length=64), nullable=False),
    sa.Column('platform_sku_id', sa.String(length=64), nullable=False),
    sa.Column('queued_quantity', sa.Integer(), nullable=True),
    sa.Column('pushed_quantity', sa.Integer(), nullable=True),
    sa.Column('pushed_at', erp_core.models_base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('push_error', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], name=op.f('fk_channel_sku_links_channel_id_channels'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sku_id'], ['skus.id'], name=op.f('fk_channel_sku_links_sku_id_skus')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channel_sku_links')),
    sa.UniqueConstraint('channel_id', 'sku_id', name='uq_channel_sku_links_channel_sku')
    )
    with op.batch_alter_table('channel_sku_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_channel_sku_links_channel_id'), ['channel_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_channel_sku_links_sku_id'), ['sku_id'], unique=False)


def downgrade():
    with op.batch_alter_table('channel_sku_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_channel_sku_links_sku_id'))
        batch_op.drop_index(batch_op.f('ix_channel_sku_links_channel_id'))
    op.drop_table('channel_sku_links')

    with op.batch_alter_table('channels', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_channels_platform_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_channels_platform_known'), _OLD_PLATFORMS)
        batch_op.drop_constraint(batch_op.f('fk_channels_warehouse_id_warehouses'), type_='foreignkey')
        for column in ('platform_location_id', 'last_stock_sync_at', 'stock_buffer', 'stock_ratio_percent',
                       'stock_interval_minutes', 'stock_sync_enabled', 'warehouse_id', 'credentials'):
            batch_op.drop_column(column)
        batch_op.alter_column('feed_token', existing_type=sa.String(length=1000), type_=sa.String(length=500),
                              existing_nullable=False)
