"""The stages bound to Kafka: which topic feeds which pure stage, which table holds its state."""
