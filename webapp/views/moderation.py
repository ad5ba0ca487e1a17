"""Moderation: log in (hashed password from config or env), approve, reject or edit."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.security import check_password_hash

from webapp import db
from webapp.forms import EditForm, LoginForm, ModerateForm
from webapp.security import login_required

bp = Blueprint("moderation", __name__, url_prefix="/moderation")


def _safe_next(target: str | None) -> str:
    # only paths of this site (no open redirect)
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("moderation.queue")


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        hashed = current_app.config.get("MODERATOR_PASSWORD_HASH")
        if not hashed:
            error = "no moderator password is configured (GEOTERR_MODERATOR_PASSWORD)"
        elif check_password_hash(hashed, form.password.data):
            session.clear()
            session["moderator"] = True
            return redirect(_safe_next(request.args.get("next")))
        else:
            error = "wrong password"
    status = 401 if error else (400 if form.is_submitted() else 200)
    return render_template("login.html", form=form, error=error), status


@bp.post("/logout")
@login_required
def logout():
    session.pop("moderator", None)
    return redirect(url_for("dashboard.index"))


@bp.get("/")
@login_required
def queue():
    return render_template("moderation.html", pending=db.by_status("pending"),
                           form=ModerateForm())


@bp.post("/<int:item_id>/<any(approve, reject):action>")
@login_required
def decide(item_id: int, action: str):
    form = ModerateForm()
    if not form.validate_on_submit():
        abort(400)
    if not db.moderate(item_id, status="approved" if action == "approve" else "rejected",
                       note=form.note.data or ""):
        abort(404)
    return redirect(url_for("moderation.queue"))


@bp.route("/<int:item_id>/edit", methods=["GET", "POST"])
@login_required
def edit(item_id: int):
    item = db.get(item_id)
    if item is None:
        abort(404)
    form = EditForm(data={**item, "commune": item["commune_name"]})
    if form.validate_on_submit():
        changes = {"name": form.name.data.strip(), "theme": form.theme.data,
                   "scale": form.scale.data, "year_start": form.year_start.data,
                   "description": form.description.data.strip(),
                   "contact": (form.contact.data or "").strip()}
        db.moderate(item_id, status=item["status"], note=form.note.data or "",
                    changes=changes)
        return redirect(url_for("moderation.queue"))
    return render_template("edit.html", form=form, item=item), (400 if form.is_submitted()
                                                                 else 200)
