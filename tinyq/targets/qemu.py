"""Run firmware in QEMU (mps2-an386, Cortex-M4F) with exact instruction counting and the UART
on a TCP socket, always under a timeout."""
from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

from tinyq.boards import Board
from tinyq.errors import ToolchainError

QEMU_HINT = "install QEMU: `apt-get install qemu-system-arm`"


def ticks_to_instructions(ticks: int, board: Board) -> int:
    """With -icount shift=S each instruction advances virtual time by 2^S ns; the CMSDK timer
    ticks at the board's clock, so one instruction is 2^S * clock / 1e9 ticks (3.2 at S=7)."""
    shift = int(board.emulator.get("icount_shift", 7))
    ticks_per_instruction = (1 << shift) * board.clock_hz / 1e9
    return round(ticks / ticks_per_instruction)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Qemu:
    """A running emulator; use as a context manager. `port_url` is the UART for pyserial."""

    def __init__(self, elf: Path, board: Board, timeout: float = 300.0):
        self.elf, self.board, self.timeout = Path(elf), board, timeout
        self.proc: subprocess.Popen | None = None
        self.port_url = ""

    def __enter__(self) -> "Qemu":
        exe = shutil.which("qemu-system-arm")
        if not exe:
            raise ToolchainError("qemu-system-arm not found", QEMU_HINT)
        em = self.board.emulator
        port = _free_port()
        cmd = [exe, "-M", em.get("qemu_machine", "mps2-an386"), "-cpu", em.get("qemu_cpu", "cortex-m4"),
               "-nographic", "-monitor", "none", "-kernel", str(self.elf),
               "-icount", f"shift={int(em.get('icount_shift', 7))},align=off,sleep=off",
               "-semihosting-config", "enable=on,target=native",
               "-serial", f"tcp:127.0.0.1:{port},server=on,wait=on,nodelay=on"]
        # `timeout` guarantees the emulator dies even if this process is killed.
        if shutil.which("timeout"):
            cmd = ["timeout", "-s", "KILL", str(int(self.timeout)), *cmd]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:  # wait until QEMU listens
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
                raise ToolchainError(f"QEMU exited at start (code {self.proc.returncode}): {err[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    pass
                break
            except OSError:
                time.sleep(0.05)
        else:
            self.close()
            raise ToolchainError("QEMU did not open its serial port within 20 s")
        self.port_url = f"socket://127.0.0.1:{port}"
        return self

    def close(self) -> int | None:
        if self.proc and self.proc.poll() is None:
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode if self.proc else None

    def __exit__(self, *exc) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
