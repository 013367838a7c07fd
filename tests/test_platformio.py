"""The generated PlatformIO project: builds offline from a clean core dir (through `tinyq build`
and through a plain `pio run`), carries the BuildSpec's flags to compiler and linker, and flashing
without a probe fails fast with a clear message."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tinyq.boards import load_board
from tinyq.cli import main
from tinyq.errors import ToolchainError
from tinyq.targets.firmware import build_spec
from tinyq.targets.flash import FlashError, flash
from tinyq.targets.platformio import CORE_DIR, build_project

from conftest import mlperf_path

BOARDS = ["nrf52840", "mps2_an386"]


def _generate(tmp_path: Path, board: str) -> Path:
    out = tmp_path / board
    assert main(["generate", str(mlperf_path("ad01_int8")), "--board", board, "-o", str(out)]) == 0
    return out


def _offline_env(home: Path) -> dict[str, str]:
    """A fresh machine: empty HOME (no ~/.platformio), no PLATFORMIO_CORE_DIR of the user's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLATFORMIO")}
    return dict(env, HOME=str(home), PLATFORMIO_DISABLE_UPGRADE_CHECK="true",
                PLATFORMIO_SETTING_ENABLE_TELEMETRY="No")


def _sections(elf: Path) -> dict[str, int]:
    out = subprocess.run(["arm-none-eabi-readelf", "-S", str(elf)], capture_output=True, text=True).stdout
    return {m[1]: int(m[2], 16) for m in re.finditer(r"\]\s+(\S+)\s+\S+\s+([0-9a-f]{8})", out)}


@pytest.mark.slow
@pytest.mark.parametrize("board_name", BOARDS)
def test_build_from_clean_core_dir(board_name, tmp_path, monkeypatch, capsys) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("PLATFORMIO_CORE_DIR", str(tmp_path / "users-core"))   # must be ignored
    out = _generate(tmp_path, board_name)
    capsys.readouterr()
    assert main(["build", str(out), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    elf = Path(info["elf"])
    assert elf == out / ".pio" / "build" / "tinyq" / "firmware.elf"
    assert elf.is_file() and Path(info["hex"]).stat().st_size > 0 and Path(info["bin"]).stat().st_size > 0
    # nothing outside the project was touched
    assert not (home / ".platformio").exists() and not (tmp_path / "users-core").exists()
    assert (out / CORE_DIR / "packages" / "tool-scons" / ".piopm").is_file()

    board = load_board(board_name)
    attrs = subprocess.run(["arm-none-eabi-readelf", "-A", str(elf)], capture_output=True, text=True).stdout
    assert "Tag_ABI_VFP_args: VFP registers" in attrs and "Tag_FP_arch: VFPv4-D16" in attrs
    sections = _sections(elf)
    assert sections[".isr_vector"] == board.app_flash_origin          # vector table at the flash origin
    assert board.ram_origin <= sections[".bss"] < board.ram_origin + board.ram_size
    words = Path(info["bin"]).read_bytes()[:8]
    sp, reset = int.from_bytes(words[:4], "little"), int.from_bytes(words[4:], "little")
    assert sp == board.ram_origin + board.ram_size and reset & 1       # stack at the top of RAM, Thumb reset

    # the figures are the ELF's, as arm-none-eabi-size counts them
    size = subprocess.run(["arm-none-eabi-size", "-B", str(elf)], capture_output=True, text=True).stdout
    text, data, bss = (int(x) for x in size.splitlines()[1].split()[:3])
    assert (info["flash_bytes"], info["ram_bytes"]) == (text + data, data + bss)
    assert 0 < info["flash_bytes"] <= board.flash_budget and info["ram_bytes"] <= board.ram_budget


@pytest.mark.slow
def test_plain_pio_run_offline_twice(tmp_path) -> None:
    """The project alone, no tinyq: `pio run` in the project folder, offline, in a fresh HOME, then
    an up-to-date rebuild. (Run from elsewhere with -d, PlatformIO reads its state before it reads
    platformio.ini and leaves ~/.platformio/appstate.json behind; `tinyq build` sets the core dir.)"""
    out = _generate(tmp_path, "nrf52840")
    home = tmp_path / "home"
    home.mkdir()
    times = []
    for _ in range(2):
        t0 = time.monotonic()
        res = subprocess.run([sys.executable, "-m", "platformio", "run"], cwd=out, capture_output=True,
                             text=True, timeout=300, env=_offline_env(home), stdin=subprocess.DEVNULL)
        times.append(time.monotonic() - t0)
        assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert "[SUCCESS]" in res.stdout and not (home / ".platformio").exists()
    # hard float reached the linker: it picked the hard-float newlib and says so in the ELF header
    elf = out / ".pio" / "build" / "tinyq" / "firmware.elf"
    head = subprocess.run(["arm-none-eabi-readelf", "-h", str(elf)], capture_output=True, text=True).stdout
    assert "hard-float ABI" in head
    assert times[1] < 120                       # bounded: nothing waits on the network


def test_project_layout_carries_the_build_spec(tmp_path) -> None:
    out = _generate(tmp_path, "nrf52840")
    ini = (out / "platformio.ini").read_text()
    assert "platform = ./platform" in ini and f"core_dir = {CORE_DIR}" in ini and "board = nrf52840" in ini
    spec = build_spec(load_board("nrf52840"))
    build = json.loads((out / "tinyq_build.json").read_text())
    assert build["ldflags"] == spec.ldflags and "-mfloat-abi=hard" in build["ldflags"]
    assert set(build["ccflags"]) | set(build["cflags"]) | {"-D" + d for d in build["defines"]} == set(spec.cflags)
    assert (out / "linker.ld").read_text() == spec.linker_script
    for f in spec.sources:
        assert (out / "src" / f.name).read_text() == f.read_text()
    names = {p.name for p in (out / "src").iterdir()}
    # the DSP build holds the DSP kernel and not the portable one it does not call
    assert {"model.c", "model.h", "fully_connected_dsp8.c"} <= names and "fully_connected.c" not in names
    board_json = json.loads((out / "platform" / "boards" / "nrf52840.json").read_text())
    assert board_json["upload"]["maximum_size"] == 1_048_576 and board_json["build"]["cpu"] == "cortex-m4"
    assert (out / "platform" / "builder" / "main.py").is_file()


def test_generate_without_board_writes_only_c_sources(tmp_path) -> None:
    out = tmp_path / "c"
    assert main(["generate", str(mlperf_path("ad01_int8")), "-o", str(out)]) == 0
    names = {p.name for p in out.iterdir()}
    assert {"model.c", "model.h", "fully_connected_dsp8.c", "fully_connected_dsp8.h"} <= names
    assert "platformio.ini" not in names and "platform" not in names and "fully_connected.c" not in names
    out = tmp_path / "portable"
    assert main(["generate", str(mlperf_path("ad01_int8")), "-o", str(out), "--kernels", "portable"]) == 0
    names = {p.name for p in out.iterdir()}
    assert {"fully_connected.c", "fully_connected.h"} <= names and "fully_connected_dsp8.c" not in names


def test_tool_scons_is_accepted_by_platformio(tmp_path) -> None:
    """PlatformIO's own lookup finds the local tool-scons, so it never downloads one; a stale
    package made for another PlatformIO version is replaced."""
    pytest.importorskip("platformio", reason="needs the deploy extra: pip install 'tinyq[deploy]'")
    pytest.importorskip("SCons", reason="needs the deploy extra: pip install 'tinyq[deploy]'")
    out = _generate(tmp_path, "mps2_an386")
    pkg = out / CORE_DIR / "packages" / "tool-scons"
    meta = json.loads((pkg / "package.json").read_text())
    for f in ("package.json", ".piopm"):     # pretend it was made for an older PlatformIO
        (pkg / f).write_text((pkg / f).read_text().replace(meta["version"], "4.40400.0"))
    from tinyq.targets.platformio import _ensure_tool_scons
    _ensure_tool_scons(out / CORE_DIR)
    assert json.loads((pkg / "package.json").read_text())["version"] == meta["version"]
    probe = ("from platformio.package.manager.core import get_core_package_dir;"
             "print(get_core_package_dir('tool-scons', auto_install=False))")
    env = dict(_offline_env(tmp_path), PLATFORMIO_CORE_DIR=str(out / CORE_DIR))
    res = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, env=env)
    assert res.stdout.strip() == str(pkg), res.stderr


def test_build_errors_are_clear(tmp_path, monkeypatch) -> None:
    pytest.importorskip("platformio", reason="needs the deploy extra: pip install 'tinyq[deploy]'")
    with pytest.raises(ToolchainError, match="not a tinyq PlatformIO project"):
        build_project(tmp_path)
    out = _generate(tmp_path, "nrf52840")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))     # no arm-none-eabi-gcc anywhere
    with pytest.raises(ToolchainError) as exc:
        build_project(out)
    assert "arm-none-eabi-gcc not found" in str(exc.value) and "gcc-arm-none-eabi" in exc.value.hint


def test_flash_without_probe_fails_fast_and_clearly(tmp_path, capsys) -> None:
    pytest.importorskip("pyocd")
    out = _generate(tmp_path, "nrf52840")
    assert main(["flash", str(out)]) != 0
    assert "not built yet" in capsys.readouterr().err
    hexdir = out / ".pio" / "build" / "tinyq"
    hexdir.mkdir(parents=True)
    (hexdir / "firmware.hex").write_text(":00000001FF\n")
    t0 = time.monotonic()
    with pytest.raises(FlashError) as exc:
        flash(out, flasher="pyocd", timeout=60)
    assert time.monotonic() - t0 < 30                        # pyOCD is told not to wait for a probe
    assert "no debug probe found" in str(exc.value) and "nRF52840-DK" in exc.value.hint
    assert main(["flash", str(hexdir / "firmware.hex"), "--flasher", "pyocd"]) != 0   # board from the project
    err = capsys.readouterr().err
    assert "no debug probe found" in err and "Traceback" not in err


def test_flash_emulated_board_is_a_no_op(tmp_path) -> None:
    img = tmp_path / "fw.hex"
    img.write_text(":00000001FF\n")
    assert "nothing to flash" in flash(img, "mps2_an386")
    with pytest.raises(FlashError, match="which board"):
        flash(img)


@pytest.mark.slow
def test_too_big_for_the_board_is_does_not_fit(tmp_path) -> None:
    """A board file with 16 KB of flash: the link fails and says so, without PlatformIO's banners."""
    from tinyq.errors import DoesNotFitError
    toml = tmp_path / "nrf52840.toml"
    toml.write_text(load_board("nrf52840").path.read_text().replace("size = 1_048_576", "size = 16_384"))
    out = tmp_path / "small"
    assert main(["generate", str(mlperf_path("kws_ref_model")), "--board", str(toml), "-o", str(out)]) == 0
    with pytest.raises(DoesNotFitError) as exc:
        build_project(out)
    assert "region `FLASH' overflowed" in str(exc.value) and "PlatformIO IDE" not in str(exc.value)
    assert "tinyq plan" in exc.value.hint
