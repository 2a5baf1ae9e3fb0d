"""The long-running processes: the sync daemon and the built-in pusher."""
