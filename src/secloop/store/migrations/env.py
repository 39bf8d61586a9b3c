"""Alembic environment for the secloop store.

secloop runs migrations itself (secloop.store.engine.migrate): the caller opens the connection and
its transaction and passes the connection in `config.attributes["connection"]`, so no alembic.ini and
no URL are needed here. Offline (SQL script) mode is not supported: the store always migrates live.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from secloop.store.engine import VERSION_TABLE
from secloop.store.models import Base

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError("secloop migrations run through secloop.store: pass a connection in config.attributes")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    version_table=VERSION_TABLE,
    transactional_ddl=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
