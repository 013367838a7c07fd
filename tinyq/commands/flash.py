"""tinyq flash DIR: program a built project onto the board."""
from __future__ import annotations

import argparse
from pathlib import Path

from tinyq.boards import load_board
from tinyq.errors import TinyqError
from tinyq.targets.flash import flash


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("flash", help="flash a built project (fails fast without a probe)")
    p.add_argument("project", help="project folder (built with `tinyq build`)")
    p.add_argument("--flasher", choices=["pyocd", "openocd", "jlink", "nrfjprog"])
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    project = Path(args.project)
    board_file = project / ".tinyq_board"
    hexfile = project / ".pio" / "build" / "tinyq" / "firmware.hex"
    if not board_file.is_file():
        raise TinyqError(f"{project} is not a tinyq project", "make one with `tinyq generate MODEL --board BOARD -o DIR`")
    if not hexfile.is_file():
        raise TinyqError(f"{project} is not built yet (no {hexfile})", f"run `tinyq build {project}` first")
    print(flash(hexfile, load_board(board_file.read_text().strip()), args.flasher))
    return 0
