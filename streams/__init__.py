"""Kafka and Faust wiring of shipwatch: settings, topics, tables, agents and the CLI."""
