"""End to end on the emulated nRF52840 (QEMU mps2-an386), the nRF52840 build itself, and how
missing hardware is reported."""
from __future__ import annotations

import json
import re
import subprocess
import time

import pytest

from tinyq.cli import main
from tinyq.workflows.deploy import DeployOptions, deploy

from conftest import mlperf_path


def _deploy_twice(model, tmp_path) -> tuple[dict, dict]:
    a = deploy(DeployOptions(model=model, emulate=True, samples=10, seed=5, out=tmp_path / "a", quiet=True))
    b = deploy(DeployOptions(model=model, emulate=True, samples=10, seed=5, out=tmp_path / "b", quiet=True))
    return a, b


@pytest.mark.slow
@pytest.mark.parametrize("name", ["kws_ref_model", "ad01_int8"])
def test_mlperf_emulated_deploy_bit_exact_and_repeatable(name, tmp_path) -> None:
    a, b = _deploy_twice(mlperf_path(name), tmp_path)
    assert a["bit_exact"] and a["samples"] == 10 and a["mismatches"] == 0
    assert a["instructions"] > 0 and a["repeatable"] in (True, False)
    # same firmware, same inputs: the exact same instruction counts, run after run
    assert (a["instructions"], a["instructions_min"], a["instructions_max"]) == \
        (b["instructions"], b["instructions_min"], b["instructions_max"])
    assert [layer["instructions"] for layer in a["layers"]] == [layer["instructions"] for layer in b["layers"]]
    assert a["ram_bytes"] <= a["ram_budget"] and a["flash_bytes"] <= a["flash_budget"]
    assert a["stack_bytes"] > 0


@pytest.mark.slow
@pytest.mark.tf
def test_example_deploy_cli_json(tmp_path, capsys) -> None:
    pytest.importorskip("tensorflow")
    from tinyq.workflows.example import example_model
    model = example_model(tmp_path / "example")
    capsys.readouterr()
    assert main(["deploy", "--model", str(model), "--board", "nrf52840", "--emulate", "--samples", "10",
                 "--out", str(tmp_path / "dep"), "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    for key in ("board", "bit_exact", "samples", "instructions", "arena_bytes", "ram_bytes", "flash_bytes", "layers"):
        assert key in rep
    assert rep["board"] == "nrf52840" and rep["bit_exact"] is True and rep["samples"] == 10
    assert rep["inputs"].startswith("generated on the device from seed 0")   # no --data: no input bytes sent
    from tinyq.passes.pipeline import load
    assert len(rep["layers"]) == len(load(model).ops)
    assert all(layer["instructions"] > 0 for layer in rep["layers"] if layer["op"] != "RESHAPE")
    md = (tmp_path / "dep" / "report.md").read_text()
    assert md.startswith("# tinyq deploy") and "- inputs: generated on the device" in md


@pytest.mark.slow
def test_nrf52840_project_builds_with_vectors_and_hard_float(tmp_path) -> None:
    out = tmp_path / "nrf"
    assert main(["generate", str(mlperf_path("ad01_int8")), "--board", "nrf52840", "-o", str(out)]) == 0
    assert main(["build", str(out)]) == 0
    elf = out / ".pio" / "build" / "tinyq" / "firmware.elf"
    assert elf.with_suffix(".hex").is_file() and elf.with_suffix(".bin").is_file()
    attrs = subprocess.run(["arm-none-eabi-readelf", "-A", str(elf)], capture_output=True, text=True).stdout
    assert "Tag_ABI_VFP_args: VFP registers" in attrs          # hard-float calling convention
    head = subprocess.run(["arm-none-eabi-readelf", "-h", "-S", str(elf)], capture_output=True, text=True).stdout
    assert "hard-float ABI" in head
    sections = {m[1]: int(m[2], 16) for m in re.finditer(r"\]\s+(\S+)\s+\S+\s+([0-9a-f]{8})", head)}
    assert sections[".isr_vector"] == 0x0                               # vector table at the flash origin
    assert sections[".bss"] >= 0x20000000 and sections[".text"] < 0x100000  # RAM / flash
    words = elf.with_suffix(".bin").read_bytes()[:8]
    sp, reset = int.from_bytes(words[:4], "little"), int.from_bytes(words[4:], "little")
    assert sp == 0x20000000 + 256 * 1024 and reset & 1                # initial SP at the top of RAM, Thumb reset


def test_flash_without_probe_fails_fast(tmp_path, capsys) -> None:
    out = tmp_path / "nrf"
    assert main(["generate", str(mlperf_path("ad01_int8")), "--board", "nrf52840", "-o", str(out)]) == 0
    hexdir = out / ".pio" / "build" / "tinyq"
    hexdir.mkdir(parents=True)
    (hexdir / "firmware.hex").write_text(":00000001FF\n")
    t0 = time.monotonic()
    code = main(["flash", str(out)])
    err = capsys.readouterr().err
    assert code != 0 and time.monotonic() - t0 < 60
    assert ("no debug probe" in err or "no flasher" in err) and "Traceback" not in err


def test_bench_on_missing_port_fails_fast(capsys) -> None:
    t0 = time.monotonic()
    code = main(["bench", "--port", "/dev/ttyACM0", "--model", str(mlperf_path("ad01_int8")), "--samples", "2"])
    err = capsys.readouterr().err
    assert code != 0 and time.monotonic() - t0 < 30
    assert "cannot open serial port /dev/ttyACM0" in err


def test_deploy_needs_port_or_emulate(capsys) -> None:
    assert main(["deploy", "--model", str(mlperf_path("ad01_int8"))]) == 2
    assert "--port" in capsys.readouterr().err
