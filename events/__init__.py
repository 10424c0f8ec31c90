"""Event contracts: what travels on Kafka, as pydantic models. No I/O, no Temporal, no SQL."""
