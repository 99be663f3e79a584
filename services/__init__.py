"""Use cases: each reads one snapshot of the store, calls the pure domain, and writes in one
transaction."""
