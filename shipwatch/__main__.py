"""`python -m shipwatch`: the same as the `shipwatch` console script."""

from shipwatch.cli.main import main

raise SystemExit(main())
