"""Board descriptions: one TOML file per board under boards/. Adding a board is adding a file."""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tinyq.errors import TinyqError
from tinyq.resources import boards_dir

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@dataclass
class Board:
    name: str
    description: str
    core: str                 # cortex-m0 | cortex-m0plus | cortex-m3 | cortex-m4 | cortex-m7 | cortex-m33 | cortex-m55
    fpu: str                  # none | fpv4-sp-d16 | fpv5-d16 | fpv5-sp-d16 | auto (the core's own: M55)
    float_abi: str            # soft | hard
    clock_hz: int
    dsp: bool                 # has the DSP extension (SMLAD etc.)
    flash_origin: int
    flash_size: int
    flash_reserved: int       # bootloader / SoftDevice bytes not available to the app
    ram_origin: int
    ram_size: int
    ram_reserved: int         # RAM not available to the app (SoftDevice, bootloader)
    stack_bytes: int          # stack reserved for the application
    serial_bytes: int         # serial buffers of the benchmark firmware
    baud: int                 # the rate the board's serial line starts at (firmware before max_baud)
    uart: str                 # driver: nrf_uarte | cmsdk_uart | stm32_usart | rp2040_uart
    cycle_counter: str        # dwt | cmsdk_timer | systick
    flasher: str              # default flasher: pyocd | openocd | jlink | nrfjprog | uf2 | bossac | qemu
    flasher_target: str       # the target name the flasher knows (pyOCD target, OpenOCD cfg)
    emulator: dict[str, Any] = field(default_factory=dict)   # e.g. {"qemu_machine": "mps2-an386"}
    pins: dict[str, Any] = field(default_factory=dict)       # board-specific pins (UART TX/RX)
    mve: bool = False         # has the M-profile Vector Extension (Helium: Cortex-M55)
    emulate_on: str = ""      # the emulation board `--emulate` runs on; "": the one for its core
    cflags: list[str] = field(default_factory=list)          # extra C flags this board's builds need
    path: Path | None = None
    # The fastest rate of the board's serial link (its UART and the probe's USB bridge, e.g. the
    # J-Link VCOM): the firmware runs its UART at it and the host opens the port at it.
    max_baud: int = 0
    uart_clock_hz: int = 0    # the UART's own clock, when it is not clock_hz (an STM32 on HSI)

    @property
    def link_baud(self) -> int:
        """The rate the benchmark firmware and the host use: max_baud (or baud without one)."""
        return self.max_baud or self.baud

    @property
    def ram_budget(self) -> int:
        """RAM the model and runtime may use: all RAM less what is reserved (stack excluded)."""
        return self.ram_size - self.ram_reserved

    @property
    def flash_budget(self) -> int:
        return self.flash_size - self.flash_reserved

    @property
    def app_flash_origin(self) -> int:
        return self.flash_origin + self.flash_reserved

    @property
    def emulated(self) -> bool:
        return bool(self.emulator)


def list_boards() -> list[str]:
    return sorted(p.stem for p in boards_dir().glob("*.toml"))


def load_board(name: str) -> Board:
    """Load a board by name (boards/NAME.toml) or by the path of a TOML file."""
    path = Path(name)
    if not (path.suffix == ".toml" and path.is_file()):
        path = boards_dir() / f"{name}.toml"
    if not path.is_file():
        raise TinyqError(f"unknown board '{name}'",
                         "known boards: " + ", ".join(list_boards()) + " (or pass a board .toml file)")
    try:
        d = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise TinyqError(f"board file {path} is not valid TOML: {exc}") from None
    try:
        fl, ram, ser, flasher = d["flash"], d["ram"], d.get("serial", {}), d.get("flasher", {})
        board = Board(
            name=d.get("name", path.stem), description=d.get("description", ""),
            core=d["core"], fpu=d.get("fpu", "none"), float_abi=d.get("float_abi", "soft"),
            clock_hz=int(d["clock_hz"]), dsp=bool(d.get("dsp", False)),
            flash_origin=int(fl["origin"]), flash_size=int(fl["size"]), flash_reserved=int(fl.get("reserved", 0)),
            ram_origin=int(ram["origin"]), ram_size=int(ram["size"]), ram_reserved=int(ram.get("reserved", 0)),
            stack_bytes=int(ram.get("stack", 8192)), serial_bytes=int(ram.get("serial_buffers", 2048)),
            baud=int(ser.get("baud", 115200)), uart=ser.get("driver", "none"),
            cycle_counter=d.get("cycle_counter", "dwt"),
            flasher=flasher.get("default", "pyocd"), flasher_target=flasher.get("target", ""),
            emulator=d.get("emulator", {}), pins=d.get("pins", {}), mve=bool(d.get("mve", False)),
            emulate_on=str(d.get("emulate_on", "")), cflags=[str(f) for f in d.get("cflags", [])], path=path,
            max_baud=int(ser.get("max_baud", 0)), uart_clock_hz=int(ser.get("uart_clock_hz", 0)),
        )
    except KeyError as exc:
        raise TinyqError(f"board file {path} lacks the key {exc}") from None
    except (TypeError, ValueError) as exc:
        raise TinyqError(f"board file {path} has a value of the wrong type: {exc}") from None
    uart_setting(board, board.link_baud)    # a rate the board's UART cannot make fails here, clearly
    return board


# The UART drivers' rate registers (firmware/boards/*/board.c take the value as TQ_UART_DIV):
# nRF UART/UARTE BAUDRATE = rate * 2^32 / 16 MHz rounded, the low 12 bits cleared (Nordic's table
# values come from this formula, 115200 -> 0x01D7E000), up to 1 Mbaud; the STM32 USART's BRR
# (16x oversampling) and the CMSDK UART's BAUDDIV are the UART clock / rate, at least 16.
MAX_RATE_ERROR = 0.02     # a UART link tolerates ~2-3% between the two ends
UART_DRIVERS = ("nrf_uarte", "nrf51_uart", "stm32_usart", "cmsdk_uart")


def uart_setting(board: Board, rate: int) -> int:
    """The value of the board's UART rate register for `rate` baud, or a TinyqError saying why
    the UART cannot make it (too fast, or too far from the rate)."""
    where = f"board {board.name}: [serial] max_baud = {rate}"
    if rate < 1200 or (board.max_baud and board.max_baud < board.baud):
        raise TinyqError(f"{where} is below 1200 or below baud = {board.baud}",
                         "max_baud is the fastest rate of the link; leave it out to use baud")
    if board.uart in ("nrf_uarte", "nrf51_uart"):
        if rate > 1_000_000:
            raise TinyqError(f"{where}: the nRF UART runs at most 1,000,000 baud", "set max_baud <= 1000000")
        reg = ((rate << 32) // 16_000_000 + 0x800) & 0xFFFFF000
        actual = reg * 16_000_000 / 2**32
    elif board.uart in ("stm32_usart", "cmsdk_uart"):
        clock = board.uart_clock_hz or board.clock_hz
        reg = (clock + rate // 2) // rate
        if reg < 16:
            raise TinyqError(f"{where}: the UART clock of {clock:,} Hz makes at most {clock // 16:,} baud",
                             f"set max_baud <= {clock // 16}")
        actual = clock / reg
    else:
        return 0     # no UART the firmware drives (or an unknown one): nothing to set
    if abs(actual - rate) > MAX_RATE_ERROR * rate:
        raise TinyqError(f"{where}: the UART makes {actual:,.0f} baud, {abs(actual - rate) / rate:.1%} off",
                         "pick a rate the UART clock divides (within 2%)")
    return reg
