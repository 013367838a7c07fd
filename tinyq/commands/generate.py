"""tinyq generate MODEL -o DIR: the C sources for a model (model.h, model.c, kernels)."""
from __future__ import annotations

import argparse

from tinyq.boards import load_board
from tinyq.ops.lower import KERNEL_CHOICES, family_help
from tinyq.workflows.compile import compile
from tinyq.workflows.verify import check_output_dir


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("generate", help="compile a .tflite model to C sources")
    p.add_argument("model", help="int8 .tflite file")
    p.add_argument("-o", "--out", required=True, help="output folder")
    p.add_argument("--board", help="also write a complete firmware project for this board")
    p.add_argument("--kernels", choices=KERNEL_CHOICES, default="auto", help=family_help())
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    board = load_board(args.board) if args.board else None   # an unknown board fails before compiling
    check_output_dir(args.out, "-o")                            # so does an output folder it cannot create
    gen = compile(args.model, board=board, kernels=args.kernels)   # refuses unsupported ops before writing
    summary = (f"{len(gen.graph.ops)} layers, {gen.macs:,} MACs, arena {gen.arena_bytes:,} B, "
               f"constants {gen.const_bytes:,} B")
    if args.board:
        from tinyq.targets.platformio import write_project
        out = write_project(gen, args.board, args.out)
        print(f"wrote a {args.board} PlatformIO project to {out} ({summary})\n"
              f"  build it offline with `tinyq build {out}` (or `pio run` inside it)")
    else:
        files = gen.write(args.out)
        print(f"wrote {len(files)} files to {args.out}: {summary}")
    return 0
