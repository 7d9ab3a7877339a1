"""Recording what a command decided: its change, the checks that make it safe to record
(changes.py, batch.py), the SQL and in-memory forms of those checks, the two ways of
writing it (group_commit.py, or the library's own save in library_saves.py), the event
store's recorder and Idempotency-Key answers."""
