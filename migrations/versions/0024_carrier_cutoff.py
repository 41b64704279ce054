"""live wave board: each carrier's daily cut-off (carriers.cutoff_time) and an index on when picks were done

Revision ID: 0024
Revises: 0023
Create Date: 2027-01-20 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('carriers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cutoff_time', sa.Time(), nullable=True))
    with op.batch_alter_table('pick_tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pick_tasks_done_at'), ['done_at'], unique=False)


def downgrade():
    with op.batch_alter_table('pick_tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pick_tasks_done_at'))
    with op.batch_alter_table('carriers', schema=None) as batch_op:
        batch_op.drop_column('cutoff_time')
