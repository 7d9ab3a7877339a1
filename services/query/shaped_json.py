"""A resource's JSON as PostgreSQL builds it, from the model that documents it.

The SQL of a read is a `json_build_object` over the model's fields, in their order: a
field is the column of the same name, a timestamp is spelled as on every other surface
(shared/timestamps.py), and a field that is no column (a task's tags, a project's tasks)
names its expression. So the answer and its model are one definition: a field added to
a shape is in the SQL, and one that no column or expression provides fails the statement
instead of going missing from the answer.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from shared.timestamps import sql_rfc3339


def json_object(shape: type[BaseModel], alias: str, **expressions: str) -> str:
    """`json_build_object` of `shape` over the row `alias`; `expressions` give the fields
    that are not columns of it."""
    unknown = set(expressions) - set(shape.model_fields)
    if unknown:
        raise ValueError(f"{shape.__name__} has no fields {sorted(unknown)}")
    pairs = []
    for name, field in shape.model_fields.items():
        column = f"{alias}.{name}"
        if name in expressions:
            value = expressions[name]
        elif field.annotation is datetime:
            value = sql_rfc3339(column)
        else:
            value = column
        pairs.append(f"'{name}', {value}")
    return f"json_build_object({', '.join(pairs)})"
