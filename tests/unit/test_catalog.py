"""The published catalog, the domain's event classes and the JSON Schemas agree."""

from __future__ import annotations

from services.command.domain.base import TenantAggregate


def test_every_domain_event_class_is_in_the_published_catalog() -> None:
    from services.command.domain import project, tag, task
    from shared.event_schemas import schema
    from shared.events.catalog import EVENT_AGGREGATES

    classes = {
        name
        for module in (project, tag, task)
        for aggregate in vars(module).values()
        if isinstance(aggregate, type)
        and issubclass(aggregate, TenantAggregate)
        and aggregate is not TenantAggregate
        for name, value in vars(aggregate).items()
        if isinstance(value, type)
        and issubclass(value, TenantAggregate.Event)
        and name not in ("Event", "Created")
    }
    assert classes == set(EVENT_AGGREGATES)
    assert all(schema(name)["title"] == f"{name} data" for name in classes)


def test_every_domain_event_class_takes_its_version_from_the_upcaster_registry() -> None:
    """The library's mapper upcasts on aggregate load by the class's `class_version` and
    `upcast_vN_vN+1`; the decoders by the registry: both must say the same."""
    from services.command.domain import project, tag, task
    from shared.events.catalog import EVENT_AGGREGATES
    from shared.stored_events.upcasting import UPCASTERS

    aggregates = {"project": project.Project, "task": task.Task, "tag": tag.Tag}
    for name, aggregate in EVENT_AGGREGATES.items():
        cls = getattr(aggregates[aggregate], name)
        assert cls.class_version == UPCASTERS.version(name)
        steps = [n for n in dir(cls) if n.startswith("upcast_v")]
        assert len(steps) == UPCASTERS.version(name) - 1
