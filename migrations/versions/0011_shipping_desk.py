"""shipping desk: box types, carriers, number pools, rules, shipments, packages, manifests, printers,
print jobs, tracking events, exceptions, label template overrides, the outbox; the order status
'intercepted'; the warehouses' weight tolerance

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 14:46:42.446525

"""
from alembic import op
import sqlalchemy as sa

import erp_core.models_base

OLD = ("pending", "held", "approved", "backordered", "released", "picking", "picked", "sorted", "packed",
       "shipped", "cancelled", "rejected")
NEW = OLD + ("intercepted",)


def _check(values):
    return f"status IN ({', '.join(repr(v) for v in values)})"


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('box_types',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('name_zh', sa.String(length=80), nullable=False),
    sa.Column('inner_length_mm', sa.Integer(), nullable=False),
    sa.Column('inner_width_mm', sa.Integer(), nullable=False),
    sa.Column('inner_height_mm', sa.Integer(), nullable=False),
    sa.Column('tare_g', sa.Integer(), nullable=False),
    sa.Column('max_weight_g', sa.Integer(), nullable=True),
    sa.Column('cost', sa.Numeric(precision=10, scale=2), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.CheckConstraint('inner_length_mm > 0 AND inner_width_mm > 0 AND inner_height_mm > 0', name=op.f('ck_box_types_size_positive')),
    sa.CheckConstraint('tare_g >= 0 AND cost >= 0', name=op.f('ck_box_types_tare_cost_sane')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_box_types')),
    sa.UniqueConstraint('code', name=op.f('uq_box_types_code'))
    )
    op.create_table('carriers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('name_zh', sa.String(length=80), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('adapter', sa.String(length=30), nullable=False),
    sa.Column('check_rule', sa.String(length=20), nullable=False),
    sa.Column('label_format', sa.String(length=10), nullable=False),
    sa.Column('api_url', sa.String(length=300), nullable=False),
    sa.Column('api_key', sa.String(length=300), nullable=False),
    sa.Column('cost_table', sa.Text(), nullable=False),
    sa.Column('tracking_stale_hours', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.CheckConstraint("kind IN ('pool', 'manual', 'api')", name=op.f('ck_carriers_kind_known')),
    sa.CheckConstraint("label_format IN ('100x150', '76x130', '100x180')", name=op.f('ck_carriers_label_format_known')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_carriers')),
    sa.UniqueConstraint('code', name=op.f('uq_carriers_code'))
    )
    op.create_table('outbox_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('topic', sa.String(length=60), nullable=False),
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=False),
    sa.Column('created_at', erp_core.models_base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', erp_core.models_base.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'sent', 'failed')", name=op.f('ck_outbox_messages_status_known')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_messages'))
    )
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_messages_status_id', ['status', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_messages_topic'), ['topic'], unique=False)

    op.create_table('carrier_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('carrier_id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=True),
    sa.Column('channel_id', sa.Integer(), nullable=True),
    sa.Column('provinces', sa.String(length=500), nullable=False),
    sa.Column('min_weight_g', sa.Integer(), nullable=True),
    sa.Column('max_weight_g', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['carrier_id'], ['carriers.id'], name=op.f('fk_carrier_rules_carrier_id_carriers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], name=op.f('fk_carrier_rules_channel_id_channels')),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouses.id'], name=op.f('fk_carrier_rules_warehouse_id_warehouses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_carrier_rules'))
    )
    op.create_table('label_template_overrides',
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', erp_core.models_base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_label_template_overrides_updated_by_id_users')),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_label_template_overrides'))
    )
    op.create_table('manifests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=40), nullable=False),
    sa.Column('carrier_id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', erp_core.models_base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.Column('closed_at', erp_core.models_base.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('open', 'closed', 'cancelled')", name=op.f('ck_manifests_status_known')),
    sa.ForeignKeyConstraint(['carrier_id'], ['carriers.id'], name=op.f('fk_manifests_carrier_id_carriers')),
    sa.ForeignKeyConstraint(['closed_by_id'], ['users.id'], name=op.f('fk_manifests_closed_by_id_users')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_manifests_created_by_id_users')),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouses.id'], name=op.f('fk_manifests_warehouse_id_warehouses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_manifests')),
    sa.UniqueConstraint('reference', name=op.f('uq_manifests_reference'))
    )
    op.create_table('printers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('station_location_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('language', sa.String(length=4), nullable=False),
    sa.Column('dpi', sa.Integer(), nullable=False),
    sa.Column('label_format', sa.String(length=10), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.CheckConstraint("kind IN ('tcp9100', 'cups', 'browser')", name=op.f('ck_printers_kind_known')),
    sa.CheckConstraint('dpi IN (203, 300)', name=op.f('ck_printers_dpi_known')),
    sa.ForeignKeyConstraint(['station_location_id'], ['locations.id'], name=op.f('fk_printers_station_location_id_locations')),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouses.id'], name=op.f('fk_printers_warehouse_id_warehouses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_printers'))
    )
    op.create_table('print_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('printer_id', sa.Integer(), nullable=False),
    sa.Column('document', sa.String(length=30), nullable=False),
    sa.Column('reference', sa.String(length=80), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('payload', sa.LargeBinary(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', erp_core.models_base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('done_at', erp_core.models_base.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('queued', 'printing', 'done', 'failed', 'cancelled')", name=op.f('ck_print_jobs_status_known')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_print_jobs_created_by_id_users')),
    sa.ForeignKeyConstraint(['printer_id'], ['printers.id'], name=op.f('fk_print_jobs_printer_id_printers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_print_jobs'))
    )
    with op.batch_alter_table('print_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_print_jobs_printer_id'), ['printer_id'], unique=False)

    op.create_table('shipments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=40), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('station_location_id', sa.Integer(), nullable=False),
    sa.Column('carrier_id', sa.Integer(), nullable=True),
    sa.Column('tracking_number', sa.String(length=40), nullable=False),
    sa.Column('carrier_note', sa.String(length=300), nullable=False),
    sa.Column('routing_code', sa.String(length=40), nullable=False),
    sa.Column('hub_code', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('expected_weight_g', sa.Integer(), nullable=False),
    sa.Column('measured_weight_g', sa.Integer(), nullable=False),
    sa.Column('shipping_cost', sa.Numeric(precision=10, scale=2), nullable=False),
    sa.Column('manifest_id', sa.Integer(), nullable=True),
    sa.Column('packed_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', erp_core.models_base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('shipped_at', erp_core.models_base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', erp_core.models_base.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('packed', 'manifested', 'shipped', 'cancelled')", name=op.f('ck_shipments_status_known')),
    sa.ForeignKeyConstraint(['carrier_id'], ['carriers.id'], name=op.f('fk_shipments_carrier_id_carriers')),
    sa.ForeignKeyConstraint(['manifest_id'], ['manifests.id'], name=op.f('fk_shipments_manifest_id_manifests')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_shipments_order_id_orders')),
    sa.ForeignKeyConstraint(['packed_by_id'], ['users.id'], name=op.f('fk_shipments_packed_by_id_users')),
    sa.ForeignKeyConstraint(['station_location_id'], ['locations.id'], name=op.f('fk_shipments_station_location_id_locations')),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouses.id'], name=op.f('fk_shipments_warehouse_id_warehouses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shipments')),
    sa.UniqueConstraint('reference', name=op.f('uq_shipments_reference'))
    )
    with op.batch_alter_table('shipments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shipments_carrier_id'), ['carrier_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shipments_manifest_id'), ['manifest_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shipments_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shipments_tracking_number'), ['tracking_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_shipments_warehouse_id'), ['warehouse_id'], unique=False)

    op.create_table('packages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shipment_id', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('box_type_id', sa.Integer(), nullable=True),
    sa.Column('weight_g', sa.Integer(), nullable=False),
    sa.Column('tracking_number', sa.String(length=40), nullable=False),
    sa.CheckConstraint('weight_g >= 0', name=op.f('ck_packages_weight_not_negative')),
    sa.ForeignKeyConstraint(['box_type_id'], ['box_types.id'], name=op.f('fk_packages_box_type_id_box_types')),
    sa.ForeignKeyConstraint(['shipment_id'], ['shipments.id'], name=op.f('fk_packages_shipment_id_shipments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_packages')),
    sa.UniqueConstraint('shipment_id', 'sequence', name='uq_packages_shipment_sequence')
    )
    with op.batch_alter_table('packages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_packages_shipment_id'), ['shipment_id'], unique=False)

    op.create_table('shipping_exceptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('shipment_id', sa.Integer(), nullable=True),
    sa.Column('warehouse_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('details', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', erp_core.models_base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('resolution', sa.String(length=300), nullable=False),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('resolved_at', erp_core.models_base.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('short_pick', 'intercept', 'weight', 'missing_item', 'damaged', 'tracking', 'other')", name=op.f('ck_shipping_exceptions_kind_known')),
    sa.CheckConstraint("status IN ('open', 'resolved')", name=op.f('ck_shipping_exceptions_status_known')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_shipping_exceptions_created_by_id_users')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_shipping_exceptions_order_id_orders')),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['users.id'], name=op.f('fk_shipping_exceptions_resolved_by_id_users')),
    sa.ForeignKeyConstraint(['shipment_id'], ['shipments.id'], name=op.f('fk_shipping_exceptions_shipment_id_shipments')),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouses.id'], name=op.f('fk_shipping_exceptions_warehouse_id_warehouses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shipping_exceptions'))
    )
    with op.batch_alter_table('shipping_exceptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shipping_exceptions_order_id'), ['order_id'], unique=False)
        batch_op.create_index('ix_shipping_exceptions_status_kind', ['status', 'kind'], unique=False)

    op.create_table('tracking_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shipment_id', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.String(length=80), nullable=False),
    sa.Column('occurred_at', erp_core.models_base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('description', sa.String(length=300), nullable=False),
    sa.Column('location', sa.String(length=120), nullable=False),
    sa.Column('received_at', erp_core.models_base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['shipment_id'], ['shipments.id'], name=op.f('fk_tracking_events_shipment_id_shipments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tracking_events')),
    sa.UniqueConstraint('shipment_id', 'external_id', name='uq_tracking_events_shipment_external')
    )
    with op.batch_alter_table('tracking_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tracking_events_shipment_id'), ['shipment_id'], unique=False)

    op.create_table('shipment_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shipment_id', sa.Integer(), nullable=False),
    sa.Column('package_id', sa.Integer(), nullable=False),
    sa.Column('order_line_id', sa.Integer(), nullable=False),
    sa.Column('sku_id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=True),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_shipment_lines_quantity_positive')),
    sa.ForeignKeyConstraint(['lot_id'], ['lots.id'], name=op.f('fk_shipment_lines_lot_id_lots')),
    sa.ForeignKeyConstraint(['order_line_id'], ['order_lines.id'], name=op.f('fk_shipment_lines_order_line_id_order_lines')),
    sa.ForeignKeyConstraint(['package_id'], ['packages.id'], name=op.f('fk_shipment_lines_package_id_packages'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shipment_id'], ['shipments.id'], name=op.f('fk_shipment_lines_shipment_id_shipments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sku_id'], ['skus.id'], name=op.f('fk_shipment_lines_sku_id_skus')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shipment_lines'))
    )
    with op.batch_alter_table('shipment_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shipment_lines_lot_id'), ['lot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shipment_lines_shipment_id'), ['shipment_id'], unique=False)

    op.create_table('tracking_numbers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('carrier_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('package_id', sa.Integer(), nullable=True),
    sa.Column('imported_at', erp_core.models_base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', erp_core.models_base.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('free', 'used', 'void')", name=op.f('ck_tracking_numbers_status_known')),
    sa.ForeignKeyConstraint(['carrier_id'], ['carriers.id'], name=op.f('fk_tracking_numbers_carrier_id_carriers')),
    sa.ForeignKeyConstraint(['package_id'], ['packages.id'], name=op.f('fk_tracking_numbers_package_id_packages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tracking_numbers')),
    sa.UniqueConstraint('carrier_id', 'number', name='uq_tracking_numbers_carrier_number')
    )
    with op.batch_alter_table('tracking_numbers', schema=None) as batch_op:
        batch_op.create_index('ix_tracking_numbers_carrier_status', ['carrier_id', 'status', 'id'], unique=False)

    with op.batch_alter_table('warehouses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('weight_tolerance_pct', sa.Integer(), nullable=False, server_default='10'))
        batch_op.add_column(sa.Column('weight_tolerance_g', sa.Integer(), nullable=False, server_default='50'))
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_orders_status_known'), type_='check')
        batch_op.create_check_constraint('status_known', _check(NEW))



def downgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_orders_status_known'), type_='check')
        batch_op.create_check_constraint('status_known', _check(OLD))
    with op.batch_alter_table('warehouses', schema=None) as batch_op:
        batch_op.drop_column('weight_tolerance_g')
        batch_op.drop_column('weight_tolerance_pct')

    with op.batch_alter_table('tracking_numbers', schema=None) as batch_op:
        batch_op.drop_index('ix_tracking_numbers_carrier_status')

    op.drop_table('tracking_numbers')
    with op.batch_alter_table('shipment_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shipment_lines_shipment_id'))
        batch_op.drop_index(batch_op.f('ix_shipment_lines_lot_id'))

    op.drop_table('shipment_lines')
    with op.batch_alter_table('tracking_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tracking_events_shipment_id'))

    op.drop_table('tracking_events')
    with op.batch_alter_table('shipping_exceptions', schema=None) as batch_op:
        batch_op.drop_index('ix_shipping_exceptions_status_kind')
        batch_op.drop_index(batch_op.f('ix_shipping_exceptions_order_id'))

    op.drop_table('shipping_exceptions')
    with op.batch_alter_table('packages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_packages_shipment_id'))

    op.drop_table('packages')
    with op.batch_alter_table('shipments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shipments_warehouse_id'))
        batch_op.drop_index(batch_op.f('ix_shipments_tracking_number'))
        batch_op.drop_index(batch_op.f('ix_shipments_order_id'))
        batch_op.drop_index(batch_op.f('ix_shipments_manifest_id'))
        batch_op.drop_index(batch_op.f('ix_shipments_carrier_id'))

    op.drop_table('shipments')
    with op.batch_alter_table('print_jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_print_jobs_printer_id'))

    op.drop_table('print_jobs')
    op.drop_table('printers')
    op.drop_table('manifests')
    op.drop_table('label_template_overrides')
    op.drop_table('carrier_rules')
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_messages_topic'))
        batch_op.drop_index('ix_outbox_messages_status_id')

    op.drop_table('outbox_messages')
    op.drop_table('carriers')
    op.drop_table('box_types')
