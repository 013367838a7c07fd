"""Run firmware in QEMU (the board's `[emulator]` machine) with exact instruction counting and the UART
on a TCP socket, always under a timeout, always killed on the way out."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from tinyq.boards import Board
from tinyq.errors import ToolchainError

QEMU_HINT = "install QEMU: `apt-get install qemu-system-arm`"
FAULT_EXIT = 3          # tq_fault() in every emulated board.c ends the run with this code


def ticks_to_instructions(ticks: int, board: Board) -> int:
    """With -icount shift=S each instruction advances virtual time by 2^S ns; the board's timer
    ticks at `[emulator] counter_hz` (default: its clock), so one instruction is
    2^S * counter_hz / 1e9 ticks (3.2 at S=7, 25 MHz; 2.048 for the micro:bit's 16 MHz TIMER0).
    Rounding is exact while that is above 2: the two timer reads are each off by less than one
    tick (< 0.5 instruction)."""
    shift = int(board.emulator.get("icount_shift", 7))
    ticks_per_instruction = (1 << shift) * int(board.emulator.get("counter_hz", board.clock_hz)) / 1e9
    return round(ticks / ticks_per_instruction)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Qemu:
    """A running emulator; use as a context manager. `port_url` is the UART for pyserial.

    QEMU runs in its own process group under `timeout -s KILL`, so leaving the context (or the
    deadline passing) ends both, even when this Python process is interrupted."""

    def __init__(self, elf: Path, board: Board, timeout: float = 300.0):
        self.elf, self.board, self.timeout = Path(elf), board, timeout
        self.proc: subprocess.Popen | None = None
        self.port_url = ""
        self._log = tempfile.TemporaryFile()
        # QEMU's folder: the semihosting files the firmware opens by relative name (the bench's
        # inputs file) live here, not in the caller's folder
        self.workdir = Path(tempfile.mkdtemp(prefix="tinyq-qemu-"))

    def command(self, port: int) -> list[str]:
        exe = shutil.which("qemu-system-arm")
        if not exe:
            raise ToolchainError("qemu-system-arm not found", QEMU_HINT)
        if not self.board.emulated:
            raise ToolchainError(f"board {self.board.name} has no emulator", "use an emulated board (with an [emulator] table)")
        em = self.board.emulator
        cmd = [exe, "-M", em.get("qemu_machine", "mps2-an386"), "-cpu", em.get("qemu_cpu", "cortex-m4"),
               "-nographic", "-monitor", "none", "-kernel", str(self.elf.resolve()),
               "-icount", f"shift={int(em.get('icount_shift', 7))},align=off,sleep=off",
               "-semihosting-config", "enable=on,target=native",
               "-serial", f"tcp:127.0.0.1:{port},server=on,wait=on,nodelay=on"]
        if shutil.which("timeout"):
            cmd = ["timeout", "-s", "KILL", str(max(1, int(self.timeout))), *cmd]
        return cmd

    def log(self) -> str:
        """What QEMU wrote to stdout/stderr so far (semihosting output, errors)."""
        self._log.seek(0)
        return self._log.read().decode(errors="replace")

    def __enter__(self) -> "Qemu":
        if not self.elf.is_file():
            raise ToolchainError(f"firmware {self.elf} does not exist", "build it first")
        with open(self.elf, "rb") as f:
            if f.read(4) != b"\x7fELF":  # QEMU would load anything else as a raw image and run garbage
                raise ToolchainError(f"{self.elf} is not an ELF file", "pass the firmware.elf of the build")
        for _ in range(3):  # another process may grab the free port before QEMU binds it
            port = _free_port()
            self._log.seek(0)
            self._log.truncate()
            self.proc = subprocess.Popen(self.command(port), stdin=subprocess.DEVNULL, stdout=self._log,
                                         stderr=subprocess.STDOUT, start_new_session=True, cwd=self.workdir)
            if self._wait_listening():
                self.port_url = f"socket://127.0.0.1:{port}"
                return self
            if "Address already in use" not in self.log():
                break
        log = self.log()
        self.kill()
        raise ToolchainError(f"QEMU did not start (exit code {self.returncode}): {log.strip()[-2000:]}",
                             f"check the [emulator] table of board {self.board.name} and that {self.elf} "
                             f"was built for it")

    def _wait_listening(self) -> bool:
        # With wait=on QEMU announces the socket and blocks until a client connects; connecting
        # a probe would consume that first connection, so watch the log instead.
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if "waiting for connection" in self.log():
                return True
            if self.proc is None or self.proc.poll() is not None:
                return False
            time.sleep(0.02)
        return False

    @property
    def returncode(self) -> int | None:
        return None if self.proc is None else self.proc.poll()

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def wait(self, timeout: float = 5.0) -> int | None:
        """Wait for the firmware to end the run (semihosting exit); kill it if it does not."""
        if self.proc is None:
            return None
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return None

    close = wait

    def kill(self) -> None:
        """Kill `timeout` and QEMU: the whole process group this object started."""
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()

    def diagnose(self) -> str:
        """Why the emulator stopped answering, for error messages."""
        code = self.returncode
        if code is None:
            return "the emulator is still running but the firmware does not answer (stuck?)"
        if code == FAULT_EXIT:
            return "the firmware hit a fault (HardFault/UsageFault) and stopped the emulator"
        if code in (-signal.SIGKILL, 137, 124):
            return f"the emulator was killed after its {int(self.timeout)} s time limit"
        return f"the emulator exited with code {code}: {self.log().strip()[-500:]}"

    def __exit__(self, *exc) -> None:
        self.kill()
        self._log.close()
        shutil.rmtree(self.workdir, ignore_errors=True)
