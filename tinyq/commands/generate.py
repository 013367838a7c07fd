"""tinyq generate MODEL -o DIR: the C sources for a model (model.h, model.c, kernels), or a
library in a build system's layout (--format cmake|make|zephyr|arduino) or a PlatformIO project."""
from __future__ import annotations

import argparse

from tinyq.boards import load_board
from tinyq.commands._options import add_flash_args
from tinyq.ops.lower import KERNEL_CHOICES, family_help
from tinyq.plan.patch import PATCH_HELP
from tinyq.targets.exports import FORMATS
from tinyq.workflows.compile import compile
from tinyq.workflows.verify import check_output_dir

HOW = {
    "sources": "add the .c files to your build and include model.h",
    "platformio": "build it offline with `tinyq build {out}` (or `pio run` inside it)",
    "cmake": "cmake -S {out} -B build && cmake --build build (Arm: add "
             "-DCMAKE_TOOLCHAIN_FILE={out}/cmake/arm-none-eabi.cmake); in a project: add_subdirectory "
             "and link tinyq::model",
    "make": "make -C {out} (Arm: make -C {out} TARGET=arm)",
    "zephyr": "add {out} to ZEPHYR_EXTRA_MODULES (or your west manifest) and set CONFIG_TINYQ_MODEL=y; "
              "example: west build -b <board> {out}/samples/tinyq_example",
    "arduino": "copy {out} into your Arduino libraries folder (or zip it and use Sketch > Include Library "
               "> Add .ZIP Library); example under {out}/examples",
}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("generate", help="compile a .tflite model to C sources, a library or a firmware project")
    p.add_argument("model", help="int8 .tflite file")
    p.add_argument("-o", "--out", required=True, help="output folder")
    p.add_argument("--board", help="the target board (kernel family, Arm flags); alone it writes a PlatformIO project")
    p.add_argument("--format", choices=FORMATS, default=None,
                   help="what to write: sources (model.h, model.c, kernels; the default without --board), "
                        "platformio (the default with --board), cmake, make, zephyr or arduino (a library "
                        "with one header, model.h, and an example program)")
    p.add_argument("--kernels", choices=KERNEL_CHOICES, default="auto", help=family_help())
    p.add_argument("--patch", default="auto", metavar="MODE", help=PATCH_HELP)
    add_flash_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tinyq.errors import TinyqError
    from tinyq.targets.exports import write_export

    board = load_board(args.board) if args.board else None   # an unknown board fails before compiling
    fmt = args.format or ("platformio" if board else "sources")
    if fmt == "platformio" and board is None:
        raise TinyqError("--format platformio needs --board", "e.g. --board nrf52840")
    check_output_dir(args.out, "-o")                            # so does an output folder it cannot create
    gen = compile(args.model, board=board, kernels=args.kernels, flash=args.flash,
                  flash_budget=args.flash_budget, patch=args.patch)   # refuses unsupported ops before writing
    summary = (f"{len(gen.graph.ops)} layers, {gen.macs:,} MACs, arena {gen.arena_bytes:,} B, "
               f"constants {gen.const_bytes:,} B, {gen.kernels} kernels")
    out = write_export(gen, fmt, args.out, board)
    what = {"sources": "the C sources", "platformio": f"a {args.board} PlatformIO project", "cmake": "a CMake library",
            "make": "a Make library", "zephyr": "a Zephyr module", "arduino": "an Arduino library"}[fmt]
    print(f"wrote {what} to {out} ({summary})\n  {HOW[fmt].format(out=out)}")
    if gen.lowered.flash is not None and gen.lowered.flash.layers:
        print("\n".join(gen.lowered.flash.lines()))
    return 0
