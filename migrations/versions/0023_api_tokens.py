"""API tokens: scopes (<area>:read / <area>:write) and an expiry; existing tokens get every scope of
their user's role

Revision ID: 0023
Revises: 0022
Create Date: 2027-01-20 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import erp_core.models_base

# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scopes', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('expires_at', erp_core.models_base.UTCDateTime(timezone=True), nullable=True))
    # Existing tokens keep what they could do: every scope of their user's role.
    from erp_core.auth.permissions import scopes_for_role

    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT t.id, u.role FROM api_tokens t JOIN users u ON u.id = t.user_id")).all()
    for token_id, role in rows:
        conn.execute(sa.text("UPDATE api_tokens SET scopes = :scopes WHERE id = :id"),
                     {"scopes": " ".join(scopes_for_role(role)), "id": token_id})
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.alter_column('scopes', server_default=None)


def downgrade():
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_column('expires_at')
        batch_op.drop_column('scopes')
