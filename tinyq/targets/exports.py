"""A compiled model as a self-contained library in the layout each build ecosystem expects:
CMake (a target and an arm-none-eabi toolchain file), Make, a Zephyr module, an Arduino library
(and the PlatformIO firmware project of `platformio.py`). Each holds the model, the kernels it
uses, one public header (model.h) and a minimal example program."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import jinja2

from tinyq import __version__
from tinyq.boards import Board, load_board
from tinyq.errors import TinyqError
from tinyq.plan.compiled import Compiled
from tinyq.resources import templates_dir
from tinyq.targets.firmware import arch_flags

FORMATS = ("sources", "platformio", "cmake", "make", "zephyr", "arduino")
DEFAULT_ARM_BOARD = "mps2_an386"   # whose flags (Cortex-M4F) the Arm builds use when no board is named


def library_name(gen: Compiled) -> str:
    """tinyq_<model>, a C identifier and a valid Arduino/Zephyr library name."""
    return "tinyq_" + (re.sub(r"[^a-z0-9]+", "_", gen.graph.name.lower()).strip("_") or "model")


def _env() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates_dir() / "export")),
                              undefined=jinja2.StrictUndefined, keep_trailing_newline=True)


def _library(gen: Compiled, src: Path, include: Path) -> list[str]:
    """The model and its kernels into src/, model.h into include/; returns the .c file names."""
    for d in (src, include):
        if d.exists():
            shutil.rmtree(d)
    gen.write(src)
    include.mkdir(parents=True, exist_ok=True)
    if include != src:
        shutil.move(str(src / "model.h"), str(include / "model.h"))
    return sorted(p.name for p in src.glob("*.c"))


def write_export(gen: Compiled, fmt: str, out_dir: str | Path, board: Board | None = None) -> Path:
    """Write `gen` as a `fmt` library into out_dir (created; files tinyq writes are replaced)."""
    if fmt not in FORMATS:
        raise TinyqError(f"unknown export format {fmt!r}", "formats: " + ", ".join(FORMATS))
    out = Path(out_dir)
    if fmt == "sources":
        gen.write(out)
        return out
    if fmt == "platformio":
        if board is None:
            raise TinyqError("--format platformio needs --board", "e.g. --board nrf52840")
        from tinyq.targets.platformio import write_project
        # the board's own file: a custom .toml must not be swapped for the built-in of its name
        return write_project(gen, str(board.path) if board.path else board.name, out)
    arm_board = board if board is not None else load_board(DEFAULT_ARM_BOARD)
    ctx = {"version": __version__, "model": gen.graph.name, "lib": library_name(gen), "kernels": gen.kernels,
           "board": board.name if board else "", "arch_flags": " ".join(arch_flags(arm_board)),
           "layers": len(gen.graph.ops), "macs": gen.macs, "arena": gen.arena_bytes, "lib_version": "1.0.0"}
    env = _env()
    out.mkdir(parents=True, exist_ok=True)

    def put(rel: str, template: str) -> None:
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(env.get_template(template).render(**ctx) if template.endswith(".j2")
                        else (templates_dir() / "export" / template).read_text())

    if fmt == "arduino":
        # Arduino compiles everything under src/ and finds the library by its header's name
        ctx["sources"] = _library(gen, out / "src", out / "src")
        put("library.properties", "arduino/library.properties.j2")
        put(f"src/{ctx['lib']}.h", "arduino/header.h.j2")
        put(f"examples/{ctx['lib']}_example/{ctx['lib']}_example.ino", "arduino/example.ino.j2")
        return out
    ctx["sources"] = _library(gen, out / "src", out / "include")
    if fmt == "cmake":
        put("CMakeLists.txt", "CMakeLists.txt.j2")
        put("cmake/arm-none-eabi.cmake", "arm-none-eabi.cmake.j2")
        put("example/main.c", "example_main.c")
    elif fmt == "make":
        put("Makefile", "Makefile.j2")
        put("example/main.c", "example_main.c")
    else:   # zephyr
        put("zephyr/module.yml", "zephyr/module.yml.j2")
        put("zephyr/CMakeLists.txt", "zephyr/CMakeLists.txt.j2")
        put("zephyr/Kconfig", "zephyr/Kconfig.j2")
        put("samples/tinyq_example/CMakeLists.txt", "zephyr/sample_CMakeLists.txt.j2")
        put("samples/tinyq_example/prj.conf", "zephyr/prj.conf")
        put("samples/tinyq_example/src/main.c", "zephyr/main.c")
    return out
