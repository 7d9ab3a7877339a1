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
