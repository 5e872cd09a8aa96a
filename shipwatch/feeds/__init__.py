"""Live feeds: AIS as operators receive it (TCP, UDP, aisstream.io, AISHub) onto the raw topic.

`shipwatch feed SOURCE ...` runs the sources here and hands what they receive to a publisher
(streams.kafka.raw_publisher) through one bounded buffer. Nothing here imports Kafka.
"""
