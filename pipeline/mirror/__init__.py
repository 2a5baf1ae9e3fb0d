"""The mirror repository and origin: the run's context, the state files, the base, the lease."""
