"""manifests: the courier who signed for the handover (交接单签收人)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 10:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('manifests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('courier_name', sa.String(length=80), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('manifests', schema=None) as batch_op:
        batch_op.drop_column('courier_name')
