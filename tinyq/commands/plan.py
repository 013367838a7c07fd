"""tinyq plan MODEL --board BOARD: exact arena, RAM and flash against the board's budget."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from tinyq.boards import load_board
from tinyq.commands._options import add_flash_args
from tinyq.errors import TinyqError
from tinyq.ops.kernel_config import describe
from tinyq.ops.lower import KERNEL_CHOICES, family_help
from tinyq.plan.budget import budget, require_fit
from tinyq.plan.patch import PATCH_HELP
from tinyq.workflows.compile import compile
from tinyq.workflows.verify import check_output_file


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("plan", help="memory plan of a model and whether it fits a board")
    p.add_argument("model", help="int8 .tflite file")
    p.add_argument("--board", default="nrf52840", help="board name or .toml file (default nrf52840)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--kernels", choices=KERNEL_CHOICES, default="auto", help=family_help())
    p.add_argument("--patch", default="auto", metavar="MODE", help=PATCH_HELP)
    add_flash_args(p)
    p.add_argument("--plot", metavar="FILE.png", help="draw the arena: tensors over (op, offset)")
    p.add_argument("--elf", metavar="FIRMWARE.elf",
                   help="a firmware built with this model: use its real sizes instead of estimates")
    p.set_defaults(func=run)


def _check_elf(path: str) -> Path:
    p = Path(path)
    if not p.is_file():
        raise TinyqError(f"no such ELF file: {path}", "build first: `tinyq build MODEL --board BOARD`")
    try:
        with open(p, "rb") as f:
            magic = f.read(4)
    except OSError as exc:
        raise TinyqError(f"cannot read {path}: {exc.strerror or exc}", "check the path and its permissions") from None
    if magic != b"\x7fELF":
        raise TinyqError(f"{path} is not an ELF file", "pass the firmware.elf that `tinyq build` wrote")
    return p


def run(args: argparse.Namespace) -> int:
    board = load_board(args.board)
    elf = _check_elf(args.elf) if args.elf else None
    if args.plot is not None:
        check_output_file(args.plot, "--plot")
    gen = compile(args.model, board=board, kernels=args.kernels, flash=args.flash, flash_budget=args.flash_budget,
                  patch=args.patch)
    if elf is not None:
        from tinyq.targets.gcc_build import elf_sizes
        try:
            text, data, bss = elf_sizes(elf)
        except TinyqError:
            raise
        except Exception as exc:
            raise TinyqError(f"cannot read the section sizes of {elf}: {exc}",
                             "pass the firmware.elf that `tinyq build` wrote") from None
        b = budget(gen, board, text, data, bss)
    else:
        b = budget(gen, board)
    if args.plot:
        from tinyq.plan.plot import plot_arena
        plot_arena(gen, args.plot)
    if args.json:
        print(json.dumps({**b.to_dict(), "patches": gen.patches.to_dict() if gen.patches else None}, indent=2))
    else:
        print(f"{gen.graph.name} on {board.name}: arena {b.arena_bytes:,} B; RAM {b.ram_bytes:,} / {b.ram_budget:,} B "
              f"(static {b.static_ram_bytes:,} + stack {b.stack_bytes:,} + serial {b.serial_bytes:,}); "
              f"flash {b.flash_bytes:,} / {b.flash_budget:,} B (weights {b.weights_bytes:,} + code "
              f"{'' if b.measured else '~'}{b.code_bytes:,}{', from the ELF' if b.measured else ''}); "
              f"{'fits' if b.fits else 'DOES NOT FIT'}")
        if gen.patches is not None and (gen.patches.stage is not None or args.patch != "auto"):
            print(gen.patches.text(gen.graph))
        if gen.lowered.flash is not None and gen.lowered.flash.layers:
            print("\n".join(gen.lowered.flash.lines()))
        if gen.lowered.kernel_config:
            print("\n".join(describe(gen.lowered.kernel_config)))
    require_fit(b, gen.graph.name)
    return 0
