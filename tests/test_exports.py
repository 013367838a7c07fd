"""`tinyq generate --format cmake|make|zephyr|arduino`: the CMake and Make libraries build with the
host compiler (their example's outputs bit-exact with TFLM) and with arm-none-eabi-gcc for the
Cortex-M4; the Zephyr module and the Arduino library follow their documented layouts."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import tinyq
from tinyq.cli import main
from tinyq.errors import TinyqError
from tinyq.targets.exports import library_name, write_export
from tinyq.targets.reference import run_reference
from tinyq.workflows.verify import random_inputs

from conftest import ROOT

EXAMPLE = ROOT / "examples" / "digits" / "digits_int8.tflite"
MODELS = [EXAMPLE, ROOT / "tests" / "models" / "conv2_shortcut_add.tflite"]
HAVE_ARM = shutil.which("arm-none-eabi-gcc") is not None


def _run(cmd: list[str], cwd: Path | None = None) -> None:
    res = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    assert res.returncode == 0, f"{' '.join(cmd)}:\n{res.stdout[-2000:]}\n{res.stderr[-3000:]}"


def _bit_exact(exe: Path, model: Path) -> None:
    """The example reads samples from stdin and writes the outputs: compare with TFLM."""
    g = tinyq.compile(model).graph
    xs = random_inputs(g, 6, seed=3)
    blob = b"".join(b"".join(x[s].tobytes() for x in xs) for s in range(6))
    out = subprocess.run([str(exe)], input=blob, capture_output=True, timeout=60, check=True).stdout
    want, _ = run_reference(model, xs, len(g.outputs))
    got, pos = [], 0
    for _s in range(6):
        per = []
        for t in (g.t(i) for i in g.outputs):
            per.append(np.frombuffer(out[pos:pos + t.nbytes], dtype=t.dtype).reshape(t.shape))
            pos += t.nbytes
        got.append(per)
    assert pos == len(out), f"the example wrote {len(out)} bytes, expected {pos}"
    for w, o in zip(want, got):
        for a, b in zip(w, o):
            np.testing.assert_array_equal(a.reshape(b.shape), b)


def _export(fmt: str, model: Path, out: Path, board: str | None = None) -> Path:
    args = ["generate", str(model), "--format", fmt, "-o", str(out)] + (["--board", board] if board else [])
    assert main(args) == 0
    return out


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("cmake") is None, reason="needs cmake (scripts/setup.sh)")
@pytest.mark.parametrize("model", MODELS, ids=lambda p: p.stem)
def test_cmake_host_build_bit_exact(model: Path, tmp_path: Path) -> None:
    src = _export("cmake", model, tmp_path / "lib")
    _run(["cmake", "-S", str(src), "-B", str(tmp_path / "b"), "-DCMAKE_C_FLAGS=-Wall -Wextra -Werror -Wshadow -Wvla"])
    _run(["cmake", "--build", str(tmp_path / "b")])
    _bit_exact(tmp_path / "b" / "tinyq_example", model)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_host_build_bit_exact(tmp_path: Path) -> None:
    src = _export("make", EXAMPLE, tmp_path / "lib")
    _run(["make", "-C", str(src), "CFLAGS=-Wall -Wextra -Werror -Wshadow -Wvla"])
    _bit_exact(src / "build" / "tinyq_example", EXAMPLE)


def _is_arm_elf(path: Path) -> bool:
    head = path.read_bytes()[:20]
    return head[:4] == b"\x7fELF" and head[4] == 1 and int.from_bytes(head[18:20], "little") == 40   # EM_ARM


@pytest.mark.slow
@pytest.mark.skipif(not HAVE_ARM or shutil.which("cmake") is None, reason="needs cmake and arm-none-eabi-gcc")
def test_cmake_arm_build_for_m4(tmp_path: Path) -> None:
    src = _export("cmake", EXAMPLE, tmp_path / "lib", board="nrf52840")
    assert "-mcpu=cortex-m4" in (src / "cmake" / "arm-none-eabi.cmake").read_text()
    # Debug: the library keeps -O2 (the DSP kernels' inline asm needs it)
    _run(["cmake", "-S", str(src), "-B", str(tmp_path / "b"), "-DCMAKE_BUILD_TYPE=Debug",
          f"-DCMAKE_TOOLCHAIN_FILE={src / 'cmake' / 'arm-none-eabi.cmake'}"])
    _run(["cmake", "--build", str(tmp_path / "b")])
    assert _is_arm_elf(tmp_path / "b" / "tinyq_example") and (tmp_path / "b" / "libtinyq_model.a").is_file()


@pytest.mark.slow
@pytest.mark.skipif(not HAVE_ARM or shutil.which("make") is None, reason="needs make and arm-none-eabi-gcc")
def test_make_arm_build_for_m4(tmp_path: Path) -> None:
    src = _export("make", EXAMPLE, tmp_path / "lib")
    _run(["make", "-C", str(src), "TARGET=arm", "CFLAGS=-Wall -Wextra -Werror"])
    assert _is_arm_elf(src / "build" / "tinyq_example")
    nm = subprocess.run(["arm-none-eabi-nm", str(src / "build" / "libtinyq_model.a")], capture_output=True,
                        text=True, check=True).stdout
    assert " T tinyq_model_invoke" in nm


def test_zephyr_module_layout(tmp_path: Path) -> None:
    """zephyr/module.yml (name, build.cmake, build.kconfig) as Zephyr's module docs describe it;
    the CMake folder builds a zephyr_library of every source, under the Kconfig symbol the
    Kconfig file declares; the sample enables it and finds the module."""
    yaml = pytest.importorskip("yaml")
    gen = tinyq.compile(EXAMPLE, board="nrf52840")
    out = write_export(gen, "zephyr", tmp_path / "m")
    meta = yaml.safe_load((out / "zephyr" / "module.yml").read_text())
    assert meta["name"] == library_name(gen) and re.fullmatch(r"[a-z0-9_]+", meta["name"])
    cmake_dir, kconfig = out / meta["build"]["cmake"], out / meta["build"]["kconfig"]
    text = (cmake_dir / "CMakeLists.txt").read_text()
    symbol = re.search(r"^config (\w+)$", kconfig.read_text(), re.M).group(1)
    kconfiglib = pytest.importorskip("kconfiglib")   # the Kconfig parser Zephyr's build runs
    k = kconfiglib.Kconfig(str(kconfig), warn_to_stderr=False)
    assert k.syms[symbol].type == kconfiglib.BOOL and k.syms[symbol].nodes[0].prompt and not k.warnings
    assert f"if(CONFIG_{symbol})" in text and "zephyr_library()" in text
    listed = re.findall(r"\$\{CMAKE_CURRENT_LIST_DIR\}/\.\./src/(\S+\.c)", text)
    assert sorted(listed) == sorted(p.name for p in (out / "src").glob("*.c")) and "model.c" in listed
    assert "zephyr_include_directories(${CMAKE_CURRENT_LIST_DIR}/../include)" in text
    assert (out / "include" / "model.h").is_file() and not (out / "src" / "model.h").exists()
    sample = out / "samples" / "tinyq_example"
    assert f"CONFIG_{symbol}=y" in (sample / "prj.conf").read_text()
    s = (sample / "CMakeLists.txt").read_text()
    assert s.index("ZEPHYR_EXTRA_MODULES") < s.index("find_package(Zephyr") and "target_sources(app" in s
    assert '#include "model.h"' in (sample / "src" / "main.c").read_text()


ARDUINO_FIELDS = ("name", "version", "author", "maintainer", "sentence", "paragraph", "category", "url",
                  "architectures")
ARDUINO_CATEGORIES = {"Display", "Communication", "Signal Input/Output", "Sensors", "Device Control", "Timing",
                      "Data Storage", "Data Processing", "Other"}
ARDUINO_STUB = """#pragma once
#include <stdint.h>
struct TqSerial { void begin(long) {} template <class T> void print(T) {} void println() {} };
static TqSerial Serial;
unsigned long micros();
void delay(unsigned long);
"""


def test_arduino_library_layout(tmp_path: Path) -> None:
    """The 1.5 library format: library.properties with every required field, sources under src/
    (with the header `includes` names), examples/<name>/<name>.ino; src/ compiles for a Cortex-M4
    at the -Os Arduino cores use, and the sketch compiles against the Arduino API it calls."""
    gen = tinyq.compile(EXAMPLE, board="nano33ble")
    out = write_export(gen, "arduino", tmp_path / "lib")
    props = dict(line.split("=", 1) for line in (out / "library.properties").read_text().splitlines() if "=" in line)
    assert all(props.get(k) for k in ARDUINO_FIELDS), props
    assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9 _.\-]*", props["name"]) and props["category"] in ARDUINO_CATEGORIES
    assert re.fullmatch(r"\d+\.\d+\.\d+", props["version"])
    assert (out / "src" / props["includes"]).is_file() and (out / "src" / "model.h").is_file()
    assert not list(out.glob("*.c")), "sources belong in src/"
    sketches = list((out / "examples").glob("*/*.ino"))
    assert len(sketches) == 1 and sketches[0].stem == sketches[0].parent.name
    assert f"#include <{props['includes']}>" in sketches[0].read_text()
    if not HAVE_ARM:
        pytest.skip("needs arm-none-eabi-gcc to compile the library")
    flags = ["-mcpu=cortex-m4", "-mthumb", "-mfpu=fpv4-sp-d16", "-mfloat-abi=hard", "-Os"]
    for c in (out / "src").glob("*.c"):
        _run(["arm-none-eabi-gcc", *flags, "-std=gnu11", "-Wall", "-Werror", "-c", str(c), "-o", str(tmp_path / "o.o")])
    (tmp_path / "stub").mkdir()
    (tmp_path / "stub" / "Arduino.h").write_text(ARDUINO_STUB)
    cpp = tmp_path / "sketch.cpp"
    cpp.write_text('#include "Arduino.h"\n' + sketches[0].read_text())
    _run(["arm-none-eabi-g++", *flags, "-fsyntax-only", "-Wall", "-Werror", f"-I{tmp_path / 'stub'}",
          f"-I{out / 'src'}", str(cpp)])


def test_platformio_format_needs_a_board(tmp_path: Path, capsys) -> None:
    assert main(["generate", str(EXAMPLE), "--format", "platformio", "-o", str(tmp_path / "p")]) != 0
    assert "needs --board" in capsys.readouterr().err
    with pytest.raises(TinyqError, match="unknown export format"):
        write_export(tinyq.compile(EXAMPLE), "scons", tmp_path / "q")


def test_default_formats_unchanged(tmp_path: Path) -> None:
    """Without --format: the bare sources, or with --board the PlatformIO project, as before."""
    assert main(["generate", str(EXAMPLE), "-o", str(tmp_path / "s")]) == 0
    assert (tmp_path / "s" / "model.h").is_file() and not (tmp_path / "s" / "CMakeLists.txt").exists()
    assert main(["generate", str(EXAMPLE), "--board", "mps2_an385", "-o", str(tmp_path / "p")]) == 0
    assert (tmp_path / "p" / "platformio.ini").is_file()
    assert not list((tmp_path / "p" / "src").glob("*_dsp.c"))   # the M3 has no DSP extension: portable kernels
