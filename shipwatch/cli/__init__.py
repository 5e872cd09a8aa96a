"""The `shipwatch` command line: `main` dispatches to one module per subcommand."""
