"""Claude Code's projects on this machine: which project each ~/.claude/projects/ dir is."""
