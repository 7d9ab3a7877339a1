"""The README's walkthrough through clients generated from the running stack's own
OpenAPI documents by `openapi-python-client`, and nothing else.

What an integrator would do: generate a client per API, authenticate with the declared
security schemes (Bearer on the command API, the X-Tenant-Token API key on the query
API), read X-Event-Position as an integer and hand it to X-Min-Position, take the
query API's ETag as If-Match, and page with next_cursor. Generation runs offline, into
a temporary folder, and the packages are imported from there.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any
from uuid import uuid4

import httpx
import pytest

from shared.tokens import issue_token
from tests.e2e.conftest import Stack

pytestmark = pytest.mark.e2e
GENERATOR = Path(sys.executable).parent / "openapi-python-client"
TASKS = 5
PAGE = 2
DUE = date(2026, 3, 14)


def generate(url: str, package: str, into: Path) -> None:
    document = into / f"{package}.json"
    document.write_bytes(httpx.get(f"{url}/openapi.json", timeout=30).content)
    config = into / f"{package}.yaml"
    # No post-hooks: the generated code is imported, never formatted or committed.
    config.write_text(f"post_hooks: []\npackage_name_override: {package}\n")
    subprocess.run(
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(document),
            "--config",
            str(config),
            "--meta",
            "none",
            "--output-path",
            str(into / package),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def generated(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    into = tmp_path_factory.mktemp("clients")
    generate(stack.command_url, "command_client", into)
    generate(stack.query_url, "query_client", into)
    sys.path.insert(0, str(into))
    try:
        yield into
    finally:
        sys.path.remove(str(into))
        for name in [
            m for m in sys.modules if m.split(".")[0] in ("command_client", "query_client")
        ]:
            del sys.modules[name]


def module(name: str) -> ModuleType:
    return importlib.import_module(name)


def position(answer: Any) -> int:
    """X-Event-Position, as the document declares it: an integer."""
    return int(answer.headers["X-Event-Position"])


def created(answer: Any) -> Any:
    assert answer.status_code == 201, answer.content
    return answer.parsed


def test_walkthrough_through_generated_clients_only(stack: Stack, generated: Path) -> None:
    cc = module("command_client")
    qc = module("query_client")
    cmodels = module("command_client.models")
    token = issue_token(stack.secret, uuid4(), 600, "generated")
    commands = cc.AuthenticatedClient(base_url=stack.command_url, token=token, timeout=30)
    reads = qc.AuthenticatedClient(
        base_url=stack.query_url,
        token=token,
        prefix="",
        auth_header_name="X-Tenant-Token",
        timeout=30,
    )
    create_project = module("command_client.api.projects.create_project")
    create_tag = module("command_client.api.tags.create_tag")
    create_task = module("command_client.api.tasks.create_task")
    update_task = module("command_client.api.tasks.update_task")
    get_project = module("query_client.api.projects.get_project")
    get_task = module("query_client.api.tasks.get_task")
    list_tasks = module("query_client.api.tasks.list_tasks")

    answer = create_project.sync_detailed(
        client=commands, body=cmodels.CreateProject(name="generated")
    )
    project = created(answer)
    assert answer.headers["Location"].endswith(f"/api/v1/projects/{project.id}")
    tag = created(
        create_tag.sync_detailed(client=commands, body=cmodels.CreateTag(name="generated"))
    )
    answer = create_task.sync_detailed(
        project.id,
        client=commands,
        body=cmodels.CreateTask(title="tagged", tag_ids=[tag.id], due_on=DUE, assignee="sam"),
    )
    task = created(answer)
    assert (task.due_on, task.assignee) == (DUE, "sam")
    written = position(answer)

    nested = get_project.sync_detailed(project.id, client=reads, x_min_position=written)
    assert nested.status_code == 200, nested.content
    (read_task,) = nested.parsed.tasks
    assert read_task.id == task.id
    assert [t.id for t in read_task.tags] == [tag.id]
    assert read_task.created_at == task.created_at
    assert (read_task.due_on, read_task.assignee) == (DUE, "sam")

    read = get_task.sync_detailed(task.id, client=reads, x_min_position=written)
    assert read.status_code == 200, read.content
    patched = update_task.sync_detailed(
        task.id,
        client=commands,
        body=cmodels.UpdateTask(status=cmodels.Status.DONE),
        if_match=read.headers["ETag"],
    )
    assert patched.status_code == 200, patched.content
    assert patched.parsed.status == cmodels.Status.DONE
    assert patched.parsed.version == task.version + 1

    for n in range(TASKS - 1):
        answer = create_task.sync_detailed(
            project.id, client=commands, body=cmodels.CreateTask(title=f"more {n}")
        )
        created(answer)
    last = position(answer)
    seen: list[Any] = []
    cursor: Any = module("query_client.types").UNSET
    pages = 0
    while True:
        page = list_tasks.sync_detailed(
            client=reads, project_id=project.id, limit=PAGE, cursor=cursor, x_min_position=last
        )
        assert page.status_code == 200, page.content
        pages += 1
        seen.extend(t.id for t in page.parsed.items)
        if page.parsed.next_cursor is None:
            break
        cursor = page.parsed.next_cursor
    assert pages == -(-TASKS // PAGE)
    assert len(seen) == len(set(seen)) == TASKS
    assert task.id in seen
    due = list_tasks.sync_detailed(
        client=reads, assignee="sam", due_before=DUE + timedelta(days=1), x_min_position=last
    )
    assert due.status_code == 200, due.content
    assert [t.id for t in due.parsed.items] == [task.id]
