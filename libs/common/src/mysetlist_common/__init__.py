"""Upstream API clients, Kafka messaging, database, web plumbing and the phase runtime the services share."""
