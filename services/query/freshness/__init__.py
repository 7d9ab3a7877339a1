"""How fresh a read is, decided once per request on its way in.

`watcher` follows the projector's notices (how far the read model got, and whose
reads changed); `gate` authenticates each read and waits for its X-Min-Position;
`answer_cache` serves a read the gate let through from memory when a notice has not
touched it since (FastPath.ANSWER_CACHE), keeping its answers in `answers`; then the
routes answer whatever is left. `position_header` puts the read model's position on
every answer.
"""
