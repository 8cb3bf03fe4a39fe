"""Shared code of the MySetlist Import services: settings, events, schema, Kafka, upstream clients."""
