"""The projector: JetStream's copy of the event store applied to the read tables.

What happens to one event, in the order it happens (a task is tagged, say):
consumer.py pulls a batch (intake/pull_feed.py), store.py opens its transaction and has
it screened against the event store (intake/admission.py, intake/screening.py), folds the
admitted events by their rules (projection/fold.py: rules.py names the rule of each event
type, here projection/tasks.py `task_tagged`), writes the result (projection/writing.py),
recounts (projection/counts.py) and marks changed views stale (projection/affected.py),
then commits the rows with the tracked position (tracking.py). A rebuild (rebuild/) folds
the event store's events by the same rules.
"""
