"""The doit layer: task creators from roles.yaml, the step runner, the reporter, the tick lock."""
