"""Flash a built firmware with whichever flasher is installed; fail fast when no probe is there."""
from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

from tinyq.boards import Board, load_board
from tinyq.errors import TinyqError

FLASHERS = ("pyocd", "openocd", "jlink", "nrfjprog")
NO_PROBE_MARKERS = ("no connected debug probes", "no target device available", "no available debug probes", "no probe",
                    "no debug probes", "unable to find a matching",
                    "no j-link", "no emulators connected", "there is no debugger connected", "error: unable to open",
                    "could not find", "libusb_open() failed", "no device found")


class FlashError(TinyqError):
    """Flashing failed: no probe, no flasher, or the flasher reported an error."""


def _executable(name: str) -> list[str] | None:
    if name == "pyocd":
        if shutil.which("pyocd"):
            return ["pyocd"]
        return [sys.executable, "-m", "pyocd"] if importlib.util.find_spec("pyocd") else None
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


def resolve_image(target: str | Path, board: Board | str | None = None) -> tuple[Path, Board]:
    """A project folder (made by `tinyq generate --board`, built) or a .hex/.elf file, and its board."""
    path = Path(target)
    if path.is_dir():
        board_file = path / ".tinyq_board"
        if not board_file.is_file():
            raise FlashError(f"{path} is not a tinyq project",
                             "make one with `tinyq generate MODEL --board BOARD -o DIR`")
        board = board or board_file.read_text().strip()
        path = path / ".pio" / "build" / "tinyq" / "firmware.hex"
        if not path.is_file():
            raise FlashError(f"the project is not built yet (no {path})", f"run `tinyq build {target}` first")
    elif not path.is_file():
        raise FlashError(f"no such firmware image: {path}", "pass a built project folder or a .hex file")
    elif board is None:   # an image inside a project (.pio/build/tinyq/firmware.hex) knows its board
        marks = [d / ".tinyq_board" for d in path.resolve().parents if (d / ".tinyq_board").is_file()]
        board = marks[0].read_text().strip() if marks else None
    if board is None:
        raise FlashError(f"which board is {path} for?", "pass the board name (e.g. nrf52840)")
    return path, board if isinstance(board, Board) else load_board(board)


def flash(target: str | Path, board: Board | str | None = None, flasher: str | None = None,
          timeout: float = 120) -> str:
    """Program a built project folder or a .hex/.elf file onto the board; returns the flasher's output.
    Never waits for a probe to appear: no probe is a FlashError within seconds."""
    image, board = resolve_image(target, board)
    if board.emulated:
        return f"{board.name} is emulated: nothing to flash (`tinyq deploy --emulate` loads the ELF into QEMU)"
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
        # JLinkExe reads its commands from a script; it exits on its own at `exit`.
        script = Path(image).with_suffix(".jlink")
        script.write_text(f"loadfile {hexfile}\nr\ng\nexit\n")
        cmd = [*exe, "-device", "NRF52840_XXAA", "-if", "SWD", "-speed", "4000", "-autoconnect", "1",
               "-ExitOnError", "1", "-CommanderScript", str(script)]
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise FlashError(f"{name} did not finish within {timeout:.0f} s",
                         "is the board powered and the probe connected?") from None
    out = (res.stdout + res.stderr).strip()
    low = out.lower()
    if any(m in low for m in NO_PROBE_MARKERS) or (res.returncode != 0 and "probe" in low):
        last = out.splitlines()[-1] if out else ""
        raise FlashError(f"no debug probe found ({name}: {last})",
                         f"connect the {board.description.split(':')[0] or board.name} over USB (the on-board "
                         "debug probe's USB port, not the nRF USB port), check `pyocd list`, then retry")
    if res.returncode != 0:
        raise FlashError(f"{name} failed (exit {res.returncode}): {out[-1500:]}")
    return out
