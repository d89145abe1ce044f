"""The ``partnersim`` command line.

Subcommands are registered by the modules that implement them (each has a
``register(subparsers)`` function), so this file only wires them together and
turns bad input into one clear line and exit status 2.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import warnings

from .errors import UsageError, WorkFailed
from .scenario import ScenarioError

__all__ = ["UsageError", "build_parser", "main"]


#: Modules that add subcommands, in the order they appear in ``--help``.
COMMAND_MODULES = (
    "sim.commands",              # run, schema, validate
    "sim.experiments.commands",  # compare, sweep, sensitivity, discover, report
    "sim.experiments.calibrate", # calibrate
    "sim.dashboard_command",     # dashboard
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, no usage dump
        self.exit(2, f"partnersim: error: {message} (see 'partnersim {self.prog.split()[-1]} --help')\n"
                  if " " in self.prog else f"partnersim: error: {message} (see 'partnersim --help')\n")


def build_parser() -> argparse.ArgumentParser:
    """The ``partnersim`` argument parser, with one subcommand per command module."""
    parser = _Parser(prog="partnersim", description="Simulate voluntary-sector partnerships in criminal justice.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"partnersim: warning: {' '.join(str(message).split())}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Run the ``partnersim`` command line; returns the exit status (2 for bad input, with one clear line)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    previous = warnings.showwarning
    warnings.showwarning = _one_line_warning  # a renamed key, a wide interval: one line, no source dump
    try:
        return int(args.handler(args) or 0)
    except ScenarioError as err:
        print(f"partnersim: error: {err}", file=sys.stderr)
        return 2
    except UsageError as err:
        print(f"partnersim: error: {err}", file=sys.stderr)
        return 2
    except WorkFailed as err:
        print(f"partnersim: error: {err}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `partnersim schema | head`: the reader has gone, which is not an error
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return 0
    except KeyboardInterrupt:
        print("partnersim: interrupted", file=sys.stderr)
        return 130
    finally:
        warnings.showwarning = previous


if __name__ == "__main__":
    sys.exit(main())
