"""the warehouse of a job (jobs.warehouse_id): the jobs list, API and downloads are limited to the
reader's warehouses

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-22 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('warehouse_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_jobs_warehouse_id_warehouses'), 'warehouses',
                                    ['warehouse_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_jobs_warehouse_id'), ['warehouse_id'], unique=False)


def downgrade():
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_jobs_warehouse_id'))
        batch_op.drop_constraint(batch_op.f('fk_jobs_warehouse_id_warehouses'), type_='foreignkey')
        batch_op.drop_column('warehouse_id')
