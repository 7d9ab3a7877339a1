"""Which command a tenant sends next: every kind the API has, weighted, naming only
objects its earlier answers made exist (and not yet deleted), and what each success
teaches about the tenant's objects."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import httpx

from tests.workload import AWKWARD

MAX_TAGS = 8  # per task, well under the domain's limit, so tagging is never refused


@dataclass
class TenantModel:
    id: UUID
    token: str
    projects: dict[str, set[str]] = field(default_factory=dict)
    task_project: dict[str, str] = field(default_factory=dict)
    task_tags: dict[str, set[str]] = field(default_factory=dict)
    tags: set[str] = field(default_factory=set)

    def drop_project(self, project: str) -> None:
        for task in self.projects.pop(project, set()):
            self.drop_task(task)

    def drop_task(self, task: str) -> None:
        project = self.task_project.pop(task, None)
        if project in self.projects:
            self.projects[project].discard(task)
        self.task_tags.pop(task, None)

    def drop_tag(self, tag: str) -> None:
        self.tags.discard(tag)
        for tags in self.task_tags.values():
            tags.discard(tag)


Request = tuple[str, str, str, dict[str, Any] | None, Callable[[httpx.Response], None]]
"""kind, method, path, JSON body, what to learn from a successful answer."""


class CommandMix:
    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._names = itertools.count()
        self._choices: list[tuple[Callable[[TenantModel], Request | None], int]] = [
            (self._create_project, 8),
            (self._create_task, 25),
            (self._create_tag, 6),
            (self._tag, 18),
            (self._untag, 6),
            (self._patch_project, 8),
            (self._patch_task, 14),
            (self._patch_tag, 4),
            (self._delete_task, 6),
            (self._delete_tag, 2),
            (self._delete_project, 3),
        ]

    def next(self, tenant: TenantModel) -> Request:
        makers = [make for make, _ in self._choices]
        weights = [weight for _, weight in self._choices]
        while True:
            make = self._rng.choices(makers, weights=weights)[0]
            if (request := make(tenant)) is not None:
                return request

    def _name(self, what: str) -> str:
        return f"{what} {next(self._names)}"

    def _create_project(self, t: TenantModel) -> Request:
        def learn(r: httpx.Response) -> None:
            t.projects[r.json()["id"]] = set()

        body = {"name": self._name("project"), "description": AWKWARD}
        return "create project", "POST", "/projects", body, learn

    def _create_task(self, t: TenantModel) -> Request | None:
        if not t.projects:
            return None
        project = self._rng.choice(list(t.projects))
        tags = self._rng.sample(list(t.tags), min(2, len(t.tags)))

        def learn(r: httpx.Response) -> None:
            task = r.json()["id"]
            if project not in t.projects:
                return  # created just before its project was deleted, and gone with it
            t.projects[project].add(task)
            t.task_project[task] = project
            t.task_tags[task] = set(tags)

        body = {"title": self._name("task"), "tag_ids": tags, "status": "pending"}
        return "create task", "POST", f"/projects/{project}/tasks", body, learn

    def _create_tag(self, t: TenantModel) -> Request:
        def learn(r: httpx.Response) -> None:
            t.tags.add(r.json()["id"])

        return "create tag", "POST", "/tags", {"name": self._name("tag"), "color": None}, learn

    def _tag(self, t: TenantModel) -> Request | None:
        tasks = [task for task, tags in t.task_tags.items() if len(tags) < MAX_TAGS]
        if not tasks or not t.tags:
            return None
        task, tag = self._rng.choice(tasks), self._rng.choice(list(t.tags))

        def learn(_: httpx.Response) -> None:
            if task in t.task_tags and tag in t.tags:
                t.task_tags[task].add(tag)

        return "tag task", "PUT", f"/tasks/{task}/tags/{tag}", None, learn

    def _untag(self, t: TenantModel) -> Request | None:
        tagged = [task for task, tags in t.task_tags.items() if tags]
        if not tagged:
            return None
        task = self._rng.choice(tagged)
        tag = self._rng.choice(list(t.task_tags[task]))
        t.task_tags[task].discard(tag)
        return "untag task", "DELETE", f"/tasks/{task}/tags/{tag}", None, _ignore

    def _patch_project(self, t: TenantModel) -> Request | None:
        if not t.projects:
            return None
        project = self._rng.choice(list(t.projects))
        body = {"name": self._name("renamed"), "description": self._name("described")}
        return "patch project", "PATCH", f"/projects/{project}", body, _ignore

    def _patch_task(self, t: TenantModel) -> Request | None:
        if not t.task_project:
            return None
        task = self._rng.choice(list(t.task_project))
        body: dict[str, Any] = {"title": self._name("retitled"), "status": "in_progress"}
        target = self._rng.choice(list(t.projects))
        if self._rng.random() < 0.3:
            body = {"project_id": target, "status": "done"}

        def learn(_: httpx.Response) -> None:
            if "project_id" not in body or task not in t.task_project:
                return
            t.projects.get(t.task_project[task], set()).discard(task)
            if target in t.projects:
                t.projects[target].add(task)
                t.task_project[task] = target
            else:
                t.drop_task(task)  # moved into a project being deleted

        return "patch task", "PATCH", f"/tasks/{task}", body, learn

    def _patch_tag(self, t: TenantModel) -> Request | None:
        if not t.tags:
            return None
        tag = self._rng.choice(list(t.tags))
        body = {"name": self._name("retagged"), "color": "#00aa00"}
        return "patch tag", "PATCH", f"/tags/{tag}", body, _ignore

    def _delete_task(self, t: TenantModel) -> Request | None:
        if not t.task_project:
            return None
        task = self._rng.choice(list(t.task_project))
        t.drop_task(task)
        return "delete task", "DELETE", f"/tasks/{task}", None, _ignore

    def _delete_tag(self, t: TenantModel) -> Request | None:
        if len(t.tags) < 3:
            return None
        tag = self._rng.choice(list(t.tags))
        t.drop_tag(tag)
        return "delete tag", "DELETE", f"/tags/{tag}", None, _ignore

    def _delete_project(self, t: TenantModel) -> Request | None:
        if len(t.projects) < 3:
            return None
        project = self._rng.choice(list(t.projects))
        t.drop_project(project)
        return "delete project", "DELETE", f"/projects/{project}", None, _ignore


def _ignore(_: httpx.Response) -> None:
    return None
