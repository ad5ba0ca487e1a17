"""Initiative submissions and their moderation, stored with SQLAlchemy Core.

The default is SQLite in the app's instance folder (WAL journal, one transaction per write);
any SQLAlchemy URL works the same way, so a PostgreSQL/PostGIS database can replace it
(``GEOTERR_DATABASE_URL=postgresql+psycopg://…``): the table uses portable types and
coordinates are plain longitude/latitude columns.

Like flaskr's ``db.py``: the engine is created lazily per app and reused; ``init_app``
registers the ``init-db`` command.
"""

from __future__ import annotations

import datetime as dt

import click
from flask import Flask, current_app
from sqlalchemy import (
    Column,
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Engine

metadata = MetaData()

#: Status of a submission: waiting for a moderator, published, or refused.
STATUSES = ("pending", "approved", "rejected")

initiatives = Table(
    "initiatives", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("commune_code", String(5), nullable=False),
    Column("commune_name", String(200), nullable=False),
    Column("theme", String(60), nullable=False),
    Column("scale", String(60), nullable=False, default="commune"),
    Column("year_start", Integer),
    Column("description", Text, nullable=False),
    Column("contact", String(200), nullable=False, default=""),
    Column("lon", Float), Column("lat", Float),
    Column("status", String(10), nullable=False, default="pending"),
    Column("submitted_at", DateTime, nullable=False),
    Column("moderated_at", DateTime),
    Column("moderator_note", String(500), nullable=False, default=""),
)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def get_engine() -> Engine:
    """The app's engine (created on first use, tables created if missing)."""
    ext = current_app.extensions.setdefault("geoterr", {})
    if "engine" not in ext:
        url = current_app.config["DATABASE_URL"]
        engine = create_engine(url, future=True)
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        metadata.create_all(engine)
        ext["engine"] = engine
    return ext["engine"]


def add(record: dict) -> int:
    """Store a validated submission as pending; returns its id."""
    row = {**record, "status": "pending", "submitted_at": dt.datetime.now(dt.UTC)}
    with get_engine().begin() as con:
        return int(con.execute(insert(initiatives).values(**row)).inserted_primary_key[0])


def get(initiative_id: int) -> dict | None:
    with get_engine().connect() as con:
        row = con.execute(select(initiatives).where(initiatives.c.id == initiative_id)).first()
    return dict(row._mapping) if row else None


def by_status(status: str) -> list[dict]:
    if status not in STATUSES:
        raise ValueError(f"status {status!r}: one of {STATUSES}")
    with get_engine().connect() as con:
        rows = con.execute(select(initiatives).where(initiatives.c.status == status)
                           .order_by(initiatives.c.submitted_at)).all()
    return [dict(r._mapping) for r in rows]


def moderate(initiative_id: int, *, status: str, note: str = "",
             changes: dict | None = None) -> bool:
    """Approve, reject or edit (``changes``) one submission in one transaction."""
    if status not in STATUSES:
        raise ValueError(f"status {status!r}: one of {STATUSES}")
    values = {**(changes or {}), "status": status, "moderator_note": note,
              "moderated_at": dt.datetime.now(dt.UTC)}
    with get_engine().begin() as con:
        res = con.execute(update(initiatives).where(initiatives.c.id == initiative_id)
                          .values(**values))
    return res.rowcount == 1


@click.command("init-db")
def init_db_command() -> None:
    """Create the initiatives table (idempotent)."""
    get_engine()
    click.echo("initialised the initiatives database")


def init_app(app: Flask) -> None:
    app.cli.add_command(init_db_command)
