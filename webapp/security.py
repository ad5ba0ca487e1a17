"""CSRF on every form (Flask-WTF), security headers with a per-request CSP nonce, and the
moderator login check."""

from __future__ import annotations

import functools
import re
import secrets

from flask import Flask, g, redirect, request, session, url_for
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()

#: Tiles of the base map; everything else comes from the app itself.
TILE_HOSTS = "https://tile.openstreetmap.org https://*.tile.openstreetmap.org"


def nonce() -> str:
    """This request's CSP nonce (for the inline scripts folium writes)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*\bnonce=)")


def with_nonce(html: str) -> str:
    """Add this request's nonce to every inline ``<script>`` of a generated page."""
    return _INLINE_SCRIPT.sub(f'<script nonce="{nonce()}"', html)


def _headers(response):
    csp = (f"default-src 'self'; script-src 'self' 'nonce-{nonce()}'; "
           "style-src 'self' 'unsafe-inline'; "
           f"img-src 'self' data: {TILE_HOSTS}; connect-src 'self'; font-src 'self'; "
           "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
    response.headers.setdefault("Content-Security-Policy", csp)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def login_required(view):
    """Moderation views: redirect to the login page unless a moderator is logged in."""
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if not session.get("moderator"):
            return redirect(url_for("moderation.login", next=request.path))
        return view(*args, **kwargs)
    return wrapped


def init_app(app: Flask) -> None:
    csrf.init_app(app)
    app.after_request(_headers)
    app.jinja_env.globals["csp_nonce"] = nonce
