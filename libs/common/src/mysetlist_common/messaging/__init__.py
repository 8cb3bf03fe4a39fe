"""Kafka messaging: event contracts, topics, broker wiring, outbox and inbox, dead letters and replay."""
