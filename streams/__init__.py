"""Kafka and Faust wiring: the app, its topics and tables, the agents binding the stages."""
