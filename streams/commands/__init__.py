"""One module per `shipwatch` subcommand."""
