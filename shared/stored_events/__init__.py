"""The event store's format: the library's stored JSON read (decoding), upgraded from
older shapes (upcasting)."""
