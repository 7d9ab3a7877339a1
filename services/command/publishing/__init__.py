"""The outbox: the event store's log published to JetStream, in order, by one relay."""
