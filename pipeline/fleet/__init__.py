"""Fleet-wide operations: proposals, the authority lease, trusted auto-merge, sweeping, layout migration."""
