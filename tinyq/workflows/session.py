"""One device session for bench and deploy: a `Link` to the benchmark firmware, running either in
QEMU (an ELF on an emulated board) or on a board behind a serial port."""
from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from tinyq.boards import Board
from tinyq.errors import TinyqError
from tinyq.targets.protocol import Link, ProtocolError, connect, open_port
from tinyq.targets.qemu import Qemu

LINK_TIMEOUT = 120.0   # seconds for one answer: the slowest emulated inference stays well below
# The first request of an emulated session is retried after this long: QEMU's STM32 USART drops
# what arrives before the firmware has enabled it (the CMSDK and nRF51 UARTs hold it back), so
# the bytes of a request sent right after connecting can be lost; the retry goes through.
HELLO_TIMEOUT = 2.0


@contextmanager
def device_session(board: Board, *, elf: Path | None = None, port: str | None = None,
                   baud: int | None = None, timeout: float = LINK_TIMEOUT,
                   emulator_timeout: float = 600.0) -> Iterator[Link]:
    """Yields a Link; ends the session cleanly (the firmware's quit, the emulator stopped)."""
    if (elf is None) == (port is None):
        raise TinyqError("a device session needs either an ELF to emulate or a serial port")
    if elf is not None:
        with Qemu(elf, board, timeout=emulator_timeout) as q:
            ser = open_port(q.port_url, board.link_baud)   # (QEMU's socket ignores the rate)
            try:
                link = Link(ser, timeout=min(timeout, emulator_timeout))
                link.files_dir = q.workdir     # where the firmware's semihosting reads files ('F')
                try:
                    link.request(b"H", timeout=HELLO_TIMEOUT)
                    yield link
                    link.quit()
                except ProtocolError as exc:
                    raise ProtocolError(f"{exc.message}; {q.diagnose()}",
                                        "rebuild the firmware; if it persists this is a tinyq bug") from None
            finally:
                ser.close()
            q.wait(10)
        return
    link = connect(str(port), link_rates(board, baud), timeout=timeout, warn=warn_user)
    try:
        yield link
    finally:
        link.port.close()


def link_rates(board: Board, baud: int | None = None) -> list[int]:
    """The rates to try on a board's serial port: `baud` if given, else the board's link rate
    (max_baud, what tinyq's firmware runs at) and then its base rate (older firmware)."""
    if baud is not None:
        if not isinstance(baud, int) or isinstance(baud, bool) or not 1200 <= baud <= 20_000_000:
            raise TinyqError(f"the baud rate must be an integer from 1200 to 20,000,000, not {baud!r}")
        return [baud]
    return list(dict.fromkeys([board.link_baud, board.baud]))


def warn_user(msg: str) -> None:
    print(f"tinyq: {msg}", file=sys.stderr)
