"""One module per tick step; each has `run(ctx)` and reads/writes what it shares through ctx.state."""
