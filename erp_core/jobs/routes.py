"""The jobs page (/jobs): background work with who, what, progress, result, errors, Retry / Cancel.

Each row is shown only to users holding the permission of the job's action; a job's own page polls
its progress fragment every second (HTMX) until it has finished."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..auth.guard import requires
from ..extensions import db
from ..navigation import register_nav_link
from .models import Job
from .services import cancel_job, job_file, job_title, retry_job, visible_job, visible_jobs_stmt

bp = Blueprint("jobs", __name__)
PER_PAGE = 50


def register_jobs_ui() -> None:
    register_nav_link("settings", "jobs.index", _l("Background jobs"), "jobs.view")


@bp.app_template_global("job_title")
def _job_title(job: Job) -> str:
    return job_title(job)


def _visible_job(job_id: int) -> Job:
    job = visible_job(current_user, job_id)
    if job is None:
        abort(404)
    return job


@bp.route("/")
@requires("jobs.view")
def index():
    page = max(request.args.get("page", 1, type=int), 1)
    stmt = visible_jobs_stmt(current_user)
    if request.args.get("status"):
        stmt = stmt.where(Job.status == request.args["status"])
    jobs = db.session.scalars(stmt.limit(PER_PAGE + 1).offset((page - 1) * PER_PAGE)).all()
    return render_template("jobs/index.html", jobs=jobs[:PER_PAGE], page=page, more=len(jobs) > PER_PAGE)


@bp.route("/<int:job_id>")
@requires("jobs.view")
def show(job_id: int):
    return render_template("jobs/show.html", job=_visible_job(job_id))


@bp.route("/<int:job_id>/progress")
@requires("jobs.view")
def progress(job_id: int):
    return render_template("jobs/_progress.html", job=_visible_job(job_id))


@bp.route("/<int:job_id>/retry", methods=["POST"])
@requires("jobs.view")
def retry(job_id: int):
    retry_job(_visible_job(job_id).id)
    flash(_("The job is queued again; it goes on from where it stopped."), "success")
    return redirect(url_for("jobs.show", job_id=job_id))


@bp.route("/<int:job_id>/cancel", methods=["POST"])
@requires("jobs.view")
def cancel(job_id: int):
    cancel_job(_visible_job(job_id).id)
    flash(_("The job is cancelled; what it had finished is kept."), "success")
    return redirect(url_for("jobs.show", job_id=job_id))


@bp.route("/<int:job_id>/file")
@requires("jobs.view")
def download(job_id: int):
    """The file a finished job made (a label sheet, a document batch), kept under <instance>/jobs/files/."""
    job = _visible_job(job_id)
    path = job_file(job)
    if path is None:
        abort(404)
    return send_file(path, mimetype=job.result.get("mimetype", "application/octet-stream"), as_attachment=True,
                     download_name=job.result.get("download_name", path.name))
