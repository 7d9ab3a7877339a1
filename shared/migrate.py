"""Apply the packaged Alembic migrations; works from a plain `pip install .`."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text

import migrations
from shared.database import DatabaseAddress

logger = logging.getLogger(__name__)
HEAD = "head"
MIGRATION_LOCK = 0x7A5C_0001


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    config.set_main_option(
        "sqlalchemy.url",
        DatabaseAddress.parse(database_url).sqlalchemy_url().replace("%", "%%"),
    )
    return config


def upgrade(database_url: str, revision: str = HEAD) -> None:
    """Idempotent: an up-to-date database is left as it is."""
    _run(database_url, lambda config: command.upgrade(config, revision))
    logger.info("migrations applied", extra={"revision": revision})


def downgrade(database_url: str, revision: str) -> None:
    _run(database_url, lambda config: command.downgrade(config, revision))


def _run(database_url: str, action: Callable[[Config], None]) -> None:
    config = alembic_config(database_url)
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    try:
        with engine.begin() as connection:
            # Several processes may migrate at once (replicas, compose); one goes at a time.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            config.attributes["connection"] = connection
            action(config)
    finally:
        engine.dispose()
