"""The published events: their catalog, their envelope, and how a message is read."""
