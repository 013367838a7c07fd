"""tinyq build DIR: build a generated PlatformIO project offline; report flash and RAM from the ELF."""
from __future__ import annotations

import argparse
import json

from tinyq.targets.platformio import build_project


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("build", help="build a project made by `tinyq generate --board`")
    p.add_argument("project", help="project folder")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    img = build_project(args.project)
    info = {"elf": str(img.elf), "hex": str(img.hex), "bin": str(img.bin), "text": img.text, "data": img.data,
            "bss": img.bss, "flash_bytes": img.flash_bytes, "ram_bytes": img.ram_bytes}
    print(json.dumps(info, indent=2) if args.json else
          f"built {img.elf}: flash {img.flash_bytes:,} B (text {img.text:,} + data {img.data:,}), "
          f"static RAM {img.ram_bytes:,} B (data {img.data:,} + bss {img.bss:,})")
    return 0
