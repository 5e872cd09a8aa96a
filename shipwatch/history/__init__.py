"""A vessel's history for the analyst's pages, kept in a database (pure: no Kafka, no Faust)."""
