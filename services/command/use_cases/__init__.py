"""The write side's use cases: load, decide through one aggregate, hand the change on.

A use case never writes: it returns a `Decision` (the changed aggregate and the
`Change` to record), and the command handler records it (handling.py). Every aggregate
a decision relied on goes into `Change.expected`, so a decision made on state that
moved is refused at record time and taken again. Each module is one resource's use
cases, a mixin of the application (application.py).
"""
