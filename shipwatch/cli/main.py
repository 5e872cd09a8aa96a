"""The `shipwatch` console script: one subcommand per module in shipwatch.cli."""

from __future__ import annotations

import argparse
import re
import sys

from pydantic import SecretStr, ValidationError
from pydantic_settings import SettingsError

from shipwatch.cli import (
    alerts,
    broker,
    decode,
    detect,
    feed,
    geofences,
    history,
    ingest,
    replay,
    worker,
)
from shipwatch.errors import ShipwatchError
from shipwatch.settings import Settings

COMMANDS = (broker, worker, ingest, history, feed, replay, alerts, detect, decode, geofences)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="shipwatch", description="Event-streaming ship-tracking monitor on Apache Kafka."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMANDS:
        module.add_parser(sub)
    return parser


def _variable(field: object) -> str:
    return f"SHIPWATCH_{str(field).upper()}"


def settings_problems(exc: ValidationError | SettingsError) -> list[str]:
    """One line per invalid setting, naming its SHIPWATCH_ variable (never a secret's value)."""
    if isinstance(exc, SettingsError):  # a list or tuple setting that is not JSON
        field = re.search(r'field "(\w+)"', str(exc))
        name = _variable(field.group(1)) if field else "settings"
        return [f"{name}: not valid JSON: {exc.__cause__ or exc}"]
    lines = []
    for error in exc.errors(include_url=False):
        loc = error["loc"]
        if not loc:
            lines.append(f"settings: {error['msg']}")
            continue
        secret = getattr(Settings.model_fields.get(str(loc[0])), "annotation", None)
        shown = "" if secret in (SecretStr, SecretStr | None) else f" (got {error['input']!r})"
        where = "".join(f"[{part}]" for part in loc[1:])
        lines.append(f"{_variable(loc[0])}{where}: {error['msg']}{shown}")
    return lines


def _os_error(exc: OSError) -> str:
    if exc.filename is None:
        return str(exc)
    files = " -> ".join(str(f) for f in (exc.filename, exc.filename2) if f is not None)
    return f"{files}: {exc.strerror or exc}"


def main(argv: list[str] | None = None) -> int:
    """Entry point: the command's exit status. A ShipwatchError, invalid settings or an OSError
    is one line on stderr and status 2; Ctrl-C is 130; anything else is a bug and keeps its
    traceback (status 1)."""
    args = build_parser().parse_args(argv)
    error = f"shipwatch {args.command}: error:"
    try:
        return int(args.run(args))
    except ShipwatchError as exc:
        print(f"{error} {exc}", file=sys.stderr)
    except ValidationError as exc:
        if exc.title != Settings.__name__:
            raise  # a record that fails its own model: a bug
        for line in settings_problems(exc):
            print(f"{error} {line}", file=sys.stderr)
    except SettingsError as exc:
        for line in settings_problems(exc):
            print(f"{error} {line}", file=sys.stderr)
    except OSError as exc:
        print(f"{error} {_os_error(exc)}", file=sys.stderr)
    except KeyboardInterrupt:
        return 130
    return 2


if __name__ == "__main__":
    sys.exit(main())
