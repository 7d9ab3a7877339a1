"""The shadow tables a rebuild replays into, and how they replace the live ones."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import psycopg
from psycopg import sql

Conn = psycopg.AsyncConnection[tuple[Any, ...]]
SHADOW = "taskstream_rebuild"
READ_TABLES = (
    "projects",
    "tasks",
    "tags",
    "task_tags",
    "project_documents",
    "task_documents",
)


async def prepare_shadow(conn: Conn) -> list[str]:
    """Fresh, empty shadow tables shaped exactly like the live ones, with their primary
    keys. The other indexes are returned, to be built once the rows are in: one sort is
    far cheaper than keeping them up to date row by row. Names are kept, so the swapped
    tables are indistinguishable from what the migrations made."""
    later: list[str] = []
    async with conn.transaction():
        await conn.execute(
            sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(SHADOW))
        )
        await conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(SHADOW)))
        for table in READ_TABLES:
            await conn.execute(
                sql.SQL(
                    "CREATE TABLE {}.{} (LIKE public.{} INCLUDING DEFAULTS INCLUDING IDENTITY"
                    " INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMMENTS)"
                ).format(sql.Identifier(SHADOW), sql.Identifier(table), sql.Identifier(table))
            )
            cur = await conn.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
                " WHERE conrelid = %s::regclass AND contype IN ('p', 'u')",
                (f"public.{table}",),
            )
            for name, definition in await cur.fetchall():
                await conn.execute(
                    sql.SQL("ALTER TABLE {}.{} ADD CONSTRAINT {} {}").format(
                        sql.Identifier(SHADOW),
                        sql.Identifier(table),
                        sql.Identifier(name),
                        sql.SQL(definition),
                    )
                )
            cur = await conn.execute(
                "SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = %s"
                " AND indexname NOT IN (SELECT conname FROM pg_constraint"
                " WHERE conrelid = %s::regclass)",
                (table, f"public.{table}"),
            )
            later += [
                str(definition).replace(" ON public.", f" ON {SHADOW}.")
                for (definition,) in await cur.fetchall()
            ]
    return later


async def build_indexes(conn: Conn, definitions: list[str]) -> None:
    for definition in definitions:
        await conn.execute(definition)


async def exchange_tables(conn: Conn) -> None:
    for table in READ_TABLES:
        await conn.execute(sql.SQL("DROP TABLE public.{}").format(sql.Identifier(table)))
        await conn.execute(
            sql.SQL("ALTER TABLE {}.{} SET SCHEMA public").format(
                sql.Identifier(SHADOW), sql.Identifier(table)
            )
        )


async def replace_tenant(conn: Conn, tenant: UUID) -> None:
    for table in reversed(READ_TABLES):
        await conn.execute(
            sql.SQL("DELETE FROM public.{} WHERE tenant_id = %s").format(sql.Identifier(table)),
            (tenant,),
        )
    for table in READ_TABLES:
        await conn.execute(
            sql.SQL("INSERT INTO public.{} SELECT * FROM {}.{} WHERE tenant_id = %s").format(
                sql.Identifier(table), sql.Identifier(SHADOW), sql.Identifier(table)
            ),
            (tenant,),
        )
