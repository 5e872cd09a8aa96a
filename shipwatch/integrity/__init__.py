"""Integrity: identities and positions that lie (identity conflicts, invalid and zombie
identities, identity swaps, position tampering). Pure: no Faust, no Kafka."""
