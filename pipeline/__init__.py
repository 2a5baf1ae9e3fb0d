"""Memory Mirror: sync Claude Code auto-memory across machines through git."""
