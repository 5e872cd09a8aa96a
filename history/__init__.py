"""The vessel history: what the analyst's pages show, kept in a database (pure: no Kafka, no Faust)."""
