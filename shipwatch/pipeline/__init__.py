"""The stages of detection as pure functions of state and a batch of inputs.

Nothing here imports Faust or Kafka: `streams/` binds these stages to topics and tables, and
`shipwatch detect` chains them over files (`pipeline.detector`).
"""
