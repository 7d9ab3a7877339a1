"""The SQL of every read: each resource's JSON document, and the statements over the
read tables that answer with it.

Each read is one statement whatever the number of tasks and tags, and no per-row
Python object is made: the text PostgreSQL returns is the response body. The nested
project view is kept built in project_documents, so reading it costs about one
primary-key lookup. Lists are keyset-paginated on (created_at, id), which the
tables' indexes serve in order.
"""

from __future__ import annotations

from services.query.schemas import ProjectSummary, TagWithCount
from services.query.shaped_json import json_object
from shared.resources import ProjectWithTasks, TagRef, Task

TAG_REF = json_object(TagRef, "g")
TASK_JSON = json_object(
    Task,
    "t",
    tags="COALESCE((SELECT json_agg(" + TAG_REF + " ORDER BY lower(g.name), g.id)"
    " FROM task_tags tt JOIN tags g ON g.id = tt.tag_id WHERE tt.task_id = t.id), '[]')",
)
PROJECT_DOCUMENT = (
    json_object(
        ProjectWithTasks,
        "p",
        tasks="COALESCE((SELECT json_agg(" + TASK_JSON + " ORDER BY t.created_at, t.id)"
        " FROM tasks t WHERE t.tenant_id = p.tenant_id AND t.project_id = p.id), '[]')",
    )
    + "::text"
)
PROJECT_SUMMARY = json_object(ProjectSummary, "p")
TAG_JSON = json_object(TagWithCount, "g")

# The nested views of the requested projects (ids and tenants as two arrays: reads of
# one object may be batched, services/query/batched.py), each from project_documents while
# its revision is the project's (the projector bumps it on every change); otherwise
# built, stored and returned, all in one statement. A copy built from an older snapshot
# never replaces a newer one, and copies are stored in id order, so two batches storing
# the same projects never deadlock. The body's digest is kept with it (hashing the body
# on every read cost more than reading it), and the project's version is read with it:
# the ETag is both (services/query/etags.py).
# An empty project's view is not stored: building it costs about what looking up a
# stored copy does, and storing it would make the first read of every new project a write.
PROJECTS_WITH_TASKS = (
    "WITH p AS (SELECT pr.* FROM unnest(%s::uuid[], %s::uuid[]) AS r (id, tenant_id)"
    " JOIN projects pr ON pr.id = r.id AND pr.tenant_id = r.tenant_id),"
    " cached AS (SELECT p.id, p.tenant_id, p.version, d.body, d.etag FROM project_documents d"
    " JOIN p"
    " ON d.project_id = p.id AND d.revision = p.revision),"
    " built AS (SELECT *, md5(body) AS etag FROM (SELECT p.id, p.tenant_id, p.version, p.revision,"
    " p.task_count, "
    + PROJECT_DOCUMENT
    + " AS body FROM p WHERE NOT EXISTS (SELECT FROM cached c WHERE c.id = p.id)) b),"
    " stored AS (INSERT INTO project_documents (project_id, tenant_id, revision, body, etag)"
    " SELECT id, tenant_id, revision, body, etag FROM built WHERE task_count > 0"
    " ORDER BY id ON CONFLICT (project_id)"
    " DO UPDATE SET revision = EXCLUDED.revision, body = EXCLUDED.body, etag = EXCLUDED.etag"
    " WHERE project_documents.revision < EXCLUDED.revision)"
    " SELECT id, tenant_id, body, etag, version FROM cached"
    " UNION ALL SELECT id, tenant_id, body, etag, version FROM built"
)
# A page of tasks, each one's JSON from task_documents while its revision is the
# task's, otherwise built, stored and returned: one statement, like the nested view.
# Copies are stored in id order, so two pages storing the same tasks never deadlock.
TASK_PAGE = (
    "WITH page AS MATERIALIZED ({page}),"
    " cached AS (SELECT d.task_id, d.body FROM task_documents d JOIN page p"
    " ON d.task_id = p.id AND d.revision = p.revision),"
    " built AS (SELECT t.id, t.tenant_id, t.revision, " + TASK_JSON + "::text AS body"
    " FROM page t WHERE NOT EXISTS (SELECT FROM cached c WHERE c.task_id = t.id)),"
    " stored AS (INSERT INTO task_documents (task_id, tenant_id, revision, body)"
    " SELECT id, tenant_id, revision, body FROM built ORDER BY id ON CONFLICT (task_id)"
    " DO UPDATE SET revision = EXCLUDED.revision, body = EXCLUDED.body"
    " WHERE task_documents.revision < EXCLUDED.revision)"
    " SELECT COALESCE(c.body, b.body), p.created_at, p.id FROM page p"
    " LEFT JOIN cached c ON c.task_id = p.id LEFT JOIN built b ON b.id = p.id"
    " ORDER BY p.created_at, p.id"
)
PROJECT_PAGE = (
    "SELECT " + PROJECT_SUMMARY + "::text, p.created_at, p.id FROM projects p"
    " WHERE p.tenant_id = %s AND (p.created_at, p.id) > (%s, %s)"
    " ORDER BY p.created_at, p.id LIMIT %s"
)
TASKS_BY_ID = (
    "SELECT t.id, t.tenant_id, " + TASK_JSON + "::text, t.version"
    " FROM unnest(%s::uuid[], %s::uuid[]) AS r (id, tenant_id)"
    " JOIN tasks t ON t.id = r.id AND t.tenant_id = r.tenant_id"
)
TAGS_BY_ID = (
    "SELECT g.id, g.tenant_id, " + TAG_JSON + "::text, g.version"
    " FROM unnest(%s::uuid[], %s::uuid[]) AS r (id, tenant_id)"
    " JOIN tags g ON g.id = r.id AND g.tenant_id = r.tenant_id"
)
TAG_PAGE = (
    "SELECT " + TAG_JSON + "::text, g.created_at, g.id FROM tags g"
    " WHERE g.tenant_id = %s AND (g.created_at, g.id) > (%s, %s)"
    " ORDER BY g.created_at, g.id LIMIT %s"
)


def task_page_statement(conditions: list[str]) -> str:
    """TASK_PAGE over the tasks that meet every condition (each with its parameters
    bound by the caller, before the key and the limit)."""
    page = (
        "SELECT t.* FROM tasks t"
        " WHERE " + " AND ".join(conditions) + " AND (t.created_at, t.id) > (%s, %s)"
        " ORDER BY t.created_at, t.id LIMIT %s"
    )
    return TASK_PAGE.format(page=page)
