"""`taskstream rebuild`: the read model replayed from the event store (run.py)."""
