"""REST: background jobs (/api/v1/jobs, /api/v1/jobs/{id}), read-only; each job visible only to holders
of its action's permission."""

from __future__ import annotations

from flask import abort
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ..api.cursor import page_or_cursor, paged
from ..api.schemas import PageArgs
from ..auth.guard import requires
from .models import JOB_STATUSES, Job
from .services import job_title, visible_job, visible_jobs_stmt

bp = Blueprint("jobs_api", __name__, description="Background jobs (后台任务): imports, bulk actions, label batches")


class JobSchema(Schema):
    id = fields.Integer(dump_only=True)
    kind = fields.String(dump_only=True)
    title = fields.Function(job_title, dump_only=True, metadata={"type": "string", "description":
                            "what the job is, in the caller's language (Accept-Language)"})
    warehouse_id = fields.Integer(dump_only=True, allow_none=True)
    user_id = fields.Integer(dump_only=True, allow_none=True)
    permission = fields.String(dump_only=True)
    status = fields.String(dump_only=True, metadata={"enum": list(JOB_STATUSES)})
    progress_done = fields.Integer(dump_only=True)
    progress_total = fields.Integer(dump_only=True)
    percent = fields.Integer(dump_only=True)
    result = fields.Dict(dump_only=True)
    error = fields.String(dump_only=True)
    attempts = fields.Integer(dump_only=True)
    heartbeat_at = fields.DateTime(dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True)
    started_at = fields.DateTime(dump_only=True, allow_none=True)
    finished_at = fields.DateTime(dump_only=True, allow_none=True)


class JobQuery(PageArgs):
    status = fields.String(load_default=None, validate=validate.OneOf(JOB_STATUSES))


@bp.route("/jobs")
class Jobs(MethodView):
    @requires("jobs.view")
    @bp.arguments(JobQuery, location="query")
    @bp.response(200, paged(JobSchema))
    def get(self, args):
        """The jobs the caller may see, newest first."""
        stmt = visible_jobs_stmt(current_user)
        if args["status"]:
            stmt = stmt.where(Job.status == args["status"])
        return page_or_cursor(stmt, Job.id, args, newest_first=True)


@bp.route("/jobs/<int:job_id>")
class JobById(MethodView):
    @requires("jobs.view")
    @bp.response(200, JobSchema)
    def get(self, job_id: int):
        """One job: status, progress, result, error (poll it until ``status`` is done, failed or cancelled)."""
        job = visible_job(current_user, job_id)
        if job is None:
            abort(404)
        return job
