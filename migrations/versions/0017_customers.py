"""customers: merge trail, tags, notes, feedback and complaints; blacklist reason, updated_at

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import erp_core.models_base

# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('blacklist_reason', sa.String(length=255), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('merged_into_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('updated_at', erp_core.models_base.UTCDateTime(timezone=True), nullable=False,
                                      server_default=sa.text('CURRENT_TIMESTAMP')))
        batch_op.create_foreign_key(batch_op.f('fk_customers_merged_into_id_customers'), 'customers',
                                    ['merged_into_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_customers_merged_into_id'), ['merged_into_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customers_updated_at'), ['updated_at'], unique=False)

    op.create_table('customer_tags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('tag', sa.String(length=40), nullable=False),
    sa.Column('created_at', erp_core.models_base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_customer_tags_customer_id_customers'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_tags')),
    sa.UniqueConstraint('customer_id', 'tag', name='uq_customer_tags_customer_tag')
    )
    with op.batch_alter_table('customer_tags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_tags_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_tags_tag'), ['tag'], unique=False)

    op.create_table('customer_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', erp_core.models_base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_customer_notes_customer_id_customers'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_customer_notes_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_notes'))
    )
    with op.batch_alter_table('customer_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_notes_customer_id'), ['customer_id'], unique=False)

    op.create_table('customer_feedback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', erp_core.models_base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('resolved_at', erp_core.models_base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', erp_core.models_base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('feedback', 'complaint')", name=op.f('ck_customer_feedback_kind_known')),
    sa.CheckConstraint("status IN ('open', 'resolved')", name=op.f('ck_customer_feedback_status_known')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'],
                            name=op.f('fk_customer_feedback_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_customer_feedback_order_id_orders')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_customer_feedback_created_by_id_users')),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['users.id'],
                            name=op.f('fk_customer_feedback_resolved_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_feedback'))
    )
    with op.batch_alter_table('customer_feedback', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_feedback_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_feedback_order_id'), ['order_id'], unique=False)

    op.create_table('customer_merges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survivor_id', sa.Integer(), nullable=False),
    sa.Column('merged_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('merged_by_id', sa.Integer(), nullable=True),
    sa.Column('merged_at', erp_core.models_base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('unmerged_by_id', sa.Integer(), nullable=True),
    sa.Column('unmerged_at', erp_core.models_base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('took_blacklist', sa.Boolean(), nullable=False),
    sa.Column('survivor_blacklist_reason_before', sa.String(length=255), nullable=False),
    sa.CheckConstraint("status IN ('merged', 'unmerged')", name=op.f('ck_customer_merges_status_known')),
    sa.CheckConstraint('survivor_id <> merged_id', name=op.f('ck_customer_merges_not_itself')),
    sa.ForeignKeyConstraint(['survivor_id'], ['customers.id'], name=op.f('fk_customer_merges_survivor_id_customers')),
    sa.ForeignKeyConstraint(['merged_id'], ['customers.id'], name=op.f('fk_customer_merges_merged_id_customers')),
    sa.ForeignKeyConstraint(['merged_by_id'], ['users.id'], name=op.f('fk_customer_merges_merged_by_id_users')),
    sa.ForeignKeyConstraint(['unmerged_by_id'], ['users.id'], name=op.f('fk_customer_merges_unmerged_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_merges'))
    )
    with op.batch_alter_table('customer_merges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_merges_survivor_id'), ['survivor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_merges_merged_id'), ['merged_id'], unique=False)

    op.create_table('customer_merge_moves',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('merge_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('order', 'tag', 'note', 'feedback')", name=op.f('ck_customer_merge_moves_kind_known')),
    sa.ForeignKeyConstraint(['merge_id'], ['customer_merges.id'],
                            name=op.f('fk_customer_merge_moves_merge_id_customer_merges'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_merge_moves')),
    sa.UniqueConstraint('merge_id', 'kind', 'record_id', name='uq_customer_merge_moves_record')
    )
    with op.batch_alter_table('customer_merge_moves', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_merge_moves_merge_id'), ['merge_id'], unique=False)


def downgrade():
    with op.batch_alter_table('customer_merge_moves', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_merge_moves_merge_id'))
    op.drop_table('customer_merge_moves')
    with op.batch_alter_table('customer_merges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_merges_merged_id'))
        batch_op.drop_index(batch_op.f('ix_customer_merges_survivor_id'))
    op.drop_table('customer_merges')
    with op.batch_alter_table('customer_feedback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_feedback_order_id'))
        batch_op.drop_index(batch_op.f('ix_customer_feedback_customer_id'))
    op.drop_table('customer_feedback')
    with op.batch_alter_table('customer_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_notes_customer_id'))
    op.drop_table('customer_notes')
    with op.batch_alter_table('customer_tags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_tags_tag'))
        batch_op.drop_index(batch_op.f('ix_customer_tags_customer_id'))
    op.drop_table('customer_tags')
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customers_updated_at'))
        batch_op.drop_index(batch_op.f('ix_customers_merged_into_id'))
        batch_op.drop_constraint(batch_op.f('fk_customers_merged_into_id_customers'), type_='foreignkey')
        batch_op.drop_column('updated_at')
        batch_op.drop_column('merged_into_id')
        batch_op.drop_column('blacklist_reason')
