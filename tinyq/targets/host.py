"""Build a generated model for the host with the system C compiler, and run it."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np

from tinyq.errors import ToolchainError
from tinyq.ir import Graph
from tinyq.resources import firmware_dir
from tinyq.targets.firmware import C_WARNINGS

CFLAGS = ["-std=c99", "-O2", *C_WARNINGS]


class ArenaCheckError(ToolchainError):
    """The -DTQ_CHECK_ARENA build caught a layer writing outside its outputs and scratch."""
SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer", "-g"]


def find_cc() -> str:
    for cc in (os.environ.get("CC"), "cc", "gcc", "clang"):
        if cc and shutil.which(cc):
            return cc
    raise ToolchainError("no C compiler found for the host build",
                         "install one: `apt-get install gcc` (or set CC)")


def build_host(src_dir: str | Path, exe: str | Path | None = None, sanitize: bool = False,
               profile: bool = False, check_arena: bool | None = None) -> Path:
    """Compile every .c in src_dir plus the host harness. Returns the executable's path.

    check_arena (default: with sanitize): -DTQ_CHECK_ARENA, the harness checks after every layer
    that it wrote no arena byte outside its outputs and scratch (firmware/host/host_main.c)."""
    if check_arena is None:
        check_arena = sanitize
    src_dir = Path(src_dir)
    exe = Path(exe) if exe else src_dir / ("model_host_asan" if sanitize else "model_host")
    sources = sorted(str(p) for p in src_dir.glob("*.c")) + [str(firmware_dir() / "host" / "host_main.c")]
    defines = (["-DTQ_PROFILE"] if profile or check_arena else []) + (["-DTQ_CHECK_ARENA"] if check_arena else [])
    cmd = [find_cc(), *CFLAGS, *(SANITIZE if sanitize else []), *defines,
           "-I", str(src_dir), *sources, "-o", str(exe)]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        raise ToolchainError(f"host build of the generated code failed:\n{res.stderr[-4000:]}",
                             "this is a tinyq bug; please report it with the model")
    return exe


def run_host(exe: str | Path, graph: Graph, inputs: list[np.ndarray], layers: bool = False,
             timeout: float = 600, reset_each: bool = False) -> tuple[list[list[np.ndarray]], list[list[bytes]]]:
    """Run samples through the host executable.

    inputs: one array per graph input, each with a leading sample axis.
    Samples run in order on one model instance (a streaming model's variables carry over), or
    with reset_each, each after tinyq_model_reset().
    Returns (outputs per sample, layer dumps per sample (raw bytes per layer) if layers)."""
    n = len(inputs[0])
    blob = b"".join(b"".join(np.ascontiguousarray(x[s]).tobytes() for x in inputs) for s in range(n))
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0:abort_on_error=0")
    mode = "layers" if layers else "reset" if reset_each else "run"
    res = subprocess.run([str(exe), mode], input=blob, capture_output=True,
                         timeout=timeout, env=env)
    err = res.stderr.decode(errors="replace")
    if res.returncode != 0 and "tq_check_arena:" in err:
        line = next(ln for ln in err.splitlines() if "tq_check_arena:" in ln)
        raise ArenaCheckError(line.split("tq_check_arena: ", 1)[1],
                              "a kernel wrote outside its output tensor: this is a tinyq bug; please "
                              "report it with the model")
    if res.returncode != 0:
        raise ToolchainError(f"generated code failed on the host (exit {res.returncode}):\n"
                             f"{res.stderr.decode(errors='replace')[-4000:]}",
                             "this is a tinyq bug; please report it with the model")
    out = res.stdout
    outs_t = [graph.t(t) for t in graph.outputs]
    layer_sizes = []
    if layers:
        for op in graph.ops:
            layer_sizes.append(graph.t(op.outputs[0]).nbytes if op.outputs else 0)
    per_sample = sum(layer_sizes) + sum(t.nbytes for t in outs_t)
    if len(out) != per_sample * n:
        raise ToolchainError(f"host run returned {len(out)} bytes, expected {per_sample * n}")
    results, dumps = [], []
    pos = 0
    for _ in range(n):
        d = []
        for size in layer_sizes:
            d.append(out[pos:pos + size])
            pos += size
        dumps.append(d)
        sample = []
        for t in outs_t:
            sample.append(np.frombuffer(out[pos:pos + t.nbytes], dtype=t.dtype).reshape(t.shape))
            pos += t.nbytes
        results.append(sample)
    return results, dumps
