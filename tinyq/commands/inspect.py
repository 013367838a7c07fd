"""tinyq inspect MODEL: ops, tensors, quantization, parameter bytes, MACs, unsupported ops."""
from __future__ import annotations

import argparse
import json

from tinyq.commands._options import add_flash_args
from tinyq.workflows.inspect import format_report, inspect_model


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("inspect", help="list a model's ops, tensors, quantization, MACs and unsupported ops")
    p.add_argument("model", help=".tflite file")
    p.add_argument("--json", action="store_true", help="print everything as JSON")
    p.add_argument("--no-passes", action="store_true", help="show the graph as in the file, before tinyq's passes")
    p.add_argument("--board", help="board name or .toml file whose flash the flash policy fits (default: none)")
    add_flash_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    info = inspect_model(args.model, passes=not args.no_passes, board=args.board, flash=args.flash,
                         flash_budget=args.flash_budget)
    print(json.dumps(info, indent=2, allow_nan=False) if args.json else format_report(info))
    return 0
