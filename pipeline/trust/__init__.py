"""Whether a proposal may be merged without a person: its content check and its signatures."""
