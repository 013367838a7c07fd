"""tinyq build DIR: build a generated PlatformIO project offline; report flash and RAM from the ELF."""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from tinyq.boards import load_board
from tinyq.targets.platformio import build_project


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("build", help="build a project made by `tinyq generate --board` (offline `pio run`)")
    p.add_argument("project", help="project folder")
    p.add_argument("--timeout", type=float, default=600, help="seconds before giving up on `pio run` (default 600)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    t0 = time.monotonic()
    img = build_project(args.project, timeout=args.timeout)
    seconds = time.monotonic() - t0
    board_file = Path(args.project) / ".tinyq_board"
    board = load_board(board_file.read_text().strip()) if board_file.is_file() else None
    info = {"elf": str(img.elf), "hex": str(img.hex), "bin": str(img.bin), "text": img.text, "data": img.data,
            "bss": img.bss, "flash_bytes": img.flash_bytes, "ram_bytes": img.ram_bytes,
            "seconds": round(seconds, 2)}
    if board:
        info.update(board=board.name, flash_budget=board.flash_budget, ram_budget=board.ram_budget)
    if board and board.name == "nrf52840":
        info["renode"] = [str(p) for p in _renode_files(Path(args.project), img.elf)]
    if args.json:
        print(json.dumps(info, indent=2))
        return 0

    def pct(used: int, budget: int | None) -> str:
        return f" ({100 * used / budget:.1f}% of {budget:,})" if budget else ""

    print(f"built {img.elf} in {seconds:.1f} s\n"
          f"  flash {img.flash_bytes:,} B{pct(img.flash_bytes, board and board.flash_budget)}: "
          f"text {img.text:,} + data {img.data:,}\n"
          f"  static RAM {img.ram_bytes:,} B{pct(img.ram_bytes, board and board.ram_budget)}: "
          f"data {img.data:,} + bss {img.bss:,} (the arena is in .bss; the stack is reserved above it)")
    if info.get("renode"):
        print(f"  Renode: {info['renode'][0]} (run the firmware), {info['renode'][1]} (renode-test)")
    return 0


def _renode_files(project: Path, elf: Path) -> tuple[Path, Path]:
    """The Renode script and Robot test for the built nRF52840 firmware, next to the project."""
    from tinyq.targets.renode import write_renode_files

    model_h = (project / "src" / "model.h").read_text()
    name = model_h.split('#define TQ_MODEL_NAME "', 1)[1].split('"', 1)[0]
    layers = int(model_h.split("#define TQ_MODEL_NUM_LAYERS ", 1)[1].split()[0])
    return write_renode_files(project, elf, name, layers)
