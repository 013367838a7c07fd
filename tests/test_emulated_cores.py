"""Every emulated Cortex-M core: the board files, which machine `--emulate` picks for a board's
core, the plan's refusal where a model does not fit the micro:bit, and (slow) the example model
deployed bit-exact with TFLM on all six machines, KWS on the smallest and the newest."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import tinyq
from tinyq.boards import list_boards, load_board
from tinyq.errors import DoesNotFitError, TinyqError
from tinyq.targets.firmware import arch_flags, build_spec, emulation_board

from conftest import ROOT, mlperf_path

EXAMPLE = ROOT / "examples" / "digits" / "digits_int8.tflite"
# board -> (QEMU machine, QEMU cpu, kernel family the board's auto choice gives)
EMULATED = {
    "microbit": ("microbit", "cortex-m0", "portable"),
    "mps2_an385": ("mps2-an385", "cortex-m3", "portable"),
    "mps2_an386": ("mps2-an386", "cortex-m4", "dsp"),
    "netduinoplus2": ("netduinoplus2", "cortex-m4", "dsp"),
    "mps2_an500": ("mps2-an500", "cortex-m7", "dsp"),
    "mps2_an505": ("mps2-an505", "cortex-m33", "dsp"),
    "mps3_an547": ("mps3-an547", "cortex-m55", "mve"),
}
NEEDS_QEMU = pytest.mark.skipif(shutil.which("qemu-system-arm") is None or shutil.which("arm-none-eabi-gcc") is None,
                                reason="needs qemu-system-arm and arm-none-eabi-gcc (scripts/setup.sh)")


@pytest.mark.parametrize("name", sorted(EMULATED))
def test_emulated_board_files(name: str) -> None:
    machine, cpu, _ = EMULATED[name]
    b = load_board(name)
    assert b.emulated and b.emulator["qemu_machine"] == machine and b.emulator["qemu_cpu"] == cpu
    assert b.core == cpu and emulation_board(b) is b
    spec = build_spec(b)    # a board.c exists and the flags are the core's
    assert spec.sources[-1] == ROOT / "firmware" / "boards" / name / "board.c"
    assert f"-mcpu={b.core}" in arch_flags(b)
    assert f"ORIGIN = 0x{b.flash_origin:08X}" in spec.linker_script
    assert tinyq.compile(EXAMPLE, board=b).kernels == EMULATED[name][2]


def test_emulate_picks_the_machine_for_the_core() -> None:
    """Each board in boards/ runs, with --emulate, on an emulated machine with its core (the
    Cortex-M0+ on the M0: ARMv6-M both)."""
    for name in list_boards():
        b = load_board(name)
        run = emulation_board(b)
        assert run.emulated and (run.core == b.core or (b.core, run.core) == ("cortex-m0plus", "cortex-m0")), name
    assert emulation_board(load_board("rpipico")).name == "microbit"
    assert emulation_board(load_board("disco_f746ng")).name == "mps2_an500"
    assert emulation_board(load_board("nrf52840")).name == "mps2_an386"


def test_unknown_core_is_a_clear_error(tmp_path: Path) -> None:
    text = (ROOT / "boards" / "nrf52840.toml").read_text().replace('core = "cortex-m4"', 'core = "cortex-m85"')
    (tmp_path / "m85.toml").write_text(text)
    b = load_board(str(tmp_path / "m85.toml"))
    with pytest.raises(TinyqError, match="cortex-m85"):
        emulation_board(b)
    with pytest.raises(TinyqError, match="unknown core"):
        arch_flags(b)


def test_plan_refuses_what_does_not_fit_the_microbit() -> None:
    """16 KB of RAM: VWW's arena alone is 46 KB; the plan says so, with the shortfall."""
    import tinyq
    from tinyq.plan.budget import budget, require_fit

    c = tinyq.compile(mlperf_path("vww_96_int8"), board="microbit")
    with pytest.raises(DoesNotFitError, match=r"RAM: needs [\d,]+ B of 16,384 B, [\d,]+ B too many"):
        require_fit(budget(c, load_board("microbit")), c.graph.name)


@pytest.mark.slow
@NEEDS_QEMU
@pytest.mark.parametrize("name", sorted(set(EMULATED) - {"mps2_an386"}))   # mps2_an386: test_deploy.py
def test_example_bit_exact_on_each_core(name: str, tmp_path: Path) -> None:
    from tinyq.workflows.bench import run_emulated_bench

    rep = run_emulated_bench(EXAMPLE, board=name, samples=3, seed=1, out=tmp_path, timeout=120).to_dict()
    assert rep["bit_exact"] and rep["mismatches"] == 0, rep
    assert rep["counter_check"]["measured"] == rep["counter_check"]["loop_instructions"]
    assert rep["run_on"] == f"QEMU {EMULATED[name][0]}" and rep["instructions"] > 0


@pytest.mark.slow
@NEEDS_QEMU
@pytest.mark.parametrize("name", ["microbit", "mps3_an547"])
def test_kws_bit_exact_on_m0_and_m55(name: str, tmp_path: Path) -> None:
    from tinyq.workflows.bench import run_emulated_bench

    rep = run_emulated_bench(mlperf_path("kws_ref_model"), board=name, samples=2, out=tmp_path, timeout=300).to_dict()
    assert rep["bit_exact"], rep


@pytest.mark.slow
@NEEDS_QEMU
def test_deploy_rpipico_emulates_on_the_m0(tmp_path: Path, capsys) -> None:
    """The PlatformIO deploy path on an ARMv6-M core: the Pico's board, run on the micro:bit."""
    pytest.importorskip("platformio")
    from tinyq.cli import main

    assert main(["deploy", "--model", str(EXAMPLE), "--board", "rpipico", "--emulate", "--samples", "2",
                 "--out", str(tmp_path), "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["bit_exact"] and rep["board"] == "rpipico" and rep["run_on"] == "QEMU microbit"


UNALIGNED_MAIN = r"""
#include <stdint.h>
#include "tq_board.h"
volatile uint8_t buf[8] = {1, 2, 3, 4, 5, 6, 7, 8};
volatile uint32_t offset = 1;
int main(void)
{
    uint32_t v;
    const uint8_t *p = (const uint8_t *)buf + offset;
    tq_board_init();
    __asm volatile("ldr %0, [%1]" : "=l"(v) : "l"(p) : "memory");   /* a word load from an odd address */
    tq_board_exit(v == 0x05040302u ? 0 : 1);
    return 0;
}
"""


@pytest.mark.slow
@NEEDS_QEMU
@pytest.mark.parametrize("name, code", [("microbit", 3), ("mps2_an385", 0)])
def test_m0_faults_on_unaligned_access(name: str, code: int, tmp_path: Path) -> None:
    """The emulated M0 traps an unaligned word load (the firmware's fault exit, 3) where the M3
    performs it: the portable kernels' runs on the micro:bit show they never make one."""
    import subprocess

    b = load_board(name)
    spec = build_spec(b)
    (tmp_path / "main.c").write_text(UNALIGNED_MAIN)
    (tmp_path / "linker.ld").write_text(spec.linker_script)
    srcs = [str(s) for s in spec.sources if s.name not in ("bench_main.c", "frame_parser.c")]
    subprocess.run(["arm-none-eabi-gcc", *spec.cflags, *[f"-I{d}" for d in spec.include_dirs], *srcs,
                    str(tmp_path / "main.c"), *spec.ldflags, f"-T{tmp_path / 'linker.ld'}", "-o",
                    str(tmp_path / "f.elf")], check=True, capture_output=True)
    run = subprocess.run(["qemu-system-arm", "-M", b.emulator["qemu_machine"], "-cpu", b.emulator["qemu_cpu"],
                          "-nographic", "-monitor", "none", "-serial", "null", "-semihosting-config",
                          "enable=on,target=native", "-kernel", str(tmp_path / "f.elf")], capture_output=True, timeout=30)
    assert run.returncode == code
