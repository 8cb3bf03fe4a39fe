"""Service plumbing for the HTTP services: app factory, error contract, guards, client limits, SSE, status."""
