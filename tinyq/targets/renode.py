"""Renode scripts for the nRF52840: a .resc to run the firmware with its UART on a TCP port, and a
Robot Framework test that boots it and checks the protocol answers. Renode is not installable on
every machine (not in Debian, PyPI or npm), so running them is optional."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import jinja2

from tinyq.errors import ToolchainError
from tinyq.resources import templates_dir
from tinyq.targets.protocol import encode

RENODE_HINT = "install Renode from its release packages (https://renode.io); it is not in Debian, PyPI or npm"


def renode_available() -> bool:
    return shutil.which("renode") is not None and shutil.which("renode-test") is not None


def write_renode_files(out_dir: str | Path, elf: str | Path, model: str, layers: int, port: int = 3456
                       ) -> tuple[Path, Path]:
    """Write nrf52840.resc and bench_nrf52840.robot next to the project."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates_dir() / "renode")),
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    resc = out / "nrf52840.resc"
    robot = out / "bench_nrf52840.robot"
    # the info request the robot types into the UART, encoded by the one protocol implementation
    info_frame = "    ".join(str(b) for b in encode(b"H", seq=0))
    ctx = {"elf": str(Path(elf).resolve()), "port": port, "model": model, "layers": layers, "robot_name": robot.name,
           "info_frame": info_frame}
    resc.write_text(env.get_template("nrf52840.resc.j2").render(**ctx))
    robot.write_text(env.get_template("bench.robot.j2").render(**ctx))
    return resc, robot


def run_robot(robot: str | Path, timeout: float = 300) -> str:
    """Run the Robot test with renode-test; raises with its output when it fails."""
    if not renode_available():
        raise ToolchainError("renode / renode-test not found", RENODE_HINT)
    res = subprocess.run(["renode-test", str(robot)], capture_output=True, text=True, timeout=timeout)
    if res.returncode != 0:
        raise ToolchainError(f"Renode test failed:\n{(res.stdout + res.stderr)[-3000:]}")
    return res.stdout
