"""SKUs know when they last changed (skus.updated_at), for the API's updated_since

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-01 21:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import erp_core.models_base

# revision identifiers, used by Alembic.
revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('skus', schema=None) as batch_op:
        batch_op.add_column(sa.Column('updated_at', erp_core.models_base.UTCDateTime(timezone=True), nullable=True))
    op.execute("UPDATE skus SET updated_at = created_at")
    with op.batch_alter_table('skus', schema=None) as batch_op:
        batch_op.alter_column('updated_at', existing_type=erp_core.models_base.UTCDateTime(timezone=True), nullable=False)
        batch_op.create_index('ix_skus_updated_at', ['updated_at'])


def downgrade():
    with op.batch_alter_table('skus', schema=None) as batch_op:
        batch_op.drop_index('ix_skus_updated_at')
        batch_op.drop_column('updated_at')
