"""AIS input: normalized records and the decoders that make them (pure, no Kafka)."""
