"""tinyq: TensorFlow/Keras models to measured microcontroller deployments.

Each subcommand is a module in tinyq/commands/ with `register(subparsers)` that adds its parser
and sets `func` to a function taking the parsed args."""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from tinyq import __version__
from tinyq.errors import TinyqError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tinyq", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--version", action="version", version=f"tinyq {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    import tinyq.commands as pkg
    for mod in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if not mod.name.startswith("_"):
            importlib.import_module(f"tinyq.commands.{mod.name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except TinyqError as exc:
        print(f"tinyq {args.command}: error: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"  hint: {exc.hint}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:  # e.g. `tinyq inspect m.tflite | head`
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
