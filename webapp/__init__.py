"""geoterr web app: a territory pack in the browser — dashboard, layered map, one page per
analysis, and the initiatives observatory with moderated submissions.

``create_app(test_config=None)`` is the factory (flaskr-style). Configuration, in order:
defaults → ``instance/config.py`` → ``GEOTERR_*`` environment → ``test_config``:

- ``PACK``: the territory pack (GeoPackage) to serve (``GEOTERR_PACK``);
- ``SECRET_KEY``: ``GEOTERR_SECRET_KEY``; otherwise one is generated once and kept in the
  instance folder;
- ``MODERATOR_PASSWORD_HASH``: ``GEOTERR_MODERATOR_PASSWORD_HASH`` (werkzeug hash), or
  ``GEOTERR_MODERATOR_PASSWORD`` (hashed at start-up); no moderator login without one;
- ``DATABASE_URL``: ``GEOTERR_DATABASE_URL``, default SQLite in the instance folder.

Views parse input, call geoterr and serialise; the pack and the database are opened lazily.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask
from werkzeug.security import generate_password_hash

from webapp import db, i18n, security

#: Largest request body accepted (the submission form is small).
MAX_CONTENT_LENGTH = 64 * 1024


def _secret_key(instance: Path) -> str:
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def create_app(test_config: dict | None = None) -> Flask:
    """Create the app (see the module docstring for the configuration)."""
    app = Flask(__name__, instance_relative_config=True)
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(
        PACK=None,
        DATABASE_URL=f"sqlite:///{instance / 'initiatives.sqlite'}",
        MODERATOR_PASSWORD_HASH=None,
        MAX_CONTENT_LENGTH=MAX_CONTENT_LENGTH,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,
        PER_PAGE_MAX=5000,
    )
    app.config.from_pyfile("config.py", silent=True)
    env = os.environ
    for key in ("PACK", "SECRET_KEY", "MODERATOR_PASSWORD_HASH", "DATABASE_URL"):
        if env.get(f"GEOTERR_{key}"):
            app.config[key] = env[f"GEOTERR_{key}"]
    if env.get("GEOTERR_MODERATOR_PASSWORD") and not app.config["MODERATOR_PASSWORD_HASH"]:
        app.config["MODERATOR_PASSWORD_HASH"] = generate_password_hash(
            env["GEOTERR_MODERATOR_PASSWORD"])
    if test_config:
        app.config.update(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(instance)

    db.init_app(app)
    i18n.init_app(app)
    security.init_app(app)

    from webapp.views import analyses, api, dashboard, initiatives, maps, moderation

    for bp in (dashboard.bp, maps.bp, analyses.bp, api.bp, initiatives.bp, moderation.bp):
        app.register_blueprint(bp)
    return app
