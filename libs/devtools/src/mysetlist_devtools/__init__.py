"""Developer tools and test helpers: never shipped, never imported by a service (a root dev dependency)."""
