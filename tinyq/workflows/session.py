"""One device session for bench and deploy: a `Link` to the benchmark firmware, running either in
QEMU (an ELF on an emulated board) or on a board behind a serial port."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from tinyq.boards import Board
from tinyq.errors import TinyqError
from tinyq.targets.protocol import Link, ProtocolError, open_port
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
            ser = open_port(q.port_url, board.baud)
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
    ser = open_port(str(port), baud or board.baud)
    try:
        yield Link(ser, timeout=timeout)
    finally:
        ser.close()
