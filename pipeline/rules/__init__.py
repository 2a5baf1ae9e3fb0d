"""Pure decisions: what may sync, how a file merges, how a tree is composed. No I/O."""
