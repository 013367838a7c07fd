"""The firmware build for a board: sources, flags and linker script. The single source of truth
that both the direct GCC build and the PlatformIO project use."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from tinyq.boards import Board, load_board, uart_setting
from tinyq.errors import TinyqError
from tinyq.resources import firmware_dir, templates_dir

# One warning set for every C build, host and target alike: code clean on one is clean on both.
C_WARNINGS = ["-Wall", "-Wextra", "-Werror", "-Wshadow", "-Wvla"]

# Where `--emulate` runs a board that has no emulator of its own: the emulated machine with its
# core (a board's `emulate_on` overrides). The Cortex-M0+ runs on the micro:bit's M0: the same
# ARMv6-M instruction set, and QEMU has no M0+ machine.
EMULATION_BY_CORE = {"cortex-m0": "microbit", "cortex-m0plus": "microbit", "cortex-m3": "mps2_an385",
                     "cortex-m4": "mps2_an386", "cortex-m7": "mps2_an500", "cortex-m33": "mps2_an505",
                     "cortex-m55": "mps3_an547"}
CORES = tuple(EMULATION_BY_CORE)


def emulation_board(target: Board) -> Board:
    """The emulated board an `--emulate` run of `target` uses: itself if emulated, else its
    `emulate_on` board or the machine with its core."""
    if target.emulated:
        return target
    name = target.emulate_on or EMULATION_BY_CORE.get(target.core, "")
    if not name:
        raise TinyqError(f"no emulator for board {target.name} (core {target.core})",
                         "emulated cores: " + ", ".join(CORES))
    return load_board(name)


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
    if board.core not in CORES:
        raise TinyqError(f"board {board.name}: unknown core {board.core!r}", "cores: " + ", ".join(CORES))
    flags = [f"-mcpu={board.core}", "-mthumb"]
    if board.fpu == "auto":     # the core's own FPU (and, on the M55, MVE): -mfpu=auto from -mcpu
        flags += [f"-mfloat-abi={board.float_abi}"]
    elif board.fpu != "none":
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
    defines = ["-DTQ_PROFILE", f"-DTQ_UART_BAUD={board.link_baud}u"]
    if board.uart in ("nrf_uarte", "nrf51_uart", "stm32_usart"):
        # the rate register for the link rate; the CMSDK boards are emulated only and keep the
        # smallest divider (QEMU ignores it)
        defines.append(f"-DTQ_UART_DIV={uart_setting(board, board.link_baud):#x}u")
    for key in ("uart_tx", "uart_rx"):
        if key in board.pins:
            defines.append(f"-DTQ_{key.upper()}_PIN={int(board.pins[key])}u")
    cflags = [*arch, "-std=c99", opt, "-g", *C_WARNINGS, "-ffunction-sections",
              "-fdata-sections", "-ffp-contract=off", *board.cflags, *defines]
    ldflags = [*arch, "-nostartfiles", "--specs=nano.specs", "--specs=nosys.specs",
               "-Wl,--gc-sections", "-Wl,--print-memory-usage"]
    return BuildSpec(board, sorted(common.glob("*.c")) + [board_dir / "board.c"], [common, board_dir],
                     cflags, ldflags, render_linker_script(board), defines)
