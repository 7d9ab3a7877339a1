"""What arrives from the stream and whether it is the event store's: the pull feed, the
store's events each batch is checked against (admission), and the dead letters."""
