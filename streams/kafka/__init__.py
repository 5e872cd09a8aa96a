"""Kafka plumbing: client settings, topics, partitioning, bulk producing, reading and replaying."""
