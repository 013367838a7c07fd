"""Flash a built firmware with whichever flasher is installed; fail fast when no probe is there."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tinyq.boards import Board
from tinyq.errors import TinyqError

FLASHERS = ("pyocd", "openocd", "jlink", "nrfjprog")
NO_PROBE_MARKERS = ("no available debug probes", "no probe", "no debug probes", "unable to find a matching",
                    "no j-link", "no emulators connected", "there is no debugger connected", "error: unable to open",
                    "could not find", "libusb_open() failed", "no device found")


class FlashError(TinyqError):
    """Flashing failed: no probe, no flasher, or the flasher reported an error."""


def _executable(name: str) -> list[str] | None:
    if name == "pyocd":
        if shutil.which("pyocd"):
            return ["pyocd"]
        try:
            import pyocd  # noqa: F401
            return [sys.executable, "-m", "pyocd"]
        except ImportError:
            return None
    exe = {"jlink": "JLinkExe", "openocd": "openocd", "nrfjprog": "nrfjprog"}[name]
    return [exe] if shutil.which(exe) else None


def detect_flasher(board: Board, preferred: str | None = None) -> tuple[str, list[str]]:
    order = [preferred] if preferred else [board.flasher, *FLASHERS]
    for name in order:
        if name in FLASHERS:
            exe = _executable(name)
            if exe:
                return name, exe
    raise FlashError(f"no flasher found for {board.name} (tried {', '.join(o for o in order if o)})",
                     "pip install pyocd (it knows the nRF52840), or install OpenOCD, J-Link or nrfjprog")


def flash(image: Path, board: Board, flasher: str | None = None, timeout: float = 120) -> str:
    """Program `image` (.hex or .elf) onto the board. Returns the flasher's output."""
    if board.emulated:
        return "emulated board: nothing to flash (the emulator loads the ELF)"
    name, exe = detect_flasher(board, flasher)
    hexfile = str(image)
    if name == "pyocd":
        # --no-wait: without it pyOCD waits forever for a probe to be plugged in.
        cmd = [*exe, "flash", "--no-wait", "-t", board.flasher_target or board.name, hexfile]
    elif name == "openocd":
        cmd = [*exe, "-f", "interface/cmsis-dap.cfg", "-f", f"target/{board.flasher_target or 'nrf52'}.cfg",
               "-c", f"program {hexfile} verify reset exit"]
    elif name == "nrfjprog":
        cmd = [*exe, "--program", hexfile, "--sectorerase", "--verify", "--reset"]
    else:
        script = Path(image).with_suffix(".jlink")
        script.write_text(f"loadfile {hexfile}\nr\ng\nexit\n")
        cmd = [*exe, "-device", "NRF52840_XXAA", "-if", "SWD", "-speed", "4000", "-autoconnect", "1",
               "-CommanderScript", str(script)]
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise FlashError(f"{name} did not finish within {timeout:.0f} s",
                         "is the board powered and the probe connected?") from None
    out = (res.stdout + res.stderr).strip()
    low = out.lower()
    if any(m in low for m in NO_PROBE_MARKERS) or (res.returncode != 0 and "probe" in low):
        raise FlashError(f"no debug probe found ({name}): {out.splitlines()[-1] if out else ''}",
                         f"connect the {board.name} board over USB (the on-board J-Link/CMSIS-DAP) and retry")
    if res.returncode != 0:
        raise FlashError(f"{name} failed (exit {res.returncode}): {out[-1500:]}")
    return out
