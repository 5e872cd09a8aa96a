"""At sea: ship-to-ship encounters, loitering and satellite sightings (pure, no Kafka)."""
