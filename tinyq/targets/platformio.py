"""A complete PlatformIO project for a board that builds with `pio run` fully offline.

The project carries its own dev-platform (platform/: platform.json, boards/<board>.json and an
SCons builder/main.py that calls the Debian Arm GCC), so it needs nothing from PlatformIO's
registry; the only core package PlatformIO insists on, tool-scons, is made from PyPI's scons into
the project's own core_dir the first time it builds."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tinyq.backend.generate import Generated
from tinyq.boards import Board, load_board
from tinyq.errors import ToolchainError
from tinyq.targets.firmware import build_spec
from tinyq.targets.gcc_build import FirmwareImage, elf_sizes, tool

PIO_HINT = "install PlatformIO into the same environment: `pip install platformio`"
ENV_NAME = "tinyq"

PLATFORM_PY = '''"""tinyq's offline dev-platform: bare-metal Arm Cortex-M with the system's arm-none-eabi GCC."""
from platformio.public import PlatformBase


class TinyqarmPlatform(PlatformBase):
    pass
'''

BUILDER = '''"""SCons builder of tinyq's offline dev-platform (run by PlatformIO's own builder)."""
import json
import os
from os.path import join

from SCons.Script import AlwaysBuild, Default, DefaultEnvironment

env = DefaultEnvironment()
spec = json.load(open(join(env.subst("$PROJECT_DIR"), "tinyq_build.json")))
gnu = spec["gnu_prefix"]
env.Replace(
    AR=gnu + "ar", AS=gnu + "gcc", CC=gnu + "gcc", CXX=gnu + "g++", LINK=gnu + "gcc",
    OBJCOPY=gnu + "objcopy", RANLIB=gnu + "ranlib", SIZETOOL=gnu + "size",
    PROGNAME="firmware", PROGSUFFIX=".elf", SIZEPRINTCMD="$SIZETOOL -A $SOURCES",
)
env.Append(
    CCFLAGS=spec["ccflags"], CFLAGS=spec["cflags"], CPPDEFINES=spec["defines"],
    CPPPATH=[join(env.subst("$PROJECT_DIR"), p) for p in spec["include_dirs"]],
    # the arch and float-ABI flags go to the linker too, or it links soft-float libraries
    LINKFLAGS=spec["ldflags"] + ["-T" + join(env.subst("$PROJECT_DIR"), "linker.ld")],
)
elf = env.BuildProgram()
hexfile = env.Command(join("$BUILD_DIR", "${PROGNAME}.hex"), elf,
                      env.VerboseAction("$OBJCOPY -O ihex $SOURCES $TARGET", "Building $TARGET"))
binfile = env.Command(join("$BUILD_DIR", "${PROGNAME}.bin"), elf,
                      env.VerboseAction("$OBJCOPY -O binary $SOURCES $TARGET", "Building $TARGET"))
size = env.Alias("size", elf, env.VerboseAction("$SIZEPRINTCMD", "Calculating size $SOURCE"))
AlwaysBuild(size)
Default([elf, hexfile, binfile, size])
'''

SCONS_LAUNCHER = '''"""tool-scons launcher made by tinyq: runs the SCons installed from PyPI."""
import sys

import SCons.Script

if __name__ == "__main__":
    sys.exit(SCons.Script.main())
'''


@dataclass
class Project:
    path: Path
    board: Board


def _board_json(board: Board) -> dict:
    return {
        "build": {"cpu": board.core, "f_cpu": f"{board.clock_hz}L", "mcu": board.name},
        "frameworks": [], "name": board.description or board.name, "vendor": "tinyq", "url": "",
        "upload": {"maximum_ram_size": board.ram_budget, "maximum_size": board.flash_budget,
                   "protocol": board.flasher},
    }


def write_project(gen: Generated, board_name: str, out_dir: str | Path) -> Path:
    """Write the project: platformio.ini, platform/, src/ (model, kernels, firmware), linker.ld."""
    board = load_board(board_name)
    spec = build_spec(board)
    out = Path(out_dir)
    src = out / "src"
    if src.exists():
        shutil.rmtree(src)
    src.mkdir(parents=True)
    gen.write(src)
    for f in spec.sources:
        shutil.copyfile(f, src / f.name)
    for d in spec.include_dirs:
        for h in d.glob("*.h"):
            shutil.copyfile(h, src / h.name)
    (out / "linker.ld").write_text(spec.linker_script)
    arch = [f for f in spec.cflags if f.startswith(("-mcpu", "-mthumb", "-mfpu", "-mfloat-abi"))]
    other = [f for f in spec.cflags if f not in arch and not f.startswith(("-D", "-std"))]
    build = {
        "gnu_prefix": "arm-none-eabi-", "include_dirs": ["src"],
        "ccflags": arch + other, "cflags": ["-std=c99"],
        "defines": [d[2:] for d in spec.defines], "ldflags": spec.ldflags,
    }
    (out / "tinyq_build.json").write_text(json.dumps(build, indent=2))
    plat = out / "platform"
    (plat / "boards").mkdir(parents=True, exist_ok=True)
    (plat / "builder").mkdir(exist_ok=True)
    (plat / "platform.json").write_text(json.dumps({
        "name": "tinyqarm", "title": "tinyq bare-metal Arm", "version": "0.1.0",
        "description": "Offline dev-platform written by tinyq: the system's arm-none-eabi GCC",
        "engines": {"platformio": ">=6"}, "frameworks": {}, "packages": {},
    }, indent=2))
    (plat / "platform.py").write_text(PLATFORM_PY)
    (plat / "builder" / "main.py").write_text(BUILDER)
    (plat / "boards" / f"{board.name}.json").write_text(json.dumps(_board_json(board), indent=2))
    (out / "platformio.ini").write_text(
        "; Generated by tinyq. Offline by design: the dev-platform lives in ./platform and calls the\n"
        "; system's arm-none-eabi GCC, so neither this machine nor one with internet needs PlatformIO's\n"
        "; registry. `tinyq build` also provides the tool-scons core package from PyPI's scons.\n"
        "[platformio]\n"
        "core_dir = .pio-core\n"
        "boards_dir = platform/boards\n"
        "default_envs = " + ENV_NAME + "\n\n"
        f"[env:{ENV_NAME}]\n"
        "platform = ./platform\n"
        f"board = {board.name}\n")
    (out / ".tinyq_board").write_text(board.name)
    return out


def _ensure_tool_scons(core_dir: Path) -> None:
    """Make the tool-scons core package from the scons PyPI package (PlatformIO's registry is
    unreachable here; the version must satisfy platformio/dependencies.py)."""
    try:
        from platformio.dependencies import get_core_dependencies
        from platformio.package.meta import PackageItem, PackageMetadata, PackageSpec, PackageType
        import SCons
    except ImportError as exc:
        raise ToolchainError(f"PlatformIO or SCons is not installed ({exc.name})", PIO_HINT + " scons") from None
    requirement = get_core_dependencies()["tool-scons"]          # e.g. "~4.41101.0"
    version = requirement.lstrip("~^=>< ")
    pkg = core_dir / "packages" / "tool-scons"
    if (pkg / ".piopm").is_file():
        return
    pkg.mkdir(parents=True, exist_ok=True)
    (pkg / "scons.py").write_text(SCONS_LAUNCHER)
    (pkg / "package.json").write_text(json.dumps({
        "name": "tool-scons", "version": version, "description": f"SCons {SCons.__version__} from PyPI",
        "keywords": ["build tools"], "homepage": "https://scons.org", "system": "*"}))
    meta = PackageMetadata(PackageType.TOOL, "tool-scons", version,
                           PackageSpec(owner="platformio", name="tool-scons"))
    PackageItem(str(pkg), meta).dump_meta()


def pio_env(project: Path) -> dict[str, str]:
    return dict(os.environ, PLATFORMIO_DISABLE_UPGRADE_CHECK="true", PLATFORMIO_SETTING_ENABLE_TELEMETRY="No",
                PLATFORMIO_SETTING_CHECK_PLATFORMIO_INTERVAL="3650", PLATFORMIO_CORE_DIR=str(project / ".pio-core"))


def build_project(project: str | Path, timeout: float = 600) -> FirmwareImage:
    """`pio run` on a generated project; returns the ELF/HEX/BIN with their sizes."""
    project = Path(project).resolve()
    if not (project / "platformio.ini").is_file():
        raise ToolchainError(f"{project} is not a tinyq PlatformIO project (no platformio.ini)",
                             "create one with `tinyq generate MODEL --board BOARD -o DIR`")
    tool("gcc")  # fail early, with the apt hint, if the toolchain is missing
    _ensure_tool_scons(project / ".pio-core")
    cmd = [sys.executable, "-m", "platformio", "run", "-d", str(project)]
    t0 = time.monotonic()
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=pio_env(project))
    except subprocess.TimeoutExpired:
        raise ToolchainError(f"`pio run` did not finish within {timeout:.0f} s") from None
    if res.returncode != 0:
        out = (res.stdout + res.stderr)[-4000:]
        if "No module named platformio" in out:
            raise ToolchainError("PlatformIO is not installed", PIO_HINT)
        raise ToolchainError(f"`pio run` failed after {time.monotonic() - t0:.0f} s:\n{out}")
    build_dir = project / ".pio" / "build" / ENV_NAME
    elf = build_dir / "firmware.elf"
    if not elf.is_file():
        raise ToolchainError(f"`pio run` succeeded but produced no {elf}")
    return FirmwareImage(elf, elf.with_suffix(".hex"), elf.with_suffix(".bin"), *elf_sizes(elf))
