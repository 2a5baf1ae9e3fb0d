"""This machine's files: atomic writes, the trash, and the stat walk of memory dirs."""
