"""Renode scripts for the nRF52840 firmware: always generated and checked; run when Renode exists."""
from __future__ import annotations

import pytest

from tinyq.cli import main
from tinyq.passes.pipeline import load
from tinyq.targets.renode import renode_available, run_robot, write_renode_files

from conftest import mlperf_path


@pytest.fixture(scope="module")
def nrf_elf(tmp_path_factory):
    out = tmp_path_factory.mktemp("nrf")
    assert main(["generate", str(mlperf_path("ad01_int8")), "--board", "nrf52840", "-o", str(out)]) == 0
    assert main(["build", str(out)]) == 0
    return out, out / ".pio" / "build" / "tinyq" / "firmware.elf"


@pytest.mark.slow
def test_renode_files_point_at_the_firmware(nrf_elf) -> None:
    out, elf = nrf_elf
    layers = len(load(mlperf_path("ad01_int8")).ops)
    resc, robot = write_renode_files(out, elf, "ad01_int8", layers)
    text = resc.read_text()
    assert f"sysbus LoadELF @{elf.resolve()}" in text and "platforms/cpus/nrf52840.repl" in text
    assert "CreateServerSocketTerminal 3456" in text and "connector Connect sysbus.uart0" in text
    rob = robot.read_text()
    assert f"layers={layers}" in rob and "165    90    72" in rob and str(elf.resolve()) in rob


@pytest.mark.slow
def test_robot_runs_under_renode(nrf_elf) -> None:
    if not renode_available():
        pytest.skip("Renode is not installed here (not in Debian, PyPI or npm): the .resc and .robot "
                    "files are generated and checked, but not run")
    out, elf = nrf_elf
    _, robot = write_renode_files(out, elf, "ad01_int8", len(load(mlperf_path("ad01_int8")).ops))
    run_robot(robot)
