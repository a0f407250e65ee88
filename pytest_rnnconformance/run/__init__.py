"""Running the implementation: one `Runner` interface, in this process (guarded) or in an isolated
worker, giving back results as plain data and what happened around each call."""
