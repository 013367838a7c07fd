"""The firmware build for a board: sources, flags and linker script. The single source of truth
that both the direct GCC build and the PlatformIO project use."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from tinyq.boards import Board
from tinyq.errors import TinyqError
from tinyq.resources import firmware_dir, templates_dir

# One warning set for every C build, host and target alike: code clean on one is clean on both.
C_WARNINGS = ["-Wall", "-Wextra", "-Werror", "-Wshadow", "-Wvla"]

# Where an emulated run happens for a board that has no emulator of its own.
EMULATION_BOARD = {"nrf52840": "mps2_an386", "nano33ble": "mps2_an386", "mps2_an386": "mps2_an386"}


@dataclass
class BuildSpec:
    board: Board
    sources: list[Path]              # firmware .c files (the model's are added by the caller)
    include_dirs: list[Path]
    cflags: list[str]
    ldflags: list[str]               # the arch flags are repeated here: hard-float must reach the linker
    linker_script: str               # rendered text
    defines: list[str] = field(default_factory=list)


def arch_flags(board: Board) -> list[str]:
    cpu = {"cortex-m0plus": "cortex-m0plus", "cortex-m4": "cortex-m4", "cortex-m7": "cortex-m7"}[board.core]
    flags = [f"-mcpu={cpu}", "-mthumb"]
    if board.fpu != "none":
        flags += [f"-mfpu={board.fpu}", f"-mfloat-abi={board.float_abi}"]
    else:
        flags += ["-mfloat-abi=soft"]
    return flags


def render_linker_script(board: Board) -> str:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates_dir())), undefined=jinja2.StrictUndefined)
    return env.get_template("linker.ld.j2").render(board=board)


def build_spec(board: Board, opt: str = "-O2") -> BuildSpec:
    board_dir = firmware_dir() / "boards" / board.name
    if not (board_dir / "board.c").is_file():
        have = sorted(p.name for p in (firmware_dir() / "boards").iterdir() if (p / "board.c").is_file())
        raise TinyqError(f"no firmware support for board '{board.name}' yet",
                         f"boards with firmware: {', '.join(have)}")
    common = firmware_dir() / "common"
    arch = arch_flags(board)
    defines = ["-DTQ_PROFILE"]
    for key in ("uart_tx", "uart_rx"):
        if key in board.pins:
            defines.append(f"-DTQ_{key.upper()}_PIN={int(board.pins[key])}u")
    cflags = [*arch, "-std=c99", opt, "-g", *C_WARNINGS, "-ffunction-sections",
              "-fdata-sections", "-ffp-contract=off", *defines]
    ldflags = [*arch, "-nostartfiles", "--specs=nano.specs", "--specs=nosys.specs",
               "-Wl,--gc-sections", "-Wl,--print-memory-usage"]
    return BuildSpec(board, sorted(common.glob("*.c")) + [board_dir / "board.c"], [common, board_dir],
                     cflags, ldflags, render_linker_script(board), defines)
