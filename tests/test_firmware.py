"""The bare-metal firmware: build spec, linker script, direct GCC build (nRF52840 ELF checks), and
in QEMU the exact instruction counter, the device side of the protocol and the bench."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from tinyq.boards import load_board
from tinyq.cli import main
from tinyq.errors import TinyqError, ToolchainError
from tinyq.targets.firmware import build_spec, render_linker_script
from tinyq.targets.gcc_build import build
from tinyq.targets.protocol import Link, ProtocolError, encode, open_port
from tinyq.targets.qemu import Qemu, ticks_to_instructions
from tinyq.workflows.bench import load_inputs, run_emulated_bench
from tinyq.workflows.compile import compile

from conftest import mlperf_path

needs_gcc = pytest.mark.skipif(not shutil.which("arm-none-eabi-gcc"), reason="arm-none-eabi-gcc not installed")
needs_qemu = pytest.mark.skipif(not shutil.which("qemu-system-arm"), reason="qemu-system-arm not installed")


def _firmware(tmp_path: Path, board: str, model: str = "ad01_int8"):
    gen = compile(mlperf_path(model))
    gen.write(tmp_path / "model")
    return gen, build(build_spec(load_board(board)), tmp_path / "model", tmp_path / board)


def test_linker_script_follows_the_board() -> None:
    ld = render_linker_script(load_board("nrf52840"))
    assert re.search(r"FLASH \(rx\) : ORIGIN = 0x00000000, LENGTH = 1048576", ld)
    assert re.search(r"RAM \(rwx\)  : ORIGIN = 0x20000000, LENGTH = 262144", ld)
    assert "STACK_SIZE = 8192;" in ld and "KEEP(*(.isr_vector))" in ld
    # the bootloader's 64 KB are not the application's
    assert "ORIGIN = 0x00010000, LENGTH = 983040" in render_linker_script(load_board("nano33ble"))


def test_hard_float_flags_reach_the_linker() -> None:
    spec = build_spec(load_board("nrf52840"))
    for flag in ("-mcpu=cortex-m4", "-mthumb", "-mfpu=fpv4-sp-d16", "-mfloat-abi=hard"):
        assert flag in spec.cflags and flag in spec.ldflags
    assert {"-ffunction-sections", "-fdata-sections", "-Werror"} <= set(spec.cflags)
    assert {"--specs=nano.specs", "-Wl,--gc-sections"} <= set(spec.ldflags)
    assert "-DTQ_UART_TX_PIN=6u" in spec.cflags and "-DTQ_UART_RX_PIN=8u" in spec.cflags
    assert any(p.name == "board.c" and p.parent.name == "nrf52840" for p in spec.sources)


def test_board_without_firmware_is_a_clear_error() -> None:
    with pytest.raises(TinyqError, match="no firmware support for board 'rpipico'"):
        build_spec(load_board("rpipico"))


def test_ticks_convert_at_3_2_per_instruction() -> None:
    board = load_board("mps2_an386")
    assert ticks_to_instructions(32, board) == 10 and ticks_to_instructions(3_200_001, board) == 1_000_000


def test_missing_qemu_says_how_to_install(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    elf = tmp_path / "f.elf"
    elf.write_bytes(b"\x7fELF")
    with pytest.raises(ToolchainError, match="qemu-system-arm not found") as info:
        with Qemu(elf, load_board("mps2_an386")):
            pass
    assert "apt-get install qemu-system-arm" in str(info.value)


@needs_gcc
def test_nrf52840_elf_hard_float_vectors_and_ram(tmp_path) -> None:
    _, img = _firmware(tmp_path, "nrf52840")
    assert img.hex.is_file() and img.bin.is_file()
    out = subprocess.run(["arm-none-eabi-readelf", "-h", "-S", "-A", str(img.elf)],
                         capture_output=True, text=True, check=True).stdout
    assert "hard-float ABI" in out and "Tag_ABI_VFP_args: VFP registers" in out and "Tag_FP_arch: VFPv4-D16" in out
    sections = {m[1]: int(m[2], 16) for m in re.finditer(r"\]\s+(\S+)\s+\S+\s+([0-9a-f]{8})", out)}
    assert sections[".isr_vector"] == 0 and sections[".text"] < 0x100000
    assert 0x20000000 <= sections[".data"] and 0x20000000 <= sections[".bss"] < 0x20040000
    words = img.bin.read_bytes()[:8]
    assert int.from_bytes(words[:4], "little") == 0x20040000      # initial SP: top of the 256 KB
    assert int.from_bytes(words[4:], "little") & 1                  # Thumb reset handler
    size = subprocess.run(["arm-none-eabi-size", str(img.elf)], capture_output=True, text=True).stdout.split("\n")[1]
    assert [int(v) for v in size.split()[:3]] == [img.text, img.data, img.bss]
    assert img.bss >= 768   # the arena lives in .bss


@needs_gcc
def test_model_too_big_for_the_board_fails_the_link(tmp_path) -> None:
    small = tmp_path / "small.toml"
    text = load_board("nrf52840").path.read_text().replace("size = 1_048_576", "size = 65_536")
    small.write_text(text)
    gen = compile(mlperf_path("ad01_int8"))
    gen.write(tmp_path / "model")
    with pytest.raises(ToolchainError, match="does not fit nrf52840"):
        build(build_spec(load_board(str(small))), tmp_path / "model", tmp_path / "out")


@pytest.fixture(scope="module")
def ad01_emulated(tmp_path_factory):
    if not (shutil.which("arm-none-eabi-gcc") and shutil.which("qemu-system-arm")):
        pytest.skip("needs arm-none-eabi-gcc and qemu-system-arm")
    return _firmware(tmp_path_factory.mktemp("ad01"), "mps2_an386")


@pytest.mark.slow
def test_emulated_counter_counts_instructions_exactly(ad01_emulated) -> None:
    board = load_board("mps2_an386")
    with Qemu(ad01_emulated[1].elf, board, timeout=60) as q:
        port = open_port(q.port_url)
        link = Link(port, timeout=10)
        base = ticks_to_instructions(link.calibrate(1), board)
        for n in (2, 3, 1000, 12_345, 200_000):
            assert ticks_to_instructions(link.calibrate(n), board) - base == 2 * (n - 1)
        link.quit()
        port.close()
        assert q.wait(10) == 0   # the 'Q' frame ends the run through semihosting


BASELINE = Path(__file__).resolve().parents[2] / "shared" / "baselines" / "tflm_emulated_m4.md"


@pytest.mark.slow
def test_same_output_as_tflm_built_for_the_same_emulated_m4(ad01_emulated) -> None:
    """The baseline ran TFLM's own firmware on this emulator with a fixed xorshift32 input."""
    if not BASELINE.is_file():
        pytest.skip(f"{BASELINE} not found")
    want = [int(v) for v in re.search(r"`ad01_int8`: `([^`]*)`", BASELINE.read_text()).group(1).split(",")]
    x, data = 0x1234567, bytearray()
    for _ in range(640):
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        data.append(x & 0xFF)
    board = load_board("mps2_an386")
    with Qemu(ad01_emulated[1].elf, board, timeout=60) as q:
        port = open_port(q.port_url)
        got = Link(port, timeout=30).run([np.frombuffer(bytes(data), np.int8)], [("int8", (1, 640))])
        port.close()
    assert got.outputs[0].ravel().tolist() == want
    assert ticks_to_instructions(got.total, board) < 1_952_394   # TFLM reference kernels on this input


@pytest.mark.slow
def test_device_side_protocol_errors(ad01_emulated) -> None:
    with Qemu(ad01_emulated[1].elf, load_board("mps2_an386"), timeout=60) as q:
        port = open_port(q.port_url)
        link = Link(port, timeout=10, retries=0)
        bad = bytearray(encode(b"H"))
        bad[-1] ^= 0x5A
        port.write(bytes(bad))
        with pytest.raises(ProtocolError, match="device reported: CRC mismatch"):
            link._read_frame(10)
        with pytest.raises(ProtocolError, match="bad frame type or length"):
            link.request(b"R", b"\x00" * 3)       # ad01 takes 640 input bytes
        port.write(b"\x00\xa5\x13garbage\xff")    # noise is skipped until the next sync
        assert link.info()["model"] == "ad01_int8"
        port.close()


@pytest.mark.slow
def test_stuck_emulator_is_an_error_not_a_hang(ad01_emulated) -> None:
    t0 = time.monotonic()
    with Qemu(ad01_emulated[1].elf, load_board("mps2_an386"), timeout=4) as q:
        port = open_port(q.port_url)
        port.write(encode(b"R", b"\x00" * 640)[:-2])   # a truncated frame: the device waits forever
        with pytest.raises(ProtocolError, match="serial timeout"):
            Link(port, timeout=1, retries=0)._read_frame(1)
        assert "does not answer" in q.diagnose()
        port.close()
        assert q.wait(10) is not None                    # `timeout` killed it at 4 s
        assert "time limit" in q.diagnose()
    assert time.monotonic() - t0 < 15


def test_not_an_elf_is_refused_before_qemu_runs(tmp_path) -> None:
    elf = tmp_path / "junk.elf"
    elf.write_text("not an ELF")
    with pytest.raises(ToolchainError, match="is not an ELF file"):
        with Qemu(elf, load_board("mps2_an386"), timeout=20):
            pass


@pytest.mark.slow
def test_qemu_failing_to_start_shows_its_message(ad01_emulated, tmp_path) -> None:
    board = tmp_path / "bad.toml"
    board.write_text(load_board("mps2_an386").path.read_text().replace('"mps2-an386"', '"no-such-machine"'))
    with pytest.raises(ToolchainError, match="QEMU did not start.*unsupported machine type"):
        with Qemu(ad01_emulated[1].elf, load_board(str(board)), timeout=20):
            pass


@pytest.mark.slow
@needs_gcc
@needs_qemu
def test_ad01_emulated_bench_bit_exact_and_repeatable(tmp_path) -> None:
    a = run_emulated_bench(mlperf_path("ad01_int8"), "nrf52840", samples=10, seed=3, out=tmp_path / "a")
    b = run_emulated_bench(mlperf_path("ad01_int8"), "nrf52840", samples=10, seed=3, out=tmp_path / "b")
    assert a["bit_exact"] and a["samples"] == 10 and a["mismatches"] == 0 and a["board"] == "nrf52840"
    assert a["counter_check"]["measured"] == a["counter_check"]["loop_instructions"]
    assert (a["instructions"], a["instructions_min"], a["instructions_max"]) == \
        (b["instructions"], b["instructions_min"], b["instructions_max"])
    layers = [layer["instructions"] for layer in a["layers"]]
    assert layers == [layer["instructions"] for layer in b["layers"]] and len(layers) == 10
    assert all(v > 0 for v in layers) and sum(layers) < a["instructions_max"]
    assert 0 < a["stack_bytes"] < load_board("nrf52840").stack_bytes
    assert a["flash_bytes"] > 270_000 and a["ram_bytes"] == a["static_ram_bytes"] + 8192


@pytest.mark.slow
def test_bench_cli_against_the_emulator(ad01_emulated, capsys, tmp_path) -> None:
    data = tmp_path / "x.npy"
    np.save(data, np.random.default_rng(1).integers(-128, 128, (3, 640), dtype=np.int8))
    with Qemu(ad01_emulated[1].elf, load_board("mps2_an386"), timeout=120) as q:
        code = main(["bench", "--port", q.port_url, "--model", str(mlperf_path("ad01_int8")),
                     "--samples", "5", "--data", str(data), "--json"])   # --board nrf52840, run by the emulator
    rep = json.loads(capsys.readouterr().out)
    assert code == 0 and rep["bit_exact"] and rep["samples"] == 3 and rep["counter"] == "instructions"
    assert [layer["op"] for layer in rep["layers"]] == ["FULLY_CONNECTED"] * 10
    assert rep["counter_check"]["measured"] == rep["counter_check"]["loop_instructions"]


@pytest.mark.parametrize("content, message", [
    (None, "cannot read inputs"), (np.zeros((2, 640), np.complex64), "expected an array of int8"),
    (np.zeros((2, 639), np.int8), "expected an array of int8"),
    (np.full((2, 640), 300, np.int32), "do not fit the model's int8 input"),
    (np.full((2, 640), np.nan, np.float32), "NaN or infinite"),
])
def test_bad_data_files_are_clear_errors(tmp_path, content, message) -> None:
    gen = compile(mlperf_path("ad01_int8"))
    path = tmp_path / "x.npy"
    if content is not None:
        np.save(path, content)
    with pytest.raises(TinyqError, match=message):
        load_inputs(gen, path, 10, 0)
    assert load_inputs(gen, None, 4, 0)[0].shape == (4, 1, 640)


def test_data_files_in_other_types_become_the_input_type(tmp_path) -> None:
    """float data is quantized with the input's scale and zero point (TFLM's AffineQuantize:
    float division, halves away from zero, saturated); integers that fit are taken as they are."""
    gen = compile(mlperf_path("ad01_int8"))
    t = gen.graph.t(gen.graph.inputs[0])
    s, z = t.qscale, t.qzero
    x = np.array([[0.0, 2.5 * s, -2.5 * s, 1000.0, -1000.0] + [s] * 635], np.float32)
    np.save(tmp_path / "f.npy", x)
    got = load_inputs(gen, tmp_path / "f.npy", 10, 0)[0]
    assert got.dtype == np.int8 and got.shape == (1, 1, 640)
    assert got[0, 0, :5].tolist() == [z, min(127, z + 3), max(-128, z - 3), 127, -128]
    np.save(tmp_path / "i.npy", np.arange(-320, 320, dtype=np.int64).reshape(1, 640) // 3)
    assert load_inputs(gen, tmp_path / "i.npy", 10, 0)[0].dtype == np.int8


def test_bench_missing_device_fails_fast(capsys) -> None:
    t0 = time.monotonic()
    code = main(["bench", "--port", "/dev/ttyACM0", "--model", str(mlperf_path("ad01_int8"))])
    err = capsys.readouterr().err
    assert code != 0 and time.monotonic() - t0 < 5
    assert "cannot open serial port /dev/ttyACM0" in err and "Traceback" not in err
