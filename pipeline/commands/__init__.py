"""One module per `memory-sync <verb>`: `def <verb>(args) -> int`."""
