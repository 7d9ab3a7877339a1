"""The read model's tracked position: the row the projector commits with its rows and
the query service reads to know how far the read model has got."""

from __future__ import annotations

TRACKING_NAME = "read_model"
