"""imports: the error report of an import job is a file; the job keeps its name and first rows

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-10 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None

_PREVIEW_CHARS = 20000  # the reports kept in the row so far keep (about) their first rows as the preview


def upgrade():
    with op.batch_alter_table('import_jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('report_path', sa.String(length=255), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('report_preview', sa.Text(), nullable=False, server_default=''))
    op.execute(f"UPDATE import_jobs SET report_preview = substr(errors_csv, 1, {_PREVIEW_CHARS})")
    with op.batch_alter_table('import_jobs', schema=None) as batch_op:
        batch_op.drop_column('errors_csv')


def downgrade():
    with op.batch_alter_table('import_jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('errors_csv', sa.Text(), nullable=False, server_default=''))
    op.execute("UPDATE import_jobs SET errors_csv = report_preview")
    with op.batch_alter_table('import_jobs', schema=None) as batch_op:
        batch_op.drop_column('report_preview')
        batch_op.drop_column('report_path')
