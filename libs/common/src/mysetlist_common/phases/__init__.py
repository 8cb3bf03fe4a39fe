"""The phase runtime both ingest services share: durable phase jobs, progress reporting, artist identity."""
