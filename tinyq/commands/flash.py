"""tinyq flash DIR: program a built project onto the board."""
from __future__ import annotations

import argparse
from pathlib import Path

from tinyq.targets.flash import FLASHERS, flash


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("flash", help="flash a built project (fails fast without a probe)")
    p.add_argument("project", help="project folder (built with `tinyq build`) or a .hex file")
    p.add_argument("--board", help="the board, for a .hex file outside a tinyq project")
    p.add_argument("--flasher", choices=list(FLASHERS), help="default: the board's, else whichever is installed")
    p.add_argument("--timeout", type=float, default=120, help="seconds before giving up (default 120)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    print(flash(Path(args.project), args.board, flasher=args.flasher, timeout=args.timeout))
    return 0
