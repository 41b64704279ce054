"""suppliers: more contact people besides the main contact (supplier_contacts)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 17:40:00.000000

"""
from alembic import op
import sqlalchemy as sa

import erp_core.models_base

# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('supplier_contacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('title', sa.String(length=60), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('email', sa.String(length=200), nullable=False),
    sa.Column('created_at', erp_core.models_base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['supplier_id'], ['suppliers.id'], name=op.f('fk_supplier_contacts_supplier_id_suppliers'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supplier_contacts'))
    )
    with op.batch_alter_table('supplier_contacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supplier_contacts_supplier_id'), ['supplier_id'], unique=False)


def downgrade():
    with op.batch_alter_table('supplier_contacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supplier_contacts_supplier_id'))
    op.drop_table('supplier_contacts')
